"""What a new user meets first: a demo without its optional packages, and where figures go."""

import os
import sys

import pytest

from demos import _common


@pytest.mark.parametrize("demo, argv, missing, extra", [
    ("higham", ["--iterations", "10"], "scipy", "demos"),
    ("xor", ["--seeds", "1", "--steps", "1"], "scipy", "demos"),
    ("landscape", ["--grid", "3"], "scipy", "demos"),
    ("sgd", ["--budget", "10"], "matplotlib", "demos"),
    ("regularisation", ["--steps", "1"], "matplotlib", "demos"),
    ("notebooks", ["--no-execute"], "nbformat", "notebooks"),
    ("digits", ["--images", "10", "--epochs", "1"], "sklearn", "demos"),
    ("seeds", ["--seeds", "1", "--iterations", "100"], "matplotlib", "demos"),
    ("pytorch", ["--steps", "1"], "torch", "torch"),
    ("seeds", ["--seeds", "1", "--iterations", "100", "--backend", "numba"], "numba", "fast"),
    ("seeds", ["--seeds", "1", "--iterations", "100", "--dask", "tcp://127.0.0.1:1"], "dask.distributed", "cluster"),
])
def test_a_demo_without_its_extra_stops_first_and_names_it(demo, argv, missing, extra, monkeypatch, capsys,
                                                          tmp_path):
    import importlib
    main = importlib.import_module(f"demos.{demo}.__main__").main
    monkeypatch.setitem(sys.modules, missing, None)   # import of it now raises ImportError
    with pytest.raises(SystemExit) as stop:
        main(argv + (["--out", str(tmp_path / "figures")] if demo != "notebooks" else []))
    assert stop.value.code == _common.MISSING_EXTRA == 1   # the status the docs state
    out, err = capsys.readouterr()
    assert out == ""                                  # nothing of the report before the check
    assert f"python -m demos.{demo} needs {_common.PACKAGE_OF.get(missing, missing)}" in err
    assert f'(the "{extra}" extra' in err and "seebackprop[" not in err  # no index package is claimed
    assert "Traceback" not in err


def test_without_plots_matplotlib_is_not_needed(monkeypatch, capsys, tmp_path):
    from demos.sgd.__main__ import main
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["--budget", "10", "--no-plots", "--quiet", "--out", str(tmp_path / "never")]) == 0


def test_figures_go_to_the_checkout_or_to_a_folder_named_after_the_project(monkeypatch):
    checkout_figures = os.path.join(os.path.dirname(_common.__file__), "figures", "higham")
    assert _common.in_checkout()
    assert os.path.abspath(_common.default_out("higham")) == os.path.abspath(checkout_figures)
    monkeypatch.setattr(_common, "in_checkout", lambda: False)   # as an installed copy
    assert _common.default_out("higham") == os.path.join("seebackprop-figures", "higham")


def test_the_wheel_ships_the_notebooks_and_copy_hands_them_out(tmp_path):
    """``pip install .`` gets the four notebooks as package data; ``--copy DIR`` copies them into a
    folder the user names, from the installed package (never writing into the installation)."""
    import subprocess
    import zipfile
    from pathlib import Path
    checkout = Path(_common.__file__).resolve().parent.parent
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "wheel"), str(checkout)], capture_output=True, text=True)
    if built.returncode != 0:
        why = "\n".join(line for line in built.stderr.splitlines() if not line.startswith("WARNING: Location"))
        pytest.skip(f"cannot build a wheel here: {why.strip()[:1500]}")
    (wheel,) = (tmp_path / "wheel").glob("seebackprop-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    from demos.notebooks.build import NOTEBOOKS
    assert {f"demos/notebooks/{n}.ipynb" for n in NOTEBOOKS} <= names
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    before = sorted(p.name for p in (tmp_path / "site" / "demos" / "notebooks").iterdir())
    run = subprocess.run([sys.executable, "-m", "demos.notebooks", "--copy", str(tmp_path / "mine")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(f"{n}.ipynb" for n in NOTEBOOKS)
    for n in NOTEBOOKS:   # the very files of the checkout, outputs included
        assert (tmp_path / "mine" / f"{n}.ipynb").read_bytes() == (checkout / "demos" / "notebooks" /
                                                                   f"{n}.ipynb").read_bytes()
    # rebuilding is for a checkout: an installed copy refuses instead of writing into itself
    rebuild = subprocess.run([sys.executable, "-m", "demos.notebooks", "--no-execute"], capture_output=True,
                             text=True, env=env, cwd=tmp_path)
    assert rebuild.returncode == 1 and "--copy DIR" in rebuild.stderr
    assert sorted(p.name for p in (tmp_path / "site" / "demos" / "notebooks").iterdir()) == before


def test_copy_never_overwrites(tmp_path, capsys):
    from demos.notebooks.build import main
    (tmp_path / "higham.ipynb").write_text("mine")
    with pytest.raises(SystemExit) as stop:
        main(["higham", "--copy", str(tmp_path)])
    assert stop.value.code == 2 and "already exists" in capsys.readouterr().err
    assert (tmp_path / "higham.ipynb").read_text() == "mine"


def test_report_lines_fit_100_columns_and_tables_are_left_whole():
    prose = ("3. Stochastic gradient (§6 netbp.m, Figures 6.1 and 6.2; §4 approach 2, eq. 4.8 with m = 1): "
             "20,000 steps p ← p − η ∇C_x(p), η = 0.05, one of the ten points chosen at random per step")
    table = "   | " + " | ".join(["column"] * 20) + " |"
    fitted = _common.fit(prose + "\n" + table).split("\n")
    assert all(len(line) <= _common.WIDTH for line in fitted[:-1]) and len(fitted) > 2
    assert fitted[1].startswith("   ") and not fitted[1].startswith("    ")   # under the text after "3. "
    assert " ".join(line.strip() for line in fitted[:-1]) == prose
    assert fitted[-1] == table

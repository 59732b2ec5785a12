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
    assert f'pip install "seebackprop[{extra}]"' in err
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

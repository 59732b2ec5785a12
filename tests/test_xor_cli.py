"""python -m demos.xor end to end (its main(), and the module from a shell for usage errors): figures
written, report printed, usage errors."""

import os
import re
import subprocess
import sys

import pytest

from demos.xor import learning
from demos.xor.__main__ import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURES = ["xor_not_separable", "xor_feature_space", "xor_network", "xor_relu", "xor_learned_solutions",
           "xor_training", "xor_cost_surface"]


@pytest.mark.slow
def test_cli_end_to_end_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["--seeds", "3", "--out", str(out)]) == 0
    for stem in FIGURES:
        png, svg = out / f"{stem}.png", out / f"{stem}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", stem
        assert b"<svg" in svg.read_bytes()[:2000], stem
    assert "digraph" in (out / "xor_network.gv").read_text()
    text = capsys.readouterr().out
    assert "h = [[0, 0], [1, 0], [1, 0], [2, 1]], f = [0, 1, 1, 0], J = 0.0, max |∇J| = 0" in text
    assert "(0.5 everywhere), MSE = 0.25" in text
    # The printed count is the count of these three runs, recomputed here.
    printed = int(re.search(r"XOR learned: (\d+)/3 runs", text).group(1))
    assert printed == learning.tally(learning.train_many(range(3)))["success"]


def test_quiet_prints_only_the_summary_and_no_plots_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["--seeds", "2", "--steps", "50", "--no-plots", "--quiet", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert all(len(line) <= 100 for line in lines)
    exact, learned = " ".join(line.strip() for line in lines).split(" XOR learned: ")   # wrapped, joined again
    assert exact.startswith("XOR exact solution:") and "/2 runs" in learned
    assert not out.exists()


@pytest.mark.parametrize("argv, option", [
    (["--seeds", "0"], "--seeds"),
    (["--seeds", "-3"], "--seeds"),
    (["--seeds", "abc"], "--seeds"),
    (["--steps", "0"], "--steps"),
    (["--lr", "-0.1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--seed", "-1"], "--seed"),
    (["--bogus"], "--bogus"),
])
def test_bad_arguments_are_usage_errors(argv, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and option in err


def test_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exit_info:
        main(["--seeds", "1", "--out", str(blocker)])
    assert exit_info.value.code == 2
    assert "not a directory" in capsys.readouterr().err


def test_usage_error_from_the_command_line_has_no_traceback():
    done = subprocess.run([sys.executable, "-m", "demos.xor", "--seeds", "abc"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--seeds" in done.stderr


def test_network_diagram_without_dot_still_writes_the_dot_source(tmp_path, monkeypatch):
    from demos.xor import figures
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))      # no `dot` to be found
    paths, message = figures.draw_network_diagram(tmp_path)
    assert [os.path.basename(p) for p in paths] == ["xor_network.gv"]
    assert "only the DOT source" in message
    source = (tmp_path / "xor_network.gv").read_text()
    assert "-2" in source and "digraph" in source           # the book's w2 = −2 is on an edge
    assert not (tmp_path / "xor_network.png").exists()

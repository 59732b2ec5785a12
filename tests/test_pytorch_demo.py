"""python -m demos.pytorch: both sides recorded and compared as the report says, the report, the
figures and the usage errors."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch (the demo needs it)")

from demos.pytorch import problems, training  # noqa: E402
from demos.pytorch.__main__ import main  # noqa: E402


def test_both_sides_start_alike_and_stay_within_rounding():
    problem = problems.make("higham", 0, 200)
    agreements = training.both(torch, problem, 200)
    assert [a.label for a in agreements] == ["SGD", "SGD, momentum 0.9", "SGD, Nesterov 0.9", "Adam"]
    for a in agreements:
        assert np.array_equal(a.ours.parameters[0], a.theirs.parameters[0])        # the same start
        assert a.ours.parameters.shape == (201, 23) and a.ours.costs.shape == (200,)
        assert 0 < a.parameter_difference < 1e-13 and a.cost_difference < 1e-14
        assert a.parameter_difference == np.max(np.abs(a.ours.parameters - a.theirs.parameters))
        assert a.per_step[a.worst_step] == a.parameter_difference
    # the network's start and sample indices are those of python -m demos.higham with the same seed
    from demos.higham.network import make_network, parameter_list
    from demos.higham.training import sample_order
    rng = np.random.default_rng(0)
    assert parameter_list(make_network(rng)) == [p.data for p in problem.mlp.parameters()]
    assert sample_order(rng, 200).tolist() == problem.order


def test_the_total_cost_is_the_papers_cost():
    from demos.higham.network import HighamNetwork, parameter_list
    problem = problems.make("higham", 3, 10)
    p = parameter_list(problem.mlp)
    reference = HighamNetwork(problem.mlp, problem.X, problem.Y).cost(p)
    assert problem.total_costs([p])[0] == pytest.approx(reference, rel=1e-14)
    xor = problems.make("xor", 3, 10)
    import nn
    J = nn.mse([xor.mlp(list(x)) for x in xor.X], xor.Y.tolist()).data
    assert xor.total_costs([[v.data for v in xor.mlp.parameters()]])[0] == J


def test_quiet_run_prints_the_summary_with_the_largest_difference(capsys):
    assert main(["--steps", "60", "--no-plots", "--no-timing", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Summary" and lines[-1].startswith("   whole demo ")
    assert all(len(line) <= 100 for line in lines)
    text = " ".join(line.strip() for line in lines)   # lines wrapped at 100 columns, joined again
    largest = float(re.search(r"largest parameter difference nn − PyTorch over 60 steps × 8 runs: (\S+) ", text).group(1))
    assert 0 < largest < 1e-13


@pytest.mark.slow
def test_full_report_with_timing_and_figures(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["--steps", "40", "--network", "higham", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "nn.from_torch(nn.to_torch(mlp)) has the same 23 parameters bit for bit: True." in text
    assert "nn compiled (sgd_run)" in text and text.count(" µs") >= 9
    for ext, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
        assert magic in (out / f"agreement_higham.{ext}").read_bytes()[:2000]
    assert not (out / "agreement_xor.png").exists()


@pytest.mark.parametrize("argv, option", [(["--steps", "0"], "--steps"), (["--network", "mnist"], "--network"),
                                          (["--seed", "-1"], "--seed")])
def test_usage_errors(argv, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-plots"])
    assert exit_info.value.code == 2
    assert option in capsys.readouterr().err

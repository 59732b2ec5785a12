"""The many-seeds study (demos/seeds): seed i always gives run i, the runs are the paper demo's runs,
and local processes, this process and a real dask.distributed cluster give the same numbers bit for bit."""

import numpy as np
import pytest

import engine
from demos.higham import HighamNetwork, make_network, sample_order, training
from demos.higham.data import points
from demos.seeds import analysis, backend, executors, study
from demos.seeds.__main__ import fewer_seeds, main

STEPS = 1_500  # short runs: the Cost is recorded every 15 steps


def small(seeds=4, root=7, steps=STEPS, back="python"):
    return study.tasks(root, seeds, steps, 0.05, back)


def same(a, b):
    """Two studies hold identical numbers (bit for bit: array_equal on float64, no tolerance)."""
    assert np.array_equal(a.steps, b.steps)
    assert np.array_equal(a.costs, b.costs)
    assert np.array_equal(a.correct, b.correct)
    assert np.array_equal(a.parameters, b.parameters)


# ---------------------------------------------------------------------------- seeds

def test_run_i_uses_child_i_of_the_seed_sequence():
    children = np.random.SeedSequence(7).spawn(5)
    for i in (0, 3, 4):
        expected = np.random.default_rng(children[i]).standard_normal(4)
        assert np.array_equal(study.generator(7, i).standard_normal(4), expected)


def test_run_i_does_not_depend_on_how_many_runs_there_are():
    few, more = study.run_study(small(seeds=2)), study.run_study(small(seeds=4))
    assert np.array_equal(few.costs, more.costs[:2])
    assert np.array_equal(few.parameters, more.parameters[:2])
    assert not np.array_equal(more.parameters[0], more.parameters[1])  # different starts


def test_a_run_is_the_paper_demos_run_bit_for_bit():
    """Run index None is python -m demos.higham --seed 7: the same start, indices and steps as
    demos.higham.training.train_compiled (itself checked against a NumPy netbp in test_higham)."""
    task = study.reference_task(small(seeds=1)[0])
    run = study.run_one(task)
    rng = np.random.default_rng(7)
    net = HighamNetwork(make_network(rng), *points())
    order = sample_order(rng, STEPS)
    expected = training.train_compiled(net, order, 0.05, record_every=task.record_every)
    assert run.costs.tolist() == expected.costs
    assert run.parameters == expected.parameters
    assert run.correct == net.correct(expected.parameters)
    assert run.costs[-1] < run.costs[0]  # the run trains


# ---------------------------------------------------------------------------- executors

def test_local_processes_give_the_same_study_as_this_process():
    tasks = small(seeds=5)
    with executors.local(2) as (pool, workers):
        assert workers == 2
        by_pool = study.run_study(tasks, pool, reference=study.reference_task(tasks[0]))
    here = study.run_study(tasks, reference=study.reference_task(tasks[0]))
    same(by_pool, here)
    assert by_pool.reference.parameters == here.reference.parameters


def _local_cluster(**kwargs):
    distributed = pytest.importorskip("dask.distributed", reason="dask.distributed is not installed "
                                      "(the optional extra 'cluster')")
    return distributed.LocalCluster(dashboard_address=None, **kwargs)


def test_a_dask_cluster_gives_the_same_study_as_local_processes():
    """A real scheduler and worker, talking TCP over the loopback interface (worker threads in this
    process, so the test takes a fraction of a second)."""
    tasks = small(seeds=5)
    with _local_cluster(processes=False, n_workers=1, threads_per_worker=2, protocol="tcp",
                        host="127.0.0.1") as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with executors.dask(cluster.scheduler_address) as (executor, threads):
            assert threads == 2
            on_dask = study.run_study(tasks, executor)
    with executors.local(2) as (pool, _):
        local = study.run_study(tasks, pool)
    same(on_dask, local)


@pytest.mark.slow
def test_dask_worker_processes_and_the_command_line(capsys):
    """Two worker processes (as a real cluster has), reached by ``--dask ADDRESS``."""
    with _local_cluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1") as cluster:
        assert main(["--dask", cluster.scheduler_address, "--seeds", "3", "--iterations", "1000",
                     "--no-plots", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "2 Dask worker threads at tcp://127.0.0.1:" in out
    # "auto" runs numba where it is installed: the Python backend's numbers all the same
    here = study.run_study(study.tasks(7, 3, 1000, 0.05, "python"))
    assert "| 3    | python  |" in out or "| 3    | numba   |" in out
    assert f"{int(np.sum(here.correct == 10))}/3" in out
    assert f"{np.median(here.final_costs):.3g}" in out


def test_without_dask_the_error_names_the_extra(monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # makes the import fail
    with pytest.raises(executors.ExecutorUnavailable, match=r'"cluster" extra'):
        with executors.dask("tcp://127.0.0.1:1"):
            pass
    with pytest.raises(SystemExit) as exit_info:
        main(["--dask", "tcp://127.0.0.1:1", "--seeds", "2", "--iterations", "100", "--no-plots"])
    assert exit_info.value.code == 1   # a missing extra, as in every demo
    assert '"cluster" extra' in capsys.readouterr().err


def test_an_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("dask.distributed", reason="dask.distributed is not installed")
    with pytest.raises(executors.ExecutorUnavailable, match="no Dask scheduler reachable"):
        with executors.dask("tcp://127.0.0.1:9", timeout=0.5):
            pass


# ---------------------------------------------------------------------------- the backend switch

def test_the_numba_switch_passes_the_backend_keyword(monkeypatch):
    """"auto" reaches engine.compile with backend="numba" and takes it when it compiles."""
    real = engine.compile
    calls = []

    def recording_compile(output, inputs=(), params=(), *, input_grads=False, backend="python"):
        calls.append(backend)
        return real(output, inputs, params, input_grads=input_grads)

    monkeypatch.setattr(engine, "compile", recording_compile)
    monkeypatch.setattr(backend, "_compiled", {})
    assert backend.resolve("auto") == ("numba", "engine.compile(backend='numba')")
    assert calls == ["numba"]


def test_a_missing_numba_falls_back_under_auto(monkeypatch):
    def compile_without_numba(output, inputs=(), params=(), *, input_grads=False, backend="python"):
        raise ImportError("the numba backend needs numba: pip install numba")

    monkeypatch.setattr(engine, "compile", compile_without_numba)
    monkeypatch.setattr(backend, "_compiled", {})
    name, why = backend.resolve("auto")
    assert name == "python" and "pip install numba" in why
    with pytest.raises(backend.BackendUnavailable, match=r"pip install numba"):
        backend.resolve("numba")


# ---------------------------------------------------------------------------- analysis

def test_leave_steps_returned_and_sensitivity_on_known_curves():
    steps = np.arange(0, 60, 10)
    costs = np.array([[0.25, 0.13, 0.13, 0.02, 0.005, 0.001],   # leaves at 40
                      [0.25, 0.13, 0.13, 0.13, 0.13, 0.13],      # never
                      [0.25, 0.009, 0.02, 0.001, 0.001, 0.001]])  # at 10, then back above
    assert analysis.leave_steps(steps, costs, 0.01).tolist() == [40, -1, 10]
    assert analysis.returned(steps, costs, 0.01) == 1
    # at 0.0316 the first run leaves at 30, at 0.00316 at 50: 20 steps apart; the third 10 → 30
    assert analysis.sensitivity(steps, costs, 0.01) == (20.0, 20)
    assert analysis.plateau_level(steps, costs, 0.01) == (0.13, 0.13, 0.13)
    assert analysis.share_between(costs, 0.00316, 0.0316) == pytest.approx(4 / 15)
    assert analysis.counts([10, 9, 10]) == {10: 2, 9: 1}


def test_fewer_seeds_fits_the_limit():
    n = fewer_seeds(per_step=2e-6, steps=1_000_000, workers=2)  # 2 s a run: 150 waves in 300 s
    assert n == 290
    assert (n + 1) / 2 * 2.0 <= 300


# ---------------------------------------------------------------------------- the command line

def test_the_demo_reports_and_draws(tmp_path, capsys):
    assert main(["--seeds", "4", "--iterations", "2000", "--workers", "1", "--seed", "7",
                 "--out", str(tmp_path), "--curves", "3"]) == 0
    out = capsys.readouterr().out
    result = study.run_study(study.tasks(7, 4, 2000, 0.05, "python"))
    assert "4 runs of netbp.m's single-sample stochastic gradient, 2,000 steps each" in out
    assert f"{int(np.sum(result.correct == 10))} of 4 runs classify all ten points" in out
    assert f"| final Cost | {result.final_costs.min():.3g} " in out
    for stem in ("leave_steps", "cost_curves", "final_costs"):
        for ext in ("png", "svg"):
            assert (tmp_path / f"{stem}.{ext}").stat().st_size > 1000


@pytest.mark.parametrize("argv, message", [
    (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "not allowed with argument"),
    (["--seeds", "0"], "expected an integer from 1 to 10,000,000"),
    (["--threshold", "2"], "expected a number in (0, 1]"),
    (["--backend", "fortran"], "invalid choice"),
])
def test_command_line_mistakes_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-plots"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_study_too_long_is_refused_with_a_smaller_offer(monkeypatch, capsys):
    import demos.seeds.__main__ as cli
    monkeypatch.setattr(cli, "LIMIT_SECONDS", 0.05)
    with pytest.raises(SystemExit) as exit_info:
        main(["--seeds", "1000", "--iterations", "2000", "--workers", "1", "--no-plots"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "1,000 runs would take about" in err and "--yes" in err and "--seeds " in err


def test_asking_for_numba_where_it_cannot_run_stops_as_a_missing_extra(capsys, monkeypatch):
    def compile_without_numba(output, inputs=(), params=(), *, input_grads=False, backend="python"):
        if backend == "numba":
            raise ImportError("the numba backend needs numba: pip install numba")
        return real(output, inputs, params, input_grads=input_grads)

    real = engine.compile
    monkeypatch.setattr(engine, "compile", compile_without_numba)
    monkeypatch.setattr(backend, "_compiled", {})
    with pytest.raises(SystemExit) as exit_info:
        main(["--backend", "numba", "--seeds", "2", "--iterations", "100", "--no-plots"])
    assert exit_info.value.code == 1
    assert "pip install numba" in capsys.readouterr().err

@pytest.mark.parametrize("back", ["python", pytest.param("numba", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("numba") is None, reason="numba is not installed"))])
def test_a_group_of_lanes_gives_each_run_its_own_numbers_bit_for_bit(back):
    """run_study advances the runs in groups (sgd_run_lanes); each equals run_one of its task."""
    group = small(seeds=5, back=back) + [study.reference_task(small(seeds=1, back=back)[0])]
    together = study.run_group(group)
    for task, run in zip(group, together):
        alone = study.run_one(task)
        assert run.index == alone.index
        assert np.array_equal(run.costs, alone.costs) and run.parameters == alone.parameters
        assert run.correct == alone.correct

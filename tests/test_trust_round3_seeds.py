"""Issue 25, item 11: demos.seeds when workers die. A killed local worker process no longer ends the
study with a BrokenProcessPool traceback, and a Dask cluster that loses every worker no longer makes
it wait for ever: lost runs are run again where a worker remains (the same numbers, bit for bit, as
in one process), and otherwise the study stops after a bounded wait, saying which runs finished and
keeping them."""

import os
import signal
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager

import numpy as np
import pytest

from demos.seeds import executors, study
from demos.seeds.__main__ import main


def same_runs(result, here, indices=None):
    indices = list(range(len(here.tasks))) if indices is None else indices
    assert [t.index for t in result.tasks] == [here.tasks[i].index for i in indices]
    assert np.array_equal(result.costs, here.costs[indices])
    assert np.array_equal(result.parameters, here.parameters[indices])
    assert np.array_equal(result.correct, here.correct[indices])


def in_background(call):
    """Start ``call()`` in a thread; returns (thread, outcome dict with "result" or "error")."""
    outcome = {}

    def target():
        try:
            outcome["result"] = call()
        except BaseException as err:  # noqa: BLE001 (handed to the test)
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


# ---------------------------------------------------------------------------- local processes

def test_a_killed_local_worker_process_loses_nothing():
    tasks = study.tasks(7, 10, 100_000, 0.05, "python")
    here = study.run_study(tasks)
    with executors.local(2) as (pool, _):
        first = pool.pool
        victim = pool.submit(os.getpid).result()  # a worker process of this pool
        thread, outcome = in_background(lambda: study.run_study(tasks, pool))
        time.sleep(0.5)  # inside the first runs (each takes about 0.3 s)
        os.kill(victim, signal.SIGKILL)
        thread.join(120)
        assert not thread.is_alive()
        assert pool.pool is not first  # the pool did break, and a fresh one ran the lost runs
    assert "error" not in outcome, outcome.get("error")
    same_runs(outcome["result"], here)


class DyingOn:
    """Local processes where run ``index`` kills the process that runs it, every time."""

    def __init__(self, index, workers=2):
        self.processes = executors.LocalProcesses(workers)
        self.index = index

    def submit(self, fn, group):  # the study submits groups of runs (lanes)
        if any(task.index == self.index for task in group):
            return self.processes.submit(os._exit, 1)
        return self.processes.submit(fn, group)

    def __getattr__(self, name):
        return getattr(self.processes, name)


def test_runs_that_keep_killing_their_worker_stop_the_study_with_the_others_kept():
    tasks = study.tasks(7, 6, 3_000, 0.05, "python")
    here = study.run_study(tasks)
    pool = DyingOn(3)
    began = time.monotonic()
    try:
        with pytest.raises(study.StudyIncomplete) as info:
            study.run_study(tasks, pool, patience=20)
    finally:
        pool.close()
    assert time.monotonic() - began < 60
    stop = info.value
    message = str(stop)
    assert "lost" in message and "runs finished" in message and 3 in stop.missing
    kept = [t.index for t in stop.finished.tasks] if stop.finished is not None else []
    assert 3 not in kept and set(kept) | set(stop.missing) == set(range(6))
    if kept:
        same_runs(stop.finished, here, kept)


# ---------------------------------------------------------------------------- any executor: the logic

class Flaky:
    """Runs tasks here, but the first submission of each run in ``lose`` is lost with its 'worker'."""

    class Lost(Exception):
        pass

    def __init__(self, lose, always=False):
        self.lose, self.always, self.submitted = set(lose), always, []

    def submit(self, fn, group):  # the study submits groups of runs (lanes): one lost run loses its group
        self.submitted += [task.index for task in group]
        future = Future()
        lost = {task.index for task in group} & self.lose
        if lost:
            if not self.always:
                self.lose -= lost
            future.set_exception(self.Lost("worker gone"))
        else:
            future.set_result(fn(group))
        return future

    def lost(self, error):
        return isinstance(error, self.Lost)

    def alive(self):
        return 1


def test_runs_lost_with_their_worker_run_again_and_give_the_same_numbers():
    tasks = study.tasks(7, 5, 2_000, 0.05, "python")
    flaky = Flaky({1, 4})
    result = study.run_study(tasks, flaky, reference=study.reference_task(tasks[0]))
    here = study.run_study(tasks, reference=study.reference_task(tasks[0]))
    same_runs(result, here)
    assert result.reference.parameters == here.reference.parameters
    assert flaky.submitted.count(1) == 2 and flaky.submitted.count(4) == 2


def test_a_run_lost_every_time_is_given_up_after_a_few_attempts():
    tasks = study.tasks(7, 4, 2_000, 0.05, "python")
    flaky = Flaky({2}, always=True)
    with pytest.raises(study.StudyIncomplete, match=r"run 2 was lost with its worker 4 times") as info:
        study.run_study(tasks, flaky, attempts=3)
    assert flaky.submitted.count(2) == 4
    assert "3 of 4 runs finished (0-1, 3)" in str(info.value) and info.value.missing == [2]
    same_runs(info.value.finished, study.run_study(tasks), [0, 1, 3])


def test_an_executor_without_workers_is_given_up_after_the_patience():
    class Nobody:
        def submit(self, fn, task):
            return Future()  # never runs

        def alive(self):
            return 0

    began = time.monotonic()
    with pytest.raises(study.StudyIncomplete, match=r"no worker was left to run them for 1 s\. 0 of 3 runs finished "
                                                     r"\(none\) and are kept; runs 0-2 did not"):
        study.run_study(study.tasks(7, 3, 100, 0.05, "python"), Nobody(), patience=1.0)
    assert time.monotonic() - began < 10


def test_the_command_line_reports_and_keeps_the_finished_runs(tmp_path, monkeypatch, capsys):
    @contextmanager
    def losing(workers):
        yield Flaky({2}, always=True), workers

    monkeypatch.setattr(executors, "local", losing)
    code = main(["--seeds", "4", "--iterations", "1000", "--workers", "2", "--seed", "7", "--out", str(tmp_path),
                 "--no-plots", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "the study stopped: run 2 was lost with its worker" in err and "runs 2 did not" in err
    assert "Traceback" not in err
    saved = np.load(tmp_path / "finished_runs.npz")
    here = study.run_study(study.tasks(7, 4, 1000, 0.05, "python"))
    assert saved["index"].tolist() == [0, 1, 3]
    assert np.array_equal(saved["costs"], here.costs[[0, 1, 3]])


# ---------------------------------------------------------------------------- a real Dask cluster

def _cluster(n_workers):
    distributed = pytest.importorskip("dask.distributed", reason="dask.distributed is not installed "
                                      "(the optional extra 'cluster')")
    return distributed.LocalCluster(processes=False, n_workers=n_workers, threads_per_worker=1,
                                    dashboard_address=None)


def test_dask_losing_a_worker_gives_the_same_study():
    tasks = study.tasks(7, 6, 60_000, 0.05, "python")
    here = study.run_study(tasks)
    with _cluster(2) as cluster:
        with executors.dask(cluster.scheduler_address) as (workers, _):
            thread, outcome = in_background(lambda: study.run_study(tasks, workers, patience=20))
            time.sleep(0.5)
            address = next(iter(cluster.scheduler_info["workers"]))
            workers.client.retire_workers([address], close_workers=True)
            thread.join(120)
            assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    same_runs(outcome["result"], here)


class _Watched:
    """An executor as it is, with the futures it has given out in view."""

    def __init__(self, inner):
        self.inner, self.futures = inner, []

    def submit(self, fn, *args):
        future = self.inner.submit(fn, *args)
        self.futures.append(future)
        return future

    def __getattr__(self, name):  # lost, alive, renew: the executor's own
        return getattr(self.inner, name)


def test_dask_losing_every_worker_stops_in_bounded_time_and_keeps_the_finished_runs():
    tasks = study.tasks(7, 8, 150_000, 0.05, "python")
    here = study.run_study(tasks)
    with _cluster(1) as cluster:
        with executors.dask(cluster.scheduler_address) as (dask_workers, _):
            workers = _Watched(dask_workers)
            # one run a group (workers=8 of them): runs are still waiting when the worker goes
            thread, outcome = in_background(lambda: study.run_study(tasks, workers, patience=2, workers=8))
            # until a run's result has reached the study (about 0.5 s a run; a busy machine: longer),
            # so that there is a finished run to keep; a result still on the worker could go with it
            deadline = time.monotonic() + 60.0
            while time.monotonic() < deadline and not any(
                    f.done() and not f.cancelled() and f.exception() is None for f in list(workers.futures)):
                time.sleep(0.02)
            cluster.scale(0)
            began = time.monotonic()
            thread.join(60)
            assert not thread.is_alive(), "the study waits for ever"
            assert time.monotonic() - began < 30
    stop = outcome["error"]
    assert isinstance(stop, study.StudyIncomplete), stop
    assert "no worker was left to run them for 2 s" in str(stop)
    kept = [t.index for t in stop.finished.tasks]
    assert kept and len(kept) < 8 and sorted(kept + stop.missing) == list(range(8))
    same_runs(stop.finished, here, kept)


def _fails(index):
    raise ValueError(f"run {index} went wrong")


def test_on_dask_a_run_that_fails_raises_its_own_error_and_a_gone_result_counts_as_lost():
    with _cluster(1) as cluster:
        with executors.dask(cluster.scheduler_address) as (workers, _):
            assert workers.submit(sum, [1, 2, 3]).result(timeout=30) == 6
            future = workers.submit(_fails, 4)
            with pytest.raises(ValueError, match="run 4 went wrong"):
                future.result(timeout=30)
            assert not workers.lost(future.exception())   # the run's own error: not run again

            class Gone:
                """A Dask future whose run finished but whose result left with its worker."""
                status = "finished"

                def result(self, timeout=None):
                    raise OSError("the worker holding it closed")

            class Dropped:
                status = "cancelled"

            for done in (Gone(), Dropped()):
                outcome = Future()
                executors._settle(done, outcome)
                assert workers.lost(outcome.exception())
            abandoned = Future()
            abandoned.cancel()
            executors._settle(Gone(), abandoned)   # the study gave it up: nothing to carry
            assert abandoned.cancelled()


def test_on_dask_cancelling_a_run_cancels_its_task_on_the_cluster():
    with _cluster(1) as cluster:
        with executors.dask(cluster.scheduler_address) as (workers, _):
            busy = workers.submit(time.sleep, 1.0)
            waiting = workers.submit(sum, [1, 2])
            assert waiting.cancel()
            deadline = time.monotonic() + 10
            while waiting.task.status != "cancelled" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert waiting.task.status == "cancelled"
            assert busy.result(timeout=30) is None

"""Who runs the seeds: this process, local processes, or an existing Dask cluster.

Every choice is a ``concurrent.futures``-style executor (``submit`` returning futures), so the study
code is the same for all; the results do not depend on the choice (``study.run_one`` is a pure
function of its task).

* ``local(workers)``: a pool of ``workers`` processes; one worker means this process, no pool
  (``None``);
* ``dask(address)``: the Dask cluster whose scheduler is at ``address``, the optional extra
  ``cluster`` (``pip install "dask[distributed]"``). The cluster's workers must be able to import
  this project (the same version: run them from this checkout or install it there).

Workers can die (killed, out of memory, a machine switched off). Both executors say when a run was
lost with its worker (``lost``) and how many workers are left (``alive``); the study then runs the
lost runs again (on a fresh pool of local processes, or on the Dask workers that remain) and, if
no worker is left, stops after a bounded wait (``study.run_study``).
"""

import os
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from contextlib import contextmanager

EXTRA = 'pip install "dask[distributed]" (the "cluster" extra)'


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot be had here; the message says why and what to do."""


def cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LocalProcesses:
    """A pool of local processes that can be renewed: a ProcessPoolExecutor whose worker is killed
    is broken for good (every pending run fails with BrokenProcessPool), so the study asks for a
    fresh pool and submits the lost runs to it."""

    def __init__(self, workers):
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers)

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def lost(self, error):
        """True if ``error`` (from a run's future) means its worker died, not that the run failed."""
        return isinstance(error, BrokenExecutor)

    def alive(self):
        return self.workers  # new local processes can always be started

    def renew(self):
        """A fresh pool for the runs lost with a broken one."""
        old, self.pool = self.pool, ProcessPoolExecutor(max_workers=self.workers)
        old.shutdown(wait=False, cancel_futures=True)

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def local(workers):
    """(executor or None, number of workers) for ``workers`` local processes."""
    if workers == 1:
        yield None, 1
        return
    processes = LocalProcesses(workers)
    try:
        yield processes, workers
    finally:
        processes.close()


def _dask_client_class():
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ExecutorUnavailable(f"--dask needs dask.distributed, which is not installed: {EXTRA}") from err
    return Client


class WorkerLost(RuntimeError):
    """A run's outcome could not be had from the cluster: its worker (or the result it held) is gone."""


FETCH = 60.0  # seconds to fetch a finished run's result before counting it lost with its worker


class _DaskRun(Future):
    """The ``concurrent.futures`` future of one run on Dask. Cancelling it cancels the task on the
    cluster too, so that a stopped study leaves nothing running there."""

    def __init__(self, task):
        super().__init__()
        self.task = task

    def cancel(self):
        cancelled = super().cancel()
        if cancelled:
            self.task.cancel()
        return cancelled


class DaskWorkers:
    """The runs on a Dask cluster. Dask itself moves the runs of a dead worker to the others, and
    gives up on a run (KilledWorker) when the workers running it died several times; the study then
    submits it again. When no worker is left, Dask would wait for one for ever: ``alive`` lets the
    study see that.

    Each run's outcome is carried from its Dask future to a ``concurrent.futures`` one here rather
    than by ``Client.get_executor()``: that bridge raises an unrelated ValueError ("not enough values
    to unpack") when a worker leaves just after its run's result was fetched, and the study would
    then stop as if the run itself had failed."""

    def __init__(self, client):
        self.client = client

    def submit(self, fn, *args):
        task = self.client.submit(fn, *args, pure=False)  # pure=False: a run submitted again runs again
        outcome = _DaskRun(task)
        task.add_done_callback(lambda done: _settle(done, outcome))
        return outcome

    def lost(self, error):
        from distributed import KilledWorker
        return isinstance(error, (KilledWorker, WorkerLost))

    def alive(self):
        """The worker threads the scheduler knows now (0 if the scheduler cannot be reached)."""
        try:
            return sum(self.client.nthreads().values())
        except Exception:  # noqa: BLE001 (a closed connection or a dead scheduler: no workers for us)
            return 0

    def renew(self):
        pass  # the cluster reschedules by itself


def _settle(done, outcome):
    """Carry the outcome of the Dask future ``done`` to ``outcome`` (in Dask's callback thread): its
    result, the run's own error, or WorkerLost when the result or the task is gone with a worker."""
    if not outcome.set_running_or_notify_cancel():
        return  # the study no longer wants it
    try:
        if done.status == "finished":
            result = done.result(timeout=FETCH)
        elif done.status == "error":
            error = done.exception(timeout=FETCH)
            outcome.set_exception(error)
            return
        else:  # cancelled by the cluster (its client closing, the scheduler gone)
            raise WorkerLost(f"the cluster cancelled the run ({done.status})")
    except Exception as err:  # noqa: BLE001 (whatever stopped the fetch, the result is not here)
        outcome.set_exception(err if isinstance(err, WorkerLost) else
                              WorkerLost(f"the run's result could not be fetched: {type(err).__name__}: {err}"))
        return
    outcome.set_result(result)


@contextmanager
def dask(address, timeout=10):
    """(executor, number of worker threads) on the Dask cluster whose scheduler is at ``address``."""
    Client = _dask_client_class()
    try:
        client = Client(address, timeout=timeout)
    except (OSError, ValueError, TypeError) as err:
        raise ExecutorUnavailable(f"--dask {address!r}: no Dask scheduler reachable there ({err})") from err
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise ExecutorUnavailable(f"--dask {address!r}: the cluster has no workers")
        yield DaskWorkers(client), threads
    finally:
        client.close()

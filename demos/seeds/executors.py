"""Who runs the seeds: this process, local processes, or an existing Dask cluster.

Every choice is a ``concurrent.futures``-style executor (``submit`` returning futures), so the study
code is the same for all; the results do not depend on the choice (``study.run_one`` is a pure
function of its task).

* ``local(workers)``: a ``ProcessPoolExecutor`` of ``workers`` processes; one worker means this
  process, no pool (``None``);
* ``dask(address)``: ``dask.distributed.Client(address).get_executor()``, the optional extra
  ``cluster`` (``pip install 'seebackprop[cluster]'``). The cluster's workers must be able to import
  this project (the same version: run them from this checkout or install it there).
"""

import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

EXTRA = "pip install 'seebackprop[cluster]' (or: pip install 'dask[distributed]')"


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot be had here; the message says why and what to do."""


def cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def local(workers):
    """(executor or None, number of workers) for ``workers`` local processes."""
    if workers == 1:
        yield None, 1
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool, workers


def _dask_client_class():
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ExecutorUnavailable(f"--dask needs dask.distributed, which is not installed: {EXTRA}") from err
    return Client


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
        yield client.get_executor(), threads
    finally:
        client.close()

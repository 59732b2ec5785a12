"""The paper's stochastic-gradient experiment from many independent starts (issue 16).

``python -m demos.seeds --seeds N`` runs Higham & Higham's netbp.m experiment (10⁶ single-sample
steps, η = 0.05, the 2-2-3-2 sigmoid network from a 0.5·N(0, 1) draw) N times, seed i always giving
run i, on all cores or on a Dask cluster, and reports how typical the paper's single run is. It
reuses ``demos.higham`` (data, network, sample order); the parts of its own live in

* ``backend``   — the switch between engine.compile's backends (numba when the engine has it);
* ``study``     — one task per seed, a pure function of the task; any executor runs the list;
* ``executors`` — this process, local processes (concurrent.futures) or ``dask.distributed``;
* ``analysis``  — the final Cost, the plateau and the step at which a run leaves it;
* ``figures``   — histogram of the leave steps, cost curves over the median, final Costs.
"""

from . import analysis, backend, executors, study
from .study import Study, Task, run_one, run_study, tasks

__all__ = ["analysis", "backend", "executors", "study", "Study", "Task", "run_one", "run_study", "tasks"]

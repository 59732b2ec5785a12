"""What the study measures, from the recorded Cost curves.

**Leaving the plateau.** A run of netbp.m starts near Cost 0.25 (F ≈ (½, ½) everywhere), falls within
10⁴ steps to a plateau (near 0.13, for some runs a second one near 0.085), stays there for a while,
then falls by two orders of magnitude in a few ten thousand steps and creeps down to about 10⁻⁴ by
10⁶ steps. The step at which a run leaves the plateau is defined as

    the first recorded step (a multiple of 10⁴) at which the Cost is below THRESHOLD = 0.01,

a level a decade below the lowest plateau and a decade above where the runs are shortly after the
fall: in the gap the fall crosses fast, where few recorded costs lie (``share_between``). ``sensitivity``
measures how little the definition depends on it: the steps found with √10 times and 1/√10 of it.
"""

import numpy as np

THRESHOLD = 0.01
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


def leave_steps(steps, costs, threshold=THRESHOLD):
    """For each run (row of ``costs``), the first recorded step with Cost < ``threshold``; −1 for a
    run that never gets there."""
    below = costs < threshold
    first = np.argmax(below, axis=1)
    return np.where(below.any(axis=1), steps[first], -1)


def returned(steps, costs, threshold=THRESHOLD):
    """How many runs, once below ``threshold``, are above it again at a later record."""
    below = costs < threshold
    first = np.argmax(below, axis=1)
    later = np.arange(costs.shape[1])[None, :] > first[:, None]
    return int(np.sum(below.any(axis=1) & (later & ~below).any(axis=1)))


def sensitivity(steps, costs, threshold=THRESHOLD, factor=10 ** 0.5):
    """(median, largest) difference in steps between the leave step at ``threshold·factor`` and at
    ``threshold/factor``, over the runs that reach the lower level."""
    high = leave_steps(steps, costs, threshold * factor)
    low = leave_steps(steps, costs, threshold / factor)
    both = (high >= 0) & (low >= 0)
    if not both.any():
        return None
    gap = low[both] - high[both]
    return float(np.median(gap)), int(gap.max())


def share_between(costs, low, high):
    """The fraction of all recorded costs after the start (column 0 left out) in [low, high)."""
    values = costs[:, 1:]
    return float(np.mean((values >= low) & (values < high)))


def plateau_level(steps, costs, threshold=THRESHOLD, after=1):
    """(first quartile, median, third quartile) of the recorded Cost on the plateau: the records from
    index ``after`` on (the start, near 0.25, is left out) before the run first gets below
    ``threshold``; None if there are none."""
    below = np.cumsum(costs < threshold, axis=1) > 0
    on = ~below
    on[:, :after] = False
    values = costs[on]
    return tuple(float(v) for v in np.quantile(values, [0.25, 0.5, 0.75])) if values.size else None


def quantiles(values, qs=QUANTILES):
    """[(q, value)] for the quantiles ``qs`` of ``values`` (ignoring nothing: pass what counts)."""
    values = np.asarray(values, dtype=float)
    return [(q, float(np.quantile(values, q))) for q in qs]


def counts(values):
    """{value: how many} for an integer array, largest value first."""
    uniq, n = np.unique(np.asarray(values), return_counts=True)
    return dict(sorted(zip(uniq.tolist(), n.tolist()), reverse=True))

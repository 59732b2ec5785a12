"""Which samples each gradient step uses: the stochastic gradient schemes of Higham & Higham §4.

Each scheme is an endless iterator of lists of 0-based sample indices, one list per step:

* ``approach1(n, rng)``: shuffle 0..n-1 into a new order at the start of every epoch, then take the
  samples one by one (eq. 4.7): every index once per epoch;
* ``approach2(n, m, rng)``: m indices drawn uniformly at random *with replacement* for every step,
  whose gradients are averaged (eq. 4.8); m = 1 is netbp.m's "a point chosen at random". The
  draws are made 1024 steps at a time (row t of ``rng.integers(0, n, (1024, m))`` is step t);
* ``full_batch(n)``: all n samples every step: gradient descent on the whole cost.

Random numbers come only from the NumPy Generator given (or made from an int seed): a scheme made
from the same seed yields the same indices, and no global random state is touched.
"""

from __future__ import annotations

from collections.abc import Iterator

from .initializers import Seed, generator
from .checks import brief, integer




def approach1(n: int, rng: Seed = None, *, m: int = 1) -> Iterator[list[int]]:
    """Epochs: a fresh random permutation of range(n) each epoch, cut into steps of m indices
    (m = 1, the paper's Approach 1, by default; the last step of an epoch is shorter when m does
    not divide n, so that each epoch still visits every index exactly once)."""
    n = integer(n, "n")
    m = integer(m, "the batch size m")
    rng = generator(rng)
    return _epochs(n, m, rng)


def _epochs(n, m, rng):
    while True:
        order = rng.permutation(n).tolist()
        for start in range(0, n, m):
            yield order[start:start + m]


def approach2(n: int, m: int, rng: Seed = None) -> Iterator[list[int]]:
    """Mini-batches: m indices drawn uniformly from range(n) with replacement, for every step."""
    n = integer(n, "n")
    m = integer(m, "the batch size m")
    rng = generator(rng)
    return _draws(n, m, rng)


_BLOCK = 1024  # steps drawn per call to the generator: one NumPy call per step would cost more
#                than the step itself. Fixed, so a run of k steps is a prefix of a longer run.


def _draws(n, m, rng):
    while True:
        yield from rng.integers(0, n, size=(_BLOCK, m)).tolist()


def full_batch(n: int) -> Iterator[list[int]]:
    """Every step uses all n samples: plain gradient descent on the full cost."""
    n = integer(n, "n")
    return _repeat(list(range(n)))


def _repeat(indices):
    while True:
        yield list(indices)  # a fresh list each step, so a caller may change it safely


SCHEMES = ("approach1", "approach2", "full")
_ALIASES = {"epochs": "approach1", "minibatch": "approach2", "full_batch": "full", "batch": "full"}


def canonical(name):
    """The scheme's own name ("approach1", "approach2" or "full") for ``name`` or an alias."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in SCHEMES:
        raise ValueError(f"unknown sampling scheme {brief(name)}: use one of {', '.join(map(repr, SCHEMES))}")
    return key


def schedule(name: str, n: int, m: int = 1, rng: Seed = None) -> Iterator[list[int]]:
    """The scheme called ``name`` ("approach1", "approach2" or "full") for n samples and batch
    size m (ignored by "full"); ``rng`` a Generator or an int seed."""
    key = canonical(name)
    if key == "approach1":
        return approach1(n, rng, m=m)
    if key == "approach2":
        return approach2(n, m, rng)
    return full_batch(n)

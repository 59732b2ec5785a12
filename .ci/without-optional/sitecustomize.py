"""Hide the optional references from every Python process that has this folder on PYTHONPATH.

.ci/run runs the test suite first as a new user would, with none of the optional packages. The
top-level packages named in SEEBACKPROP_HIDE (comma-separated) become unfindable: Python's path
finder is wrapped so that it finds nothing under those names, so ``import torch`` raises
ModuleNotFoundError and ``importlib.util.find_spec("torch")`` is None, exactly as when the package
is not installed, while ``"torch" in sys.modules`` stays false (scikit-learn looks there). The
subprocesses the tests start (demos, notebook kernels) inherit both variables and hide them too.
On a fresh clone CI installs these packages only afterwards, so this only matters where .ci/run
runs again in a checkout whose .venv already has them.
"""

import importlib.machinery
import os
import sys

_HIDDEN = frozenset(filter(None, (p.strip() for p in os.environ.get("SEEBACKPROP_HIDE", "").split(","))))


class _PathFinderWithout:
    """Python's PathFinder, blind to the hidden top-level packages."""

    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _HIDDEN:
            return None
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, attribute):  # invalidate_caches, find_distributions, ...
        return getattr(self._finder, attribute)


if _HIDDEN:
    sys.meta_path[:] = [_PathFinderWithout(f) if f is importlib.machinery.PathFinder else f for f in sys.meta_path]

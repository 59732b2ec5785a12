"""All or nothing: setting many attributes so that Ctrl-C cannot leave half of them set.

Python runs a signal handler (Ctrl-C's KeyboardInterrupt) between bytecodes, at calls and loop
jumps, but never inside a function written in C. So a batch of writes prepared beforehand as a
``map(setattr, ...)`` and run to its end by one C call cannot be cut half way: the end of a backward
pass (the leaves' grads), an optimizer step (the parameters and the optimizer's state) and loading
parameters are each written this way, after everything new has been computed without changing
anything (an interrupt before loses only that work). No signal handler is swapped: that would cost
more than the step.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# Runs a prepared iterator to its end in C. Call it directly (``consume(prepared)``), not from a
# Python function: Python checks for a pending Ctrl-C when a Python function starts, and where a
# pass has already changed the graph, even "nothing written" would be half a pass.
consume: Callable[[Iterable[Any]], None] = collections.deque(maxlen=0).extend


def writes(objects: Iterable[Any], name: str, values: Iterable[Any]) -> Iterator[Any]:
    """The prepared writes ``obj.<name> = value`` for each pair, for ``consume``."""
    return map(setattr, objects, itertools.repeat(name), values)


def set_all(objects: Iterable[Any], name: str, values: Iterable[Any]) -> None:
    """``obj.<name> = value`` for each pair, in one C call (an interrupt before it: none written)."""
    consume(map(setattr, objects, itertools.repeat(name), values))


def set_each(objects: Iterable[Any], names: Iterable[str], values: Iterable[Any]) -> None:
    """``setattr(obj, name, value)`` for each triple, in one C call."""
    consume(map(setattr, objects, names, values))

"""All or nothing: writing many numbers so that Ctrl-C cannot leave half of them written.

An optimizer step, ``load_into`` and ``set_arrays`` change many parameter Values. An interrupt in
the middle of a Python loop would leave some parameters new and others old: a network that is
neither the one before nor the one after. Every such change is therefore made in two parts:
everything new is computed first, changing nothing (an interrupt there loses only the work), then
it is written by one C call that no signal handler can cut (``engine/core/atomic.py``, the engine's
own way of ending a backward pass).
"""

from engine.core.atomic import set_all, set_each

__all__ = ["assign", "set_all", "set_each"]


def assign(pairs):
    """Set ``v.data = x`` for every (Value, number) in ``pairs`` (a list), all or nothing."""
    set_all([v for v, _ in pairs], "data", [x for _, x in pairs])

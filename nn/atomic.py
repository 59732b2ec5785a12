"""All or nothing: writing many numbers so that Ctrl-C cannot leave half of them written.

An optimizer step, ``load_into`` and ``set_arrays`` change many parameter Values one after the
other. Python runs a SIGINT handler (the KeyboardInterrupt of Ctrl-C) between any two bytecodes,
so an interrupt in the middle of such a loop would leave some parameters new and others old: a
network that is neither the one before nor the one after. Every such change is therefore made in
two parts: everything new is computed first, changing nothing (an interrupt there loses only the
work), then ``uninterrupted`` writes it with SIGINT deferred and delivers the interrupt after the
last write. The write itself is plain assignments, which cannot fail.
"""

import signal
import threading


def uninterrupted(write, *args):
    """``write(*args)`` with Ctrl-C held back until it returns, then delivered as usual."""
    if threading.current_thread() is not threading.main_thread():
        return write(*args)  # Python runs signal handlers in the main thread only: nothing can cut in
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # ignored, the system default, or not set from Python: no exception to defer
        return write(*args)
    caught = []

    def defer(signum, frame):
        caught.append((signum, frame))

    signal.signal(signal.SIGINT, defer)  # an interrupt before this line: nothing written yet
    try:
        return write(*args)
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:  # Ctrl-C came during the write: it happens now, after the last assignment
            previous(*caught[0])


def assign(pairs):
    """Set ``v.data = x`` for every (Value, number) in ``pairs`` (a list), all or nothing."""
    uninterrupted(_assign, pairs)


def _assign(pairs):
    for v, x in pairs:
        v.data = x

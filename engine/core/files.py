"""Writing files safely: a drawing, a page or a saved module replaces at most a regular file.

A FIFO at the path would make the writer wait for a reader for ever, and a device or a socket would
be written into (as root, ``/dev/null`` itself replaced). The engine's writers (drawings, stepper
pages and frames), ``nn.save`` and the demos all check here first, so they refuse the same things
with the same words.
"""

from __future__ import annotations

import os
import stat


def kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, name in ((stat.S_ISFIFO, "named pipe (FIFO)"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return name
    return "special file"


def shown(path) -> str:
    """A path for a message: its text, cut in the middle past 200 characters."""
    text = os.fspath(path)
    text = text if isinstance(text, str) else os.fsdecode(text)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-97:]}"


def refuse_unless_regular(path, action: str = "write", advice: str = "remove it, or choose another path"):
    """``path``, after checking that it is missing or a regular file (through symbolic links: the
    file they lead to); anything else raises FileExistsError saying what it is, and is left as it is."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(mode):
        raise FileExistsError(f"cannot {action} {shown(path)}: it is a {kind(mode)}, not a regular file; "
                              f"{advice}")
    return path

"""Where the numba backend keeps its generated modules (and numba its machine code), safely.

A generated module is a real file, so that numba's ``cache=True`` keeps its machine code between
runs. Importing a file runs it, and numba's cache files are pickles: so the directory must be one
that no other user can write into. The rule:

* the directory is ``$SEEBACKPROP_CACHE_DIR`` if set, else the platform's per-user cache directory
  (``platformdirs`` where installed; ``$XDG_CACHE_HOME`` or ``~/.cache`` otherwise) + ``seebackprop/native``;
* it is created private (0700) and used only if it is a directory owned by this user that no one
  else can write into (nor any of the directories above it: a world-writable parent could swap it);
* a module file is imported only if its text is exactly the text generated now (it is named by the
  hash of that text, and checked again against it): a damaged or altered file is written again, and
  numba's cache files of a module are removed when they cannot be loaded (then compiled afresh);
* when no safe directory exists, the module is compiled in memory (no cache between runs), and a
  warning says so once. Nothing ever falls back silently to a shared directory such as /tmp.

At most ``MAX_LOADED`` generated modules stay loaded in a process (least recently used first out).
"""

import hashlib
import os
import stat
import sys
import tempfile
import warnings
from collections import OrderedDict

MAX_LOADED = 64
_loaded = OrderedDict()  # digest -> module (a namespace with the generated functions)
_warned = set()


class UnsafeCacheDir(OSError):
    """The cache directory exists but is not private to this user."""


def _default_dir():
    try:
        import platformdirs
        base = platformdirs.user_cache_dir("seebackprop")
    except ImportError:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "seebackprop")
    return os.path.join(base, "native")


def _check_private(path):
    """Raise UnsafeCacheDir unless ``path`` is a real directory, owned by this user, that no one
    else can write into, under parents that only their owners (this user or root) can change."""
    uid = os.getuid()
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeCacheDir(f"{path} is not a directory")
    if st.st_uid != uid:
        raise UnsafeCacheDir(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeCacheDir(f"{path} can be written by other users (mode {stat.S_IMODE(st.st_mode):o})")
    parent = os.path.dirname(os.path.abspath(path))
    while True:
        pst = os.stat(parent)
        sticky = pst.st_mode & stat.S_ISVTX
        if pst.st_uid not in (uid, 0) or (pst.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not sticky):
            raise UnsafeCacheDir(f"{parent}, a parent of {path}, can be changed by other users")
        up = os.path.dirname(parent)
        if up == parent:
            return
        parent = up


def cache_dir():
    """The private directory for generated modules, or None (then: compile in memory) with the
    reason given once as a warning."""
    chosen = os.environ.get("SEEBACKPROP_CACHE_DIR") or _default_dir()
    try:
        os.makedirs(chosen, mode=0o700, exist_ok=True)
        _check_private(chosen)
        if not os.access(chosen, os.W_OK | os.X_OK):
            raise UnsafeCacheDir(f"{chosen} is not writable")
        return chosen
    except OSError as e:
        if chosen not in _warned:
            _warned.add(chosen)
            warnings.warn(f"the numba backend compiles in memory (nothing is cached between runs): no "
                          f"safe cache directory ({e}); set SEEBACKPROP_CACHE_DIR to a private directory",
                          RuntimeWarning, stacklevel=4)
        return None


def digest(source):
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def _write_atomically(path, source):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)  # a damaged file is replaced whole; a reader sees old or new text
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _holds(path, source):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == source
    except (OSError, UnicodeDecodeError):
        return False


def remove_numba_cache(path):
    """Remove numba's cache files (index and machine code) of the module at ``path``."""
    folder = os.path.join(os.path.dirname(path), "__pycache__")
    stem = os.path.splitext(os.path.basename(path))[0] + "."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(stem) and name.endswith((".nbi", ".nbc")):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def load(source, execute, in_memory=False):
    """The generated module of ``source``: ``execute(source, filename, cached, name)`` runs the text
    as the module ``name`` and returns its namespace; the result is kept (at most ``MAX_LOADED``)."""
    key = digest(source) + ("m" if in_memory else "")
    module = _loaded.get(key)
    if module is not None:
        _loaded.move_to_end(key)
        return module
    folder = None if in_memory else cache_dir()
    name = f"seebackprop_native_{key}"
    if folder is None:
        module = execute(source, f"<engine.compile numba {key[:12]}>", False, name)
    else:
        path = os.path.join(folder, f"{name}.py")
        if not _holds(path, source):  # missing, damaged or altered: written again
            _write_atomically(path, source)
            remove_numba_cache(path)
        module = execute(source, path, True, name)
    _loaded[key] = module
    while len(_loaded) > MAX_LOADED:  # graphs still held keep their functions; the module goes
        old, _ = _loaded.popitem(last=False)
        sys.modules.pop(f"seebackprop_native_{old}", None)
    return module

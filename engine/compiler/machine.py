"""The numba side shared by the numba backend (``numba.py``), the tape kernel (``tape.py``) and the
lanes (``lanes.py``): finding numba, stamping generated modules with what their machine code
depends on, running a generated module as a real module, and turning a native refusal into the
eager engine's own error."""

import sys
import types

from ..runtimes import python as scalar

INSTALL = 'pip install numba (the "fast" extra)'


def require_numba():
    """The numba module, or an ImportError that names the extra to install."""
    try:
        import numba
    except ImportError:
        raise ImportError(f'engine.compile(..., backend="numba") needs numba, which is not installed: '
                          f'{INSTALL}', name="numba") from None
    return numba


def version_line():
    """Numba's cache cannot see changes in the functions a kernel calls: the text of the numba and
    Python runtimes and numba's version go into the text (so the hash) of every generated module."""
    import hashlib
    import inspect

    import numba

    from ..runtimes import numba as native
    digest = hashlib.sha256((inspect.getsource(native) + inspect.getsource(scalar)).encode()).hexdigest()[:16]
    return f"# runtimes {digest}, numba {numba.__version__}"


def execute(extra):
    def execute(source, filename, cached, name):
        # a real module, registered under its name: numba's cache finds a function's globals by
        # importing its module (cache.py takes it out of sys.modules when it is dropped)
        module = types.ModuleType(name)
        module.__file__ = filename
        module.CACHE = cached
        module.__dict__.update(extra)
        sys.modules[name] = module
        try:
            exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 (our generated text)
        except BaseException:
            del sys.modules[name]
            raise
        return module.__dict__
    return execute


def raise_eager_error(refusal):
    """Re-call the Python runtime's function that native code refused: it raises the eager error."""
    name, *args = refusal
    scalar.FUNCTIONS[name](*args)
    raise AssertionError(f"native {name}{tuple(args)} refused what the Python runtime's {name} accepts")


def module_head(title, ops, extra_lines=()):
    """The first lines of every generated numba module (the backend's, the lanes', the tape's): what
    made it, the stamp of what its machine code depends on, its imports, and the functions of the
    rules written into it from one text each: the INLINE functions, and the math functions that the
    rows ``ops`` call."""
    from ..rules.parse import rule
    from ..runtimes import numba as native
    calls = set().union(*(rule(op).calls for op in ops)) if ops else set()
    text = [f"# {title}", version_line(), *extra_lines, "", "import math", "", "import numpy as np",
            "from numba import njit", "", f"from engine.runtimes.numba import {', '.join(native.module_names())}", ""]
    text += [f"{name} = math.{fn.__name__}" for name, fn in scalar.INLINE_NAMES.items() if name != "_quotient"]
    text += ["INF = math.inf", "NAN = math.nan", "", ""]
    for name in scalar.INLINE:
        text += [native.inline_source(name), ""]
    for name in sorted(calls & set(scalar.MATH)):
        text += [native.math_source(name), ""]
    return text

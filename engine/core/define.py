"""``engine.define``: a row of your own in the operation table, with everything a built-in row gets.

    wave = engine.define("wave", ("a",), "sin(a)", ("cos(a)",))
    hyp = engine.define("hyp", ("a", "b"), "sqrt(a * a + b * b)", ("a / out", "b / out"))

The row is checked and parsed by the rule compiler (``engine/rules/parse.py``) when it is defined,
so a malformed row is refused here, naming the row and the problem. From then on it is a row like
the table's: eager value and gradient, compiled Python, NumPy and numba code, gradient graphs and
Hessians, drawings (its symbol), step tables and the stepper, copying and pickling (by name: define
the row before loading a pickled graph that uses it).
"""

import keyword

from ..rules.parse import parse_rule
from ..rules.table import BUILTIN, OPS, Op
from ..runtimes import python as scalar
from ..rules import source
from .eager import install
from .value import Value, lift_or_fail


def _check_name(name, what):
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"engine.define: {what} must be a Python identifier, got {name!r}")


def define(name, inputs, forward, partials, *, symbol=None, functions=None, doc=""):
    """Declare the row ``name`` of the operation table and return the function that applies it.

    ``inputs`` names the inputs (``("a", "b")``); ``forward`` is the expression of the result over
    them; ``partials`` one expression per input, the local derivative d(out)/d(input), written over
    the inputs and ``out`` (the result), or ``engine.term("...")``: the chain-rule contribution
    itself, written in the incoming gradient ``g`` (as the table writes ``g / b`` for a quotient).
    Rules may use numbers, ``+ - * / **``, the functions of Python's ``math`` module by name
    (``sin``, ``sqrt``, ``atan2`` ...; see ``engine.runtimes.python.MATH``), the engine's own
    (``sigmoid``, ``exp``, ``log``, ``step`` ...) and the scalar functions given as
    ``functions={"name": callable}`` (for the numba backend a function must be a numba function,
    ``numba.njit``, to be compiled; any other is refused there with a clear message).

    ``symbol`` is what drawings show (the name by default). The returned function takes Values or
    numbers (numbers become constants) and returns a Value; ``.op`` is the row.

    Defining a name again replaces your earlier row (graphs already built keep theirs); a name of
    the table's own rows is refused.
    """
    _check_name(name, "the name of the operation")
    if name in BUILTIN:
        raise ValueError(f"engine.define: {name!r} is a built-in operation of the table; choose another name")
    if isinstance(inputs, str):
        inputs = (inputs,)
    try:
        inputs = tuple(inputs)
        partials = tuple(partials) if not isinstance(partials, str) else (partials,)
    except TypeError:
        raise TypeError(f"engine.define({name!r}): inputs and partials must be sequences (tuples of "
                        f"names and of expressions)") from None
    for x in inputs:
        _check_name(x, f"engine.define({name!r}): an input name")
    if symbol is None:
        symbol = name
    if not isinstance(symbol, str) or not symbol.strip() or len(symbol) > 40:
        raise ValueError(f"engine.define({name!r}): symbol must be a short non-empty string, got {symbol!r}")
    functions = dict(functions or {})
    for fname, fn in functions.items():
        _check_name(fname, f"engine.define({name!r}): a function name")
        if fname in scalar.NAMESPACE or fname in inputs or fname in ("out", "g"):
            raise ValueError(f"engine.define({name!r}): the function name {fname!r} is taken by the "
                             f"engine's own functions or the row's names; choose another")
        if not callable(fn):
            raise TypeError(f"engine.define({name!r}): functions[{fname!r}] must be callable, got "
                            f"{type(fn).__name__}")
    op = Op(name, symbol, inputs, forward, partials, doc=str(doc), functions=functions)
    parse_rule(op)  # every check of the rule compiler, before anything is registered
    ns = source.namespace(op, Value=Value, OP=op, lift_or_fail=lift_or_fail)
    apply = source.build(source.function_source(op), ns, f"apply_{op.name}")
    install(op)
    OPS[name] = op
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = (f"{name}({', '.join(inputs)}) = {forward}, a row defined with engine.define; "
                     f"partials: {', '.join(map(str, partials))}. {doc}".strip())
    apply.op = op
    return apply

"""Each row of the table parsed once, with ``ast``, into the form every reader of the table uses.

``rule(op)`` checks a row (its syntax, its names, its number of partials) and turns each of its
expressions into ``Template``s: the expression's source with holes for the names of the row (the
inputs, ``out``, ``g``), filled by ``Template.fill`` with the names a writer chooses (``v12``,
``a.data``, a literal). Three *dialects* of each template exist:

* ``"call"``: every function called by name: NumPy, numba and gradient graphs read this one (each
  with its runtime's functions under those names);
* ``"scalar"``: Python float code, the short functions of ``runtimes.python.INLINE`` written out in
  place (no Python call), for the eager engine and the compiled Python code;
* ``"plain"`` and ``"call_plain"``: ``"scalar"`` and ``"call"`` with the chain rule's ``times(g, d)`` as
  IEEE's ``g * d`` (fast paths that redo their work exactly when a NaN shows the zero-derivative
  rule was needed).

Normalisation: in a forward rule ``x / y`` is ``divide(x, y)`` and ``x ** y`` is ``power(x, y)``
(refusing what has no value); in a partial they are ``quotient`` and ``power_d`` (IEEE's answers).
"""

import ast
import copy
from dataclasses import dataclass

from ..runtimes import python as scalar
from .table import Op, term

DIALECTS = ("call", "call_plain", "scalar", "plain")
_HOLE = "\x01"  # marks a name of the row inside a template's text (never in a rule's own text)


class RuleError(ValueError):
    """A row of the table (a user's, from engine.define) that the rule compiler cannot accept."""


class Template:
    """An expression with holes: ``parts`` alternates text and hole names, text first and last."""

    __slots__ = ("parts", "names")

    def __init__(self, text):
        self.parts = tuple(text.split(_HOLE))
        self.names = frozenset(self.parts[1::2])

    def fill(self, names):
        """The expression with each hole replaced by ``names[hole]`` (an atom: a name, an attribute,
        a parenthesised literal), so no parentheses are needed around it."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(names[parts[i]])
            out.append(parts[i + 1])
        return "".join(out)

    @property
    def text(self):
        """The expression as written in the table (holes by their names)."""
        return "".join(self.parts)

    def __repr__(self):
        return f"Template({self.text!r})"


@dataclass(frozen=True)
class Partial:
    """One partial of a row, parsed: ``kind`` is "local" (a local derivative d, applied as
    times(g, d)), "term" (the contribution itself, in g) or "none" (a constant of the operation).
    ``constant`` is 1.0, -1.0 or 0.0 for a local derivative that is that number (the chain rule
    writes ±g or 0 for it). ``local[dialect]`` is the local derivative (a term at g = 1) and
    ``contribution[dialect]`` the chain-rule contribution, both templates over the row's names and g."""

    kind: str
    source: str
    constant: object
    local: dict
    contribution: dict
    calls: frozenset = frozenset()


@dataclass(frozen=True)
class Rule:
    """A row, parsed. ``forward[dialect]`` is the forward rule (for the variadic row, its first
    summand; ``summand`` is the template of one group's term); ``partials`` one ``Partial`` per input
    name; ``calls`` the functions the row's rules call."""

    op: Op
    forward: dict
    summand: object
    partials: tuple
    uses_out: bool
    calls: frozenset


# ---------------------------------------------------------------- checking and normalising

_ALLOWED_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _parse(text, where):
    if not isinstance(text, str):
        raise RuleError(f"{where} must be a string (a Python expression), got {type(text).__name__}")
    if _HOLE in text:
        raise RuleError(f"{where}: control characters are not allowed in a rule")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise RuleError(f"{where}: {text!r} is not a Python expression ({e.msg})") from None
    return tree.body


class _Normalise(ast.NodeTransformer):
    """Checks that an expression uses only what every runtime can compute, and writes ``/`` and
    ``**`` as the runtime functions of its kind (forward or partial)."""

    def __init__(self, where, names, functions, forward):
        self.where, self.names, self.functions, self.forward = where, names, functions, forward
        self.calls = set()
        self.used = set()

    def refuse(self, node, what):
        raise RuleError(f"{self.where}: {what} ({ast.unparse(node)!r}); a rule is an expression of its "
                        f"inputs, numbers, + - * / ** and functions called by name")

    def generic_visit(self, node):
        self.refuse(node, f"{type(node).__name__} is not allowed")

    def visit_Constant(self, node):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.refuse(node, "only numbers may appear as constants")
        return ast.Constant(float(node.value))

    def visit_Name(self, node):
        if node.id in self.names:
            self.used.add(node.id)
            return ast.Name(_HOLE + node.id + _HOLE, ast.Load())
        if node.id in scalar.MATH_CONSTANTS:
            return ast.Constant(scalar.MATH_CONSTANTS[node.id])
        if node.id in self.functions:
            self.refuse(node, f"the function {node.id!r} must be called")
        allowed = ", ".join(sorted(self.names))
        raise RuleError(f"{self.where}: unknown name {node.id!r}; the names of this rule are {allowed}")

    def visit_UnaryOp(self, node):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.refuse(node, "only - and + may stand before a term")
        operand = self.visit(node.operand)
        return operand if isinstance(node.op, ast.UAdd) else ast.UnaryOp(ast.USub(), operand)

    def visit_BinOp(self, node):
        if type(node.op) not in _ALLOWED_BINOPS:
            self.refuse(node, f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, (ast.Div, ast.Pow)):
            name = {(True, ast.Div): "divide", (False, ast.Div): "quotient",
                    (True, ast.Pow): "power", (False, ast.Pow): "power_d"}[self.forward, type(node.op)]
            self.calls.add(name)
            return ast.Call(ast.Name(name, ast.Load()), [left, right], [])
        return ast.BinOp(left, node.op, right)

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.keywords:
            self.refuse(node, "a function is called by its name, with positional arguments only")
        name = node.func.id
        arity = self.functions.get(name)
        if arity is None:
            raise RuleError(f"{self.where}: unknown function {name!r}; a rule may call the functions of "
                            f"Python's math module ({', '.join(sorted(scalar.MATH))}), the engine's "
                            f"({', '.join(sorted(_ENGINE_FUNCTIONS))}) and those given in functions=")
        if arity >= 0 and len(node.args) != arity:
            raise RuleError(f"{self.where}: {name} takes {arity} argument{'s' * (arity != 1)}, "
                            f"got {len(node.args)}")
        self.calls.add(name)
        return ast.Call(ast.Name(name, ast.Load()), [self.visit(a) for a in node.args], [])


# the engine's own functions and their number of arguments (rules may call them by name)
_ENGINE_FUNCTIONS = {"exp": 1, "log": 1, "tanh": 1, "sigmoid": 1, "softplus": 1, "relu": 1, "step": 1,
                     "sign": 1, "maximum": 2, "ge": 2, "times": 2, "pow_da": 2, "pow_db": 2,
                     "divide": 2, "quotient": 2, "power": 2, "power_d": 2}
assert set(_ENGINE_FUNCTIONS) == set(scalar.OWN)


def known_functions(op):
    """{name: number of arguments (-1: any)} of the functions ``op``'s rules may call."""
    known = dict(_ENGINE_FUNCTIONS)
    known.update(scalar.MATH)
    known.update((name, -1) for name in op.functions)
    return known


# ---------------------------------------------------------------- inlining (the scalar dialects)

def _parse_inline():
    trees = {}
    for name, text in scalar.INLINE.items():
        trees[name] = ast.parse(text.format("__0", "__1"), mode="eval").body
    return trees


_INLINE = _parse_inline()


def _evaluation_order(node):
    """The Name nodes of ``node`` in the order Python evaluates them (a conditional: test first)."""
    if isinstance(node, ast.IfExp):
        for child in (node.test, node.body, node.orelse):
            yield from _evaluation_order(child)
    elif isinstance(node, ast.Name):
        yield node
    else:
        for child in ast.iter_child_nodes(node):
            yield from _evaluation_order(child)


def _atomic(node):
    return isinstance(node, (ast.Name, ast.Constant)) and not (
        isinstance(node, ast.Constant) and node.value < 0)


class _Inline(ast.NodeTransformer):
    """Writes out the calls of ``INLINE`` functions: an argument that is a name or a number goes in
    as it is; any other is evaluated once, into a temporary (``_t0`` ...) bound where the written-out
    text first evaluates it."""

    def __init__(self, plain, inline=True):
        self.plain = plain
        self.inline = inline
        self.temps = 0

    def visit_Call(self, node):
        node = self.generic_visit(node)
        name = node.func.id
        if name == "times" and self.plain:
            return ast.BinOp(node.args[0], ast.Mult(), node.args[1])
        template = _INLINE.get(name) if self.inline else None
        if template is None:
            return node
        args = {f"__{i}": arg for i, arg in enumerate(node.args)}
        body = _copy(template)
        first = {}
        for n in _evaluation_order(body):
            if n.id in args and not _atomic(args[n.id]) and n.id not in first:
                first[n.id] = n
        temps = {}
        for key in first:
            temps[key] = f"_t{self.temps}"
            self.temps += 1

        class Fill(ast.NodeTransformer):
            def visit_Name(self, n):
                if n.id not in args:
                    return n
                if n.id in temps:
                    if first[n.id] is n:
                        return ast.NamedExpr(ast.Name(temps[n.id], ast.Store()), args[n.id])
                    return ast.Name(temps[n.id], ast.Load())
                return args[n.id]

        return Fill().visit(body)


def _copy(tree):
    return copy.deepcopy(tree)


def _dialects(tree):
    """{dialect: Template} of a normalised expression."""
    out = {"call": Template(ast.unparse(tree))}
    for dialect, plain, inline in (("call_plain", True, False), ("scalar", False, True), ("plain", True, True)):
        out[dialect] = Template(ast.unparse(_Inline(plain, inline).visit(_copy(tree))))
    return out


# ---------------------------------------------------------------- a row

def _check_row(op):
    where = f"operation {op.name!r}"
    if not isinstance(op.inputs, tuple) or not op.inputs or not all(
            isinstance(x, str) and x.isidentifier() for x in op.inputs):
        raise RuleError(f"{where}: inputs must be a non-empty tuple of names, got {op.inputs!r}")
    reserved = {"out", "g"} & set(op.inputs)
    if reserved:
        raise RuleError(f"{where}: {sorted(reserved)[0]!r} cannot name an input: 'out' is the result "
                        f"and 'g' the incoming gradient in the rules")
    if len(set(op.inputs)) != len(op.inputs):
        raise RuleError(f"{where}: an input name appears twice in {op.inputs!r}")
    if not isinstance(op.partials, tuple) or len(op.partials) != len(op.inputs):
        got = len(op.partials) if isinstance(op.partials, (tuple, list)) else type(op.partials).__name__
        raise RuleError(f"{where}: {len(op.inputs)} input{'s' * (len(op.inputs) != 1)} "
                        f"{', '.join(op.inputs)} need {len(op.inputs)} partials, got {got}")


def _partial(op, i, text, known, variables):
    where = f"operation {op.name!r}, partial d(out)/d{op.inputs[i]}"
    if text is None:
        return Partial("none", "", None, {}, {})
    kind = "term" if isinstance(text, term) else "local"
    names = variables | ({"g"} if kind == "term" else set())
    norm = _Normalise(where, names, known, forward=False)
    tree = norm.visit(_parse(text, where))
    if kind == "term" and "g" not in norm.used:
        raise RuleError(f"{where}: a term(...) is the contribution itself and must use g, got {text!r}")
    g = ast.Name(_HOLE + "g" + _HOLE, ast.Load())
    if kind == "term":
        local_tree = _replace_g(_copy(tree), ast.Constant(1.0))
        local = _dialects(local_tree)
        contribution = _dialects(tree)
        constant = None
    else:
        local = _dialects(tree)
        constant = tree.value if isinstance(tree, ast.Constant) else (
            -tree.operand.value if isinstance(tree, ast.UnaryOp) and isinstance(tree.operand, ast.Constant)
            else None)
        if constant not in (1.0, -1.0, 0.0):
            constant = None
        chain = ast.Call(ast.Name("times", ast.Load()), [g, _copy(tree)], [])
        contribution = _dialects(chain)
        if constant is None:
            norm.calls.add("times")
    return Partial(kind, str(text), constant, local, contribution, frozenset(norm.calls))


def _replace_g(tree, value):
    class Replace(ast.NodeTransformer):
        def visit_Name(self, n):
            return value if n.id == _HOLE + "g" + _HOLE else n
    return Replace().visit(tree)


def parse_rule(op):
    """The parsed ``Rule`` of ``op``, or a ``RuleError`` naming the row and the problem."""
    _check_row(op)
    known = known_functions(op)
    where = f"operation {op.name!r}, forward rule"
    if op.variadic:  # "b + sum(w * x)": the fixed input's summand, then one summand per group
        body = _parse(op.forward, where)
        if not (isinstance(body, ast.BinOp) and isinstance(body.op, ast.Add) and isinstance(body.right, ast.Call)
                and isinstance(body.right.func, ast.Name) and body.right.func.id == "sum"
                and len(body.right.args) == 1):
            raise RuleError(f"{where}: a variadic rule reads 'first + sum(term)', got {op.forward!r}")
        head = _Normalise(where, {op.inputs[0]}, known, forward=True)
        first = head.visit(body.left)
        group = _Normalise(where, set(op.inputs[1:]), known, forward=True)
        summand = Template(ast.unparse(group.visit(body.right.args[0])))
        forward, calls = _dialects(first), head.calls | group.calls
        fixed, repeated = {op.inputs[0]}, set(op.inputs[1:])
        partials = tuple(_partial(op, i, p, known, (fixed if i == 0 else repeated) | {"out"})
                         for i, p in enumerate(op.partials))
    else:
        norm = _Normalise(where, set(op.inputs), known, forward=True)
        forward = _dialects(norm.visit(_parse(op.forward, where)))
        calls, summand = norm.calls, None
        partials = tuple(_partial(op, i, p, known, set(op.inputs) | {"out"}) for i, p in enumerate(op.partials))
    for p in partials:
        calls |= p.calls
    uses_out = any("out" in t.names for p in partials for t in p.contribution.values())
    return Rule(op, forward, summand, partials, uses_out, frozenset(calls))


_RULES = {}


def rule(op):
    """The parsed rule of ``op`` (parsed on first use, then kept)."""
    r = _RULES.get(op)
    if r is None:
        r = _RULES[op] = parse_rule(op)
    return r

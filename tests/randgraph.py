"""Random expression DAGs over every operation of the table, for property tests.

Every operation appears, leaves and intermediate nodes are reused (shared sub-expressions), plain
numbers stand on either side of binary operations, and arguments are kept inside each operation's
smooth domain (positive for log, a positive base for pow, a denominator away from 0), so that
finite differences are a fair reference.
"""

import random

from engine import Value, affine, topological_order

UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu", "softplus")
BINARY = ("add", "sub", "mul", "div", "pow", "powc", "max", "affine")


def _squash(v):
    return v.tanh() * 2.0  # keeps magnitudes bounded so exp/pow stay well scaled


def _positive(v):
    return v.softplus() + 0.5  # in (0.5, inf): safe for log, a base of pow, a denominator


def _away_from_kink(v):
    # relu's kink at 0 breaks finite differences; shift the argument away from it
    return v + (0.3 if v.data >= 0 else -0.3)


def random_graph(seed, n_leaves=4, n_ops=12):
    """(output, leaves) for a random DAG; deterministic in ``seed``."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"x{i}") for i in range(n_leaves)]
    pool = list(leaves)
    ops = list(UNARY + BINARY)
    rng.shuffle(ops)
    for i in range(max(n_ops, len(ops))):
        name = ops[i] if i < len(ops) else rng.choice(ops)
        a = rng.choice(pool)
        b = rng.choice(pool)  # may be a itself: the same node twice
        number = round(rng.uniform(-2.0, 2.0), 3) or 0.5
        if name == "neg":
            out = -a
        elif name == "exp":
            out = _squash(a).exp()
        elif name == "log":
            out = _positive(a).log()
        elif name in ("tanh", "sigmoid", "softplus"):
            out = getattr(a, name)()
        elif name == "relu":
            out = _away_from_kink(a).relu()
        elif name == "add":
            out = a + b if rng.random() < 0.7 else (number + a if rng.random() < 0.5 else a + number)
        elif name == "sub":
            out = a - b if rng.random() < 0.7 else (number - a if rng.random() < 0.5 else a - number)
        elif name == "mul":
            out = a * b if rng.random() < 0.7 else number * a
        elif name == "div":
            out = a / _positive(b) if rng.random() < 0.7 else number / _positive(a)
        elif name == "pow":
            out = _positive(a) ** _squash(b) if rng.random() < 0.7 else 1.7 ** _squash(b)
        elif name == "powc":
            out = a ** rng.choice([2, 3, -1]) if abs(a.data) > 0.2 else _positive(a) ** 1.5
            if abs(out.data) > 50:
                out = _squash(out)
        elif name == "max":
            # a kink where a == b: keep distinct arguments apart (the same node twice is fine)
            if a is not b and abs(a.data - b.data) < 0.1:
                b = b + (0.3 if b.data >= a.data else -0.3)
            if rng.random() < 0.3:  # a plain number as the second argument
                b = number if abs(number - a.data) >= 0.1 else a.data + 0.5
            out = a.max(b)
        else:  # affine
            k = rng.randint(1, 3)
            ws = [rng.choice(pool) for _ in range(k)]
            xs = [rng.choice(pool) if rng.random() < 0.7 else number for _ in range(k)]
            out = affine(ws, xs, rng.choice(pool) if rng.random() < 0.5 else number)
        if abs(out.data) > 20:
            out = _squash(out)
        pool.append(out)
    # combine the last few nodes so that most of the pool lies under the output
    out = pool[-1]
    for v in pool[-4:-1]:
        out = out + _squash(v)
    return out, leaves


def fresh_backward(out, leaves, gradient=1.0):
    """``out.backward()`` with the grad of every leaf in the graph first set to -0.0, the exact
    identity of IEEE addition: each then holds this pass's gradient alone, bit for bit as compiled
    code returns it (after ``zero_grad()`` a leaf holds 0.0 + that, which differs only for a
    gradient of -0.0). Leaves outside the graph keep their grad (0.0, as compiled code says)."""
    in_graph = set(topological_order(out))
    for v in leaves:
        if v in in_graph:
            v.grad = -0.0
    out.backward(gradient)

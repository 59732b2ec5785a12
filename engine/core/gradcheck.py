"""Checking the engine's gradients against central finite differences."""

from .value import Value

# The step that balances truncation error O(h^2) against rounding error O(eps/h) for central
# differences: h = eps^(1/3) ~ 6e-6, scaled by the size of the point.
_EPS_CBRT = 2.220446049250313e-16 ** (1.0 / 3.0)


def _call(f, xs):
    out = f(*[Value(x) for x in xs])
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}")
    return out


def numerical_gradient(f, point, h=None):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h of ``f`` at ``point``.

    ``f`` takes as many Values as ``point`` has numbers and returns a Value; ``point`` is a list of
    numbers or Values (their ``.data`` is used)."""
    xs = [float(p.data if isinstance(p, Value) else p) for p in point]
    grads = []
    for i, x in enumerate(xs):
        step = h if h is not None else _EPS_CBRT * max(1.0, abs(x))
        up, down = list(xs), list(xs)
        up[i] = x + step
        down[i] = x - step
        grads.append((_call(f, up).data - _call(f, down).data) / (up[i] - down[i]))
    return grads


def engine_gradient(f, point):
    """The engine's gradient of ``f`` at ``point`` (one ``backward()``)."""
    xs = [Value(float(p.data if isinstance(p, Value) else p)) for p in point]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {type(out).__name__}")
    out.backward()
    return [x.grad for x in xs]


def gradient_error(f, point, h=None):
    """The worst disagreement between the engine's gradient and central differences, each error
    scaled by max(1, |gradient|): about 1e-9 or less for a smooth ``f`` at a well-scaled point."""
    exact = engine_gradient(f, point)
    approx = numerical_gradient(f, point, h)
    return max((abs(e - a) / max(1.0, abs(e)) for e, a in zip(exact, approx)), default=0.0)

"""What a compiled graph accepts, for every backend alike: the one rule, checked before the backends
part ways.

* Numbers (inputs, parameters, ``eta``, the rows of ``sgd_run``) are accepted and converted exactly
  as ``Value()`` converts them (``engine.core.value.as_float``): ints, floats, NumPy real scalars,
  fractions, 0-d arrays; never text, ``None``, complex numbers, Decimals or Values. A sequence of
  numbers is a list, a tuple or a one-dimensional NumPy array of real numbers: not a dict, a set, a
  string or a generator.
* Parameters that are updated in place (``sgd_step``, ``sgd_run``) are a list, or a writeable
  one-dimensional float64 NumPy array; any other array (ints, float32) would lose or round the
  update and is refused.
* ``order`` (``sgd_run``) holds integers (not booleans), each a valid index of ``rows``.

The fast path checks only the containers' classes; a number that is not a float is converted by
the generated code itself (Python backend) or here (numba backend), by the same rule.
"""

import numbers

import numpy as np

from ..core.value import as_float

_F64 = np.dtype(np.float64)
# the array kinds whose elements Value() takes: signed and unsigned ints and floats; not NumPy's
# booleans (Value(np.bool_(True)) is refused, so an array of them is too), complex, text or objects
REAL_KINDS = "iuf"
_MAX_SHOWN = 40


def _describe(x):
    text = repr(x)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN - 3] + "..."
    return f"{type(x).__name__} {text}"


def numbers_of(seq, n, what):
    """``seq`` as a list of ``n`` floats, converted as ``Value()`` converts a number."""
    cls = seq.__class__
    if cls is np.ndarray:
        if seq.ndim != 1 or seq.dtype.kind not in REAL_KINDS:
            raise TypeError(f"the {what} must be a sequence of real numbers, got an array of dtype "
                            f"{seq.dtype} and shape {seq.shape}")
        seq = seq.tolist()
    elif cls is not list and cls is not tuple:
        if isinstance(seq, (list, tuple)):
            seq = list(seq)
        else:
            raise TypeError(f"the {what} must be a list, a tuple or a 1-d array of numbers, got "
                            f"{_describe(seq)}")
    if len(seq) != n:
        raise ValueError(f"expected {n} {what}, got {len(seq)}")
    return [x if x.__class__ is float else as_float(x, f"{what}[{i}]") for i, x in enumerate(seq)]


def check_in_place(p, n):
    """Parameters updated in place: a list (its numbers are checked when used) or a writeable
    1-d float64 array of ``n`` numbers."""
    if p.__class__ is list:
        if len(p) != n:
            raise ValueError(f"expected {n} parameters, got {len(p)}")
        return
    if isinstance(p, np.ndarray):
        if p.dtype != _F64 or p.ndim != 1 or not p.flags.writeable or not p.flags.c_contiguous:
            raise TypeError(f"parameters updated in place must be a list or a writeable 1-d float64 "
                            f"array; an array of dtype {p.dtype} and shape {p.shape} would lose or round "
                            f"the update: pass p.astype(float) and read the result from it")
        if p.shape[0] != n:
            raise ValueError(f"expected {n} parameters, got {p.shape[0]}")
        return
    raise TypeError(f"the parameters are updated in place: they must be a list (or a float64 array), "
                    f"got {_describe(p)}")


def eta_of(eta):
    return eta if eta.__class__ is float else as_float(eta, "eta")


def rows_of(rows, n_in):
    """``rows`` as a float64 array of shape (m, n_in), each number converted as ``Value()`` would."""
    if isinstance(rows, np.ndarray):
        if rows.dtype.kind not in REAL_KINDS:
            raise TypeError(f"rows must hold real numbers, got an array of dtype {rows.dtype}")
        if rows.ndim != 2 or rows.shape[1] != n_in:
            if rows.size == 0:
                return np.zeros((0, n_in))
            raise ValueError(f"rows must have {n_in} numbers each (shape (m, {n_in})), got shape {rows.shape}")
        return np.ascontiguousarray(rows, dtype=_F64)
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of rows of numbers (or a 2-d array), got {_describe(rows)}")
    table = []
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple, np.ndarray)) or getattr(row, "ndim", 1) != 1:
            raise TypeError(f"rows[{i}] must be a list, a tuple or a 1-d array of numbers, got {_describe(row)}")
        if len(row) != n_in:
            raise ValueError(f"rows[{i}] has {len(row)} numbers; every row needs {n_in}, one per input")
        table.append(numbers_of(row, n_in, f"rows[{i}]"))
    return np.array(table, dtype=_F64).reshape(len(table), n_in)


def order_of(order, m):
    """``order`` as an int64 array of row indices, each in range(-m, m)."""
    if isinstance(order, np.ndarray):
        if order.size == 0:
            return np.zeros(0, dtype=np.int64)
        if order.ndim != 1 or order.dtype.kind not in "iu":
            raise TypeError(f"order must be a sequence of integer row indices, got an array of dtype "
                            f"{order.dtype} and shape {order.shape}")
        idx = np.ascontiguousarray(order, dtype=np.int64)
    elif isinstance(order, (list, tuple, range)):
        idx = np.array(order) if len(order) else np.zeros(0, dtype=np.int64)
        if idx.dtype.kind not in "iu" or idx.ndim != 1:  # booleans, floats, text: say which one
            for i, k in enumerate(order):
                if isinstance(k, bool) or not isinstance(k, numbers.Integral):
                    raise TypeError(f"order must hold integer row indices: order[{i}] is {_describe(k)}")
            raise TypeError("order must be a flat sequence of integer row indices")
        idx = idx.astype(np.int64, copy=False)
    else:
        raise TypeError(f"order must be a list, a range or a 1-d array of row indices, got {_describe(order)}")
    if idx.size and (idx.min() < -m or idx.max() >= m):
        bad = idx[(idx < -m) | (idx >= m)][0]
        raise IndexError(f"order holds the row index {int(bad)}, but there are {m} rows")
    return idx

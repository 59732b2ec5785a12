"""The functions the rules are written in, once per runtime.

A rule of the operation table (``engine/rules/table.py``) calls functions by name: ``sigmoid(a)``,
``pow_da(a, b)``, ``times(g, d)``, ``sin(a)``. Each runtime defines every one of them for the numbers
it computes with:

* ``python``: Python floats, for the eager engine and the compiled Python code;
* ``numpy``: NumPy arrays, for the vectorised compiled code (``forward_array``, ``gradient_array``);
* ``numba``: numba functions, for ``engine.compile(..., backend="numba")`` (imported only when numba is);

and ``engine/higher`` defines them once more on Values, for gradients that are graphs. All follow the
formulas of ``python`` (the reference), so that a rule means the same thing everywhere;
``tests/test_layers.py`` checks that every runtime defines every function the table uses.

The functions of Python's ``math`` module that rules may use (``MATH`` in ``python``) are wrapped
once by one formula per runtime: a result that is not a real number for real arguments (NaN from
non-NaN arguments, or an infinity from finite ones where the function cannot overflow: ``acos(2)``,
``log10(0)``) raises ``DomainError``; an overflow (``cosh(1000)``) is the infinity IEEE arithmetic
gives, as ``exp`` does.
"""

"""Bad input gets a clear error that names the problem."""

import numpy as np
import pytest

from engine import DomainError, Value, affine, log


@pytest.mark.parametrize("bad", ["abc", None, [1.0], {"a": 1}, 1 + 2j, object()])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=r"Value\(\) takes a real number \(int or float\), got "
                                        + type(bad).__name__):
        Value(bad)


def test_value_of_a_value_is_refused_with_advice():
    with pytest.raises(TypeError, match="not another Value"):
        Value(Value(1.0))


def test_numbers_of_other_kinds_are_accepted():
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(7)).data == 7.0
    assert Value(np.array(2.5)).data == 2.5


@pytest.mark.parametrize("other", ["abc", [1.0], None, (1, 2)])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_value_combined_with_non_numbers(op, other):
    v = Value(1.0)  # noqa: F841 (read by the eval below)
    with pytest.raises(TypeError, match=rf"unsupported operand for {'[*][*]' if op == '**' else '[' + op + ']'}: "
                                        rf"Value and {type(other).__name__}.*a Value or a real number"):
        eval(f"v {op} other")
    with pytest.raises(TypeError):
        eval(f"other {op} v")


def test_numpy_arrays_broadcast_over_values():
    v = Value(2.0)
    out = np.array([1.0, 2.0]) * v
    assert [o.data for o in out] == [2.0, 4.0]
    out = v * np.array([1.0, 3.0])
    assert [o.data for o in out] == [2.0, 6.0]


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(DomainError, match=rf"log: the argument must be > 0, got {x!r}"):
        Value(x).log()
    with pytest.raises(ValueError):  # DomainError is a ValueError
        log(x)


def test_zero_to_a_negative_power():
    with pytest.raises(ZeroDivisionError, match=r"power: zero cannot be raised to a negative power: 0.0 \*\* -1.0"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** Value(-2.0)


def test_negative_base_fractional_exponent():
    with pytest.raises(ValueError, match=r"negative base with a fractional exponent.*-8.0 \*\* 0.5"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError):
        (-8.0) ** Value(1 / 3)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError, match=r"division by zero: 1.0 / 0.0"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        1.0 / Value(0.0)


def test_affine_length_mismatch_and_bad_items():
    with pytest.raises(ValueError, match="affine: 2 weights for 3 inputs"):
        affine([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="unsupported operand for affine: Value and str"):
        affine([Value(1.0)], ["x"])


def test_nan_input_is_kept_not_hidden():
    v = Value(float("nan"))
    assert (v * 2).data != (v * 2).data

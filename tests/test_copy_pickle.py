"""copy.deepcopy and pickle of a recorded graph (issue 25 item 13): a copy behaves as the original
(backward, _backward, local_derivatives, backward_table), constants stay constants, shared nodes stay
shared, and deep graphs copy and pickle without recursion."""

import copy
import pickle
import sys

import pytest

import engine
from engine import Value, affine, backward_table, local_derivatives, topological_order


def _recorded():
    w = [Value(0.5, label="w1"), Value(-1.25, label="w2")]
    for v in w:
        v.is_parameter = True
    x = [Value(2.0, label="x1"), 3.0]  # a plain number becomes a constant
    z = affine(w, x, 0.25)
    h = z.tanh()
    out = (h * h + h.relu() ** 3 - 2 ** w[0] + w[1].max(h) / (z.sigmoid() + 1)).softplus()
    out.label = "C"
    return out


def _copies(out):
    yield "deepcopy", copy.deepcopy(out)
    for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
        yield f"pickle{protocol}", pickle.loads(pickle.dumps(out, protocol=protocol))


def _structure(root):
    order = topological_order(root)
    index = {v: i for i, v in enumerate(order)}
    return [(v.data, v.label, v.operation, v.is_constant, getattr(v, "is_parameter", False),
             tuple(index[u] for u in v.inputs)) for v in order]


def test_a_copy_has_the_same_structure_rows_and_constants():
    out = _recorded()
    for how, dup in _copies(out):
        assert _structure(dup) == _structure(out), how
        originals = set(topological_order(out))
        assert not originals & set(topological_order(dup)), how  # a graph of its own
        assert any(v.is_constant for v in topological_order(dup))


def test_a_copy_backward_and_tables_as_the_original():
    out = _recorded()
    table = backward_table(out)
    locals_ = [local_derivatives(v) for v in topological_order(out)]
    for how, dup in _copies(out):
        assert backward_table(dup) == table, how
        assert [local_derivatives(v) for v in topological_order(dup)] == locals_, how
        dup.backward()
        assert all(v.grad == 0.0 for v in topological_order(out)), how  # the original is untouched
        out.backward()
        assert [v.grad for v in topological_order(dup)] == [v.grad for v in topological_order(out)], how
        for v in topological_order(out):
            v.grad = 0.0


def test_backward_by_hand_with_underscore_backward_on_a_copy():
    out = _recorded()
    dup = pickle.loads(pickle.dumps(out))
    out.backward()
    dup.grad = 1.0
    for v in reversed(topological_order(dup)):
        v._backward()
    assert [v.grad for v in topological_order(dup)] == [v.grad for v in topological_order(out)]


def test_shared_nodes_stay_shared_within_and_between_graphs():
    a = Value(1.5, label="a")
    h = a * a
    first, second = h + a, h * 2.0
    for dup_first, dup_second, dup_a in (copy.deepcopy([first, second, a]),
                                         pickle.loads(pickle.dumps([first, second, a]))):
        assert dup_first.inputs[0] is dup_second.inputs[0]  # h
        assert dup_first.inputs[1] is dup_a and dup_first.inputs[0].inputs == (dup_a, dup_a)
        dup_first.backward()
        dup_second.backward()
        assert dup_a.grad == (2 * 1.5 + 1) + 2 * (2 * 1.5)


def test_user_attributes_are_copied_and_copy_copy_is_shallow():
    a = Value(2.0)
    out = a * 3.0
    out.note = {"seen": [1, 2]}
    dup = copy.deepcopy(out)
    assert dup.note == {"seen": [1, 2]} and dup.note is not out.note
    assert pickle.loads(pickle.dumps(out)).note == {"seen": [1, 2]}
    shallow = copy.copy(out)
    assert shallow is not out and shallow.inputs == out.inputs and shallow.data == out.data


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_20000_node_chain_without_recursion(how):
    x = Value(0.5, label="x")
    v = x
    for i in range(10_000):  # two operations a step: a chain of 20,000 operations
        v = v * 1.0001 + 0.5 if i % 2 else (v * 0.9999).tanh()
    limit = sys.getrecursionlimit()
    dup = copy.deepcopy(v) if how == "deepcopy" else pickle.loads(pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL))
    assert sys.getrecursionlimit() == limit
    dup.backward()
    v.backward()
    dup_x = topological_order(dup)[0]
    assert dup.data == v.data and dup_x.grad == x.grad and dup_x.label == "x"
    assert len(topological_order(dup)) == len(topological_order(v)) > 30_000  # with the constants


def test_a_deep_graph_inside_a_container_and_a_second_pickle_in_a_row():
    v = Value(1.0)
    for _ in range(5_000):
        v = v + 1.0
    payload = {"loss": v, "again": [v]}
    first = pickle.loads(pickle.dumps(payload))
    assert first["loss"] is first["again"][0] and first["loss"].data == 5001.0
    second = pickle.loads(pickle.dumps(v))  # nothing is left over from the first pickle
    assert second.data == 5001.0


def test_a_user_row_pickles_by_name():
    sq = engine.define("t25_square", ("a",), "a * a", ("2.0 * a",))
    a = Value(3.0)
    dup = pickle.loads(pickle.dumps(sq(a) + a))
    assert dup.inputs[0].operation is sq.op
    dup.backward()
    assert dup.inputs[1].grad == 7.0


def test_pickles_in_pythons_default_form_still_load():
    """Graphs pickled before Value had its own __reduce_ex__ (Python's default form for a class
    with __slots__) load as they did."""
    import io

    class DefaultForm(pickle.Pickler):
        def reducer_override(self, obj):
            return object.__reduce_ex__(obj, 2) if type(obj) is Value else NotImplemented

    a = Value(2.0, label="a")
    out = a * 3.0 + a
    out.note = "kept"
    buffer = io.BytesIO()
    had = "__slotnames__" in Value.__dict__
    try:
        DefaultForm(buffer, protocol=2).dump(out)
    finally:  # the default form caches the slot names on the class, where help(Value) would show them
        if not had:
            type.__delattr__(Value, "__slotnames__")
    old = pickle.loads(buffer.getvalue())
    old.backward()
    assert old.note == "kept" and old.data == 8.0
    assert old.inputs[1].grad == 4.0 and old.inputs[0].inputs[1].is_constant

"""Training through compiled graphs: the same steps as ``nn.train``, bit for bit, much faster.

A training step has the same graph for every sample: the network on the inputs, the loss against
the targets, averaged over a batch of m samples. ``CompiledLoss`` records that graph once, with
leaves standing for the inputs and targets (holding a real sample's numbers, so that a loss that
checks its targets sees valid ones), and compiles it with ``engine.compile``. A step then runs
generated straight-line code instead of building Values: the same operations in the same order as
the eager engine, so the parameters follow the eager run exactly.

Two things could make the recorded graph wrong for some step, and both are handled:

* **Dropout.** Its masks are random leaves. They are recorded as inputs of the graph, and every
  step (and every cost evaluation) draws fresh ones from each layer's own generator, in the order
  the eager pass draws them: the same numbers as eager training.
* **A graph that depends on the data** (a loss or a model that branches on a value, or treats a
  target differently when it is a Value). ``check`` compares, sample by sample, the graph the eager
  engine builds with the recorded one (the same operations, wired the same way, the same constants,
  each stand-in leaf holding that sample's number); any difference is refused with an error, before
  a step is taken. It runs in the eager pass that computes the initial cost, so it costs one
  comparison per node. A graph that changes only later in training, because the model branches on
  its parameters' values, cannot be seen there: such a model needs ``compiled=False``.
"""

import math
import operator
import struct

from engine import CompileError, Value, compile, topological_order

from . import dropout, losses
from .optim import SGD


class RecordingError(ValueError):
    """The loss or the model cannot be recorded once for all samples; the message says why."""


def _name(fn):
    name = getattr(fn, "__name__", None)
    return name[:60] if isinstance(name, str) else type(fn).__name__


def _same_number(a, b):
    return struct.pack("<d", a) == struct.pack("<d", b)


class CompiledLoss:
    """The batch cost (1/m) Σ_k C(model(x_k), y_k) of ``model`` over m samples, compiled.

    ``inputs``/``targets`` are the data set as ``nn.train`` prepares it (lists of floats, one per
    sample); they fix the shapes of the recorded graph.
    """

    def __init__(self, model, loss_fn, inputs, targets, batch_size=1):
        self.model = model
        self.loss_fn = loss_fn
        self.params = model.parameters()
        self.nin = len(inputs[0])
        self.scalar_target = not hasattr(targets[0], "__len__")
        self.nout = 1 if self.scalar_target else len(targets[0])
        self.rows = [tuple(x) + ((y,) if self.scalar_target else tuple(y))
                     for x, y in zip(inputs, targets)]
        self.calls = None  # [(dropout layer, mask size)] of one sample's forward pass
        self.single = batch_size == 1  # every step takes one sample: sgd_run can fuse many steps
        self._graphs = {}
        self._template = None
        self.graph = self.graph_for(batch_size)
        self._sample_cost = self.graph_for(1).forward

    # ------------------------------------------------------------------ recording

    def _record_sample(self, row):
        """(cost Value, leaves: inputs, targets, then mask leaves) of one sample, recorded on leaves
        holding ``row``'s numbers, without drawing any dropout mask."""
        x = [Value(v, label=f"x_{i + 1}") for i, v in enumerate(row[:self.nin])]
        y = [Value(v, label=f"y_{j + 1}") for j, v in enumerate(row[self.nin:])]
        with dropout.calls(draw=False) as made:
            cost = self.loss_fn(self.model(x), y[0] if self.scalar_target else y)
        if cost.__class__ is not Value:
            raise RecordingError(f"the loss {_name(self.loss_fn)} returned {type(cost).__name__}, not a Value")
        calls = [(layer, len(masks)) for layer, masks in made]
        if self.calls is None:
            self.calls = calls
        elif calls != self.calls:
            raise RecordingError("the model's dropout layers are called differently from one pass to the next")
        return cost, x + y + [m for _, masks in made for m in masks]

    def graph_for(self, m):
        """The compiled batch cost over m samples (recorded on first use: Approach 1 may end an
        epoch with a shorter batch)."""
        if m in self._graphs:
            return self._graphs[m]
        try:
            leaves, terms = [], []
            for k in range(m):
                cost, sample_leaves = self._record_sample(self.rows[k % len(self.rows)])
                terms.append(cost)
                leaves += sample_leaves
                if self._template is None:
                    self._template = (cost, sample_leaves)
            graph = compile(losses.mean(terms), leaves, self.params)  # one term: as it is, as nn.train
        except RecordingError as err:
            raise RecordingError(self._cannot(str(err))) from None
        except (CompileError, TypeError, ValueError, AttributeError, IndexError, KeyError) as err:
            raise RecordingError(self._cannot(
                f"called on leaf Values standing for the inputs and targets, as compiled code needs, "
                f"it raised {type(err).__name__}")) from err
        self._graphs[m] = graph
        return graph

    def _cannot(self, why):
        return (f"compiled=True cannot record the loss {_name(self.loss_fn)} on this model once for all "
                f"samples: {why}. A loss that needs its targets as plain numbers (a class index, as "
                f"'softmax_ce' does) or a model that needs plain-number inputs can only run eagerly: "
                f"use compiled=False")

    # ------------------------------------------------------------------ the check

    def check(self, inputs, targets, cost_of):
        """The initial cost (1/N) Σ_i C_i, computed eagerly by ``cost_of(x, y)`` exactly as
        ``nn.train.full_cost`` does (same draws, same sum), while checking that each sample's
        eager graph is the recorded one with that sample's numbers in its leaves. A difference is
        raised after the pass, so that a loss refusing some sample's data speaks first."""
        root, leaves = self._template
        data = leaves[:self.nin + self.nout]
        index = {id(v): ("data", j) for j, v in enumerate(data)}
        index.update((id(v), ("mask", k)) for k, v in enumerate(leaves[self.nin + self.nout:]))
        index.update((id(v), ("param", None)) for v in self.params)
        params = {id(v) for v in self.params}
        folds = {}

        def folded(r, row):
            """The number compiled code computes for the data-only node r on ``row``: where the
            eager pass, given plain numbers, computed it as a plain number (1 − y)."""
            if id(r) not in folds:
                folds[id(r)] = compile(r, data).forward
            return folds[id(r)](row[:len(data)], [])

        data_only = _data_only(root, index)
        plan = _plan(root, params)
        total = 0.0
        refusal = None
        for i, (x, y, row) in enumerate(zip(inputs, targets, self.rows)):
            with dropout.calls(draw=True) as made:
                cost = cost_of(x, y)
            total += cost.data
            if refusal is not None:
                continue
            masks = [m for _, ms in made for m in ms]
            if [(layer, len(ms)) for layer, ms in made] != self.calls:
                why = "its dropout layers are called differently"
            else:
                why = _difference(root, cost, row, masks, index, params, data_only,
                                  lambda r, row=row: folded(r, row), plan)
            if why is not None:
                refusal = RecordingError(
                    f"compiled=True cannot train this model with the loss {_name(self.loss_fn)}: the graph "
                    f"the eager engine builds for sample {i + 1} is not the graph recorded once for all "
                    f"samples ({why}). The model or the loss chooses its operations from the data (a "
                    f"branch on a value, or on whether a target is a number or a Value), which compiled "
                    f"code cannot follow: use compiled=False")
        if refusal is not None:
            raise refusal
        return total / len(inputs)

    # ------------------------------------------------------------------ running

    def masks(self):
        """A fresh mask for every dropout call of one sample's pass, as that pass would draw them."""
        out = ()
        for layer, size in self.calls:
            out += tuple(float(d) for d in layer.sample(1, size)[0])
        return out

    def row(self, k):
        """Sample k's numbers for the compiled graph, with fresh masks when the model has dropout."""
        return self.rows[k] + self.masks() if self.calls else self.rows[k]

    def batch_row(self, indices):
        row = ()
        for k in indices:
            row += self.row(k)
        return row

    def fused_sgd(self, optimizer):
        """True when the optimizer's step is exactly p ← p − lr ∇C on all of the model's parameters,
        in their order: the update that the generated ``sgd_step`` performs."""
        return (type(optimizer) is SGD and optimizer.momentum == 0.0 and optimizer.weight_decay == 0.0
                and len(optimizer.params) == len(self.params)
                and all(a is b for a, b in zip(optimizer.params, self.params)))

    def full_cost(self, p):
        """(1/N) Σ_i C_i, summed in the same order as ``nn.train.full_cost``: the same bits (and
        with dropout, the same masks, drawn sample after sample)."""
        total = 0.0
        cost = self._sample_cost
        for k in range(len(self.rows)):
            total += cost(self.row(k), p)
        return total / len(self.rows)


def _data_only(root, index):
    """The ids of the recorded graph's operation nodes computed from data and constants only (no
    parameter, no mask): what an eager pass on plain numbers may have computed as plain numbers."""
    out = set()
    for v in topological_order(root):
        if v.is_leaf:
            continue
        ok = True
        for u in v.inputs:
            kind = index.get(id(u))
            if kind is not None and kind[0] != "data" or kind is None and not u.is_leaf and id(u) not in out:
                ok = False
                break
        if ok:
            out.add(id(v))
    return out


def _difference(template, root, row, masks, index, params, data_only, folded, plan):
    """None if the eager graph under ``root`` is the recorded ``template`` with ``row``'s numbers
    in the stand-in leaves and ``masks`` in the mask leaves; otherwise what differs, in words.

    The walk pairs nodes from the two roots down. Operation nodes must pair one to one (the same
    sharing, so the same order of accumulation in the backward pass); a stand-in leaf may pair with
    several leaves of the eager graph, which makes a constant of each use of a plain number, and a
    node computed from data alone may pair with the plain number the eager pass computed instead,
    if compiled code computes the same number (``folded``)."""
    paired, back = {}, {}
    stack = [(template, root)]
    pop = stack.pop
    while stack:
        r, f = pop()
        if r is f:  # one Value in both graphs, a parameter most often: nothing to compare
            continue
        kind = index.get(id(r))
        if kind is not None:
            what, j = kind
            if what == "param":
                if f is not r:
                    return "another node where the recorded graph has a parameter"
            elif what == "mask":
                if f is not masks[j]:
                    return "another node where the recorded graph has a dropout mask"
            elif not f.is_leaf or id(f) in params:
                return f"a computed node ({f.op}) where the recorded graph has an input or a target"
            elif not _same_number(f.data, row[j]):
                return (f"the number {f.data!r} where the recorded graph has the sample's input or target "
                        f"{row[j]!r}")
            continue
        if r.is_leaf:  # a constant of the recorded graph: compiled code keeps its number for ever
            if not f.is_leaf or id(f) in params:
                return "a computed node where the recorded graph has a constant"
            if not _same_number(r.data, f.data):
                return (f"a number that changes from sample to sample ({r.data!r} when recorded, "
                        f"{f.data!r} here), which compiled code would keep fixed")
            continue
        if f.is_leaf and id(r) in data_only and id(f) not in params:
            value = folded(r)
            if not _same_number(value, f.data):
                return f"the number {f.data!r} where compiled code computes {value!r} from the sample's data"
            continue
        seen = paired.get(id(r))
        if seen is not None:
            if seen is not f:
                return "a node used in several places where the recorded graph has separate ones"
            continue
        if id(f) in back:
            return "separate nodes where the recorded graph uses one node in several places"
        operation, ins_r, n, fixed, pick, fixed_values, free = plan[id(r)]
        if f.operation is not operation:
            shown = "a constant" if f.is_leaf else f"operation {f.op!r}"
            return f"{shown} where the recorded graph has operation {r.op!r}"
        ins_f = f.inputs
        if len(ins_f) != n:
            return f"operation {f.op!r} with {len(ins_f)} inputs where the recorded one has {n}"
        # the inputs that are parameters, compared at once (a tuple compares its items by identity
        # first, and a Value equals only itself): most of a network's edges come from its weights
        if fixed and (pick(ins_f) != fixed_values if pick else ins_f[fixed[0]] is not fixed_values[0]):
            return "another node where the recorded graph has a parameter"
        paired[id(r)] = f
        back[id(f)] = r
        for i in free:
            stack.append((ins_r[i], ins_f[i]))
    return None


def _plan(root, params):
    """For each operation node of the recorded graph: (operation, inputs, how many, the positions
    of the inputs that are parameters, a getter of those, the parameters there, the others)."""
    plan = {}
    for v in topological_order(root):
        if v.is_leaf:
            continue
        ins = v.inputs
        fixed = [i for i, u in enumerate(ins) if id(u) in params]
        free = [i for i, u in enumerate(ins) if id(u) not in params]
        pick = operator.itemgetter(*fixed) if len(fixed) > 1 else None
        plan[id(v)] = (v.operation, ins, len(ins), fixed, pick, tuple(ins[i] for i in fixed), free)
    return plan


def all_finite(numbers):
    return all(map(math.isfinite, numbers))

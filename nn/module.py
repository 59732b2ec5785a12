"""Neurons, layers and multilayer perceptrons: micrograd's shape, Higham & Higham's notation.

Structure as in micrograd, so its users' code runs: ``mlp.layers``, ``layer.neurons``,
``neuron.w`` (a list of Values), ``neuron.b``; ``parameters()`` goes layer by layer, neuron by
neuron, weights then bias. Names as in the paper: layers are numbered from 2 (layer 1 is the
input), parameter Values are labelled ``W[l][j,k]`` and ``b[l][j]`` (1-based), and a forward pass
labels the nodes it creates ``z[l]_j`` (weighted input, eq. 5.2) and ``a[l]_j`` (activation, 5.3).
The paper's matrix view is there too: ``layer.W`` (rows = neurons), ``layer.b``, as Values or
as NumPy arrays (``W_array()``, ``mlp.arrays()``), and ``set_arrays`` to load them.

Each neuron computes z[l]_j as ONE engine node, ``affine(w, x, b)``, then one activation node, so
a forward pass through the Higham network creates 14 operation nodes (plus one leaf per input) and
a graph drawing reads like eq. (5.2).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from engine import Value, affine
from engine.core.value import Operand

from .activations import Activation, display_name, resolve
from .atomic import assign
from .initializers import Seed, check_init, draw, source
from .checks import brief, describe, integer


# ---------------------------------------------------------------------------- input checking




def _check_input(x, expected, who):
    """Raise the clear error for an input that is not a sequence of ``expected`` numbers or Values;
    return quietly if it is one. Called off the fast path: for anything but a list of the right
    length, or after something has failed."""
    if isinstance(x, (str, bytes, Value, dict, set)) or not hasattr(x, "__len__") or np.ndim(x) > 1:
        raise TypeError(f"{who} expects a list of {expected} numbers or Values, got {describe(x)}")
    if len(x) != expected:
        raise ValueError(f"{who} expects {expected} inputs, got {len(x)}")
    for k, xk in enumerate(x, 1):
        if not isinstance(xk, (Value, numbers.Real)):
            raise TypeError(f"{who} input {k} is {describe(xk)}: expected a number or a Value")


def _as_float_array(value, shape, name, column_ok=False) -> np.ndarray:
    """``value`` as a float array of ``shape`` (also (n, 1) for a bias if ``column_ok``), with
    real, finite entries; a clear ValueError naming the array otherwise."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if column_ok and arr.shape == (shape[0], 1):
        arr = arr[:, 0]
    if arr.shape != shape:
        extra = f" or {(shape[0], 1)}" if column_ok else ""
        raise ValueError(f"{name} must have shape {shape}{extra}, got shape {arr.shape}")
    arr = arr.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():  # say where, not the whole array: a 1,000 × 1,000 one would be a 20 MB message
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"at {where[0] if len(where) == 1 else where} " if where else ""
        raise ValueError(f"{name} must be finite: {int(bad.sum())} of its {arr.size} entries are not, the "
                         f"first {at}is {float(arr[where])!r}")
    return arr


# ---------------------------------------------------------------------------- modules


def parameter(x, label):
    """A weight or a bias: a leaf Value marked ``is_parameter``, which drawings and step tables read
    to tell parameters from inputs (the engine never guesses it from a label)."""
    v = Value(float(x), label=label)
    v.is_parameter = True
    return v

class Module:
    """Base class: anything that owns parameters (micrograd's ``Module``, with names)."""

    if TYPE_CHECKING:  # every module of nn defines it, and so does a model of your own that you train
        def __call__(self, x: Any) -> Any: ...

    def parameters(self) -> list[Value]:
        """The parameter Values, in a fixed order."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, Value)] in ``parameters()`` order. The base class names a parameter by its
        label, or p1, p2 ... when it has none; Neuron, Layer and MLP use W[l][j,k] and b[l][j]."""
        return [(p.label or f"p{i}", p) for i, p in enumerate(self.parameters(), 1)]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0: ``backward()`` adds into the parameters' grads (as in
        PyTorch and micrograd), so call this between training steps."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        return len(self.parameters())

    def summary(self) -> str:
        return f"{type(self).__name__}: {self.num_parameters()} parameters"

    def __str__(self):
        return self.summary()

    HTML_PARAMETERS = 200  # parameters listed in the notebook view; past that, the first ones only

    def _repr_html_(self):
        """How Jupyter shows a module: its summary table, and its parameters (data, grad) folded;
        past ``HTML_PARAMETERS`` of them only the first ones (a 79,500-parameter MLP would
        otherwise make a page of 13 MB), with a line that says how to see them all."""
        from engine.display.jupyter import html_table
        title, headers, rows = self._summary_rows()
        named = self.named_parameters()
        shown = named[:self.HTML_PARAMETERS]
        params = [(str(name)[:60], repr(p.data), repr(p.grad)) for name, p in shown]
        more = ""
        if len(named) > len(shown):
            more = (f"<p>the first {len(shown):,} of {len(named):,} parameters; all of them: "
                    f"<code>named_parameters()</code></p>")
        return (html_table(headers, rows[:100], caption=title)
                + f"<details><summary>{len(named):,} parameters: data and grad</summary>"
                + html_table(["parameter", "data", "grad"], params) + more + "</details>")

    def _summary_rows(self):
        """(title, headers, rows) of the summary as a table (Layer and MLP: one row per layer)."""
        return self.summary(), ["module", "parameters"], [(type(self).__name__, self.num_parameters())]


class Neuron(Module):
    """One neuron j of layer l: a[l]_j = activation(z[l]_j), z[l]_j = b[l]_j + Σ_k W[l]_jk x_k.

    ``weights`` and ``bias`` give the parameters directly; otherwise they are drawn by ``init``
    from ``rng`` (weights first, then the bias; see ``nn.initializers``). Calling it on a list of
    ``nin`` numbers or Values returns a Value. micrograd's ``Neuron(nin, nonlin=True)`` is
    accepted as it is: ``nonlin`` True is ReLU, False is linear.
    """

    def __init__(self, nin: int, activation: Activation | bool = None, *, nonlin: bool | None = None,
                 layer: int = 2, index: int = 1, init: str | None = None, rng: Seed = None,
                 weights: Sequence[float] | np.ndarray | None = None, bias: float | np.ndarray | None = None) -> None:
        self.nin = integer(nin, "nin")
        self.layer = integer(layer, "layer number", 2)
        self.index = integer(index, "neuron index")
        activation = _activation_or_nonlin(activation, nonlin, "relu")
        name, self._act = resolve(activation)
        self.activation = name if name is not None else activation
        init = check_init(init, rng)
        if weights is None or bias is None:
            W, b = draw(init, source(rng) if init != "zeros" else None, 1, self.nin)
            weights = W[0] if weights is None else weights
            bias = b[0] if bias is None else bias
        where = f"neuron {self.index} of layer {self.layer}"
        weights = _as_float_array(weights, (self.nin,), f"the weights of {where}")
        bias = _as_float_array(bias, (), f"the bias of {where}")
        l, j = self.layer, self.index
        self.w = [parameter(v, f"W[{l}][{j},{k}]") for k, v in enumerate(weights, 1)]
        self.b = parameter(bias, f"b[{l}][{j}]")
        # Labels are made once here, not on every call: a forward pass only assigns them.
        self._z_label = f"z[{l}]_{j}"
        self._a_label = f"a[{l}]_{j}"

    def __call__(self, x: Sequence[Operand] | np.ndarray) -> Value:
        try:
            z = affine(self.w, x, self.b)
        except (TypeError, ValueError):
            _check_input(x, len(self.w), f"neuron {self.index} of layer {self.layer}")
            raise
        z.label = self._z_label
        act = self._act
        if act is None:  # linear: z is the output
            return z
        a = act(z)
        a.label = self._a_label
        return a

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def named_parameters(self) -> list[tuple[str, Value]]:
        l, j = self.layer, self.index
        return ([(f"W[{l}][{j},{k}]", w) for k, w in enumerate(self.w, 1)]
                + [(f"b[{l}][{j}]", self.b)])

    def summary(self) -> str:
        return (f"neuron {self.index} of layer {self.layer}: {len(self.w)} inputs, "
                f"{display_name(self.activation)}, {self.num_parameters()} parameters")

    def __repr__(self):
        return (f"Neuron({len(self.w)}, activation={_activation_repr(self.activation)}, "
                f"layer={self.layer}, index={self.index})")


class Layer(Module):
    """Layer l of a network: ``nout`` neurons reading the same ``nin`` inputs.

    Calling it returns a list of ``nout`` Values, or a single Value when ``nout == 1`` (as
    micrograd does). The paper's view: ``W`` (rows = neurons) and ``b``, as Values; ``W_array()``
    and ``b_array()`` as NumPy arrays; ``set_arrays(W, b)`` to load them. micrograd's
    ``Layer(nin, nout, nonlin=False)`` is accepted as it is.
    """

    def __init__(self, nin: int, nout: int, activation: Activation | bool = None, *, nonlin: bool | None = None,
                 layer: int = 2, init: str | None = None, rng: Seed = None) -> None:
        self.nin = integer(nin, "nin")
        self.nout = integer(nout, "nout")
        self.number = integer(layer, "layer number", 2)
        activation = _activation_or_nonlin(activation, nonlin, "relu")
        init = check_init(init, rng)
        W, b = draw(init, source(rng) if init != "zeros" else None, self.nout, self.nin)
        self.neurons = [Neuron(self.nin, activation, layer=self.number, index=j + 1,
                               weights=W[j], bias=b[j]) for j in range(self.nout)]
        self.activation = self.neurons[0].activation
        # the inputs of layer l are a[l-1]; those of layer 2 are the network's inputs x
        name = "x_" if self.number == 2 else f"a[{self.number - 1}]_"
        self._input_labels = [f"{name}{k}" for k in range(1, self.nin + 1)]

    def __call__(self, x: Sequence[Operand] | np.ndarray) -> Value | list[Value]:
        if (x.__class__ is not list and x.__class__ is not tuple) or len(x) != self.nin:
            _check_input(x, self.nin, f"layer {self.number}")
        try:  # numbers become shared input leaves, as in MLP.__call__
            x = [v if v.__class__ is Value else Value(v, label)
                 for v, label in zip(x, self._input_labels)]
        except TypeError:
            _check_input(x, self.nin, f"layer {self.number}")
            raise
        out = []
        for n in self.neurons:  # a loop, as in MLP.__call__
            out.append(n(x))
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        # a loop rather than a nested comprehension, at half the cost: zero_grad() calls this on
        # every step of a training loop written micrograd's way
        ps: list[Value] = []
        for n in self.neurons:
            ps += n.parameters()
        return ps

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for n in self.neurons for item in n.named_parameters()]

    # the paper's view -----------------------------------------------------------

    @property
    def W(self) -> list[list[Value]]:
        """W[l] as a list of rows of Values: row j holds the weights of neuron j."""
        return [list(n.w) for n in self.neurons]

    @property
    def b(self) -> list[Value]:
        """b[l] as a list of Values."""
        return [n.b for n in self.neurons]

    def W_array(self) -> np.ndarray:
        """W[l] as a NumPy array of shape (nout, nin)."""
        return np.array([[w.data for w in n.w] for n in self.neurons], dtype=float).reshape(
            self.nout, self.nin)

    def b_array(self) -> np.ndarray:
        """b[l] as a NumPy array of shape (nout,)."""
        return np.array([n.b.data for n in self.neurons], dtype=float)

    def set_arrays(self, W: ArrayLike, b: ArrayLike) -> None:
        """Set W[l] (shape (nout, nin)) and b[l] (shape (nout,) or (nout, 1)) from arrays.

        Both are checked (shape, real finite numbers) before anything changes; the parameter
        Values keep their identity, so optimizers holding them see the new numbers."""
        W, b = self._checked_arrays(W, b)
        self._assign(W, b)

    def _checked_arrays(self, W, b):
        l = self.number
        return (_as_float_array(W, (self.nout, self.nin), f"W[{l}]"),
                _as_float_array(b, (self.nout,), f"b[{l}]", column_ok=True))

    def _pairs(self, W, b):
        """[(parameter Value, new number)] for checked arrays, in ``parameters()`` order."""
        pairs = []
        for n, row, bj in zip(self.neurons, W.tolist(), b.tolist()):
            pairs += zip(n.w, row)
            pairs.append((n.b, bj))
        return pairs

    def _assign(self, W, b):
        assign(self._pairs(W, b))  # all or nothing, even under Ctrl-C

    def summary(self) -> str:
        return _table(*self._summary_rows())

    def _summary_rows(self):
        return (f"Layer {self.number}: {self.nin} inputs, {self.nout} neurons", *_layer_rows([self]))

    def __repr__(self):
        return (f"Layer({self.nin}, {self.nout}, activation={_activation_repr(self.activation)}, "
                f"layer={self.number})")


class MLP(Module):
    """A multilayer perceptron: ``nin`` inputs, then layers of ``nouts[0]``, ``nouts[1]`` ...
    neurons. Hidden layers use ``activation``, the last layer ``output_activation`` (micrograd's
    defaults: ReLU hidden layers, a linear output).

    ``mlp.layers[k]`` has the paper's number k + 2; ``mlp.layer(l)`` finds it by number. Calling
    the network on ``nin`` numbers or Values returns a list of Values, or a single Value when
    the last layer has one neuron. The Higham & Higham network (23 parameters)::

        MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)
    """

    def __init__(self, nin: int, nouts: Iterable[int], activation: Activation = "relu",
                 output_activation: Activation = "linear", *, init: str | None = None, rng: Seed = None) -> None:
        self.nin = integer(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(f"nouts must be a list of layer sizes such as [2, 3, 2], got {describe(nouts)}")
        self.nouts = [integer(n, "a layer size") for n in nouts]
        if not self.nouts:
            raise ValueError("nouts must name at least one layer, e.g. [2, 3, 2]")
        self.init = check_init(init, rng)
        rng = source(rng) if self.init != "zeros" else None  # one source, layer after layer
        sizes = self.sizes
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], activation if i < last else output_activation,
                             layer=i + 2, init=self.init, rng=rng) for i in range(len(self.nouts))]
        self.activation = self.layers[0].activation if last > 0 else resolve_name(activation)
        self._input_labels = self.layers[0]._input_labels
        self.output_activation = self.layers[-1].activation

    @property
    def sizes(self) -> list[int]:
        """[n_1, n_2, ..., n_L]: the input size, then the number of neurons of each layer."""
        return [self.nin] + list(self.nouts)

    def __call__(self, x: Sequence[Operand] | np.ndarray) -> Value | list[Value]:
        # a list or a tuple of the right length goes straight on (its items are checked as they
        # become leaves); anything else is checked first (1.6 µs, a tenth of a Higham step)
        if (x.__class__ is not list and x.__class__ is not tuple) or len(x) != self.nin:
            _check_input(x, self.nin, "MLP")
        try:
            # Plain numbers become input leaves x_k once, shared by all neurons of layer 2 (the
            # engine would otherwise make one constant per neuron): a smaller graph that draws
            # like the paper's network. Values given by the caller are used as they are.
            a = [v if v.__class__ is Value else Value(v, label)
                 for v, label in zip(x, self._input_labels)]
            for layer in self.layers:
                # a loop, not a comprehension: in CPython 3.11 each comprehension is a function
                # call of its own, 0.15 µs per layer on every forward pass
                out = []
                for n in layer.neurons:
                    out.append(n(a))
                a = out
        except TypeError:
            _check_input(x, self.nin, "MLP")  # blame the input if it is to blame
            raise
        return a[0] if len(a) == 1 else a

    def layer(self, l: int) -> Layer:
        """The Layer with paper number ``l`` (2 .. L; layer 1 is the input)."""
        L = len(self.layers) + 1
        if isinstance(l, bool) or not isinstance(l, numbers.Integral) or not 2 <= l <= L:
            raise IndexError(f"this MLP has layers 2 to {L} (layer 1 is the input), got {brief(l)}")
        return self.layers[l - 2]

    def parameters(self) -> list[Value]:
        ps: list[Value] = []
        for layer in self.layers:  # a loop, as Layer.parameters
            ps += layer.parameters()
        return ps

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [item for layer in self.layers for item in layer.named_parameters()]

    def arrays(self) -> dict[str, np.ndarray]:
        """{"W[2]": array, "b[2]": array, "W[3]": ...}: the paper's weight matrices and bias vectors."""
        out = {}
        for layer in self.layers:
            out[f"W[{layer.number}]"] = layer.W_array()
            out[f"b[{layer.number}]"] = layer.b_array()
        return out

    def set_arrays(self, arrays: dict[str, Any]) -> None:
        """Set weights and biases from a dict like the one ``arrays()`` returns. Any subset of the
        keys may be given; every array is checked before any parameter changes."""
        if not isinstance(arrays, dict):
            raise TypeError(f"set_arrays takes a dict such as {{'W[2]': ..., 'b[2]': ...}}, got {describe(arrays)}")
        known = {f"{kind}[{layer.number}]" for layer in self.layers for kind in "Wb"}
        unknown = [k for k in arrays if k not in known]
        if unknown:
            raise ValueError(f"unknown keys {unknown}: this MLP has {sorted(known)}")
        checked = []
        for layer in self.layers:
            l = layer.number
            W = arrays.get(f"W[{l}]", layer.W_array())
            b = arrays.get(f"b[{l}]", layer.b_array())
            checked.append((layer, *layer._checked_arrays(W, b)))
        assign([pair for layer, W, b in checked for pair in layer._pairs(W, b)])  # all or nothing

    def summary(self) -> str:
        return _table(*self._summary_rows())

    def _summary_rows(self):
        title = f"MLP {'-'.join(str(n) for n in self.sizes)}: {self.num_parameters()} parameters"
        return (title, *_layer_rows(self.layers, nin=self.nin))

    def __repr__(self):
        return (f"MLP({self.nin}, {self.nouts}, activation={_activation_repr(self.activation)}, "
                f"output_activation={_activation_repr(self.output_activation)})")


def _activation_or_nonlin(activation, nonlin, default):
    """The activation from ours (``activation=``) or micrograd's ``nonlin`` (True: ReLU, False:
    linear), which may also come as the positional argument ``Neuron(2, False)``."""
    if nonlin is not None:
        if activation is not None:
            raise TypeError(f"give the activation either as activation= or as micrograd's nonlin=, "
                            f"not both (got activation={brief(activation)}, nonlin={brief(nonlin)})")
        activation = nonlin
    if activation is None:
        return default
    if isinstance(activation, (bool, np.bool_)):
        return "relu" if activation else "linear"
    return activation


def resolve_name(activation):
    name, _ = resolve(activation)
    return name if name is not None else activation


def _activation_repr(activation):
    return repr(activation) if isinstance(activation, str) else display_name(activation)


def _layer_rows(layers, nin=None):
    """(headers, rows) of the summary table: one row per layer, in the paper's numbering."""
    rows = []
    if nin is not None:
        rows.append(("1", str(nin), "", "", "(input)", ""))
    total = 0
    for layer in layers:
        count = layer.nout * (layer.nin + 1)
        total += count
        rows.append((str(layer.number), str(layer.nout), f"{layer.nout}x{layer.nin}",
                     str(layer.nout), display_name(layer.activation), str(count)))
    rows.append(("total", "", "", "", "", str(total)))
    return ("layer", "neurons", "W[l]", "b[l]", "activation", "parameters"), rows


def _table(title, headers, rows):
    """The summary table as aligned text."""
    rows = [tuple(headers)] + rows
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = [title]
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [r[c].rjust(widths[c]) for c in (1, 2, 3)]
        cells += [r[4].ljust(widths[4]), r[5].rjust(widths[5])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)

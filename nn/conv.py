"""Convolution, max pooling and their companions, made of Values: Higham & Higham §7 in miniature.

An image is a list of channels, each a list of rows of Values (or numbers): ``x[c][i][j]``, the
layout (C, H, W) of PyTorch. Every layer returns the same layout, except ``Flatten``, which
returns one list in (c, i, j) order, ready for a fully connected ``nn.Layer``.

* ``Conv2d``: ``out_channels`` filters of k × k × C weights scan the image (stride 1, no padding),
  so channel f at position (r, s) is ONE affine node (eq. 5.2 with a patch as input)

      z[l]_f(r,s) = b[l][f] + Σ_c Σ_i Σ_j W[l][f,c,i,j] x_c(r+i−1, s+j−1),

  the same Values W[l][f,...] and b[l][f] at every position: weight sharing is literally shared
  nodes of the graph (each weight has one edge to every output of its filter). It is PyTorch's
  conv2d (a cross-correlation: the filter is not flipped).
* ``MaxPool2d``: the maximum of each non-overlapping size × size window, m[l]_f(r,s), as a chain of
  the engine's ``max`` in reading order, so at a tie the gradient goes to the first maximum of the
  window, as in PyTorch's max_pool2d; rows and columns that do not fill a window are dropped.
* ``ReLU``: a[l]_f(r,s) = max(0, ·) entry by entry (also on a flat list: a[l]_j).
* ``Flatten``: the channels' entries as one list, no new nodes.

Labels use 1-based indices, as the rest of nn: the weight of filter 1, channel 1, row 2, column 3
of layer 2 is ``W[2][1,1,2,3]``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike

from engine import Value, affine
from engine import max as vmax
from engine.core.value import Operand

from .checks import describe, integer
from .initializers import Seed, check_init, draw, generator
from .atomic import assign
from .module import Module, _as_float_array, parameter

# what the layers take: x[c][i][j], channels of rows of numbers or Values (or a NumPy array of shape (C, H, W))
Image = Union[Sequence[Sequence[Sequence[Operand]]], np.ndarray]


def _image(x, channels, who, input_label) -> list[list[list[Value]]]:
    """``x`` as a list of ``channels`` (None: any number) lists of equally long rows, numbers
    lifted to leaves labelled ``input_label(c, i, j)``; a clear error for anything else."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (str, bytes, Value)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who} takes an image as a list of channels of rows (C × H × W), got {describe(x)}")
    if channels is None:  # a layer that takes any number of channels
        if not len(x):
            raise ValueError(f"{who} takes an image of at least one channel, got an empty list")
        channels = len(x)
    if len(x) != channels or not channels:
        raise ValueError(f"{who} takes {channels} channel{'s' * (channels != 1)}, got {len(x)}")
    shape = None
    out = []
    for c, channel in enumerate(x, 1):
        if isinstance(channel, (str, bytes, Value, numbers.Real)) or not hasattr(channel, "__len__") or \
                not all(hasattr(row, "__len__") and not isinstance(row, (str, bytes)) for row in channel):
            raise TypeError(f"{who}: channel {c} must be a list of rows of numbers or Values, got "
                            f"{describe(channel)}")
        this = (len(channel), len(channel[0]) if len(channel) else 0)
        if any(len(row) != this[1] for row in channel) or (shape is not None and this != shape):
            raise ValueError(f"{who}: every channel must be a rectangle of the same shape "
                             f"(channel {c} has rows of lengths {sorted({len(r) for r in channel})})")
        if not all(this):
            raise ValueError(f"{who}: channel {c} is empty ({this[0]} rows of {this[1]} entries): an image "
                             f"has at least one row and one column")
        shape = this
        rows = []
        for i, row in enumerate(channel, 1):
            lifted = []
            for j, v in enumerate(row, 1):
                if v.__class__ is not Value:
                    if isinstance(v, bool) or not isinstance(v, numbers.Real):
                        raise TypeError(f"{who}: entry ({c}, {i}, {j}) is {describe(v)}: expected a number "
                                        f"or a Value")
                    v = Value(float(v), input_label(c, i, j))
                lifted.append(v)
            rows.append(lifted)
        out.append(rows)
    return out


def _pixel_label(layer, channels):
    if layer == 2:
        return (lambda c, i, j: f"x({i},{j})") if channels == 1 else (lambda c, i, j: f"x_{c}({i},{j})")
    return lambda c, i, j: f"a[{layer - 1}]_{c}({i},{j})"


class Conv2d(Module):
    """Layer l: ``out_channels`` filters of ``kernel_size`` × ``kernel_size`` over ``in_channels``.

    Parameters are drawn by ``init`` (default "pytorch": U(−1/√n, 1/√n), n = C k², PyTorch's own
    default) from ``rng``, filter by filter, all weights before all biases (nn.Layer's order); as
    NumPy arrays: ``W_array()`` of shape (F, C, k, k) and ``b_array()``, loaded by ``set_arrays``.
    ``parameters()`` lists filter 1's weights in (c, i, j) order, its bias, then filter 2 ...
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, layer: int = 2,
                 init: str | None = "pytorch", rng: Seed = None) -> None:
        self.in_channels = integer(in_channels, "in_channels")
        self.out_channels = integer(out_channels, "out_channels")
        self.kernel_size = k = integer(kernel_size, "kernel_size")
        self.number = l = integer(layer, "layer number", 2)
        init = check_init(init)
        C, F = self.in_channels, self.out_channels
        W, b = draw(init, generator(rng) if init != "zeros" else None, F, C * k * k)
        self.filters = [[parameter(W[f, n], f"W[{l}][{f + 1},{c + 1},{i + 1},{j + 1}]")
                         for n, (c, i, j) in enumerate(np.ndindex(C, k, k))] for f in range(F)]
        self.biases = [parameter(b[f], f"b[{l}][{f + 1}]") for f in range(F)]
        self._input_label = _pixel_label(l, C)

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        x = _image(x, self.in_channels, f"conv layer {self.number}", self._input_label)
        k, l = self.kernel_size, self.number
        H, W = len(x[0]), len(x[0][0])
        if H < k or W < k:
            raise ValueError(f"conv layer {self.number}: a {k} × {k} filter does not fit an image of "
                             f"{H} × {W}")
        # the patch under the filter at (r, s), in the filter's (c, i, j) order
        patches = [[[x[c][r + i][s + j] for c in range(self.in_channels) for i in range(k) for j in range(k)]
                    for s in range(W - k + 1)] for r in range(H - k + 1)]
        out = []
        for f, (w, b) in enumerate(zip(self.filters, self.biases), 1):
            channel = []
            for r, row in enumerate(patches, 1):
                zs = []
                for s, patch in enumerate(row, 1):
                    z = affine(w, patch, b)
                    z.label = f"z[{l}]_{f}({r},{s})"
                    zs.append(z)
                channel.append(zs)
            out.append(channel)
        return out

    def parameters(self) -> list[Value]:
        return [p for w, b in zip(self.filters, self.biases) for p in w + [b]]

    def W_array(self) -> np.ndarray:
        k = self.kernel_size
        return np.array([[w.data for w in ws] for ws in self.filters]).reshape(
            self.out_channels, self.in_channels, k, k)

    def b_array(self) -> np.ndarray:
        return np.array([b.data for b in self.biases])

    def set_arrays(self, W: ArrayLike, b: ArrayLike) -> None:
        """Load filters of shape (F, C, k, k) and biases of shape (F,) (e.g. a torch conv's).

        Both are checked as ``Layer.set_arrays`` checks its arrays (shape, real and finite
        numbers) before anything changes; then every parameter is written at once (all or
        nothing, even under Ctrl-C)."""
        k, l, F = self.kernel_size, self.number, self.out_channels
        W = _as_float_array(W, (F, self.in_channels, k, k), f"the filters W[{l}] of conv layer {l}")
        b = _as_float_array(b, (F,), f"the biases b[{l}] of conv layer {l}")
        pairs: list[tuple[Value, float]] = []
        for ws, row, bias, bf in zip(self.filters, W.reshape(F, -1).tolist(), self.biases, b.tolist()):
            pairs += zip(ws, row)
            pairs.append((bias, bf))
        assign(pairs)

    def summary(self) -> str:
        k = self.kernel_size
        return (f"layer {self.number}: convolution, {self.out_channels} filters "
                f"{k}×{k}×{self.in_channels}, {self.num_parameters()} parameters")

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, {self.kernel_size}, "
                f"layer={self.number})")


class MaxPool2d(Module):
    """The maximum of each ``size`` × ``size`` window (stride ``size``), labelled m[l]_f(r,s)."""

    def __init__(self, size: int = 2, *, layer: int = 2) -> None:
        self.size = integer(size, "pool size")
        self.number = integer(layer, "layer number", 2)

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        x = _image(x, None, f"max-pool layer {self.number}", _pixel_label(self.number, 2))
        q, l = self.size, self.number
        H, W = len(x[0]) // q, len(x[0][0]) // q
        if H == 0 or W == 0:
            raise ValueError(f"max-pool layer {self.number}: a {q} × {q} window does not fit an image of "
                             f"{len(x[0])} × {len(x[0][0])}")
        out = []
        for f, channel in enumerate(x, 1):
            pooled = []
            for r in range(H):
                row = []
                for s in range(W):
                    window = [channel[q * r + i][q * s + j] for i in range(q) for j in range(q)]
                    m = vmax(*window) if len(window) > 1 else window[0]
                    if len(window) > 1:
                        m.label = f"m[{l}]_{f}({r + 1},{s + 1})"
                    row.append(m)
                pooled.append(row)
            out.append(pooled)
        return out

    def summary(self) -> str:
        return f"layer {self.number}: max pooling {self.size}×{self.size}, stride {self.size}"

    def __repr__(self):
        return f"MaxPool2d({self.size}, layer={self.number})"


class ReLU(Module):
    """max(0, ·) on every entry of an image (a[l]_f(r,s)) or of a flat list (a[l]_j)."""

    def __init__(self, *, layer: int = 2) -> None:
        self.number = integer(layer, "layer number", 2)

    def __call__(self, x: Sequence[Any] | np.ndarray) -> list[Any]:
        l = self.number
        if hasattr(x, "__len__") and len(x) and not hasattr(x[0], "__len__"):  # a flat list
            return [_relu(v, f"a[{l}]_{j}") for j, v in enumerate(x, 1)]
        x = _image(x, None, f"ReLU layer {l}", _pixel_label(l, 2))
        return [[[_relu(v, f"a[{l}]_{f}({r},{s})") for s, v in enumerate(row, 1)]
                 for r, row in enumerate(channel, 1)] for f, channel in enumerate(x, 1)]

    def summary(self) -> str:
        return f"layer {self.number}: ReLU"

    def __repr__(self):
        return f"ReLU(layer={self.number})"


def _relu(v, label):
    a = (v if v.__class__ is Value else Value(v)).relu()
    a.label = label
    return a


class Flatten(Module):
    """An image (C × H × W) as one list, in (c, i, j) order as torch.flatten; no new nodes (plain
    numbers become leaves, as every layer makes them)."""

    def __call__(self, x: Image) -> list[Value]:
        if hasattr(x, "__len__") and not isinstance(x, (str, bytes, Value)) and len(x) and \
                all(isinstance(v, (Value, numbers.Real)) for v in x):
            raise TypeError(f"flatten takes an image (a list of channels of rows, C × H × W), got a flat "
                            f"list of {len(x)} entries: it is flat already, leave the Flatten out")
        x = _image(x, None, "flatten", _pixel_label(2, 2))
        return [v for channel in x for row in channel for v in row]

    def summary(self) -> str:
        return "flatten"

    def __repr__(self):
        return "Flatten()"

"""Independent implementations of one Higham SGD step, for the speed table.

* ``StraightLine``: hand-written straight-line Python for this one 2-2-3-2 network: the practical
  limit of plain Python (every formula of Lemma 5.1 written out by hand).
* ``NumpyNetbp``: a port of the paper's netbp.m update with NumPy arrays.
* ``Micrograd``: micrograd 0.1.0 from PyPI with a sigmoid added in its own style.
* ``Torch``: PyTorch eager in float64 on one thread with torch.optim.SGD.

Each takes the flat parameter list (nn's order) and runs ``steps(ks)``; ``parameters()`` returns
the flat list afterwards, so the rows can be checked against each other.
"""

import math

import numpy as np

from .common import ETA, X, Y, arrays_from_flat, flat_parameters


class StraightLine:
    name = "plain Python, straight-line code for this network"

    def __init__(self, flat):
        self.p = list(flat)

    def steps(self, ks):
        exp = math.exp
        (w211, w212, b21, w221, w222, b22,
         w311, w312, b31, w321, w322, b32, w331, w332, b33,
         w411, w412, w413, b41, w421, w422, w423, b42) = self.p
        eta = ETA
        for k in ks:
            x1, x2 = X[k]
            y1, y2 = Y[k]
            # forward: z[l] = W[l] a[l-1] + b[l], a[l] = sigmoid(z[l])
            a21 = 1.0 / (1.0 + exp(-(b21 + w211 * x1 + w212 * x2)))
            a22 = 1.0 / (1.0 + exp(-(b22 + w221 * x1 + w222 * x2)))
            a31 = 1.0 / (1.0 + exp(-(b31 + w311 * a21 + w312 * a22)))
            a32 = 1.0 / (1.0 + exp(-(b32 + w321 * a21 + w322 * a22)))
            a33 = 1.0 / (1.0 + exp(-(b33 + w331 * a21 + w332 * a22)))
            a41 = 1.0 / (1.0 + exp(-(b41 + w411 * a31 + w412 * a32 + w413 * a33)))
            a42 = 1.0 / (1.0 + exp(-(b42 + w421 * a31 + w422 * a32 + w423 * a33)))
            # backward, Lemma 5.1: delta[L] = s'(z) (a - y), delta[l] = s'(z) W^T delta[l+1]
            d41 = a41 * (1.0 - a41) * (a41 - y1)
            d42 = a42 * (1.0 - a42) * (a42 - y2)
            d31 = a31 * (1.0 - a31) * (w411 * d41 + w421 * d42)
            d32 = a32 * (1.0 - a32) * (w412 * d41 + w422 * d42)
            d33 = a33 * (1.0 - a33) * (w413 * d41 + w423 * d42)
            d21 = a21 * (1.0 - a21) * (w311 * d31 + w321 * d32 + w331 * d33)
            d22 = a22 * (1.0 - a22) * (w312 * d31 + w322 * d32 + w332 * d33)
            # update: dC/dw[l]_jk = delta[l]_j a[l-1]_k, dC/db[l]_j = delta[l]_j
            w411 -= eta * d41 * a31; w412 -= eta * d41 * a32; w413 -= eta * d41 * a33; b41 -= eta * d41
            w421 -= eta * d42 * a31; w422 -= eta * d42 * a32; w423 -= eta * d42 * a33; b42 -= eta * d42
            w311 -= eta * d31 * a21; w312 -= eta * d31 * a22; b31 -= eta * d31
            w321 -= eta * d32 * a21; w322 -= eta * d32 * a22; b32 -= eta * d32
            w331 -= eta * d33 * a21; w332 -= eta * d33 * a22; b33 -= eta * d33
            w211 -= eta * d21 * x1; w212 -= eta * d21 * x2; b21 -= eta * d21
            w221 -= eta * d22 * x1; w222 -= eta * d22 * x2; b22 -= eta * d22
        self.p = [w211, w212, b21, w221, w222, b22,
                  w311, w312, b31, w321, w322, b32, w331, w332, b33,
                  w411, w412, w413, b41, w421, w422, w423, b42]

    def parameters(self):
        return list(self.p)


class NumpyNetbp:
    name = "NumPy, hand-derived netbp port"

    def __init__(self, flat):
        a = arrays_from_flat(flat)
        self.W = [a["W[2]"], a["W[3]"], a["W[4]"]]
        self.b = [a["b[2]"].reshape(-1, 1), a["b[3]"].reshape(-1, 1), a["b[4]"].reshape(-1, 1)]
        self.X = [np.array(x, dtype=float).reshape(2, 1) for x in X]
        self.Y = [np.array(y, dtype=float).reshape(2, 1) for y in Y]

    def steps(self, ks):
        W2, W3, W4 = self.W
        b2, b3, b4 = self.b
        for k in ks:
            x, y = self.X[k], self.Y[k]
            a2 = 1.0 / (1.0 + np.exp(-(W2 @ x + b2)))
            a3 = 1.0 / (1.0 + np.exp(-(W3 @ a2 + b3)))
            a4 = 1.0 / (1.0 + np.exp(-(W4 @ a3 + b4)))
            d4 = a4 * (1 - a4) * (a4 - y)
            d3 = a3 * (1 - a3) * (W4.T @ d4)
            d2 = a2 * (1 - a2) * (W3.T @ d3)
            W2 -= ETA * d2 @ x.T; W3 -= ETA * d3 @ a2.T; W4 -= ETA * d4 @ a3.T
            b2 -= ETA * d2; b3 -= ETA * d3; b4 -= ETA * d4

    def parameters(self):
        arrays = {}
        for l, W, b in zip((2, 3, 4), self.W, self.b):
            arrays[f"W[{l}]"], arrays[f"b[{l}]"] = W, b.ravel()
        return flat_parameters(arrays)


class Micrograd:
    name = "micrograd 0.1.0 (PyPI) + sigmoid in its style"

    def __init__(self, flat):
        from micrograd.engine import Value
        from micrograd.nn import MLP

        if not hasattr(Value, "sigmoid"):
            def sigmoid(self):
                s = 1.0 / (1.0 + math.exp(-self.data))
                out = Value(s, (self,), "sigmoid")

                def _backward():
                    self.grad += s * (1.0 - s) * out.grad
                out._backward = _backward
                return out
            Value.sigmoid = sigmoid
        self.model = MLP(2, [2, 3, 2])
        for layer in self.model.layers:  # sigmoid everywhere, as the paper's network
            for n in layer.neurons:
                n.nonlin = False
        for p, x in zip(self.model.parameters(), flat):
            p.data = x

    def steps(self, ks):
        model = self.model
        params = model.parameters()
        for k in ks:
            a = X[k]
            for layer in model.layers:
                a = [sum((wi * xi for wi, xi in zip(n.w, a)), n.b).sigmoid() for n in layer.neurons]
            y = Y[k]
            cost = 0.5 * ((a[0] - y[0]) ** 2 + (a[1] - y[1]) ** 2)
            model.zero_grad()
            cost.backward()
            for p in params:
                p.data -= ETA * p.grad

    def parameters(self):
        return [p.data for p in self.model.parameters()]


class Torch:
    name = "PyTorch eager, float64, 1 thread, torch.optim.SGD"

    def __init__(self, flat):
        import torch
        torch.set_num_threads(1)
        self.torch = torch
        a = arrays_from_flat(flat)
        self.params = []
        for l in (2, 3, 4):
            self.params += [torch.tensor(a[f"W[{l}]"], dtype=torch.float64, requires_grad=True),
                            torch.tensor(a[f"b[{l}]"], dtype=torch.float64, requires_grad=True)]
        self.opt = torch.optim.SGD(self.params, lr=ETA)
        self.X = [torch.tensor(x, dtype=torch.float64) for x in X]
        self.Y = [torch.tensor(y, dtype=torch.float64) for y in Y]

    def steps(self, ks):
        torch = self.torch
        W2, b2, W3, b3, W4, b4 = self.params
        for k in ks:
            x, y = self.X[k], self.Y[k]
            a = torch.sigmoid(W4 @ torch.sigmoid(W3 @ torch.sigmoid(W2 @ x + b2) + b3) + b4)
            cost = 0.5 * torch.sum((y - a) ** 2)
            self.opt.zero_grad()
            cost.backward()
            self.opt.step()

    def parameters(self):
        arrays = {}
        for l, i in zip((2, 3, 4), (0, 2, 4)):
            arrays[f"W[{l}]"] = self.params[i].detach().numpy()
            arrays[f"b[{l}]"] = self.params[i + 1].detach().numpy()
        return flat_parameters(arrays)


class NumbaStraightLine:
    """The straight-line step above, jitted by numba: the native reference (no engine involved)."""
    name = "numba, hand-written straight-line loop for this network"
    wants_arrays = True  # takes the sample indices as an int64 array, as the numba backend does

    def __init__(self, flat):
        import numba  # noqa: F401 (ImportError: the row is left out)
        self.p = np.array(flat, dtype=np.float64)
        self.rows = np.array([x + y for x, y in zip(X, Y)], dtype=np.float64)
        self.loop = _numba_loop()

    def steps(self, ks):
        self.loop(self.rows, ks, self.p, ETA)

    def parameters(self):
        return self.p.tolist()


_LOOP = []


def _numba_loop():
    if _LOOP:
        return _LOOP[0]
    import numba

    @numba.njit("void(float64[:, ::1], int64[::1], float64[::1], float64)", cache=True)
    def loop(rows, ks, p, eta):
        exp = math.exp
        (w211, w212, b21, w221, w222, b22,
         w311, w312, b31, w321, w322, b32, w331, w332, b33,
         w411, w412, w413, b41, w421, w422, w423, b42) = (
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
            p[14], p[15], p[16], p[17], p[18], p[19], p[20], p[21], p[22])
        for i in range(ks.shape[0]):
            k = ks[i]
            x1, x2, y1, y2 = rows[k, 0], rows[k, 1], rows[k, 2], rows[k, 3]
            a21 = 1.0 / (1.0 + exp(-(b21 + w211 * x1 + w212 * x2)))
            a22 = 1.0 / (1.0 + exp(-(b22 + w221 * x1 + w222 * x2)))
            a31 = 1.0 / (1.0 + exp(-(b31 + w311 * a21 + w312 * a22)))
            a32 = 1.0 / (1.0 + exp(-(b32 + w321 * a21 + w322 * a22)))
            a33 = 1.0 / (1.0 + exp(-(b33 + w331 * a21 + w332 * a22)))
            a41 = 1.0 / (1.0 + exp(-(b41 + w411 * a31 + w412 * a32 + w413 * a33)))
            a42 = 1.0 / (1.0 + exp(-(b42 + w421 * a31 + w422 * a32 + w423 * a33)))
            d41 = a41 * (1.0 - a41) * (a41 - y1)
            d42 = a42 * (1.0 - a42) * (a42 - y2)
            d31 = a31 * (1.0 - a31) * (w411 * d41 + w421 * d42)
            d32 = a32 * (1.0 - a32) * (w412 * d41 + w422 * d42)
            d33 = a33 * (1.0 - a33) * (w413 * d41 + w423 * d42)
            d21 = a21 * (1.0 - a21) * (w311 * d31 + w321 * d32 + w331 * d33)
            d22 = a22 * (1.0 - a22) * (w312 * d31 + w322 * d32 + w332 * d33)
            w411 -= eta * d41 * a31; w412 -= eta * d41 * a32; w413 -= eta * d41 * a33; b41 -= eta * d41
            w421 -= eta * d42 * a31; w422 -= eta * d42 * a32; w423 -= eta * d42 * a33; b42 -= eta * d42
            w311 -= eta * d31 * a21; w312 -= eta * d31 * a22; b31 -= eta * d31
            w321 -= eta * d32 * a21; w322 -= eta * d32 * a22; b32 -= eta * d32
            w331 -= eta * d33 * a21; w332 -= eta * d33 * a22; b33 -= eta * d33
            w211 -= eta * d21 * x1; w212 -= eta * d21 * x2; b21 -= eta * d21
            w221 -= eta * d22 * x1; w222 -= eta * d22 * x2; b22 -= eta * d22
        new = (w211, w212, b21, w221, w222, b22,
               w311, w312, b31, w321, w322, b32, w331, w332, b33,
               w411, w412, w413, b41, w421, w422, w423, b42)
        for j in range(23):
            p[j] = new[j]

    _LOOP.append(loop)
    return loop

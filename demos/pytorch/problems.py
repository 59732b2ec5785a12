"""The two networks the demo trains on both sides, each with its data, its start and its cost.

* ``higham``: Higham & Higham's 2-2-3-2 sigmoid network on the ten points of §2, parameters
  0.5·N(0, 1) and then the sample indices from one ``numpy.random.default_rng(seed)`` stream, as
  ``python -m demos.higham`` draws them; one point per step, cost C = ½‖y − F(x)‖² (eq. 5.1);
* ``xor``: Goodfellow et al.'s 2-2-1 ReLU network with a linear output on the four XOR points
  (§6.1), parameters U(−1, 1) from the seed as ``python -m demos.xor`` draws them; every step uses
  all four points, cost J = ¼ Σₓ (f*(x) − f(x))² (eq. 6.1).

Each cost is written twice, once on our Values and once on torch tensors, with the same formula.
The cost over all the data (the paper's Cost, eq. 2.6, or J) is also recorded once through our
network and compiled, to evaluate both sides' parameters after every step with one function.
"""

from dataclasses import dataclass

import numpy as np

import engine

from demos.higham.network import make_network
from demos.higham.training import sample_order
from demos.xor.learning import INIT as XOR_INIT
from demos.xor.learning import LEARNING_RATE as XOR_LR
from nn import MLP
from nn.data import higham_data, xor_data
from nn.losses import half_squared_error, mse, quadratic_cost

NAMES = ("higham", "xor")


@dataclass
class Problem:
    name: str
    title: str
    mlp: object            # our network at the start (the torch side starts from nn.to_torch(mlp))
    X: np.ndarray
    Y: np.ndarray
    order: list            # the sample index of each step (None: all samples every step)
    lr: float              # the learning rate of plain SGD (the paper's / the book's)
    cost_name: str         # the cost of one step
    total_name: str        # the cost over all the data

    def batch(self, step):
        """The sample indices of step ``step`` (0-based): one point, or all of them."""
        return range(len(self.X)) if self.order is None else (self.order[step],)

    def our_cost(self, mlp, step):
        """The cost of step ``step`` as a Value."""
        if self.order is None:
            return mse([mlp(x) for x in self._xs], self._ys)
        k = self.order[step]
        return half_squared_error(mlp(self._xs[k]), self._ys[k])

    def torch_cost(self, model, step, tensors):
        """The same cost as a torch scalar; ``tensors`` = ``self.tensors(torch)``."""
        X, Y = tensors
        if self.order is None:
            return ((Y - model(X)) ** 2).mean()
        k = self.order[step]
        return 0.5 * ((Y[k] - model(X[k])) ** 2).sum()

    def tensors(self, torch):
        return (torch.tensor(self.X, dtype=torch.float64),
                torch.tensor(self.Y.reshape(len(self.X), -1), dtype=torch.float64))

    def total_costs(self, parameters):
        """The cost over all the data at each row of ``parameters`` (shape (n, P), the order of
        ``mlp.parameters()``), from one compiled graph."""
        if self._total is None:
            mlp = self.mlp
            outputs = [mlp(x) for x in self._xs]
            total = mse(outputs, self._ys) if self.order is None else quadratic_cost(outputs, self._ys)
            self._total = engine.compile(total, [], mlp.parameters())
        return np.array([self._total.forward([], row) for row in np.asarray(parameters).tolist()])

    def __post_init__(self):
        self._xs = [list(x) for x in self.X.tolist()]
        self._ys = self.Y.tolist()
        self._total = None


def higham(seed, steps):
    X, Y = higham_data()
    rng = np.random.default_rng(seed)
    mlp = make_network(rng)                      # the weights first, then the sample indices
    order = sample_order(rng, steps).tolist()
    return Problem("higham", "Higham & Higham's 2-2-3-2 sigmoid network, one of the ten points per step",
                   mlp, X, Y, order, 0.05, "C = ½‖y − F(x)‖² of the step's point",
                   "Cost (eq. 2.6) of the ten points")


def xor(seed, steps):
    X, y = xor_data()
    mlp = MLP(2, [2, 1], activation="relu", output_activation="linear", init=XOR_INIT, rng=seed)
    return Problem("xor", "XOR: the 2-2-1 ReLU network of Goodfellow et al. §6.1, all four points per step",
                   mlp, X, y, None, XOR_LR, "J = ¼ Σ (f* − f)² of the four points",
                   "J (eq. 6.1) of the four points")


def make(name, seed, steps):
    return {"higham": higham, "xor": xor}[name](seed, steps)

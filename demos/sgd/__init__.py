"""Stochastic gradient and its variants on the Higham network (the slides' week 5).

Every method starts from the same 23 parameters (``MLP(2, [2, 3, 2], sigmoid, sigmoid,
init="normal")``, the paper's 0.5·N(0, 1) draw from a seeded NumPy generator) and gets the same
budget of *single-sample gradient evaluations*: one ∇C_{x_i} is one evaluation, so a full-batch
step costs N = 10, a step of Approach 2 with a mini-batch of m costs m, a step of Approach 1 costs 1.
The cost drawn is the paper's Cost (eq. 2.6), (1/10) Σ_i ½‖y(x_i) − F(x_i)‖², over all ten points
(netbp.m plots 20 times it).

The methods (Higham & Higham §4 and the usual variants):

* full-batch gradient descent   p ← p − η ∇Cost(p)                      ("too expensive!")
* Approach 1 (eq. 4.7)          shuffle 1..N every epoch, one sample per step
* Approach 2 (eq. 4.8)          m samples drawn with replacement per step, m = 1, 2, 5
* SGD with momentum             Approach 2, m = 1, PyTorch's heavy ball with β = 0.9 and
                                lr = η (1 − β), so that its long-run step lr / (1 − β) is plain
                                SGD's η: the comparison is about averaging the noisy gradients,
                                not about a bigger step (with lr = η it leaves the basin and
                                saturates every sigmoid at this η)
* Adam                          Approach 2, m = 1, lr 0.05, PyTorch's defaults otherwise

The runs themselves are ``nn.train``: the same code a user would call.
"""

import time
from dataclasses import dataclass

import numpy as np

from nn import SGD, Adam, MLP, higham_data, train

BUDGET = 40_000        # single-sample gradient evaluations per method
LEARNING_RATE = 1.0    # η of the plain-SGD methods (netbp.m uses 0.05 for 10⁶ steps)
MOMENTUM = 0.9
ADAM_LR = 0.05
RECORD_EVERY = 200     # evaluations between two recorded costs
TARGET_COST = 1e-2     # "solved": every point on the right side, with a margin


@dataclass(frozen=True)
class Method:
    label: str
    scheme: str          # "full", "approach1" or "approach2" (nn.sampling)
    batch_size: int      # m of Approach 2 (1 for Approach 1; ignored by "full")
    optimizer: str       # "sgd", "momentum" or "adam"
    lr: float

    def evaluations_per_step(self, n):
        return n if self.scheme == "full" else self.batch_size

    def make_optimizer(self, model):
        if self.optimizer == "sgd":
            return SGD(model, self.lr)
        if self.optimizer == "momentum":
            return SGD(model, self.lr, momentum=MOMENTUM)
        if self.optimizer == "adam":
            return Adam(model, self.lr)
        raise ValueError(f"unknown optimizer {self.optimizer!r}: use 'sgd', 'momentum' or 'adam'")


def methods(lr=LEARNING_RATE, adam_lr=ADAM_LR):
    """The seven methods compared, in the order of the table."""
    return [
        Method("full-batch gradient descent", "full", 10, "sgd", lr),
        Method("Approach 1 (shuffled epochs)", "approach1", 1, "sgd", lr),
        Method("Approach 2, m = 1", "approach2", 1, "sgd", lr),
        Method("Approach 2, m = 2", "approach2", 2, "sgd", lr),
        Method("Approach 2, m = 5", "approach2", 5, "sgd", lr),
        Method(f"SGD + momentum {MOMENTUM:g} (m = 1)", "approach2", 1, "momentum", lr * (1 - MOMENTUM)),
        Method("Adam (m = 1)", "approach2", 1, "adam", adam_lr),
    ]


def sampling_generator(seed):
    """The generator that picks the data points, independent of the initial weights' stream
    (``default_rng(seed)``): a child of ``SeedSequence(seed)``, fresh for every method."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def higham_network(seed):
    """The paper's 2-2-3-2 sigmoid network with 0.5·N(0, 1) parameters drawn from ``default_rng(seed)``."""
    return MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)


@dataclass
class Run:
    method: Method
    evaluations: np.ndarray   # single-sample gradient evaluations at each record
    costs: np.ndarray         # the paper's Cost at each record
    steps: int
    seconds: float            # wall time of the whole run (training and recording)
    final_arrays: dict        # the trained network's W[l], b[l]

    @property
    def misclassified(self):
        """How many of the ten points the trained network puts in the wrong class (F(x)₁ ≥ F(x)₂ → A)."""
        X, Y = higham_data()
        a = X
        for l in (2, 3, 4):
            with np.errstate(over="ignore"):  # e^-z = inf gives σ = 0 exactly: the right limit
                a = 1.0 / (1.0 + np.exp(-(a @ self.final_arrays[f"W[{l}]"].T + self.final_arrays[f"b[{l}]"])))
        return int(np.sum((a[:, 0] >= a[:, 1]) != (Y[:, 0] == 1.0)))

    @property
    def final_cost(self):
        return float(self.costs[-1])

    def evaluations_to(self, target=TARGET_COST):
        """Evaluations at the first record with Cost < target (None if never)."""
        below = np.nonzero(self.costs < target)[0]
        return int(self.evaluations[below[0]]) if below.size else None


def run_method(method, seed=0, budget=BUDGET, record_every=RECORD_EVERY):
    """Train a fresh Higham network with ``method`` for ``budget`` gradient evaluations."""
    X, Y = higham_data()
    per_step = method.evaluations_per_step(len(X))
    if budget < per_step:
        raise ValueError(f"a budget of {budget} evaluations is less than one step of "
                         f"{method.label} ({per_step} evaluations)")
    model = higham_network(seed)
    steps = budget // per_step
    start = time.perf_counter()
    history = train(model, X, Y, loss="quadratic", optimizer=method.make_optimizer(model),
                    scheme=method.scheme, batch_size=method.batch_size, steps=steps,
                    seed=sampling_generator(seed), record_every=max(1, record_every // per_step),
                    progress=False)
    seconds = time.perf_counter() - start
    return Run(method, np.array(history.steps) * per_step, np.array(history.costs), steps, seconds,
               model.arrays())


def compare(seed=0, budget=BUDGET, lr=LEARNING_RATE, adam_lr=ADAM_LR, record_every=RECORD_EVERY,
            on_run=None):
    """Every method from the same start; ``on_run(run)`` is called after each (for progress)."""
    runs = []
    for method in methods(lr, adam_lr):
        runs.append(run_method(method, seed, budget, record_every))
        if on_run is not None:
            on_run(runs[-1])
    return runs


def table(runs):
    """Method, η, final Cost, points misclassified, steps, evaluations to Cost < 0.01, wall time
    (every method has the same budget of evaluations, so it is not a column)."""
    from .._common import format_table
    rows = []
    for r in runs:
        reached = r.evaluations_to()
        rows.append([r.method.label, f"{r.method.lr:g}", f"{r.final_cost:.3e}", r.misclassified,
                     f"{r.steps:,}", "never" if reached is None else f"{reached:,}",
                     f"{r.seconds:.2f}"])
    return format_table(["method", "lr", "final Cost", "wrong", "steps", f"evals to < {TARGET_COST:g}",
                         "time (s)"], rows)


def plot(runs, out_dir):
    """Cost against gradient evaluations, log scale, one line per method; returns the paths."""
    from .._common import pyplot, save_figure
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    styles = ["-", "-", "--", "--", "--", "-.", ":"]
    colors = ["k", "tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for run, style, color in zip(runs, styles, colors):
        ax.semilogy(run.evaluations, run.costs, style, color=color, lw=1.8,
                    label=f"{run.method.label}: {run.final_cost:.1e}")
    ax.axhline(TARGET_COST, color="0.6", lw=0.8)
    ax.set(xlabel="single-sample gradient evaluations (a full-batch step costs 10, a mini-batch m)",
           ylabel="Cost (eq. 2.6) = (1/10) Σ ½‖y − F(x)‖²",
           title="Higham network, same start, same budget: gradient descent and its stochastic variants")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return save_figure(fig, out_dir, "sgd_variants")

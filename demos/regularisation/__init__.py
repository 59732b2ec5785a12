"""Regularisation of an over-sized network on few points (the slides' week 6).

Thirty noisy two-moons points, and an MLP 2-16-16-1 (tanh hidden layers, a linear output read as a
logit) with 337 parameters: eleven per training point, enough to draw a boundary around every
point. Trained three ways from the same initial weights (micrograd's U(−1, 1)), full batch, Adam:

* no penalty:      minimise the mean binary cross entropy  (1/N) Σ [softplus(z_i) − y_i z_i];
* L2 penalty:      minimise it + α Σ w² over the weights W[l] (not the biases): ``nn.l2_penalty``;
* early stopping:  the no-penalty run, watched on a held-out *validation* split: training stops
                   once the validation cost has not improved for ``patience`` steps, and the
                   weights of its best step are kept (Goodfellow et al. §7.8). It is the same
                   trajectory as the first run, cut short, so it costs no extra training.

Accuracy is reported on the training points, on the validation points and on a large *test* set
drawn from the same distribution that no run ever sees (the honest held-out number: the validation
set chose the early-stopping step). Decision boundaries and all held-out numbers use a vectorised
NumPy forward pass with the trained weights from ``mlp.arrays()``: the engine computes gradients,
NumPy then evaluates 40,000 grid points in milliseconds (the tests check the two agree).
"""

from dataclasses import dataclass, field

import numpy as np

from nn import MLP, Adam, binary_cross_entropy_with_logits, l2_penalty, two_moons

N_TRAIN, N_VALID, N_TEST = 30, 30, 1000
NOISE = 0.3
HIDDEN = 16
STEPS = 600
LEARNING_RATE = 0.02
ALPHA = 5e-3
PATIENCE = 100
RECORD_EVERY = 5


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def make_data(seed=0, noise=NOISE, n_train=N_TRAIN, n_valid=N_VALID, n_test=N_TEST):
    """Training, validation and test sets: three independent ``two_moons`` draws from one seed."""
    train_rng, valid_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    return Data(*two_moons(n_train, noise, train_rng), *two_moons(n_valid, noise, valid_rng),
                *two_moons(n_test, noise, test_rng))


def make_model(seed=0, hidden=HIDDEN):
    """The over-sized network: 2 inputs, two tanh layers of ``hidden`` neurons, one logit."""
    return MLP(2, [hidden, hidden, 1], activation="tanh", output_activation="linear", init="uniform", rng=seed)


# ---------------------------------------------------------------- NumPy views of a trained network

def numpy_logits(arrays, X):
    """z[L] for every row of X: a[l] = tanh(W[l] a[l−1] + b[l]) for the hidden layers, linear last."""
    layers = sorted({int(k[2:-1]) for k in arrays})
    a = np.asarray(X, dtype=float)
    for l in layers:
        z = a @ arrays[f"W[{l}]"].T + arrays[f"b[{l}]"]
        a = z if l == layers[-1] else np.tanh(z)
    return a[:, 0]


def numpy_bce(arrays, X, y):
    """Mean binary cross entropy from the logits, softplus(z) − y z, as the engine computes it."""
    z = numpy_logits(arrays, X)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def accuracy(arrays, X, y):
    """Fraction of points on the right side of the boundary z = 0 (class 1 where z > 0)."""
    return float(np.mean((numpy_logits(arrays, X) > 0) == (y == 1)))


def weight_norm(arrays):
    """‖W‖: the Euclidean norm of all the weights W[l] together (what the L2 penalty shrinks)."""
    return float(np.sqrt(sum(np.sum(v ** 2) for k, v in arrays.items() if k.startswith("W"))))


# ---------------------------------------------------------------- training

@dataclass
class Fit:
    """A training run, recorded every ``RECORD_EVERY`` steps (step 0 = the initial network)."""
    alpha: float
    steps: list = field(default_factory=list)
    train_costs: list = field(default_factory=list)   # the data term, mean BCE, without the penalty
    valid_costs: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)     # mlp.arrays() at each record

    @property
    def final(self):
        return self.snapshots[-1]


def objective(model, inputs, targets, alpha=0.0):
    """The cost minimised, as one graph: (1/N) Σ [softplus(z_i) − y_i z_i]  (+ α Σ_l ‖W[l]‖²)."""
    cost = binary_cross_entropy_with_logits([model(x) for x in inputs], targets)
    return cost + l2_penalty(model, alpha) if alpha else cost


def fit(model, data, alpha=0.0, steps=STEPS, lr=LEARNING_RATE, record_every=RECORD_EVERY):
    """Full-batch Adam on mean BCE (+ α Σ w² if ``alpha``); each step is one graph and one backward."""
    if alpha < 0:
        raise ValueError(f"the L2 penalty's alpha must be ≥ 0, got {alpha}")
    inputs, targets = data.X.tolist(), data.y.tolist()
    optimizer = Adam(model, lr)
    run = Fit(alpha)

    def record(step):
        arrays = model.arrays()
        run.steps.append(step)
        run.train_costs.append(numpy_bce(arrays, data.X, data.y))
        run.valid_costs.append(numpy_bce(arrays, data.X_valid, data.y_valid))
        run.snapshots.append(arrays)

    record(0)
    for step in range(1, steps + 1):
        optimizer.zero_grad()  # backward() adds into the parameters' grads
        objective(model, inputs, targets, alpha).backward()
        optimizer.step()
        if step % record_every == 0 or step == steps:
            record(step)
    return run


def early_stopping(run, patience=PATIENCE):
    """(stop step, best step, best arrays): replay ``run`` as if training had stopped once the
    validation cost had not improved for ``patience`` steps, keeping the best weights seen."""
    best = 0
    for i, step in enumerate(run.steps):
        if run.valid_costs[i] < run.valid_costs[best]:
            best = i
        if step - run.steps[best] >= patience:
            return step, run.steps[best], run.snapshots[best]
    return run.steps[-1], run.steps[best], run.snapshots[best]


@dataclass
class Outcome:
    label: str
    arrays: dict
    steps: int                 # training steps taken (for early stopping: until it stopped)
    train_accuracy: float
    valid_accuracy: float
    test_accuracy: float
    weight_norm: float
    train_cost: float
    valid_cost: float


def outcome(label, arrays, steps, data):
    return Outcome(label, arrays, steps, accuracy(arrays, data.X, data.y),
                   accuracy(arrays, data.X_valid, data.y_valid), accuracy(arrays, data.X_test, data.y_test),
                   weight_norm(arrays), numpy_bce(arrays, data.X, data.y),
                   numpy_bce(arrays, data.X_valid, data.y_valid))


@dataclass
class Result:
    data: Data
    plain: Fit
    penalised: Fit
    outcomes: list            # no penalty, L2, early stopping
    stop_step: int
    best_step: int


def run(seed=0, hidden=HIDDEN, steps=STEPS, lr=LEARNING_RATE, alpha=ALPHA, patience=PATIENCE,
        noise=NOISE, n_train=N_TRAIN, record_every=RECORD_EVERY):
    """The three trainings of the demo from one seed (data and initial weights)."""
    data = make_data(seed, noise, n_train)
    plain = fit(make_model(seed, hidden), data, 0.0, steps, lr, record_every)
    penalised = fit(make_model(seed, hidden), data, alpha, steps, lr, record_every)
    stop, best, best_arrays = early_stopping(plain, patience)
    outcomes = [outcome("no penalty", plain.final, steps, data),
                outcome(f"L2 penalty α = {alpha:g}", penalised.final, steps, data),
                outcome(f"early stopping (patience {patience})", best_arrays, stop, data)]
    return Result(data, plain, penalised, outcomes, stop, best)


def table(result):
    from .._common import format_table
    rows = [[o.label, o.steps, f"{o.train_accuracy:.3f}", f"{o.valid_accuracy:.3f}", f"{o.test_accuracy:.3f}",
             f"{o.weight_norm:.2f}", f"{o.train_cost:.3f}", f"{o.valid_cost:.3f}"] for o in result.outcomes]
    # accuracy and binary cross entropy on the training, validation and test points
    return format_table(["run", "steps", "acc: train", "valid", "test", "‖W‖", "BCE: train", "valid"], rows)


# ---------------------------------------------------------------- figures

def _grid(data, points=200):
    X = np.vstack([data.X, data.X_valid])
    (x0, y0), (x1, y1) = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
    gx, gy = np.meshgrid(np.linspace(x0, x1, points), np.linspace(y0, y1, points))
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def plot(result, out_dir):
    """Decision boundaries side by side, and the cost curves; returns the paths written."""
    from .._common import pyplot, save_figure
    plt = pyplot()
    data = result.data
    gx, gy, G = _grid(data)
    paths = []

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), sharex=True, sharey=True)
    for ax, o in zip(axes, result.outcomes):
        z = numpy_logits(o.arrays, G).reshape(gx.shape)
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        mesh = ax.pcolormesh(gx, gy, p, cmap="RdBu_r", vmin=0, vmax=1, shading="auto", alpha=0.6, rasterized=True)
        ax.contour(gx, gy, z, levels=[0.0], colors="k", linewidths=1.5)
        for cls, color in ((0, "tab:blue"), (1, "tab:red")):
            m = data.y == cls
            ax.scatter(data.X[m, 0], data.X[m, 1], c=color, edgecolors="k", s=40,
                       label=f"train, class {cls}")
            m = data.y_valid == cls
            ax.scatter(data.X_valid[m, 0], data.X_valid[m, 1], facecolors="none", edgecolors=color,
                       s=40, linewidths=1.5, label=f"validation, class {cls}")
        ax.set(title=f"{o.label}\ntrain {o.train_accuracy:.0%}, test {o.test_accuracy:.1%}, ‖W‖ = {o.weight_norm:.1f}",
               xlabel="x₁")
    axes[0].set_ylabel("x₂")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.colorbar(mesh, ax=axes, label="σ(z): probability of class 1", shrink=0.9)
    fig.suptitle(f"Two moons, {len(data.y)} training points (filled; validation hollow), MLP "
                 f"{'-'.join(str(n) for n in [2] + [len(result.plain.final['b[2]'])] * 2 + [1])} (tanh)", y=1.04)
    paths += save_figure(fig, out_dir, "regularisation_boundaries")

    fig, ax = plt.subplots(figsize=(8, 4.8))
    ax.plot(result.plain.steps, result.plain.train_costs, color="tab:blue", label="no penalty: train")
    ax.plot(result.plain.steps, result.plain.valid_costs, "--", color="tab:blue", label="no penalty: validation")
    ax.plot(result.penalised.steps, result.penalised.train_costs, color="tab:orange", label="L2: train (data term)")
    ax.plot(result.penalised.steps, result.penalised.valid_costs, "--", color="tab:orange", label="L2: validation")
    ax.axvline(result.best_step, color="tab:green", lw=1, label=f"early stopping: best step {result.best_step}")
    ax.axvline(result.stop_step, color="tab:green", lw=1, ls=":", label=f"stopped at step {result.stop_step}")
    ax.set(yscale="log", xlabel="training step (full batch, Adam)", ylabel="mean binary cross entropy",
           title="Training and validation cost")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    paths += save_figure(fig, out_dir, "regularisation_costs")
    return paths

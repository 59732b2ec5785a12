"""What the plateau is: the exact 23 × 23 Hessian of the Cost (2.6) along the stochastic-gradient run.

The run is the demo's own (compiled SGD, the same indices, the same arithmetic as ``training``), done
in chunks of ``every`` steps with the parameters recorded after each chunk. At every recorded point
the Cost (2.6), Cost(p) = (1/10) Σ_i ½‖y_i − F(x_i; p)‖², is built as a graph of Values through
``nn.MLP`` and its Hessian is computed exactly by ``engine.hessian_of`` (second derivatives from the
operation table, no finite differences): its eigenvalues, the gradient norm ‖∇Cost‖ and, along the
eigenvector of the smallest eigenvalue v_min, the full gradient ∇Cost · v_min and the spread of the
single-sample gradients ∇C_i · v_min that SGD actually steps along.
"""

import time
from dataclasses import dataclass, field

import numpy as np

import engine
from nn.losses import half_squared_error


from .training import _chunks


@dataclass
class Curvature:
    """The Hessian's spectrum and the gradient at one recorded step."""
    step: int
    cost: float
    eigenvalues: np.ndarray        # ascending, 23 of them
    gradient_norm: float           # ‖∇Cost‖₂
    along_min: float               # ∇Cost · v_min
    noise_along_min: float         # RMS over the ten points of ∇C_i · v_min (what one SGD step sees)
    asymmetry: float               # max |H − Hᵀ| (rounding only)
    parameters: list = None        # the 23 parameters there

    @property
    def negative(self):
        """How many eigenvalues are negative beyond rounding (below −1e-9 λ_max)."""
        return int(np.sum(self.eigenvalues < -1e-9 * abs(self.largest)))

    @property
    def smallest(self):
        return float(self.eigenvalues[0])

    @property
    def largest(self):
        return float(self.eigenvalues[-1])


@dataclass
class CurvatureRun:
    steps: list = field(default_factory=list)  # of Curvature, one per recorded step
    parameters: list = None                   # the final parameters
    seconds_sgd: float = 0.0
    seconds_hessians: float = 0.0


def _per_sample_costs(net):
    """The ten single-sample costs C_i = ½‖y_i − F(x_i)‖² as Values over the network's parameters."""
    return [half_squared_error(net.mlp([float(a) for a in x]), [float(b) for b in y])
            for x, y in zip(net.X, net.Y)]


def curvature_at(net, p, step):
    """Hessian eigenvalues and gradients of the Cost (2.6) at the parameter numbers ``p``."""
    net.cost_graph.write_params(p)  # the parameter Values of net.mlp now hold p
    params = net.mlp.parameters()
    costs = _per_sample_costs(net)
    cost = sum(costs[1:], costs[0]) * (1.0 / len(costs))
    H = engine.hessian_of(cost, params)
    gradient = np.array([g.data for g in engine.grad(cost, params)])
    per_sample = np.array([[g.data for g in engine.grad(c, params)] for c in costs])
    eigenvalues, vectors = np.linalg.eigh((H + H.T) / 2)
    v_min = vectors[:, 0]
    return Curvature(step, cost.data, eigenvalues, float(np.linalg.norm(gradient)), float(gradient @ v_min),
                     float(np.sqrt(np.mean((per_sample @ v_min) ** 2))), float(np.abs(H - H.T).max()),
                     list(p))


def run(net, order, eta, every, start=None, progress=None):
    """Compiled SGD over ``order`` from the parameter numbers ``start`` (default: the network's),
    with the Hessian every ``every`` steps (and at step 0). The parameters of ``net.mlp`` end as
    they were."""
    before = [v.data for v in net.mlp.parameters()]
    p = list(before if start is None else start)
    result = CurvatureRun()
    began = time.perf_counter()
    spent = 0.0
    try:
        t = time.perf_counter()
        result.steps.append(curvature_at(net, p, 0))
        spent += time.perf_counter() - t
        for first, stop in _chunks(len(order), every):
            net.cost_graph.sgd_run(net.rows, order[first:stop].tolist(), p, eta)
            t = time.perf_counter()
            result.steps.append(curvature_at(net, p, stop))
            spent += time.perf_counter() - t
            if progress is not None:
                progress(stop)
    finally:
        net.cost_graph.write_params(before)
    result.parameters = p
    result.seconds_hessians = spent
    result.seconds_sgd = time.perf_counter() - began - spent
    return result


def phases(result, plateau_cost=0.13):
    """Indices of four representative steps: the start, the middle of the plateau (Cost within 10%
    of ``plateau_cost``), the steepest point of the fall (largest drop of log Cost per record) and
    the end."""
    costs = np.array([c.cost for c in result.steps])
    on = np.flatnonzero(np.abs(costs - plateau_cost) < 0.1 * plateau_cost)
    plateau = int(on[len(on) // 2]) if len(on) else None
    drops = np.diff(np.log(costs))
    fall = int(np.argmin(drops)) + 1 if len(drops) else None
    picks = {"start": 0, "plateau": plateau, "fall": fall, "end": len(costs) - 1}
    return {k: v for k, v in picks.items() if v is not None}


def plot(result, out, descents=()):
    """The smallest and largest Hessian eigenvalue, the gradient norm and the Cost against the step;
    ``descents``, pairs (start step, [(steps, Cost)]) from ``gradient_descent``, over the Cost."""
    from .._common import pyplot, save_figure
    plt = pyplot()
    steps = np.array([c.step for c in result.steps])
    fig, axes = plt.subplots(3, 1, figsize=(7.5, 8.2), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.semilogy(steps, [c.cost for c in result.steps], color="black", label="stochastic gradient")
    for (start, history), colour in zip(descents, ("tab:purple", "tab:olive", "tab:cyan")):
        ax.semilogy([start + c.step for c in history], [c.cost for c in history], color=colour, ls="--",
                    label=f"full gradient descent (no noise) from SGD's step {start:,}")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_ylabel("Cost (2.6)")
    ax.set_title("The exact Hessian of the Cost along stochastic gradient (η = 0.05, one point per step)",
                 fontsize=10)
    ax = axes[1]
    smallest = np.array([c.smallest for c in result.steps])
    ax.plot(steps, [c.largest for c in result.steps], color="tab:red", label="largest eigenvalue λ_max")
    if np.all(smallest < 0):  # negative at every recorded step: its size on a log scale
        ax.plot(steps, -smallest, color="tab:blue", label="−λ_min (the smallest eigenvalue is < 0 throughout)")
        ax.set_yscale("log")
    else:
        ax.plot(steps, smallest, color="tab:blue", label="smallest eigenvalue λ_min")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_yscale("symlog", linthresh=1e-6)
    for (start, history), colour in zip(descents[:1], ("tab:purple",)):  # the noiseless path from step 0
        lam = np.array([c.smallest for c in history])
        if np.all(smallest < 0) and np.all(lam < 0):
            ax.plot([start + c.step for c in history], -lam, color=colour, ls="--", lw=1.2,
                    label=f"−λ_min along full gradient descent from step {start:,}")
    ax.set_ylabel("eigenvalue of ∇²Cost")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[2]
    ax.semilogy(steps, [c.gradient_norm for c in result.steps], color="tab:green", label="‖∇Cost‖")
    ax.semilogy(steps, [abs(c.along_min) for c in result.steps], color="tab:blue", lw=0.8,
                label="|∇Cost · v_min| (full gradient along v_min)")
    ax.semilogy(steps, [c.noise_along_min for c in result.steps], color="tab:orange", lw=0.8,
                label="RMS ∇C_i · v_min (one point, as SGD steps)")
    for (start, history), colour in zip(descents[:1], ("tab:purple",)):
        ax.semilogy([start + c.step for c in history], [c.gradient_norm for c in history], color=colour,
                    ls="--", lw=1.2, label=f"‖∇Cost‖ along full gradient descent from step {start:,}")
    ax.set_ylabel("gradient")
    ax.set_xlabel("step")
    ax.legend(fontsize=8, loc="upper right")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.25)
    return save_figure(fig, out, "curvature", dpi=130)


def full_cost(net):
    """The Cost (2.6) over all ten points as one graph of Values over the network's parameters."""
    costs = _per_sample_costs(net)
    return sum(costs[1:], costs[0]) * (1.0 / len(costs))


def gradient_descent(net, p, eta, steps, every):
    """Full gradient descent p ← p − η ∇Cost(p) (no sampling noise) from ``p`` for ``steps`` steps,
    with the Cost graph compiled once (``CompiledGraph.sgd_run`` on a graph without inputs), and
    the curvature every ``every`` steps: a list of ``Curvature``, steps counted from the start of
    the descent. Started where SGD was, it tells whether the plateau holds a noiseless descent too,
    and what the landscape is like along a path without jitter."""
    before = [v.data for v in net.mlp.parameters()]
    graph = engine.compile(full_cost(net), (), net.mlp.parameters())
    p = list(p)
    try:
        history = [curvature_at(net, p, 0)]
        for first, stop in _chunks(steps, every):
            graph.sgd_run([()], [0] * (stop - first), p, eta)
            history.append(curvature_at(net, p, stop))
    finally:
        net.cost_graph.write_params(before)
    return history


def report(result, eta, descents, say):
    """The spectrum at the four phases and the noiseless descent from the plateau, as text."""
    from .._common import format_table
    picks = phases(result)
    rows = []
    for name, i in picks.items():
        c = result.steps[i]
        escape = f"{1 / (eta * -c.smallest):,.0f}" if c.smallest < 0 else "-"
        rows.append((name, f"{c.step:,}", f"{c.cost:.4g}", f"{c.smallest:.3e}", f"{c.largest:.3e}",
                     f"{c.negative}", f"{c.gradient_norm:.2e}", f"{abs(c.along_min):.1e}",
                     f"{c.noise_along_min:.1e}", escape))
    # two tables of one row per phase, so that each fits 100 columns
    say(format_table(["phase", "step", "Cost", "λ_min", "λ_max", "λ < 0", "‖∇Cost‖"], [r[:7] for r in rows]))
    say("Along v_min, the eigenvector of λ_min: the full gradient's component, the RMS of the ten single-point "
        "gradients' components (SGD's sampling noise there), and 1/(η|λ_min|), the steps per e-fold of a "
        "saddle's escape:")
    say(format_table(["phase", "|∇Cost·v_min|", "RMS ∇C_i·v_min", "1/(η|λ_min|)"],
                     [(r[0],) + tuple(r[7:]) for r in rows]))
    plateau = [c for c in result.steps if abs(c.cost - 0.13) < 0.013]
    if plateau:
        lo = min(c.smallest for c in plateau)
        hi = max(c.smallest for c in plateau)
        say(f"On the plateau ({len(plateau)} recorded steps with Cost within 10% of 0.13, steps "
            f"{plateau[0].step:,}–{plateau[-1].step:,}): λ_min from {lo:.2e} to {hi:.2e}, between "
            f"{min(c.negative for c in plateau)} and {max(c.negative for c in plateau)} negative eigenvalues, "
            f"λ_max from {min(c.largest for c in plateau):.3f} to {max(c.largest for c in plateau):.3f}, "
            f"‖∇Cost‖ from {min(c.gradient_norm for c in plateau):.1e} to "
            f"{max(c.gradient_norm for c in plateau):.1e}.")
    sgd_fell = next((c.step for c in result.steps if c.cost < 0.05), None)
    if sgd_fell is not None:
        say(f"Stochastic gradient itself is below Cost 0.05 from step {sgd_fell:,} (recorded every "
            f"{result.steps[1].step - result.steps[0].step:,} steps).")
    for start, history in descents:
        fell = next((c.step for c in history if c.cost < 0.05), None)
        flat = [c for c in history if abs(c.cost - 0.13) < 0.013]
        text = (f"Full gradient descent (no sampling noise, η = {eta:g}) from the parameters of SGD's step "
                f"{start:,}: " + (f"below Cost 0.05 at step {start + fell:,} of the run's clock" if fell is not None
                                  else "still above Cost 0.05 at the end"))
        if flat:
            text += (f"; on the plateau ({len(flat)} records) ‖∇Cost‖ "
                     f"{min(c.gradient_norm for c in flat):.1e} to "
                     f"{max(c.gradient_norm for c in flat):.1e}, λ_min {min(c.smallest for c in flat):.2e} to "
                     f"{max(c.smallest for c in flat):.2e} ({min(c.negative for c in flat)} to "
                     f"{max(c.negative for c in flat)} negative), λ_max {min(c.largest for c in flat):.3f} to "
                     f"{max(c.largest for c in flat):.3f}")
        say(text + ".")
        say(format_table(["steps of descent", "Cost", "‖∇Cost‖", "λ_min", "λ_max", "λ < 0"],
                         [(f"{c.step:,}", f"{c.cost:.4g}", f"{c.gradient_norm:.2e}", f"{c.smallest:.3e}",
                           f"{c.largest:.3e}", str(c.negative)) for c in history[::max(1, len(history) // 10)]]))

"""The same training run twice: our Values with ``nn.SGD`` / ``nn.Adam``, and PyTorch with
``torch.optim.SGD`` / ``torch.optim.Adam``, from the same start (``nn.to_torch``) on the same samples.

Each side records the cost of every step (computed before the step's update) and the parameters
after every step, in ``mlp.parameters()`` order (on the torch side: each Linear's [weight | bias]
row by row). ``compare`` lines the two records up.
"""

from dataclasses import dataclass

import numpy as np

import nn

ADAM_LR = 0.01


def optimizers(lr):
    """(label, class name in both nn and torch.optim, the settings given to both) for a problem
    whose plain-SGD learning rate is ``lr``."""
    return [
        ("SGD", "SGD", {"lr": lr}),
        ("SGD, momentum 0.9", "SGD", {"lr": lr, "momentum": 0.9}),
        ("SGD, Nesterov 0.9", "SGD", {"lr": lr, "momentum": 0.9, "nesterov": True}),
        ("Adam", "Adam", {"lr": ADAM_LR}),
    ]


@dataclass
class Record:
    costs: np.ndarray        # (steps,): the cost of each step
    parameters: np.ndarray   # (steps + 1, P): the start, then the parameters after each step


def torch_parameters(torch, model):
    """The parameters of a Sequential of Linear layers as one vector in ``mlp.parameters()`` order."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        return torch.cat([torch.cat([m.weight, m.bias[:, None]], dim=1).reshape(-1) for m in linears])


def copy_of(mlp):
    """A new MLP with the same layers and the same parameters (new Values)."""
    twin = nn.MLP(mlp.nin, mlp.nouts, activation=mlp.activation, output_activation=mlp.output_activation,
                  init="zeros")
    twin.set_arrays(mlp.arrays())
    return twin


def run_ours(problem, kind, settings, steps, record=True):
    """Train a copy of ``problem.mlp`` with ``nn.<kind>(**settings)``: zero_grad, cost, backward, step."""
    mlp = copy_of(problem.mlp)
    params = mlp.parameters()
    optimizer = getattr(nn, kind)(params, **settings)
    costs = np.empty(steps)
    history = np.empty((steps + 1, len(params))) if record else None
    if record:
        history[0] = [p.data for p in params]
    for step in range(steps):
        optimizer.zero_grad()
        cost = problem.our_cost(mlp, step)
        cost.backward()
        optimizer.step()
        costs[step] = cost.data
        if record:
            history[step + 1] = [p.data for p in params]
    return Record(costs, history)


def run_torch(torch, problem, kind, settings, steps, record=True):
    """Train ``nn.to_torch(problem.mlp)`` with ``torch.optim.<kind>(**settings)``, the same loop."""
    model = nn.to_torch(problem.mlp)
    optimizer = getattr(torch.optim, kind)(model.parameters(), **settings)
    tensors = problem.tensors(torch)
    costs = np.empty(steps)
    history = np.empty((steps + 1, problem.mlp.num_parameters())) if record else None
    if record:
        history[0] = torch_parameters(torch, model).numpy()
    for step in range(steps):
        optimizer.zero_grad()
        cost = problem.torch_cost(model, step, tensors)
        cost.backward()
        optimizer.step()
        costs[step] = cost.item()
        if record:
            history[step + 1] = torch_parameters(torch, model).numpy()
    return Record(costs, history)


@dataclass
class Agreement:
    label: str
    ours: Record
    theirs: Record
    cost_difference: float        # max over steps of |C_ours − C_torch|
    parameter_difference: float   # max over steps and parameters of |p_ours − p_torch|
    relative_difference: float    # the same divided by max(1, |p|)
    identical_steps: int          # steps after which all parameters are equal bit for bit
    worst_step: int               # the step of the largest parameter difference
    ours_total: np.ndarray        # the cost over all the data at our parameters, start and each step
    theirs_total: np.ndarray      # the same at PyTorch's parameters (the same compiled function)

    @property
    def per_step(self):
        """max over parameters of |p_ours − p_torch|, after each step (index 0: the start)."""
        return np.max(np.abs(self.ours.parameters - self.theirs.parameters), axis=1)


def compare(problem, label, ours, theirs):
    diff = np.abs(ours.parameters - theirs.parameters)
    scale = np.maximum(1.0, np.abs(ours.parameters))
    per_step = diff.max(axis=1)
    return Agreement(label, ours, theirs,
                     cost_difference=float(np.max(np.abs(ours.costs - theirs.costs))),
                     parameter_difference=float(per_step.max()),
                     relative_difference=float((diff / scale).max()),
                     identical_steps=int(np.sum(per_step[1:] == 0.0)),
                     worst_step=int(np.argmax(per_step)),
                     ours_total=problem.total_costs(ours.parameters),
                     theirs_total=problem.total_costs(theirs.parameters))


def both(torch, problem, steps):
    """One Agreement per optimizer of ``optimizers(problem.lr)``."""
    out = []
    for label, kind, settings in optimizers(problem.lr):
        out.append(compare(problem, label, run_ours(problem, kind, settings, steps),
                           run_torch(torch, problem, kind, settings, steps)))
    return out

"""Training through compiled graphs: the same steps as ``nn.train``, bit for bit, much faster.

A training step has the same graph for every sample: the network on the inputs, the loss against
the targets, averaged over a batch of m samples. ``CompiledLoss`` records that graph once, with
leaves standing for the inputs and targets, and compiles it with ``engine.compile``. A step then
runs generated straight-line code instead of building Values: the same operations in the same
order as the eager engine, so the parameters follow the eager run exactly.
"""

from engine import Value, compile

from . import losses
from .optim import SGD


class CompiledLoss:
    """The batch cost (1/m) Σ_k C(model(x_k), y_k) of ``model`` over m samples, compiled.

    ``inputs``/``targets`` are one sample's input list and target (a number or a list), as
    ``nn.train`` prepares them; they fix the shapes of the recorded graph.
    """

    def __init__(self, model, loss_fn, inputs, targets, batch_size=1):
        self.model = model
        self.loss_fn = loss_fn
        self.params = model.parameters()
        self.nin = len(inputs[0])
        self.scalar_target = not hasattr(targets[0], "__len__")
        self.nout = 1 if self.scalar_target else len(targets[0])
        self._graphs = {}
        self.graph = self.graph_for(batch_size)
        self._sample_cost = self.graph_for(1).forward
        self.rows = [tuple(x) + ((y,) if self.scalar_target else tuple(y))
                     for x, y in zip(inputs, targets)]

    def graph_for(self, m):
        """The compiled batch cost over m samples (recorded on first use: Approach 1 may end an
        epoch with a shorter batch)."""
        if m not in self._graphs:
            leaves, terms = [], []
            for k in range(m):
                x = [Value(0.0, label=f"x{k + 1}_{i + 1}") for i in range(self.nin)]
                y = [Value(0.0, label=f"y{k + 1}_{j + 1}") for j in range(self.nout)]
                leaves += x + y
                terms.append(self.loss_fn(self.model(x), y[0] if self.scalar_target else y))
            cost = losses.mean(terms)  # one term is returned as it is, as in nn.train
            self._graphs[m] = compile(cost, leaves, self.params)
        return self._graphs[m]

    def fused_sgd(self, optimizer):
        """True when the optimizer's step is exactly p ← p − lr ∇C on all of the model's parameters,
        in their order: the update that the generated ``sgd_step`` performs."""
        return (type(optimizer) is SGD and optimizer.momentum == 0.0 and optimizer.weight_decay == 0.0
                and len(optimizer.params) == len(self.params)
                and all(a is b for a, b in zip(optimizer.params, self.params)))

    def batch_row(self, indices):
        row = ()
        for k in indices:
            row += self.rows[k]
        return row

    def step(self, indices, optimizer, p):
        """One optimizer step on the samples ``indices``; ``p`` holds the parameters' numbers."""
        graph = self._graphs.get(len(indices)) or self.graph_for(len(indices))
        if self.fused_sgd(optimizer):
            return graph.sgd_step(self.batch_row(indices), p, optimizer.lr)
        # any other optimizer: compiled gradient, then the optimizer's own update on the Values
        value, grads = graph.gradient(self.batch_row(indices), p)
        for v, x, g in zip(self.params, p, grads):
            v.data, v.grad = x, 0.0 + g  # as zero_grad() then backward(): 0.0 + g
        optimizer.step()
        p[:] = [v.data for v in self.params]
        return value

    def run_sgd(self, order, p, lr):
        """Plain SGD over single samples, k in ``order``, in one generated loop."""
        return self.graph.sgd_run(self.rows, order, p, lr)

    def full_cost(self, p):
        """(1/N) Σ_i C_i, summed in the same order as ``nn.train.full_cost``: the same bits."""
        total = 0.0
        cost = self._sample_cost
        for row in self.rows:
            total += cost(row, p)
        return total / len(self.rows)

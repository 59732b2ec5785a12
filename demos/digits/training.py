"""Stochastic gradient with momentum on minibatches, with a learning rate that drops by epoch (§7).

The paper trains for 45 epochs with minibatches of 100 and η = 0.05, 0.005, 0.0005 for epochs
1–30, 31–40 and 41–45; here the same schedule is scaled down to 15 epochs (η = 0.05 for 1–10, 0.005
for 11–13, 0.0005 for 14–15) and minibatches of 20 of the 1,078 training images. Each epoch visits
the training set once in a fresh random order (the paper's Approach 1 with minibatches). A step is

    g = (1/m) Σ_{k in batch} ∇C_k(p)       (one call of the compiled graph's gradient_array)
    v ← μ v + g,   p ← p − η v             (nn.optim.SGD with momentum μ = 0.9, PyTorch's form)

After every epoch (and before the first) the cost (7.4) and the top-1 and top-5 errors are measured
on the training and validation sets in evaluation mode (no dropout), as the curves of Figures 7.2
and 7.3 show them.
"""

import time
from dataclasses import dataclass, field


from nn.optim import SGD

EPOCHS = 15
BATCH = 20
MOMENTUM = 0.9
SCHEDULE = ((30, 0.05), (40, 0.005), (45, 0.0005))  # the paper's (last epoch, η), of 45 epochs


def learning_rate(epoch, epochs=EPOCHS):
    """η in ``epoch`` (1-based): the paper's schedule with its 45 epochs scaled to ``epochs``."""
    for last, eta in SCHEDULE:
        if epoch <= round(last * epochs / SCHEDULE[-1][0]):
            return eta
    return SCHEDULE[-1][1]


@dataclass
class Run:
    """One training run: per-epoch curves (index 0 = before training) and the final parameters."""
    name: str
    epochs: list = field(default_factory=list)
    rates: list = field(default_factory=list)
    curves: dict = field(default_factory=dict)  # "training cost", "validation top-1", ... → list
    parameters: list = None
    seconds: float = 0.0

    def record(self, epoch, rate, net, p, training, validation):
        self.epochs.append(epoch)
        self.rates.append(rate)
        for split in (training, validation):
            cost, top1, top5, _, _ = net.evaluate(p, split)
            for key, value in (("cost", cost), ("top-1", top1), ("top-5", top5)):
                self.curves.setdefault(f"{split.name} {key}", []).append(float(value))


def train(name, net, training, validation, rng, epochs=EPOCHS, batch=BATCH, momentum=MOMENTUM):
    """Train ``net`` (a DigitsNetwork) in place; the minibatch orders come from ``rng``."""
    run = Run(name)
    began = time.perf_counter()
    params = net.params
    p = [v.data for v in params]
    optimizer = SGD(params, lr=learning_rate(1, epochs), momentum=momentum)
    run.record(0, 0.0, net, p, training, validation)
    pixels, one_hot = training.pixels, training.one_hot
    for epoch in range(1, epochs + 1):
        optimizer.lr = learning_rate(epoch, epochs)
        order = rng.permutation(len(training))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            _, g = net.batch_gradient(p, pixels[idx], one_hot[idx])
            for v, x, gk in zip(params, p, g.tolist()):
                v.data, v.grad = x, gk
            optimizer.step()
            p = [v.data for v in params]
        run.record(epoch, optimizer.lr, net, p, training, validation)
    run.parameters = p
    run.seconds = time.perf_counter() - began
    return run

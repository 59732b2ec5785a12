"""The convolutional network of the demo, §7 in miniature, and the one graph it trains through.

    block 1 (layer 2): convolution, 8 filters 3 × 3 (8 × 8 → 6 × 6 × 8), max pooling 2 × 2 stride 2
                       (→ 3 × 3 × 8), ReLU: the order of the paper's first block
    dropout (layer 3): p = 0.35 on the 72 inputs of the fully connected layer, in the second run only
                       (the paper's rate before its fully connected block)
    block 2 (layer 3): fully connected 10 × 72, then the softmax log loss (7.4)

One sample's loss is recorded once, on leaves standing for the 64 pixels x(i,j), the one-hot target
y_k and the dropout mask d[3]_k, and compiled by ``engine.compile``. A minibatch is then one call of
``gradient_array``: every node of the graph is a NumPy operation over the samples of the batch.
The same graph evaluates the network: with all masks 1 (evaluation mode), the loss for target k is
−log softmax(z)_k, so ten forward passes give every class's log probability.
"""

import numpy as np

import engine
import nn
from engine import Value

from .data import CLASSES, SIDE

FILTERS = 8
KERNEL = 3
POOL = 2
DROPOUT = 0.35


def make_network(rng, filters=FILTERS, dropout=0.0):
    """The Sequential CNN; parameters drawn from ``rng`` (PyTorch's default U(−1/√n, 1/√n)), the
    dropout masks from their own generator seeded from it."""
    side = (SIDE - KERNEL + 1) // POOL
    layers = [nn.Conv2d(1, filters, KERNEL, layer=2, rng=rng), nn.MaxPool2d(POOL, layer=2),
              nn.ReLU(layer=2), nn.Flatten()]
    if dropout:
        layers.append(nn.Dropout(dropout, layer=3, rng=int(rng.integers(2**32))))
    layers.append(nn.Layer(filters * side * side, CLASSES, activation="linear", layer=3,
                           init="pytorch", rng=rng))
    return nn.Sequential(*layers)


def pixel_leaves():
    return [[[Value(0.0, f"x({i},{j})") for j in range(1, SIDE + 1)] for i in range(1, SIDE + 1)]]


class DigitsNetwork:
    """The network, its parameters as numbers, and its compiled per-sample loss."""

    def __init__(self, model):
        self.model = model
        self.params = model.parameters()
        x = pixel_leaves()
        y = [Value(0.0, f"y_{k}") for k in range(1, CLASSES + 1)]
        model.train()  # record with the dropout masks as leaves (none without dropout)
        self.loss = nn.softmax_log_loss(model(x), y)
        masks = [d for layer in model.dropouts for d in layer.masks]
        self.mask_sizes = [len(layer.masks) for layer in model.dropouts]
        self.graph = engine.compile(self.loss, [v for row in x[0] for v in row] + y + masks, self.params)

    @property
    def num_parameters(self):
        return len(self.params)

    def rows(self, pixels, one_hot, masks=None):
        """The compiled graph's input rows: pixels, target, masks (all 1 when ``masks`` is None)."""
        n = len(pixels)
        masks = np.ones((n, sum(self.mask_sizes))) if masks is None else masks
        return np.hstack([pixels, one_hot, masks])

    def draw_masks(self, n):
        """Fresh dropout masks for n samples, from each dropout layer's own generator."""
        parts = [layer.sample(n, size) for layer, size in zip(self.model.dropouts, self.mask_sizes)]
        return np.hstack(parts) if parts else np.zeros((n, 0))

    def batch_gradient(self, p, pixels, one_hot):
        """(mean loss, mean gradient) over a minibatch, with fresh dropout masks in training."""
        values, grads = self.graph.gradient_array(self.rows(pixels, one_hot, self.draw_masks(len(pixels))), p)
        return values.mean(), grads.mean(axis=0)

    def log_probabilities(self, p, pixels):
        """log softmax(z)_k for every image and class k, shape (n, 10), in evaluation mode."""
        n = len(pixels)
        eye = np.eye(CLASSES)
        rows = np.vstack([self.rows(pixels, np.tile(eye[k], (n, 1))) for k in range(CLASSES)])
        return -self.graph.forward_array(rows, p).reshape(CLASSES, n).T

    def evaluate(self, p, split):
        """(cost (7.4) averaged over the split, top-1 error, top-5 error, predictions, log probs)."""
        logp = self.log_probabilities(p, split.pixels)
        cost = -logp[np.arange(len(split)), split.labels].mean()
        ranked = np.argsort(-logp, axis=1, kind="stable")
        top1 = float(np.mean(ranked[:, 0] != split.labels))
        top5 = float(np.mean(~np.any(ranked[:, :5] == split.labels[:, None], axis=1)))
        return cost, top1, top5, ranked[:, 0], logp

"""Neural networks on the engine, in Higham & Higham's notation and micrograd's shape.

>>> from nn import MLP, higham_data, train
>>> net = MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)
>>> net.num_parameters()
23
>>> X, Y = higham_data()
>>> history = train(net, X, Y, lr=0.05, steps=200, seed=1, record_every=100)
>>> history.steps
[0, 100, 200]

Modules (``nn.module``), convolution, pooling and dropout layers (``nn.conv``, ``nn.dropout``,
``nn.sequential``), losses (``nn.losses``), optimizers (``nn.optim``), the sampling schemes
of the paper's §4 (``nn.sampling``), a training loop (``nn.train``), data sets (``nn.data``) and
JSON saving (``nn.saving``) and the bridge to PyTorch (``nn.torch_bridge``: ``to_torch``,
``from_torch``; PyTorch itself is imported only when they are called); everything is exported here.
"""

from engine.version import __version__
from .activations import NAMES as ACTIVATIONS
from .data import higham_classes, higham_data, logistic_1d, two_moons, xor_data, xor_solution
from .initializers import INITS
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, half_squared_error,
                     hinge_loss, l2_penalty, mse, quadratic_cost, softmax_cross_entropy, softmax_log_loss)
from .conv import Conv2d, Flatten, MaxPool2d, ReLU
from .dropout import Dropout
from .sequential import Sequential
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer
from .sampling import SCHEMES, approach1, approach2, full_batch, schedule
from .saving import load, load_into, save
from .torch_bridge import from_torch, to_torch
from .train import LOSSES, History, TrainingDiverged, full_cost, gradient_step, train

__all__ = [
    "__version__", "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS",
    "Conv2d", "MaxPool2d", "ReLU", "Flatten", "Dropout", "Sequential",
    "half_squared_error", "quadratic_cost", "mse", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "softmax_cross_entropy", "softmax_log_loss", "hinge_loss", "l2_penalty",
    "Optimizer", "SGD", "Adam",
    "approach1", "approach2", "full_batch", "schedule", "SCHEMES",
    "train", "History", "TrainingDiverged", "gradient_step", "full_cost", "LOSSES",
    "higham_data", "higham_classes", "xor_data", "xor_solution", "two_moons", "logistic_1d",
    "save", "load", "load_into",
    "to_torch", "from_torch",
]

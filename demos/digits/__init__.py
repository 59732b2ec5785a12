"""Higham & Higham §7 in miniature: a convolutional network on scikit-learn's 8 × 8 handwritten digits
("Deep Learning: An Introduction for Applied Mathematicians", SIAM Review 61(4), 2019).

``python -m demos.digits`` trains the network twice (without and with dropout), prints the report and
draws the figures; the parts live in

* ``data``     — the 1,797 digits of sklearn.datasets.load_digits (shipped with scikit-learn, no
  download), split 60/20/20 into training, validation and test sets by one seeded permutation;
* ``network``  — convolution 3 × 3 × 8, max pooling, ReLU, dropout, fully connected 10 × 72 and the
  softmax log loss (7.4), made of Values (nn.Conv2d ...), recorded once and compiled;
* ``training`` — stochastic gradient with momentum on minibatches, η dropping by epoch as in §7;
* ``figures``  — Figures 7.2–7.6 in miniature and a drawing of one filter's shared weights.
"""

from . import data, figures, network, training
from .network import DigitsNetwork, make_network
from .training import Run, learning_rate, train

__all__ = ["data", "figures", "network", "training", "DigitsNetwork", "make_network", "Run",
           "learning_rate", "train"]

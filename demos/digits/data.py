"""The 8 × 8 handwritten digits that scikit-learn ships in its package (no download): 1,797 images,
10 classes, pixels 0..16. The paper's §7 uses CIFAR-10 with training, validation and test sets; here
the images are split the same three ways by one seeded permutation, and pixels are scaled to [0, 1].
"""

from dataclasses import dataclass

import numpy as np

CLASSES = 10
SIDE = 8
IMAGES = 1797  # in sklearn.datasets.load_digits
SPLIT = (0.6, 0.2, 0.2)  # training, validation, test


class MissingExtra(ImportError):
    """scikit-learn (the demos extra) is not installed."""


def load_digits():
    """(images (1797, 8, 8) in [0, 1], labels (1797,)) from sklearn.datasets.load_digits."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise MissingExtra("python -m demos.digits needs scikit-learn, which ships the 8 × 8 digits: "
                           'pip install scikit-learn (the "demos" extra)') from None
    bunch = sklearn_digits()
    return bunch.images / 16.0, bunch.target.astype(int)


@dataclass
class Split:
    """One part of the data: images (n, 8, 8), labels (n,), and their indices in load_digits."""
    name: str
    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray

    def __len__(self):
        return len(self.labels)

    @property
    def pixels(self):
        """The images as rows of 64 numbers, row by row (the order of the graph's inputs x(i,j))."""
        return self.images.reshape(len(self), SIDE * SIDE)

    @property
    def one_hot(self):
        return np.eye(CLASSES)[self.labels]


def split(rng, limit=None):
    """(training, validation, test) from one permutation drawn from ``rng``; ``limit`` keeps only
    that many images in all (for a quick run), split in the same proportions."""
    images, labels = load_digits()
    order = rng.permutation(len(labels))
    if limit is not None:
        order = order[:limit]
    n = len(order)
    n_train, n_val = round(SPLIT[0] * n), round(SPLIT[1] * n)
    parts = (order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])
    return tuple(Split(name, images[idx], labels[idx], idx)
                 for name, idx in zip(("training", "validation", "test"), parts))

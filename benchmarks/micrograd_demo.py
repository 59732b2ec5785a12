"""micrograd's demo.ipynb, run unchanged on this engine and on micrograd 0.1.0, side by side.

The notebook's set-up: ``np.random.seed(1337); random.seed(1337)``, 100 moons points from
scikit-learn (noise 0.1, labels ±1), ``MLP(2, [16, 16, 1])``, the max-margin loss with a 1e-4 L2
penalty on every parameter, 100 full-batch steps with learning rate 1 − 0.9 k / 100. Prints the
loss of both engines at every tenth step, the largest relative difference over all steps, the
largest difference of the final parameters, and the time each took.

    python -m benchmarks.micrograd_demo [--steps 100] [--points 100]
"""

import argparse
import random
import sys
import time

import numpy as np


def demo_data(n=100, seed=1337):
    """demo.ipynb's data: it seeds NumPy's global state, which make_moons draws from."""
    from sklearn.datasets import make_moons
    np.random.seed(seed)
    X, y = make_moons(n_samples=n, noise=0.1)
    return X, y * 2 - 1


def svm_training(Value, MLP, X, y, steps):
    """demo.ipynb's training loop, written with the given ``Value`` and ``MLP`` classes.
    Returns the loss of every step and the final parameters."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(float(total.data))
    return losses, [float(p.data) for p in model.parameters()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--points", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP
    except ImportError as exc:
        sys.exit(f"needs scikit-learn and micrograd 0.1.0 (pip install scikit-learn micrograd==0.1.0): {exc}")
    from engine import Value
    from nn import MLP

    X, y = demo_data(args.points)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))  # micrograd's recursive sort
    began = time.perf_counter()
    ours, our_params = svm_training(Value, MLP, X, y, args.steps)
    our_time = time.perf_counter() - began
    began = time.perf_counter()
    theirs, their_params = svm_training(MicrogradValue, MicrogradMLP, X, y, args.steps)
    their_time = time.perf_counter() - began
    print(f"demo.ipynb: {args.points} points, {args.steps} steps")
    print(f"{'step':>5}  {'this engine':>22}  {'micrograd 0.1.0':>22}")
    for k in range(0, args.steps, 10):
        print(f"{k:>5}  {ours[k]!r:>22}  {theirs[k]!r:>22}")
    rel = max(abs(a - b) / abs(b) for a, b in zip(ours, theirs))
    par = max(abs(a - b) for a, b in zip(our_params, their_params))
    same = sum(a == b for a, b in zip(ours, theirs))
    print(f"identical losses: {same} of {args.steps} steps; largest relative difference {rel:.2e}")
    print(f"largest difference of the {len(our_params)} final parameters: {par:.2e}")
    print(f"time: this engine {our_time:.2f} s, micrograd {their_time:.2f} s "
          f"({their_time / our_time:.0f}x)")


if __name__ == "__main__":
    main()

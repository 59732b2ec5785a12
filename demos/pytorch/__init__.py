"""Moving on to PyTorch: the same networks trained by nn and by PyTorch, and the same numbers.

``python -m demos.pytorch`` prints the report and draws the figures; the parts live in

* ``problems`` — the Higham 2-2-3-2 sigmoid network on the ten points (one point per step) and the
  2-2-1 ReLU XOR network (all four points per step): data, start, sample indices, and the cost
  written once for Values and once for torch tensors;
* ``training`` — the same loop on both sides (``nn.SGD`` / ``nn.Adam`` against ``torch.optim``),
  every step's cost and parameters recorded, and the comparison;
* ``timing``   — microseconds per step on each side, side by side in one run;
* ``figures``  — the costs and the step-by-step parameter differences.

The bridge itself is ``nn.to_torch`` / ``nn.from_torch`` (``nn/torch_bridge.py``).
"""

from . import figures, problems, timing, training
from .problems import Problem
from .training import Agreement, Record, compare, optimizers, run_ours, run_torch, torch_parameters

__all__ = ["figures", "problems", "timing", "training", "Problem", "Agreement", "Record", "compare",
           "optimizers", "run_ours", "run_torch", "torch_parameters"]

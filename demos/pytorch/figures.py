"""One figure per network: the cost after every step on both sides, and how far apart the parameters are.

Left: the cost over all the data after each step (the paper's Cost, eq. 2.6, or J), at our
parameters as lines and at PyTorch's as dots on top (every few steps). Right: the
largest |p_ours − p_torch| over the parameters after each step, on a log scale beside float64's
machine epsilon 2⁻⁵² ≈ 2.2e-16; steps after which the two agree bit for bit leave gaps (log 0). The
thousands of dots are rasterised inside the SVG, which keeps it small.
"""

import numpy as np

from .._common import pyplot, save_figure

EPS = float(np.finfo(float).eps)


def plot_agreement(problem, agreements, out_dir):
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    steps = len(agreements[0].ours.costs)
    every = max(1, steps // 40)
    for color, a in zip(colors, agreements):
        k = np.arange(steps + 1)
        left.semilogy(k, a.ours_total, "-", color=color, linewidth=1.2, label=f"{a.label}: nn")
        left.semilogy(k[::every], a.theirs_total[::every], "o", color=color, markersize=3.5,
                      markerfacecolor="none", label=f"{a.label}: torch.optim")
        d = a.per_step
        right.semilogy(k[1:], np.where(d[1:] == 0.0, np.nan, d[1:]), ".", color=color, markersize=2.5,
                       rasterized=True, label=a.label)
    right.axhline(EPS, color="0.4", linestyle="--", linewidth=1, label="2⁻⁵² (float64 epsilon)")
    left.set_xlabel("step")
    left.set_ylabel(problem.total_name)
    left.set_title("After each step, at nn's parameters (lines) and PyTorch's (dots)", fontsize=9)
    left.legend(fontsize=6, ncol=2)
    right.set_xlabel("step")
    right.set_ylabel("max over parameters of |p_nn − p_torch|")
    right.set_title("Parameters after each step: largest difference (gaps: bit for bit equal)", fontsize=9)
    right.legend(fontsize=7, markerscale=3)
    for ax in (left, right):
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(problem.title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir, f"agreement_{problem.name}")

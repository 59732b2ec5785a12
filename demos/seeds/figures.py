"""The study's figures.

* ``plot_leave_steps``: histogram of the step at which each run leaves the plateau (first recorded
  Cost below the threshold), with the paper-demo run marked;
* ``plot_curves``: the Cost curves (eq. 2.6, log scale, as netbp.m's figure) of a sample of runs in
  grey, the median over all runs and the 5–95 % band of each recorded step, the threshold;
* ``plot_final_costs``: histogram of the final Cost on a log scale.
"""

import numpy as np
from matplotlib.ticker import MultipleLocator

from .._common import pyplot, save_figure


def _steps_axis(ax):
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")


def plot_leave_steps(leave, every, title, out_dir, reference=None, reference_label=""):
    """``leave``: each run's leave step (−1: never left); bins one record interval wide."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    left = leave[leave >= 0]
    if left.size:
        edges = np.arange(0, left.max() + 2 * every, every) - every / 2
        ax.hist(left, bins=edges, color="tab:blue", edgecolor="white", linewidth=0.4)
        ax.axvline(np.median(left), color="black", linewidth=1.2, label=f"median {np.median(left):,.0f}")
    if reference is not None and reference >= 0:
        ax.axvline(reference, color="tab:red", linestyle="--", linewidth=1.2,
                   label=f"{reference_label}: {reference:,.0f}")
    never = int(np.sum(leave < 0))
    ax.set_xlabel("step at which the run leaves the plateau" + (f"  ({never} runs never do)" if never else ""))
    ax.set_ylabel("runs")
    ax.set_title(title, fontsize=9)
    _steps_axis(ax)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return save_figure(fig, out_dir, "leave_steps")


def plot_curves(steps, costs, sample, threshold, title, out_dir, reference=None, reference_label=""):
    """Cost curves of the runs ``sample`` (row indices) over the median of all runs."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i in sample:
        ax.semilogy(steps, costs[i], color="0.6", linewidth=0.6, alpha=0.7)
    low, median, high = np.quantile(costs, [0.05, 0.5, 0.95], axis=0)
    ax.fill_between(steps, low, high, color="tab:blue", alpha=0.15, label="5–95 % of runs at each step")
    ax.semilogy(steps, median, color="tab:blue", linewidth=2.2, label=f"median of {len(costs)} runs")
    if reference is not None:
        ax.semilogy(steps, reference, color="tab:red", linewidth=1.2, linestyle="--",
                    label=reference_label)
    ax.axhline(threshold, color="black", linewidth=0.8, linestyle=":", label=f"threshold {threshold:g}")
    ax.plot([], [], color="0.6", linewidth=0.6, label=f"{len(sample)} runs")
    ax.set_xlabel("iteration")
    ax.set_ylabel("Cost (eq. 2.6)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    _steps_axis(ax)
    ax.legend(fontsize=7, loc="upper right")
    return save_figure(fig, out_dir, "cost_curves")


def plot_final_costs(final, title, out_dir):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    logs = np.log10(final)
    ax.hist(logs, bins=max(10, min(60, len(final) // 5)), color="tab:green", edgecolor="white", linewidth=0.4)
    ax.xaxis.set_major_locator(MultipleLocator(1))  # whole decades
    ax.xaxis.set_minor_locator(MultipleLocator(0.5))
    ax.xaxis.set_major_formatter(lambda value, _: f"$10^{{{value:g}}}$")
    ax.set_xlabel("final Cost (eq. 2.6), log scale")
    ax.set_ylabel("runs")
    ax.set_title(title, fontsize=9)
    return save_figure(fig, out_dir, "final_costs")

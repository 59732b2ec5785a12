"""The figures of §7 in miniature: training curves (7.2, 7.3), confusion matrices (7.4, 7.5),
misclassified test images (7.6), and a drawing of one filter's shared weights on a slice of the graph.
"""

import numpy as np

from .._common import pyplot, save_drawing, save_figure
from .data import CLASSES


def plot_curves(run, out, stem, figure):
    """Figure 7.2 / 7.3: cost (7.4) and top-1 / top-5 error per epoch, training and validation."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    e = run.epochs
    for part, colour in (("training", "tab:blue"), ("validation", "tab:orange")):
        left.plot(e, run.curves[f"{part} cost"], "o-", ms=3, color=colour, label=part)
        right.plot(e, run.curves[f"{part} top-1"], "o-", ms=3, color=colour, label=f"{part} top-1")
        right.plot(e, run.curves[f"{part} top-5"], "--", color=colour, label=f"{part} top-5")
    left.set(xlabel="epoch", ylabel="cost (7.4), mean over the set", yscale="log", title="objective")
    right.set(xlabel="epoch", ylabel="error", yscale="log",
              title="top-1 and top-5 error (an error of 0 leaves the log scale)")
    right.set_ylim(bottom=1e-3)
    for ax in (left, right):
        for change in np.flatnonzero(np.diff(run.rates[1:])) + 1:  # where η drops
            ax.axvline(change + 0.5, color="0.7", lw=0.8, zorder=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Figure {figure} in miniature: {run.name} (grey lines: η drops)", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out, stem)


def confusion(labels, predicted):
    """counts[i, j]: test images of true class i predicted as j."""
    counts = np.zeros((CLASSES, CLASSES), dtype=int)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def plot_confusion(counts, title, out, stem):
    """Figure 7.4 / 7.5: the confusion matrix on the test set, with the per-class accuracies."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 5.2))
    ax.imshow(counts, cmap="Blues")
    for i in range(CLASSES):
        for j in range(CLASSES):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set(xticks=range(CLASSES), yticks=range(CLASSES), xlabel="predicted class", ylabel="true class")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(f"{title}\ntest accuracy {100 * accuracy:.1f}% ({np.trace(counts)}/{counts.sum()})", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, stem)


def plot_misclassified(images, labels, predicted, title, out, stem="fig7_6_misclassified", limit=16):
    """Figure 7.6: misclassified test images, each with its predicted and true label."""
    plt = pyplot()
    wrong = np.flatnonzero(predicted != labels)[:limit]
    n = max(len(wrong), 1)
    cols = min(n, 8)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.55 * rows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, k in zip(axes.flat, wrong):
        ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{predicted[k]} (true {labels[k]})", fontsize=9)
    if not len(wrong):
        axes.flat[0].text(0.5, 0.5, "none", ha="center")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out, stem)


def weight_sharing_slice(conv, image, corner=(2, 2)):
    """A 4 × 4 patch of ``image`` through filter 1 of ``conv`` (its trained weights), the 2 × 2
    outputs pooled by max and a ReLU: the Value at the root of that slice of the network's graph,
    after backward(). The filter's 9 weights each feed all 4 z nodes."""
    import nn
    from engine import Value
    k = conv.kernel_size
    r0, c0 = corner
    x = [[[Value(float(image[r0 + i, c0 + j]), f"x({r0 + i + 1},{c0 + j + 1})") for j in range(k + 1)]
          for i in range(k + 1)]]
    first_filter = conv(x)[:1]  # the graph under the root holds filter 1's nodes only
    root = nn.ReLU(layer=2)(nn.MaxPool2d(2, layer=2)(first_filter))[0][0][0]
    for w in conv.filters[0] + [conv.biases[0]]:
        w.grad = 0.0
    root.backward()
    return root


def draw_weight_sharing(conv, image, out):
    """The slice as a Graphviz drawing (DOT always; PNG and SVG when ``dot`` is installed)."""
    from engine import topological_order
    from engine.display.draw import draw_graph
    root = weight_sharing_slice(conv, image)
    drawing = draw_graph(root, op_nodes=False, precision=3, rankdir="LR",
                         title="One 3×3 filter of layer 2 on a 4×4 patch: each of its 9 weights W[2][1,1,i,j] "
                               "feeds all four z[2]_1(r,s)\n(red: the edges of W[2][1,1,1,1]);\n"
                               "max pooling passes the gradient to one z, and each weight's gradient "
                               "sums over the positions the filter visits")
    # the edges of one shared weight in red (node ids are n<position in topological order>)
    shared = f"n{topological_order(root).index(conv.filters[0][0])}"
    drawing.body = [line.rstrip("\n") + " [color=\"#c0392b\" penwidth=2.5]\n"
                    if line.startswith(f"\t{shared} -> ") else line for line in drawing.body]
    paths, note = save_drawing(drawing, out, "weight_sharing")
    return paths, note and f"weight-sharing drawing: {note}"

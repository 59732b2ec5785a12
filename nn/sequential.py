"""``Sequential``: layers applied one after the other, as PyTorch's nn.Sequential.

``parameters()`` goes layer by layer; ``train()`` and ``eval()`` switch every layer that has a mode
(``Dropout``); ``dropouts`` lists those layers, whose mask leaves a compiled graph takes as inputs.
"""

from .module import Module


class Sequential(Module):
    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} is {type(layer).__name__}, not a callable layer")
        self.layers = list(layers)
        self.training = True

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def parameters(self):
        return [p for layer in self.layers if hasattr(layer, "parameters") for p in layer.parameters()]

    def train(self, mode=True):
        self.training = bool(mode)
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train(mode)
        return self

    def eval(self):
        return self.train(False)

    @property
    def dropouts(self):
        return [layer for layer in self.layers if hasattr(layer, "sample") and hasattr(layer, "masks")]

    def summary(self):
        lines = [f"Sequential: {self.num_parameters()} parameters"]
        for layer in self.layers:
            text = layer.summary().splitlines()[0] if hasattr(layer, "summary") else repr(layer)
            count = len(layer.parameters()) if hasattr(layer, "parameters") else 0
            if count and "parameters" not in text:
                text += f", {count} parameters"
            lines.append("  " + text)
        return "\n".join(lines)

    def __repr__(self):
        return "Sequential(" + ", ".join(repr(layer) for layer in self.layers) + ")"

"""``Sequential``: layers applied one after the other, as PyTorch's nn.Sequential.

``parameters()`` goes layer by layer; ``train()`` and ``eval()`` switch every layer that has a mode
(``Dropout``); ``dropouts`` lists those layers, whose mask leaves a compiled graph takes as inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from engine import Value

from .module import Module


class Sequential(Module):
    def __init__(self, *layers: Callable[[Any], Any]) -> None:
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} is {type(layer).__name__}, not a callable layer")
        self.layers = list(layers)
        self.training = True

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    @overload
    def __getitem__(self, i: int) -> Callable[[Any], Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[Callable[[Any], Any]]: ...

    def __getitem__(self, i: int | slice) -> Callable[[Any], Any] | list[Callable[[Any], Any]]:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers if hasattr(layer, "parameters") for p in layer.parameters()]

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train(mode)
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    @property
    def dropouts(self) -> list[Any]:
        return [layer for layer in self.layers if hasattr(layer, "sample") and hasattr(layer, "masks")]

    def summary(self) -> str:
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

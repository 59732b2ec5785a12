"""Moving on to PyTorch: the same multilayer perceptron as a ``torch.nn.Sequential``, both ways.

``to_torch(mlp)`` gives ``Sequential(Linear, activation, Linear, activation, ...)`` in float64,
one ``Linear(n_{l-1}, n_l)`` per layer l with ``weight`` = W[l] (rows = neurons, as in the paper
and in PyTorch) and ``bias`` = b[l], followed by ``Sigmoid``, ``Tanh`` or ``ReLU`` (nothing for a
linear layer). ``from_torch(module)`` reads such a Sequential back into an ``MLP``. Both copy the
float64 numbers as they are, so a round trip gives the same parameters bit for bit.

A parameter vector in ``mlp.parameters()`` order is, on the PyTorch side, each Linear's
``[weight | bias]`` (bias as a last column) read row by row, layer after layer: neuron by neuron,
weights then bias.

PyTorch is optional: it is imported only when one of these functions is called, and without it
they raise an ImportError that says how to install it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .activations import resolve
from .checks import brief, describe
from .module import MLP

if TYPE_CHECKING:  # for the annotations only: PyTorch is imported when a function is called
    import torch

INSTALL = 'pip install torch (the "torch" extra)'

# our activation name -> the name of the torch.nn module class
_TORCH_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU"}


def require_torch(who):
    """The ``torch`` module, or an ImportError naming ``who`` and how to install PyTorch."""
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"{who} needs PyTorch, which is not installed: {INSTALL}") from err
    return torch


def to_torch(mlp: MLP) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` computing the same function as ``mlp`` in float64, with its
    parameters (copied: training one does not change the other)."""
    torch = require_torch("nn.to_torch")
    if not isinstance(mlp, MLP):
        raise TypeError(f"to_torch takes an nn.MLP, got {describe(mlp)}")
    modules = []
    for layer in mlp.layers:
        name, _ = resolve(layer.activation)
        if name is None:
            raise ValueError(f"layer {layer.number} has the activation {brief(layer.activation)}, a function "
                             f"PyTorch cannot be given: to_torch knows 'sigmoid', 'tanh', 'relu' and 'linear'")
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.W_array()))
            linear.bias.copy_(torch.from_numpy(layer.b_array()))
        modules.append(linear)
        if name != "linear":
            modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[name])())
    return torch.nn.Sequential(*modules)


def _activation_name(torch, module):
    """Our name for a torch activation module, or None if it is not one we have."""
    if isinstance(module, torch.nn.Identity):
        return "linear"
    for ours, theirs in _TORCH_ACTIVATIONS.items():
        if type(module) is getattr(torch.nn, theirs):
            return ours
    return None


def _flattened(torch, module):
    """The modules of a Sequential in the order they run, nested Sequentials opened up."""
    out = []
    for m in module:
        out.extend(_flattened(torch, m) if isinstance(m, torch.nn.Sequential) else [m])
    return out


def _refusal(index, module):
    """Why the module at ``index`` of the Sequential cannot be part of an MLP."""
    kind = type(module).__name__
    where = f"module {index} of the Sequential ({kind})"
    if "Dropout" in kind:
        return (f"{where}: an MLP has no dropout; Dropout changes training and does nothing in eval "
                f"mode, so remove it before converting")
    if "Conv" in kind:
        return f"{where}: an MLP has fully connected layers only (torch.nn.Linear), not convolutions"
    if "Norm" in kind:
        return f"{where}: an MLP has no normalisation layers"
    if any(True for _ in module.parameters()):
        return f"{where}: a layer with parameters that is not torch.nn.Linear cannot be represented"
    return (f"{where}: not an activation an MLP has; nn knows Sigmoid, Tanh, ReLU "
            f"(and Identity, a linear layer)")


def _float64_array(torch, tensor, name):
    """``tensor`` as a float64 NumPy array: float16/bfloat16/float32 widen exactly; others refused."""
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"{name} has dtype {tensor.dtype}: an MLP's parameters are real floating-point numbers")
    if tensor.is_meta:
        raise ValueError(f"{name} is on the meta device: it has a shape but no numbers (a model made under "
                         f"torch.device('meta')); give it numbers first, e.g. model.to_empty(device='cpu') "
                         f"and an initialisation or load_state_dict")
    return tensor.detach().to("cpu", torch.float64).numpy().copy()


def from_torch(module: torch.nn.Module) -> MLP:
    """The ``MLP`` computing what ``module`` computes, with its parameters.

    ``module`` is a ``torch.nn.Sequential`` of ``Linear`` layers (with biases), each followed by at
    most one ``Sigmoid``, ``Tanh``, ``ReLU`` or ``Identity``; a bare ``Linear`` is a one-layer MLP.
    The hidden layers must share one activation (an MLP has a hidden and an output activation).
    float32 (or half-precision) parameters are widened to float64, which is exact; anything else
    an MLP cannot represent (convolutions, dropout, normalisation, other activations, a Linear
    without bias, sizes that do not chain, a Linear used twice or tied weights, parameters on the
    meta device) is refused with an error naming the module (numbered in
    the order the modules run, those of nested Sequentials included)."""
    torch = require_torch("nn.from_torch")
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch reads a torch.nn.Sequential of Linear layers and activations, got "
                        f"{type(module).__name__}: the forward() of another kind of Module cannot be read")
    layers: list[list[Any]] = []   # [Linear, activation name]
    owner: dict[int, int] = {}     # id of a parameter tensor -> the module that holds it first
    for i, m in enumerate(_flattened(torch, module)):
        if isinstance(m, torch.nn.Linear):
            if m.bias is None:
                raise ValueError(f"module {i} of the Sequential is Linear(..., bias=False): every neuron "
                                 f"of an MLP has a bias (give the Linear one, set to zero if you like)")
            for tensor in (m.weight, m.bias):
                if id(tensor) in owner:  # the same Linear twice, or tied weights: one set of numbers
                    raise ValueError(f"module {i} of the Sequential shares its parameters with module "
                                     f"{owner[id(tensor)]} (the same Linear used twice, or tied weights): "
                                     f"the layers of an MLP each have parameters of their own, so the tie "
                                     f"cannot be kept, and untying it would train another model")
                owner[id(tensor)] = i
            if layers and m.in_features != layers[-1][0].out_features:
                raise ValueError(f"module {i} of the Sequential, Linear({m.in_features}, {m.out_features}), "
                                 f"takes {m.in_features} inputs but the layer before it has "
                                 f"{layers[-1][0].out_features} outputs")
            layers.append([m, "linear"])
            continue
        name = _activation_name(torch, m)
        if name is None:
            raise ValueError(_refusal(i, m))
        if name == "linear":   # Identity changes nothing, wherever it stands
            continue
        if not layers:
            raise ValueError(f"module {i} of the Sequential ({type(m).__name__}) comes before any Linear: "
                             f"an MLP's inputs go into a layer first")
        if layers[-1][1] != "linear":
            raise ValueError(f"module {i} of the Sequential ({type(m).__name__}) follows another "
                             f"activation: an MLP layer has one activation")
        layers[-1][1] = name
    if not layers:
        raise ValueError("from_torch got a Sequential without any Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"the hidden layers use different activations ({', '.join(n for _, n in layers[:-1])}): "
                         f"an MLP has one activation for all hidden layers and one for the output layer")
    first = layers[0][0]
    mlp = MLP(first.in_features, [m.out_features for m, _ in layers],
              activation=hidden.pop() if hidden else "linear", output_activation=layers[-1][1], init="zeros")
    arrays = {}
    for l, (m, _) in enumerate(layers, 2):
        arrays[f"W[{l}]"] = _float64_array(torch, m.weight, f"the weight of layer {l}")
        arrays[f"b[{l}]"] = _float64_array(torch, m.bias, f"the bias of layer {l}")
    mlp.set_arrays(arrays)
    return mlp

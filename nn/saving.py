"""Saving a module's parameters to JSON and loading them back: safe, exact and strict.

The file is plain JSON (no pickle, nothing is ever executed)::

    {"format": "seebackprop.module", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [2, 3, 2],
                      "activation": "sigmoid", "output_activation": "sigmoid"},
     "parameters": {"W[2][1,1]": -0.0832..., ..., "b[4][2]": 0.415...}}

Version 2 records the whole of any other module: a Sequential as the list of its layers (each
with its sizes, activation, dropout rate, pool size and layer number; its parameters named
"0.W[2][1,1]", "2.b[3][1]" ... by layer position), a class of your own by its name and the modules
it holds. An MLP, a Layer and a Neuron are still written as version 1, which recorded them whole.

* Floats are written with Python's repr, the shortest text that reads back to the same float:
  a round trip is exact, bit for bit.
* ``save`` is atomic: it writes a temporary file in the same directory, flushes and fsyncs it, then
  renames it over the target (``os.replace``). A crash or an error at any point leaves either the
  old file or the new one, never a half-written file; the temporary file is removed on failure.
  It replaces only a regular file (or creates a new one): a FIFO, a device or a socket at the path,
  or at the end of a symbolic link, is refused and left as it is.
* ``load_into`` checks the whole file before it changes anything: a regular file (a FIFO or a
  device is never opened for reading), valid UTF-8 JSON, the format tag and version, the same
  architecture as the module, layer by layer, exactly the module's parameter names (no
  missing, extra or duplicate names), and every value a finite real number (JSON numbers; true,
  false, strings, null, NaN and Infinity are refused). On any problem it raises ValueError (or
  FileNotFoundError) naming the file and the problem (briefly: nothing read from the file is
  quoted at length), and the module is untouched; the parameters are then written all at once,
  so even Ctrl-C cannot leave half of them loaded.
* Only named activations ("sigmoid", "relu", "tanh", "linear") can be saved: a Python function
  cannot be written to JSON, so ``save`` refuses a module that uses one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import stat
from typing import TypeVar

from engine.core.files import kind, shown

from .activations import NAMES
from .atomic import assign
from .checks import describe
from .conv import Conv2d, Flatten, MaxPool2d, ReLU
from .dropout import Dropout
from .module import MLP, Layer, Module, Neuron
from .sequential import Sequential

FORMAT = "seebackprop.module"
VERSION = 2  # 2: every layer of a Sequential (and of your own modules) is recorded and checked
READABLE = (1, 2)

_M = TypeVar("_M", bound=Module)  # load_into returns the module it is given, as its own type


# ---------------------------------------------------------------------------- writing

def _activation_name(activation, where):
    if isinstance(activation, str) and activation in NAMES:
        return activation
    shown = getattr(activation, "__name__", None)
    shown = shown if isinstance(shown, str) else describe(activation)
    raise ValueError(f"cannot save {where}: its activation is the function {shown[:60]}, and only the "
                     f"named activations {', '.join(map(repr, NAMES))} can be saved (a function "
                     f"cannot be written to JSON); save module.arrays() yourself instead")


def architecture(module):
    """The architecture record of ``module``: everything needed to build it again and everything
    ``load_into`` compares (the layers of a Sequential one by one, with their sizes, activations,
    dropout rates and layer numbers; for a class of your own, its name and the modules it holds)."""
    return _architecture(module, set())


def _architecture(module, seen):
    kind = type(module)
    if kind is MLP:
        return {"type": "MLP", "nin": module.nin, "nouts": list(module.nouts),
                "activation": _activation_name(module.activation, "this MLP's hidden layers"),
                "output_activation": _activation_name(module.output_activation, "this MLP's output layer")}
    if kind is Layer:
        return {"type": "Layer", "nin": module.nin, "nout": module.nout, "layer": module.number,
                "activation": _activation_name(module.activation, f"layer {module.number}")}
    if kind is Neuron:
        return {"type": "Neuron", "nin": module.nin, "layer": module.layer, "index": module.index,
                "activation": _activation_name(module.activation, "this neuron")}
    if kind is Conv2d:
        return {"type": "Conv2d", "in_channels": module.in_channels, "out_channels": module.out_channels,
                "kernel_size": module.kernel_size, "layer": module.number}
    if kind is MaxPool2d:
        return {"type": "MaxPool2d", "size": module.size, "layer": module.number}
    if kind is ReLU:
        return {"type": "ReLU", "layer": module.number}
    if kind is Flatten:
        return {"type": "Flatten"}
    if kind is Dropout:
        return {"type": "Dropout", "p": module.p, "layer": module.number}
    if not isinstance(module, Module):
        raise TypeError(f"save takes a Module (MLP, Layer, Neuron, Sequential or your own), got "
                        f"{describe(module)}")
    if id(module) in seen:
        raise ValueError(f"cannot save: the {kind.__name__} contains itself")
    seen = seen | {id(module)}
    if kind is Sequential:
        return {"type": "Sequential", "layers": [_layer(layer, seen) for layer in module.layers]}
    # a class of your own: its name, and the modules it holds (what can be known without its code)
    record = {"type": "Module", "class": kind.__name__}
    children = {}
    for name, value in sorted(vars(module).items()):
        if isinstance(value, Module):
            children[name] = _architecture(value, seen)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
            children[name] = [_architecture(v, seen) for v in value]
    if children:
        record["children"] = children
    return record


def _layer(layer, seen):
    if isinstance(layer, Module):
        return _architecture(layer, seen)
    shown = getattr(layer, "__name__", None)
    raise ValueError(f"cannot save this Sequential: its layer {shown if isinstance(shown, str) else describe(layer)} "
                     f"is a plain function, whose code cannot be written to JSON")


def named_parameters(module):
    """[(name, Value)] as the file stores them: ``module.named_parameters()``, except that the
    parameters of a Sequential's i-th layer are named "i." + their name in that layer (the layers
    of a Sequential may reuse the paper's layer numbers, and so the names W[l][j,k])."""
    if type(module) is Sequential:
        return [(f"{i}.{name}", p) for i, layer in enumerate(module.layers) if isinstance(layer, Module)
                for name, p in named_parameters(layer)]
    return module.named_parameters()


def _parameters(module):
    named = named_parameters(module)
    out = {}
    for name, p in named:
        if name in out:
            raise ValueError(f"cannot save: two parameters are both named {name[:80]!r}")
        if not math.isfinite(p.data):
            raise ValueError(f"cannot save: parameter {name[:80]} is {p.data!r}; JSON has no NaN or "
                             f"infinity, and a diverged network is not worth keeping")
        out[name] = p.data
    return out


def document(module):
    """The JSON document of ``module`` as a dict (everything ``save`` writes). Its version is the
    oldest that records the whole architecture: 1 for an MLP, a Layer, a Neuron or a class of your
    own that holds no modules (version 1 recorded those completely, so older programs still read
    them), 2 for anything else."""
    arch = architecture(module)
    plain = arch == {"type": "Module", "class": arch.get("class")}
    version = 1 if arch["type"] in ("MLP", "Layer", "Neuron") or plain \
        else VERSION
    return {"format": FORMAT, "version": version, "architecture": arch, "parameters": _parameters(module)}


def _refuse_unless_regular(target, path):
    """Raise unless ``target`` is missing or a regular file: ``save`` replaces only a file it could
    have written itself, never a FIFO, a device or a socket (as root, /dev/null itself)."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise _naming(e, path) from None
    if not stat.S_ISREG(mode):
        where = shown(path) if os.fspath(path) == target else f"{shown(path)} (which leads to {shown(target)})"
        raise FileExistsError(f"cannot save to {where}: it is a {kind(mode)}, not a regular file; save "
                              f"replaces only a regular file or creates a new one, so it is left as it is")


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s architecture and parameters to ``path`` as JSON, atomically.

    ``path`` must be a new file or an existing regular file (through a symbolic link: the file it
    leads to); a FIFO, a device, a socket or a directory is refused with FileExistsError (or
    IsADirectoryError) and left untouched."""
    doc = document(module)  # every check happens before the disk is touched
    path = os.fspath(path)
    if not path or os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {shown(path)!r}: give a file name, not a directory")
    target = os.path.realpath(path)  # through a symbolic link: replace the file it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {shown(path)}: the directory {shown(directory)} does not exist")
    _refuse_unless_regular(target, path)
    temp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never clobber anything; mode 0o666 minus the umask: the permissions of a normal file
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        _refuse_unless_regular(target, path)  # again: it may have changed while we wrote
        if os.path.exists(target):
            shutil.copymode(target, temp)  # a private (0600) file stays private
        os.replace(temp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(e, OSError):
            raise _naming(e, path) from None
        raise
    _fsync_directory(directory)


def _naming(error, path):
    """The same kind of OSError, naming the file the user asked for, not our hidden temporary."""
    if error.errno is None:
        return type(error)(f"cannot save to {path}: {error}")
    return type(error)(error.errno, f"cannot save to {path}: {error.strerror}", path)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- reading

class _BadConstant(ValueError):
    pass


def _reject_constant(name):
    raise _BadConstant(name)


def _parse_int(text):
    """A JSON integer; one of more digits than any float can hold is refused before Python's own
    limit on converting long digit strings raises an error that names no file."""
    digits = len(text.lstrip("-"))
    if digits > 400:  # 10**400 is far beyond float64 (about 1.8e308)
        raise _BadConstant(f"a number of {digits} digits")
    return int(text)


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _BadConstant(f"duplicate key {_brief(key)}")
        out[key] = value
    return out


def _refuse_to_read(mode, path):
    if stat.S_ISDIR(mode):
        raise ValueError(f"cannot load {shown(path)}: it is a directory, not a saved module")
    if not stat.S_ISREG(mode):  # a pipe or a device (/dev/zero) could feed us without end
        raise ValueError(f"cannot load {shown(path)}: it is a {kind(mode)}, not a saved module "
                         f"(only a regular file is read)")


def read(path):
    """The checked JSON document stored at ``path`` (format tag, version, the two sections)."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
        _refuse_to_read(mode, path)  # before opening: a FIFO would block, a socket cannot be opened
        # O_NONBLOCK: should it have become a FIFO since, opening it must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved module at {shown(path)}: the file does not exist") from None
    try:
        _refuse_to_read(os.fstat(fd).st_mode, path)  # the file opened is the file checked
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        raw = f.read()
    path = shown(path)  # from here on only for messages
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not a saved module: not UTF-8 text (bad byte at offset {e.start})") from None
    if not text.strip():
        raise ValueError(f"{path} is empty, not a saved module (a save that never completed?)")
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys,
                         parse_int=_parse_int)
    except json.JSONDecodeError as e:
        body = text.strip()  # a save cut short starts like a JSON object but never closes it
        if e.msg == "Extra data":  # a complete document, then more: not a cut, an addition
            why = "more text follows the end of the saved module"
        elif (e.pos >= len(body) or e.msg.startswith("Unterminated")
              or (body.startswith("{") and not body.endswith("}"))):
            why = "the file ends too early: it is truncated"
        else:
            why = "it is not valid JSON"
        raise ValueError(f"cannot load {path}: {why} ({e.msg} at line {e.lineno}, column {e.colno})") from None
    except RecursionError:  # Python's JSON reader recurses once per level of nesting
        raise ValueError(f"cannot load {path}: it is not a saved module: its JSON is nested too "
                         f"deeply (a saved module has three levels)") from None
    except _BadConstant as e:
        text = str(e)
        if text.startswith("duplicate"):
            raise ValueError(f"cannot load {path}: {text[:120]}") from None
        raise ValueError(f"cannot load {path}: it holds {text}, but every value must be a finite number") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a saved module: it holds a JSON {type(doc).__name__}, not an object")
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved module: its format tag is {_brief(doc.get('format'))}, "
                         f"expected {FORMAT!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"cannot load {path}: its format version is {_brief(version)}, not an integer")
    if version not in READABLE:
        raise ValueError(f"cannot load {path}: it has format version {_brief(version)}; this program "
                         f"reads versions {' and '.join(map(str, READABLE))}")
    for key in ("architecture", "parameters"):
        if not isinstance(doc.get(key), dict):
            raise ValueError(f"cannot load {path}: its {key!r} entry is missing or not a JSON object")
    return doc


def _brief(x):
    """A value read from a file, for a message: its repr, at most 60 characters."""
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _same(a, b):
    """Equal as JSON values of the same types (1, 1.0 and true are three different things)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _types(records):
    names = [r.get("type", "?") if isinstance(r, dict) else type(r).__name__ for r in records]
    shown = ", ".join(_brief(n) if not isinstance(n, str) else n[:20] for n in names[:8])
    return shown + (", ..." if len(names) > 8 else "")


def _name(record):
    """A module's kind in a record: its class for your own, else its type."""
    return record.get("class") if record.get("type") == "Module" else record.get("type")


def _differences(expected, found, where="", out=None):
    """The first few differences between the module's record and the file's, in words."""
    out = [] if out is None else out
    if len(out) >= 3 or _same(expected, found):
        return out
    at = f"{where}: " if where else ""
    if isinstance(expected, dict) and isinstance(found, dict):
        if expected.get("type") != found.get("type") or expected.get("class") != found.get("class"):
            out.append(f"{at}the file has {_brief(_name(found))}, the module has {_brief(_name(expected))}")
            return out
        for key in list(expected) + [k for k in found if k not in expected]:
            sub = f"{where}.{str(key)[:40]}" if where else str(key)[:40]
            if key not in found:
                out.append(f"{sub}: missing from the file (the module has {_brief(expected[key])})")
            elif key not in expected:
                out.append(f"{sub}: the file has {_brief(found[key])}, which the module does not have")
            else:
                _differences(expected[key], found[key], sub, out)
            if len(out) >= 3:
                break
    elif isinstance(expected, list) and isinstance(found, list) and expected and \
            all(isinstance(r, dict) for r in expected):  # a list of layers: say which layer differs
        if len(expected) == len(found):
            for i, (e, f) in enumerate(zip(expected, found)):
                _differences(e, f, f"{where}[{i}]", out)
            return out
        out.append(f"{at}the file has {len(found)} ({_types(found)}), the module has {len(expected)} "
                   f"({_types(expected)})")
    else:
        out.append(f"{at}the file has {_brief(found)}, the module has {_brief(expected)}")
    return out


def _checked_values(module, doc, path):
    """[(Value, float)] for every parameter, after checking the file against ``module``."""
    expected = architecture(module)
    found = doc["architecture"]
    if doc["version"] == 1 and found.get("type") == "Module" and not _same(expected, found):
        raise ValueError(f"cannot load {path} into this {type(module).__name__}: it was written by format "
                         f"version 1, which recorded a {_brief(found.get('class'))} by its class name only, "
                         f"not its layers, so it cannot be checked against this module; its numbers, by "
                         f"parameter name, are in nn.saving.read(path)['parameters'] if you know which "
                         f"architecture wrote them")
    if not _same(expected, found):
        raise ValueError(f"cannot load {path} into this {type(module).__name__}: the architectures "
                         f"differ ({'; '.join(_differences(expected, found))})")
    named = named_parameters(module)
    stored = doc["parameters"]
    names = [name for name, _ in named]
    known = set(names)
    missing = [n for n in names if n not in stored]
    extra = [n for n in stored if n not in known]
    if missing or extra:
        parts = []
        for what, which in (("missing", missing), ("unexpected", extra)):
            if which:
                shown = ", ".join(n[:40] for n in which[:5])
                parts.append(f"{what} {len(which)} ({shown}{' ...' if len(which) > 5 else ''})")
        raise ValueError(f"cannot load {path}: the parameter names do not match the module: "
                         f"{'; '.join(parts)}")
    out = []
    for name, p in named:
        value = stored[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"cannot load {path}: parameter {name[:60]} is {_brief(value)} "
                             f"({type(value).__name__}), not a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"cannot load {path}: parameter {name[:60]} is {_brief(value)}, not a finite number")
        out.append((p, number))
    return out


def load_into(module: _M, path: str | os.PathLike[str]) -> _M:
    """Set ``module``'s parameters from the file at ``path``. The file is checked completely
    first: its whole architecture (for a Sequential every layer, activation, dropout rate and
    layer number) must be the module's; on any problem, or a Ctrl-C, nothing changes. Returns the
    module."""
    doc = read(path)
    assign(_checked_values(module, doc, shown(path)))  # all or nothing
    return module


def _build(arch, path, depth=0):
    if not isinstance(arch, dict):
        raise ValueError(f"cannot load {path}: a layer of its architecture is {_brief(arch)}, not a JSON object")
    if depth > 50:
        raise ValueError(f"cannot load {path}: its architecture nests Sequentials more than 50 deep")
    kind = arch.get("type")
    try:
        if kind == "MLP":
            return MLP(arch["nin"], arch["nouts"], arch["activation"], arch["output_activation"],
                       init="zeros")
        if kind == "Layer":
            return Layer(arch["nin"], arch["nout"], arch["activation"], layer=arch["layer"],
                         init="zeros")
        if kind == "Neuron":
            return Neuron(arch["nin"], arch["activation"], layer=arch["layer"], index=arch["index"],
                          init="zeros")
        if kind == "Conv2d":
            return Conv2d(arch["in_channels"], arch["out_channels"], arch["kernel_size"], layer=arch["layer"],
                          init="zeros")
        if kind == "MaxPool2d":
            return MaxPool2d(arch["size"], layer=arch["layer"])
        if kind == "ReLU":
            return ReLU(layer=arch["layer"])
        if kind == "Flatten":
            return Flatten()
        if kind == "Dropout":  # the masks come from a fresh, unseeded generator: seed it yourself
            return Dropout(arch["p"], layer=arch["layer"])
        if kind == "Sequential":
            layers = arch["layers"]
            if not isinstance(layers, list):
                raise ValueError(f"its layers are {_brief(layers)}, not a list")
            return Sequential(*(_build(layer, path, depth + 1) for layer in layers))
    except KeyError as e:
        raise ValueError(f"cannot load {path}: its architecture lacks the entry {_brief(e.args[0])}") from None
    except (TypeError, ValueError) as e:
        if str(e).startswith(f"cannot load {path}"):
            raise
        raise ValueError(f"cannot load {path}: its architecture is invalid: {str(e)[:200]}") from None
    if kind == "Module":
        raise ValueError(f"cannot load {path} on its own: it holds the parameters of your own module "
                         f"class {_brief(arch.get('class'))}; build one and use load_into(module, path)")
    raise ValueError(f"cannot load {path}: unknown module type {_brief(kind)} (expected MLP, Layer, Neuron, "
                     f"Sequential or one of its layers)")


def _count(n):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError
    return n


def _parameter_count(arch, depth=0):
    """How many parameters the architecture has, or None if it is malformed (``_build`` says why)."""
    try:
        kind = arch.get("type")
        if kind == "MLP":
            sizes = [_count(n) for n in [arch["nin"], *arch["nouts"]]]
            return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if kind == "Layer":
            return (_count(arch["nin"]) + 1) * _count(arch["nout"])
        if kind == "Neuron":
            return _count(arch["nin"]) + 1
        if kind == "Conv2d":
            return _count(arch["out_channels"]) * (_count(arch["in_channels"]) * _count(arch["kernel_size"]) ** 2 + 1)
        if kind in ("MaxPool2d", "ReLU", "Flatten", "Dropout"):
            return 0
        if kind == "Sequential" and depth <= 50:
            counts = [_parameter_count(layer, depth + 1) for layer in arch["layers"]]
            return None if None in counts else sum(counts)
    except (AttributeError, KeyError, TypeError, OverflowError):
        pass
    return None


def load(path: str | os.PathLike[str]) -> Module:
    """A new module (MLP, Layer, Neuron or a Sequential of nn's layers) built from the architecture
    stored at ``path``, with its saved parameters. A Dropout layer's masks come from a fresh
    generator (the file holds no random state): give it one with ``layer.rng = ...``."""
    doc = read(path)
    path = shown(path)
    count = _parameter_count(doc["architecture"])
    if isinstance(count, int) and count > 10_000 and count != len(doc["parameters"]):
        # checked before building, so that a damaged architecture cannot make us build a huge
        # network only to refuse it; small ones are built and their parameter names compared
        raise ValueError(f"cannot load {path}: its architecture has {count} parameters but the file "
                         f"stores {len(doc['parameters'])}")
    module = _build(doc["architecture"], path)
    assign(_checked_values(module, doc, path))
    return module

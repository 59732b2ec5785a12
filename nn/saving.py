"""Saving a module's parameters to JSON and loading them back: safe, exact and strict.

The file is plain JSON (no pickle, nothing is ever executed)::

    {"format": "seebackprop.module", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [2, 3, 2],
                      "activation": "sigmoid", "output_activation": "sigmoid"},
     "parameters": {"W[2][1,1]": -0.0832..., ..., "b[4][2]": 0.415...}}

* Floats are written with Python's repr, the shortest text that reads back to the same float:
  a round trip is exact, bit for bit.
* ``save`` is atomic: it writes a temporary file in the same directory, flushes and fsyncs it, then
  renames it over the target (``os.replace``). A crash or an error at any point leaves either the
  old file or the new one, never a half-written file; the temporary file is removed on failure.
* ``load_into`` checks the whole file before it changes anything: valid UTF-8 JSON, the format tag
  and version, the same architecture as the module, exactly the module's parameter names (no
  missing, extra or duplicate names), and every value a finite real number (JSON numbers; true,
  false, strings, null, NaN and Infinity are refused). On any problem it raises ValueError (or
  FileNotFoundError) naming the file and the problem, and the module is untouched.
* Only named activations ("sigmoid", "relu", "tanh", "linear") can be saved: a Python function
  cannot be written to JSON, so ``save`` refuses a module that uses one.
"""

import contextlib
import json
import math
import os
import secrets
import shutil

from .activations import NAMES
from .module import MLP, Layer, Module, Neuron

FORMAT = "seebackprop.module"
VERSION = 1


# ---------------------------------------------------------------------------- writing

def _activation_name(activation, where):
    if isinstance(activation, str) and activation in NAMES:
        return activation
    shown = getattr(activation, "__name__", repr(activation))
    raise ValueError(f"cannot save {where}: its activation is the function {shown}, and only the "
                     f"named activations {', '.join(map(repr, NAMES))} can be saved (a function "
                     f"cannot be written to JSON); save module.arrays() yourself instead")


def architecture(module):
    """The architecture record of ``module``: what is needed to build it again."""
    if isinstance(module, MLP):
        return {"type": "MLP", "nin": module.nin, "nouts": list(module.nouts),
                "activation": _activation_name(module.activation, "this MLP's hidden layers"),
                "output_activation": _activation_name(module.output_activation, "this MLP's output layer")}
    if isinstance(module, Layer):
        return {"type": "Layer", "nin": module.nin, "nout": module.nout, "layer": module.number,
                "activation": _activation_name(module.activation, f"layer {module.number}")}
    if isinstance(module, Neuron):
        return {"type": "Neuron", "nin": module.nin, "layer": module.layer, "index": module.index,
                "activation": _activation_name(module.activation, "this neuron")}
    if isinstance(module, Module):
        return {"type": "Module", "class": type(module).__name__}
    raise TypeError(f"save takes a Module (MLP, Layer, Neuron or your own), got {type(module).__name__}")


def _parameters(module):
    named = module.named_parameters()
    out = {}
    for name, p in named:
        if name in out:
            raise ValueError(f"cannot save: two parameters are both named {name!r}")
        if not math.isfinite(p.data):
            raise ValueError(f"cannot save: parameter {name} is {p.data!r}; JSON has no NaN or "
                             f"infinity, and a diverged network is not worth keeping")
        out[name] = p.data
    return out


def document(module):
    """The JSON document of ``module`` as a dict (everything ``save`` writes)."""
    return {"format": FORMAT, "version": VERSION, "architecture": architecture(module),
            "parameters": _parameters(module)}


def save(module, path):
    """Write ``module``'s architecture and parameters to ``path`` as JSON, atomically."""
    doc = document(module)  # every check happens before the disk is touched
    path = os.fspath(path)
    if not path or os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: give a file name, not a directory")
    target = os.path.realpath(path)  # through a symbolic link: replace the file it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to {path}: the directory {directory} does not exist")
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
            raise _BadConstant(f"duplicate key {key!r}")
        out[key] = value
    return out


def read(path):
    """The checked JSON document stored at ``path`` (format tag, version, the two sections)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved module at {path}: the file does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"cannot load {path}: it is a directory, not a saved module") from None
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
            raise ValueError(f"cannot load {path}: {text}") from None
        raise ValueError(f"cannot load {path}: it holds {text}, but every value must be a finite number") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path} is not a saved module: it holds a JSON {type(doc).__name__}, not an object")
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} is not a saved module: its format tag is {doc.get('format')!r}, "
                         f"expected {FORMAT!r}")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"cannot load {path}: its format version is {version!r}, not an integer")
    if version != VERSION:
        raise ValueError(f"cannot load {path}: it has format version {version}; this program "
                         f"reads version {VERSION}")
    for key in ("architecture", "parameters"):
        if not isinstance(doc.get(key), dict):
            raise ValueError(f"cannot load {path}: its {key!r} entry is missing or not a JSON object")
    return doc


def _differences(expected, found):
    keys = list(expected) + [k for k in found if k not in expected]
    return "; ".join(f"{k}: the file has {found.get(k, '(nothing)')!r}, the module has "
                     f"{expected.get(k, '(nothing)')!r}" for k in keys if expected.get(k) != found.get(k))


def _checked_values(module, doc, path):
    """[(Value, float)] for every parameter, after checking the file against ``module``."""
    expected = architecture(module)
    found = doc["architecture"]
    if found != expected:
        raise ValueError(f"cannot load {path} into this {type(module).__name__}: the architectures "
                         f"differ ({_differences(expected, found)})")
    named = module.named_parameters()
    stored = doc["parameters"]
    names = [name for name, _ in named]
    missing = [n for n in names if n not in stored]
    extra = [n for n in stored if n not in set(names)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} ({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''})")
        if extra:
            parts.append(f"unexpected {len(extra)} ({', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''})")
        raise ValueError(f"cannot load {path}: the parameter names do not match the module: "
                         f"{'; '.join(parts)}")
    out = []
    for name, p in named:
        value = stored[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"cannot load {path}: parameter {name} is {value!r} "
                             f"({type(value).__name__}), not a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"cannot load {path}: parameter {name} is {value!r}, not a finite number")
        out.append((p, number))
    return out


def load_into(module, path):
    """Set ``module``'s parameters from the file at ``path``. The file is checked completely
    first; on any problem nothing changes. Returns the module."""
    doc = read(path)
    pairs = _checked_values(module, doc, os.fspath(path))
    for p, number in pairs:
        p.data = number
    return module


def _build(arch, path):
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
    except KeyError as e:
        raise ValueError(f"cannot load {path}: its architecture lacks the entry {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"cannot load {path}: its architecture is invalid: {e}") from None
    if kind == "Module":
        raise ValueError(f"cannot load {path} on its own: it holds the parameters of your own module "
                         f"class {arch.get('class')!r}; build one and use load_into(module, path)")
    raise ValueError(f"cannot load {path}: unknown module type {kind!r} (expected MLP, Layer or Neuron)")


def _parameter_count(arch):
    """How many parameters the architecture has, or None if it is malformed (``_build`` says why)."""
    try:
        if arch.get("type") == "MLP":
            sizes = [arch["nin"], *arch["nouts"]]
            return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if arch.get("type") == "Layer":
            return (arch["nin"] + 1) * arch["nout"]
        if arch.get("type") == "Neuron":
            return arch["nin"] + 1
    except (KeyError, TypeError):
        pass
    return None


def load(path):
    """A new module (MLP, Layer or Neuron) built from the architecture stored at ``path``, with
    its saved parameters."""
    doc = read(path)
    path = os.fspath(path)
    count = _parameter_count(doc["architecture"])
    if isinstance(count, int) and count > 10_000 and count != len(doc["parameters"]):
        # checked before building, so that a damaged architecture cannot make us build a huge
        # network only to refuse it; small ones are built and their parameter names compared
        raise ValueError(f"cannot load {path}: its architecture has {count} parameters but the file "
                         f"stores {len(doc['parameters'])}")
    module = _build(doc["architecture"], path)
    for p, number in _checked_values(module, doc, path):
        p.data = number
    return module

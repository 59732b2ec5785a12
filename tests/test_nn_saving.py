"""Saving and loading parameters as JSON: an exact round trip, atomic writes that survive a crash
mid-write, and every bad file refused with a clear error and the module left unchanged."""

import json
import os

import pytest

import nn.saving
from nn import MLP, Layer, Neuron, load, load_into, save


def higham(seed=0):
    return MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=seed)


def values(module):
    return [p.data for p in module.parameters()]


def test_round_trip_is_exact(tmp_path):
    net = higham(1)
    net.set_arrays({"b[2]": [0.1 + 0.2, 1e-300]})       # awkward floats survive unchanged
    path = tmp_path / "net.json"
    save(net, path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "seebackprop.module" and doc["version"] == 1
    assert doc["architecture"] == {"type": "MLP", "nin": 2, "nouts": [2, 3, 2],
                                   "activation": "sigmoid", "output_activation": "sigmoid"}
    assert list(doc["parameters"]) == [name for name, _ in net.named_parameters()]
    loaded = load(path)
    assert isinstance(loaded, MLP) and repr(loaded) == repr(net)
    assert values(loaded) == values(net)                 # bit for bit
    other = higham(2)
    params = other.parameters()
    assert load_into(other, str(path)) is other
    assert values(other) == values(net) and other.parameters() == params
    x = [0.3, 0.6]
    assert [v.data for v in loaded(x)] == [v.data for v in net(x)]


def test_layers_and_neurons_round_trip(tmp_path):
    for module in (Layer(3, 2, "tanh", layer=3, rng=0), Neuron(4, "relu", layer=2, index=3, rng=0)):
        path = tmp_path / f"{type(module).__name__}.json"
        save(module, path)
        loaded = load(path)
        assert type(loaded) is type(module) and repr(loaded) == repr(module)
        assert values(loaded) == values(module)


def test_callable_activations_and_nonfinite_parameters_are_not_saved(tmp_path):
    path = tmp_path / "x.json"
    with pytest.raises(ValueError, match="only the named activations"):
        save(MLP(2, [2, 1], activation=lambda z: z * z, rng=0), path)
    net = higham()
    net.parameters()[4].data = float("nan")
    with pytest.raises(ValueError, match=r"parameter W\[2\]\[2,2\] is nan"):
        save(net, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(higham(), tmp_path / "missing" / "x.json")


@pytest.mark.parametrize("stage", ["json.dump", "fsync", "os.replace"])
def test_a_crash_mid_write_leaves_the_old_file(tmp_path, monkeypatch, stage):
    path = tmp_path / "net.json"
    save(higham(1), path)
    good = path.read_bytes()

    def crash(*args, **kwargs):
        if stage == "json.dump":     # write part of the document, then fail
            args[1].write('{"format": "seebackprop.module", "vers')
        raise OSError(f"simulated crash in {stage}")

    target = {"json.dump": (nn.saving.json, "dump"), "fsync": (nn.saving.os, "fsync"),
              "os.replace": (nn.saving.os, "replace")}[stage]
    monkeypatch.setattr(*target, crash)
    with pytest.raises(OSError, match="simulated crash"):
        save(higham(2), path)
    monkeypatch.undo()
    assert path.read_bytes() == good                      # the old file, intact
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]   # no temporary file left
    assert values(load(path)) == values(higham(1))


def test_saved_file_has_normal_permissions(tmp_path):
    path = tmp_path / "net.json"
    save(higham(), path)
    reference = tmp_path / "plain.txt"
    reference.write_text("x")
    assert os.stat(path).st_mode == os.stat(reference).st_mode


def bad_files(good):
    doc = json.loads(good)

    def with_(change):
        d = json.loads(good)
        change(d)
        return json.dumps(d)

    return {
        "truncated": (good[: len(good) // 2], "truncated"),
        "empty": ("", "empty"),
        "not JSON": ("W[2] = [[1, 2], [3, 4]]\n", "not valid JSON"),
        "not UTF-8": (b"\xff\xfe{}".decode("latin-1"), "not UTF-8"),
        "a list": ("[1, 2, 3]", "holds a JSON list"),
        "other format": (with_(lambda d: d.update(format="numpy")), "format tag is 'numpy'"),
        "newer version": (with_(lambda d: d.update(version=3)), "format version 3"),
        "other architecture": (with_(lambda d: d["architecture"].update(nouts=[3, 3, 2])),
                               r"architectures differ \(nouts: the file has \[3, 3, 2\], the module has \[2, 3, 2\]"),
        "other activation": (with_(lambda d: d["architecture"].update(activation="relu")),
                             "architectures differ"),
        "a string value": (with_(lambda d: d["parameters"].update({"W[3][2,1]": "0.5"})),
                           r"parameter W\[3\]\[2,1\] is '0.5' \(str\), not a number"),
        "a null value": (with_(lambda d: d["parameters"].update({"b[4][1]": None})), "not a number"),
        "a boolean value": (with_(lambda d: d["parameters"].update({"b[4][1]": True})), "not a number"),
        "a list value": (with_(lambda d: d["parameters"].update({"b[4][1]": [1.0]})), "not a number"),
        "NaN": (good.replace(str(doc["parameters"]["b[2][1]"]), "NaN"), "NaN.*finite number"),
        "Infinity": (good.replace(str(doc["parameters"]["b[2][1]"]), "-Infinity"), "finite number"),
        "overflowing number": (good.replace(str(doc["parameters"]["b[2][1]"]), "1e999"), "not a finite number"),
        "missing parameter": (with_(lambda d: d["parameters"].pop("W[4][2,3]")), r"missing 1 \(W\[4\]\[2,3\]\)"),
        "extra parameter": (with_(lambda d: d["parameters"].update({"W[5][1,1]": 1.0})), r"unexpected 1 \(W\[5\]\[1,1\]\)"),
        "duplicate name": (good.replace('"b[2][1]"', '"W[2][1,1]"'), "duplicate key 'W\\[2\\]\\[1,1\\]'"),
        "no parameters": (with_(lambda d: d.pop("parameters")), "'parameters' entry is missing"),
    }


@pytest.mark.parametrize("case", list(bad_files(json.dumps(nn.saving.document(
    MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", init="normal", rng=0)), indent=2))))
def test_bad_files_are_refused_and_change_nothing(tmp_path, case):
    good_path = tmp_path / "good.json"
    save(higham(0), good_path)
    text, message = bad_files(good_path.read_text())[case]
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="latin-1" if case == "not UTF-8" else "utf-8")
    net = higham(5)
    before = values(net)
    with pytest.raises(ValueError, match=message) as info:
        load_into(net, path)
    assert str(path) in str(info.value)                    # the error names the file
    assert values(net) == before                           # and nothing changed
    if case == "other activation":  # a valid file for another network: load() builds that one
        assert load(path).activation == "relu"
    elif case == "other architecture":  # 3-3-2 claimed, 2-3-2 parameters stored
        with pytest.raises(ValueError, match="parameter names do not match"):
            load(path)
    else:
        with pytest.raises(ValueError, match=message):
            load(path)


def test_missing_file_and_wrong_target_module(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "nothing.json")
    with pytest.raises(ValueError, match="is a directory"):
        load(tmp_path)
    path = tmp_path / "net.json"
    save(higham(), path)
    small = MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", rng=0)
    before = values(small)
    with pytest.raises(ValueError, match="architectures differ"):
        load_into(small, path)
    assert values(small) == before


def test_invalid_architecture_in_file(tmp_path):
    doc = nn.saving.document(higham())
    doc["architecture"]["nouts"] = [2, -3, 2]
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="architecture is invalid"):
        load(path)
    doc["architecture"] = {"type": "Module", "class": "MyNet"}
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="use load_into"):
        load(path)


def test_no_pickle_or_eval_in_the_saving_module():
    source = open(nn.saving.__file__).read()
    assert "pickle" not in source.replace("no pickle", "") and "eval(" not in source


def test_a_huge_claimed_architecture_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "net.json"
    save(MLP(2, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", rng=0), path)
    doc = json.loads(path.read_text())
    doc["architecture"]["nin"] = 3000
    doc["architecture"]["nouts"] = [3000, 2]
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="has 9009002 parameters but the file stores 23"):
        load(path)  # refused from the counts: building 9 million Values first would take a minute


def test_save_keeps_a_private_file_private_and_writes_through_a_link(tmp_path):
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    net = MLP(2, [2, 1], rng=0)
    save(net, real)
    os.chmod(real, 0o600)
    link.symlink_to(real)
    save(MLP(2, [2, 1], rng=1), link)
    assert link.is_symlink() and (real.stat().st_mode & 0o777) == 0o600
    assert [p.data for p in load(real).parameters()] == [p.data for p in MLP(2, [2, 1], rng=1).parameters()]
    with pytest.raises(IsADirectoryError, match="give a file name"):
        save(net, tmp_path)

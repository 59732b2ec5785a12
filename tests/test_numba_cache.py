"""The numba backend's cache of generated modules is safe (issue 25 item 7): a directory another user
could write into is refused (then the graph is compiled in memory, with a warning), a planted or
altered module file is never executed (it is written again), damaged numba cache files are rebuilt, a
read-only SEEBACKPROP_CACHE_DIR is not silently replaced, and at most MAX_LOADED modules stay loaded.

The cases with two users run, when the tests run as root, a forked process as a second, unprivileged
user (created with useradd if needed); otherwise they are skipped with the reason."""

import json
import os
import shutil
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("numba")

import engine  # noqa: E402
from engine import Value  # noqa: E402
from engine.compiler import cache  # noqa: E402
from engine.compiler.numba import write_module  # noqa: E402
from engine.compiler.plan import Plan  # noqa: E402

OTHER_USER = "sbp-cache-test"


def _graph(k=0.0):
    x, a = Value(0.5, label="x"), Value(2.0, label="a")
    return (a * x + k).tanh() * a, [x], [a]


def _expected(k=0.0):
    out, xs, ps = _graph(k)
    out.backward()
    return out.data, ps[0].grad


def _compiled(k=0.0):
    out, xs, ps = _graph(k)
    return engine.compile(out, xs, ps, backend="numba")


def _module_path(folder, k=0.0):
    out, xs, ps = _graph(k)
    source = write_module(Plan(out, xs, ps))
    return os.path.join(folder, f"seebackprop_native_{cache.digest(source)}.py"), source


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("SEEBACKPROP_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "_loaded", cache.OrderedDict())  # nothing loaded from earlier tests
    monkeypatch.setattr(cache, "_warned", set())
    return str(folder)


# ------------------------------------------------------------------ module files

@pytest.mark.parametrize("damage", ["planted", "altered", "empty", "binary"])
def test_a_module_file_that_is_not_the_generated_text_is_never_executed(private_dir, tmp_path, damage):
    path, source = _module_path(private_dir)
    marker = tmp_path / "ran"
    planted = {
        "planted": f"open({str(marker)!r}, 'w').write('pwned')\n",
        "altered": source.replace("return ", f"open({str(marker)!r}, 'w').write('x')\n    return ", 1),
        "empty": "",
        "binary": None,
    }[damage]
    if planted is None:
        with open(path, "wb") as f:
            f.write(b"\xff\xfe\x00garbage")
    else:
        with open(path, "w") as f:
            f.write(planted)
    cg = _compiled()
    value, (grad,) = cg.gradient([0.5], [2.0])
    assert (value, grad) == _expected()
    assert not marker.exists()
    with open(path) as f:
        assert f.read() == source  # written again, whole
    assert stat.S_IMODE(os.stat(private_dir).st_mode) & 0o077 == 0


def test_damaged_numba_cache_files_are_rebuilt(private_dir, monkeypatch):
    cg = _compiled(0.25)
    cg.jit("forward")
    expected = cg.forward([0.5], [2.0])
    folder = os.path.join(private_dir, "__pycache__")
    files = [f for f in os.listdir(folder) if f.endswith((".nbi", ".nbc"))]
    assert files, "numba wrote its cache beside the module"
    for name in files:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"\x80\x04garbage, not a pickle")
    monkeypatch.setattr(cache, "_loaded", cache.OrderedDict())  # as a new process would load it
    for name in [m for m in sys.modules if m.startswith("seebackprop_native_")]:
        monkeypatch.delitem(sys.modules, name)
    again = _compiled(0.25)
    again.jit("forward")
    assert again.forward([0.5], [2.0]) == expected
    assert again.jit_from_cache["forward"] is False  # compiled afresh, not from the garbage
    with open(os.path.join(folder, files[0]), "rb") as f:
        assert b"garbage" not in f.read()  # rebuilt


def test_at_most_max_loaded_modules_stay_loaded(private_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_LOADED", 3)
    graphs = [_compiled(0.1 * k) for k in range(6)]
    names = {cg.module["__name__"] for cg in graphs}
    assert len(names) == 6
    assert len(cache._loaded) == 3 and len(names & set(sys.modules)) == 3
    # graphs whose module was dropped keep working: they hold their own functions
    for k, cg in enumerate(graphs):
        assert cg.forward([0.5], [2.0]) == _expected(0.1 * k)[0]


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_directory_others_can_write_into_is_refused_with_a_warning(private_dir, mode):
    os.chmod(private_dir, mode)
    with pytest.warns(RuntimeWarning, match=r"compiles in memory .* can be written by other users"):
        cg = _compiled()
    assert cg.forward([0.5], [2.0]) == _expected()[0]
    assert os.listdir(private_dir) == []  # nothing was written into it


def test_a_symlink_or_a_world_writable_parent_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_warned", set())
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("SEEBACKPROP_CACHE_DIR", str(link))
    with pytest.warns(RuntimeWarning, match="is not a directory"):
        assert cache.cache_dir() is None
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # no sticky bit: anyone may rename the directory under it
    monkeypatch.setenv("SEEBACKPROP_CACHE_DIR", str(shared / "mine"))
    with pytest.warns(RuntimeWarning, match="a parent of .* can be changed by other users"):
        assert cache.cache_dir() is None


# ------------------------------------------------------------------ two users

@pytest.fixture
def shared_tmp():
    """A directory under /tmp that both users can write into, sticky as /tmp is (pytest's own
    tmp_path is private to root)."""
    import tempfile
    folder = tempfile.mkdtemp(prefix="sbp-cache-test-", dir="/tmp")
    os.chmod(folder, 0o1777)
    yield __import__("pathlib").Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _other_user():
    if os.geteuid() != 0:
        pytest.skip("the cases with a second user need root (to create and become that user)")
    import pwd
    try:
        return pwd.getpwnam(OTHER_USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        pytest.skip("useradd is not available to create a second user")
    done = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot create a second user: {done.stderr.strip()}")
    return pwd.getpwnam(OTHER_USER)


_WARM = []


def _warm_up():
    """Load in this process every module the child will need: once it is another user, files under
    a private interpreter directory (such as /root/.pyenv) can no longer be read."""
    if not _WARM:
        cg = _compiled(9.0)
        cg.jit("forward", "gradient")
        import tempfile  # noqa: F401
        _WARM.append(cg)


def _as_user(user, fn, env):
    """Run fn() in a forked child as ``user`` with ``env`` set; return what it returns (JSON)."""
    _warm_up()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
            for key, value in env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            cache._warned.clear()
            cache._loaded.clear()
            result = fn()
        except BaseException as e:  # noqa: BLE001 (reported to the parent)
            import traceback
            result, code = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}, 1
        os.write(write, json.dumps(result).encode())
        os.close(write)
        os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b"{}")
    assert "error" not in result, result.get("trace")
    return result


def _compile_and_report():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cg = _compiled()
        value, (grad,) = cg.gradient([0.5], [2.0])
    return {"value": value, "grad": grad, "file": cg.module["__file__"], "cached": bool(cg.module["CACHE"]),
            "warnings": [str(w.message) for w in caught], "dir": os.environ.get("SEEBACKPROP_CACHE_DIR")}


def _files_of(uid, top):
    found = []
    for folder, dirs, names in os.walk(top):
        for name in dirs + names:
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_uid == uid:
                    found.append(path)
            except OSError:
                pass
    return found


def test_a_directory_made_0777_by_another_user_is_refused(shared_tmp, monkeypatch):
    user = _other_user()
    planted = shared_tmp / "planted"

    def make():  # the other user prepares a directory for the victim (root here)
        os.mkdir(str(planted))
        os.chmod(str(planted), 0o777)
        return {}

    _as_user(user, make, {})
    assert os.stat(planted).st_uid == user.pw_uid
    monkeypatch.setenv("SEEBACKPROP_CACHE_DIR", str(planted))
    monkeypatch.setattr(cache, "_warned", set())
    monkeypatch.setattr(cache, "_loaded", cache.OrderedDict())
    with pytest.warns(RuntimeWarning, match=r"compiles in memory .* belongs to another user"):
        cg = _compiled()
    assert cg.forward([0.5], [2.0]) == _expected()[0] and os.listdir(planted) == []
    # and the other way round: root's world-writable directory is refused by the other user
    shared = shared_tmp / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    report = _as_user(user, _compile_and_report, {"SEEBACKPROP_CACHE_DIR": str(shared), "HOME": "/nonexistent"})
    assert [report["value"], report["grad"]] == list(_expected()) and not report["cached"]
    assert any("belongs to another user" in w and "compiles in memory" in w for w in report["warnings"])
    assert os.listdir(shared) == []


def test_a_read_only_cache_dir_is_not_silently_replaced(shared_tmp):
    user = _other_user()
    folder = shared_tmp / "readonly"
    folder.mkdir()
    os.chown(folder, user.pw_uid, user.pw_gid)
    os.chmod(folder, 0o500)
    before = set(_files_of(user.pw_uid, "/tmp"))
    report = _as_user(user, _compile_and_report, {"SEEBACKPROP_CACHE_DIR": str(folder), "HOME": "/nonexistent"})
    assert [report["value"], report["grad"]] == list(_expected())
    assert not report["cached"] and report["file"].startswith("<")  # in memory
    assert any("is not writable" in w and "compiles in memory" in w for w in report["warnings"])
    assert os.listdir(folder) == []
    assert set(_files_of(user.pw_uid, "/tmp")) - before == {str(folder)} - before  # nothing elsewhere


def test_without_a_writable_home_a_private_cache_dir_is_used_and_nothing_else(shared_tmp):
    user = _other_user()

    def fresh_runtime_then_compile():
        # numba's own cache of the runtime functions has no writable place here (the package is
        # root's, there is no home): importing them again must not fail with "no locator"
        import importlib
        folder = os.path.join(str(shared_tmp), "mine")
        os.mkdir(folder, 0o700)
        os.environ["SEEBACKPROP_CACHE_DIR"] = folder
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for name in [m for m in sys.modules if m == "engine.runtimes.numba"]:
                del sys.modules[name]
            importlib.import_module("engine.runtimes.numba")
        report = _compile_and_report()
        report["import_warnings"] = [str(w.message) for w in caught]
        report["listing"] = sorted(os.listdir(folder))
        return report

    report = _as_user(user, fresh_runtime_then_compile, {"HOME": "/nonexistent", "XDG_CACHE_HOME": None})
    assert [report["value"], report["grad"]] == list(_expected())
    assert report["cached"] and report["file"].startswith(os.path.join(str(shared_tmp), "mine"))
    assert any(name.startswith("seebackprop_native_") for name in report["listing"])
    assert all("no locator" not in w or "compiled in every process" in w for w in report["import_warnings"])
    # without SEEBACKPROP_CACHE_DIR and without a home: in memory, with a warning, nothing in /tmp
    before = set(_files_of(user.pw_uid, "/tmp"))
    report = _as_user(user, _compile_and_report, {"HOME": "/nonexistent", "SEEBACKPROP_CACHE_DIR": None,
                                                   "XDG_CACHE_HOME": None})
    assert not report["cached"] and any("compiles in memory" in w for w in report["warnings"])
    assert set(_files_of(user.pw_uid, "/tmp")) <= before | {str(shared_tmp / "mine")}
    assert np.isfinite(report["value"])

"""Without PyTorch: ``import nn`` works, the bridge and the demo say how to install it. PyTorch's
absence is simulated (``sys.modules["torch"] = None`` makes ``import torch`` fail), so these run
whether or not it is installed."""

import subprocess
import sys

import pytest

import nn
from demos.pytorch.__main__ import main


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)


def test_import_nn_and_the_demo_never_import_torch():
    code = "import sys, nn, demos.pytorch, demos.pytorch.__main__; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("call, who", [
    (lambda: nn.to_torch(nn.MLP(2, [1], init="zeros")), "nn.to_torch"),
    (lambda: nn.from_torch(object()), "nn.from_torch"),
])
def test_the_bridge_says_how_to_install_pytorch(no_torch, call, who):
    with pytest.raises(ImportError, match=f"{who} needs PyTorch, which is not installed: pip install torch"):
        call()


def test_the_demo_stops_as_every_demo_does_without_its_extra(no_torch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--no-plots"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert 'python -m demos.pytorch needs torch, which is not installed: pip install torch (the "torch" extra' in err
    assert "Traceback" not in err

"""``engine.__version__`` and ``nn.__version__``: the project's version, as pyproject.toml says."""

import re
from pathlib import Path

import engine
import nn
from engine.version import _from_checkout


def test_both_packages_have_the_project_version():
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text).group(1)
    assert engine.__version__ == nn.__version__ == declared
    assert _from_checkout() == declared   # the fallback of a checkout that was never installed

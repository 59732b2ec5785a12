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


def test_help_of_value_shows_only_the_public_constructor():
    import inspect
    import pydoc
    text = pydoc.render_doc(engine.Value, renderer=pydoc.plaintext)
    assert "Value(data, label=None)" in text and "__init__(self, data, label=None)" in text
    assert not any(private in text for private in ("_op=", "_a=", "_b=", "_children", "_operation"))
    assert str(inspect.signature(engine.Value)) == "(data, label=None)"

"""The project's version, ``engine.__version__`` and ``nn.__version__``.

From the installed distribution's metadata (``pip install`` writes it from pyproject.toml); in a
checkout that was never installed, from the checkout's pyproject.toml itself.
"""

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "seebackprop"


def _from_checkout():
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    if not re.search(rf'(?m)^name\s*=\s*"{DISTRIBUTION}"', text):
        return None
    found = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
    return found.group(1) if found else None


def project_version():
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return _from_checkout() or "0+unknown"


__version__ = project_version()

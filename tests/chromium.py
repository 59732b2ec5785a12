"""The headless browser of the browser tests: Debian's chromium driven by playwright.

``skip_reason()`` says why a browser test cannot run here (None when it can); ``persistent_context``
opens chromium with a fresh profile directory of its own. .ci/setup installs all of it.
"""

import contextlib
import os
import shutil
import tempfile

CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def skip_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if CHROMIUM is None:
        return "Debian's chromium is not installed (apt-get install chromium)"
    if shutil.which("dot") is None:
        return "Graphviz's dot is not installed: the page's frames cannot be rendered"
    return None


@contextlib.contextmanager
def persistent_context(viewport=(1280, 800)):
    """A chromium browser context with its own fresh profile (removed afterwards)."""
    from playwright.sync_api import sync_playwright
    profile = tempfile.mkdtemp(prefix="seebackprop-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                       viewport={"width": viewport[0], "height": viewport[1]})
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)

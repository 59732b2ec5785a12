"""The documentation site in a real headless browser (Debian's chromium driven by playwright).

The site is the one CI built (``SEEBACKPROP_DOCS_HTML``, see .ci/run) or, without it, built here
from ``docs/`` with warnings as errors. Opened from the files (file://, no server) with every
request that leaves the site refused, as a reader offline would: the index, the ``Value`` API page
and a demo page must render with their images and their mathematics, the search must find
"sigmoid", and no link between the site's pages may be broken. Skipped, with the reason, where
Sphinx (the ``docs`` extra), chromium or playwright is missing.
"""

import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from chromium import persistent_context, skip_reason

ROOT = Path(__file__).resolve().parent.parent
_missing = [name for name in ("sphinx", "myst_nb", "furo", "mathjax") if importlib.util.find_spec(name) is None]
if _missing:
    pytest.skip(f"{', '.join(_missing)} not installed: the docs extra (pip install -e \".[docs]\")",
                allow_module_level=True)
if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    given = os.environ.get("SEEBACKPROP_DOCS_HTML")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("docs")
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            str(ROOT / "docs"), str(out)], capture_output=True, text=True, cwd=ROOT)
    assert build.returncode == 0, build.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def browser():
    with persistent_context(viewport=(1280, 900)) as context:
        yield context


def _open(browser, path):
    """The page at ``path``, loaded with nothing from outside the site; (page, problems)."""
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))

    def only_local(route):
        if route.request.url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:
            problems.append(f"request outside the site: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def _images_shown(page):
    """(number of <img> in the article, the sources of those that did not load)."""
    return page.evaluate("""() => {
        const imgs = [...document.querySelectorAll('article img')];
        return [imgs.length, imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)];
    }""")


def test_the_index_renders_with_its_picture(site, browser):
    page, problems = _open(browser, site / "index.html")
    assert "seebackprop" in page.title()
    count, broken = _images_shown(page)
    assert count >= 1 and broken == []
    assert page.locator("article h1").first.is_visible()
    assert problems == []
    page.close()


def test_the_value_api_page_documents_value_and_its_methods(site, browser):
    page, problems = _open(browser, site / "api" / "value.html")
    for anchor in ("engine.Value", "engine.Value.backward", "engine.Value.sigmoid"):
        assert page.locator(f'[id="{anchor}"]').count() == 1, anchor
    assert "backward" in page.inner_text("article")
    assert problems == []
    page.close()


def test_every_public_name_of_engine_and_nn_has_its_entry(site):
    import engine
    import nn
    for module in (engine, nn):
        html = (site / "api" / f"{module.__name__}.html").read_text(encoding="utf-8")
        html += (site / "api" / "value.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'id="([^"]+)"', html))
        assert [n for n in module.__all__ if f"{module.__name__}.{n}" not in ids] == []


def test_a_demo_page_shows_its_figures_its_report_and_its_mathematics(site, browser):
    page, problems = _open(browser, site / "demos" / "higham.html")
    count, broken = _images_shown(page)
    assert count >= 5 and broken == []
    report = page.inner_text("article")
    assert "Lemma 5.1" in report and "Summary" in report
    page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=20_000)
    assert problems == []
    page.close()


def test_the_search_finds_sigmoid(site, browser):
    page, problems = _open(browser, site / "search.html")
    page.goto((site / "search.html").as_uri() + "?q=sigmoid")
    # Sphinx shows the results one by one as it goes: wait for three, not for the first
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length >= 3", timeout=30_000)
    found = page.locator("#search-results li a").all_inner_texts()
    assert len(found) >= 3 and any("sigmoid" in text.lower() or "value" in text.lower() for text in found), found
    assert problems == []
    page.close()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and tag in ("a", "img", "link", "script"):
                self.links.append(attrs[key])


def test_no_link_between_the_pages_is_broken(site):
    pages = {path: _Links() for path in site.rglob("*.html")}
    for path, parser in pages.items():
        parser.feed(path.read_text(encoding="utf-8"))
    broken = []
    for path, parser in pages.items():
        for link in parser.links:
            if urlparse(link).scheme in ("http", "https", "mailto", "data", "javascript"):
                continue
            target, fragment = urldefrag(link)
            target = urlparse(target).path   # without ?v=... of the theme's assets
            file = (path.parent / unquote(target)).resolve() if target else path
            if not file.exists():
                broken.append(f"{path.relative_to(site)}: {link} (no such file)")
            elif fragment and file.suffix == ".html" and file in pages and unquote(fragment) not in pages[file].ids:
                broken.append(f"{path.relative_to(site)}: {link} (no such anchor)")
    assert broken == []
    assert len(pages) >= 20

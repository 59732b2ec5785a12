"""The reports and benchmark results the documentation includes: written by the demos and the
benchmarks themselves (docs/make_reports.py, python -m benchmarks.record), current with the demos'
code, included by their pages, and no wider than 100 columns."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_reports", ROOT / "docs" / "make_reports.py")
make_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_reports)

# rows of the engine's backward tables (engine.backward_table), which the backprop demo prints as they are
_ENGINE_TABLE = re.compile(r"^(step  node|----  ----|\s+\d+  \S|\s{20,}\S)")


@pytest.mark.parametrize("report", list(make_reports.DEMOS))
def test_each_report_was_written_by_the_current_demo(report):
    path = ROOT / "docs" / "reports" / f"{report}.txt"
    assert path.is_file(), f"run: python docs/make_reports.py {report}"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(make_reports.header(report)), (
        f"docs/reports/{report}.txt was written by another version of demos/{make_reports.DEMOS[report][0]}/ "
        f"(or another command): run python docs/make_reports.py {report}")
    body = text[len(make_reports.header(report)):]
    assert body.strip(), "an empty report"
    wide = [line for line in body.splitlines() if len(line) > 100 and not _ENGINE_TABLE.match(line)]
    assert wide == []


def test_every_report_is_shown_on_a_demo_page():
    pages = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "demos").glob("*.md"))
    for report in make_reports.DEMOS:
        assert f"../reports/{report}.txt" in pages
    for path in (ROOT / "docs" / "reports").glob("*.txt"):
        assert path.stem in make_reports.DEMOS, f"{path.name}: no demo writes it any more"


def test_the_benchmarks_page_shows_every_recorded_result():
    from benchmarks import record
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for name in record.BENCHMARKS:
        path = ROOT / "benchmarks" / "results" / f"{name}.txt"
        assert path.is_file(), f"run: python -m benchmarks.record {name}"
        assert path.read_text(encoding="utf-8").startswith(f"$ python -m benchmarks.{name}")
        assert f"../benchmarks/results/{name}.txt" in page


def test_the_figures_a_demo_page_shows_exist():
    for page in (ROOT / "docs" / "demos").glob("*.md"):
        for figure in re.findall(r"```\{figure\} (\S+)", page.read_text(encoding="utf-8")):
            assert (page.parent / figure).resolve().is_file(), f"{page.name}: {figure}"

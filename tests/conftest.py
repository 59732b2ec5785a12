import os
import sys

# Make the top-level packages importable when pytest runs from a checkout without installation.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# .ci/run: with SEEBACKPROP_RECORD_SKIPS=FILE, the node id of every test (or module) that was skipped is
# appended to FILE, so that after installing the optional packages CI runs again exactly those.
_RECORD = os.environ.get("SEEBACKPROP_RECORD_SKIPS")


def _record(nodeid):
    with open(_RECORD, "a", encoding="utf-8") as f:
        f.write(nodeid + "\n")


def pytest_runtest_logreport(report):
    if _RECORD and report.skipped and report.when in ("setup", "call"):
        _record(report.nodeid)


def pytest_collectreport(report):
    if _RECORD and report.skipped and report.nodeid:
        _record(report.nodeid)

"""Demo figures are written deterministically, so that running a demo in a checkout leaves
``git status`` clean: no date, program version or random id in any committed figure, and the same
run writes the same bytes twice."""

import re
import struct
from pathlib import Path

import pytest

FIGURES = Path(__file__).resolve().parent.parent / "demos" / "figures"


def _png_text_chunks(data):
    """The keys of a PNG's tEXt/iTXt/zTXt chunks and whether it has a tIME chunk."""
    keys, pos, timed = [], 8, False
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            keys.append(body.split(b"\0", 1)[0].decode("latin-1"))
        timed = timed or kind == b"tIME"
        pos += 12 + length
    return keys, timed


@pytest.mark.parametrize("path", sorted(FIGURES.rglob("*.svg")), ids=lambda p: str(p.relative_to(FIGURES)))
def test_no_committed_svg_carries_a_date(path):
    text = path.read_text(encoding="utf-8")
    assert "<dc:date>" not in text
    assert not re.search(r"Matplotlib v\d", text)          # the program's version


@pytest.mark.parametrize("path", sorted(FIGURES.rglob("*.png")), ids=lambda p: str(p.relative_to(FIGURES)))
def test_no_committed_png_carries_a_date_or_a_version(path):
    keys, timed = _png_text_chunks(path.read_bytes())
    assert not timed and "Software" not in keys and "Creation Time" not in keys


def test_the_same_run_writes_the_same_bytes(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib draws the figures (the demos extra)")
    from demos.landscape.__main__ import main as landscape
    from demos.sgd.__main__ import main as sgd
    for run in ("first", "second"):
        assert sgd(["--budget", "100", "--quiet", "--out", str(tmp_path / run / "sgd")]) == 0
        assert landscape(["--grid", "5", "--steps", "20", "--quiet", "--out", str(tmp_path / run / "landscape")]) == 0
    first = sorted(p.relative_to(tmp_path / "first") for p in (tmp_path / "first").rglob("*") if p.is_file())
    assert len(first) >= 4
    for rel in first:
        assert (tmp_path / "first" / rel).read_bytes() == (tmp_path / "second" / rel).read_bytes(), rel

"""Text a user gave (labels, titles, option values) made safe for a drawing or a message.

A label is drawn on at most ``LABEL_LINES`` lines of ``LABEL_CHARS`` characters (the rest is cut,
"…"; the whole label is in the node's tooltip): Graphviz refuses an HTML label longer than 16,384
characters, and a node thousands of points wide is unreadable anyway. The checks name the option
and what it accepts, and quote what was passed in a bounded repr.
"""

import html

from .steps import printable

LABEL_CHARS = 60
LABEL_LINES = 3
TOOLTIP_CHARS = 300
TITLE_CHARS = 120


def bounded_repr(value, limit=80):
    """``repr(value)`` for an error message, cut to ``limit`` characters (a message stays short
    whatever was passed: a long list, a huge label)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + " ...>"


def check_flag(name, value):
    """Refuse anything but True or False for the option ``name`` (0, "no" or None would pass a truth test)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {bounded_repr(value)}")


def check_text(name, value, optional=True):
    """Refuse anything but a string (or None when ``optional``) for the option ``name``."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        accepted = "a string or None" if optional else "a string"
        raise TypeError(f"{name} must be {accepted}, got {type(value).__name__} {bounded_repr(value)}")


def shorten(text, chars=LABEL_CHARS, lines=LABEL_LINES):
    """``text`` as a drawing shows it: control characters written as escapes, at most ``lines`` lines
    of ``chars`` characters each, "…" where something was cut."""
    rows = [printable(row) for row in str(text).split("\n")]
    cut = [row if len(row) <= chars else row[:chars - 1] + "…" for row in rows[:lines]]
    if len(rows) > lines:
        cut[-1] += " …"
    return "\n".join(cut)


def label_html(s, chars=LABEL_CHARS, lines=LABEL_LINES):
    """User text for an HTML-like label: shortened, escaped, newlines kept as line breaks. Never
    empty, and a line of nothing but "]" written as character references: Graphviz's parser
    rejects both (``<B></B>``, ``<B>]</B>``, ``x<BR/>]]``)."""
    rows = []
    for row in shorten(s, chars, lines).split("\n"):
        row = html.escape(row, quote=False).replace('"', "&quot;")
        rows.append(row.replace("]", "&#93;") if row and not row.strip("]") else row)
    return "<BR/>".join(rows) or " "

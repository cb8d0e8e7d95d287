"""Scenario text is text: never markup for rich, mathtext for matplotlib, or terminal codes.

Titles, labels and values come from scenario files and the command line; these helpers make
them safe for each place they are shown. HTML escaping lives with the report.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.markup import escape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# C0 and C1 controls (ESC, BEL, CR, ...) except tab and newline, and the bidirectional
# overrides that make a terminal show text in another order than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


TERMINAL_TEXT = 2_000
"""Characters of one text printed on a terminal (a 900 KB title is 1,900 lines otherwise)."""
PLOT_TEXT = 150
"""Characters of one text drawn in a plot (matplotlib lays out every character it is given)."""
HEADING_TEXT = 300
"""Characters of a title shown as a heading of the report."""


def shorten(value: Any, limit: int) -> str:
    """``value`` as text of about ``limit`` characters: its start and its end (where an error
    message says what is wrong) with how much was left out between them (scenario text is
    shown, not stored, here: files keep it whole)."""
    text = str(value)
    if len(text) <= limit:
        return text
    head, tail = text[:limit // 2], text[len(text) - limit // 2:]
    return f"{head}… ({len(text) - len(head) - len(tail):,} characters left out) …{tail}"


def clean(value: Any) -> str:
    """``value`` as text without control characters or lone surrogates (shown as U+FFFD)."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", str(value)))


def for_terminal(value: Any) -> str:
    """Text safe to print on a terminal (or a pipe): no escape sequences."""
    return clean(shorten(value, TERMINAL_TEXT))


def for_rich(value: Any) -> str:
    """Text for a rich table or console: cleaned, shortened, with ``[`` markup escaped."""
    return escape(clean(shorten(value, TERMINAL_TEXT)))


def for_plot(value: Any) -> str:
    """Text for matplotlib: cleaned, shortened, with ``$`` escaped so it is never mathtext."""
    return clean(shorten(value, PLOT_TEXT)).replace("$", r"\$")


def plain_figure(fig: Figure) -> Figure:
    """Turn off mathtext and drop control characters in every text of ``fig`` (before saving).

    Plots put scenario titles, labels and swept paths in titles, legends and ticks; a ``$``
    in any of them would otherwise be read as mathtext, and ``$\\foo$`` would fail to draw.
    """
    from matplotlib.text import Text  # matplotlib loads only when plotting

    for artist in fig.findobj(Text):
        artist.set_parse_math(False)
        raw = artist.get_text()
        if raw and (len(raw) > PLOT_TEXT or _CONTROL.search(raw) or _SURROGATE.search(raw)):
            artist.set_text(clean(shorten(raw, PLOT_TEXT)))
    return fig

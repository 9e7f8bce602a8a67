"""CSV cells that cannot attack a spreadsheet (OWASP CSV injection), reversibly.

No rsoi imports: the independent checker may use `restore_cell` when it reads text columns.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts a spreadsheet would run as a formula (OWASP CSV injection)."""
_PLAIN_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def neutralise_cell(text: str) -> str:
    """Prefix a formula-like text cell with a single quote (OWASP); plain numbers stay.

    A cell that already starts with a quote gets one more, so `restore_cell` is exact.
    """
    if text[:1] == "'" or (text[:1] in FORMULA_START and not _PLAIN_NUMBER.match(text)):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The text `neutralise_cell` was given (for readers of rsoi's CSV files)."""
    return text[1:] if text[:1] == "'" else text

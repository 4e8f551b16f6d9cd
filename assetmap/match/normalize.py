"""Text normalisation shared by search and de-duplication.

Two names that a person would read as the same should normalise to the same
string: case, accents, punctuation, ``&`` against ``and``, ``St`` against
``Saint``, ``Women's`` against ``Womens`` and hyphens all stop mattering.

``st`` is always expanded to ``saint``, also where it abbreviates "street"
("High St" -> "high saint"): both sides of a comparison get the same
treatment, so "High St" and "High Street" still differ by one word only.

The functions here are pure, take any text (``None`` gives ``""``) and are
the ``processor`` to hand to :mod:`rapidfuzz` (which does no normalisation of
its own since version 3).

Examples
--------
>>> normalise_name("St. Mary's Church-Hall & Café")
'saint marys church hall and cafe'
>>> normalise_query("  Women’s   GROUP!! ")
'womens group'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "fold_text",
    "normalise_name",
    "normalise_query",
    "strip_control",
]

# Characters that unicodedata does not decompose into ASCII but that people
# use in names.
_FOLD: Final = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)
_APOSTROPHES: Final = re.compile(r"['’‘`´ʼ]")
_AMPERSAND: Final = re.compile(r"\s*(?:&|\+)\s*")
_NON_WORD: Final = re.compile(r"[^a-z0-9]+")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES: Final = re.compile(r"\s+")

# Whole-word expansions applied after punctuation is gone.
_WORDS: Final[dict[str, str]] = {
    "st": "saint",
    "ste": "sainte",
}


def strip_control(text: str) -> str:
    r"""Remove control characters, keeping tabs and line breaks as spaces.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        ``text`` with C0/C1 control characters removed and tabs and line
        breaks turned into spaces.

    Examples
    --------
    >>> strip_control("food\x00 bank\tcafe")
    'food bank cafe'
    """
    return _CONTROL.sub("", text).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def fold_text(text: str) -> str:
    """Lower-case ``text`` and fold accented letters to plain ASCII letters.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        Lower-case text; ``é`` becomes ``e``, ``ß`` becomes ``ss``; other
        characters (punctuation, digits) are kept.

    Examples
    --------
    >>> fold_text("Crèche STRAßE")
    'creche strasse'
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_FOLD)


def _normalise(text: str | None) -> str:
    if not text:
        return ""
    folded = fold_text(strip_control(str(text)))
    folded = _APOSTROPHES.sub("", folded)
    folded = _AMPERSAND.sub(" and ", folded)
    folded = _NON_WORD.sub(" ", folded)
    words = [_WORDS.get(word, word) for word in folded.split()]
    return " ".join(words)


def normalise_name(text: str | None) -> str:
    """Normalise a name (or any register text) for comparison.

    Lower-cases, folds accents to ASCII, drops apostrophes (``women's`` ->
    ``womens``), turns ``&`` and ``+`` into ``and``, turns every other run of
    punctuation or hyphens into one space, expands the word ``st`` to
    ``saint`` and collapses whitespace.

    Parameters
    ----------
    text
        A name, description or other text; ``None`` or ``""`` give ``""``.

    Returns
    -------
    str
        Space-separated lower-case ASCII words.

    Examples
    --------
    >>> normalise_name("Oakham C of E - St. John's Hall")
    'oakham c of e saint johns hall'
    >>> normalise_name("Barnardo's (Rutland) & Co.")
    'barnardos rutland and co'
    >>> normalise_name(None)
    ''
    """
    return _normalise(text)


def normalise_query(text: str | None) -> str:
    """Normalise a search query the same way as :func:`normalise_name`.

    A separate name so that search-only rules (if any are ever needed) do not
    change how the register's names compare with each other. Today the two
    are identical, so a query and a name meet on equal terms.

    Parameters
    ----------
    text
        What the user typed; ``None`` gives ``""``.

    Returns
    -------
    str
        Space-separated lower-case ASCII words.

    Examples
    --------
    >>> normalise_query("Alcoholics-Anonymous  (AA)")
    'alcoholics anonymous aa'
    """
    return _normalise(text)

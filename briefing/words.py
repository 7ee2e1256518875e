"""The briefing's vocabulary: one family of date formatters and one side-label table.

Every view and every figure writes dates and sides through this module, so "17 Oct 2017" is
spelled one way everywhere and a new side needs one row here.

Dates (``d`` is anything :class:`pandas.Timestamp` accepts; ``precision`` is the data's code:
1 day, 2 week or a few days, 3 month or coarser):

================================  ==========================  ===============================
function                          example                     used for
================================  ==========================  ===============================
:func:`day`                       ``17 Oct 2017``             tables, captions, popups
:func:`day_long`                  ``17 October 2017``         header, key findings
:func:`period`                    ``July 2017 to 17 November  the header's period covered
                                  2017``
:func:`at_precision`              ``17 Oct 2017`` / ``Oct     a date whose precision may be a
                                  2017``                      month (maps, territory text)
:func:`day_month`                 ``17 Oct`` / ``October``    key findings (year implied)
:func:`as_written`                ``week of 30 Oct 2017`` /   map popups (precision code
                                  ``Oct 2017``                1 day, 2 week, 3 month)
:func:`label` (kind)              ``week of 23 Oct 2017``     the chronology table
:func:`prose` (kind)              ``the week of 23 Oct 2017`` running text
:func:`claim_date`                ``reported 3 Nov 2017``     claims (ACLED-style codes)
================================  ==========================  ===============================
"""
from __future__ import annotations

import re

from ._lazy import pandas as pd

IS_SIDE = "islamic-state"

#: One row per side (``actors.side``): the legend's short name, the long name for text and
#: map layers, and the name in running text about places held.
SIDES = {
    "islamic-state": {"short": "IS", "long": "IS", "text": "IS"},
    "syrian-government": {"short": "Syrian gov't", "long": "Syrian government forces",
                          "text": "the Syrian government side"},
    "iraqi-government": {"short": "Iraqi gov't", "long": "Iraqi government forces",
                         "text": "the Iraqi government side"},
    "us-backed": {"short": "US-backed (SDF)", "long": "US-backed forces", "text": "US-backed forces"},
    "rebel": {"short": "rebels", "long": "rebel groups", "text": "rebels"},
    "other": {"short": "other", "long": "other forces", "text": "others"},
}


def side(key: str, form: str = "long") -> str:
    """A side's name in one of the forms of :data:`SIDES` (an unknown side: its key)."""
    return SIDES.get(key, {}).get(form, str(key).replace("-", " "))


def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def day(d) -> str:
    """``17 Oct 2017`` (empty for a missing date)."""
    if d is None or pd.isna(d):
        return ""
    d = pd.Timestamp(d)
    return f"{d.day} {d:%b %Y}"


def day_long(d) -> str:
    """``17 October 2017``."""
    d = pd.Timestamp(d)
    return f"{d.day} {d:%B %Y}"


def period(start, end) -> str:
    """The period a briefing covers, from the month of its first event to its as-of day:
    ``July 2017 to 17 November 2017``; within one month ``November 2017, up to 3 November``
    (never "November 2017 to 3 November 2017")."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}, up to {end.day} {end:%B}"
    return f"{start:%B %Y} to {day_long(end)}"


def at_precision(d, precision=1) -> str:
    """``17 Oct 2017``; a date known only to the month (precision 3) reads ``Oct 2017``."""
    d = pd.Timestamp(d)
    if precision is not None and pd.notna(precision) and int(precision) >= 3:
        return f"{d:%b %Y}"
    return day(d)


PRECISION_KIND = {1: "day", 2: "week", 3: "month"}


def as_written(d, precision=1) -> str:
    """A date as people write it, at the data's precision code: ``17 Oct 2017`` (1),
    ``week of 30 Oct 2017`` (2, the Monday), ``Oct 2017`` (3). Used in map popups."""
    if d is None or pd.isna(d):
        return ""
    try:
        p = int(float(precision)) if precision is not None and not pd.isna(precision) else 1
    except (TypeError, ValueError):
        p = 1
    kind = PRECISION_KIND.get(p, "month")
    return f"{pd.Timestamp(d):%b %Y}" if kind == "month" else label(d, kind)


def day_month(d, precision=1) -> str:
    """``17 Oct`` for a day, ``October`` for precision 3 (the year is implied by the text)."""
    d = pd.Timestamp(d)
    return f"{d:%B}" if int(precision) == 3 else f"{d.day} {d:%b}"


def label(d, kind: str) -> str:
    """How a table writes a date of each precision kind (day/week/month/year)."""
    d = _ts(d)
    if kind == "day":
        return day(d)
    if kind == "week":
        monday = d - pd.Timedelta(days=d.weekday())
        return f"week of {day(monday)}"
    if kind == "month":
        return f"{d:%b %Y} (month)"
    return f"{d.year} (year)"


def prose(d, kind: str) -> str:
    """A date in running text: ``17 Oct 2017``, ``the week of 23 Oct 2017``, ``July 2017``, ``2014``."""
    d = _ts(d)
    if kind == "day":
        return day(d)
    if kind == "week":
        return "the " + label(d, kind)
    if kind == "month":
        return f"{d:%B %Y}"
    return str(d.year)


def claim_date(when, precision=None) -> str:
    """A claim's date at its precision: 1 day, 2 the reporting date, 3 month or year
    (1 January with precision 3 is a year)."""
    if when is None:
        return ""
    try:
        prec = int(float(precision)) if precision is not None and not pd.isna(precision) else 1
    except (TypeError, ValueError):
        prec = 1
    if prec >= 3:
        return f"{when.year}" if (when.month, when.day) == (1, 1) else f"{when:%B %Y}"
    text = day(when)
    return text if prec == 1 else f"reported {text}"


def span_title(lo, hi) -> str:
    """``1 Jul – 17 Nov 2017`` (the year once when both ends share it); one day is ``3 Nov 2017``."""
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
    if lo.normalize() == hi.normalize():
        return day(hi)
    first = f"{lo.day} {lo:%b}" if lo.year == hi.year else day(lo)
    return f"{first} – {day(hi)}"


def names(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def counted(n: int, noun: str, plural: str | None = None, words: bool = False) -> str:
    """``"1 article"``, ``"2 articles"`` (``words``: ``"two articles"`` up to ten): every count a
    sentence prints comes from the data, so its noun follows it."""
    n = int(n)
    num = NUMBER_WORDS[n] if words and 0 <= n < len(NUMBER_WORDS) else f"{n:,}"
    return f"{num} {noun if n == 1 else (plural or noun + 's')}"


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# A count as the briefing prints one ("6", "24", "1,234"); a bare four-digit year is not one.
_OPENING_COUNT = re.compile(r"^(\*\*)?(\d{1,3}(?:,\d{3})*)(?= [a-z])")


def spelled(n: int) -> str:
    """``24`` → ``"twenty-four"`` (0–99)."""
    n = int(n)
    if not 0 <= n < 100:
        raise ValueError(f"spelled() takes 0–99, not {n}")
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def sentence(text: str) -> str:
    """A sentence as printed: capital first letter, and a count that opens it spelled out
    (``"24 of the 32 events rest …"`` → ``"Twenty-four of the 32 events rest …"``), as news style
    asks; a count of 100 or more stays in figures after ``"In all, "``. A leading ``**`` (Markdown
    bold) is kept. Only a count followed by a lower-case word is touched, so a sentence that opens
    with a date ("17 Oct …") or a year ("2014 …", never printed with a comma) is left as it is."""
    m = _OPENING_COUNT.match(text)
    if m is None:
        return text[:1].upper() + text[1:] if text[:1] != "*" else text[:2] + text[2:3].upper() + text[3:]
    bold, digits = m.group(1) or "", m.group(2)
    n = int(digits.replace(",", ""))
    rest = text[m.end():]
    if n < 100:
        word = spelled(n)
        return f"{bold}{word[:1].upper()}{word[1:]}{rest}"
    return f"{bold}In all, {digits}{rest}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``3 quantities`` (pass ``plural`` when adding "s" is wrong)."""
    n = int(n)
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def verb(n: int, singular: str, plural: str) -> str:
    """The verb form that agrees with a count: ``verb(1, "carries", "carry")``."""
    return singular if int(n) == 1 else plural


def of_the(k: int, n: int, noun: str, plural: str | None = None) -> str:
    """``"3 of the 32 events"``; ``"the only event"`` (1 of 1); ``"none of the 4 events"``. A verb
    after it agrees with :func:`of_the_verb`."""
    k, n = int(k), int(n)
    if n == 1 and k == 1:
        return f"the only {noun}"
    if k == 0:
        return f"none of the {count(n, noun, plural)}"
    return f"{k:,} of the {count(n, noun, plural)}"


def of_the_verb(k: int, singular: str, plural: str) -> str:
    """The verb after :func:`of_the`: singular for "the only …", "none of …" and "1 of …"."""
    return singular if int(k) <= 1 else plural


#: Country names for ISO alpha-2 codes the event data use (the region and the countries cited).
COUNTRY_NAMES = {"SY": "Syria", "IQ": "Iraq", "TR": "Turkey", "JO": "Jordan", "LB": "Lebanon", "IR": "Iran",
                 "SA": "Saudi Arabia", "IL": "Israel", "PS": "Palestine", "KW": "Kuwait", "EG": "Egypt",
                 "YE": "Yemen", "LY": "Libya", "US": "United States"}

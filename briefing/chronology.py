"""The chronology of the campaign (notebook 02): window, date spans, timeline figure, table.

Everything the chronology notebook shows is computed here from ``events.csv`` (through the
loader), so the notebook stays a handful of one-line calls.

Decisions
---------
**Parameters.** ``start``/``end`` (``YYYY-MM-DD``; ``start`` empty = the dataset's window start,
:attr:`briefing.model.Dataset.window` — 1 July 2017 for the articles, the data's first day for an event
dataset; ``end`` empty = ``as_of``) bound the window; ``countries`` is a comma- or ``|``-separated list of ISO alpha-2 codes (empty = all)
that must occur in the data. ``as_of`` (empty = latest publication date) is the cut-off of
*what was known*: an event is shown only when it is dated on or before ``as_of`` **and** at
least one of its sources was published on or before ``as_of``; only those sources are listed.
So ``as_of=2017-11-05`` shows nothing dated or published after 5 November. An ``end`` later
than ``as_of`` is cut to ``as_of``. Every problem raises :class:`ParameterError` (one line).

**Date precision → span** (``events.time_precision``). An event occupies whole days
``[span_start, span_end]``:

* 1 — the day itself (drawn as a point);
* 2 — the week (Monday–Sunday) containing the date, or the span the ``date_basis`` states
  ("the week Monday 2017-10-23 to Sunday 2017-10-29"); the span never runs past the earliest
  day-precise publication date of the event's sources (nothing happens after it is reported);
* 3 — the calendar month of the date; when ``date_basis`` says "year only" (the data's
  convention: precision 3 with 1 January), the calendar year.

Week and month events are drawn as bars over the span and never as a point; the table writes
them "week of 23 Oct 2017", "Oct 2017 (month)", "2014 (year)".

**Window membership.** An event is in the window when its span overlaps ``[start, end]``
(a July event with ``start=2017-07-15`` is shown). Events whose span ends before ``start``
are *background*: listed in their own short table, never dropped silently. Events outside
the ``countries`` filter are counted in the narrative.

**Lanes.** One lane per country of the campaign (Syria, Iraq); events whose ``country`` is
several codes (``SY|IQ``: region-wide) go to a "Syria and Iraq" lane; any other country
to an "Elsewhere" lane. Lanes appear only when they hold an event.

**Context, not timeline.** An event outside the campaign's countries (``lane`` "other": the
Manhattan attack, cited as an example of what IS can still inspire) and an event that names no
actor, no opponent and no change of control *and* that no named claimant asserts (only the outlet's
own voice: a photo caption of smoke over Deir Ezzor) adds no who-did-what to the story. Such an
event is flagged ``context`` and listed in the background table with the earlier events (never
dropped), not drawn as a bar or a lane. The rule reads the data's fields, not event ids.

**Colour.** By the side (``actors.side``) of ``controller_after`` (``figures.SIDE_COLOURS``),
filled. An event that ends a control period in ``control.csv`` without naming the new holder
(Hawija) is drawn white with a black edge ("IS lost it; gainer not named"). Every other event
(no change of control) is hollow grey.

**Figure.** A July→end overview on top and, below it, a zoomed panel of the last five weeks
(where the events crowd), when the window is longer than 45 days; otherwise one panel. Labels
("place: event type") are placed by a small greedy placer: rows are packed so that each
marker and its label fit, then every label tries right, left, above and below (with a leader
line) and takes the first position that overlaps no other label, marker, bar or the axes edge.
"""
from __future__ import annotations

import dataclasses
import functools

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.transforms import Bbox

from . import figures, render, words
from . import params as P
from .errors import ParameterError
from .model import OUTLET, OUTLET_NOT_NAMED, Dataset, attribution_phrase, is_undated, wire_group
from .sources import independent_count
from .words import day, day_long, label as date_label, prose as prose_date, side, span_title

CAMPAIGN = ("SY", "IQ")
LANE_NAMES = {"SY": "Syria", "IQ": "Iraq", "multi": "Syria and Iraq", "other": "Elsewhere"}
ZOOM_DAYS = 34  # the zoomed panel shows the window's last 34 days (15 Oct–17 Nov by default)
SINGLE_PANEL_DAYS = 45  # a window up to this long is drawn in one panel
NEUTRAL = "#9a9a9a"
NOT_NAMED = "not named"

_SPAN_IN_BASIS = re.compile(r"(\d{4}-\d{2}-\d{2})\s+to\s+(?:[A-Za-z]+\s+)?(\d{4}-\d{2}-\d{2})")


# --------------------------------------------------------------------------- parameters
def parse_countries(value, known: set[str]) -> tuple[str, ...]:
    """``"SY,IQ"`` / ``"SY|IQ"`` / ``""`` → a sorted tuple of codes (empty = all)."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        parts = re.split(r"[,|]", str(value))
    raw = [p.strip() for p in parts if p.strip()]
    codes = [p.upper() for p in raw]
    for text, code in zip(raw, codes):
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ParameterError("countries", f"{text!r} is not a two-letter ISO country code (e.g. 'SY,IQ')")
        if code not in known:
            raise ParameterError("countries", f"{code!r} is not a country in the data (known: {', '.join(sorted(known))})")
    return tuple(sorted(set(codes)))


@dataclass(frozen=True)
class Window:
    """The checked parameters: the window ``[start, end]``, the cut-off and the countries."""

    start: dt.date
    end: dt.date
    as_of: dt.date
    countries: tuple[str, ...] = ()  # empty = all


class _Heading:
    def heading(self):
        """The section heading and its lead (:func:`heading_text`)."""
        return render.heading(self.__dict__["_heading"])


def check_window(ds, *, as_of=None, start="", end="", countries="") -> Window:
    """Check ``start``/``end``/``countries`` against each other and the data."""
    first = ds.period[0]
    as_of = ds.resolve_as_of(as_of)
    start_d = P.parse_date("start", start, allow_empty=True) or max(ds.window, first)
    end_d = P.parse_date("end", end, allow_empty=True) or as_of
    end_d = min(end_d, as_of)
    if start_d > end_d:
        why = f"end {end_d.isoformat()}" + (" (end is empty or after as_of, so as_of is used)" if end_d == as_of else "")
        raise ParameterError("start", f"{start_d.isoformat()} is after {why}")
    known = set()
    for col in (ds.columns("events", ["country"])["country"], ds.places["country"]):
        for v in col.dropna().astype(str).unique():
            known.update(v.split("|"))
    return Window(start_d, end_d, as_of, parse_countries(countries, known))


# --------------------------------------------------------------------------- spans
def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def span_of(date, precision: int, basis: str = "", reported: pd.Timestamp | None = None):
    """``(span_start, span_end, kind)`` for an event; ``kind`` is day/week/month/year."""
    d = _ts(date)
    precision = int(precision)
    basis = "" if basis is None or (not isinstance(basis, str) and pd.isna(basis)) else str(basis)
    if precision == 1:
        return d, d, "day"
    if precision == 2:
        m = _SPAN_IN_BASIS.search(basis)
        if m:
            lo, hi = _ts(m.group(1)), _ts(m.group(2))
        else:
            lo = d - pd.Timedelta(days=d.weekday())
            hi = lo + pd.Timedelta(days=6)
        if reported is not None and not pd.isna(reported) and lo <= reported < hi:
            hi = reported
        return lo, hi, "week"
    if basis.lower().startswith("year only"):
        return pd.Timestamp(d.year, 1, 1), pd.Timestamp(d.year, 12, 31), "year"
    lo = pd.Timestamp(d.year, d.month, 1)
    return lo, lo + pd.offsets.MonthEnd(0), "month"


def _lane(country: str) -> str:
    codes = str(country).split("|")
    if len(codes) > 1:
        return "multi"
    return codes[0] if codes[0] in CAMPAIGN else "other"


# --------------------------------------------------------------------------- selection
def _short_place(name: str, aliases) -> str:
    if len(name) <= 24 or not isinstance(aliases, str) or not aliases.strip():
        return name
    return min(aliases.split("|"), key=len)


def source_labels(sources: pd.DataFrame) -> dict[str, str]:
    """``{source_id: "s002 (AFP, 3 Nov 2017)"}``: the outlet when the seed names it, else the
    wire agency, else "outlet not named"; "≥" marks an inferred (earliest possible) date."""
    out = {}
    for r in sources.itertuples(index=False):
        outlet = r.outlet if isinstance(r.outlet, str) and r.outlet != OUTLET_NOT_NAMED else None
        agency = r.agency if isinstance(r.agency, str) and r.agency.strip() else None
        who = outlet or agency or "outlet not named"
        mark = "" if int(r.published_precision) == 1 else "≥"
        out[r.source_id] = f"{r.source_id} ({who}, {mark}{r.published.day} {r.published:%b %Y})"
    return out


@dataclass
class Selection:
    """The events to show, the background, and what was left out and why."""

    window: Window
    events: pd.DataFrame  # in the window, one row per event, with spans, lanes, styles, sources
    background: pd.DataFrame  # before ``start``
    n_other_countries: int = 0  # left out by the ``countries`` filter
    n_reported_later: int = 0  # dated on or before ``as_of`` but first reported after it
    lanes: list[str] = field(default_factory=list)


def _names(ids, lookup: dict) -> str:
    if not isinstance(ids, str) or not ids.strip():
        return ""
    return " + ".join(lookup.get(i, i) for i in ids.split("|"))


def select(ds, window: Window) -> Selection:
    """Annotate every event and split it into shown / background / left out."""
    ev = ds.events.copy()
    src = ds.sources.set_index("source_id")
    known = src[src["published"].dt.date <= window.as_of]
    evidence = ds.evidence[ds.evidence["source_id"].isin(known.index)]
    groups = wire_group(ds)
    labels = source_labels(ds.sources)
    places = ds.places.set_index("place_id")
    actors = dict(zip(ds.actors["actor_id"], ds.actors["name"]))
    side = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    control = getattr(ds, "control", None)
    gained = set(control["event_id"].dropna()) if control is not None else set()
    ended = set(control["end_event_id"].dropna()) if control is not None else set()

    rows = []
    for e in ev.itertuples(index=False):
        quotes = evidence[evidence["record_id"] == e.event_id]
        sids = sorted(set(quotes["source_id"]))
        exact = [known.loc[s, "published"] for s in sids if int(known.loc[s, "published_precision"]) == 1]
        lo, hi, kind = span_of(e.date, e.time_precision, e.date_basis, min(exact) if exact else None)
        place = places.loc[e.place_id] if e.place_id in places.index else None
        pname = place["name"] if place is not None else e.place_id
        ctrl = e.controller_after if isinstance(e.controller_after, str) and e.controller_after else ""
        if ctrl:
            style, colour = "gained", figures.SIDE_COLOURS.get(side.get(ctrl.split("|")[0], "other"), NEUTRAL)
        elif e.event_id in ended and e.event_id not in gained:
            style, colour = "lost", figures.SIDE_COLOURS["islamic-state"]
        else:
            style, colour = "none", NEUTRAL
        named = quotes["asserted_by_id"].fillna("").astype(str).str.strip().ne("").any() \
            if "asserted_by_id" in quotes else True
        silent = not _names(e.actor, actors) and not _names(e.opponent, actors) and not ctrl and not named
        rows.append({
            "context": _lane(e.country) == "other" or silent,
            "event_id": e.event_id,
            "place_id": e.place_id,
            "date": _ts(e.date),
            "precision": kind,
            "span_start": lo,
            "span_end": hi,
            # not dated by its articles: placed by rule (date_basis); the table says so, with its report
            "undated": is_undated(e.date_basis),
            "reported": min(known.loc[s, "published"] for s in sids) if sids else pd.NaT,
            "country": e.country,
            "lane": _lane(e.country),
            "place": pname,
            "place_short": _short_place(pname, place["aliases"] if place is not None else None),
            "label": _label(e, pname, place, actors),
            "event_type": e.event_type,
            "summary": e.summary,
            "actor": _names(e.actor, actors) or NOT_NAMED,
            "opponent": _names(e.opponent, actors) or NOT_NAMED,
            "controller_after": _names(ctrl, actors),
            "side": side.get(ctrl.split("|")[0], "") if ctrl else "",
            "style": style,
            "colour": colour,
            "source_ids": sids,
            "sources": "; ".join(labels[s] for s in sids),
            "n_sources": len(sids),
            "n_independent": independent_count(zip(quotes["source_id"], quotes["quote"]), groups),
            "says_who": _says_who(quotes),
        })
    ann = pd.DataFrame(rows)
    start, end = _ts(window.start), _ts(window.end)
    dated_ok = ann["date"] <= _ts(window.as_of)
    reported = ann["n_sources"] > 0
    in_country = ann["country"].map(
        lambda c: not window.countries or bool(set(str(c).split("|")) & set(window.countries)))
    visible = dated_ok & reported & in_country
    order = ["span_start", "date", "lane", "event_id"]
    in_window = (ann["span_end"] >= start) & (ann["date"] <= end)
    shown = ann[visible & in_window & ~ann["context"]].sort_values(order)
    background = ann[visible & ((ann["span_end"] < start) | (in_window & ann["context"]))].sort_values(order)
    lanes = [k for k in ("SY", "IQ", "multi", "other") if (shown["lane"] == k).any()]
    return Selection(
        window=window,
        events=shown.reset_index(drop=True),
        background=background.reset_index(drop=True),
        n_other_countries=int((dated_ok & reported & ~in_country).sum()),
        n_reported_later=int((dated_ok & ~reported & in_country).sum()),
        lanes=lanes,
    )


def when_label(d, kind, lo, hi, undated: bool = False, reported=None, sep: str = "; ") -> str:
    """The table's date: :func:`briefing.words.label`; an event its articles do not date reads
    "undated; reported 3 Nov 2017" (its date was placed by rule, and the table must not look as
    if an article gave it); a week-precision date whose span is not a calendar week is written as
    that span, "28 Oct – 3 Nov 2017", so the table says what the figure draws. ``sep`` parts
    "undated" from "reported …" (a line break in the table's narrow date column)."""
    if undated:
        when = reported if reported is not None and pd.notna(reported) else hi
        return f"undated{sep}reported {day(when)}" if when is not None and pd.notna(when) else "undated"
    if kind == "week" and pd.notna(lo) and pd.notna(hi):
        lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
        if lo.weekday() != 0 or (hi - lo).days != 6:
            return f"{lo.day} {lo:%b} – {day(hi)}"
    return date_label(d, kind)


NOT_DRAWN = {"statement"}  # said, not done: in the chronology table, not in the timeline figure
SPOKEN = {"statement", "declaration"}  # event types whose timeline label names the speaker


def _label(e, pname, place, actors: dict) -> str:
    """A timeline label: "place: event type"; for a statement or declaration, who made it
    (its actor, "Jean-Pierre Filiu: statement"), since its place is only what it is about."""
    if e.event_type in SPOKEN and isinstance(e.actor, str) and e.actor:
        who = " + ".join(actors.get(a, a) for a in e.actor.split("|"))
        return f"{_short_place(who, None)}: {e.event_type}"
    return f"{_short_place(pname, place['aliases'] if place is not None else None)}: {e.event_type}"


def _says_who(quotes: pd.DataFrame) -> str:
    """Who asserts an event in its visible evidence rows: named claimants with their verb
    ("Syria's army announced"), then the sources that state it in their own voice."""
    if "asserted_by" not in quotes.columns:
        return ""
    named, own = [], []
    for sid, by, verb in zip(quotes["source_id"], quotes["asserted_by"], quotes["verb"]):
        if isinstance(by, str) and by and by != OUTLET:
            p = attribution_phrase(by, verb, sid) + f" ({sid})"
            if p not in named:
                named.append(p)
        elif sid not in own:
            own.append(sid)
    if own:
        named.append("stated by " + ", ".join(own))
    return "; ".join(named)


# --------------------------------------------------------------------------- table
def who_text(actor: str, opponent: str, controller: str, style: str, place: str) -> str:
    """The Who column in words, not an arrow (an arrow read as control passing to the second
    name): "Iraqi forces took Rawa from Islamic State" for a change of control, "Islamic State
    lost Hawija; taker not named" when the taker is not reported, "Iraqi forces against Islamic
    State" for any other event; a side that is not named is left out, and when neither is named
    the cell says so once."""
    named = lambda v: isinstance(v, str) and v.strip() and v != NOT_NAMED  # noqa: E731
    actor = actor if named(actor) else ""
    opponent = opponent if named(opponent) else ""
    controller = controller if named(controller) else ""
    if style == "gained" and controller:
        return f"{controller} took {place} from {opponent}" if opponent else f"{controller} took {place}"
    if style == "lost":
        loser = opponent or actor or "Islamic State"
        return f"{loser} lost {place}; taker not named"
    if actor and opponent:
        return f"{actor} against {opponent}"
    if actor or opponent:
        return actor or f"against {opponent}"
    return "not named"


def table_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The chronology table's rows (plain text; escaped by :func:`render.table`)."""
    ctrl = events["controller_after"] if "controller_after" in events else pd.Series("", index=events.index)
    style = events["style"] if "style" in events else pd.Series("none", index=events.index)
    return pd.DataFrame({
        # an undated row's label on two lines ("undated;" / "reported 3 Nov 2017"): the column stays narrow
        "Date": [when_label(d, k, lo, hi, u, r, sep=";\n") for d, k, lo, hi, u, r in zip(
            events["date"], events["precision"], events["span_start"], events["span_end"],
            events["undated"] if "undated" in events else [False] * len(events),
            events["reported"] if "reported" in events else [None] * len(events))],
        "Place": events["place"],
        "What happened": events["summary"],
        "Who": [who_text(a, o, c, st, pl) for a, o, c, st, pl in
                zip(events["actor"], events["opponent"], ctrl.fillna(""), style, events["place_short"]
                    if "place_short" in events else events["place"])],
        "Sources": [
            f"{', '.join(ids)} ({n} indep.)" for ids, n in zip(events["source_ids"], events["n_independent"])
        ],
        **({"Who says so": events["says_who"]} if "says_who" in events and events["says_who"].astype(bool).any() else {}),
    })


def narrow_timeline(events: pd.DataFrame) -> str:
    """The timeline's form for a phone: one line per event, newest last, grouped by month, with
    the same marks as the figure (filled dot in the taker's colour, hollow dot for a loss whose
    taker is not named, grey for no change of control). Every value is escaped."""
    # the caption below describes the wide chart (tap to enlarge it): say how this list reads
    out = ['<p class="nb-scale">One line per event, oldest first. Dot in the taker\u2019s colour: control '
           'changed hands; hollow dot: lost by IS, taker not named; small grey dot: no change of control.</p>']
    month = None
    for e in events.itertuples(index=False):
        m = f"{pd.Timestamp(e.date):%B %Y}"
        if m != month:
            if month is not None:
                out.append("</ol>")
            out.append(f'<p class="tl-month">{render.esc(m)}</p><ol class="tl-narrow">')
            month = m
        cls = {"gained": "gained", "lost": "lost"}.get(e.style, "none")
        colour = e.colour if e.style == "gained" else ("#1a1a1a" if e.style == "lost" else NEUTRAL)
        who = {"gained": f" (taken by {e.controller_after})", "lost": " (lost by IS, taker not named)"}.get(e.style, "")
        out.append(f'<li class="{cls}"><span class="tl-mark" style="--c:{render.esc(colour)}"></span>'
                   f'<span class="tl-date">{render.esc(when_label(e.date, e.precision, e.span_start, e.span_end, getattr(e, "undated", False), getattr(e, "reported", None)))}</span> '
                   f'<b>{render.esc(e.place_short)}</b>: {render.esc(e.event_type)}{render.esc(who)}</li>')
    if month is not None:
        out.append("</ol>")
    return "".join(out)


def map_links(events: pd.DataFrame) -> list[dict]:
    """Per row, the place and date the briefing's map shows when the row is clicked."""
    if "place_id" not in events:
        return []
    return [{"place": p if isinstance(p, str) else "", "date": pd.Timestamp(d).date().isoformat()}
            for p, d in zip(events["place_id"], events["date"])]


def table_csv(events: pd.DataFrame) -> pd.DataFrame:
    """The table's data for ``fig2_chronology_table.csv`` (machine-readable columns)."""
    return pd.DataFrame({
        "event_id": events["event_id"],
        "date": events["date"].dt.strftime("%Y-%m-%d"),
        "precision": events["precision"],
        "span_start": events["span_start"].dt.strftime("%Y-%m-%d"),
        "span_end": events["span_end"].dt.strftime("%Y-%m-%d"),
        "country": events["country"],
        "place": events["place"],
        "event_type": events["event_type"],
        "summary": events["summary"],
        "actor": events["actor"],
        "opponent": events["opponent"],
        "controller_after": events["controller_after"],
        "source_ids": events["source_ids"].map(" ".join),
        "n_sources": events["n_sources"],
        "n_independent": events["n_independent"],
        "says_who": events["says_who"] if "says_who" in events else "",
    })


DATE_RULE = ("Dates: a day when the source gives one; \"week of …\" (Monday) when the source gives a "
             "relative time such as \"last week\"; \"(month)\" or \"(year)\" when only the month or year "
             "is known; \"undated; reported …\" when the article gives no date at all (the row is placed by "
             "rule just before that report). Sources: seed ids, listed with outlet and date under Sources and method; "
             "\"indep.\" counts independent sources (reposts of one wire story count once).")


# --------------------------------------------------------------------------- figure
@dataclass
class Item:
    """One event as drawn: its lane row, x extent (matplotlib date numbers) and label."""

    event_id: str
    lane: str
    x0: float  # span start (start of the first day)
    x1: float  # span end (end of the last day)
    point: bool
    style: str
    colour: str
    label: str
    row: int = 0
    y: float = 0.0


def _num(ts) -> float:
    import matplotlib.dates as mdates

    return float(mdates.date2num(pd.Timestamp(ts).to_pydatetime()))


def _items(events: pd.DataFrame) -> list[Item]:
    out = []
    for e in events.itertuples(index=False):
        point = e.precision == "day"
        x0 = _num(e.span_start)
        x1 = _num(e.span_end) + 1.0
        label = e.label
        if not point:  # "(week)", "(month)"; an event its articles do not date says so
            label += " (undated)" if getattr(e, "undated", False) else f" ({e.precision})"
        out.append(Item(e.event_id, e.lane, x0, x1, point, e.style, e.colour, label))
    return out


ROW_IN = 0.125  # height of one row in a lane (inches): 9 pt for 6.8 pt labels
LABEL_PT = 6.8
MARKER_PT = 5.0


def _text_width_days(fig, text: str, days_per_inch: float, bold: bool) -> float:
    return (_label_width_pt(text, bold) / 72.0) * days_per_inch


@functools.lru_cache(maxsize=4096)
def _label_width_pt(text: str, bold: bool) -> float:
    """The width of a timeline label (points): its glyphs' advance widths, as matplotlib lays
    the text out (side bearings included). Measuring the glyph outlines instead (``TextPath``
    extents) gave widths about 1 pt narrower and cost ~12 ms a label; this costs ~0.4 ms, and
    is cached because the row packing asks for each label once per lane layout."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    fp = FontProperties(family="DejaVu Sans", size=LABEL_PT, weight="bold" if bold else "normal")
    return text_to_path.get_text_width_height_descent(text, fp, ismath=False)[0]


def _pack_rows(items: list[Item], xlim, days_per_inch: float, fig, labelled: set[str]) -> int:
    """First-fit rows: each item's footprint is its marker/bar plus, when labelled, the label
    to its right (or left, near the right edge). Returns the number of rows used."""
    rows_end: list[float] = []
    pad = 0.09 * days_per_inch
    for it in sorted(items, key=lambda i: (i.x0, i.style != "gained", i.event_id)):
        lo = max(it.x0, xlim[0])
        hi = min(it.x1, xlim[1])
        if it.point:
            lo, hi = (lo + hi) / 2 - 0.04 * days_per_inch, (lo + hi) / 2 + 0.04 * days_per_inch
        if it.event_id in labelled:
            w = _text_width_days(fig, it.label, days_per_inch, it.style != "none") + pad
            if hi + w <= xlim[1]:
                hi += w  # label to the right
            elif lo - w >= xlim[0]:
                lo -= w  # to the left, near the right edge
            elif not it.point and hi - lo >= w:
                pass  # on the bar itself
            else:
                hi = xlim[1]  # a row of its own; the placer puts the label above or below
        for r, end in enumerate(rows_end):
            if lo > end + pad:
                it.row, rows_end[r] = r, hi
                break
        else:
            it.row = len(rows_end)
            rows_end.append(hi)
    return max(len(rows_end), 1)


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def place_labels(ax, items: list[Item], labelled: set[str], obstacles: list, lanes: dict) -> list:
    """Greedy placer. For each labelled item (control changes first, then by date) try, in
    order: right of the marker/bar, left of it, on the bar (bars only), then above/below with
    a leader line at growing offsets. Keep the first candidate whose text box, measured with
    the renderer, stays inside the axes and the item's lane and overlaps no placed label and
    no other item's marker or bar. ``obstacles`` is ``[(event_id, bbox)]``; ``lanes`` maps a
    lane to its ``(y_lo, y_hi)`` in data units. Items left without a position are recorded in
    ``ax.unplaced`` (the tests require it to be empty)."""
    renderer = ax.figure.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    placed_boxes: list = []
    texts = []
    ax.unplaced = []
    row_pt = ROW_IN * 72
    xlim = ax.get_xlim()
    for it in sorted(items, key=lambda i: (i.style == "none", i.x0, i.event_id)):
        if it.event_id not in labelled:
            continue
        lane_lo, lane_hi = (to_px((0, y))[1] for y in lanes[it.lane])
        x0, x1 = max(it.x0, xlim[0]), min(it.x1, xlim[1])
        xc = (x0 + x1) / 2
        xr, xl = (xc, xc) if it.point else (x1, x0)
        gap = 4.0 if it.point else 2.0  # points between anchor and text
        candidates = [((xr, it.y), (gap, 0), "left", False), ((xl, it.y), (-gap, 0), "right", False)]
        if not it.point:
            candidates.append(((xc, it.y), (0, 0), "center", False))
        for k in (1, 2, 3):
            for sgn in (1, -1):
                for ha, dx in (("left", 2.0), ("right", -2.0), ("center", 0.0)):
                    candidates.append(((xc, it.y), (dx, sgn * k * row_pt), ha, True))
        weight = "bold" if it.style != "none" else "normal"
        colour = figures.INK if it.style != "none" else figures.MUTED
        style = dict(textcoords="offset points", va="center", fontsize=LABEL_PT, fontweight=weight,
                     color=colour, annotation_clip=False, gid=f"label-{it.event_id}")
        probe = ax.annotate(it.label, xy=(xc, it.y), xytext=(0, 0), ha="left", **style)
        ext = probe.get_window_extent(renderer)  # the text's size, measured once
        probe.remove()
        w, h = ext.width, ext.height
        px_per_pt = ax.figure.dpi / 72.0
        for xy, offset, ha, leader in candidates:
            on_bar = not leader and ha == "center"
            ax_px, ay_px = to_px(xy)
            x = ax_px + offset[0] * px_per_pt - {"left": 0.0, "center": w / 2, "right": w}[ha]
            y = ay_px + offset[1] * px_per_pt - h / 2
            box = Bbox.from_bounds(x, y, w, h)
            if on_bar:  # the white box behind a label on its bar
                box = box.padded(0.1 * LABEL_PT * px_per_pt)
            ok = (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= lane_lo and box.y1 <= lane_hi
                  and not any(_overlap(box, b) for b in placed_boxes)
                  and not any(_overlap(box, b) for eid, b in obstacles if eid != it.event_id or leader))
            if not ok:
                continue
            extra = {}
            if on_bar:
                extra["bbox"] = dict(boxstyle="square,pad=0.1", fc="white", ec="none")
            if leader:
                extra["arrowprops"] = dict(arrowstyle="-", color=figures.MUTED, lw=0.5, shrinkA=0, shrinkB=2.5)
            texts.append(ax.annotate(it.label, xy=xy, xytext=offset, ha=ha, **style, **extra))
            placed_boxes.append(box)
            break
        else:
            ax.unplaced.append(it.event_id)
    ax.label_boxes = placed_boxes
    return texts


def _draw_items(ax, items: list[Item], xlim) -> list:
    """Draw points and bars; return their display bounding boxes (obstacles for labels)."""
    from matplotlib.patches import Rectangle

    arts = []  # (event_id, artist)
    for it in items:
        if it.point:
            x = (it.x0 + it.x1) / 2
            if it.style == "gained":
                kw = dict(mfc=it.colour, mec=it.colour)
            elif it.style == "lost":
                kw = dict(mfc="white", mec=figures.SIDE_COLOURS["islamic-state"])
            else:
                kw = dict(mfc="white", mec=NEUTRAL)
            (m,) = ax.plot([x], [it.y], "o", ms=MARKER_PT, mew=1.0, zorder=3, clip_on=False, gid=f"event-{it.event_id}", **kw)
            arts.append((it.event_id, m))
        else:
            x0, x1 = max(it.x0, xlim[0]), min(it.x1, xlim[1])
            h = 0.55
            if it.style == "gained":
                kw = dict(fc=it.colour, ec=it.colour, alpha=0.45, lw=0.8)
            elif it.style == "lost":
                kw = dict(fc="white", ec=figures.SIDE_COLOURS["islamic-state"], lw=0.8)
            else:
                kw = dict(fc="#f2f2f2", ec=NEUTRAL, lw=0.8, ls=(0, (2, 1.2)))
            r = Rectangle((x0, it.y - h / 2), x1 - x0, h, zorder=2, gid=f"event-{it.event_id}", **kw)
            ax.add_patch(r)
            arts.append((it.event_id, r))
            # a bar cut by the panel's edge continues outside it: say so with an arrowhead
            edge = kw["ec"]
            if it.x0 < xlim[0]:
                arts.append((it.event_id, ax.plot([x0], [it.y], marker="<", ms=4, color=edge, zorder=3, clip_on=False)[0]))
            if it.x1 > xlim[1]:
                arts.append((it.event_id, ax.plot([x1], [it.y], marker=">", ms=4, color=edge, zorder=3, clip_on=False)[0]))
    return arts


def _layout_lanes(items: list[Item], lanes: list[str], xlim, days_per_inch, fig, labelled,
                  dense: frozenset = frozenset()) -> tuple[list, float]:
    """Pack each lane's rows; set ``y`` (rows count upwards from the bottom lane). Items in
    ``dense`` share one bottom row per lane (the overview's crowded end, drawn in detail
    below). Returns ``[(lane, y_lo, y_hi)]`` and the total height in rows."""
    spans = []
    y = 0.0
    for lane in reversed(lanes):
        its = [i for i in items if i.lane == lane]
        packed = [i for i in its if i.event_id not in dense]
        n = _pack_rows(packed, xlim, days_per_inch, fig, labelled) if packed else 0
        if len(packed) < len(its):  # the overview's dense row: markers only, detail below
            for i in its:
                if i.event_id in dense:
                    i.row = n
            n += 1
        n = max(n, 1)
        for i in its:
            i.y = y + 0.5 + (n - 1 - i.row)  # first row on top: reading order
        spans.append((lane, y, y + n))
        y += n + 0.4
    return list(reversed(spans)), y - 0.4


def _ticks(ax, lo: pd.Timestamp, hi: pd.Timestamp, zoom: bool) -> None:
    import matplotlib.ticker as mticker

    if zoom:
        days = pd.date_range(lo, hi, freq="W-MON")
        fmt = [f"{d.day} {d:%b}" for d in days]
    elif (hi - lo).days <= 366:
        days = pd.date_range(lo, hi, freq="MS")
        fmt = [f"{d:%b}" if d.month != 1 else f"{d:%b %Y}" for d in days]
    else:  # a long window: one tick a year (every few years beyond a decade)
        days = pd.date_range(lo, hi, freq="YS")
        step = 1 if len(days) <= 10 else 2 if len(days) <= 20 else 5
        days = days[::step]
        fmt = [f"{d:%Y}" for d in days]
    ax.xaxis.set_major_locator(mticker.FixedLocator([_num(d) for d in days]))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter(fmt))
    ax.xaxis.set_minor_locator(mticker.FixedLocator([_num(d) for d in pd.date_range(lo, hi, freq="D")] if zoom else []))
    ax.tick_params(axis="x", which="minor", length=1.5)


def timeline(sel: Selection):
    """Draw the timeline; return ``(fig, data)`` where ``data`` is the figure's CSV."""
    import matplotlib.pyplot as plt

    figures.use_style()
    w = sel.window
    ev = sel.events
    start, end = _ts(w.start), _ts(w.end)
    xlim_full = (_num(start), _num(end) + 1.0)
    two = (end - start).days + 1 > SINGLE_PANEL_DAYS
    zoom_start = max(start, end - pd.Timedelta(days=ZOOM_DAYS - 1)) if two else start
    xlim_zoom = (_num(zoom_start), _num(end) + 1.0)
    left_in, right_in = 1.0, 0.12
    axw_in = figures.TEXT_WIDTH_IN - left_in - right_in
    lanes = sel.lanes or ["SY", "IQ"]

    fig = plt.figure(figsize=(figures.TEXT_WIDTH_IN, 4.0))
    zoom_items = [i for i in _items(ev) if i.x1 > xlim_zoom[0]]
    zoom_lanes = [ln for ln in lanes if any(i.lane == ln for i in zoom_items)] or lanes
    zoom_ids = {i.event_id for i in zoom_items}
    dpi_zoom = (xlim_zoom[1] - xlim_zoom[0]) / axw_in
    _, zoom_rows = _layout_lanes(zoom_items, zoom_lanes, xlim_zoom, dpi_zoom, fig, zoom_ids)
    panels = []
    if two:
        over_items = _items(ev)
        # the overview labels what the zoomed panel does not show in full
        over_ids = {i.event_id for i in over_items if i.x0 < xlim_zoom[0]}
        dpi_over = (xlim_full[1] - xlim_full[0]) / axw_in
        over_dense = frozenset(i.event_id for i in over_items if i.event_id not in over_ids)
        _, over_rows = _layout_lanes(over_items, lanes, xlim_full, dpi_over, fig, over_ids, over_dense)
        panels.append(("overview", over_items, lanes, xlim_full, over_ids, over_rows, over_dense))
    panels.append(("zoom", zoom_items, zoom_lanes, xlim_zoom, zoom_ids, zoom_rows, frozenset()))

    n_keys = len({s for s in ev.loc[ev["style"] == "gained", "side"]}) + 2 + int((ev["style"] == "lost").any())
    legend_rows = -(-n_keys // 3)
    top_in, gap_in, bottom_in, legend_in = 0.22, 0.5, 0.3, 0.16 + 0.13 * legend_rows
    heights = [max(p[5], 1) * ROW_IN for p in panels]
    fig_h = top_in + sum(heights) + gap_in * (len(panels) - 1) + bottom_in + legend_in
    fig.set_size_inches(figures.TEXT_WIDTH_IN, fig_h)
    y_top = fig_h - top_in
    axes = []
    for (kind, items, plane, xlim, ids, nrows, dense), h in zip(panels, heights):
        y0 = y_top - h
        ax = fig.add_axes([left_in / figures.TEXT_WIDTH_IN, y0 / fig_h, axw_in / figures.TEXT_WIDTH_IN, h / fig_h])
        lane_spans, total = _layout_lanes(items, plane, xlim, (xlim[1] - xlim[0]) / axw_in, fig, ids, dense)
        ax.set_xlim(*xlim)
        ax.set_ylim(0, total)
        for i, (lane, lo, hi) in enumerate(lane_spans):
            if i % 2 == 0:
                ax.axhspan(lo, hi, color="#f6f6f6", zorder=0, lw=0)
        ax.set_yticks([(lo + hi) / 2 for _, lo, hi in lane_spans])
        ax.set_yticklabels([LANE_NAMES[lane] for lane, _, _ in lane_spans], fontsize=7.5, color=figures.INK)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        _ticks(ax, zoom_start if kind == "zoom" else start, end, kind == "zoom")
        ax.grid(axis="x", color=figures.GRID, lw=0.5, zorder=0)
        ax.set_axisbelow(True)
        if kind == "overview":
            ax.axvspan(xlim_zoom[0], xlim_zoom[1], color="#e8eef5", zorder=0.5, lw=0)
            ax.set_title(f"{span_title(start, end)}: overview (shaded: detail below)",
                         fontsize=8, loc="left", pad=3)
        else:
            ax.set_title(span_title(zoom_start, end) + (": detail" if two else ""),
                         fontsize=8, loc="left", pad=3)
        arts = _draw_items(ax, items, xlim)
        renderer = fig.canvas.get_renderer()
        obstacles = [(eid, a.get_window_extent(renderer)) for eid, a in arts]
        place_labels(ax, items, ids, obstacles, {lane: (lo, hi) for lane, lo, hi in lane_spans})
        axes.append(ax)
        y_top = y0 - gap_in

    _legend(fig, ev, fig_h, bottom_in, legend_in, left_in)
    fig.chronology_axes = axes
    return fig, _figure_data(ev, panels)


def _legend(fig, ev, fig_h, bottom_in, legend_in, left_in) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    sides = [s for s in figures.SIDE_COLOURS if s in set(ev.loc[ev["style"] == "gained", "side"])]
    for s in sides:
        handles.append(Line2D([], [], ls="", marker="o", ms=MARKER_PT, mfc=figures.SIDE_COLOURS[s],
                              mec=figures.SIDE_COLOURS[s], label=f"taken by {side(s, 'short')}"))
    if (ev["style"] == "lost").any():
        handles.append(Line2D([], [], ls="", marker="o", ms=MARKER_PT, mfc="white",
                              mec=figures.SIDE_COLOURS["islamic-state"], label="lost by IS, taker not named"))
    handles.append(Line2D([], [], ls="", marker="o", ms=MARKER_PT, mfc="white", mec=NEUTRAL,
                          label="no change of control"))
    handles.append(Patch(fc="#dddddd", ec=NEUTRAL, lw=0.8, ls=(0, (2, 1.2)),
                         label="bar: date known only to the week or month"))
    fig.legend(handles=handles, loc="lower left", ncol=3, fontsize=7, handletextpad=0.3, columnspacing=1.0,
               bbox_to_anchor=(left_in / figures.TEXT_WIDTH_IN - 0.12, 0.0), frameon=False, borderaxespad=0.2)


def _figure_data(ev: pd.DataFrame, panels) -> pd.DataFrame:
    rows = {}
    for kind, items, *_ in panels:
        for it in items:
            rows.setdefault(it.event_id, {})[f"{kind}_row"] = it.row
    data = ev[["event_id", "date", "precision", "span_start", "span_end", "lane", "place", "event_type",
               "style", "side", "colour"]].copy()
    for col in ("date", "span_start", "span_end"):
        data[col] = data[col].dt.strftime("%Y-%m-%d")
    data["lane"] = data["lane"].map(LANE_NAMES)
    data["label"] = list(ev["label"])
    for kind, *_ in panels:
        data[f"{kind}_row"] = [rows.get(e, {}).get(f"{kind}_row", "") for e in data["event_id"]]
    return data


# --------------------------------------------------------------------------- narrative
def narrative_text(sel: Selection) -> tuple[str, dict]:
    """The narrative template and its values (filled by :func:`render.markdown`, escaped)."""
    w, ev = sel.window, sel.events
    vals = {"start": day((w.start)), "end": day((w.end)), "as_of": day((w.as_of)), "n": len(ev),
            "n_events": words.count(len(ev), "event")}
    if not len(ev):
        return ("No event in the data falls between **{start}** and **{end}** (as of {as_of}).", vals)
    undated = ev["undated"] if "undated" in ev else pd.Series(False, index=ev.index)
    counts = ev.loc[~undated, "precision"].value_counts()
    vals.update({f"n_{k}": int(counts.get(k, 0)) for k in ("day", "week", "month", "year")})
    vals["day_be"] = words.verb(vals["n_day"], "is", "are")
    vals["n_undated"] = int(undated.sum())
    vals["undated_be"] = words.verb(vals["n_undated"], "is", "are")
    lanes = ev["lane"].value_counts()
    where = {"SY": "in Syria", "IQ": "in Iraq", "multi": "across Syria and Iraq"}
    lane_txt = ", ".join(
        f"{int(lanes[k])} " + (where[k] if k in where else "elsewhere (" + ", ".join(
            sorted(set(ev.loc[ev["lane"] == k, "country"]))) + ")")
        for k in ("SY", "IQ", "multi", "other") if k in lanes)
    vals["lanes"] = lane_txt
    lines = [
        "The data hold **{n_events}** between {start} and {end} ({lanes}); "
        "{n_day} {day_be} dated to the day, {n_week} only to the week and {n_month} only to the month"
        + ("; {n_undated} {undated_be} not dated by {its_their} {article_s} at all and placed by rule (see "
           "Sources and method; the table says \"undated\")." if vals["n_undated"] else ".")
    ]
    vals["its_their"] = "its" if vals["n_undated"] == 1 else "their"
    vals["article_s"] = "article" if vals["n_undated"] == 1 else "articles"
    changes = ev[ev["style"] == "gained"]
    parts = []
    for i, c in enumerate(changes.itertuples(index=False)):
        vals[f"c{i}_place"], vals[f"c{i}_date"], vals[f"c{i}_who"] = c.place, prose_date(c.date, c.precision), c.controller_after
        parts.append(f"{{c{i}_place}} ({{c{i}_date}}, to {{c{i}_who}})")
    if parts:
        vals["n_changes"] = "once" if len(parts) == 1 else f"{len(parts)} times"
        lines.append("Control of a place changed hands **{n_changes}**: " + "; ".join(parts) + ".")
    lost = ev[ev["style"] == "lost"]
    for i, c in enumerate(lost.itertuples(index=False)):
        vals[f"l{i}_place"], vals[f"l{i}_date"] = c.place, prose_date(c.date, c.precision)
        lines.append(f"IS lost {{l{i}_place}} ({{l{i}_date}}); the sources do not say to whom.")
    single = int((ev["n_independent"] <= 1).sum())
    of_the = words.of_the(single, len(ev), "event")
    vals["single"], vals["rest"] = words.sentence(of_the), words.of_the_verb(single, "rests", "rest")
    lines.append("{single} {rest} on a single independent source "
                 "(reposts of one wire story count once).")
    bg = sel.background
    n_ctx = int((bg["context"] & (bg["span_end"] >= _ts(w.start))).sum()) if "context" in bg else 0
    vals["n_bg"], vals["n_ctx"] = words.count(len(bg) - n_ctx, "earlier event"), words.count(n_ctx, "context event")
    if len(bg):
        what = [x for x, k in (("{n_bg} (before {start})", len(bg) - n_ctx),
                               ("{n_ctx} (outside Syria and Iraq, or naming no actor, side or claimant)", n_ctx)) if k]
        lines.append("Listed after the table as background: " + " and ".join(what) + ".")
    if sel.n_other_countries:
        vals["n_oc"], vals["countries"] = words.count(sel.n_other_countries, "event"), ", ".join(w.countries)
        vals["oc_be"] = words.verb(sel.n_other_countries, "is", "are")
        lines.append("{n_oc} outside the selected countries ({countries}) {oc_be} left out.")
    if sel.n_reported_later:
        vals["n_later"] = words.count(sel.n_reported_later, "event")
        vals["later_be"] = words.verb(sel.n_reported_later, "was", "were")
        lines.append("{n_later} dated before the cut-off {later_be} first reported after it and {is_} not shown."
                     .replace("{is_}", words.verb(sel.n_reported_later, "is", "are")))
    lines.append("Events after the cut-off of **{as_of}** are not shown.")
    return " ".join(lines[:1]) + "\n\n" + " ".join(lines[1:]), vals


# --------------------------------------------------------------------------- notebook API
@dataclass
class Chronology(_Heading):
    """What notebook 02 shows: one object, one method per output cell."""

    selection: Selection
    figures_dir: Path

    @property
    def window(self) -> Window:
        return self.selection.window

    @property
    def events(self) -> pd.DataFrame:
        """The events in the window, one row each (span, lane, style, sources)."""
        return self.selection.events

    def narrative(self):
        text, vals = narrative_text(self.selection)
        return render.markdown(text, **vals)

    def figure(self):
        sel = self.selection
        if not len(sel.events):
            return render.markdown("There is no event to draw between {start} and {end}: the timeline is left out.",
                                   start=day(sel.window.start), end=day(sel.window.end))
        said = sel.events["event_type"].isin(NOT_DRAWN)
        drawn = dataclasses.replace(sel, events=sel.events[~said].reset_index(drop=True)) if said.any() else sel
        fig, data = timeline(drawn)
        caption = (f"Events between {day((sel.window.start))} and {day((sel.window.end))} "
                   f"(as of {day((sel.window.as_of))}), by country. Points: events dated to the day; "
                   "bars: events dated only to the week or month, drawn over that whole period"
                   + ("; an event its articles do not date, over the period the dating rule gives it (see Sources and method). "
                      if "undated" in drawn.events and drawn.events["undated"].any() else ". ")
                   + "Colour: the side that took control. Labels: place and event type."
                   + (f" {words.sentence(words.count(int(said.sum()), 'statement'))} by named claimants "
                      f"(what someone said, not what happened) {words.verb(int(said.sum()), 'is', 'are')} listed in the "
                      "table, not drawn."
                      if said.any() else ""))
        return figures.save(fig, "fig2_timeline", data, self.figures_dir, caption=caption,
                            narrow_html=narrow_timeline(drawn.events))

    def table(self):
        ev = self.selection.events
        if not len(ev):
            figures.write_csv(table_csv(ev), Path(self.figures_dir) / "fig2_chronology_table.csv")
            return render.markdown("No event to list in this window.")
        # no caption: the heading right above ("Events") names the table, and "Chronology" would
        # repeat the section's own title (README, "Headings and captions")
        return figures.table(table_frame(ev), "fig2_chronology_table", self.figures_dir, data=table_csv(ev),
                             col_classes={"Date": "nowrap"}, multiline_cols=("Date",), row_attrs=map_links(ev))

    def date_rule(self):
        return render.markdown("*{rule}*", rule=DATE_RULE)

    def background_table(self):
        bg = self.selection.background
        if not len(bg):
            return render.markdown("No event in the data is dated before {start}.",
                                   start=day((self.selection.window.start)))
        frame = table_frame(bg)
        ctx = "context" in bg and bool(bg["context"].any())
        return figures.table(frame, "fig2_background_table", self.figures_dir, data=table_csv(bg), caption=f"Events before {day((self.selection.window.start))}"
                            + (" and context events" if ctx else ""),
                            col_classes={"Date": "nowrap"}, multiline_cols=("Date",))


# --------------------------------------------------------------------------- many events, no publication dates
DETAIL_MAX = 150  # up to this many events in the window are drawn and listed one by one
LABEL_CAP = 12
TABLE_CAP = 40

def _names_vec(ids: pd.Series, lookup: dict) -> pd.Series:
    """``"a|b"`` id strings → ``"A + B"`` names, computed once per distinct value."""
    cat = ids.astype("category")
    names = [" + ".join(lookup.get(i, i) for i in str(v).split("|")) for v in cat.cat.categories]
    out = pd.Categorical.from_codes(cat.cat.codes, categories=pd.Index(names, dtype=object).unique()) \
        if len(set(names)) == len(names) else pd.Series(cat.astype(object)).map(
            dict(zip(cat.cat.categories, names))).to_numpy()
    return pd.Series(out, index=ids.index).astype(object).where(ids.notna(), "")


def spans(date: pd.Series, precision: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``(span_start, span_end, kind)`` per event, vectorised (see module docstring)."""
    d = date.dt.normalize()
    p = precision.astype("int64").to_numpy()
    monday = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    month0 = d.dt.to_period("M").dt.start_time
    month1 = d.dt.to_period("M").dt.end_time.dt.normalize()
    lo = np.where(p == 1, d, np.where(p == 2, monday, month0))
    hi = np.where(p == 1, d, np.where(p == 2, monday + pd.Timedelta(days=6), month1))
    kind = np.select([p == 1, p == 2], ["day", "week"], "month")
    return (pd.Series(pd.to_datetime(lo), index=date.index), pd.Series(pd.to_datetime(hi), index=date.index),
            pd.Series(kind, index=date.index))


def _lane_vec(country: pd.Series) -> pd.Series:
    c = country.astype(object)
    return pd.Series(np.where(c.isin(["SY", "IQ"]), c, "other"), index=country.index)


@dataclass
class Frames:
    """The events of the window (light columns), the background and counts."""

    shown: pd.DataFrame
    n_background: int
    background_months: pd.DataFrame
    n_other_countries: int


EVENT_COLUMNS = ["event_id", "date", "time_precision", "event_type", "place_id", "country", "actor", "opponent",
                 "controller_after", "source_id", "fatalities"]


def frames(ds, window) -> Frames:
    ev = ds.columns("events", EVENT_COLUMNS)  # not the notes: most of the file, needed for few rows
    as_of, start, end = (pd.Timestamp(x) for x in (window.as_of, window.start, window.end))
    dated_ok = ev["date"] <= as_of
    if window.countries:
        in_country = ev["country"].astype(object).isin(window.countries)
    else:
        in_country = pd.Series(True, index=ev.index)
    visible = dated_ok & in_country
    lo, hi, kind = spans(ev["date"], ev["time_precision"])
    shown_mask = visible & (hi >= start) & (ev["date"] <= end)
    bg_mask = visible & (hi < start)
    shown = ev.loc[shown_mask, EVENT_COLUMNS].copy()
    shown["span_start"], shown["span_end"], shown["precision"] = lo[shown_mask], hi[shown_mask], kind[shown_mask]
    bg = ev.loc[bg_mask, "date"]
    months = bg.dt.to_period("M").value_counts().sort_index()
    bgm = pd.DataFrame({"Month": [f"{p.start_time:%b %Y}" for p in months.index], "Events": months.to_numpy()})
    return Frames(shown.reset_index(drop=True), int(bg_mask.sum()), bgm, int((dated_ok & ~in_country).sum()))


def annotate(ds, shown: pd.DataFrame, summaries: dict | None = None) -> pd.DataFrame:
    """The curated chronology's columns (:func:`briefing.chronology.select`) for ``shown``,
    vectorised; sources are the data's ``source`` strings (one per event). ``summaries``
    (event_id → notes) defaults to reading them for these events."""
    if summaries is None:
        summaries = ds.summaries(shown["event_id"])
    places = ds.places.set_index("place_id")
    names = dict(zip(ds.actors["actor_id"], ds.actors["name"]))
    side = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    outlet = dict(zip(ds.sources["source_id"], ds.sources["outlet"]))
    pid = shown["place_id"].astype(object)
    place = pid.map(places["name"]).fillna(pid).astype(object)
    ctrl = shown["controller_after"].astype(object)
    ctrl_side = ctrl.map(lambda v: side.get(str(v).split("|")[0], "other") if isinstance(v, str) else "")
    gained = ctrl.notna() & ctrl.astype(str).ne("")
    colour = np.where(gained, ctrl_side.map(lambda s: figures.SIDE_COLOURS.get(s, NEUTRAL)), NEUTRAL)
    sid = shown["source_id"].astype(object)
    out = pd.DataFrame({
        "event_id": shown["event_id"].astype(object), "place_id": pid, "date": shown["date"].dt.normalize(),
        "precision": shown["precision"], "span_start": shown["span_start"], "span_end": shown["span_end"],
        "country": shown["country"].astype(object), "lane": _lane_vec(shown["country"]),
        "place": place, "place_short": place, "event_type": shown["event_type"].astype(object),
        "label": place.astype(object) + ": " + shown["event_type"].astype(object),
        "summary": shown["event_id"].astype(object).map(summaries).fillna(""),
        "actor": _names_vec(shown["actor"].astype(object), names).replace("", NOT_NAMED),
        "opponent": _names_vec(shown["opponent"].astype(object), names).replace("", NOT_NAMED),
        "controller_after": _names_vec(ctrl, names), "side": np.where(gained, ctrl_side, ""),
        "style": np.where(gained, "gained", "none"), "colour": colour,
        "source_ids": sid.map(outlet).fillna("").map(lambda s: [s]), "sources": sid.map(outlet).fillna(""),
        "n_sources": 1, "n_independent": 1,
        # the model's attribution for a source without quotes: its outlet's own voice
        "says_who": sid.map(outlet).fillna("").map(lambda o: f"according to {o}" if o else ""),
    })
    order = ["span_start", "date", "lane", "event_id"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


EVENTS_DATE_RULE = ("Dates as the source codes them: time precision 1 = the day; 2 = within about a week (\"week of …\", "
                   "drawn over the week containing the date); 3 = within the month (\"(month)\"). Sources: the data's "
                   "source field; each event counts as one source.")


def _chronology_detail(ds, window, fr: Frames, figures_dir):
    ann = annotate(ds, fr.shown)
    lanes = [k for k in ("SY", "IQ", "multi", "other") if (ann["lane"] == k).any()]
    sel = Selection(window=window, events=ann, background=ann.iloc[0:0], n_other_countries=fr.n_other_countries,
                    n_reported_later=0, lanes=lanes)

    class CodedDetail(Chronology):
        def date_rule(self):
            return render.markdown("*{rule}*", rule=EVENTS_DATE_RULE)

        def background_table(self):
            return _background(fr, window, self.figures_dir)

        def table(self):
            out = super().table()
            ev = self.selection.events
            figures.write_csv(table_csv(ev), Path(self.figures_dir) / "fig2_chronology_table.csv")
            return out

    return CodedDetail(sel, figures_dir)


def _background(fr: Frames, window, figures_dir):
    if not fr.n_background:
        return render.markdown("No event in the data is dated before {start}.", start=day(window.start))
    return figures.table(fr.background_months, "fig2_background_table", figures_dir, caption=f"{words.count(fr.n_background, 'event')} before "
                        f"{day(window.start)}, by month (not listed one by one)")


@dataclass
class AggregateChronology(_Heading):
    """Notebook 02 for a large window of coded events: weekly counts and territorial changes."""

    ds: object
    window: object
    fr: Frames
    figures_dir: Path

    def __post_init__(self):
        sh = self.fr.shown
        tr = sh[sh["controller_after"].notna()]
        c = self.ds.control  # carries each transfer's notes: no need to read them from the events
        names = dict(zip(self.ds.places["place_id"].astype(object), self.ds.places["name"].astype(object)))
        self.events = sh.assign(lane=_lane_vec(sh["country"]), place=sh["place_id"].astype(object).map(names),
                                style=np.where(sh["controller_after"].notna(), "gained", "none"))
        notes = dict(zip(c["event_id"].dropna().astype(object), c.loc[c["event_id"].notna(), "event_summary"]))
        self.changes = annotate(self.ds, tr, notes)
        # without changes of control the table lists the deadliest events instead (ties: earliest)
        top = sh.assign(_f=sh["fatalities"]).sort_values(["_f", "date", "event_id"], ascending=[False, True, True],
                                                         kind="stable").head(TABLE_CAP)
        self.deadliest = (annotate(self.ds, top).merge(top[["event_id", "fatalities"]].astype({"event_id": object}),
                                                       on="event_id", how="left")
                          if not self.ds.has_transfers else None)

    # ------------------------------------------------------------------ narrative
    def narrative(self):
        sh, w = self.fr.shown, self.window
        lanes = _lane_vec(sh["country"]).value_counts()
        where = {"SY": "in Syria", "IQ": "in Iraq", "other": "elsewhere"}
        prec = sh["precision"].value_counts()
        kinds = self.changes["event_type"].value_counts()
        vals = {
            "start": day(w.start), "end": day(w.end), "as_of": day(w.as_of),
            "lanes": ", ".join(f"{int(lanes[k]):,} {where[k]}" for k in ("SY", "IQ", "other") if k in lanes),
            "day": f"{int(prec.get('day', 0)):,}", "week": f"{int(prec.get('week', 0)):,}",
            "month": f"{int(prec.get('month', 0)):,}", "n_changes": words.count(len(self.changes), "territorial change"),
            "kinds": "; ".join(f"{k}: {int(v):,}" for k, v in kinds.items()) or "none",
            "fat": words.count(int(sh['fatalities'].sum()), "fatality", "fatalities"),
            "n_bg": words.count(self.fr.n_background, "earlier event"),
            "bg_be": words.verb(self.fr.n_background, "is", "are"),
            "n": words.count(len(sh), "event"), "day_be": words.verb(int(prec.get("day", 0)), "is", "are"),
        }
        text = ("The data hold **{n}** between {start} and {end} ({lanes}); {day} {day_be} dated to the day, "
                "{week} only to the week and {month} only to the month. Too many to draw one by one: the timeline "
                "counts them per week and marks only the **{n_changes}** ({kinds}). "
                "The data report {fat} in the window (the source's counts, not checked here).")
        if not self.ds.has_transfers:
            vals["cap"] = f"{min(TABLE_CAP, len(sh)):,}"
            text = ("The data hold **{n}** between {start} and {end} ({lanes}); {day} {day_be} dated to the day, "
                    "{week} only to the week and {month} only to the month. Too many to draw one by one: the timeline "
                    "counts them per week. The source records no changes of territorial control, so the table lists "
                    "the {cap} deadliest events. The data report {fat} in the window (the source's counts, "
                    "not checked here).")
        extra = []
        if self.fr.n_background:
            extra.append("{n_bg} (before {start}) {bg_be} counted by month after the table.")
        if self.fr.n_other_countries:
            vals["n_oc"], vals["countries"] = words.count(self.fr.n_other_countries, "event"), ", ".join(w.countries)
            vals["oc_be"] = words.verb(self.fr.n_other_countries, "is", "are")
            extra.append("{n_oc} outside the selected countries ({countries}) {oc_be} left out.")
        extra.append("Events after the cut-off of **{as_of}** are not shown.")
        return render.markdown(text + "\n\n" + " ".join(extra), **vals)

    # ------------------------------------------------------------------ figure
    def _labelled(self) -> pd.DataFrame:
        """At most :data:`LABEL_CAP` changes to label, spread over time: the window is cut into
        equal bins per lane and each bin labels the change at its busiest place (most events in
        the window), one label per place."""
        ch = self.changes
        if ch.empty:
            return ch
        sh = self.fr.shown
        counts = sh["place_id"].astype(object).value_counts()
        pid_of = pd.Series(sh["place_id"].astype(object).to_numpy(), index=sh["event_id"].astype(object).to_numpy())
        busy = ch["event_id"].map(pid_of).map(counts).fillna(0).to_numpy()
        lanes = sorted(set(ch["lane"]))
        per_lane = max(1, LABEL_CAP // max(len(lanes), 1))
        start, end = pd.Timestamp(self.window.start), pd.Timestamp(self.window.end) + pd.Timedelta(days=1)
        frac = ((ch["date"] - start) / (end - start)).clip(0, 0.999).to_numpy()
        ranked = ch.assign(_busy=busy, _bin=(frac * per_lane).astype(int)).sort_values(
            ["_busy", "date", "event_id"], ascending=[False, True, True])
        ranked = ranked.drop_duplicates("place")  # one label per place: its busiest-first change
        pick = ranked.drop_duplicates(["lane", "_bin"])
        return pick.drop(columns=["_busy", "_bin"]).sort_values(["date", "event_id"])

    def figure(self):
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        figures.use_style()
        w, sh = self.window, self.fr.shown
        start, end = pd.Timestamp(w.start), pd.Timestamp(w.end)
        lanes = [k for k in ("SY", "IQ", "other") if (_lane_vec(sh["country"]) == k).any()] or ["SY", "IQ"]
        week = (sh["date"] - pd.to_timedelta(sh["date"].dt.day_of_week, unit="D")).dt.normalize()
        counts = pd.DataFrame({"week": week, "lane": _lane_vec(sh["country"])}).value_counts().rename("events")
        counts = counts.reset_index().sort_values(["lane", "week"])
        labelled = self._labelled()
        lab_ids = set(labelled["event_id"])
        fig, axes = plt.subplots(len(lanes), 1, figsize=(figures.TEXT_WIDTH_IN, 0.6 + 1.55 * len(lanes)),
                                 sharex=True, squeeze=False)
        fig.subplots_adjust(left=0.1, right=0.96, top=0.9, bottom=0.2, hspace=0.4)
        ch = self.changes
        for ax, lane in zip(axes[:, 0], lanes):
            c = counts[counts["lane"] == lane]
            ax.bar(c["week"] + pd.Timedelta(days=3.5), c["events"], width=6.2, color="#c9c9c9", lw=0, zorder=2)
            ymax = max(float(c["events"].max()) if len(c) else 1.0, 1.0)
            ax.set_ylim(0, ymax * 1.9)
            ax.set_ylabel(LANE_NAMES.get(lane, lane), fontsize=7.5)
            ax.yaxis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.grid(axis="y", color=figures.GRID, lw=0.5)
            ax.set_axisbelow(True)
            here = ch[ch["lane"] == lane]
            # territorial changes: one tick each in the band above the bars, by the taker's side
            band = ymax * 1.25
            for key, grp in here.groupby("side", sort=True):
                ax.scatter(grp["date"] + pd.Timedelta(hours=12), np.full(len(grp), band), marker="|", s=60,
                           color=figures.SIDE_COLOURS.get(key, figures.SIDE_COLOURS["other"]), lw=1.0, zorder=4)
            # labels: greedy rows by estimated width, at most LABEL_CAP in all
            rows_end: list[float] = []
            days_per_pt = (end - start).days / ((figures.TEXT_WIDTH_IN * 0.88) * 72)
            for r in labelled[labelled["lane"] == lane].itertuples(index=False):
                x = pd.Timestamp(r.date)
                width = pd.Timedelta(days=len(str(r.place)) * 6.3 * 0.55 * days_per_pt + 2)
                row = next((i for i, e in enumerate(rows_end) if x > e), len(rows_end))
                if row >= 2:
                    continue
                if row == len(rows_end):
                    rows_end.append(x + width)
                else:
                    rows_end[row] = x + width
                ax.annotate(str(r.place), (x, band), xytext=(1, 6 + 8 * row), textcoords="offset points",
                            fontsize=6.3, ha="left", va="bottom", color=figures.INK,
                            arrowprops=dict(arrowstyle="-", color=figures.MUTED, lw=0.4, shrinkA=0, shrinkB=0))
            ax.set_xlim(start, end + pd.Timedelta(days=1))
        axes[0, 0].set_title(f"{span_title(start, end)}: events per week (bars)"
                             + (" and territorial changes (ticks)" if self.ds.has_transfers else ""),
                             fontsize=8, loc="left")
        axes[-1, 0].xaxis.set_major_formatter(plt.matplotlib.dates.DateFormatter("%b %Y"))
        sides = [s for s in figures.SIDE_COLOURS if s in set(ch["side"])]
        handles = [Patch(fc="#c9c9c9", label="events per week (all types)")]
        handles += [Line2D([], [], ls="", marker="|", ms=8, mew=1.2, color=figures.SIDE_COLOURS[s],
                           label=f"place taken by {side(s, 'short')}") for s in sides]
        fig.legend(handles=handles, loc="lower left", ncol=3, fontsize=6.8, frameon=False,
                   bbox_to_anchor=(0.08, 0.0))
        more = len(ch) - len(lab_ids)
        data = pd.concat([
            counts.assign(kind="weekly count", date=counts["week"].dt.strftime("%Y-%m-%d"),
                          lane=counts["lane"].map(LANE_NAMES), place="", side="", labelled="")[
                ["kind", "date", "lane", "events", "place", "side", "labelled"]],
            pd.DataFrame({"kind": "territorial change", "date": ch["date"].dt.strftime("%Y-%m-%d"),
                          "lane": ch["lane"].map(LANE_NAMES), "events": 1, "place": ch["place"], "side": ch["side"],
                          "labelled": ch["event_id"].isin(lab_ids).map({True: "yes", False: "no"})}),
        ], ignore_index=True)
        caption = (f"Events between {day(start)} and {day(end)} (as of {day(w.as_of)}), by country: grey bars count "
                   f"the events per week; ticks mark the {len(ch):,} territorial changes, coloured by the side that "
                   f"took the place. {len(lab_ids)} are labelled (the busiest places)"
                   + (f"; {more:,} more are not labelled (all are in the figure's CSV)." if more > 0 else "."))
        if not self.ds.has_transfers:
            caption = (f"Events between {day(start)} and {day(end)} (as of {day(w.as_of)}), by country: grey bars "
                       "count the events per week. The source records no changes of territorial control.")
        return figures.save(fig, "fig2_timeline", data, self.figures_dir, caption=caption)

    # ------------------------------------------------------------------ table
    def table(self):
        if self.deadliest is not None:
            top = self.deadliest
            frame = table_frame(top)
            frame["Deaths"] = [f"{int(v):,}" for v in top["fatalities"]]
            frame["Sources"] = top["sources"].to_numpy()
            frame["What happened"] = [f"{t}: {textwrap.shorten(str(s), 140, placeholder=' …')}"
                                      for t, s in zip(top["event_type"], top["summary"])]
            return figures.table(frame, "fig2_chronology_table", self.figures_dir, data=table_csv(top),
                                 caption=f"The {len(top):,} deadliest events (the source's fatality counts), "
                                 "in date order", col_classes={"Date": "nowrap"}, multiline_cols=("Date",))
        ch = self.changes
        shown = ch.tail(TABLE_CAP)
        frame = table_frame(shown)
        frame["Sources"] = shown["sources"].to_numpy()
        frame["What happened"] = [f"{t}: {textwrap.shorten(str(s), 140, placeholder=' …')}"
                                  for t, s in zip(shown["event_type"], shown["summary"])]
        if len(ch) > TABLE_CAP:
            cap = (f"Territorial changes: the {TABLE_CAP} most recent of {len(ch):,} (every change is listed in "
                   "fig2_chronology_table.csv)")
        else:
            cap = f"Territorial changes ({len(ch):,})"
        return figures.table(frame, "fig2_chronology_table", self.figures_dir, data=table_csv(ch), caption=cap,
                             col_classes={"Date": "nowrap"}, multiline_cols=("Date",), row_attrs=map_links(shown))

    def date_rule(self):
        return render.markdown("*{rule}*", rule=EVENTS_DATE_RULE + " Other events are counted in the timeline, "
                               "not listed.")

    def background_table(self):
        return _background(self.fr, self.window, self.figures_dir)



#: The tables this view reads (the Makefile re-runs the notebook when one of them changes).
TABLES = ("sources", "places", "actors", "events", "control", "evidence")


ARTICLES_HEADING = ("## Chronology: event by event\n\nThe events the articles report, in date order, within the "
                    "chosen window. A date is shown only as precisely as the articles give it.")
EVENTS_HEADING = ("## Chronology: {region}, {start} to {end}\n\nThe events the data record, in date order, within the "
                  "chosen window. A date is shown only as precisely as the source gives it.")


def heading_text(ds: Dataset, window: Window) -> str:
    """The section's heading and lead: the articles' own for the curated data, else built from
    the data's region and the window (never the articles' story told over other data)."""
    if ds.has_quotes:
        return ARTICLES_HEADING
    return EVENTS_HEADING.format(region=render.esc(ds.region), start=day_long(window.start),
                                 end=day_long(window.end))


def prepare(ds: Dataset, p: P.Params, start="", end="", countries=""):
    view = _prepare(ds, p, start, end, countries)
    view.__dict__["_heading"] = heading_text(ds, view.window)
    return view


def _prepare(ds: Dataset, p: P.Params, start="", end="", countries=""):
    """The window (``start``/``end``/``countries`` checked against the data) and the events in
    it. Sources with publication dates: every event annotated one by one, its sources cut at
    ``as_of`` (:func:`select`). Otherwise a vectorised read of the events (any size); up to
    :data:`DETAIL_MAX` events in the window are drawn one by one, more are aggregated
    (:class:`AggregateChronology`)."""
    P.parse_date("start", start, allow_empty=True)
    P.parse_date("end", end, allow_empty=True)
    window = check_window(ds, as_of=p.as_of, start=start, end=end, countries=countries)
    if ds.has_publication_dates:
        return Chronology(select(ds, window), p.figures_dir)
    fr = frames(ds, window)
    if len(fr.shown) <= DETAIL_MAX:
        return _chronology_detail(ds, window, fr, p.figures_dir)
    return AggregateChronology(ds, window, fr, p.figures_dir)

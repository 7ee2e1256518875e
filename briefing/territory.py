"""Control state of the places in ``control.csv`` on any date, the key dates, and the
"shrinking" measures drawn by notebook 03.

Rules (all derived from the data; nothing about particular towns is hard-coded)
-------------------------------------------------------------------------------
* **State on a date** ``d``: for each place, the control period with ``start <= d < end``
  (an empty ``start`` means "before the period the articles cover", an empty ``end`` means
  "no end reported"). On the day a period ends its successor holds the place, so the state
  on the day Raqqa fell shows Raqqa taken. A place whose IS period ended with no successor
  period in the data (the articles do not say who took it) is shown as *lost by IS, taker
  not reported* (side ``other``).
* **Key dates** (the small multiples and the slider stops): the days on which an IS
  control period of a *main town* (``kind`` city or town) ended with day precision
  (``end_precision`` 1), up to ``as_of``, plus the day before the first of them ("before …")
  and ``as_of`` itself when the state on ``as_of`` differs from the last key date's. Changes
  known only to the month (Mosul in July, Hawija in October) are shown on every panel after
  their recorded date but do not make a panel of their own.
* **Quotes** shown for a place on a date come from sources published on or before that
  date when there are any, else the earliest source published on or before ``as_of``; a
  briefing as of a date never quotes a later article.
* **Places reported as held, and places no longer reported** (the "shrinking" series): on each
  day, the IS-held places (:func:`briefing.model.state_on`: a period no article closes counts
  as held up to its latest report) and, apart, the places whose latest report still had IS
  holding them but which no later article mentions (``status_kind`` "last-reported"): their
  status is unknown, so they are neither held nor lost. The sum of the two falls only on a day
  an article reports a loss. No area is computed: the articles give no boundaries.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import figures, paths, render, words
from . import params as P
from .errors import ParameterError
from .figures import EQUAL_AREA
from .model import TOWN_KINDS, Dataset, attribution_phrase, control_table, state_on
from .words import IS_SIDE, PRECISION_KIND, as_written, at_precision as long_date, day as day_text, side as side_name
MAIN_KINDS = TOWN_KINDS  # the "main towns" of the maps and the counts
#: radius of the zone (hatched circle) drawn around a place by ``geo_precision`` (1 town: none,
#: 2 near/part of a town, 3 region): it shows location uncertainty, not extent.
ZONE_RADIUS_KM = {1: 0.0, 2: 12.0, 3: 30.0}
PRECISION_TEXT = {1: "exact day", 2: "approximate: within about a week", 3: "approximate: month or year only"}


EXTENT_TEXT = {"full": "", "partial": " (partial control)", "presence": " (a presence only)", "contested": " (contested)"}


@dataclass(frozen=True)
class KeyDate:
    date: dt.date
    label: str  # e.g. "17 Oct 2017: Raqqa taken (Syrian Democratic Forces)"
    short: str  # e.g. "After Raqqa"
    title: str = ""  # panel title, e.g. "17 Oct 2017: Raqqa taken"


# --------------------------------------------------------------------------- inputs
def _date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.replace("", pd.NA), errors="coerce")


def _published(ds) -> dict[str, pd.Timestamp]:
    s = ds.sources
    return dict(zip(s["source_id"], _date(s["published"].astype("object"))))


def evidence_index(ds) -> dict[str, list[tuple[pd.Timestamp, int, str, str]]]:
    """record_id → [(published, row order, source_id, quote)] sorted by publication."""
    pub = _published(ds)
    ev = ds.evidence
    out: dict[str, list] = {}
    for i, (rid, sid, quote) in enumerate(zip(ev["record_id"], ev["source_id"], ev["quote"])):
        out.setdefault(rid, []).append((pub.get(sid, pd.NaT), i, sid, quote))
    for rows in out.values():
        rows.sort(key=lambda r: (r[0], r[1]))
    return out


def pick_quote(evidence: list, on: pd.Timestamp, as_of: pd.Timestamp, latest: bool = False):
    """(source_id, quote) for a record shown on ``on``: the earliest (``latest``: the most
    recent) source published on/before ``on``, else the earliest published on/before
    ``as_of``; None if none."""
    known = [r for r in evidence if pd.notna(r[0]) and r[0] <= as_of]
    before = [r for r in known if r[0] <= on]
    chosen = (before[-1] if latest else before[0]) if before else (known[0] if known else None)
    return (chosen[2], chosen[3], chosen[1]) if chosen else None


# --------------------------------------------------------------------------- key dates
def key_dates(table: pd.DataFrame, as_of) -> list[KeyDate]:
    """Small-multiple dates: see the module rules."""
    as_of = pd.Timestamp(as_of)
    ends = table[(table["side"] == IS_SIDE) & table["kind"].isin(MAIN_KINDS) & table["end"].notna()
                 & (table["end_precision"] == 1) & (table["end"] <= as_of)]
    days = sorted(ends["end"].unique())
    out: list[KeyDate] = []
    if not days:
        return [KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                        f"{long_date(as_of)}: as of this date")]
    first = ends[ends["end"] == days[0]]
    before = pd.Timestamp(days[0]) - pd.Timedelta(days=1)
    out.append(KeyDate(before.date(), f"{long_date(before)}: before {_names(first)} fell",
                       f"Before {_names(first)}", f"{long_date(before)}: before {_names(first)} fell"))
    for day in days:
        lost = ends[ends["end"] == day].sort_values("place_id")
        takers = table[(table["start"] == day) & table["place_id"].isin(lost["place_id"])]
        by = "; ".join(sorted(set(takers["controller_name"].dropna())))
        out.append(KeyDate(pd.Timestamp(day).date(),
                           f"{long_date(day)}: {_names(lost)} taken" + (f" ({by})" if by else ""),
                           f"After {_names(lost)}", f"{long_date(day)}: {_names(lost)} taken"))
    last = pd.Timestamp(out[-1].date)
    if as_of > last and not _same_state(state_on(table, last), state_on(table, as_of)):
        out.append(KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                           f"{long_date(as_of)}: as of this date"))
    return out


def _names(rows: pd.DataFrame) -> str:
    names = list(dict.fromkeys(rows.sort_values("place_id")["name"]))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _same_state(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["place_id", "side", "status_kind"]
    return a[cols].reset_index(drop=True).equals(b[cols].reset_index(drop=True))


def parse_key_dates(text: str, table: pd.DataFrame, as_of) -> list[KeyDate]:
    """The ``key_dates`` parameter: "" = derived; else comma-separated YYYY-MM-DD."""
    from .params import parse_date

    if not str(text or "").strip():
        return key_dates(table, as_of)
    out = []
    for part in str(text).split(","):
        d = parse_date("key_dates", part.strip())
        if pd.Timestamp(d) > pd.Timestamp(as_of):
            raise ParameterError("key_dates", f"{d.isoformat()} is after as_of {pd.Timestamp(as_of).date().isoformat()}")
        out.append(KeyDate(d, f"{long_date(d)}: state on this date", long_date(d), long_date(d)))
    if len(out) > 6:
        raise ParameterError("key_dates", f"{len(out)} dates given; at most 6 fit the page")
    return sorted(set(out), key=lambda k: k.date)


# --------------------------------------------------------------------------- per-date rows for the maps
def status_text(rec: dict, on: pd.Timestamp, last_reported: pd.Timestamp | None) -> str:
    if rec["status_kind"] == "lost-unknown":
        return f"Lost by IS in {long_date(rec['start'], rec.get('start_precision'))} (taker not reported)"
    who = rec.get("controller_name") or rec.get("controller")
    extent_note = EXTENT_TEXT.get(rec.get("extent"), "") if isinstance(rec.get("extent"), str) else ""
    if rec["status_kind"] == "last-reported":  # the one rule: model.state_on
        src = rec.get("last_source")
        return (f"Last reported {long_date(rec['last_reported'])}" + (f" ({src})" if isinstance(src, str) else "")
                + f": held by {who}{extent_note}; no later report")
    if rec["side"] == IS_SIDE:
        text = f"Held by {who}{extent_note}"
        if last_reported is not None and pd.notna(last_reported) and last_reported < on:
            text += f"; last reported {long_date(last_reported)}, end not reported"
        return text
    since = f" since {long_date(rec['start'], rec.get('start_precision'))}" if pd.notna(rec.get("start")) else ""
    return f"Held by {who}{extent_note}{since}"


def place_states(ds, table: pd.DataFrame, dates: list, as_of) -> pd.DataFrame:
    """Rows (step, place) with everything the maps draw and the popups say."""
    return place_states_for(ds, table, [dates], as_of)[0]


def place_states_for(ds, table: pd.DataFrame, date_lists: list[list], as_of) -> list[pd.DataFrame]:
    """:func:`place_states` for each list of dates (the print panels, the web map's steps), each
    date's places worked out once: the lists share most of their dates."""
    as_of = pd.Timestamp(as_of)
    evid = evidence_index(ds)
    events = ds.events.set_index("event_id")
    srcs = ds.sources.set_index("source_id")
    per_date: dict[pd.Timestamp, list[dict]] = {}
    for on in dict.fromkeys(pd.Timestamp(d) for dates in date_lists for d in dates):
        per_date[on] = _date_rows(ds, table, on, as_of, evid, events, srcs)
    out = []
    for dates in date_lists:
        frame = pd.DataFrame([{"step": step, **row} for step, date in enumerate(dates)
                              for row in per_date[pd.Timestamp(date)]])
        frame["force"] = frame.apply(lambda r: force_key(r), axis=1)
        out.append(frame)
    return out


def _date_rows(ds, table: pd.DataFrame, on: pd.Timestamp, as_of: pd.Timestamp, evid, events, srcs) -> list[dict]:
    """One date's rows of :func:`place_states` (without the step)."""
    rows = []
    for rec in state_on(table, on).to_dict("records"):
        rid = rec["control_id"]
        known = [r for r in evid.get(rid, []) if pd.notna(r[0]) and r[0] <= as_of]
        last = known[-1][0] if known else None
        quote = pick_quote(evid.get(rid, []), on, as_of, latest=rec["side"] == IS_SIDE)
        ev_id = rec.get("event_id")
        event = event_date = precision = ""
        if isinstance(ev_id, str) and ev_id in events.index and (pd.isna(rec.get("start")) or rec["start"] <= on):
            e = events.loc[ev_id]
            ev_day = pd.Timestamp(e["date"])
            if ev_day <= on:
                event = str(e["summary"])
                p = int(pd.to_numeric(e["time_precision"]))
                event_date = as_written(ev_day, p)  # "17 Oct 2017", "week of 30 Oct 2017", "Oct 2017"
                precision = PRECISION_KIND.get(p, "month")
        source = ""
        if quote:
            sid = quote[0]
            s = srcs.loc[sid]
            source = f"{sid}: \u201c{s['headline']}\u201d ({day_text(s['published'])})"
            if "asserted_by" in ds.evidence.columns:  # who says so, in this quote
                e = ds.evidence.iloc[quote[2]]
                source = f"{source}; {attribution_phrase(e['asserted_by'], e['verb'], sid)}"
        gp = int(rec["geo_precision"])
        rows.append({
            "date": on.date().isoformat(), "place_id": rec["place_id"], "name": rec["name"],
            "kind": rec["kind"], "lat": rec["lat"], "lon": rec["lon"], "geo_precision": gp,
            "zone_km": ZONE_RADIUS_KM.get(gp, 0.0), "controller": rec.get("controller"),
            "controller_name": rec.get("controller_name"), "side": rec["side"],
            "is_held": bool(rec["is_held"]), "extent": rec.get("extent"),
            "status": status_text(rec, on, last), "status_kind": rec["status_kind"],
            "event": event, "event_date": event_date,
            "precision": precision, "quote": quote[1] if quote else "", "source": source,
            "control_id": rid,
        })
    return rows


def force_key(row) -> str:
    """The web map's layer for a row: places past their last report, IS (and affiliates), else
    the controller's side."""
    if row.get("status_kind") == "last-reported":
        return "last-reported"
    if row["side"] == IS_SIDE:
        return IS_SIDE
    if pd.isna(row.get("controller")):
        return "unknown"
    return str(row["side"])


def force_labels(states: pd.DataFrame, ds) -> dict[str, str]:
    """Layer-control labels: "Held by IS", "Taken by <side> (<controllers>)" in a fixed order."""
    from .figures import SIDE_COLOURS

    order = list(SIDE_COLOURS) + ["unknown", "last-reported"]
    labels = {}
    for key in sorted(set(states["force"]), key=lambda k: (order.index(k) if k in order else 99, k)):
        if key == IS_SIDE:
            labels[key] = "Held by IS and its affiliate"
        elif key == "unknown":
            labels[key] = "Lost by IS, taker not reported"
        elif key == "last-reported":
            labels[key] = "Ring: held so when last reported (colour as above), no later report"
        else:
            names = sorted(set(states.loc[states["force"] == key, "controller_name"].dropna()))
            labels[key] = f"Held by {side_name(key)} ({', '.join(names)})"
    return labels


# --------------------------------------------------------------------------- shrinking
def _state_changes(table: pd.DataFrame) -> pd.Series:
    """Every day on which :func:`briefing.model.state_on` can change: a period's start or end, and
    the day after a period's last supporting report (from then on it is "last-reported", not held)."""
    parts = [table["start"], table["end"]]
    if "last_reported" in table.columns:
        parts.append(pd.to_datetime(table["last_reported"]) + pd.Timedelta(days=1))
    return pd.concat(parts).dropna()


def _drops_unreported(series: pd.DataFrame) -> bool:
    """Whether a town leaves the held towns because no later article reports it (the chart then
    names it "no later report", and the caption says what that means)."""
    prev = None
    for held, stale in zip(series["is_held_town_names"], series["last_reported_town_names"]):
        names = set(filter(None, str(held).split("; ")))
        if prev is not None and (prev - names) & set(filter(None, str(stale).split("; "))):
            return True
        prev = names
    return False


def shrinking(table: pd.DataFrame, start, end) -> pd.DataFrame:
    """Daily series from ``start`` to ``end``, counts only (the articles give no areas):

    * ``is_held_towns`` / ``is_held_places``: main towns / all places reported as IS-held that
      day (:func:`briefing.model.state_on`, ``is_held``), with the towns' names; of the towns,
      ``is_partly_held_towns`` are held short of full control (``extent`` partial, contested or a
      presence only: :data:`briefing.figures.PART_EXTENTS`), named in ``partly_held_town_names``;
    * ``no_longer_reported_places``: places whose latest report still had IS (or its affiliate)
      holding them, past that report and with no reported end (``status_kind`` "last-reported"):
      status unknown, drawn as a band of their own, never as a loss; their names, and the towns
      among them (``last_reported_town_names``: the chart says "no later report", not "lost").

    ``is_held_places + no_longer_reported_places`` falls only on a day a period ends, i.e. a day
    an article reports a loss."""
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    # The state only changes where a control period starts or ends (half-open intervals) or turns
    # "last-reported", so it is computed once per such boundary and carried forward day by day.
    bounds = _state_changes(table)
    changes = sorted({days[0], *bounds[(bounds > days[0]) & (bounds <= days[-1])]})
    per_change = {}
    for day in changes:
        st = state_on(table, day)
        held = st[st["is_held"]]
        towns = held[held["kind"].isin(MAIN_KINDS)]
        # still IS-held when last reported, no later report: status unknown, not "lost"
        stale = (st[(st["status_kind"] == "last-reported") & st["side"].eq(IS_SIDE)].sort_values("name")
                 if "status_kind" in st else st.iloc[0:0])
        part = towns.loc[np.array([figures.is_part(r) for r in towns[["extent", "status_kind"]].to_dict("records")],
                                  dtype=bool)] if "extent" in towns else towns.iloc[0:0]
        per_change[day] = {"is_held_towns": len(towns), "is_partly_held_towns": len(part),
                           "is_held_places": len(held),
                           "no_longer_reported_places": len(stale),
                           "is_held_town_names": "; ".join(towns["name"]),
                           "partly_held_town_names": "; ".join(part["name"]),
                           "no_longer_reported_names": "; ".join(stale["name"]),
                           "last_reported_town_names": "; ".join(stale.loc[stale["kind"].isin(MAIN_KINDS), "name"])}
    rows, current = [], None
    for day in days:
        current = per_change.get(day, current)
        rows.append({"date": day.date().isoformat(), **current})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- one call for the notebook
@dataclass
class Territory:
    """Everything notebook 03 draws, for one ``as_of``."""

    as_of: dt.date
    table: pd.DataFrame
    panels: list
    panel_states: pd.DataFrame
    web_steps: list
    web_states: pd.DataFrame
    series: pd.DataFrame

    @property
    def final(self) -> pd.DataFrame:
        return self.panel_states[self.panel_states["step"] == len(self.panels) - 1]


def detail(ds, table: pd.DataFrame, as_of, key_dates_param: str = "") -> Territory:
    """Control table, panels (key dates), per-date place states and the shrinking series."""
    as_of_ts = pd.Timestamp(as_of)
    derived = key_dates(table, as_of_ts)
    panels = parse_key_dates(key_dates_param, table, as_of_ts) if str(key_dates_param or "").strip() else derived
    # Slider: the key dates, plus as_of when it is later than the last one.
    web_dates = [k.date for k in derived]
    if web_dates[-1] < as_of_ts.date():
        web_dates.append(as_of_ts.date())
    # the panels' dates are (by default) the slider's first ones: each date's places worked out once
    panel_states, web_states = place_states_for(ds, table, [[k.date for k in panels], web_dates], as_of_ts)
    by_date = {k.date: k for k in derived}
    web_steps = []
    for d in web_dates:
        k = by_date.get(d)
        note = k.label.split(": ", 1)[1] if k else "state as of this date"
        web_steps.append({"date": d.isoformat(), "label": long_date(d), "note": note})
    start = pd.Timestamp(panels[0].date) - pd.Timedelta(days=7)
    series = shrinking(table, start, as_of_ts)
    return Territory(as_of_ts.date(), table, panels, panel_states, web_steps, web_states, series)


# --------------------------------------------------------------------------- the view (notebook 03)
#: The tables this view reads (plus the basemap); the Makefile re-runs the notebook when one changes.
TABLES = ("sources", "places", "actors", "events", "control", "evidence", "geocoded", "basemap")
DETAIL_PLACES = 80  # up to this many places with recorded control: key dates, zones, quotes per place
LABEL_CAP = 12
WEB_MAX_PLACES = 120
NO_CONTROL = ("The source records no changes of control, so nothing here says who held which place: the map "
              "below shows where the events were, by type, and the chart of places held is left out rather than "
              "drawn empty.")

#: The section's headings and leads: the articles' own for the curated data; for coded events with
#: changes of control, neutral ones; without changes of control, "where the events were" only.
HEADINGS = {
    "section": ('## Territory: the shrinking "caliphate"', "## Territory: changes of control",
                "## Territory: where the events were"),
    "shrinking": (
        "### How fast it shrank\n\nThe articles give no front lines or areas, so the chart counts places: the main "
        "towns, and every place\nthe articles report as IS-held.",
        "### Places held over time", ""),
    "key dates": (
        "### Control on the key dates\n\nOne map for each day on which a main town changed hands, as the data "
        "record it.",
        "### Control on key dates\n\nOne map for each key date, with the places whose control the data record.",
        "### Events by place and type"),
    "web map": (
        "### Interactive map\n\nThe map opens on the places that changed hands. Move the slider, or press \u25b6 Play, "
        "to step through the dates; the\nlayer list switches forces on and off. Click a place for the event, its date, "
        "a verbatim quote and its source;\nclick a row of the chronology table above to see its place and date here. "
        "The map works offline: borders and\nrivers are drawn from the briefing's own data; the OpenStreetMap tiles "
        "in the layer list are optional and need a\nnetwork.",
        "### Interactive map\n\nMove the slider, or press \u25b6 Play, to step through the dates; the layer list "
        "switches forces on and off. Click a place for its change of control and the source's notes; click a row of "
        "the chronology table to see its place and date here. The map works offline.",
        ""),
}


#: Added to the shrinking chart's lead when the chart draws the "no longer reported" band.
SHRINK_BAND_LEAD = (" A place counts as held up to its latest report; when no later article mentions it, it "
                    "moves to a band of its own, \u201cno longer reported\u201d: status unknown, not lost.")


@dataclass
class TerritoryView:
    """Everything notebook 03 shows for one ``as_of``: one method per output cell.

    ``mode`` follows the data: ``"none"`` (no control recorded: each output says so),
    ``"detail"`` (up to :data:`DETAIL_PLACES` places: key dates, zones by geographic precision,
    a quote per place in the web map) or ``"places"`` (more: places drawn as
    points, places held per side, panels spread over the period, at most
    :data:`WEB_MAX_PLACES` places on the web map)."""

    ds: Dataset
    p: P.Params
    layers: dict
    table: pd.DataFrame
    mode: str
    detail: Territory | None = None
    panels: list | None = None
    series: pd.DataFrame | None = None

    @property
    def as_of(self) -> dt.date:
        return self.p.as_of

    # ------------------------------------------------------------------ outputs
    def heading(self, key: str = "section"):
        """A heading and lead (:data:`HEADINGS`), chosen by what the dataset offers."""
        kind = 0 if self.ds.has_quotes else (1 if self.mode != "none" else 2)
        text = HEADINGS[key][kind]
        if key == "shrinking" and text and self.mode == "detail" and self.detail.series["no_longer_reported_places"].any():
            text += SHRINK_BAND_LEAD
        return render.heading(text)

    def narrative(self):
        """A short Markdown paragraph computed from the data (values escaped by render.markdown)."""
        if self.mode == "none":
            return render.markdown(NO_CONTROL)
        if self.mode == "places":
            return self._places_narrative()
        t = self.detail
        s = t.series
        final = s.iloc[-1]
        first = s[s["date"] == t.panels[0].date.isoformat()].iloc[0] if t.panels[0].date.isoformat() in set(s["date"]) else s.iloc[0]
        held = t.final[t.final["is_held"]]
        towns = held[held["kind"].isin(MAIN_KINDS)]
        holdouts = held[~held["kind"].isin(MAIN_KINDS)].sort_values("name")
        # held short of full control (partly held, contested, a presence only) is worded apart
        first_towns = [n for n in str(first["partly_held_town_names"]).split("; ") if n]

        def marked(rows) -> list[str]:
            return [f"{n} ({figures.PART_WORDS[x]})" if figures.is_part({"extent": x}) else str(n)
                    for n, x in zip(rows["name"], rows["extent"])]
        changes = [k.label for k in t.panels[1:] if "taken" in k.label]
        n_stale = int(holdouts["status"].str.contains("last reported").sum())
        # past their last report, still IS-held then, no end reported: status unknown (the chart's hatched band)
        now = state_on(t.table, pd.Timestamp(t.as_of))
        unreported = now[now["status_kind"].eq("last-reported") & now["side"].eq(IS_SIDE)].sort_values(
            ["last_reported", "name"])
        # counts in words (words.of_the / count / verb): "none of the 5 main towns", "1 place", "1 of them was"
        template = (
            "On **{as_of}**, the data show IS {holding} **{held}** it held{or_partly} on {start}{towns_left}."
            "{first_split} {changes_text}\n\n"
            + ("Beyond the towns, {who} still report {is_held_by} in **{n_holdouts}**: {holdouts}. "
               "{stale}Their boundaries are never given, so the maps draw them as zones around the point the geocoder "
               "assigns (see the figure captions)." if len(holdouts) else
               "Beyond the towns, {who} report IS in no other place.")
            + ("\n\nAnother **{n_unreported}** {was_were} last reported as held by {is_unreported_by} before that "
               "date, and no later article mentions {them}, so {who} do not say who held {them} on {as_of} (the "
               "chart below counts {them} apart, as \u201cno longer reported\u201d, not as losses): {unreported}."
               if len(unreported) else "")
        )
        by_report = []
        for day, g in unreported.groupby("last_reported", sort=True):
            srcs = list(dict.fromkeys(g["last_source"].astype(str)))
            if len(srcs) == 1:
                by_report.append(f"on {long_date(day)} ({srcs[0]}), " + words.names(list(g["name"])))
            else:
                by_report.append(f"on {long_date(day)}, " + words.names([f"{n} ({src})" for n, src in
                                                                      zip(g["name"], g["last_source"])]))
        return render.markdown(
            template, who="the articles" if self.ds.has_quotes else "the data",
            as_of=long_date(t.as_of), start=long_date(first["date"]),
            holding="no longer holding" if (int(final["is_held_towns"]), int(first["is_held_towns"])) == (0, 1) else "holding",
            held=("the one main town" if (int(final["is_held_towns"]), int(first["is_held_towns"])) == (0, 1)
                  else words.of_the(int(final["is_held_towns"]), int(first["is_held_towns"]), "main town")),
            towns_left=(": " + ", ".join(marked(towns))) if len(towns) else "",
            or_partly=" or partly held" if first_towns else "",
            first_split=(f" On {long_date(first['date'])}, {words.names(first_towns)} "
                         f"{words.verb(len(first_towns), 'was', 'were')} only partly held ("
                         f"{words.count(int(first['is_held_towns']) - len(first_towns), 'main town')} held, "
                         f"{len(first_towns)} partly held)." if first_towns else ""),
            changes_text=("Changes of control on the key dates: " + "; ".join(changes) + ".") if changes else "",
            n_holdouts=words.count(len(holdouts), "place"), holdouts=", ".join(marked(holdouts)),
            stale=(f"{n_stale} of them {words.verb(n_stale, 'was', 'were')} last reported before that date and "
                   f"no end is reported. " if n_stale else ""),
            n_unreported=words.count(len(unreported), "place"), was_were=words.verb(len(unreported), "was", "were"),
            them="it" if len(unreported) == 1 else "them", unreported="; ".join(by_report),
            is_held_by=_is_or_affiliate(t.table, holdouts), is_unreported_by=_is_or_affiliate(t.table, unreported),
        )


    def figure_shrinking(self):
        if self.mode == "none":
            return _nothing()
        if self.mode == "places":
            return self._places_shrinking()
        from . import maps

        t = self.detail
        fig = maps.shrinking_chart(t.series, t.panels)
        stale = _drops_unreported(t.series)
        unreported = bool(t.series["no_longer_reported_places"].any())
        caption = (
            "Main towns (solid; each named on the day of its reported loss"
            + (", or \u201cno longer reported\u201d when it only leaves the reports" if stale else "")
            + ") and all places (dashed; grey between the lines: places other than towns) that the articles report "
            "as IS-held, day by day; counts, not area."
            + (" Hatched: places no article mentions after a report that had IS holding them: status unknown, not "
               "lost (the band\u2019s top falls only on a reported loss)." if unreported else "")
        )
        return figures.save(fig, "fig3_shrinking", t.series, self.p.figures_dir, caption=caption)


    def figure_small_multiples(self):
        if self.mode == "none":
            return self._events_map()
        if self.mode == "places":
            return self._places_small_multiples()
        from . import maps

        t = self.detail
        fig, data, _dropped = maps.small_multiples(t.panel_states, t.panels, self.layers)
        caption = (
            f"Colours: who held each place on the panel's date (up to {long_date(t.as_of)}). Dots: places located to the town itself; hatched numbered circles: places "
            "known only to lie near a town or within a region, drawn at that point with a fixed radius (12 or 30 km) "
            "that shows location uncertainty, not extent."
            + (" A ring (or a dotted circle) marks a place whose last report is older than the panel's date: the "
               "colour is who held it then; nothing later is known." if (t.panel_states.get("force") == "last-reported").any()
               else "")
            + (" Half-filled dots (and sparser hatching): places the articles call partly held, contested or held as a "
               "presence only." if any(figures.is_part(r) for r in
                                       t.panel_states[["extent", "status_kind", "force"]].to_dict("records")) else "")
            + " Rivers are schematic (straight segments between riverside "
            "towns). Dashed grey lines: governorate boundaries, with the border area's governorates named in "
            "italic capitals. Borders and governorates: Natural Earth; places: GeoNames. Equal-area projection."
            + (" Where places crowd together, an inset enlarges them (the grey frame on each panel shows where); "
               "grey squares mark capitals for orientation." if data["in_inset"].any() else "")
        )
        return figures.save(fig, "fig3_territory_small_multiples", data, self.p.figures_dir, caption=caption,
                            print_format="png")


    def web_map(self):
        """The interactive map as an iframe display object (HTML briefing only)."""
        if self.mode == "none":
            return _nothing()
        if self.mode == "places":
            return self._places_web_map()
        import html as _html

        from . import maps, webmap

        t = self.detail
        states = t.web_states
        labels = force_labels(states, self.ds)
        sides = {k: k for k in labels}
        initial = len(t.web_steps) - 1
        bounds = [[float(states["lat"].min()) - 0.4, float(states["lon"].min()) - 0.4],
                  [float(states["lat"].max()) + 0.4, float(states["lon"].max()) + 0.4]]
        frame = web_frame(states)
        numbers = maps.zone_numbers(t.panel_states)
        for pid in maps.zone_numbers(states):  # a zone only the slider shows gets the next number
            numbers.setdefault(pid, len(numbers) + 1)
        names = states.drop_duplicates("place_id").set_index("place_id")["name"]
        zones = {n: str(names[pid]) for pid, n in sorted(numbers.items(), key=lambda kv: kv[1]) if pid in names}
        named = self._admin1_named()
        doc = webmap.build_map(states, t.web_steps, self.layers, initial=initial, force_labels=labels,
                               force_sides=sides, bounds=bounds, frame=frame, zone_numbers=numbers,
                               places=self._place_index(), admin1_named=named)
        caption = ("Control of the places named in the articles, on the date the slider shows (▶ Play steps "
                   "through the key dates; Fit frames the places again). The map opens on the places that changed "
                   "hands; zoom out for the rest. Click a place for the event, its date, a quote and its source; "
                   "click a row of the chronology table to show its place and date here. Rivers are schematic.")
        legend = webmap.legend_html(
            labels, sides, zones=zones,
            rivers="River, schematic course (straight lines between riverside towns)",
            governorates=("Governorate boundary" + (" (the border area's governorates named in capitals)" if named else ""))
            if "admin1_boundaries" in self.layers else "",
            capitals="Capital, for orientation (not a place of the data)" if "cities" in self.layers else "",
            part=("Half-filled dot, or sparser hatching for a zone: partly held, contested or a presence only "
                  "(colour: the holder)") if any(figures.is_part(r) for r in
                                                 states[["extent", "status_kind", "force"]].to_dict("records")) else "",
            caption=_html.escape(caption))
        plain = (f"<WebMap: {len(t.web_steps)} dates {t.web_steps[0]['date']}..{t.web_steps[-1]['date']}, "
                 f"{states['place_id'].nunique()} places, {len(doc)} characters>")
        return webmap.embed(doc, f"Interactive map of control, as of {_html.escape(long_date(t.as_of))}", plain,
                            legend)


    def _admin1_named(self) -> list[str]:
        """The governorates the print maps name (the cluster's: Deir ez-Zor and Anbar here), for the web map."""
        import geopandas as gpd

        from . import maps

        if "admin1" not in self.layers:
            return []
        st = self.detail.panel_states
        xy = gpd.GeoSeries(gpd.points_from_xy(st["lon"], st["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        return maps.named_admin1({"admin1": self.layers["admin1"].to_crs(EQUAL_AREA)},
                                 st.assign(x=xy.x.to_numpy(), y=xy.y.to_numpy()), maps._cluster(st))

    def _place_index(self) -> dict:
        """place_id → (lat, lon) of every geocoded place, for the chronology's "show on map"."""
        g = getattr(self.ds, "geocoded", None)
        if g is None or not len(g):
            return {}
        g = g.assign(lat=pd.to_numeric(g["lat"], errors="coerce"), lon=pd.to_numeric(g["lon"], errors="coerce"))
        g = g.dropna(subset=["lat", "lon"])
        return {str(pid): (float(la), float(lo)) for pid, la, lo in zip(g["place_id"], g["lat"], g["lon"])}

    # ------------------------------------------------------------------ many places
    def _places_narrative(self):
        t = self.table
        now = state_on(t, self.as_of)
        by_side = now["side"].value_counts()
        changes = t[t["start"].notna() & (t["start"] <= pd.Timestamp(self.as_of))]
        held = "; ".join(f"{side_name(s, 'text')} {int(n):,}" for s, n in by_side.items()) or "none"
        text = ("The data record **{n_changes} changes of control** at **{n_places} places** up to {as_of}. "
                "On {as_of} the latest transfer at each of them gives: {held}. "
                "The source records who took a place, not an area, so the maps draw places, not territory.")
        return render.markdown(text, n_changes=f"{len(changes):,}", n_places=f"{t['place_id'].nunique():,}",
                               as_of=long_date(self.as_of), held=held)


    def _places_shrinking(self):
        import matplotlib.pyplot as plt

        figures.use_style()
        s = self.series
        d = pd.to_datetime(s["date"])
        fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, 2.4), constrained_layout=True)
        for key in [c for c in s.columns if c != "date"]:
            ax.step(d, s[key], where="post", lw=1.4 if key == IS_SIDE else 1.0,
                    color=figures.SIDE_COLOURS.get(key, figures.SIDE_COLOURS["other"]),
                    label={"islamic-state": "held by IS"}.get(key, f"held by {key.replace('-', ' ')}"))
        ax.set_ylabel("places")
        ax.set_title("Places held by each side (latest transfer before each day)", fontsize=8)
        ax.grid(axis="y", color=figures.GRID, lw=0.5)
        ax.legend(fontsize=6.5, ncol=3, loc="upper left")
        ax.yaxis.set_major_locator(plt.matplotlib.ticker.MaxNLocator(integer=True))
        caption = ("Number of places whose latest change of control gave them to each side, per day. Only places "
                   "with a recorded transfer are counted; the source gives no areas, so this is not territory.")
        return figures.save(fig, "fig3_shrinking", s, self.p.figures_dir, caption=caption)


    def _places_small_multiples(self):
        import geopandas as gpd
        from matplotlib.lines import Line2D

        from . import maps

        figures.use_style()
        t = self.table
        pts_all = t.drop_duplicates("place_id")[["place_id", "lat", "lon"]]
        n = len(self.panels)
        grid = maps.Grid(n)
        fig = grid.figure()
        proj = maps._project_layers(self.layers)
        bounds = maps.extent(pts_all, maps.Grid.ASPECT)
        pxy = gpd.GeoSeries(gpd.points_from_xy(pts_all["lon"], pts_all["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        named = maps.named_admin1(proj, pts_all.assign(x=pxy.x.to_numpy(), y=pxy.y.to_numpy()), [])
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        rows = []
        sides_seen = set()
        ms = 9 if len(pts_all) <= 60 else 4 if len(pts_all) <= 600 else 1.5
        for i, panel in enumerate(self.panels):
            ax = grid.map_axes(fig, i, proj, bounds)
            ax.set_title(panel.title or panel.label, fontsize=7.5, loc="left", pad=3)
            st = state_on(t, panel.date)
            xy = gpd.GeoSeries(gpd.points_from_xy(st["lon"], st["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
            st = st.assign(x=xy.x.to_numpy(), y=xy.y.to_numpy())
            for side in [s for s in figures.SIDE_COLOURS if s in set(st["side"])]:
                g = st[st["side"] == side]
                sides_seen.add(side)
                ax.scatter(g["x"], g["y"], s=ms, c=figures.SIDE_COLOURS[side], edgecolors="white",
                           linewidths=0.3 if ms > 3 else 0, zorder=10 if side == IS_SIDE else 8)
            ax.apply_aspect()
            held = st[st["is_held"]].sort_values("name").head(6)
            items = [{"x": x, "y": y, "text": str(nm), "weight": "bold", "size": 6}
                     for x, y, nm in zip(held["x"], held["y"], held["name"])]
            items += maps._admin1_labels(proj, bounds, named, [])
            items += maps._country_labels(ax, proj, bounds)
            maps.place_labels(ax, items, [], renderer)
            rows.append(st.assign(panel=panel.label)[["panel", "place_id", "name", "lat", "lon", "controller",
                                                      "controller_name", "side", "start", "control_id"]])
        lax = grid.legend_axes(fig, inset=0.13)
        lax.axis("off")
        handles = [Line2D([], [], marker="o", ls="none", mfc=figures.SIDE_COLOURS[s], mec="white", ms=5,
                          label="Held by IS" if s == IS_SIDE else f"Held by {side_name(s)}")
                   for s in figures.SIDE_COLOURS if s in sides_seen]
        if named:
            handles.append(Line2D([], [], color=maps.ADMIN1_LINE, lw=0.6, ls=maps.ADMIN1_DASH,
                                  label="Governorate boundary (the two with most places named)"))
        lax.legend(handles=handles, loc="upper left", fontsize=6.3, frameon=False)
        data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        if len(data):
            data["start"] = data["start"].dt.strftime("%Y-%m-%d")
        caption = (f"Control of the {len(pts_all):,} places with a recorded change of control, on each panel date "
                   f"(up to {day_text(self.as_of)}): the holder after the latest recorded transfer before that day, at the source's "
                   "coordinates. Labels: up to six IS-held places per panel. Borders: Natural Earth"
                   + ("; dashed: governorate boundaries (Natural Earth)." if named else "."))
        return figures.save(fig, "fig3_territory_small_multiples", data, self.p.figures_dir, caption=caption,
                            print_format="png")


    def _places_web_map(self):
        import html as _html

        from . import webmap

        t = self.table
        busy = t.groupby("place_id").size().rename("n").reset_index().sort_values(["n", "place_id"],
                                                                                  ascending=[False, True])
        keep = set(busy.head(WEB_MAX_PLACES)["place_id"])
        steps, frames_ = [], []
        for i, k in enumerate(self.panels):
            st = state_on(t[t["place_id"].isin(keep)], k.date)
            since = st["start"].map(lambda s: f" since {long_date(s)}" if pd.notna(s) else "")
            prec = st["start_precision"].map(lambda p: PRECISION_KIND.get(int(p), "month") if pd.notna(p) else "")
            frames_.append(pd.DataFrame({
                "step": i, "place_id": st["place_id"].astype(str), "name": st["name"].astype(str), "lat": st["lat"],
                "lon": st["lon"], "zone_km": 0.0, "side": st["side"],
                "force": st["side"].where(st["side"].eq(IS_SIDE), st["side"]),
                "controller": st["controller"], "controller_name": st["controller_name"],
                "status": "Held by " + st["controller_name"].astype(str) + since,
                "event": st["event_summary"].fillna("").astype(str).str.slice(0, 300),
                "event_date": [as_written(d, p) for d, p in zip(st["start"], st["start_precision"])],
                "precision": prec,
                "quote": "", "source": st["event_source"].fillna("").astype(str),
            }))
            steps.append({"date": k.date.isoformat(), "label": long_date(k.date), "note": k.label.split(": ", 1)[-1]})
        states = pd.concat(frames_, ignore_index=True)
        labels = force_labels(states, self.ds)
        caption = (f"Control of the {len(keep):,} places with the most changes of control (of "
                   f"{t['place_id'].nunique():,}), on the date the slider shows (\u25b6 Play steps through the dates; "
                   "Fit frames the places again). Click a place for its last recorded change.")
        bounds = [[float(states["lat"].min()) - 0.4, float(states["lon"].min()) - 0.4],
                  [float(states["lat"].max()) + 0.4, float(states["lon"].max()) + 0.4]]
        doc = webmap.build_map(states, steps, self.layers, initial=len(steps) - 1, force_labels=labels,
                               force_sides={k: k for k in labels}, bounds=bounds, frame=web_frame(states))
        legend = webmap.legend_html(labels, {k: k for k in labels}, caption=_html.escape(caption))
        plain = (f"<WebMap: {len(steps)} dates {steps[0]['date']}..{steps[-1]['date']}, "
                 f"{states['place_id'].nunique()} places, {len(doc)} characters>")
        return webmap.embed(doc, f"Interactive map of control, as of {_html.escape(long_date(self.as_of))}", plain,
                            legend)





def web_frame(states: pd.DataFrame, pad_deg: float = 0.25) -> list[list[float]]:
    """What the web map shows on load: the places whose holder differs between the first and
    the last date step (where the story happens), padded; every place if none changed."""
    first = states[states["step"] == states["step"].min()].set_index("place_id")["force"]
    last = states[states["step"] == states["step"].max()].set_index("place_id")["force"]
    both = first.index.intersection(last.index)
    changed = set(both[first[both].to_numpy() != last[both].to_numpy()]) | (set(last.index) ^ set(first.index))
    pts = states[states["place_id"].isin(changed)] if changed else states
    if pts["place_id"].nunique() < 2:
        pts = states
    return [[float(pts["lat"].min()) - pad_deg, float(pts["lon"].min()) - pad_deg],
            [float(pts["lat"].max()) + pad_deg, float(pts["lon"].max()) + pad_deg]]


def _events_map_impl(view) -> object:
    """Events by place and type up to ``as_of`` (no control recorded): disc area by deaths where the
    source counts any, else by number of events."""
    from . import maps

    ds, as_of = view.ds, pd.Timestamp(view.as_of)
    ev = ds.columns("events", ["date", "place_id", "event_type", "fatalities"])
    ev = ev[ev["date"] <= as_of]
    if ev.empty:
        return render.markdown("No event in the data is dated on or before {d}: there is nothing to map.",
                               d=long_date(view.as_of))
    g = ds.geocoded[["place_id", "name", "lat", "lon"]].astype({"place_id": object})
    top = ev["event_type"].astype(object).value_counts()
    keep = list(top.index[:len(maps.TYPE_COLOURS)])
    ev = ev.assign(type=ev["event_type"].astype(object).where(ev["event_type"].astype(object).isin(keep),
                                                               "other types"), place_id=ev["place_id"].astype(object))
    pts = (ev.groupby(["place_id", "type"], sort=True)
           .agg(events=("date", "size"), deaths=("fatalities", "sum")).reset_index()
           .merge(g, on="place_id", how="inner"))
    pts["type"] = pd.Categorical(pts["type"], categories=keep + ["other types"], ordered=True)
    pts = pts.sort_values(["type", "place_id"], kind="stable").assign(type=lambda d: d["type"].astype(str))
    # deaths when at least half the events report some (UCDP: events with deaths by definition), else
    # the number of events (ACLED codes many events with none, which a deaths scale would hide)
    size_by = "deaths" if (ev["fatalities"] > 0).mean() >= 0.5 else "events"
    start = ev["date"].min()
    title = f"Events, {day_text(start)} to {day_text(as_of)}: {len(ev):,} at {pts['place_id'].nunique():,} places"
    fig = maps.events_map(pts, view.layers, size_by=size_by, title=title)
    caption = (f"Where the events were, by type ({', '.join(keep)}), up to {long_date(view.as_of)}; disc area shows "
               + ("the deaths the source reports (its best estimate) where at least half the events report deaths"
                  if size_by == "deaths" else "the number of events (most events report no deaths)")
               + " at each place. The source records no changes of control: the map says nothing about who held "
               "which place. Places at the source's coordinates and precision; borders: Natural Earth.")
    cols = ["place_id", "name", "lat", "lon", "type", "events", "deaths"]
    return figures.save(fig, "fig3_events_map", pts[cols], view.p.figures_dir, caption=caption, print_format="png")


TerritoryView._events_map = _events_map_impl


def _is_or_affiliate(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    """"IS or its affiliate" when one of ``rows`` is held by another IS-side actor than the one holding
    most IS-side periods in the data (the group itself), else "IS"."""
    own = table.loc[table["side"].eq(IS_SIDE), "controller"].astype(object).dropna()
    main = own.value_counts().index[0] if len(own) else None
    return "IS (or its affiliate)" if rows["controller"].astype(object).ne(main).any() else "IS"


def _nothing():
    """An output with nothing for the briefing (text/plain is never shown)."""
    return render._Output({"text/plain": ""})


def _panel_dates(table: pd.DataFrame, as_of) -> list:
    as_of = pd.Timestamp(as_of)
    ends = table[(table["side"] == IS_SIDE) & table["end"].notna() & (table["end_precision"] == 1)
                 & (table["end"] <= as_of)]
    if 0 < ends["end"].nunique() <= 5 and len(table) <= 400:
        return key_dates(table.assign(kind="town"), as_of)
    starts = table["start"].dropna()
    starts = starts[starts <= as_of]
    if starts.empty:
        return [KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                        f"{long_date(as_of)}: as of this date")]
    d0 = starts.min() - pd.Timedelta(days=1)
    days = pd.date_range(d0, as_of, periods=4).normalize().unique()
    return [KeyDate(d.date(), f"{long_date(d)}: control on this date", long_date(d), f"{long_date(d)}")
            for d in days]


def _places_series(table: pd.DataFrame, start, end) -> pd.DataFrame:
    """Places held by each side per day, from period starts and ends (cumulative sums)."""
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    out = {"date": days.strftime("%Y-%m-%d")}
    n = len(days)
    for side in [s for s in figures.SIDE_COLOURS if s in set(table["side"])]:
        t = table[table["side"] == side]
        s = ((t["start"].fillna(days[0]) - days[0]).dt.days.clip(lower=0)).to_numpy()
        end = t["end"]
        if "last_reported" in t.columns:  # the one rule: an unclosed period is held up to its last report
            stale = pd.to_datetime(t["last_reported"]) + pd.Timedelta(days=1)
            end = end.where(end.notna() | stale.isna(), stale)
        e = ((end.fillna(days[-1] + pd.Timedelta(days=1)) - days[0]).dt.days).to_numpy()
        keep = (s < n) & (e > 0) & (e > s)
        delta = np.zeros(n + 1, dtype=np.int64)
        np.add.at(delta, s[keep], 1)
        np.add.at(delta, np.minimum(e[keep], n), -1)
        out[side] = np.cumsum(delta)[:n]
    return pd.DataFrame(out)


def prepare(ds: Dataset, p: P.Params, key_dates: str = "") -> TerritoryView:
    """The control table (the one rule for control on a date: :func:`briefing.model.state_on`),
    the basemap (the data folder's, else the project's) and everything the outputs draw."""
    from .basemap import load_layers

    if not isinstance(key_dates, str):
        raise ParameterError("key_dates", f"{key_dates!r} is not text; expected '' or 'YYYY-MM-DD,YYYY-MM-DD'")
    basemap = p.data_dir / "basemap" if (p.data_dir / "basemap").is_dir() else paths.DATA / "basemap"
    layers = load_layers(basemap)
    table = control_table(ds) if ds.has_transfers and len(ds.control) else None
    as_of = pd.Timestamp(p.as_of)
    if table is None:
        if str(key_dates).strip():
            parse_key_dates(key_dates, ds.control, as_of)  # still checked: a bad value is a bad value
        return TerritoryView(ds, p, layers, ds.control, "none")
    if table["place_id"].nunique() <= DETAIL_PLACES:
        return TerritoryView(ds, p, layers, table, "detail", detail=detail(ds, table, as_of, key_dates))
    panels = parse_key_dates(key_dates, table, as_of) if str(key_dates).strip() else _panel_dates(table, as_of)
    first = table["start"].min()
    start = (first - pd.Timedelta(days=7)) if pd.notna(first) else as_of - pd.Timedelta(days=30)
    start = max(start, pd.Timestamp(ds.period[0]))
    return TerritoryView(ds, p, layers, table, "places", panels=panels, series=_places_series(table, start, as_of))

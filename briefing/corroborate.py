"""Corroboration: the briefing's events checked against an independent event dataset.

``make report COMPARE=path/to/folder`` names a second data folder (any adapter: an ACLED export,
a UCDP GED file); notebook 06 loads it beside the briefing's own data and this view matches each
event of the briefing's window to the dataset's events. Two events **match** when all three hold:

* **place** — the great-circle distance between them is at most the sum of the two location
  radii their geographic precisions allow (:data:`RADIUS_KM`: 1 the place itself 10 km, 2 near a
  place 25 km, 3 a district, province or region 50 km);
* **time** — their date spans overlap. A span is the days an event may have happened on: the day
  for precision 1, the Monday–Sunday week for 2, the calendar month for 3; a dataset that gives
  an explicit span (UCDP's ``date_start``–``date_end``) keeps it (widened to the week or month
  its precision code names, whichever is longer);
* **actors** — the sides of the two events' actors are compatible: they share a side, or one of
  them names no side this briefing knows (``other``): a source naming the Iraqi government and
  IS at Al-Qaim is compatible with "Iraqi forces took Al-Qaim from IS".

Each briefing event then gets one status (:data:`STATUSES`):

* **corroborated** — at least one match (their ids, dates and headlines are listed);
* **in tension** — no match, but an event at a matching place with compatible actors on
  another date within :data:`NEAR_DAYS` days ("another date"), or with overlapping dates and
  incompatible actors ("other actors");
* **not found** — nothing at a matching place within :data:`NEAR_DAYS` days;
* **outside coverage** — the event's country is not in the dataset, its span lies outside the
  dataset's period, or it has no single place (region-wide events): nothing can be said.

The dataset's events near a briefing place (within the place's matching distance) in the window
that match no briefing event are listed as **not in the briefing**: what the articles do not
mention. Matching is a screening aid, not identity: two events that match may still be different
events (many clashes happen at one town in one week), and "not found" may mean the dataset's
threshold (UCDP counts only events with at least one death) or its coverage.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import render
from . import params as P
from .model import Dataset
from .words import count, day_long

#: The tables this view reads of the briefing's data (the compared dataset is its own input).
TABLES = ("sources", "places", "actors", "events", "geocoded")
#: Build inputs beyond the tables (make re-runs the notebook when the compared folder changes).
INPUTS = ("compare",)

RADIUS_KM = {1: 10.0, 2: 25.0, 3: 50.0}
NEAR_DAYS = 14
STATUSES = ("corroborated", "in tension", "not found", "outside coverage")
LIST_MAX = 40  # events of the dataset not in the briefing listed one by one; more are counted
EARTH_KM = 6371.0088


# --------------------------------------------------------------------------- the pieces
def spans(frame: pd.DataFrame) -> pd.DataFrame:
    """``span_start``/``span_end`` (Timestamps, inclusive) from ``date``, ``time_precision`` and,
    where given, ``date_end``: the day (1), the Monday–Sunday week (2), the calendar month (3)."""
    d = pd.to_datetime(frame["date"]).dt.normalize()
    prec = pd.to_numeric(frame["time_precision"], errors="coerce").fillna(1).astype(int).to_numpy()
    end = pd.to_datetime(frame["date_end"]).dt.normalize() if "date_end" in frame else d
    week0 = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    month0 = d.dt.to_period("M").dt.start_time
    lo = np.where(prec == 2, week0, np.where(prec >= 3, month0, d))
    hi_prec = np.where(prec == 2, week0 + pd.Timedelta(days=6),
                       np.where(prec >= 3, d.dt.to_period("M").dt.end_time.dt.normalize(), d))
    hi = np.maximum(hi_prec.astype("datetime64[ns]"), end.to_numpy().astype("datetime64[ns]"))
    lo = np.minimum(lo.astype("datetime64[ns]"), d.to_numpy().astype("datetime64[ns]"))
    return frame.assign(span_start=pd.to_datetime(lo), span_end=pd.to_datetime(hi))


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle (haversine) distance in km, element-wise."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dp, dl = p2 - p1, np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def radius(geo_precision) -> np.ndarray:
    g = pd.to_numeric(pd.Series(geo_precision), errors="coerce").fillna(3).clip(1, 3).astype(int)
    return g.map(RADIUS_KM).to_numpy(dtype=float)


def sides_of(ds: Dataset, ids: pd.Series) -> pd.Series:
    """The set of known sides (not ``other``) of ``|``-separated actor ids, per row."""
    side = dict(zip(ds.actors["actor_id"].astype(object), ds.actors["side"].astype(object)))
    return ids.map(lambda v: frozenset(s for a in str(v).split("|") if a and a != "nan" and a != "<NA>"
                                       for s in [side.get(a)] if s and s != "other") if isinstance(v, str) else frozenset())


def events_frame(ds: Dataset, until=None) -> pd.DataFrame:
    """One row per event with its span, position, radius and known sides (``|``-joined ids of
    actor, opponent and new holder)."""
    cols = ["event_id", "date", "time_precision", "event_type", "place_id", "country", "actor", "opponent",
            "controller_after"]
    ev = ds.events
    ev = ev[[c for c in cols + ["date_end", "fatalities", "source_id", "summary"] if c in ev.columns]].copy()
    for c in ("event_id", "place_id", "country", "actor", "opponent", "controller_after", "event_type"):
        ev[c] = ev[c].astype(object).where(ev[c].notna(), "")
    if until is not None:
        ev = ev[pd.to_datetime(ev["date"]) <= pd.Timestamp(until)]
    g = ds.geocoded[["place_id", "lat", "lon", "geo_precision"]].astype({"place_id": object})
    names = dict(zip(ds.places["place_id"].astype(object), ds.places["name"].astype(object)))
    ev = spans(ev).merge(g, on="place_id", how="left")
    ev["place"] = ev["place_id"].map(names).fillna(ev["place_id"])
    ev["radius_km"] = radius(ev["geo_precision"])
    everyone = ev["actor"].astype(str) + "|" + ev["opponent"].astype(str) + "|" + ev["controller_after"].astype(str)
    ev["sides"] = sides_of(ds, everyone)
    return ev.reset_index(drop=True)


def pairs(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """Every (briefing event, dataset event) at a matching place within :data:`NEAR_DAYS` days,
    with ``km``, ``gap_days`` (0 when the spans overlap), ``same_time`` and ``actors_ok``."""
    if ours.empty or theirs.empty:
        return pd.DataFrame(columns=["event_id", "their_id", "km", "gap_days", "same_time", "actors_ok"])
    # a coarse box first, so a million-event dataset is never crossed with the briefing whole
    pad = 0.6 + max(RADIUS_KM.values()) / 111.0 * 2
    box = theirs[theirs["lat"].between(ours["lat"].min() - pad, ours["lat"].max() + pad)
                 & theirs["lon"].between(ours["lon"].min() - pad * 1.3, ours["lon"].max() + pad * 1.3)
                 & (theirs["span_end"] >= ours["span_start"].min() - pd.Timedelta(days=NEAR_DAYS))
                 & (theirs["span_start"] <= ours["span_end"].max() + pd.Timedelta(days=NEAR_DAYS))]
    x = ours.merge(box.add_prefix("their_"), how="cross")
    x["km"] = distance_km(x["lat"], x["lon"], x["their_lat"], x["their_lon"])
    x = x[x["km"] <= x["radius_km"] + x["their_radius_km"]]
    late = (x["their_span_start"] - x["span_end"]).dt.days
    early = (x["span_start"] - x["their_span_end"]).dt.days
    x = x.assign(gap_days=np.maximum(np.maximum(late, early), 0))
    x = x[x["gap_days"] <= NEAR_DAYS]
    x = x.assign(same_time=x["gap_days"].eq(0),
                 actors_ok=[not (a and b and not (a & b)) for a, b in zip(x["sides"], x["their_sides"])])
    return x.reset_index(drop=True)


def classify(ours: pd.DataFrame, x: pd.DataFrame, covered: pd.Series) -> pd.DataFrame:
    """One status per briefing event (see the module docstring) with the matching ids."""
    rows = []
    for e, ok in zip(ours.itertuples(), covered):
        mine = x[x["event_id"] == e.event_id]
        match = mine[mine["same_time"] & mine["actors_ok"]]
        if not ok:
            status, why, hits = "outside coverage", "", mine.iloc[0:0]
        elif len(match):
            status, why, hits = "corroborated", "", match
        elif len(mine[mine["actors_ok"]]):
            hits = mine[mine["actors_ok"]].sort_values(["gap_days", "km"]).head(3)
            status, why = "in tension", "another date"
        elif len(mine[mine["same_time"]]):
            hits = mine[mine["same_time"]].sort_values("km").head(3)
            status, why = "in tension", "other actors"
        else:
            status, why, hits = "not found", "", mine.iloc[0:0]
        rows.append({"event_id": e.event_id, "status": status, "why": why,
                     "their_ids": list(hits.sort_values(["gap_days", "km", "their_event_id"])["their_event_id"])})
    return pd.DataFrame(rows, columns=["event_id", "status", "why", "their_ids"])


def coverage(ours: pd.DataFrame, other: Dataset) -> pd.Series:
    """Whether the dataset could hold each briefing event: a single place, a country the dataset
    has, and a span inside its period."""
    countries = set(other.columns("events", ["country"])["country"].dropna().astype(str))
    first, last = (pd.Timestamp(d) for d in other.period)
    return (ours["lat"].notna() & ours["country"].astype(str).isin(countries)
            & (ours["span_end"] >= first) & (ours["span_start"] <= last))


# --------------------------------------------------------------------------- the view
@dataclass
class Corroboration:
    """What notebook 06 shows (nothing at all without a dataset to compare)."""

    ds: Dataset
    other: Dataset | None
    as_of: dt.date
    ours: pd.DataFrame | None = None
    theirs: pd.DataFrame | None = None
    pairs: pd.DataFrame | None = None
    result: pd.DataFrame | None = None
    unmentioned: pd.DataFrame | None = None
    figures_dir: object = None  # where the tables' CSVs go (beside the figures); None: no CSV

    def _table(self, frame: pd.DataFrame, name: str, **kwargs):
        if self.figures_dir is None:
            return render.table(frame, **kwargs)
        return render.data_table(frame, name, self.figures_dir, **kwargs)

    def heading(self):
        if self.other is None:
            return render.heading("")
        who = "the articles" if self.ds.has_quotes else "the briefing's data"
        return render.heading(f"## Corroboration: {who} against an event dataset\n\n"
                              "Each event of the briefing's window set beside an independent dataset of coded events. "
                              + render.esc(self.other.description))

    def summary(self):
        if self.other is None:
            return render.heading("")
        r = self.result
        n = r["status"].value_counts()
        checked = len(r) - int(n.get("outside coverage", 0))
        text = ("Of the briefing's **{n}** events from {start} to {as_of}, **{checked}** fall within the dataset's "
                "coverage ({region}, {first} to {last}): **{c}** corroborated, **{t}** in tension and **{nf}** not "
                "found; {out} lie outside it. The dataset holds **{u}** further events near the briefing's places in "
                "that window that the briefing does not mention.\n\n"
                "*Method.* Two events match when they lie within the distance both geographic precisions allow "
                "(10 km for a place, 25 km near a place, 50 km for a district or region, added), when their date "
                "spans overlap (a day, a week or a month by precision, or the dataset's own span) and when their "
                "actors' sides are compatible. *In tension*: a nearby event with compatible actors on another date "
                "(within {near} days), or at the same time with other actors. A match is a screening aid, not "
                "proof that both describe one event; *not found* may reflect the dataset's threshold or coverage.")
        return render.markdown(text, n=len(r), start=day_long(self.ds.window), as_of=day_long(self.as_of),
                               checked=checked, region=self.other.region, first=day_long(self.other.period[0]),
                               last=day_long(self.other.period[1]), c=int(n.get("corroborated", 0)),
                               t=int(n.get("in tension", 0)), nf=int(n.get("not found", 0)),
                               out=int(n.get("outside coverage", 0)), u=f"{len(self.unmentioned):,}", near=NEAR_DAYS)

    def _theirs_text(self, ids) -> str:
        t = self.theirs.set_index("event_id")
        out = []
        for i in ids[:4]:
            e = t.loc[i]
            head = e["headline"] or e["summary"]
            out.append(f"{i} ({_span_text(e)}, {e['place']}): {head}")
        return "; ".join(out) + (f"; and {len(ids) - 4} more" if len(ids) > 4 else "")

    def table(self):
        """One row per briefing event the dataset covers; the others are named in one sentence."""
        if self.other is None:
            return render.heading("")
        ours = self.ours.set_index("event_id")
        rows = []
        covered = self.result[self.result["status"] != "outside coverage"]
        for r in covered.itertuples():
            e = ours.loc[r.event_id]
            rows.append({"Date": _span_text(e), "Place": e["place"], "Event": e["event_type"],
                         "Status": r.status + (f" ({r.why})" if r.why else ""),
                         "Dataset events (id, date, place: headline)": self._theirs_text(r.their_ids) or "—"})
        frame = pd.DataFrame(rows, columns=["Date", "Place", "Event", "Status",
                                            "Dataset events (id, date, place: headline)"])
        out = self.result[self.result["status"] == "outside coverage"]
        table = self._table(frame, "fig6_corroboration_table",
                            caption=f"The briefing's events that the dataset covers ({len(frame)})",
                            col_classes={"Date": "nowrap"})
        if out.empty:
            return table
        names = [f"{ours.loc[i, 'place']} ({_span_text(ours.loc[i])}, {ours.loc[i, 'event_type']})"
                 for i in out["event_id"]]
        note = (f"Outside the dataset's coverage (another country, another period, or no single place): "
                f"{count(len(out), 'event')} — " + "; ".join(names) + ".")
        markup = table.bundle["text/html"] + f"\n<p>{render.esc(note)}</p>"
        return render.html_block(markup, table.bundle["text/plain"] + "\n" + note, table.metadata)

    def not_mentioned(self):
        if self.other is None:
            return render.heading("")
        u = self.unmentioned
        if u.empty:
            return render.markdown("The dataset holds no event near the briefing's places in the window that the "
                                   "briefing does not mention.")
        shown = u.head(LIST_MAX)
        frame = pd.DataFrame({"Id": shown["event_id"], "Date": [_span_text(e) for _, e in shown.iterrows()],
                              "Place": shown["place"], "Type": shown["event_type"],
                              "Deaths": shown["fatalities"].map(lambda v: f"{int(v):,}"),
                              "Headline or notes": [h or s for h, s in zip(shown["headline"], shown["summary"])]})
        more = f" (the first {LIST_MAX} of {len(u):,})" if len(u) > LIST_MAX else ""
        return self._table(frame, "fig6_not_mentioned_table", caption=f"Dataset events near the briefing's places from "
                            f"{day_long(self.ds.window)} to {day_long(self.as_of)} that the briefing does not "
                            f"mention{more}", col_classes={"Date": "nowrap"})


def _span_text(e) -> str:
    """'3 Nov 2017', 'Jul 2017' (a whole month), '30 Oct – 5 Nov 2017'."""
    a, b = pd.Timestamp(e["span_start"]), pd.Timestamp(e["span_end"])
    if a == b:
        return f"{a.day} {a:%b %Y}"
    if a.day == 1 and b == a + pd.offsets.MonthEnd(0):
        return f"{a:%b %Y}"
    return f"{a.day} {a:%b} – {b.day} {b:%b %Y}" if a.year == b.year else f"{a.day} {a:%b %Y} – {b.day} {b:%b %Y}"


def prepare(ds: Dataset, p: P.Params, other: Dataset | None) -> Corroboration:
    """Match the briefing's events in its window (``ds.window`` to ``as_of``) to ``other``'s."""
    view = Corroboration(ds, other, p.as_of, figures_dir=p.figures_dir)
    if other is None:
        return view
    ours = events_frame(ds, until=p.as_of)
    ours = ours[ours["span_end"] >= pd.Timestamp(ds.window)].reset_index(drop=True)
    theirs = events_frame(other)
    src = other.sources[["source_id", "headline"]].astype(object)
    theirs = theirs.merge(src, on="source_id", how="left")
    theirs["headline"] = theirs["headline"].fillna("").astype(str)
    theirs["summary"] = theirs["summary"].fillna("").astype(str)
    x = pairs(ours, theirs)
    view.ours, view.theirs, view.pairs = ours, theirs, x
    view.result = classify(ours, x, coverage(ours, other))
    # the dataset's events near a briefing place in the window that match no briefing event
    window = theirs[(theirs["span_end"] >= pd.Timestamp(ds.window)) & (theirs["span_start"] <= pd.Timestamp(p.as_of))]
    places = ours.dropna(subset=["lat"]).drop_duplicates("place_id")
    near = pairs(places.assign(span_start=pd.Timestamp(ds.window), span_end=pd.Timestamp(p.as_of)), window)
    matched = set(x.loc[x["same_time"] & x["actors_ok"], "their_event_id"])
    ids = sorted(set(near["their_event_id"]) - matched)
    view.unmentioned = theirs[theirs["event_id"].isin(ids)].sort_values(["span_start", "event_id"]).reset_index(drop=True)
    return view

"""The one data model every view reads: :class:`Dataset`.

An adapter (:mod:`briefing.adapters`) turns a source folder into a ``Dataset``; nothing after
it knows which source it was. A dataset is

* **tables** (typed DataFrames, read on first use): ``events``, ``places``, ``actors``,
  ``control``, ``claims``, ``sources``, ``evidence`` and ``geocoded`` (a place's position and
  geographic precision), with the columns described in ``data/README.md``;
* **plain fields** that say what the source offers, from which the views choose their wording
  and aggregation: :attr:`Dataset.title`, ``short_title``, ``region``, ``period``, ``description`` (one
  paragraph: where the data come from), ``has_quotes`` (verbatim quotes checked against
  articles), ``has_claims`` (figures), ``has_transfers`` (changes of territorial control),
  ``has_attribution`` (who asserts each record), ``has_publication_dates`` (when each source
  was published, so ``as_of`` can mean "as known then"), ``window_start`` (where the briefing's
  window opens; the data's first day unless the source says otherwise).

**Attribution** (issue 16) lives on the evidence rows, so that it is per source and follows
what is known on a date: ``evidence.asserted_by`` is :data:`OUTLET` when the source states the
record in its own voice, else the claimant as the source names it ("the Observatory", "Syria's
army"); ``evidence.verb`` is the verb as printed ("announced", "said", "according to";
"reported" for the outlet); ``evidence.asserted_by_id`` the claimant's actor id where it is one;
``evidence.supports`` the record's fields the quote supports (``|``-separated). An adapter
without quotes fills them too: ACLED's ``source`` column is the source's outlet, so its rows are
:data:`OUTLET` / "reported" (shown as "according to <source>"). :func:`attribution` gives the
phrases views show.

The model also holds the rules that are about the data rather than about a view, so each
exists once: the ``as_of`` range (:meth:`Dataset.resolve_as_of`), who held a place on a date
(:func:`state_on`), and how many independent sources back a record (:func:`corroboration`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from . import params as P
from . import paths
from .words import IS_SIDE

#: ``evidence.asserted_by`` for a source that states the record in its own voice
OUTLET = "outlet"

TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence", "geocoded")


@dataclass(eq=False)
class Dataset:
    """Tables (as attributes: ``ds.events``) plus what the source offers (plain fields)."""

    data_dir: Path
    title: str
    short_title: str  # the running header of printed pages
    region: str
    period: tuple[dt.date, dt.date]  # the range ``as_of`` may take
    description: str
    has_quotes: bool
    has_claims: bool
    has_transfers: bool
    has_attribution: bool
    has_publication_dates: bool
    n_events: int
    #: the first day of the window the briefing is about (the chronology's default start, the
    #: period the key findings speak of); ``None``: the data's first day (``period[0]``)
    window_start: dt.date | None = None
    #: reads one table (``name``, optional ``columns``); set by the adapter
    reader: Callable[[str, list[str] | None], pd.DataFrame] = field(repr=False, default=None)
    frames: dict = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name not in TABLES:
            raise AttributeError(name)
        frames = self.__dict__["frames"]
        if name not in frames:
            frames[name] = self.reader(name, None)
        return frames[name]

    def columns(self, name: str, cols: list[str]) -> pd.DataFrame:
        """Some columns of a table (a large source reads only those)."""
        if name in self.frames:
            return self.frames[name][cols]
        return self.reader(name, cols)

    def summaries(self, event_ids) -> dict:
        """``{event_id: summary}`` for some events."""
        ev = self.columns("events", ["event_id", "summary"])
        ev = ev[ev["event_id"].isin(list(event_ids))]
        return dict(zip(ev["event_id"].astype(object), ev["summary"].astype(object)))

    @property
    def window(self) -> dt.date:
        """The first day of the briefing's window: :attr:`window_start`, else the data's first day."""
        return self.window_start or self.period[0]

    def resolve_as_of(self, as_of) -> dt.date:
        """``as_of`` as text (``YYYY-MM-DD``; empty = the end of :attr:`period`) or a date,
        checked against :attr:`period`: the one resolver the notebooks and the build use."""
        return P.resolve_as_of(P.parse_date("as_of", as_of, allow_empty=True), *self.period)

    def __repr__(self) -> str:
        return f"Dataset({paths.rel(self.data_dir)}: {self.n_events} events, {self.title!r})"


# --------------------------------------------------------------------------- sources
def wire_group(ds: Dataset) -> dict[str, str]:
    """``{source_id: wire_group}`` (sources in one group are reposts of one story)."""
    return dict(zip(ds.sources["source_id"], ds.sources["wire_group"]))


def independent_sources(ds: Dataset, source_ids: Iterable[str]) -> int:
    """Number of independent sources among ``source_ids`` (distinct wire groups)."""
    groups = wire_group(ds)
    return len({groups.get(s, s) for s in source_ids})


def corroboration(ds: Dataset) -> pd.DataFrame:
    """Per record (event, control period or claim): sources, and independent sources.

    ``n_independent`` merges sources of one wire group and sources whose quotes for the
    record are near-duplicates (:func:`briefing.sources.independent_count`).
    """
    from .sources import independent_count

    groups = wire_group(ds)
    rows = []
    for rid, ev in ds.evidence.groupby("record_id", sort=True):
        pairs = list(zip(ev["source_id"], ev["quote"]))
        srcs = sorted(set(ev["source_id"]))
        rows.append({"record_id": rid, "source_ids": "|".join(srcs), "n_sources": len(srcs),
                     "n_independent": independent_count(pairs, groups)})
    out = pd.DataFrame(rows, columns=["record_id", "source_ids", "n_sources", "n_independent"])
    return out.astype({"record_id": "string", "source_ids": "string",
                       "n_sources": "Int64", "n_independent": "Int64"})


# --------------------------------------------------------------------------- attribution
def attribution_phrase(asserted_by, verb, source_label: str) -> str:
    """Who asserts a record, as a phrase: "Syria's army announced", "according to the US-led
    coalition", or, for the source's own voice, "according to <source_label>"."""
    by = "" if asserted_by is None or asserted_by is pd.NA or str(asserted_by) in ("", "nan") else str(asserted_by)
    v = "" if verb is None or verb is pd.NA or str(verb) in ("", "nan") else str(verb)
    if not by or by == OUTLET:
        return f"according to {source_label}"
    if v == "according to":
        return f"according to {by}"
    return f"{by[0].upper() + by[1:]} {v or 'said'}"


def attribution(ds: Dataset, source_label: Callable[[str], str] | None = None) -> dict[str, list[str]]:
    """``{record_id: [phrase, …]}``: one phrase per distinct claimant (named claimants first,
    then the sources that state the record in their own voice, merged into one phrase), in the
    order of the evidence rows. ``source_label(source_id)`` names a source (default: its outlet,
    or its id when the outlet is not named)."""
    ev = ds.evidence
    if "asserted_by" not in ev.columns:
        return {}
    outlets = dict(zip(ds.sources["source_id"], ds.sources["outlet"].astype(object)))
    if source_label is None:
        def source_label(sid):  # noqa: E306
            o = outlets.get(sid)
            return str(o) if isinstance(o, str) and o and not o.startswith("not named") else str(sid)
    out: dict[str, list[str]] = {}
    own: dict[str, list[str]] = {}
    for rid, sid, by, verb in zip(ev["record_id"], ev["source_id"], ev["asserted_by"], ev["verb"]):
        if isinstance(by, str) and by and by != OUTLET:
            p = attribution_phrase(by, verb, "")
            if p not in out.setdefault(rid, []):
                out[rid].append(p)
        else:
            lab = source_label(sid)
            if lab not in own.setdefault(rid, []):
                own[rid].append(lab)
    for rid, labs in own.items():
        out.setdefault(rid, []).append("according to " + " and ".join(labs) if len(labs) <= 2
                                       else "according to " + ", ".join(labs[:-1]) + " and " + labs[-1])
    return out


# --------------------------------------------------------------------------- control
def control_table(ds: Dataset, coordinates: bool = True) -> pd.DataFrame:
    """Control periods joined with the controller's name and side and the place's name and
    kind (and, with ``coordinates``, ``lat``/``lon``/``geo_precision`` from ``geocoded``);
    one row per period, dates as Timestamps."""
    control = ds.control.copy()
    actors = ds.actors[["actor_id", "name", "side"]].rename(columns={"actor_id": "controller",
                                                                     "name": "controller_name"})
    places = ds.places[["place_id", "name", "kind"]]
    for col in ("start", "end"):
        control[col] = pd.to_datetime(control[col].astype("object").replace("", pd.NA), errors="coerce")
        control[f"{col}_precision"] = pd.to_numeric(control[f"{col}_precision"].astype("object").replace("", pd.NA),
                                                    errors="coerce").astype("Int64")
    out = (control.merge(actors, on="controller", how="left", validate="many_to_one")
           .merge(places, on="place_id", how="left", validate="many_to_one"))
    if coordinates:
        g = ds.geocoded[["place_id", "lat", "lon", "geo_precision"]].copy()
        g["lat"] = pd.to_numeric(g["lat"])
        g["lon"] = pd.to_numeric(g["lon"])
        g["geo_precision"] = pd.to_numeric(g["geo_precision"]).astype(int)
        out = out.merge(g, on="place_id", how="left", validate="many_to_one")
    out["side"] = out["side"].fillna("other")
    out["controller_name"] = out["controller_name"].fillna(out["controller"])
    last = last_reports(ds)
    out["last_reported"] = pd.to_datetime(out["control_id"].map(lambda c: last.get(c, (pd.NaT, None))[0]))
    out["last_source"] = out["control_id"].map(lambda c: last.get(c, (pd.NaT, None))[1]).astype(object)
    return out.reset_index(drop=True)


def last_reports(ds: Dataset) -> dict[str, tuple[pd.Timestamp, str]]:
    """``{record_id: (publication date, source_id)}`` of the latest source backing each record
    (empty when the source has no publication dates)."""
    if not ds.has_publication_dates:
        return {}
    pub = dict(zip(ds.sources["source_id"], pd.to_datetime(ds.sources["published"])))
    out: dict[str, tuple[pd.Timestamp, str]] = {}
    for rid, sid in zip(ds.evidence["record_id"], ds.evidence["source_id"]):
        d = pub.get(sid, pd.NaT)
        if pd.notna(d) and (rid not in out or (d, sid) > out[rid]):
            out[rid] = (d, sid)
    return out


def state_on(table: pd.DataFrame, date) -> pd.DataFrame:
    """Who held each place on ``date``: **the one rule** for control on a date.

    Periods are half-open ``[start, end)``: on the day of a capture the new controller holds
    the place. An empty ``start`` means "held before the period the data cover"; an empty
    ``end``, "no end reported". Several open periods at one place: the one that started last
    wins. A place whose last period ended with no successor (the source does not say who took
    it, e.g. Hawija) is *lost, taker not reported*: ``status_kind`` "lost-unknown", side
    "other", dated by the end of that period. ``is_held`` marks places held by IS.
    **Last reported, not held forever**: a period that no source closes (empty ``end``) is held
    only up to its last supporting report (``last_reported``, the latest publication date among
    its evidence rows); after that its ``status_kind`` is "last-reported" (not held: ``is_held``
    false, not counted as held, drawn and worded as "last reported <date> (source)"). Sources
    without publication dates have no ``last_reported`` and no such cut.
    ``table``: :func:`control_table` (or any frame with its columns)."""
    d = pd.Timestamp(date)
    active = table[(table["start"].isna() | (table["start"] <= d)) & (table["end"].isna() | (d < table["end"]))]
    held = (active.sort_values(["place_id", "start"], na_position="first", kind="stable")
            .groupby("place_id", sort=True).tail(1).assign(status_kind="held"))
    if "last_reported" in held.columns:
        stale = held["end"].isna() & held["last_reported"].notna() & (held["last_reported"] < d)
        held.loc[stale, "status_kind"] = "last-reported"
    ended = table[~table["place_id"].isin(held["place_id"]) & table["end"].notna() & (table["end"] <= d)]
    ended = ended.sort_values(["place_id", "end"], kind="stable").groupby("place_id", sort=True).tail(1)
    lost = ended.assign(status_kind="lost-unknown", controller=pd.NA, controller_name="taker not reported",
                        side="other", event_id=ended.get("end_event_id"), start=ended["end"],
                        start_precision=ended["end_precision"])
    out = pd.concat([held, lost]) if len(lost) else held
    out = out.assign(is_held=out["side"].eq(IS_SIDE) & out["status_kind"].eq("held"))
    return out.sort_values("place_id", kind="stable").reset_index(drop=True)

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

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ._lazy import pandas as pd

from . import params as P
from . import paths
from .errors import ParameterError
from .words import IS_SIDE

#: ``evidence.asserted_by`` for a source that states the record in its own voice
OUTLET = "outlet"
#: ``sources.outlet`` when the article's page does not name its outlet (data/README.md)
OUTLET_NOT_NAMED = "not named in seed"

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
    #: the earliest publication date (sources with publication dates only): ``as_of`` may not
    #: precede it, since nothing was known before it
    first_published: dt.date | None = None
    #: the knowledge cut-off this dataset was filtered to (:func:`known_on`), else None
    known_on: dt.date | None = None
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
        checked against :attr:`period` and, for sources with publication dates, refused before
        :attr:`first_published` (one line naming that date): the one resolver the notebooks and
        the build use."""
        d = P.parse_date("as_of", as_of, allow_empty=True)
        if d is not None and self.first_published is not None and d < self.first_published:
            raise ParameterError("as_of", f"{d.isoformat()} is before the first publication in the data, "
                                          f"{self.first_published.isoformat()}: as_of is a knowledge cut-off "
                                          "and nothing had been published by then")
        return P.resolve_as_of(d, *self.period)

    def __repr__(self) -> str:
        return f"Dataset({paths.rel(self.data_dir)}: {self.n_events} events, {self.title!r})"


# --------------------------------------------------------------------------- knowledge cut-off
#: the tables that decide what is known on a date (every view reads them through :func:`known_on`)
KNOWLEDGE_TABLES = ("sources", "evidence", "events", "control", "claims", "places", "actors")


def _ids(values) -> set[str]:
    """Ids in a column of ``|``-separated ids."""
    out: set[str] = set()
    for v in values:
        if isinstance(v, str) and v.strip():
            out.update(x for x in v.split("|") if x)
    return out


#: Place kinds the briefing counts as towns ("main towns" on the maps and in the counts).
TOWN_KINDS = ("city", "town")


def agencies(ds: Dataset) -> dict[str, int]:
    """How many articles name each wire agency (``sources.agency``: a byline or a photo
    credit), for the sourcing sentences; articles naming none are left out."""
    agency = ds.sources["agency"].astype(object) if "agency" in ds.sources else pd.Series(dtype=object)
    named = agency[agency.notna() & agency.astype(str).str.strip().ne("")]
    return {a: int(n) for a, n in named.value_counts().items()}


def is_undated(basis) -> bool:
    """An event its articles do not date: its ``date_basis`` says so ("not dated: …"), and its
    date was placed by rule (the week before its report, or the start of the period it covers)."""
    return isinstance(basis, str) and basis.lower().startswith(("not dated", "undated"))


def known_on(ds: Dataset, as_of) -> Dataset:
    """The dataset **as known on** ``as_of``: the one place the knowledge cut-off is applied.

    For a source with publication dates: only sources published on or before ``as_of`` exist;
    evidence rows are those of these sources; an event or claim with no remaining evidence row
    does not exist, nor does a control period with neither its own evidence row nor a known
    starting event (the report of a capture reports the new holder); a control period's start (end) is known only if its
    starting (ending) event is, else it is empty ("not reported"); places and actors are those
    the remaining records name (places with their parents). Attribution, corroboration and
    "last reported" are computed from what remains, because they read these tables. Every view
    gets this dataset from :func:`briefing.adapters.open`, so no view can see a later source.

    A source without publication dates (coded event data) is returned unchanged: an event counts
    as known on the date it happened, and the views cut events by date."""
    as_of = ds.resolve_as_of(as_of)
    if not ds.has_publication_dates:
        return ds
    sources = ds.sources
    sources = sources[sources["published"].dt.date <= as_of].reset_index(drop=True)
    visible = set(sources["source_id"])
    evidence = ds.evidence[ds.evidence["source_id"].isin(visible)].reset_index(drop=True)
    records = set(evidence["record_id"])
    events = ds.events
    events = events[events["event_id"].isin(records) & (events["date"].dt.date <= as_of)].reset_index(drop=True)
    shown_events = set(events["event_id"])
    claims = ds.claims[ds.claims["claim_id"].isin(records)].reset_index(drop=True)
    control = ds.control[ds.control["control_id"].isin(records) | ds.control["event_id"].isin(shown_events)].copy()
    for when, prec, ev_col in (("start", "start_precision", "event_id"), ("end", "end_precision", "end_event_id")):
        unknown = control[ev_col].notna() & ~control[ev_col].isin(shown_events)
        control.loc[unknown, [when, prec, ev_col]] = pd.NA
    control = control.reset_index(drop=True)
    places_all = ds.places
    parent = dict(zip(places_all["place_id"], places_all["parent_id"]))
    named = _ids(events["place_id"]) | _ids(control["place_id"]) | _ids(claims["place_id"])
    todo = list(named)
    while todo:  # a place's parents (its province, its country) are known with it
        p = parent.get(todo.pop())
        if isinstance(p, str) and p and p not in named:
            named.add(p)
            todo.append(p)
    places = places_all[places_all["place_id"].isin(named)].reset_index(drop=True)
    actor_cols = [events[c] for c in ("actor", "opponent", "controller_after")] + [control["controller"]]
    if "asserted_by_id" in evidence.columns:
        actor_cols.append(evidence["asserted_by_id"])
    if "claimant_id" in claims.columns:
        actor_cols.append(claims["claimant_id"])
    actors_named = set().union(*(_ids(c) for c in actor_cols))
    actors = ds.actors[ds.actors["actor_id"].isin(actors_named)].reset_index(drop=True)
    frames = {"sources": sources, "evidence": evidence, "events": events, "control": control,
              "claims": claims, "places": places, "actors": actors}
    base = ds

    def read(name: str, cols=None) -> pd.DataFrame:
        frame = getattr(base, name)  # geocoded: read on first use
        if "place_id" in frame.columns:  # geocoded: the known places only
            frame = frame[frame["place_id"].isin(named)].reset_index(drop=True)
        return frame if cols is None else frame[cols]

    first = ds.period[0]
    # every other field (title, capabilities, window …) is the source's own
    return dataclasses.replace(ds, period=(min(first, as_of), as_of), n_events=len(events), known_on=as_of,
                               reader=read, frames=frames)


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
    (empty when the source has no publication dates). A control period is backed by its own
    evidence rows and by those of the event that started it (a report of the capture reports
    the new holder)."""
    if not ds.has_publication_dates:
        return {}
    pub = dict(zip(ds.sources["source_id"], pd.to_datetime(ds.sources["published"])))
    started: dict[str, list[str]] = {}
    if ds.has_transfers:
        for cid, eid in zip(ds.control["control_id"], ds.control["event_id"]):
            if isinstance(eid, str) and eid:
                started.setdefault(eid, []).append(cid)
    out: dict[str, tuple[pd.Timestamp, str]] = {}
    for rid, sid in zip(ds.evidence["record_id"], ds.evidence["source_id"]):
        d = pub.get(sid, pd.NaT)
        if pd.isna(d):
            continue
        for r in [rid, *started.get(rid, [])]:
            if r not in out or (d, sid) > out[r]:
                out[r] = (d, sid)
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

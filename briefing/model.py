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
  was published, so ``as_of`` can mean "as known then").

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
    return out.reset_index(drop=True)


def state_on(table: pd.DataFrame, date) -> pd.DataFrame:
    """Who held each place on ``date``: **the one rule** for control on a date.

    Periods are half-open ``[start, end)``: on the day of a capture the new controller holds
    the place. An empty ``start`` means "held before the period the data cover"; an empty
    ``end``, "no end reported". Several open periods at one place: the one that started last
    wins. A place whose last period ended with no successor (the source does not say who took
    it, e.g. Hawija) is *lost, taker not reported*: ``status_kind`` "lost-unknown", side
    "other", dated by the end of that period. ``is_held`` marks places held by IS.
    ``table``: :func:`control_table` (or any frame with its columns)."""
    d = pd.Timestamp(date)
    active = table[(table["start"].isna() | (table["start"] <= d)) & (table["end"].isna() | (d < table["end"]))]
    held = (active.sort_values(["place_id", "start"], na_position="first", kind="stable")
            .groupby("place_id", sort=True).tail(1).assign(status_kind="held"))
    ended = table[~table["place_id"].isin(held["place_id"]) & table["end"].notna() & (table["end"] <= d)]
    ended = ended.sort_values(["place_id", "end"], kind="stable").groupby("place_id", sort=True).tail(1)
    lost = ended.assign(status_kind="lost-unknown", controller=pd.NA, controller_name="taker not reported",
                        side="other", event_id=ended.get("end_event_id"), start=ended["end"],
                        start_precision=ended["end_precision"])
    out = pd.concat([held, lost]) if len(lost) else held
    out = out.assign(is_held=out["side"].eq(IS_SIDE) & out["status_kind"].eq("held"))
    return out.sort_values("place_id", kind="stable").reset_index(drop=True)

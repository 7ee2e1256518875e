"""Facts for the briefing's header: period covered, as-of date, data version, source counts.

The period covered runs from the earliest event of the campaign window (the chronology's
default start) to the as-of date; both come from the data, never from the clock.
"""
from __future__ import annotations

import datetime as dt

from . import __version__, params as P, paths
from .load import load


def data_range(ds) -> tuple[dt.date, dt.date]:
    """The range ``as_of`` may take: earliest dated event → latest source publication."""
    first = ds.events["date"].min().date()
    last = ds.sources["published"].max().date()
    return first, last


def long_date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def header_facts(params: dict) -> dict:
    from .report import data_version
    from .sources import independent_groups

    folder = P.data_folder(params.get("data_dir"))
    ds = load(folder)
    first, last = data_range(ds)
    as_of = P.resolve_as_of(P.parse_date("as_of", params.get("as_of"), allow_empty=True), first, last)
    window = ds.events[(ds.events["date"].dt.date <= as_of) & (ds.events["date"] >= "2017-07-01")]
    start = window["date"].min().date() if len(window) else as_of
    period = f"{start:%B %Y} to {long_date(as_of)}"
    return {
        "as_of": as_of.isoformat(),
        "as_of_date": as_of,
        "as_of_long": long_date(as_of),
        "period": period,
        "data_version": data_version(folder),
        "data_dir": paths.rel(folder),
        "n_sources": len(ds.sources),
        "n_independent": len(set(independent_groups(ds).values())),
        "package_version": __version__,
    }

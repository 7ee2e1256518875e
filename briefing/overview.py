"""Facts for the briefing's header: period covered, as-of date, data version, source counts.

The period covered runs from the earliest event of the campaign window (the chronology's
default start) to the as-of date; both come from the data, never from the clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from . import __version__, params as P, paths
from .load import load


def data_range(ds) -> tuple[dt.date, dt.date]:
    """The range ``as_of`` may take: earliest dated event → latest source publication (an ACLED
    dataset: its first and last event dates, read from its cache's metadata)."""
    if getattr(ds, "kind", "") == "acled":
        return ds.date_range
    first = ds.events["date"].min().date()
    last = ds.sources["published"].max().date()
    return first, last


def resolve_as_of(ds, as_of) -> dt.date:
    """``as_of`` as text (``YYYY-MM-DD``; empty = the latest publication) or a date, checked
    against :func:`data_range`: the one resolver every notebook and the build use."""
    return P.resolve_as_of(P.parse_date("as_of", as_of, allow_empty=True), *data_range(ds))


@dataclass(frozen=True)
class Prepared:
    """What the overview and method notebooks work from."""

    ds: object
    as_of: dt.date
    params: P.Params
    geocoded: pd.DataFrame | None = None


def prepare(data_dir="data", as_of="", figures_dir="", geocoded: bool = False) -> Prepared:
    """Check the parameters, load (and validate) the data, resolve ``as_of`` against it."""
    p = P.check(data_dir=data_dir, as_of=as_of, figures_dir=figures_dir)
    ds = load(p.data_dir)  # every table: the overview and the method section summarise them all
    resolved = resolve_as_of(ds, p.as_of)
    geo = None
    if geocoded and getattr(ds, "kind", "") == "acled":
        geo = ds.geocoded  # ACLED's own coordinates stand in for the geocoding lock
    elif geocoded:
        from .geocode import load_geocoded

        geo = load_geocoded(p.data_dir)
    return Prepared(ds=ds, as_of=resolved, params=p, geocoded=geo)


def long_date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def header_facts(params: dict) -> dict:
    from .report import data_version
    from .sources import independent_groups

    folder = P.data_folder(params.get("data_dir"))
    ds = load(folder)
    first = data_range(ds)[0]
    as_of = resolve_as_of(ds, params.get("as_of"))
    if getattr(ds, "kind", "") == "acled":
        return {
            "as_of": as_of.isoformat(), "as_of_date": as_of, "as_of_long": long_date(as_of),
            "period": f"{first:%B %Y} to {long_date(as_of)}", "data_version": data_version(folder),
            "data_dir": paths.rel(folder), "n_sources": len(ds.sources), "n_independent": len(ds.sources),
            "package_version": __version__, "dataset_kind": "acled", "n_events": ds.meta["rows"],
        }
    window = ds.events[(ds.events["date"].dt.date <= as_of) & (ds.events["date"] >= "2017-07-01")]
    start = window["date"].min().date() if len(window) else as_of
    period = f"{start:%B %Y} to {long_date(as_of)}"
    published = ds.sources[ds.sources["published"].dt.date <= as_of]  # what an as-of view may use
    groups = independent_groups(ds)
    return {
        "as_of": as_of.isoformat(),
        "as_of_date": as_of,
        "as_of_long": long_date(as_of),
        "period": period,
        "data_version": data_version(folder),
        "data_dir": paths.rel(folder),
        "n_sources": len(published),
        "n_sources_total": len(ds.sources),
        "n_independent": len({groups[s] for s in published["source_id"]}),
        "package_version": __version__,
        "dataset_kind": "curated",
    }


# --------------------------------------------------------------------------- key findings

WINDOW_START = dt.date(2017, 7, 1)  # the campaign window opens with the fall of Mosul (July 2017)


def _fmt_date(ts, precision) -> str:
    """A date as the data supports it: "17 Oct" for a day, "Oct" (month) for precision 3."""
    return f"{ts:%B}" if int(precision) == 3 else f"{ts.day} {ts:%b}"


def losses(ds, as_of: dt.date) -> pd.DataFrame:
    """IS control periods that ended inside the window up to ``as_of``, with who took over.

    One row per place: place name, end date and precision, and the successor controller (or
    empty where the articles do not name one, as for Hawija)."""
    c = ds.control
    ended = c[(c["controller"] == "is") & c["end"].notna()
              & (c["end"].dt.date >= WINDOW_START) & (c["end"].dt.date <= as_of)]
    names = dict(zip(ds.places["place_id"], ds.places["name"]))
    actors = dict(zip(ds.actors["actor_id"], ds.actors["name"]))
    rows = []
    for rec in ended.sort_values(["end", "place_id"]).itertuples():
        nxt = c[(c["place_id"] == rec.place_id) & (c["start"] == rec.end)]
        rows.append({"place_id": rec.place_id, "place": names.get(rec.place_id, rec.place_id),
                     "end": rec.end, "precision": rec.end_precision,
                     "taken_by": actors.get(nxt["controller"].iloc[0], "") if len(nxt) else ""})
    return pd.DataFrame(rows, columns=["place_id", "place", "end", "precision", "taken_by"])


def still_held(ds, as_of: dt.date) -> pd.DataFrame:
    """Places held (fully, partly or as a presence) by IS or its affiliate on ``as_of``."""
    from .load import control_at

    state = control_at(ds, as_of).reset_index()
    sides = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    held = state[state["controller"].map(sides) == "islamic-state"]
    names = dict(zip(ds.places["place_id"], ds.places["name"]))
    held = held.assign(place=held["place_id"].map(names))
    return held.sort_values("place_id")[["place_id", "place", "controller", "extent"]]


EXTENT_WORDS = {"full": "held", "partial": "partly held", "presence": "a presence", "contested": "contested"}
TOWN_KINDS = {"city", "town"}


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def key_findings(ds, as_of: dt.date):
    """Three or four sentences the data supports, each built from rows (escaped)."""
    from . import render
    from .load import corroboration

    if getattr(ds, "kind", "") == "acled":
        from . import acled_views

        return acled_views.key_findings(ds, as_of)
    lost = losses(ds, as_of)
    held = still_held(ds, as_of)
    kinds = dict(zip(ds.places["place_id"], ds.places["kind"]))
    esc = render.esc
    bullets = []
    if len(lost):
        items = [f"{esc(r.place)} ({_fmt_date(r.end, r.precision)}, "
                 + (f"taken by {esc(r.taken_by)})" if r.taken_by else "captor not named)")
                 for r in lost.itertuples()]
        bullets.append(f"**Between {WINDOW_START:%B %Y} and {long_date(as_of)} IS lost {len(lost)} places the "
                       f"articles name**: " + "; ".join(items) + ".")
        towns = lost[lost["place_id"].map(kinds).isin(TOWN_KINDS)]
        if len(towns):
            last_day = towns["end"].max()
            last = towns[towns["end"] == last_day]
            noun = "town" if len(last) == 1 else "towns"
            bullets.append(f"**The most recent {noun} lost: {_names([esc(p) for p in last['place']])}**, on "
                           f"{_fmt_date(last_day, last['precision'].iloc[0])}.")
    if len(held):
        towns = [esc(p) for p, pid in zip(held["place"], held["place_id"]) if kinds.get(pid) in TOWN_KINDS]
        tail = (f" They include the town{'s' if len(towns) > 1 else ''} of {_names(towns)}." if towns
                else " None of them is a town; the articles give no area for any of them.")
        bullets.append(f"**On {long_date(as_of)} the articles still place IS or its affiliate in {len(held)} "
                       f"areas**: " + "; ".join(f"{esc(p)} ({EXTENT_WORDS.get(x, esc(x))})"
                                               for p, x in zip(held["place"], held["extent"])) + "." + tail)
    corr = corroboration(ds)
    single = int((corr["n_independent"] == 1).sum())
    bullets.append(f"**Thin sourcing.** {len(ds.sources)} articles, {len(set(ds.sources['wire_group']))} independent "
                   f"reports; {single} of {len(corr)} facts rest on a single independent report.")
    text = "\n".join(f"- {b}" for b in bullets)
    return render._Output({"text/markdown": text, "text/plain": text})

"""Facts for the briefing's header: period covered, as-of date, data version, source counts.

The period covered runs from the earliest event of the campaign window (the chronology's
default start) to the as-of date; both come from the data, never from the clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from . import __version__, paths, render
from . import params as P
from .model import TOWN_KINDS, Dataset, agencies, attribution, control_table, corroboration, state_on, wire_group
from .words import COUNTRY_NAMES, IS_SIDE, count, counted, day_long, day_month, names, period, sentence, verb

#: The tables this view reads (the Makefile re-runs the notebook when one of them changes).
TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")


@dataclass
class Overview:
    """What the overview shows (key findings) for one ``as_of``."""

    ds: Dataset
    as_of: dt.date

    def key_findings(self):
        return key_findings(self.ds, self.as_of)


def prepare(ds: Dataset, p: P.Params) -> Overview:
    return Overview(ds, p.as_of)


def facts(ds: Dataset, as_of, data_version: str) -> dict:
    """The header facts the report prints (title, period, as-of, data version, what the
    briefing is built from), written by the build into ``build/facts.json`` so the report step
    never loads the data."""
    as_of = ds.resolve_as_of(as_of)
    ev = ds.columns("events", ["date"])
    window = ev[(ev["date"].dt.date <= as_of) & (ev["date"] >= pd.Timestamp(ds.window))]
    start = window["date"].min().date() if len(window) else ds.period[0]
    out = {
        "title": ds.title, "short_title": ds.short_title, "region": ds.region, "as_of": as_of.isoformat(), "as_of_long": day_long(as_of),
        "period": period(start, as_of), "data_version": data_version,
        "data_dir": paths.rel(ds.data_dir), "package_version": __version__, "n_events": ds.n_events,
        "has_quotes": ds.has_quotes,
    }
    # ``ds`` is the dataset as known on ``as_of`` (:func:`briefing.model.known_on`): later sources
    # are not in it, so they are neither counted nor hinted at
    groups = wire_group(ds) if ds.has_publication_dates else {}
    out.update(n_sources=len(ds.sources), n_independent=len({groups.get(s, s) for s in ds.sources["source_id"]}),
               has_publication_dates=ds.has_publication_dates)
    # the header's counts in words (the report step may not import pandas, so not words itself)
    out["counts"] = {"events": count(out["n_events"], "coded event"), "sources": count(out["n_sources"], "news article"),
                     "independent": count(out["n_independent"], "independent report")}
    return out


# --------------------------------------------------------------------------- key findings

LIST_MAX = 12  # up to this many losses are named one by one; more are counted


def losses(ds, as_of: dt.date, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """IS control periods that ended inside the window up to ``as_of``, with who took over.

    One row per period: place name, end date and precision, and the successor controller (or
    empty where the source does not name one, as for Hawija)."""
    c = control_table(ds, coordinates=False) if table is None else table
    ended = c[c["side"].eq(IS_SIDE) & c["end"].notna()
              & (c["end"].dt.date >= ds.window) & (c["end"].dt.date <= as_of)]
    nxt = c[["place_id", "start", "controller_name"]].dropna(subset=["start"]).drop_duplicates(["place_id", "start"])
    out = ended.sort_values(["end", "place_id"]).merge(
        nxt.rename(columns={"start": "end", "controller_name": "taken_by"}), on=["place_id", "end"], how="left")
    out = out.rename(columns={"name": "place", "end_precision": "precision"})
    out["taken_by"] = out["taken_by"].fillna("")
    # the IS period's holder is itself not reported (``not_reported`` "controller: …"): the data
    # infer it from the capture ("seizing", "regained"), and the key findings say so
    nr = out["not_reported"].astype(object).fillna("") if "not_reported" in out else pd.Series("", index=out.index)
    out["hold_inferred"] = [any(part.strip().lower().startswith("controller:") for part in str(v).split("|")) for v in nr]
    return out[["place_id", "place", "kind", "end", "precision", "taken_by", "end_event_id",
                "hold_inferred"]].reset_index(drop=True)


def still_held(ds, as_of: dt.date, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Places held (fully, partly or as a presence) by IS or its affiliate on ``as_of``."""
    c = control_table(ds, coordinates=False) if table is None else table
    held = state_on(c, as_of)
    held = held[held["is_held"]].rename(columns={"name": "place"})
    return held.sort_values("place_id")[["place_id", "place", "kind", "controller", "extent"]]


def table_main_is_actor(ds, table: pd.DataFrame | None = None):
    """The actor holding most of the IS side's control periods: the group itself, as against an
    affiliate (``None`` when the side holds nothing)."""
    c = control_table(ds, coordinates=False) if table is None else table
    own = c.loc[c["side"].eq(IS_SIDE), "controller"].astype(object).dropna()
    return own.value_counts().index[0] if len(own) else None


def last_reported_held(ds, as_of: dt.date, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Places IS (or its affiliate) held at their last report, which is older than ``as_of``
    and which no later report confirms (:func:`briefing.model.state_on`, "last-reported")."""
    c = control_table(ds, coordinates=False) if table is None else table
    now = state_on(c, as_of)
    stale = now[now["status_kind"].eq("last-reported") & now["side"].eq(IS_SIDE)].rename(columns={"name": "place"})
    return stale.sort_values(["last_reported", "place_id"])[["place_id", "place", "kind", "extent", "last_reported",
                                                             "last_source"]]


def _mid_sentence(phrase: str) -> str:
    """A claimant phrase inside a sentence: "the Syrian military declared", not "The …"."""
    first, _, rest = phrase.partition(" ")
    return (first.lower() + " " + rest) if first in ("A", "An", "The", "Military", "State") else phrase


def claimed_by(ds) -> dict[str, list[str]]:
    """``{record_id: ["Syria's army announced", "according to the Observatory", …]}``: the named
    claimants of each record in the visible evidence (a source's own voice is left out: the key
    findings already rest on the articles). Empty for a source without attribution."""
    if not ds.has_attribution:
        return {}
    out = {}
    for rid, phrases in attribution(ds, source_label=lambda sid: "\0").items():
        named = [_mid_sentence(p) for p in phrases if "\0" not in p]  # own voice carries the placeholder
        if named:
            out[rid] = named
    return out


EXTENT_WORDS = {"full": "held", "partial": "partly held", "presence": "a presence", "contested": "contested"}


def key_findings(ds: Dataset, as_of: dt.date):
    """Three or four sentences the data supports, each built from rows (escaped). The wording
    follows what the dataset offers: its description when it is not the curated articles, losses
    named one by one or counted, sourcing when quotes are checked, event counts otherwise."""
    esc = render.esc
    table = control_table(ds, coordinates=False)
    lost = losses(ds, as_of, table)
    held = still_held(ds, as_of, table)
    who = "the articles" if ds.has_quotes else "the data"
    bullets = []
    if not ds.has_quotes:
        bullets.append(f"**{esc(ds.description)}**")
        ev = ds.columns("events", ["date", "country", "fatalities"])
        upto = ev[ev["date"].dt.date <= as_of]
        by_country = upto["country"].astype(object).value_counts()
        where = ", ".join(f"{int(n):,} in {esc(COUNTRY_NAMES.get(c, c))}" for c, n in by_country.items())
        bullets.append(f"**{sentence(count(len(upto), 'event'))} up to {day_long(as_of)}**" + (f": {where}" if where else "")
                       + f"; {int(upto['fatalities'].sum()):,} fatalities reported (the source's counts).")
    if not ds.has_transfers:
        bullets.append("**No changes of territorial control**: the source records none, so nothing is said "
                       "about who held which place.")
    elif len(lost) > LIST_MAX:
        bullets.append(f"**Between {ds.window:%B %Y} and {day_long(as_of)} IS lost {len(lost):,} places** "
                       f"({int(lost['taken_by'].ne('').sum()):,} with a named taker).")
    elif len(lost):
        says = claimed_by(ds)
        items = [f"{esc(r.place)} ({day_month(r.end, r.precision)}, "
                 + (f"taken by {esc(r.taken_by)}" if r.taken_by else "taker not named")
                 + ("; IS's hold inferred" if r.hold_inferred else "")
                 + "".join(f"; {esc(p)}" for p in says.get(r.end_event_id, [])[:1]) + ")"  # the first claimant
                 for r in lost.itertuples()]
        bullets.append(f"**Between {ds.window:%B %Y} and {day_long(as_of)} IS lost {counted(len(lost), 'place')} "
                       f"{who} name**: " + "; ".join(items) + ".")
        towns = lost[lost["kind"].isin(TOWN_KINDS)]
        if len(towns):
            last_day = towns["end"].max()
            last = towns[towns["end"] == last_day]
            noun = "town" if len(last) == 1 else "towns"
            bullets.append(f"**The most recent {noun} lost: {names([esc(p) for p in last['place']])}**, on "
                           f"{day_month(last_day, last['precision'].iloc[0])}.")
    if len(held) > LIST_MAX:
        bullets.append(f"**On {day_long(as_of)} IS held {len(held):,} places** whose control the data record.")
    elif len(held):
        towns = [esc(p) for p, k in zip(held["place"], held["kind"]) if k in TOWN_KINDS]
        tail = (f" They include the town{'s' if len(towns) > 1 else ''} of {names(towns)}." if towns
                else f" None of them is a town; {who} give no area for any of them.")
        # "or its affiliate" only when a place is held by another IS-side actor than the one that
        # holds most IS-side periods in the data (the group itself)
        main = table_main_is_actor(ds, table)
        group = "IS or its affiliate" if held["controller"].astype(object).ne(main).any() else "IS"
        bullets.append(f"**On {day_long(as_of)} {who} still place {group} in "
                       f"{counted(len(held), 'area')}**: " + "; ".join(f"{esc(p)} ({EXTENT_WORDS.get(x, esc(x))})"
                                               for p, x in zip(held["place"], held["extent"])) + "." + tail)
    stale = last_reported_held(ds, as_of, table) if ds.has_transfers and ds.has_publication_dates else None
    if stale is not None and len(stale):
        lo, hi = stale["last_reported"].min(), stale["last_reported"].max()
        when = day_month(lo) if lo == hi else f"{day_month(lo)}–{day_month(hi)}"
        # named with their last reports under Territory (territory text); here the count and why
        bullets.append(f"**{sentence(counted(len(stale), 'more place', 'more places'))} where IS was last reported "
                       f"earlier** ({when}) {'is' if len(stale) == 1 else 'are'} counted neither as held nor as lost "
                       "(see Territory).")
    if ds.has_quotes:
        corr = corroboration(ds)
        single = int((corr["n_independent"] == 1).sum())
        n_art, n_ind = len(ds.sources), len(set(ds.sources["wire_group"]))
        shared = " and ".join(f"{counted(k, 'article', words=True)} name {esc(a)}" for a, k in agencies(ds).items() if k > 1)
        bullets.append(f"**Thin sourcing.** {sentence(counted(n_art, 'article', words=True))} published by {day_long(as_of)}, "
                       f"{counted(n_ind, 'independent report')}"
                       + (f" ({shared} as the agency)" if shared else "")
                       + f"; {single} of {counted(len(corr), 'fact')} {verb(single, 'rests', 'rest')} on a single "
                       "independent report.")
    text = "\n".join(f"- {b}" for b in bullets)
    return render._Output({"text/markdown": text, "text/plain": text})

"""The briefing's last section: every source, how the data were made, and the limitations.

The text states the method the code implements; the numbers in it (how many events at each
date precision, how many places at each geocoding precision, how many quotes were verified)
are computed from the data, so the section cannot drift from what was built.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from . import params as P
from . import render
from .model import Dataset
from .words import day

#: The tables this view reads (the Makefile re-runs the notebook when one of them changes).
TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence", "geocoded")
SOURCES_MAX = 20  # a dataset with more distinct sources lists the most cited


@dataclass
class Method:
    """The last section for one ``as_of``: sources, publication dates, method, limitations."""

    ds: Dataset
    as_of: dt.date

    def heading(self, key: str = "sources"):
        """The section heading and lead (the articles' own for the curated data); the publication
        dates' sub-heading only where the sources have publication dates."""
        if key == "sources":
            return render.heading(SOURCES_HEADING if self.ds.has_quotes else "## Sources and method")
        return render.heading("### How publication dates were established" if self.ds.has_publication_dates else "")

    def sources_table(self):
        return sources_table(self.ds, self.as_of)

    def publication_notes(self):
        return publication_notes(self.ds, self.as_of)

    def method(self):
        return method_markdown(self.ds, self.ds.geocoded)

    def limitations(self):
        return limitations_markdown(self.ds, self.as_of)


SOURCES_HEADING = ("## Sources and method\n\nThe briefing rests on five news articles, copied byte for byte into "
                   "`seeds/` and never edited. Several are reposts of one agency story; the last column groups them.")


def prepare(ds: Dataset, p: P.Params) -> Method:
    return Method(ds, p.as_of)


def _published_by(ds, as_of) -> pd.DataFrame:
    """The sources published on or before ``as_of`` (all of them when ``as_of`` is None):
    an as-of briefing uses, and lists, only what had been published by then."""
    s = ds.sources.sort_values("source_id")
    return s if as_of is None else s[s["published"].dt.date <= as_of]


PRECISION_LABEL = {1: "day", 2: "week or a few days", 3: "month (or coarser)"}
GEO_PRECISION_LABEL = {1: "the named town itself", 2: "near or part of a town", 3: "a larger region"}


def sources_table(ds, as_of=None) -> render._Output:
    """Every source published by ``as_of`` with outlet, date (and how it was established), wire
    agency, file and wire-story group (sources in one group are reposts of one story, not
    independent). The caption counts the later articles left out."""
    if not ds.has_publication_dates:
        return _cited_sources(ds)
    s = _published_by(ds, as_of)
    later = len(ds.sources) - len(s)
    caption = "Sources" + (f" published by {day(pd.Timestamp(as_of))} ({later} later article"
                           f"{'s' if later > 1 else ''} not used in this as-of view)" if later else "")
    rows = pd.DataFrame({
        "Source": s["source_id"],
        "Headline": s["headline"],
        "Outlet": s["outlet"],
        "Published": [
            f"{day(d)}{' (inferred)' if str(b).lower().startswith('inferred') else ''}"
            for d, b in zip(s["published"], s["published_basis"])
        ],
        "Wire agency": s["agency"].fillna("not stated"),
        "Wire story": s["wire_group"],
        "File": "seeds/" + s["seed_file"],
    })
    return render.table(rows, caption=caption, col_classes={"Published": "nowrap", "Source": "nowrap"})


def publication_notes(ds, as_of=None) -> render._Output:
    """How each publication date was established (printed or inferred), one line per source
    published by ``as_of``."""
    if not ds.has_publication_dates:
        text = ("Publication dates do not set what was known: an event counts as known on the date it happened, "
                "so the as-of cut-off hides only events dated after it. A source's date in the table is the report's "
                "own date where the data give one, else the latest event date it is cited for.")
        return render._Output({"text/markdown": text, "text/plain": text})
    s = _published_by(ds, as_of)
    lines = [f"- **{render.esc(sid)}**: {render.esc(basis)}" for sid, basis in zip(s["source_id"], s["published_basis"])]
    text = "\n".join(lines)
    return render._Output({"text/markdown": text, "text/plain": text})


def counts(ds, geocoded: pd.DataFrame | None = None) -> dict:
    """The numbers the method text quotes."""
    ev = ds.events
    out = {
        "n_events": len(ev),
        "n_places": len(ds.places),
        "n_actors": len(ds.actors),
        "n_control": len(ds.control),
        "n_claims": len(ds.claims),
        "n_quotes": len(ds.evidence),
        "n_sources": len(ds.sources),
        "n_wire_groups": ds.sources["wire_group"].nunique(),
    }
    for p in (1, 2, 3):
        out[f"events_p{p}"] = int((ev["time_precision"] == p).sum())
    if geocoded is not None:
        for p in (1, 2, 3):
            out[f"geo_p{p}"] = int((geocoded["geo_precision"] == p).sum())
        out["n_geonames"] = int(geocoded["geonameid"].notna().sum())
    return out


METHOD = """\
### How the data were made

Every row in the data comes from the {n_sources} articles and nothing else. {n_events} dated events,
{n_places} places, {n_actors} actors, {n_control} periods of territorial control and {n_claims}
figures were transcribed by hand; each event, control period and figure carries at least one
verbatim quote ({n_quotes} in all), and the build refuses to run unless every quote is found in the
text of its article (only whitespace, typographic quotes and dashes are normalised). Derived
numbers (for example "half of 350,000") are marked as derived and name what they derive from.

**Dates and their precision.** Dates follow ACLED's convention: precision 1 is a day
({events_p1} events), 2 a week or a few days ({events_p2}), 3 a month or coarser ({events_p3}).
Relative dates were resolved against the article's publication date ("Friday" in an article of
Friday 3 November is 3 November; "last month" in an article of 5 November is October, precision 3).
A month-only date is stored as the first of the month and drawn as a span over the whole month,
never as a point; year-only background dates (2003, 2011, 2014) are stored the same way, as
ACLED has no coarser code. The rule used for each event is kept in its `date_basis` column.

**Independent sources.** Some articles repeat one agency story. Near-duplicate text is detected
by comparing the articles' word sequences; articles above the threshold form one wire-story group
and count once when a fact's corroboration is counted. The {n_sources} articles form
{n_wire_groups} such groups.

**Territorial control.** Who held a place on a date is looked up in the control periods, each of
which starts or ends with a dated event in the data. A period whose start the articles do not
state (IS held the place before the period covered) has an empty start.

**Geocoding.** Places were matched offline to the GeoNames gazetteer (CC BY 4.0) by name and every
spelling the articles use, within the place's country; {n_geonames} places have a GeoNames ID.
Places that are not towns (a border post, a camp, a province, a desert area) take the position of
a representative town or a centroid. Geographic precision follows ACLED: {geo_p1} places are
the named town itself (1), {geo_p2} near or part of a town (2), {geo_p3} a larger region (3).
Borders come from Natural Earth (public domain).
"""

LIMITATIONS = """\
### Limitations

- **Few and related sources.** Five articles, most of them copies of Agence France-Presse copy
  republished by other sites; several facts rest on one wire story. Corroboration counts are
  therefore small and say nothing about accuracy.
- **Claims, not measurements.** Every figure is a claim by a party to the conflict, a monitor or a
  charity (the US-led coalition, US officials, the Syrian Observatory for Human Rights, Save the
  Children), reported by the press; none could be checked independently. Estimates that refer to
  different areas or dates are shown side by side and never averaged.
- **Points for areas.** Control is recorded per named place; the map draws towns as points and
  holdout areas as approximate zones. The size of the territory IS held is not known from the
  articles; any area figure in this briefing is a labelled proxy.
- **Inferred dates.** Two articles print no date; their publication dates are inferred from the
  events they report (see the sources table).
- **A snapshot.** {snapshot} Nothing after that date is known to this briefing, and the
  holdouts listed are those the articles name.
"""


def method_markdown(ds, geocoded: pd.DataFrame | None = None) -> render._Output:
    if not ds.has_quotes:
        return _events_method(ds, geocoded)
    c = counts(ds, geocoded)
    c.setdefault("n_geonames", "—")
    for p in (1, 2, 3):
        c.setdefault(f"geo_p{p}", "—")
    text = METHOD.format(**c)  # only counts are filled in: no CSV text, nothing to escape
    return render._Output({"text/markdown": text, "text/plain": text})


def limitations_markdown(ds, as_of=None) -> render._Output:
    """The limitations; the last one states the cut-off this briefing was built for."""
    if not ds.has_quotes:
        text = EVENTS_LIMITATIONS + ("" if ds.has_transfers else EVENTS_NO_TRANSFERS)
        return render._Output({"text/markdown": text, "text/plain": text})
    last = ds.sources["published"].max().date()
    if as_of is None or as_of >= last:
        snapshot = f"The articles end on {day(pd.Timestamp(last))}."
    else:
        snapshot = f"This briefing is cut off on {day(pd.Timestamp(as_of))}: it uses what had been published by then."
    text = LIMITATIONS.format(snapshot=snapshot)
    return render._Output({"text/markdown": text, "text/plain": text})


# --------------------------------------------------------------------------- a dataset of coded events
def _cited_sources(ds: Dataset) -> render._Output:
    """The most cited sources, with their event counts, after the dataset's description."""
    counts = ds.columns("events", ["source_id"])["source_id"].value_counts()
    s = ds.sources.set_index("source_id")
    top = counts.head(SOURCES_MAX)
    frame = pd.DataFrame({"Source (as the data give it)": [s.loc[i, "outlet"] for i in top.index],
                          "Events": [f"{int(v):,}" for v in top.to_numpy()],
                          "Date": [day(s.loc[i, "published"]) for i in top.index]})
    cap = f"Sources: the {len(top)} most cited of {len(s):,}" if len(s) > len(top) else "Sources"
    table = render.table(frame, caption=cap)
    lead = "This briefing is built from a dataset of coded events, not from the five articles"
    rest = ": " + ds.description
    markup = f"<p><strong>{render.esc(lead)}</strong>{render.esc(rest)}</p>\n" + table.bundle["text/html"]
    return render.html_block(markup, lead + rest + "\n" + table.bundle["text/plain"])


EVENTS_METHOD = """\
### How this dataset was read

{description} The data hold {n_events} events at {n_places} places, with {n_actors} actors and
{n_sources} distinct sources.

**Dates and their precision** are the source's: precision 1 is a day ({p1} events), 2 a week or a
few days ({p2}), 3 a month ({p3}).

**Territorial control.** {control}

**Locations** are the source's coordinates, with its geographic precision: {g1} places at the town
itself (1), {g2} near it or part of it (2), {g3} a larger region (3).
"""
EVENTS_CONTROL = ("Changes of control are the source's territorial-transfer events; consecutive transfers at a "
                  "place make control periods ({n_control} in all, at {n_control_places} places); before the first "
                  "transfer the losing actor is taken to have held it. Sides come from actor names and type codes.")
EVENTS_LIMITATIONS = """\
### Limitations

- **Not the articles.** This briefing was built from a dataset of coded events; nothing in it is
  checked against an article.
- **Events, not claims.** The source counts events and deaths; it reports none of the figures
  (displacement, fighters, area) that a briefing from articles shows.
- **Places, not territory.** Control is per location and changes only at recorded transfers.
- **Sides are inferred** from actor names and type codes, not recorded by the source.
"""
EVENTS_NO_TRANSFERS = "- **No control.** The dataset records no change of control: the maps show none.\n"


def _events_method(ds: Dataset, geocoded) -> render._Output:
    ev, pl, c = ds.columns("events", ["time_precision"]), ds.places, ds.control
    p = ev["time_precision"].value_counts()
    g = geocoded["geo_precision"].value_counts()
    control = (EVENTS_CONTROL.format(n_control=f"{len(c):,}", n_control_places=f"{c['place_id'].nunique():,}")
               if ds.has_transfers else "The dataset records no change of control, so none is shown.")
    text = EVENTS_METHOD.format(
        description=render.esc(ds.description), n_events=f"{len(ev):,}", n_places=f"{len(pl):,}",
        n_actors=f"{len(ds.actors):,}", n_sources=f"{len(ds.sources):,}", p1=f"{int(p.get(1, 0)):,}",
        p2=f"{int(p.get(2, 0)):,}", p3=f"{int(p.get(3, 0)):,}", control=control,
        g1=f"{int(g.get(1, 0)):,}", g2=f"{int(g.get(2, 0)):,}", g3=f"{int(g.get(3, 0)):,}")
    return render._Output({"text/markdown": text, "text/plain": text})

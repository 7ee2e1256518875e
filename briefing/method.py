"""The briefing's last section: every source, how the data were made, and the limitations.

The text states the method the code implements; the numbers in it (how many events at each
date precision, how many places at each geocoding precision, how many quotes were verified)
are computed from the data, so the section cannot drift from what was built.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import params as P
from . import render
from .model import OUTLET_NOT_NAMED, Dataset, agencies, is_undated
from .sources import THRESHOLD as SOURCES_THRESHOLD
from .words import count, counted, day, day_long, names, of_the, of_the_verb, sentence, verb

#: The tables this view reads (the Makefile re-runs the notebook when one of them changes).
TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence", "geocoded")
SOURCES_MAX = 20  # a dataset with more distinct sources lists the most cited


@dataclass
class Method:
    """The last section for one ``as_of``: sources, publication dates, method, limitations."""

    ds: Dataset
    as_of: dt.date
    figures_dir: Path | None = None  # where the sources table's CSV goes (None: no CSV)

    def heading(self, key: str = "sources"):
        """The section heading and lead (the articles' own for the curated data); the publication
        dates' sub-heading only where the sources have publication dates."""
        if key == "sources":
            return render.heading(SOURCES_HEADING if self.ds.has_quotes else "## Sources and method")
        return render.heading("### How publication dates were established" if self.ds.has_publication_dates else "")

    def sources_table(self):
        return sources_table(self.ds, self.as_of, self.figures_dir)

    def publication_notes(self):
        return publication_notes(self.ds, self.as_of)

    def method(self):
        return method_markdown(self.ds, self.ds.geocoded)

    def limitations(self):
        return limitations_markdown(self.ds, self.as_of)


SOURCES_HEADING = ("## Sources and method\n\nThe briefing rests on the news articles listed below, copied byte for "
                   "byte into `seeds/` and never edited. Articles that repost one agency story share a wire-story "
                   "group (column \"Wire story\").")  # not "the second-to-last column": on a phone the table is cards


def prepare(ds: Dataset, p: P.Params) -> Method:
    return Method(ds, p.as_of, p.figures_dir)


def _published_by(ds, as_of) -> pd.DataFrame:
    """The sources published on or before ``as_of`` (all of them when ``as_of`` is None):
    an as-of briefing uses, and lists, only what had been published by then."""
    s = ds.sources.sort_values("source_id")
    return s if as_of is None else s[s["published"].dt.date <= as_of]


PRECISION_LABEL = {1: "day", 2: "week or a few days", 3: "month (or coarser)"}
GEO_PRECISION_LABEL = {1: "the named town itself", 2: "near or part of a town", 3: "a larger region"}


def sources_table(ds, as_of=None, figures_dir=None) -> render._Output:
    """Every source published by ``as_of`` with outlet, date (and how it was established), wire
    agency, file and wire-story group (sources in one group are reposts of one story, not
    independent). ``ds`` is the dataset as known on ``as_of``: later articles are not in it,
    and the caption does not hint at them."""
    if not ds.has_publication_dates:
        return _cited_sources(ds, figures_dir)
    s = _published_by(ds, as_of)
    # not "Sources …": the section's heading says it right above
    caption = "The articles" + (f" published by {day(pd.Timestamp(as_of))}" if as_of is not None else "")
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
    return _table(rows, figures_dir, caption=caption, col_classes={"Published": "nowrap", "Source": "nowrap"})


def _table(frame: pd.DataFrame, figures_dir, **kwargs) -> render._Output:
    """The sources table, its data saved as ``fig5_sources_table.csv`` beside the figures (and
    linked from the HTML) when the notebook gives a figures folder."""
    if figures_dir is None:
        return render.table(frame, **kwargs)
    return render.data_table(frame, "fig5_sources_table", figures_dir, **kwargs)


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


def _is_derived(derivation) -> bool:
    return isinstance(derivation, str) and derivation.lower().startswith("derived")


def _year_only(basis) -> bool:
    return isinstance(basis, str) and basis.lower().startswith("year only")


def counts(ds, geocoded: pd.DataFrame | None = None) -> dict:
    """The numbers the method and limitations text quote, from the dataset as known on
    ``as_of`` (:func:`briefing.model.known_on`)."""
    from .model import corroboration

    ev, cl, ct, src = ds.events, ds.claims, ds.control, ds.sources
    derived = cl["derivation"].map(_is_derived)
    own_voice = ~derived & (cl["claimant_id"].isna() | cl["claimant_id"].astype(object).eq(""))
    claimed = cl[~derived & ~own_voice]
    claimants = list(dict.fromkeys(str(c).split(" (")[0] for c in claimed["claimant"].dropna()))
    corr = corroboration(ds)
    dated_end = ct["event_id"].notna() | ct["end_event_id"].notna()
    out = {
        "n_events": len(ev),
        "n_undated": int(ev["date_basis"].map(is_undated).sum()),
        "years_only": sorted({d.year for d, b in zip(ev["date"], ev["date_basis"]) if _year_only(b)}),
        "n_places": len(ds.places),
        "n_actors": len(ds.actors),
        "n_control": len(ct),
        "n_control_dated": int(dated_end.sum()),
        "n_control_reported": int((~dated_end).sum()),
        "n_claims": len(cl),
        "n_claims_number": int(cl["value"].notna().sum()),
        "n_claims_claimed": len(claimed),
        "n_claims_own": int(own_voice.sum()),
        "n_claims_derived": int(derived.sum()),
        "claimants": claimants,
        "n_quotes": len(ds.evidence),
        "n_sources": len(src),
        "n_inferred_dates": int(src["published_basis"].astype(object).str.lower().str.startswith("inferred").sum()),
        "agencies": agencies(ds),
        "n_wire_groups": src["wire_group"].nunique(),
        "n_records": len(corr),
        "n_single": int((corr["n_independent"] == 1).sum()),
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

Every event, control period and figure in the data comes from {the_articles} and nothing else;
positions come from the GeoNames gazetteer and Natural Earth, and what the data infer rather than
read (a publication date, an actor named only by context) is marked in the rows. {events_w},
{control_w} and {claims_w} ({numbered}) were transcribed by hand; they name {places_w} and
{actors_w}. Each record carries at least one verbatim quote ({quotes_w} in all), and the build
refuses to run unless every quote is found in the text of its article (only whitespace,
typographic quotes and dashes are normalised). Each quote also says who asserts it (the outlet or
a named claimant, with the verb as printed) and which fields of its record it supports. Derived
numbers (for example "half of 350,000") are marked as derived and name what they derive from.

**Dates and their precision.** Dates follow ACLED's convention: precision 1 is a day
({events_p1} events), 2 a week or a few days ({events_p2}), 3 a month or coarser ({events_p3}).
Relative dates were resolved against the article's publication date ("Friday" in an article of
Friday 3 November is 3 November; "last month" in an article of 5 November is October, precision 3).
A month-only date is stored as the first of the month and drawn as a span over the whole month,
never as a point{years_sentence} {undated_sentence} The rule used for each event is kept in its
`date_basis` column.

**Independent sources.** Some articles repeat one agency story. Near-duplicate text is detected
by comparing the articles' word sequences (the share of the shorter text's five-word runs found in
the other; {threshold_pct} or more makes two articles one wire-story group); a group counts once when a fact's corroboration is counted.
{groups_sentence} "Independent" therefore means *not a copy of another article's text*, not a
separate newsroom: articles that name the same agency (byline or photo credit) may rest on one
agency's reporting even when their texts differ, so a count of independent reports is an upper
bound on the newsrooms behind a fact.

**Territorial control.** Who held a place on a date is looked up in the control periods:
{control_sentence} A period whose start the articles do not state has an empty start (held before
the first article reports it). A period that no article closes is held only up to its latest
report; after that the briefing says "last reported <date> (source)" and does not count it as held.
Nor does it count it as lost: the territory chart shows such places apart, as "no longer reported"
(status unknown).

**What was known when.** The briefing shows what had been published by its as-of date: sources
published later do not exist for it, and neither do the records only they report; a start or end
of a control period is known only once an article reports the event that makes it.

**Geocoding.** Places were matched offline to the GeoNames gazetteer (CC BY 4.0) by name and every
spelling the articles use, within the place's country; {n_geonames} places have a GeoNames ID.
Places that are not towns (a border post, a province, a desert area) take the position of a
representative town or a centroid. Geographic precision follows ACLED: {geo_p1} places are
the named town itself (1), {geo_p2} near or part of a town (2), {geo_p3} a larger region (3).
Borders come from Natural Earth (public domain).
"""

LIMITATIONS = """\
### Limitations

- **Few and related sources.** {sources_sentence} {single_sentence} Corroboration counts are
  therefore small and say nothing about accuracy; two articles relaying one claimant's statement
  still carry one claim.
{provenance_line}{coverage_line}- **One reading, checked against the words, not coded twice.** The build proves that every quote
  is in its article; it cannot prove that a row reads the quote right. Actors, dates, scopes and
  the inferences marked in the rows are one coder's reading, not two coders' independent ones.
- **Claims, not measurements.** {claims_sentence} None could be checked independently. Estimates
  that refer to different areas or dates are shown side by side and never averaged.
- **Points for areas.** Control is recorded per place the articles name or describe; the map draws
  towns as points and holdout areas as approximate zones. The size of the territory IS held is not
  known from the articles (they give shares and comparisons, not areas), so the briefing draws and
  computes no area: its charts count places.
{inferred_line}- **A snapshot.** {snapshot} Nothing published after that date is known to this briefing. The
  holdouts listed are the places the articles report as held, each shown as held only up to its
  latest report.
"""


def _method_values(ds, geocoded) -> dict:
    c = counts(ds, geocoded)
    c.setdefault("n_geonames", "—")
    for p in (1, 2, 3):
        c.setdefault(f"geo_p{p}", "—")
    n = c["n_sources"]
    years = c["years_only"]
    c.update(
        the_articles=("the one article" if n == 1 else f"the {counted(n, 'article', words=True)}")
        + (f" published by {day_long(ds.known_on)}" if getattr(ds, "known_on", None) else ""),
        events_w=sentence(counted(c["n_events"], "dated event")), control_w=counted(c["n_control"], "period") + " of territorial control",
        claims_w=counted(c["n_claims"], "figure"), numbered=f"{c['n_claims_number']} with a number",
        places_w=counted(c["n_places"], "place"), actors_w=counted(c["n_actors"], "actor"),
        quotes_w=f"{c['n_quotes']:,}",
        years_sentence=(f"; year-only background dates ({', '.join(str(y) for y in years)}) are stored the same way, "
                        "as ACLED has no coarser code." if years else "."),
        undated_sentence=(sentence(f"{counted(c['n_undated'], 'event')} the articles do not date {'is' if c['n_undated'] == 1 else 'are'} "
                          "dated by rule: a statement with no date of its own is dated to the first day of the week "
                          "that ends with its report, with precision 2, so its bar never runs past the report.")
                          if c["n_undated"] else ""),
        threshold_pct=f"{SOURCES_THRESHOLD:.0%}",
        groups_sentence=(f"The {counted(n, 'article', words=True)} form "
                         f"{counted(c['n_wire_groups'], 'such group', 'such groups', words=True)}."
                         if n > 1 else "With one article there is nothing to group."),
        control_sentence=sentence(f"{counted(c['n_control_dated'], 'period')} start or end with a dated event in the data; "
                          f"{c['n_control_reported']} are only reported as held, with no start or end."
                          if c["n_control_reported"] else
                          f"each of the {c['n_control']} starts or ends with a dated event in the data."),
    )
    return c


def method_markdown(ds, geocoded: pd.DataFrame | None = None) -> render._Output:
    if not ds.has_quotes:
        return _events_method(ds, geocoded)
    text = METHOD.format(**_method_values(ds, geocoded))  # counts and fixed words only: nothing to escape
    return render._Output({"text/markdown": text, "text/plain": text})


def limitations_markdown(ds, as_of=None) -> render._Output:
    """The limitations, each sentence computed from the dataset as known on ``as_of``; the last
    one states the cut-off this briefing was built for."""
    if not ds.has_quotes:
        text = EVENTS_LIMITATIONS + ("" if ds.has_transfers else EVENTS_NO_TRANSFERS)
        return render._Output({"text/markdown": text, "text/plain": text})
    c = counts(ds)
    n = c["n_sources"]
    esc = render.esc
    agencies = "; ".join(f"{counted(k, 'article', words=True)} {verb(k, 'names', 'name')} {esc(a)} as the agency"
                         for a, k in c["agencies"].items())
    reposts = n - c["n_wire_groups"]
    sources_sentence = (f"{sentence(counted(n, 'article', words=True))}"
                        + (f"; {agencies} (a byline or a photo credit)" if agencies else "")
                        + (f"; {counted(reposts, 'article', words=True)} {'is a repost' if reposts == 1 else 'are reposts'} "
                           "of another's story" if reposts > 0 else "") + ".")
    single = of_the(c["n_single"], c["n_records"], "record")
    single_sentence = (f"{sentence(single)} {of_the_verb(c['n_single'], 'rests', 'rest')} on a single "
                       "independent report."
                       if c["n_records"] else "")
    parts = []
    if c["n_claims_claimed"]:
        who = names([esc(x) for x in c["claimants"]])
        parts.append(f"{of_the(c['n_claims_claimed'], c['n_claims'], 'figure')} "
                     f"{of_the_verb(c['n_claims_claimed'], 'is a claim', 'are claims')} by a named party, "
                     f"monitor or charity ({who}), reported by the press")
    if c["n_claims_own"]:
        own = verb(c["n_claims_own"], "is the articles' own statement", "are the articles' own statements")
        parts.append(f"{c['n_claims_own']} {own}")
    if c["n_claims_derived"]:
        parts.append(f"{c['n_claims_derived']} {verb(c['n_claims_derived'], 'is', 'are')} derived here from a "
                     "stated number, and marked so")
    claims_sentence = ("; ".join(parts) + ".") if parts else "No figure had been reported."
    claims_sentence = sentence(claims_sentence)
    k = c["n_inferred_dates"]
    inferred_line = (f"- **Inferred dates.** {sentence(counted(k, 'article', words=True))} {verb(k, 'prints', 'print')} "
                     f"no date; {'its publication date is' if k == 1 else 'their publication dates are'} inferred from "
                     "the events reported, as the earliest possible date (see the sources table).\n" if k else "")
    src = ds.sources
    unnamed = int(src["outlet"].astype(object).fillna("").str.strip().str.lower().isin(["", OUTLET_NOT_NAMED]).sum())
    no_url = int(src["source_url"].astype(object).fillna("").str.strip().eq("").sum()) if "source_url" in src else len(src)
    bits = []
    if unnamed:
        bits.append(f"{of_the(unnamed, len(src), 'article')} {of_the_verb(unnamed, 'does', 'do')} not name its outlet"
                    if unnamed == 1 else f"{of_the(unnamed, len(src), 'article')} do not name their outlet")
    if no_url:
        bits.append(f"{'none' if no_url == len(src) else of_the(no_url, len(src), 'article')} "
                    f"{'carries' if no_url == len(src) or no_url == 1 else 'carry'} its web address")
    provenance_line = (f"- **Where the articles come from.** {sentence(' and '.join(bits))}. What each page shows of "
                       "its origin (a news site recognised by its layout, an aggregator, a forum repost) is "
                       "recorded per article in the sources' notes (`data/sources.csv`); the briefing treats each "
                       "as the text it prints, whatever its original outlet.\n" if bits else "")
    first_pub = src["published"].min()
    before = int((ds.columns("events", ["date"])["date"] < first_pub).sum())
    coverage_line = (f"- **What the articles chose to recap.** The earliest article was published on "
                     f"{day(pd.Timestamp(first_pub))}; {counted(before, 'event')} before that "
                     f"{verb(before, 'is', 'are')} known only from a line or two of recap in these articles. "
                     "A quiet stretch of the chronology is not an absence of events, and places away from the "
                     "stories' focus are missing, not calm.\n" if before else "")
    last = ds.sources["published"].max().date()
    latest = src.loc[src["published"].idxmax()]
    inferred_cut = str(latest.get("published_basis", "")).lower().startswith("inferred")
    if getattr(ds, "known_on", None) is not None and ds.known_on > last or as_of is not None and as_of > last:
        snapshot = (f"This briefing is cut off on {day(pd.Timestamp(as_of or ds.known_on))}; the latest article it "
                    f"uses was published on {day(pd.Timestamp(last))}.")
    else:
        snapshot = f"This briefing is cut off on {day(pd.Timestamp(last))}, the date of the latest article it uses."
    if inferred_cut:
        snapshot += (f" That article prints no date: {day(pd.Timestamp(last))} is the earliest date it can have been "
                     "published (see the sources table), so it may be later.")
    text = LIMITATIONS.format(sources_sentence=sources_sentence, single_sentence=single_sentence,
                              claims_sentence=claims_sentence, inferred_line=inferred_line, snapshot=snapshot,
                              provenance_line=provenance_line, coverage_line=coverage_line)
    return render._Output({"text/markdown": text, "text/plain": text})


# --------------------------------------------------------------------------- a dataset of coded events
def _cited_sources(ds: Dataset, figures_dir=None) -> render._Output:
    """The most cited sources, with their event counts, after the dataset's description."""
    counts = ds.columns("events", ["source_id"])["source_id"].value_counts()
    s = ds.sources.set_index("source_id")
    top = counts.head(SOURCES_MAX)
    frame = pd.DataFrame({"Source (as the data give it)": [s.loc[i, "outlet"] for i in top.index],
                          "Events": [f"{int(v):,}" for v in top.to_numpy()],
                          "Date": [day(s.loc[i, "published"]) for i in top.index]})
    cap = f"Sources: the {len(top)} most cited of {len(s):,}" if len(s) > len(top) else "Sources"
    table = _table(frame, figures_dir, caption=cap)
    lead = "This briefing is built from a dataset of coded events, not from the five articles"
    rest = ": " + ds.description
    markup = f"<p><strong>{render.esc(lead)}</strong>{render.esc(rest)}</p>\n" + table.bundle["text/html"]
    return render.html_block(markup, lead + rest + "\n" + table.bundle["text/plain"], table.metadata)


EVENTS_METHOD = """\
### How this dataset was read

{description} The data hold {n_events} at {n_places}, with {n_actors} and
{n_sources}.

**Dates and their precision** are the source's: precision 1 is a day ({p1}), 2 a week or a
few days ({p2}), 3 a month ({p3}).

**Territorial control.** {control}

**Locations** are the source's coordinates, with its geographic precision: {g1} at the town
itself (1), {g2} near it or part of it (2), {g3} a larger region (3).
"""
EVENTS_CONTROL = ("Changes of control are the source's territorial-transfer events; consecutive transfers at a "
                  "place make control periods ({n_control} in all, at {n_control_places}); before the first "
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
    control = (EVENTS_CONTROL.format(n_control=f"{len(c):,}", n_control_places=count(c['place_id'].nunique(), "place"))
               if ds.has_transfers else "The dataset records no change of control, so none is shown.")
    text = EVENTS_METHOD.format(
        description=render.esc(ds.description), n_events=count(len(ev), "event"), n_places=count(len(pl), "place"),
        n_actors=count(len(ds.actors), "actor"), n_sources=count(len(ds.sources), "distinct source"),
        p1=count(int(p.get(1, 0)), "event"),
        p2=f"{int(p.get(2, 0)):,}", p3=f"{int(p.get(3, 0)):,}", control=control,
        g1=count(int(g.get(1, 0)), "place"), g2=f"{int(g.get(2, 0)):,}", g3=f"{int(g.get(3, 0)):,}")
    return render._Output({"text/markdown": text, "text/plain": text})

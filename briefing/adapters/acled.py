"""The ACLED adapter: an ACLED export (one CSV) read into the model, at full-export scale.

ACLED (Armed Conflict Location & Event Data) publishes one row per event in a fixed column
layout (:data:`COLUMNS`). This module holds that layout and the mapping both ways, and reads
an ACLED export into a :class:`briefing.model.Dataset` (``has_quotes``, ``has_claims`` and
``has_publication_dates`` false; ``has_transfers`` when the file has territorial transfers).
Writing the curated events in this layout is :mod:`briefing.export` (a command).

Export (``make export`` → ``python -m briefing export``, :mod:`briefing.export`)
--------------------------------------------------------
One row per curated event, in :data:`COLUMNS` order, plus an HXL-tagged copy for the
Humanitarian Data Exchange (the same columns with a second row of hashtags, :data:`HXL`).
Every text cell goes through :func:`briefing.figures.protect_formulas` (a leading ``= + - @``,
tab or CR gets an apostrophe), so a spreadsheet never runs a cell as a formula.

* **Event and sub-event types** (:data:`TYPE_MAP`). A change of control with a named holder
  (``capture``/``recapture`` with ``controller_after``) is ``Battles`` with the sub-event type
  ``Government regains territory`` when the new holder is on a government side
  (``syrian-government``, ``iraqi-government``) and ``Non-state actor overtakes territory``
  otherwise (the SDF in Raqqa, IS in Deir Ezzor in 2014): ACLED's territorial-transfer
  sub-events of ``Battles``, with ``actor1`` = the actor that takes the place. Fighting,
  offensives, advances, a broken siege and an invasion are ``Battles``/``Armed clash``; an air
  strike is ``Explosions/Remote violence``/``Air/drone strike``; the Manhattan truck attack is
  ``Violence against civilians``/``Attack``; detentions are ``Strategic developments``/
  ``Arrests``; demining is ``Disrupted weapons use``; declarations, the start of the war,
  fighters fleeing and a ``loss`` whose taker the articles do not name are
  ``Strategic developments``/``Other`` (ACLED's transfer sub-events need a taker; the notes
  say "taker not named"). ``disorder_type`` follows the event type (Political violence /
  Demonstrations / Strategic developments).
* **Actors**: ``actor1`` is the first actor (for a transfer: the new holder), the others go to
  ``assoc_actor_1`` joined by ``"; "`` (ACLED's separator); ``actor2``/``assoc_actor_2`` the
  same for opponents. Names are the data's canonical names, not ACLED's actor dictionary. An
  event whose actor the articles do not name gets ACLED's ``Unidentified Armed Group
  (<country>)``. **Inter codes** (ACLED's classic numeric codes, :data:`INTER_NAMES`) come from
  the actor's kind and side (:func:`inter_code`): state armed forces and government persons
  1, IS and other jihadist groups, rebel groups and the SDF 2, militias and paramilitaries
  (pro-regime forces, Hashed al-Shaabi) and unidentified armed groups 3, tribes 4, foreign
  forces and coalitions 8. ``interaction`` is the two codes, smaller first (``12``, ``28``;
  one actor only: ``10``).
* **Place**: ``location`` = the place's canonical name; ``latitude``/``longitude``/
  ``geo_precision`` from the geocoding lock (:func:`briefing.geocode.load_geocoded`);
  ``admin1`` = ``places.admin1`` (empty where the articles do not place the town in a
  governorate — it is not filled in from elsewhere); ``iso`` = ISO 3166-1 numeric (760 Syria,
  368 Iraq); ``region`` = "Middle East".
* **Left out**: ACLED files are per country, so events whose ``country`` is not exactly one
  of SY or IQ — region-wide events (``SY|IQ``: the 2014 rampage and the caliphate) and events
  elsewhere (the Manhattan attack) — are not exported; the command prints their count and ids.
* **Source**: the outlets of the event's evidence rows (the outlet when the seed names it,
  else the wire agency, else "unnamed outlet (sNNN)"), distinct, in source-id order, joined by
  ``"; "``; ``source_scale`` "International" (wire copy and international press).
* **notes** = the event's ``summary`` (the "taker not named" note for a loss).
* **fatalities**: the value of a claim counting people killed (quantity contains "killed",
  a number stated) at the event's place and on the event's date; else 0 (ACLED's 0 = no
  fatalities reported). Only the 3 Nov air strike has one (4).
* **timestamp**: one fixed value for every row, the latest source publication date at 00:00
  UTC as a Unix time — derived from the data, never the clock, so exports are byte-identical.
* ``event_id_cnty`` = ISO alpha-3 + a running number per country in (date, event id) order
  (``SYR1``, ``IRQ1`` …); ``year`` from the date; ``time_precision`` as curated (the data use
  ACLED's codes); ``admin2``, ``admin3``, ``tags``, ``civilian_targeting`` (except for violence
  against civilians) empty.

Import (``make report DATA_DIR=<folder>``)
------------------------------------------
A data folder **without** ``datapackage.json`` holding a ``*.csv`` whose header has ACLED's
core columns (:data:`SIGNATURE`) is an ACLED dataset (exactly one such CSV is allowed).
:func:`briefing.adapters.load` then returns a :class:`~briefing.model.Dataset` whose tables
have the model's columns:

* ``events``: ``event_id`` = ``event_id_cnty``; ``date`` (ISO ``YYYY-MM-DD`` or ACLED's
  ``17 October 2017``); ``time_precision``; ``event_type`` = the **sub-event type** (the finer
  one; ACLED's ``event_type`` is kept as ``acled_event_type``); ``place_id``; ``country``
  (ISO alpha-2 from ``iso``); ``actor``/``opponent`` (ids of ``actor1`` + ``assoc_actor_1`` and
  ``actor2`` + ``assoc_actor_2``, ``|``-separated); ``controller_after`` = ``actor1`` for the
  territorial-transfer sub-event types (:data:`TRANSFER_TYPES`: "Government regains
  territory", "Non-state actor overtakes territory" and "Non-violent transfer of territory" —
  in all three ACLED codes the actor that takes the place as ``actor1``); ``summary`` = notes;
  ``fatalities``; ``source``.
* ``places``: one per distinct (location, latitude, longitude), ``place_id`` a slug of the
  location (with the coordinates appended when one name has several positions), kind
  ``town``, ``country``, ``admin1``; ``lat``/``lon``/``geo_precision`` carried through. The
  table ``geocoded`` is the equivalent of the geocoding lock (no lock is needed).
* ``actors``: one per name in ``actor1``/``actor2`` and the associated actors; ``actor_id``
  a slug of the name; ``kind`` the inter code's name; ``side`` from :func:`infer_side` (ACLED
  records actor type, not alignment: name patterns for the campaign's coalitions, then the
  inter code: state forces → the government of the event's country, rebel group → rebel,
  anything else → other).
* ``control``: periods from consecutive transfers at a place, half-open ``[start, end)``: each
  transfer starts a period of its ``actor1`` that ends at the next transfer there; before the
  first transfer, ``actor2`` (the loser) holds the place from an unknown start (empty
  ``start``), as in the curated data.
* ``sources``: one row per distinct ``source`` string. ACLED gives no publication date:
  ``published`` is the latest event date the source is cited for, so ``as_of`` may range over
  the events' dates. ``evidence``: one row per event, the ``notes`` as the quote (not checked
  against any seed). ``claims``: empty (an ACLED export holds no claims).

Validation (ACLED mode) reports one line per problem — file, row (header = row 1), column —
with the error classes of :mod:`briefing.errors`: missing required columns, rows with the
wrong number of fields, empty or duplicate ids, dates, precision codes (1–3), latitude and
longitude ranges, ISO numeric codes, inter codes, fatalities; at most :data:`MAX_ROWS_PER_CHECK`
rows per check, then one line with the count of the rest.

Scale
-----
The CSV is read once, with pyarrow (every column as text, multi-threaded), checked with
vectorised pandas/pyarrow operations (no loop over rows) and turned into the tables above,
stored as Parquet under ``build/cache/acled/<key>/``. The key is a SHA-256 over the CSV's
resolved path, size and modification time (nanoseconds) and this module's source: hashing a
300 MB file would cost every notebook about a second, and any edit to the file changes its
mtime. The cache directory appears (atomically, by rename) only after a successful
validation, so it doubles as the "validated" marker. Tables are read lazily: a notebook that
never touches ``evidence`` never reads it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .._lazy import pandas as pd

from .. import paths
from ..errors import DataError, ValidationFailed
from .. import model, words
from ..model import Dataset
from . import table
from ..validate import MAX_YEAR, MIN_YEAR  # the curated tables' date bounds, one definition

NAME = "ACLED"

# --------------------------------------------------------------------------- layout
COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)

#: HXL hashtags (https://hxlstandard.org) for the HDX copy, one per column.
HXL = {
    "event_id_cnty": "#event+code", "event_date": "#date+occurred", "year": "#date+year",
    "time_precision": "#date+precision", "disorder_type": "#event+type+disorder", "event_type": "#event+type",
    "sub_event_type": "#event+type+sub", "actor1": "#group+name+first", "assoc_actor_1": "#group+name+first+assoc",
    "inter1": "#group+type+first+code", "actor2": "#group+name+second", "assoc_actor_2": "#group+name+second+assoc",
    "inter2": "#group+type+second+code", "interaction": "#group+interaction+code",
    "civilian_targeting": "#indicator+civilians", "iso": "#country+code+num", "region": "#region+name",
    "country": "#country+name", "admin1": "#adm1+name", "admin2": "#adm2+name", "admin3": "#adm3+name",
    "location": "#loc+name", "latitude": "#geo+lat", "longitude": "#geo+lon", "geo_precision": "#geo+precision",
    "source": "#meta+source", "source_scale": "#meta+source+scale", "notes": "#description",
    "fatalities": "#affected+killed", "tags": "#meta+tags", "timestamp": "#date+updated",
}

#: Columns the import needs (the others may be absent).
REQUIRED = ("event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "actor1", "iso",
            "location", "latitude", "longitude", "geo_precision")

GOV_REGAINS = "Government regains territory"
NSA_OVERTAKES = "Non-state actor overtakes territory"
NON_VIOLENT = "Non-violent transfer of territory"
TRANSFER_TYPES = (GOV_REGAINS, NSA_OVERTAKES, NON_VIOLENT)

#: ACLED's classic numeric actor-type ("inter") codes.
INTER_NAMES = {0: "no actor", 1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia",
               5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
_INTER_BY_NAME = {v.lower(): k for k, v in INTER_NAMES.items()} | {"rebel groups": 2, "political militias": 3,
                                                                   "identity militias": 4}

#: ISO 3166-1 numeric → alpha-2 (the region and the countries the curated data cite).
ISO_NUMERIC = {760: "SY", 368: "IQ", 792: "TR", 400: "JO", 422: "LB", 364: "IR", 682: "SA", 376: "IL", 275: "PS",
               414: "KW", 818: "EG", 887: "YE", 434: "LY", 512: "OM", 784: "AE", 634: "QA", 48: "BH", 196: "CY",
               840: "US", 826: "GB", 250: "FR", 276: "DE", 643: "RU", 4: "AF", 586: "PK"}
ISO_ALPHA3 = {"SY": "SYR", "IQ": "IRQ"}
COUNTRY_NAME = {"SY": "Syria", "IQ": "Iraq"}
REGION = "Middle East"

#: curated event_type → (ACLED event_type, sub_event_type); captures with a holder: see module doc.
TYPE_MAP = {
    "offensive": ("Battles", "Armed clash"),
    "advance": ("Battles", "Armed clash"),
    "fighting": ("Battles", "Armed clash"),
    "siege broken": ("Battles", "Armed clash"),
    "invasion": ("Battles", "Armed clash"),
    "air strike": ("Explosions/Remote violence", "Air/drone strike"),
    "attack": ("Violence against civilians", "Attack"),
    "detention": ("Strategic developments", "Arrests"),
    "clearance": ("Strategic developments", "Disrupted weapons use"),
    "declaration": ("Strategic developments", "Other"),
    "statement": ("Strategic developments", "Other"),
    "pursuit": ("Battles", "Armed clash"),
    "war begins": ("Strategic developments", "Other"),
    "flight of fighters": ("Strategic developments", "Other"),
    "withdrawal": ("Strategic developments", "Other"),
    "loss": ("Strategic developments", "Other"),
    "capture": ("Battles", "Armed clash"),  # only without a named holder; with one: a transfer type
    "recapture": ("Battles", "Armed clash"),
}
DISORDER = {"Battles": "Political violence", "Explosions/Remote violence": "Political violence",
            "Violence against civilians": "Political violence", "Riots": "Political violence",
            "Protests": "Demonstrations", "Strategic developments": "Strategic developments"}
GOVERNMENT_SIDES = ("syrian-government", "iraqi-government")

#: curated actor kind → inter code (persons: by side, see :func:`inter_code`)
KIND_INTER = {"state armed force": 1, "state armed forces": 1, "government officials": 1,
              "jihadist group": 2, "jihadist groups": 2, "rebel groups": 2, "militia alliance": 2,
              "militias": 3, "paramilitary umbrella group": 3, "tribes": 4,
              "foreign state armed forces": 8, "international military coalition": 8, "foreign state": 8}
UNIDENTIFIED = "Unidentified Armed Group ({country})"

MAX_ROWS_PER_CHECK = 20
CACHE_ROOT = paths.BUILD / "cache" / "acled"


# --------------------------------------------------------------------------- helpers
def slug(text: str) -> str:
    """ASCII kebab-case slug ("Deir ez-Zor" → "deir-ez-zor"); never empty."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t or "x"


def inter_code(kind, side) -> int:
    """The ACLED inter code for a curated actor (see the module docstring)."""
    kind = str(kind or "").strip().lower()
    if kind in KIND_INTER:
        return KIND_INTER[kind]
    if side in GOVERNMENT_SIDES:
        return 1
    if side == "islamic-state":
        return 2
    if side == "rebel":
        return 2
    return 8


# Name patterns for the campaign's coalitions (ACLED has no alignment field).
_US_BACKED = re.compile(r"syrian democratic forces|\bsdf\b|\bypg\b|coalition|united states|\bus[- ]led\b|"
                        r"\bus officials\b|\bcjtf\b", re.I)
_IS = re.compile(r"islamic state|\bisis\b|\bisil\b|daesh|jaish khal[ie]d", re.I)
_IRAQI_ALLIES = re.compile(r"hash[e]?d|popular mobili[sz]ation|\bpmf\b", re.I)
_SYRIAN_ALLIES = re.compile(r"russia|\biran|hezbollah|\bndf\b|national defen[cs]e forces|regime|assad", re.I)


def infer_side(name: str, inter, country: str = "") -> str:
    """Alignment of an ACLED actor, which ACLED does not record (its inter code is the actor's
    type). In order: the US-backed coalition and the SDF (name), IS and its affiliate (name);
    for state forces, militias, external forces or an uncoded actor: the PMF/Hashed (Iraqi
    government) and Russia, Iran, Hezbollah, the NDF and "regime" forces (Syrian government)
    by name, and state forces named after Iraq or Syria; then the inter code alone: state
    forces → the government of the event's ``country``, rebel group → rebel, else other."""
    name = str(name or "")
    code = _inter_int(inter)
    if _US_BACKED.search(name):
        return "us-backed"
    if _IS.search(name) or name.strip() == "IS":  # UCDP writes the Islamic State as "IS"
        return "islamic-state"
    if code in (1, 3, 8, None):
        if _IRAQI_ALLIES.search(name) or (code == 1 and re.search(r"iraq", name, re.I)):
            return "iraqi-government"
        if _SYRIAN_ALLIES.search(name) or (code == 1 and re.search(r"syria", name, re.I)):
            return "syrian-government"
    if code == 1:
        return {"SY": "syrian-government", "IQ": "iraqi-government"}.get(country, "other")
    if code == 2:
        return "rebel"
    return "other"


def _inter_int(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    s = str(value).strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    return _INTER_BY_NAME.get(s.lower())


# --------------------------------------------------------------------------- detection
#: Older names of ACLED's columns → the current ones (the pre-2019 layout).
ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}
#: The pre-2019 event types (one column, no sub-event type) → (event_type, sub_event_type). The
#: three "Battle-" types are exactly ACLED's territorial-transfer codes of 2017.
OLD_TYPES = {
    "battle-government regains territory": ("Battles", GOV_REGAINS),
    "battle-non-state actor overtakes territory": ("Battles", NSA_OVERTAKES),
    "battle-no change of territory": ("Battles", "Armed clash"),
    "non-violent transfer of territory": ("Strategic developments", NON_VIOLENT),
    "remote violence": ("Explosions/Remote violence", "Remote violence"),
    "violence against civilians": ("Violence against civilians", "Violence against civilians"),
    "riots/protests": ("Protests", "Riots/Protests"),
    "strategic development": ("Strategic developments", "Other"),
    "headquarters or base established": ("Strategic developments", "Headquarters or base established"),
}
#: Gleditsch–Ward country codes (the pre-2019 ``gwno``) → ISO 3166-1 numeric.
GWNO_ISO = {645: 368, 652: 760, 640: 792, 663: 400, 660: 422, 630: 364, 670: 682, 666: 376, 690: 414, 651: 818,
            678: 887, 620: 434, 698: 512, 696: 784, 694: 634, 692: 48, 352: 196, 2: 840, 200: 826, 220: 250,
            255: 276, 365: 643, 700: 4, 770: 586}
#: The header columns that make a file an ACLED event export, after lower-casing and ALIASES.
SIGNATURE = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")
#: The header of ACLED's weekly aggregated product (counts per week and admin-1, not events).
AGGREGATED = ("week", "admin1", "event_type", "events", "fatalities")
CSV_GLOBS = ("*.csv", "*.tsv", "*.txt")


def _names(path: Path) -> tuple[str, ...]:
    lay = table.sniff(path)
    return tuple(ALIASES.get(n, n) for n in lay.names) if lay else ()


def _csvs(folder: Path) -> list[Path]:
    return sorted({p for g in CSV_GLOBS for p in Path(folder).glob(g) if p.is_file()})


def lacking(folder: Path, signature: tuple[str, ...], whose: str) -> str:
    """Why no CSV in ``folder`` is read as ``whose`` layout: the columns of ``signature`` each of
    the first three CSVs lacks (the registry prints it as the adapter's one line)."""
    csvs = _csvs(folder)
    if not csvs:
        return "no CSV file"
    missing = [f"{p.name} lacks {', '.join(c for c in signature if c not in _names(p))}" for p in csvs[:3]]
    return f"no CSV with {whose} columns (" + "; ".join(missing) + (" …" if len(csvs) > 3 else "") + ")"


def acled_csvs(folder: Path) -> list[Path]:
    """The CSVs in ``folder`` whose header carries ACLED's core columns (any layout)."""
    return [p for p in _csvs(folder) if set(SIGNATURE) <= set(_names(p))]


def aggregated_csvs(folder: Path) -> list[Path]:
    """CSVs in ACLED's weekly aggregated layout (recognised, then refused by :func:`validate`)."""
    return [p for p in _csvs(folder) if set(AGGREGATED) <= set(_names(p)) and "event_id_cnty" not in _names(p)]


def recognise(folder: Path) -> str | None:
    """None for a folder without ``datapackage.json`` holding a CSV with ACLED's core columns
    (or ACLED's weekly aggregates, which :func:`validate` then refuses in one line)."""
    if (folder / "datapackage.json").exists():
        return "it holds datapackage.json"
    if acled_csvs(folder) or aggregated_csvs(folder):
        return None
    return lacking(folder, SIGNATURE, "ACLED's")


def _the_csv(folder: Path) -> Path:
    found = acled_csvs(folder)
    if not found and aggregated_csvs(folder):
        p = aggregated_csvs(folder)[0]
        raise ValidationFailed([DataError(paths.rel(p), "ACLED's weekly aggregated data are aggregated counts, not "
                                          "events: export events instead (one row per event, with event_id_cnty)")])
    if len(found) != 1:
        raise ValidationFailed([DataError(paths.rel(folder), f"an ACLED data folder holds exactly one ACLED-format "
                                          f"CSV; found {len(found)}: {', '.join(p.name for p in found)}")])
    return found[0]


# --------------------------------------------------------------------------- reading and validation
def read_table(path: Path):
    """Read every column as text, whatever the layout (:mod:`.table`: encoding, delimiter,
    title lines, upper-case headers, HXL row), and bring older layouts to the current column
    names (:func:`normalise`). Returns ``(DataFrame | None, errors, first_data_row)``; rows
    with the wrong number of fields are reported (and skipped)."""
    import pyarrow as pa

    where = paths.rel(path)
    layout = table.sniff(path)
    if layout is None:
        return None, [DataError(where, "empty or unreadable file (expected a CSV with a header row)")], 2
    try:
        tab, bad = table.read(layout)
    except (pa.ArrowInvalid, OSError) as exc:
        msg = " ".join(str(exc).split())[:300]
        return None, [DataError(where, f"cannot read as a {ENC_WORDS.get(layout.encoding, 'text')} CSV: {msg}")], 2
    errors = []
    for r in bad[:MAX_ROWS_PER_CHECK]:  # pyarrow numbers physical lines (header = 1)
        errors.append(DataError(where, f"expected {r.expected_columns} fields, found {r.actual_columns}",
                                row=r.number))
    if len(bad) > MAX_ROWS_PER_CHECK:
        errors.append(DataError(where, f"and {len(bad) - MAX_ROWS_PER_CHECK} more rows with the wrong number of fields"))
    df = tab.to_pandas(types_mapper=pd.ArrowDtype, self_destruct=True)
    return normalise(df), errors, layout.first_data_row


ENC_WORDS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Older layouts → the current column names: unnamed columns (a spreadsheet's index) dropped,
    ``ally_actor_*`` → ``assoc_actor_*``; without ``sub_event_type`` (pre-2019) the event type
    is split by :data:`OLD_TYPES` (unknown types keep their name as the sub-event type); without
    ``iso``, it comes from ``gwno`` (:data:`GWNO_ISO`) or the country's name."""
    df = df.drop(columns=[c for c in df.columns if c.startswith("_unnamed_")])
    df = df.rename(columns={k: v for k, v in ALIASES.items() if k in df.columns and v not in df.columns})
    if "sub_event_type" not in df.columns and "event_type" in df.columns:
        et = df["event_type"].astype("string[pyarrow]").str.strip()
        key = et.str.lower()
        df["event_type"] = key.map({k: v[0] for k, v in OLD_TYPES.items()}).fillna(et)
        df["sub_event_type"] = key.map({k: v[1] for k, v in OLD_TYPES.items()}).fillna(et)
    if "iso" not in df.columns:
        iso = pd.Series([""] * len(df), index=df.index, dtype="string")
        if "gwno" in df.columns:
            gw = pd.to_numeric(df["gwno"].astype("string").str.strip(), errors="coerce")
            iso = gw.map(GWNO_ISO).astype("Int64").astype("string").fillna("")
        if "country" in df.columns:
            by_name = {v.lower(): str(k) for k, v in ISO_COUNTRY_NAMES.items()}
            named = df["country"].astype("string").str.strip().str.lower().map(by_name)
            iso = iso.where(iso.ne(""), named.fillna(""))
        df["iso"] = iso
    return df


#: ISO numeric → English name, for files that give only the country's name.
ISO_COUNTRY_NAMES = {760: "Syria", 368: "Iraq", 792: "Turkey", 400: "Jordan", 422: "Lebanon", 364: "Iran",
                     682: "Saudi Arabia", 376: "Israel", 275: "Palestine", 414: "Kuwait", 818: "Egypt", 887: "Yemen",
                     434: "Libya", 512: "Oman", 784: "United Arab Emirates", 634: "Qatar", 48: "Bahrain",
                     196: "Cyprus", 840: "United States", 826: "United Kingdom", 250: "France", 276: "Germany",
                     643: "Russia", 4: "Afghanistan", 586: "Pakistan"}
COUNTRY_NAME.update({ISO_NUMERIC[k]: v for k, v in ISO_COUNTRY_NAMES.items() if ISO_NUMERIC[k] not in COUNTRY_NAME})


def _report(errors: list, where: str, mask, column: str, problem, values=None, first_row: int = 2) -> None:
    """Append one error per offending row (at most :data:`MAX_ROWS_PER_CHECK`, then a count)."""
    import numpy as np

    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    for i in idx[:MAX_ROWS_PER_CHECK]:
        text = problem(values.iloc[i]) if callable(problem) else problem
        errors.append(DataError(where, text, row=int(i) + first_row, column=column))
    if len(idx) > MAX_ROWS_PER_CHECK:
        errors.append(DataError(where, f"and {len(idx) - MAX_ROWS_PER_CHECK} more rows: "
                                f"{problem('…') if callable(problem) else problem}", column=column))


def _arrow(col: pd.Series):
    """The column as a trimmed pyarrow string array, empty cells as nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(pa.array(col.array, type=pa.string()) if not isinstance(col.dtype, pd.ArrowDtype)
                                  else pa.array(col.array))
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


MAX_FATALITIES = 100_000  # per event; a larger number is a typo, and sums of them would overflow


DATE_RULE = ("dates are read as YYYY-MM-DD, '17 October 2017', or day first as dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy; "
             "a two-digit year (dd-mm-yy, dd/mm/yy) is 20yy")


def parse_dates(col: pd.Series) -> pd.Series:
    """Dates by :data:`DATE_RULE`, in the years ``MIN_YEAR``–``MAX_YEAR``; anything else NaT
    (pyarrow, vectorised; ``9999-12-31`` is NaT, not an overflow). Day first, always: ACLED writes
    the day first, and a month-first date (``11/17/2017``) is refused rather than guessed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _arrow(col)
    ymd = pc.match_substring_regex(arr, pattern=r"^\d{4}-\d{1,2}-\d{1,2}$")
    iso = pc.strptime(pc.if_else(ymd, arr, pa.scalar(None, pa.string())), format="%Y-%m-%d", unit="s",
                      error_is_null=True)
    if iso.null_count > arr.null_count:
        long = pc.strptime(arr, format="%d %B %Y", unit="s", error_is_null=True)
        # day first with / - or . and a four-digit year, or a two-digit year read as 20yy
        dmy = pc.replace_substring_regex(arr, pattern=r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", replacement=r"\1-\2-\3")
        dmy = pc.replace_substring_regex(dmy, pattern=r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2})$", replacement=r"\1-\2-20\3")
        day_first = pc.match_substring_regex(dmy, pattern=r"^\d{1,2}-\d{1,2}-\d{4}$")
        short = pc.strptime(pc.if_else(day_first, dmy, pa.scalar(None, pa.string())), format="%d-%m-%Y", unit="s",
                            error_is_null=True)
        iso = pc.coalesce(iso, long, short)
    # pyarrow rolls 31 February over into March: a date is real only if its day is the one written
    lead = pc.struct_field(pc.extract_regex(arr, pattern=r"^(?P<d>\d{1,2})\D"), [0])
    tail = pc.struct_field(pc.extract_regex(arr, pattern=r"^\d{4}-\d{1,2}-(?P<d>\d{1,2})$"), [0])
    written = pc.cast(pc.coalesce(pc.if_else(ymd, tail, pa.scalar(None, pa.string())), lead), pa.int64())
    iso = pc.if_else(pc.equal(pc.day(iso), written), iso, pa.scalar(None, iso.type))
    year = pc.year(iso)
    in_range = pc.and_(pc.greater_equal(year, MIN_YEAR), pc.less_equal(year, MAX_YEAR))
    iso = pc.if_else(in_range, iso, pa.scalar(None, iso.type))
    out = pd.Series(iso.to_numpy(zero_copy_only=False), index=col.index).astype("datetime64[ns]")
    return out


def date_problem(value) -> str:
    """What is wrong with a date that :func:`parse_dates` refused, and how to fix it."""
    import re as _re

    v = str(value).strip()
    m = _re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$", v)
    if m and int(m.group(2)) > 12 and int(m.group(1)) <= 12:
        return (f"{v!r} looks month-first; dates are read day first (dd/mm/yyyy): re-save the column as "
                f"YYYY-MM-DD")
    return f"{v!r} is not a date from {MIN_YEAR} to {MAX_YEAR} ({DATE_RULE}): re-save the column as YYYY-MM-DD"


def _codes(col: pd.Series) -> pd.Series:
    """Numbers (float; NaN for empty or not a number): a fast pyarrow cast, pandas on failure."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _arrow(col)
    try:
        num = pc.cast(arr, pa.float64())
        return pd.Series(num.to_numpy(zero_copy_only=False), index=col.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(pd.Series(arr.to_pandas(), index=col.index), errors="coerce").astype("float64")


def check(df: pd.DataFrame, where: str, first_row: int = 2) -> list[DataError]:
    """Vectorised checks of an ACLED table read by :func:`read_table` (see module docstring);
    ``first_row``: the spreadsheet row of the first data row."""
    import functools

    errors: list[DataError] = []
    report = functools.partial(_report, first_row=first_row)
    missing = [c for c in REQUIRED if c not in df.columns]
    for c in missing:
        errors.append(DataError(where, "required ACLED column missing from the header", column=c))
    if missing:
        return errors
    if not len(df):
        return [DataError(where, "no data rows")]
    s = lambda c: df[c].astype("string[pyarrow]").str.strip()  # noqa: E731
    ids = s("event_id_cnty")
    report(errors, where, ids.eq(""), "event_id_cnty", "empty event id")
    dup = ids.duplicated(keep="first") & ids.ne("")
    report(errors, where, dup, "event_id_cnty", lambda v: f"duplicate event id {v!r}", ids)
    dates = parse_dates(df["event_date"])
    report(errors, where, dates.isna(), "event_date", date_problem, df["event_date"])
    for col in ("time_precision", "geo_precision"):
        code = _codes(df[col])
        report(errors, where, ~code.isin([1, 2, 3]), col, lambda v: f"{v!r} is not a precision code 1, 2 or 3",
                df[col])
    for col, lo, hi in (("latitude", -90, 90), ("longitude", -180, 180)):
        num = _codes(df[col])
        report(errors, where, ~num.between(lo, hi).fillna(False), col,
                lambda v, lo=lo, hi=hi: f"{v!r} is not a number between {lo} and {hi}", df[col])
    iso = _codes(df["iso"])
    out = ~iso.isin(list(ISO_NUMERIC))
    if out.any():  # one line per distinct code, not one per row
        import numpy as np

        raw = df["iso"].astype("string").str.strip().fillna("")
        bad_iso = out.to_numpy()
        for value in sorted(set(raw[bad_iso])):
            pos = np.flatnonzero((raw == value).to_numpy() & bad_iso)
            name = str(df["country"].iloc[pos[0]]).strip() if "country" in df.columns else ""
            shown = f"{value!r}" + (f" ({name})" if name else "")
            n = len(pos)
            errors.append(DataError(where, f"{shown} on {n:,} row{'s' if n != 1 else ''} (first: row {pos[0] + first_row}) is "
                                    "outside this briefing's region (Syria, Iraq and their neighbours; the maps and "
                                    "country names cover no other): keep only those countries' rows", column="iso"))
    report(errors, where, s("location").eq(""), "location", "empty location")
    report(errors, where, s("sub_event_type").eq(""), "sub_event_type", "empty sub-event type")
    report(errors, where, s("actor1").eq(""), "actor1", "empty actor1 (ACLED always names actor1)")
    for col in ("inter1", "inter2"):
        if col in df.columns:
            v = s(col)
            num = pd.to_numeric(v.replace("", None), errors="coerce")
            ok = v.eq("") | num.isin(list(INTER_NAMES)) | v.str.lower().isin(list(_INTER_BY_NAME))
            report(errors, where, ~ok, col, lambda x: f"{x!r} is not an ACLED inter code (0–8 or its name)", df[col])
    if "fatalities" in df.columns:
        v = s("fatalities")
        num = pd.to_numeric(v.replace("", None), errors="coerce")
        bad = v.ne("") & ~(num.between(0, MAX_FATALITIES).fillna(False) & (num.fillna(0) % 1 == 0))
        report(errors, where, bad, "fatalities",
                lambda x: f"{x!r} is not a whole number from 0 to {MAX_FATALITIES:,}", df["fatalities"])
    return errors


# --------------------------------------------------------------------------- derived tables
def _cat(series: pd.Series) -> pd.Series:
    """Trimmed text as a categorical (empty cells → NaN), by pyarrow's dictionary encoding."""
    import pyarrow.compute as pc

    arr = _arrow(series)
    arr = arr.combine_chunks() if hasattr(arr, "combine_chunks") else arr
    enc = pc.dictionary_encode(arr)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int32")
    cats = enc.dictionary.to_pylist()
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object)), index=series.index)


def _id_map(names: list[str], prefix: str = "") -> dict[str, str]:
    """Unique slugs for names (a second "foo" becomes "foo-2"), deterministic by sorted name."""
    out, used = {}, set()
    for n in sorted(set(names)):
        base = prefix + slug(n)
        ident, k = base, 2
        while ident in used:
            ident, k = f"{base}-{k}", k + 1
        used.add(ident)
        out[n] = ident
    return out


def _pair_codes(a, b, nb: int):
    """Factorise pairs of category codes (−1 = missing) into (codes, unique pairs)."""
    import numpy as np

    key = (np.asarray(a, dtype=np.int64) + 1) * (nb + 1) + (np.asarray(b, dtype=np.int64) + 1)
    uniq, inv = np.unique(key, return_inverse=True)
    return inv, [(int(k // (nb + 1)) - 1, int(k % (nb + 1)) - 1) for k in uniq]


def derive(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The dataset's tables from a validated ACLED frame (vectorised; loops only over distinct
    places, actors, actor combinations and sources). Rows keep the file's order within a day."""
    import numpy as np

    n = len(df)
    col = lambda c: (df[c] if c in df.columns else pd.Series([""] * n, index=df.index, dtype=object))  # noqa: E731
    order = np.argsort(parse_dates(df["event_date"]).to_numpy(), kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    date = parse_dates(df["event_date"])
    tp = _codes(df["time_precision"]).astype("int8")
    lat = _codes(df["latitude"]).astype("float64")
    lon = _codes(df["longitude"]).astype("float64")
    gp = _codes(df["geo_precision"]).astype("int8")
    iso2 = _codes(df["iso"]).astype("int64").map(ISO_NUMERIC).astype("category")
    location = _cat(df["location"])
    admin1 = _cat(col("admin1"))

    # places: one per (location, lat, lon)
    keys = pd.DataFrame({"location": location.cat.codes, "lat": lat.round(6), "lon": lon.round(6)})
    grouped = keys.groupby(["location", "lat", "lon"], sort=True)
    pid_code = grouped.ngroup().to_numpy()
    first = grouped.cumcount().to_numpy() == 0
    uniq = pd.DataFrame({"location": location.to_numpy()[first], "lat": lat.to_numpy()[first],
                         "lon": lon.to_numpy()[first], "code": pid_code[first], "geo_precision": gp.to_numpy()[first],
                         "country": iso2.to_numpy()[first], "admin1": admin1.to_numpy()[first]}).sort_values("code")
    names = uniq["location"].astype(str).tolist()
    several = pd.Series(names).duplicated(keep=False).to_numpy()
    raw_ids = [slug(nm) + (f"-{la:.4f}-{lo:.4f}".replace(".", "p").replace("-p", "-") if sev else "")
               for nm, la, lo, sev in zip(names, uniq["lat"], uniq["lon"], several)]
    ids, seen = [], {}
    for r in raw_ids:  # distinct places that still collide (e.g. "Hama" and "Hamā") get a suffix
        k = seen.get(r, 0)
        seen[r] = k + 1
        ids.append(r if k == 0 else f"{r}-{k + 1}")
    place_ids = np.array(ids, dtype=object)
    places = pd.DataFrame({
        "place_id": place_ids, "name": names, "aliases": "", "kind": "town",
        "country": uniq["country"].astype(str).to_numpy(),
        "admin1": uniq["admin1"].astype(object).where(uniq["admin1"].notna(), "").astype(str).to_numpy(),
        "parent_id": "", "notes": "", "lat": uniq["lat"].to_numpy(), "lon": uniq["lon"].to_numpy(),
        "geo_precision": uniq["geo_precision"].astype("int64").to_numpy(),
    })
    place_cat = pd.Categorical.from_codes(pid_code, categories=place_ids)

    # actors: every name in actor1/actor2 and the associated actors
    a1, a2 = _cat(df["actor1"]), _cat(col("actor2"))
    s1, s2 = _cat(col("assoc_actor_1")), _cat(col("assoc_actor_2"))
    i1, i2 = _cat(col("inter1")), _cat(col("inter2"))
    split = lambda v: [x.strip() for x in str(v).split(";") if x.strip()]  # noqa: E731
    all_names = set(a1.cat.categories) | set(a2.cat.categories)
    for c in (s1, s2):
        for v in c.cat.categories:
            all_names.update(split(v))
    all_names.discard("")
    aid = _id_map(sorted(all_names))
    # side: from the (inter, country) an actor appears with most often as actor1/actor2
    ccodes = iso2.cat.codes.to_numpy()
    tallies = []
    for a, i in ((a1, i1), (a2, i2)):
        t = pd.DataFrame({"a": a.cat.codes.to_numpy(), "i": i.cat.codes.to_numpy(), "c": ccodes})
        t = t[t["a"] >= 0].value_counts().reset_index(name="n")
        t["name"] = a.cat.categories.to_numpy()[t["a"]]
        lut = np.append(i.cat.categories.to_numpy(dtype=object), "")  # -1 (no code) reads the trailing ""
        t["inter"] = lut[t["i"].to_numpy()]
        t["country"] = iso2.cat.categories.to_numpy()[t["c"]]
        tallies.append(t[["name", "inter", "country", "n"]])
    counts = pd.concat(tallies).groupby(["name", "inter", "country"], sort=True)["n"].sum().reset_index()
    counts = counts.sort_values(["name", "n", "inter", "country"], ascending=[True, False, True, True])
    best = counts.drop_duplicates("name").set_index("name")
    arows = []
    for nm in sorted(all_names):
        inter = best.loc[nm, "inter"] if nm in best.index else ""
        ctry = best.loc[nm, "country"] if nm in best.index else ""
        code = _inter_int(inter)
        arows.append({"actor_id": aid[nm], "name": nm, "aliases": "", "kind": INTER_NAMES.get(code, "not coded"),
                      "side": infer_side(nm, inter, str(ctry)), "notes": ""})
    actors = pd.DataFrame(arows, columns=["actor_id", "name", "aliases", "kind", "side", "notes"])

    def ids_of(main: pd.Series, assoc: pd.Series) -> pd.Categorical:
        mcats, acats = main.cat.categories, assoc.cat.categories
        code, pairs = _pair_codes(main.cat.codes, assoc.cat.codes, len(acats))
        vals = []
        for m, a in pairs:
            names_ = ([str(mcats[m])] if m >= 0 else []) + (split(acats[a]) if a >= 0 else [])
            vals.append("|".join(dict.fromkeys(aid[x] for x in names_)) or None)
        cats = pd.Index(sorted({v for v in vals if v}), dtype=object)
        pos = {v: k for k, v in enumerate(cats)}
        lut = np.array([pos[v] if v else -1 for v in vals], dtype=np.int32)
        return pd.Categorical.from_codes(lut[code], categories=cats)

    actor = ids_of(a1, s1)
    opponent = ids_of(a2, s2)
    sub = _cat(df["sub_event_type"])
    transfer = sub.isin(TRANSFER_TYPES).to_numpy()
    a1_ids = np.array([aid.get(str(c)) for c in a1.cat.categories], dtype=object)
    holder_codes = np.where(transfer & (a1.cat.codes.to_numpy() >= 0), a1.cat.codes.to_numpy(), -1)
    controller_after = pd.Categorical.from_codes(holder_codes, categories=pd.Index(a1_ids, dtype=object)) \
        if len(a1_ids) else pd.Categorical([None] * n)

    fat = _codes(col("fatalities")).fillna(0).astype("int64") if "fatalities" in df.columns else 0
    source = _cat(col("source"))
    src_names = [str(c) for c in source.cat.categories]
    src_ids = [f"src-{i + 1:04d}" for i in range(len(src_names))]
    scodes = source.cat.codes.to_numpy()
    if (scodes < 0).any():  # rows without a source share one synthetic source row
        src_names.append("")
        src_ids.append(f"src-{len(src_ids) + 1:04d}")
        scodes = np.where(scodes < 0, len(src_ids) - 1, scodes)
    source_id = pd.Categorical.from_codes(scodes, categories=src_ids)
    events = pd.DataFrame({
        "event_id": pd.Series(pd.arrays.ArrowExtensionArray(_arrow(df["event_id_cnty"]))),
        "date": date, "time_precision": tp,
        "date_basis": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""]),
        "event_type": sub, "acled_event_type": _cat(df["event_type"]),
        "place_id": place_cat, "country": iso2,
        "actor": actor, "opponent": opponent, "controller_after": controller_after,
        "summary": col("notes") if "notes" in df.columns else pd.Series([""] * n),
        "notes": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""]),
        "fatalities": fat, "source_id": source_id,
        # the last day the event may have happened on (a span's end; the date itself for ACLED)
        "date_end": parse_dates(df["date_end"]).fillna(date) if "date_end" in df.columns else date,
    })

    # control periods from consecutive transfers at a place
    tr = events.loc[events["controller_after"].notna(),
                    ["event_id", "date", "time_precision", "place_id", "controller_after", "opponent", "summary",
                     "source_id", "event_type"]].copy()
    tr = tr.sort_values(["place_id", "date"], kind="stable").reset_index(drop=True)  # file order within a day
    tr["place_id"] = tr["place_id"].astype(str)
    nxt = tr.groupby("place_id", sort=False).shift(-1)
    periods = pd.DataFrame({
        "control_id": "ct-" + tr["event_id"].str.lower(), "place_id": tr["place_id"],
        "controller": tr["controller_after"].astype(str), "extent": "full",
        "start": tr["date"], "start_precision": tr["time_precision"].astype("Int64"),
        "end": nxt["date"], "end_precision": nxt["time_precision"].astype("Int64"),
        "event_id": tr["event_id"], "end_event_id": nxt["event_id"], "notes": "",
        # the transfer that started the period, for popups (so the map never reads 1M events)
        "event_summary": tr["summary"].astype(str), "event_type": tr["event_type"].astype(str),
        "event_source": tr["source_id"].astype(str).map(dict(zip(src_ids, src_names))),
    })
    firsts = tr.drop_duplicates("place_id", keep="first")
    loser = firsts["opponent"].astype(object).map(lambda v: str(v).split("|")[0] if isinstance(v, str) and v else None)
    firsts = firsts.assign(loser=loser.to_numpy())[loser.notna().to_numpy()]
    before = pd.DataFrame({
        "control_id": "ct-before-" + firsts["event_id"].str.lower(), "place_id": firsts["place_id"],
        "controller": firsts["loser"], "extent": "full", "start": pd.NaT,
        "start_precision": pd.array([pd.NA] * len(firsts), dtype="Int64"),
        "end": firsts["date"], "end_precision": firsts["time_precision"].astype("Int64"),
        "event_id": None, "end_event_id": firsts["event_id"],
        "notes": "held before the first transfer in the data (start not stated)",
        "event_summary": "", "event_type": "", "event_source": "",
    })
    control = pd.concat([before, periods], ignore_index=True)
    control["start"] = pd.to_datetime(control["start"])
    control["end"] = pd.to_datetime(control["end"])
    control = control.sort_values(["place_id", "start", "control_id"], na_position="first",
                                  kind="stable").reset_index(drop=True)
    for c in ("control_id", "place_id", "controller", "extent", "event_id", "end_event_id", "notes", "event_summary",
              "event_type", "event_source"):
        control[c] = control[c].astype("string")

    # sources: one per distinct source string; published = the latest event date citing it (a
    # file with headlines and source dates, UCDP's, gives the source as "outlet\x1fdate\x1fheadline")
    last = events.groupby("source_id", observed=True)["date"].max()
    parts = [(s.split("\x1f") + ["", ""])[:3] for s in src_names]
    src_names = [p[0] for p in parts]
    given = parse_dates(pd.Series([p[1] for p in parts], dtype="string"))
    published = [g if not pd.isna(g) else last.get(s, date.max()) for g, s in zip(given, src_ids)]
    sources = pd.DataFrame({
        "source_id": src_ids, "seed_file": "", "outlet": [s or "source not given" for s in src_names],
        "headline": [p[2] for p in parts], "published": pd.to_datetime(published),
        "published_precision": 1,
        "published_basis": ["the source's date as the data give it" if not pd.isna(g) else
                            "no publication date given: the latest event date the source is cited for" for g in given],
        "agency": "", "agency_basis": "", "dateline": "", "byline": "", "source_url": "",
        "wire_group": src_ids, "notes": "",
    })
    sources["published_precision"] = sources["published_precision"].astype("Int64")
    claims = pd.DataFrame({c: pd.Series(dtype="string") for c in CLAIM_COLUMNS})
    geocoded = places[["place_id", "name", "kind", "country"]].assign(
        geonameid=pd.array([pd.NA] * len(places), dtype="Int64"), geonames_name="",
        lat=places["lat"], lon=places["lon"], geo_precision=places["geo_precision"],
        geocode_basis="ACLED latitude/longitude", match="", candidates=0)
    for frame in (places, actors, sources, geocoded):
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].astype("string")
    return {"events": events, "places": places, "actors": actors, "control": control, "sources": sources,
            "claims": claims, "geocoded": geocoded}


CLAIM_COLUMNS = ("claim_id", "quantity", "value", "low", "high", "unit", "qualifier", "place_id", "scope", "as_of",
                 "as_of_precision", "claimant", "claimant_id", "derivation", "derived_from", "note")


# --------------------------------------------------------------------------- cache, validation, loading
@dataclass(frozen=True)
class Spec:
    """What differs between event-file adapters that share this module's reading, cache and
    loading (ACLED here; UCDP in :mod:`.ucdp`): the adapter's name, its one file, how a file
    becomes a checked ACLED-shaped frame, the source files its cache depends on, and words."""

    name: str
    the_csv: Callable[[Path], Path]
    read_checked: Callable[[Path], tuple]  # path -> (ACLED-shaped frame | None, errors)
    code: tuple[Path, ...]
    cache_root: Path
    description: str
    layout: Callable[[Path], tuple[str, str]]  # path -> (layout name, variants in words)


def cache_key(csv_path: Path, spec: "Spec | None" = None) -> str:
    spec = spec or SPEC
    st = csv_path.stat()
    h = hashlib.sha256()
    h.update(f"{csv_path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for f in (Path(__file__), Path(table.__file__), *spec.code):
        h.update(f.read_bytes())
    return h.hexdigest()[:32]


def cache_dir(data_dir: Path, spec: "Spec | None" = None) -> Path:
    spec = spec or SPEC
    return spec.cache_root / cache_key(spec.the_csv(Path(data_dir)), spec)


def _read_checked(path: Path):
    df, errors, first_row = read_table(path)
    if df is not None:
        errors += check(df, paths.rel(path), first_row)
    return df, errors


def validate(data_dir, spec: "Spec | None" = None) -> tuple[list[DataError], list[DataError]]:
    """All problems of the folder's file, one :class:`DataError` each (no caching), and no warnings."""
    spec = spec or SPEC
    try:
        path = spec.the_csv(Path(data_dir))
    except ValidationFailed as exc:
        return exc.errors, []
    return spec.read_checked(path)[1], []


def ensure_valid(data_dir, spec: "Spec | None" = None) -> Path:
    """Validate once per change of the CSV and build the Parquet cache; raise
    :class:`ValidationFailed` on problems. Returns ``data_dir``."""
    spec = spec or SPEC
    data_dir = Path(data_dir)
    target = cache_dir(data_dir, spec)
    if (target / "meta.json").is_file():
        return data_dir
    path = spec.the_csv(data_dir)
    df, errors = spec.read_checked(path)
    if errors:
        raise ValidationFailed(errors)
    tables = derive(df)
    del df
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    try:
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd" if name != "events" else "lz4")
        ev = tables["events"]
        layout, variants = spec.layout(path)
        meta = {"csv": paths.rel(path), "layout": layout, "variants": variants, "rows": int(len(ev)),
                "first": ev["date"].min().date().isoformat(), "last": ev["date"].max().date().isoformat(),
                "countries": sorted(str(c) for c in ev["country"].dropna().unique()),
                "transfers": int(ev["controller_after"].notna().sum())}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:  # another process won the race: its cache is as good as ours
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return data_dir


TITLE = "Events in {region}, {first} to {last}"
DESCRIPTION = ("The data are one ACLED-format CSV ({csv}: {events}): each row is an event as ACLED codes it, "
               "with ACLED's source field; sides are inferred from actor names and type codes, and nothing is "
               "checked against an article.")


def layout_name(lay) -> str:
    """Which of ACLED's column layouts a file has (for messages and the README's table)."""
    names = set(lay.names)
    if "gwno" in names or "ally_actor_1" in names or "sub_event_type" not in names:
        return "pre-2019"
    if "data_id" in names or "iso3" in names:
        return "2019-2022"
    return "current"


def _layout(path: Path) -> tuple[str, str]:
    lay = table.sniff(path)
    return layout_name(lay), lay.describe()


def summary(folder: Path, spec: "Spec | None" = None) -> str:
    spec = spec or SPEC
    ensure_valid(folder, spec)  # builds the cache (and its metadata) once
    meta = json.loads((cache_dir(folder, spec) / "meta.json").read_text(encoding="utf-8"))
    return describe(meta, spec.name)


def describe(meta: dict, adapter: str) -> str:
    """What ``make validate`` says it read: adapter, file and layout, rows, date range, countries."""
    countries = ", ".join(COUNTRY_NAME.get(c, c) for c in meta.get("countries", [])) or "none"
    variants = f"; {meta['variants']}" if meta.get("variants") else ""
    return (f"{adapter} ({meta.get('layout', '')} layout{variants}): 1 file {meta['csv']}, {meta['rows']:,} events "
            f"from {meta['first']} to {meta['last']}, countries: {countries}")


def region_of(codes) -> str:
    """'Iraq', 'Iraq and Syria', or 'the region' for more than two countries."""
    countries = [COUNTRY_NAME.get(c, c) for c in codes]
    return " and ".join(countries) if 0 < len(countries) <= 2 else "the region"


def load(data_dir, tables=None, spec: "Spec | None" = None) -> Dataset:
    """Validate (cached) and return the dataset; tables are read from the Parquet cache on
    first use (``evidence``: one row per event, the notes as the quote, built not stored)."""
    spec = spec or SPEC
    data_dir = ensure_valid(Path(data_dir), spec)
    cache = cache_dir(data_dir, spec)
    meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))

    def read(name: str, cols=None) -> pd.DataFrame:
        if name == "evidence":
            ev = pd.read_parquet(cache / "events.parquet", columns=["event_id", "source_id", "summary"])
            ev = ev.rename(columns={"event_id": "record_id", "summary": "quote"})
            # ACLED's ``source`` column names who reports each event: it is the source row's
            # outlet, so every row is "the outlet's own voice" (model.OUTLET), verb "reported".
            ev = ev.assign(asserted_by=model.OUTLET, asserted_by_id=pd.NA, verb="reported", supports="context")
            return ev if cols is None else ev[cols]
        return pd.read_parquet(cache / f"{name}.parquet", columns=cols)

    first, last = dt.date.fromisoformat(meta["first"]), dt.date.fromisoformat(meta["last"])
    region = region_of(meta.get("countries", []))
    day = lambda d: f"{d.day} {d:%B %Y}"  # noqa: E731
    return Dataset(data_dir=data_dir, title=TITLE.format(region=region, first=day(first), last=day(last)),
                   short_title=f"Events in {region}",
                   region=region, period=(first, last),
                   description=spec.description.format(csv=Path(meta["csv"]).name, n=meta["rows"],
                                                       events=words.count(meta["rows"], "event")),
                   has_quotes=False, has_claims=False, has_transfers=bool(meta.get("transfers", 0)),
                   has_attribution=True, has_publication_dates=False, n_events=meta["rows"], reader=read)


SPEC = Spec(name=NAME, the_csv=_the_csv, read_checked=_read_checked, code=(), cache_root=CACHE_ROOT,
            description=DESCRIPTION, layout=_layout)

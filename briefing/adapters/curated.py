"""The curated article tables: a folder with ``datapackage.json`` and the seven CSVs
(``data/README.md``), read into the model.

Validation (:mod:`briefing.validate`) runs first and a success is memoised in
``build/cache/validated/<key>``, where ``key`` is the SHA-256 over the names and SHA-256s of
every input — the data CSVs and ``datapackage.json``, every file in the seeds folder, the
geocoding lock, and the source of the validator itself. Any change re-runs the full
validation; a failed validation is never cached. Frictionless is imported only when
validation actually runs.

Tables are typed from ``datapackage.json`` (the schema is the single source of truth): dates
as ``datetime64``, integers as ``Int64``, numbers as ``Float64``, text as ``string``; empty
cells are ``<NA>``/``NaT``. Harmless variants of a CSV (a UTF-8 byte-order mark, CRLF line
ends, columns in another order, an extra column) are accepted: every table is read through
:func:`briefing.validate.read_csv`, exactly as the validator saw it, and only the schema's
columns are kept. ``geocoded`` is the geocoding lock (``geocoded/places.csv``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

from .._lazy import pandas as pd

from .. import paths
from ..errors import DataError, ValidationFailed
from ..model import Dataset

NAME = "curated"
TITLE = "The collapse of the Islamic State's territory in Syria and Iraq"
DESCRIPTION = ("Every row was transcribed by hand from five news articles (copied byte for byte into "
               "seeds/) and carries a verbatim quote that the build finds in the article text.")

#: The articles' campaign opens with the fall of Mosul (July 2017): the briefing's window starts there;
#: older events (the 2014 rampage, the caliphate's declaration) are background.
WINDOW_START = dt.date(2017, 7, 1)

TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")
CACHE_DIR = paths.BUILD / "cache" / "validated"
_VALIDATOR_SOURCES = ("validate.py", "provenance.py", "sources.py", "errors.py", "paths.py", "geocode.py")
_CODE_DIR = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- validation cache

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_key(data_dir: Path) -> str:
    """SHA-256 over every input of a validation (see module docstring)."""
    from ..validate import seeds_dir_for

    h = hashlib.sha256()
    h.update(str(data_dir.resolve()).encode())
    groups = {
        "data": sorted([*data_dir.glob("*.csv"), data_dir / "datapackage.json"]),
        "geocoded": sorted(p for p in (data_dir / "geocoded").glob("*") if p.is_file()),
        "seeds": sorted(p for p in seeds_dir_for(data_dir).iterdir() if p.is_file()),
        "code": [_CODE_DIR / n for n in _VALIDATOR_SOURCES] + [Path(__file__)],
    }
    for group, files in groups.items():
        for p in files:
            digest = _sha(p) if p.is_file() else "missing"
            h.update(f"{group}/{p.name}\0{digest}\n".encode())
    return h.hexdigest()


def ensure_valid(data_dir: Path) -> Path:
    """Validate (or reuse a cached success); raise :class:`ValidationFailed` on problems."""
    try:
        key = input_key(data_dir)
    except OSError as exc:
        raise ValidationFailed([DataError(paths.rel(data_dir), f"cannot read inputs: {exc}")]) from None
    marker = CACHE_DIR / key
    if marker.is_file():
        return data_dir
    from .. import validate as v  # imports frictionless lazily, only when needed

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", v.DataWarning)
        errors = v.validate(data_dir)
    for w in caught:
        if issubclass(w.category, v.DataWarning):
            print(f"warning: {w.message}", file=sys.stderr)
        else:  # pragma: no cover - not ours: hand it back
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if errors:
        raise ValidationFailed(errors)
    try:  # atomic write; a read-only build/ only costs speed
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=CACHE_DIR)
        with os.fdopen(fd, "w") as fh:
            json.dump({"data_dir": paths.rel(data_dir), "validated": dt.datetime.now().isoformat(timespec="seconds")}, fh)
        os.replace(tmp, marker)
    except OSError:
        pass
    return data_dir


# --------------------------------------------------------------------------- loading

def _typed(df: pd.DataFrame, fields: list[dict]) -> pd.DataFrame:
    out = {}
    for f in fields:
        name = f["name"]
        col = df[name].replace("", None) if name in df else pd.Series([None] * len(df))
        kind = f.get("type", "string")
        if kind == "date":
            out[name] = pd.to_datetime(col, format="%Y-%m-%d")
        elif kind == "integer":
            out[name] = pd.to_numeric(col).astype("Int64")
        elif kind == "number":
            out[name] = pd.to_numeric(col).astype("Float64")
        else:
            out[name] = col.astype("string")
    return pd.DataFrame(out, index=df.index)


# --------------------------------------------------------------------------- the adapter
def recognise(folder: Path) -> str | None:
    if (folder / "datapackage.json").is_file() or any((folder / f"{t}.csv").is_file() for t in TABLES):
        return None
    return "no datapackage.json and none of " + ", ".join(f"{t}.csv" for t in TABLES)


def validate(folder: Path) -> tuple[list[DataError], list[DataError]]:
    from .. import validate as v

    outcome = v.run(folder)
    return outcome.errors, outcome.warnings


def summary(folder: Path) -> str:
    from .. import validate as v

    files, rows = v.row_count(folder)
    return f"{files} files, {rows} rows valid"


def support_table(folder: Path) -> str:
    """The field-by-field support table (:func:`briefing.provenance.support_table`)."""
    from .. import provenance
    from .. import validate as v

    tables, _, _ = v.read_tables(folder)
    return provenance.support_table({k: t.dicts() for k, t in tables.items()})


def load(data_dir: Path, tables=None) -> Dataset:
    """Validate ``data_dir`` and return its dataset; ``tables`` are read now, others on first use."""
    data_dir = ensure_valid(data_dir)
    from ..validate import read_csv

    desc = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8-sig"))
    schemas = {r["name"]: r["schema"]["fields"] for r in desc["resources"]}

    def read(name: str, cols=None) -> pd.DataFrame:
        if name == "geocoded":
            from ..geocode import load_geocoded

            frame = load_geocoded(data_dir)
        else:
            table, errors, _ = read_csv(data_dir / f"{name}.csv", [f["name"] for f in schemas[name]])
            if table is None:  # changed since it was validated
                raise ValidationFailed(errors)
            frame = _typed(pd.DataFrame(table.records, columns=table.header, dtype=str), schemas[name])
        return frame if cols is None else frame[cols]

    frames = {name: read(name) for name in (TABLES if tables is None else tables) if name != "basemap"}
    events = frames.get("events")
    if events is None:
        events = read("events")
    sources = frames.get("sources")
    if sources is None:
        sources = read("sources")
    period = (events["date"].min().date(), sources["published"].max().date())
    return Dataset(data_dir=data_dir, title=TITLE, short_title="IS territory, Syria and Iraq",
                   region="Syria and Iraq", period=period,
                   description=DESCRIPTION, has_quotes=True, has_claims=True, has_transfers=True,
                   has_attribution=True, has_publication_dates=True, n_events=len(events),
                   window_start=WINDOW_START, first_published=sources["published"].min().date(),
                   reader=read, frames=frames)

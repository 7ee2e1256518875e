"""The only way notebooks and the report read the curated data.

``load()`` validates the data folder first (:func:`briefing.validate.validate`) and raises
:class:`~briefing.errors.ValidationFailed` on any problem, then returns typed DataFrames:
dates as ``datetime64``, integers as ``Int64``, numbers as ``Float64``, text as ``string``;
empty cells are ``<NA>``/``NaT``. Types come from ``datapackage.json``, so the schema is the
single source of truth.

Speed (five notebooks each call ``load()``): a successful validation is memoised in
``build/cache/validated/<key>``, where ``key`` is the SHA-256 over the names and SHA-256s of
every input — the data CSVs and ``datapackage.json``, every file in the seeds folder, and the
source of the validator itself (``validate.py``, ``sources.py``, ``errors.py``, ``paths.py``).
Any change to any of them re-runs the full validation. Frictionless is imported only when
validation actually runs, so a warm ``load()`` costs a few file hashes and CSV reads.
A failed validation is never cached. The key also covers ``<data_dir>/geocoded/`` (the
validator checks the geocoding lock).

Harmless variants of a CSV (a UTF-8 byte-order mark, CRLF line ends, columns in another order,
a column ``datapackage.json`` does not describe) are accepted: the loader reads every table
through :func:`briefing.validate.read_csv`, exactly as the validator saw it, and keeps only the
schema's columns. Validation warnings (that extra column, HTML markup in a text) are printed on
stderr as ``warning: …`` lines when validation runs; they do not stop the build.
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
from typing import Iterable

import pandas as pd

from . import paths
from .errors import DataError, ValidationFailed

TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")
CACHE_DIR = paths.BUILD / "cache" / "validated"
_VALIDATOR_SOURCES = ("validate.py", "sources.py", "errors.py", "paths.py", "geocode.py")


class Dataset:
    """Typed tables as attributes (``ds.events``, ``ds.places`` …) plus the folder they came from."""

    def __init__(self, data_dir: Path, frames: dict[str, pd.DataFrame]):
        self.data_dir = data_dir
        self._frames = dict(frames)

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("_frames", {})
        if name in frames:
            return frames[name]
        if name in TABLES:
            raise AttributeError(f"table '{name}' was not loaded (pass tables=None or include it)")
        raise AttributeError(name)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self._frames)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self._frames.items())
        return f"Dataset({paths.rel(self.data_dir)}: {sizes})"


# --------------------------------------------------------------------------- validation cache

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_key(data_dir: Path) -> str:
    """SHA-256 over every input of a validation (see module docstring)."""
    from .validate import seeds_dir_for

    h = hashlib.sha256()
    h.update(str(data_dir.resolve()).encode())
    groups = {
        "data": sorted([*data_dir.glob("*.csv"), data_dir / "datapackage.json"]),
        "geocoded": sorted(p for p in (data_dir / "geocoded").glob("*") if p.is_file()),
        "seeds": sorted(p for p in seeds_dir_for(data_dir).iterdir() if p.is_file()),
        "code": [Path(__file__).with_name(n) for n in _VALIDATOR_SOURCES],
    }
    for group, files in groups.items():
        for p in files:
            digest = _sha(p) if p.is_file() else "missing"
            h.update(f"{group}/{p.name}\0{digest}\n".encode())
    return h.hexdigest()


def ensure_valid(data_dir: str | Path | None = None) -> Path:
    """Validate (or reuse a cached success); raise :class:`ValidationFailed` on problems."""
    data_dir = paths.resolve(data_dir, paths.DATA)
    if not data_dir.is_dir():
        raise ValidationFailed([DataError(paths.rel(data_dir), "data folder not found")])
    from . import acled  # an ACLED-format folder: validated and cached by briefing/acled.py

    if acled.is_acled_folder(data_dir):
        return acled.ensure_valid(data_dir)
    try:
        key = input_key(data_dir)
    except OSError as exc:
        raise ValidationFailed([DataError(paths.rel(data_dir), f"cannot read inputs: {exc}")]) from None
    marker = CACHE_DIR / key
    if marker.is_file():
        return data_dir
    from . import validate as v  # imports frictionless lazily, only when needed

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


def load(data_dir: str | Path | None = None, tables: Iterable[str] | None = None) -> Dataset:
    """Validate ``data_dir`` (default ``data/``) and return its tables as typed DataFrames.

    ``tables`` restricts which tables are read (all are still validated). An ACLED-format
    folder (no ``datapackage.json``, one ACLED CSV) gives a :class:`briefing.acled.AcledDataset`.
    """
    from . import acled

    if acled.is_acled_folder(paths.resolve(data_dir, paths.DATA)):
        return acled.load(paths.resolve(data_dir, paths.DATA), tables)
    data_dir = ensure_valid(data_dir)
    wanted = list(TABLES if tables is None else tables)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValidationFailed([DataError(paths.rel(data_dir), f"unknown table '{t}'") for t in unknown])
    from .validate import read_csv

    desc = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8-sig"))
    schemas = {r["name"]: r["schema"]["fields"] for r in desc["resources"]}
    frames = {}
    for name in wanted:
        table, errors, _ = read_csv(data_dir / f"{name}.csv", [f["name"] for f in schemas[name]])
        if table is None:  # changed since it was validated
            raise ValidationFailed(errors)
        raw = pd.DataFrame(table.records, columns=table.header, dtype=str)
        frames[name] = _typed(raw, schemas[name])
    return Dataset(data_dir, frames)


# --------------------------------------------------------------------------- queries

def control_at(ds: Dataset, date) -> pd.DataFrame:
    """Who held each place on ``date``: one row per place with a control period covering it.

    Periods are half-open ``[start, end)``: on the day of a capture the new controller holds
    the place. An empty ``start`` means "held before the period the articles cover"; an empty
    ``end`` means "still held in the latest article reporting the place". Places with no period
    covering the date (e.g. Hawija after IS lost it: the captor is not named) are absent.
    """
    when = pd.Timestamp(date)
    c = ds.control
    mask = (c["start"].isna() | (c["start"] <= when)) & (c["end"].isna() | (when < c["end"]))
    cols = ["place_id", "controller", "extent", "control_id", "start", "end"]
    return c.loc[mask, cols].set_index("place_id").sort_index()


def wire_group(ds: Dataset) -> dict[str, str]:
    """``{source_id: wire_group}`` as recorded (and validated) in ``sources.csv``."""
    return dict(zip(ds.sources["source_id"], ds.sources["wire_group"]))


def independent_sources(ds: Dataset, source_ids: Iterable[str]) -> int:
    """Number of independent sources among ``source_ids`` (distinct wire groups)."""
    groups = wire_group(ds)
    return len({groups.get(s, s) for s in source_ids})


def corroboration(ds: Dataset) -> pd.DataFrame:
    """Per record (event, control period or claim): sources, and independent sources.

    ``n_independent`` merges sources of one wire group and sources whose quotes for the
    record are near-duplicates (:func:`briefing.sources.independent_count`).
    """
    from .sources import independent_count

    groups = wire_group(ds)
    rows = []
    for rid, ev in ds.evidence.groupby("record_id", sort=True):
        pairs = list(zip(ev["source_id"], ev["quote"]))
        srcs = sorted(set(ev["source_id"]))
        rows.append({"record_id": rid, "source_ids": "|".join(srcs), "n_sources": len(srcs),
                     "n_independent": independent_count(pairs, groups)})
    out = pd.DataFrame(rows)
    return out.astype({"record_id": "string", "source_ids": "string",
                       "n_sources": "Int64", "n_independent": "Int64"})

"""Validate a data folder: ``python -m briefing validate [--data-dir DIR]``.

Two layers, both reported as one-line :class:`~briefing.errors.DataError`\\ s
(``file, row N, column 'c': problem``; header = row 1, first data row = row 2):

1. **Frictionless** validation of ``<data_dir>/datapackage.json``: field types, enums,
   patterns, required fields, primary keys, single-column foreign keys. Frictionless reports are
   mapped to one line per problem (a short row's missing cells become one line, not one per cell).
2. **Checks no Table Schema can express** (each has a failing fixture in ``tests/``):

   ========================  ================================================================
   ``quote``                 every evidence quote occurs in the seed of its ``source_id``
                             (normalising only whitespace, typographic quotes and dashes)
   ``alias``                 every alias of a place or actor occurs verbatim in some seed
   ``headline``/``seed``     each source's seed file exists, its id matches the file prefix,
                             its headline occurs in it, and seeds match ``SHA256SUMS``
   ``published``             no event (``date``) or claim (``as_of``) is dated after the
                             publication of a source that backs it
   ``precision``             a month/year-precision date is the first day of its month
   ``range``                 ``low ≤ value ≤ high`` in claims
   ``reference``             ids inside ``|``-lists (event actors/opponents, ``derived_from``)
                             and ``evidence.record_id`` exist; ``parent_id`` is not the place
   ``evidence``              every event, control period and claim has an evidence row
   ``control``               periods of one place do not overlap; ``start < end``; a period
                             with a ``start`` names the territorial-change ``event_id`` at that
                             place with the same date, precision and ``controller_after``; one
                             with an ``end`` names the ``end_event_id`` at that place and date;
                             every event with ``controller_after`` starts a period, every
                             ``loss`` event ends one
   ``wire_group``            ``sources.wire_group`` agrees with near-duplicate detection
                             (:mod:`briefing.sources`)
   ========================  ================================================================

Seeds are looked up in ``<data_dir>/seeds/`` when that folder exists (a data folder may ship its
own seeds), otherwise in the project's ``seeds/``.

Nothing here raises for bad data: missing files, unreadable CSV and invalid JSON are one line
each. Frictionless is imported lazily (it takes ~0.5 s to import).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Callable

from . import paths
from .errors import DataError
from .sources import normalise, seed_texts, wire_groups

TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")
RECORD_KEYS = {"events": "event_id", "control": "control_id", "claims": "claim_id"}
TERRITORIAL_LOSS_TYPES = {"loss", "withdrawal"}

Row = dict[str, str]
Tables = dict[str, list[Row]]


def seeds_dir_for(data_dir: Path) -> Path:
    """``<data_dir>/seeds`` if it exists, else the project's ``seeds/``."""
    own = Path(data_dir) / "seeds"
    return own if own.is_dir() else paths.SEEDS


# --------------------------------------------------------------------------- reading

def _read_descriptor(data_dir: Path) -> tuple[dict | None, list[DataError]]:
    path = data_dir / "datapackage.json"
    where = paths.rel(path)
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [DataError(where, "file not found")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DataError(where, f"cannot read file: {exc}")]
    except json.JSONDecodeError as exc:
        return None, [DataError(where, f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]
    if not isinstance(desc, dict) or not isinstance(desc.get("resources"), list):
        return None, [DataError(where, "not a data package: no 'resources' list")]
    errors = []
    names = {r.get("name") for r in desc["resources"] if isinstance(r, dict)}
    for name in TABLES:
        if name not in names:
            errors.append(DataError(where, f"resource '{name}' ({name}.csv) is not described"))
    for r in desc["resources"]:
        if isinstance(r, dict) and r.get("name") in TABLES and r.get("path") != f"{r['name']}.csv":
            errors.append(DataError(where, f"resource '{r['name']}' must have path '{r['name']}.csv'"))
    return (None if errors else desc), errors


def _read_tables(data_dir: Path) -> tuple[Tables, list[DataError]]:
    """Read every table as a list of string dicts; unreadable files become one error each."""
    tables: Tables = {}
    errors: list[DataError] = []
    for name in TABLES:
        path = data_dir / f"{name}.csv"
        where = paths.rel(path)
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh, strict=True)
                rows = []
                for row in reader:
                    rows.append({k: (v or "") for k, v in row.items() if isinstance(k, str)})
                tables[name] = rows
        except FileNotFoundError:
            errors.append(DataError(where, "file not found"))
        except UnicodeDecodeError as exc:
            errors.append(DataError(where, f"not UTF-8: byte {exc.start} cannot be decoded"))
        except csv.Error as exc:
            errors.append(DataError(where, f"unreadable CSV: {exc}", row=None))
        except OSError as exc:
            errors.append(DataError(where, f"cannot read file: {exc}"))
    return tables, errors


# --------------------------------------------------------------------------- frictionless

def _frictionless(data_dir: Path, skip_files: set[str]) -> list[DataError]:
    """Frictionless package validation mapped to one line per problem."""
    from frictionless import Package  # lazy: slow import

    try:
        report = Package(str(data_dir / "datapackage.json")).validate()
    except Exception as exc:  # invalid descriptor and the like: still one line
        return [DataError(paths.rel(data_dir / "datapackage.json"), f"invalid data package: {exc}")]
    errors: list[DataError] = []
    for task in report.tasks:
        where = paths.rel(data_dir / f"{task.name}.csv")
        if where in skip_files:
            continue
        missing: dict[int, list[str]] = {}
        for e in task.errors:
            if e.type == "missing-cell":
                missing.setdefault(e.row_number, []).append(e.field_name)
        unique_rows = {e.row_number for e in task.errors if e.type == "unique-error"}
        for e in task.errors:
            row = getattr(e, "row_number", None)
            col = getattr(e, "field_name", None)
            cell = getattr(e, "cell", None)
            t = e.type
            if t == "missing-cell":
                continue  # one line per short row, below
            if t == "constraint-error" and "required" in e.note and col in missing.get(row, ()):
                continue  # reported by the short-row line
            if t == "primary-key" and row in unique_rows:
                continue  # reported by the unique-error line
            errors.append(DataError(where, _message(e, cell), row=row, column=_column(e, col)))
        for row, cols in missing.items():
            errors.append(DataError(where, f"row is short: missing cells for {', '.join(cols)}", row=row))
    return errors


def _column(e, col):
    if col:
        return col
    names = getattr(e, "field_names", None)
    if names:
        return "|".join(names)
    label = getattr(e, "label", None)
    return label or None


def _message(e, cell) -> str:
    t, note = e.type, e.note
    if t == "type-error":
        kind = note.split('"')[1] if '"' in note else note
        hint = " (expected ISO YYYY-MM-DD)" if kind.startswith("date") else ""
        return f"'{cell}' is not a valid {kind.split('/')[0]}{hint}"
    if t == "constraint-error":
        if "required" in note:
            return "required value is missing"
        return f"'{cell}' violates {note}"
    if t == "unique-error":
        return f"duplicate value '{cell}' ({note.replace('position', 'row')})"
    if t == "primary-key":
        return f"duplicate primary key ({note.replace('position', 'row')})"
    if t == "foreign-key":
        return f"unknown reference: {note}"
    if t in {"scheme-error", "source-error", "encoding-error", "format-error"}:
        return f"{e.title.lower()}: {note}"
    return f"{e.title.lower()}" + (f": {note}" if note else "")


# --------------------------------------------------------------------------- custom checks

def _date(s: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(s) if s else None
    except ValueError:
        return None


def _num(s: str) -> float | None:
    try:
        return float(s) if s != "" else None
    except ValueError:
        return None


def _int(s: str) -> int | None:
    try:
        return int(s) if s != "" else None
    except ValueError:
        return None


def _split(s: str) -> list[str]:
    return [p for p in s.split("|")] if s else []


class _Ctx:
    """Everything the custom checks share."""

    def __init__(self, data_dir: Path, tables: Tables):
        self.data_dir = data_dir
        self.t = tables
        self.seeds_dir = seeds_dir_for(data_dir)
        self.seeds: dict[str, str] = {}        # source_id -> raw text
        self.norm_seeds: dict[str, str] = {}   # source_id -> normalised text
        for r in tables.get("sources", []):
            p = self.seeds_dir / r.get("seed_file", "")
            if r.get("seed_file") and p.is_file():
                try:
                    self.seeds[r["source_id"]] = p.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    pass
        self.norm_seeds = {k: normalise(v) for k, v in self.seeds.items()}
        self.all_seed_text = "\n".join(self.norm_seeds.values())

    def f(self, table: str) -> str:
        return paths.rel(self.data_dir / f"{table}.csv")

    def rows(self, table: str):
        """``(row_number, row)`` pairs; header is row 1."""
        return enumerate(self.t.get(table, []), start=2)

    def ids(self, table: str, key: str) -> set[str]:
        return {r.get(key, "") for r in self.t.get(table, [])}

    def published(self) -> dict[str, dt.date]:
        return {r["source_id"]: d for r in self.t.get("sources", []) if (d := _date(r.get("published", "")))}


def check_seeds(c: _Ctx) -> list[DataError]:
    """Seed files exist, ids match file prefixes, headlines occur, SHA256SUMS match."""
    errs = []
    for n, r in c.rows("sources"):
        sid, name = r.get("source_id", ""), r.get("seed_file", "")
        if name and not (c.seeds_dir / name).is_file():
            errs.append(DataError(c.f("sources"), f"seed file '{name}' not found in {paths.rel(c.seeds_dir)}", n, "seed_file"))
            continue
        if name and sid and sid != "s" + name[:3]:
            errs.append(DataError(c.f("sources"), f"source_id '{sid}' does not match the seed file prefix ('s{name[:3]}')", n, "source_id"))
        head = r.get("headline", "")
        if head and sid in c.norm_seeds and normalise(head) not in c.norm_seeds[sid]:
            errs.append(DataError(c.f("sources"), f"headline not found in seed {name}", n, "headline"))
    sums = c.seeds_dir / "SHA256SUMS"
    if sums.is_file():
        for line in sums.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) != 2:
                continue
            digest, name = parts[0], parts[1].lstrip("*")
            p = c.seeds_dir / name
            if not p.is_file():
                errs.append(DataError(paths.rel(sums), f"listed seed '{name}' is missing"))
            elif hashlib.sha256(p.read_bytes()).hexdigest() != digest:
                errs.append(DataError(paths.rel(p), "SHA-256 does not match SHA256SUMS: the seed was modified"))
    return errs


def check_aliases(c: _Ctx) -> list[DataError]:
    """Every alias of a place or actor occurs verbatim (after normalisation) in some seed."""
    errs = []
    if not c.seeds:
        return errs
    for table in ("places", "actors"):
        for n, r in c.rows(table):
            for alias in _split(r.get("aliases", "")):
                if not alias.strip():
                    errs.append(DataError(c.f(table), "empty alias in '|'-list", n, "aliases"))
                elif normalise(alias) not in c.all_seed_text:
                    errs.append(DataError(c.f(table), f"alias '{alias}' not found in any seed", n, "aliases"))
    return errs


def check_references(c: _Ctx) -> list[DataError]:
    """Ids that the schema's foreign keys cannot check: ``|``-lists and evidence.record_id."""
    errs = []
    actors = c.ids("actors", "actor_id")
    claims = c.ids("claims", "claim_id")
    for n, r in c.rows("events"):
        for col in ("actor", "opponent"):
            for a in _split(r.get(col, "")):
                if a not in actors:
                    errs.append(DataError(c.f("events"), f"unknown actor_id '{a}'", n, col))
    for n, r in c.rows("claims"):
        for d in _split(r.get("derived_from", "")):
            if d not in claims:
                errs.append(DataError(c.f("claims"), f"unknown claim_id '{d}'", n, "derived_from"))
        if r.get("derived_from") and r.get("derivation", "").strip() == "stated":
            errs.append(DataError(c.f("claims"), "a value derived from other claims cannot be 'stated'", n, "derivation"))
    for n, r in c.rows("places"):
        if r.get("parent_id") and r.get("parent_id") == r.get("place_id"):
            errs.append(DataError(c.f("places"), "a place cannot be its own parent", n, "parent_id"))
    records = set()
    for table, key in RECORD_KEYS.items():
        records |= c.ids(table, key)
    for n, r in c.rows("evidence"):
        rid = r.get("record_id", "")
        if rid and rid not in records:
            errs.append(DataError(c.f("evidence"), f"unknown record_id '{rid}' (not an event, control or claim id)", n, "record_id"))
    return errs


def check_evidence_coverage(c: _Ctx) -> list[DataError]:
    """Every event, control period and claim has at least one evidence row."""
    covered = c.ids("evidence", "record_id")
    errs = []
    for table, key in RECORD_KEYS.items():
        for n, r in c.rows(table):
            if r.get(key) and r[key] not in covered:
                errs.append(DataError(c.f(table), f"no evidence row for '{r[key]}' in evidence.csv", n, key))
    return errs


def check_quotes(c: _Ctx) -> list[DataError]:
    """Every quote occurs in its source's seed (whitespace, quotes and dashes normalised)."""
    errs = []
    names = {r.get("source_id"): r.get("seed_file") for r in c.t.get("sources", [])}
    for n, r in c.rows("evidence"):
        sid, quote = r.get("source_id", ""), r.get("quote", "")
        if sid not in c.norm_seeds or not quote:
            continue  # unknown source / empty quote: reported by the schema
        q = normalise(quote)
        if q not in c.norm_seeds[sid]:
            ok = _matching_prefix(q, c.norm_seeds[sid])
            where = f"matches up to \"...{q[max(0, ok - 30):ok]}\", then \"{q[ok:ok + 30]}...\""
            errs.append(DataError(c.f("evidence"), f"quote not found in seed {names[sid]} of {sid}: {where}", n, "quote"))
    return errs


def _matching_prefix(q: str, text: str) -> int:
    """Length of the longest prefix of ``q`` that occurs in ``text`` (binary search)."""
    lo, hi = 0, len(q)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if q[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    return lo


def check_dates(c: _Ctx) -> list[DataError]:
    """Nothing dated after the publication of a source backing it; precision-3 dates are 1st of month."""
    errs = []
    pub = c.published()
    sources_of: dict[str, set[str]] = {}
    for r in c.t.get("evidence", []):
        sources_of.setdefault(r.get("record_id", ""), set()).add(r.get("source_id", ""))
    for table, key, col, pcol in (("events", "event_id", "date", "time_precision"),
                                  ("claims", "claim_id", "as_of", "as_of_precision")):
        for n, r in c.rows(table):
            d = _date(r.get(col, ""))
            if d is None:
                continue
            for sid in sorted(sources_of.get(r.get(key, ""), ())):
                if sid in pub and d > pub[sid]:
                    errs.append(DataError(c.f(table), f"dated {d}, after the publication of its source {sid} ({pub[sid]})", n, col))
            if _int(r.get(pcol, "")) == 3 and d.day != 1:
                errs.append(DataError(c.f(table), f"{pcol} 3 (month) requires the first day of the month, got {d}", n, col))
    return errs


def check_ranges(c: _Ctx) -> list[DataError]:
    """``low ≤ value ≤ high`` where present."""
    errs = []
    for n, r in c.rows("claims"):
        lo, v, hi = _num(r.get("low", "")), _num(r.get("value", "")), _num(r.get("high", ""))
        if lo is not None and hi is not None and lo > hi:
            errs.append(DataError(c.f("claims"), f"low {r['low']} is greater than high {r['high']}", n, "low"))
        if v is not None and lo is not None and v < lo:
            errs.append(DataError(c.f("claims"), f"value {r['value']} is below low {r['low']}", n, "value"))
        if v is not None and hi is not None and v > hi:
            errs.append(DataError(c.f("claims"), f"value {r['value']} is above high {r['high']}", n, "value"))
    return errs


def check_control(c: _Ctx) -> list[DataError]:
    """Control periods: no overlap per place, ``start < end``, agreement with events both ways."""
    errs = []
    f = c.f("control")
    events = {r.get("event_id"): r for r in c.t.get("events", [])}
    periods: dict[str, list[tuple[int, dt.date | None, dt.date | None, str]]] = {}
    started, ended = set(), set()
    for n, r in c.rows("control"):
        place, ctl = r.get("place_id", ""), r.get("controller", "")
        start, end = _date(r.get("start", "")), _date(r.get("end", ""))
        if start and end and start >= end:
            errs.append(DataError(f, f"end {end} is not after start {start}", n, "end"))
        periods.setdefault(place, []).append((n, start, end, r.get("control_id", "")))
        ev_id, end_id = r.get("event_id", ""), r.get("end_event_id", "")
        if r.get("start") and not ev_id:
            errs.append(DataError(f, "a period with a start must name the event that started it", n, "event_id"))
        if r.get("end") and not end_id:
            errs.append(DataError(f, "a period with an end must name the event that ended it", n, "end_event_id"))
        if ev_id in events:
            started.add(ev_id)
            ev = events[ev_id]
            if ev.get("place_id") != place:
                errs.append(DataError(f, f"event '{ev_id}' is at '{ev.get('place_id')}', not '{place}'", n, "event_id"))
            if not ev.get("controller_after"):
                errs.append(DataError(f, f"event '{ev_id}' is not a territorial change (no controller_after)", n, "event_id"))
            elif ev.get("controller_after") != ctl:
                errs.append(DataError(f, f"controller '{ctl}' disagrees with controller_after '{ev['controller_after']}' of event '{ev_id}'", n, "controller"))
            if r.get("start") and ev.get("date") != r.get("start"):
                errs.append(DataError(f, f"start {r.get('start')} disagrees with the date {ev.get('date')} of event '{ev_id}'", n, "start"))
            if r.get("start_precision") and ev.get("time_precision") != r.get("start_precision"):
                errs.append(DataError(f, f"start_precision {r['start_precision']} disagrees with time_precision {ev.get('time_precision')} of event '{ev_id}'", n, "start_precision"))
        if end_id in events:
            ended.add(end_id)
            ev = events[end_id]
            if ev.get("place_id") != place:
                errs.append(DataError(f, f"event '{end_id}' is at '{ev.get('place_id')}', not '{place}'", n, "end_event_id"))
            if not ev.get("controller_after") and ev.get("event_type") not in TERRITORIAL_LOSS_TYPES:
                errs.append(DataError(f, f"event '{end_id}' is not a territorial change", n, "end_event_id"))
            elif ev.get("controller_after") == ctl:
                errs.append(DataError(f, f"event '{end_id}' leaves the place to the same controller '{ctl}'", n, "end_event_id"))
            if r.get("end") and ev.get("date") != r.get("end"):
                errs.append(DataError(f, f"end {r.get('end')} disagrees with the date {ev.get('date')} of event '{end_id}'", n, "end"))
            if r.get("end_precision") and ev.get("time_precision") != r.get("end_precision"):
                errs.append(DataError(f, f"end_precision {r['end_precision']} disagrees with time_precision {ev.get('time_precision')} of event '{end_id}'", n, "end_precision"))
    lo, hi = dt.date.min, dt.date.max
    for place, ps in periods.items():
        for i, (n1, s1, e1, id1) in enumerate(ps):
            for n2, s2, e2, id2 in ps[i + 1:]:
                if (s1 or lo) < (e2 or hi) and (s2 or lo) < (e1 or hi):
                    errs.append(DataError(f, f"period overlaps '{id1}' (row {n1}) at place '{place}'", n2, "start"))
    fe = c.f("events")
    for n, r in c.rows("events"):
        eid = r.get("event_id", "")
        if r.get("controller_after") and eid not in started:
            errs.append(DataError(fe, f"territorial change '{eid}' starts no control period in control.csv", n, "controller_after"))
        if r.get("event_type") in TERRITORIAL_LOSS_TYPES and not r.get("controller_after") and eid not in ended:
            errs.append(DataError(fe, f"'{r['event_type']}' event '{eid}' ends no control period in control.csv", n, "event_type"))
    return errs


def check_wire_groups(c: _Ctx) -> list[DataError]:
    """The recorded ``wire_group`` equals near-duplicate detection over the seeds."""
    if len(c.seeds) != len(c.t.get("sources", [])):
        return []  # a missing seed is reported by check_seeds
    detected = wire_groups(c.seeds)
    errs = []
    for n, r in c.rows("sources"):
        sid = r.get("source_id", "")
        if sid in detected and r.get("wire_group") != detected[sid]:
            errs.append(DataError(c.f("sources"), f"wire_group '{r.get('wire_group')}' disagrees with near-duplicate detection ('{detected[sid]}')", n, "wire_group"))
    return errs


CHECKS: tuple[Callable[[_Ctx], list[DataError]], ...] = (
    check_seeds, check_aliases, check_references, check_evidence_coverage, check_quotes,
    check_dates, check_ranges, check_control, check_wire_groups,
)


# --------------------------------------------------------------------------- entry points

def validate(data_dir: str | Path | None = None) -> list[DataError]:
    """All problems in a data folder (empty list = valid). Never raises for bad data."""
    data_dir = paths.resolve(data_dir, paths.DATA)
    if not data_dir.is_dir():
        return [DataError(paths.rel(data_dir), "data folder not found")]
    desc, errors = _read_descriptor(data_dir)
    tables, read_errors = _read_tables(data_dir)
    errors += read_errors
    if desc is None:
        return errors
    errors += _frictionless(data_dir, {e.file for e in read_errors})
    ctx = _Ctx(data_dir, tables)
    for check in CHECKS:
        try:
            errors += check(ctx)
        except Exception as exc:  # a check must never turn bad data into a traceback
            errors.append(DataError(paths.rel(data_dir), f"check {check.__name__} could not run: {type(exc).__name__}: {exc}"))
    return _dedupe(errors)


def _dedupe(errors: list[DataError]) -> list[DataError]:
    """Drop repeated lines; order by table (as in ``TABLES``), then file, then row."""
    seen, out = set(), []
    for e in errors:
        if str(e) not in seen:
            seen.add(str(e))
            out.append(e)
    rank = {t: i for i, t in enumerate(TABLES)}
    out.sort(key=lambda e: (rank.get(Path(e.file).stem, len(TABLES)), e.file, e.row or 0))
    return out


def row_count(data_dir: Path) -> tuple[int, int]:
    """(number of CSV files, number of data rows) in a valid data folder."""
    tables, _ = _read_tables(data_dir)
    return len(tables), sum(len(v) for v in tables.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m briefing validate",
                                     description="Validate the CSVs of a data folder (default: data/).")
    parser.add_argument("--data-dir", default=None, help="data folder (default: data/)")
    args = parser.parse_args(argv)
    data_dir = paths.resolve(args.data_dir, paths.DATA)
    errors = validate(data_dir)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in {paths.rel(data_dir)}", file=sys.stderr)
        return 1
    files, rows = row_count(data_dir)
    print(f"ok: {files} files, {rows} rows valid ({paths.rel(data_dir)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

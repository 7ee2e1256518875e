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

Stages
------
Problems are found in stages, and a stage runs only when the ones before it found no error, so
that one broken input gives one line and not a cascade of consequences (an unreadable
``actors.csv`` would otherwise make every actor id in every table "unknown"):

0. ``datapackage.json`` is readable and describes the seven tables.
1. **Each file as text** (:func:`read_csv`, shared with the loader): exists, not empty, UTF-8
   (a UTF-8 BOM is dropped; CRLF/CR line ends become LF — both harmless, so accepted), well-formed
   CSV (an unterminated quote is reported at the row and column where the quoted field opens),
   every schema column present, no duplicate column names, at least one data row, no blank or
   short/long rows, no value longer than :data:`MAX_FIELD_CHARS`. A column that
   ``datapackage.json`` does not describe is a **warning** and is ignored; columns may come in
   any order.
2. **Schema** (Frictionless, run on the normalised text) plus per-cell rules: ISO 3166-1
   alpha-2 ``country`` codes (:data:`ISO_3166_ALPHA2`); no text cell starting with ``= + - @``
   (or tab/CR), which a spreadsheet would run as a formula. Text that contains HTML markup is a
   **warning** (one per column): the briefing escapes it and shows it as text.
3. The custom checks above.
4. The geocoding lock ``<data_dir>/geocoded/places.csv``, when the folder has one: every place
   has a row with coordinates, and the lock is not stale (:func:`briefing.geocode.check_lock`).

:func:`validate` returns the errors; :func:`run` returns errors and warnings.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
import tempfile
import unicodedata
import warnings as _pywarnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import paths
from .errors import DataError
from .sources import normalise, wire_groups

TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")
RECORD_KEYS = {"events": "event_id", "control": "control_id", "claims": "claim_id"}
TERRITORIAL_LOSS_TYPES = {"loss", "withdrawal"}

Row = dict[str, str]
Tables = dict[str, list[Row]]

#: Longest value a cell may hold. The longest in data/ is ~350 characters (a quote); a cell far
#: longer than any sentence is almost always a quote that was never closed and swallowed rows.
MAX_FIELD_CHARS = 10_000
#: A text cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_MARKUP = re.compile(r"<\s*[A-Za-z!/?]")
#: ISO 3166-1 alpha-2 codes (officially assigned, 249).
ISO_3166_ALPHA2 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())


def seeds_dir_for(data_dir: Path) -> Path:
    """``<data_dir>/seeds`` if it exists, else the project's ``seeds/``."""
    own = Path(data_dir) / "seeds"
    return own if own.is_dir() else paths.SEEDS


# --------------------------------------------------------------------------- reading

def _read_descriptor(data_dir: Path) -> tuple[dict | None, list[DataError]]:
    path = data_dir / "datapackage.json"
    where = paths.rel(path)
    try:
        desc = json.loads(path.read_text(encoding="utf-8-sig"))  # a BOM is harmless
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


@dataclass
class CsvTable:
    """A data CSV as the validator and the loader see it: header and data records (every
    record as long as the header), after BOM and line-end normalisation."""

    header: list[str]
    records: list[list[str]] = field(default_factory=list)

    def dicts(self, columns: list[str] | None = None) -> list[Row]:
        """Records as ``{column: value}``; ``columns`` restricts and orders the keys."""
        cols = self.header if columns is None else columns
        idx = [self.header.index(c) for c in cols]
        return [{c: rec[i] for c, i in zip(cols, idx)} for rec in self.records]

    def text(self, columns: list[str] | None = None) -> str:
        """The table as clean CSV text (UTF-8, LF, minimal quoting), ``columns`` only."""
        cols = self.header if columns is None else columns
        idx = [self.header.index(c) for c in cols]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows([rec[i] for i in idx] for rec in self.records)
        return buf.getvalue()


_UNQUOTED = re.compile(r'[^,\n]*')


def _scan(text: str) -> tuple[int, int, str | None]:
    """Walk CSV text (LF line ends) the way the ``csv`` module does and return where it stops:
    ``(row, column index, problem)``. ``problem`` is ``"unterminated"`` (row and column are
    where the unclosed quoted field opens), ``"after-quote"`` (text after a closing quote) or
    ``None`` (row and column of the end of the text)."""
    row, col, i, n = 1, 0, 0, len(text)
    while i < n:
        if text[i] == '"':
            start_row, start_col, open_i, j = row, col, i, i + 1
            while True:
                k = text.find('"', j)
                if k < 0:
                    return start_row, start_col, "unterminated"
                if text.startswith('""', k):
                    j = k + 2
                    continue
                break
            i = k + 1
            if i < n and text[i] not in ",\n":
                # A quoted value that ran over several lines and then "closes" on the opening
                # quote of a later value: the real problem is a quote never closed.
                multiline = "\n" in text[open_i:k]
                return (start_row, start_col, "unterminated") if multiline else (row, col, "after-quote")
        else:
            i = _UNQUOTED.match(text, i).end()
        if i < n:
            if text[i] == ",":
                col += 1
            else:
                row, col = row + 1, 0
            i += 1
    return row, col, None


def _first_line(text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def _column_name(header: list[str], row: int, col: int) -> str | None:
    return header[col] if row > 1 and col < len(header) else None


def _decode_error(where: str, raw: bytes, exc: UnicodeDecodeError) -> DataError:
    """'not UTF-8' at the row and column of the first undecodable byte."""
    bad = raw[exc.start]
    prefix = raw[:exc.start].decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    row, col, _ = _scan(prefix)
    header = _first_line(raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n"))
    as_latin = raw[exc.start:exc.start + 1].decode("cp1252", "replace")
    hint = (f"it is '{as_latin}' in Latin-1/Windows-1252" if as_latin.isprintable() and as_latin != "\ufffd"
            else "the file uses another encoding")
    return DataError(where, f"file is not UTF-8: byte 0x{bad:02X} cannot be decoded ({hint}); "
                            "save the file as UTF-8 ('CSV UTF-8' in Excel)", row, _column_name(header, row, col))


def _syntax_error(where: str, text: str, exc: csv.Error) -> DataError:
    row, col, problem = _scan(text)
    header = _first_line(text)
    column = _column_name(header, row, col)
    if problem == "unterminated":
        return DataError(where, "unterminated quoted value: the '\"' that opens it is never closed, so the "
                                "rows after it were read into it; add the closing '\"'", row, column)
    if problem == "after-quote":
        return DataError(where, "text after the closing '\"' of a quoted value; a '\"' inside a quoted value "
                                "must be doubled (\"\")", row, column)
    return DataError(where, f"unreadable CSV: {exc}", row, column)  # pragma: no cover - csv and _scan agree


def read_csv(path: Path, fields: list[str] | None = None) -> tuple[CsvTable | None, list[DataError], list[DataError]]:
    """Read one data CSV: ``(table, errors, warnings)``; ``table`` is ``None`` when there are errors.

    Harmless variants are normalised: a UTF-8 byte-order mark is dropped, CRLF and CR line ends
    become LF, trailing blank lines are ignored, and (given the schema's ``fields``) columns may
    come in any order; a column not in ``fields`` is a warning. Everything else that stops the
    file from being read as a table is one error line: missing or empty file, not UTF-8 (at the
    row of the first bad byte), a quote never closed (at the row where the quoted value opens),
    a missing or duplicate column, no data rows, a blank, short or long row, a value longer than
    :data:`MAX_FIELD_CHARS`.
    """
    where = paths.rel(path)

    def err(problem, row=None, column=None):
        return DataError(where, problem, row, column)

    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [err("file not found")], []
    except OSError as exc:
        return None, [err(f"cannot read file: {exc.strerror or exc}")], []
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, [err("file is UTF-16; save it as UTF-8 ('CSV UTF-8' in Excel)")], []
    if not raw.strip():
        return None, [err("file is empty; it needs a header row and at least one data row")], []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_decode_error(where, raw, exc)], []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # long values are reported below, not by csv
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        return None, [_syntax_error(where, text, exc)], []
    finally:
        csv.field_size_limit(limit)
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()  # trailing blank lines
    header, errors, warnings = rows[0], [], []
    if len(header) == 1 and fields and len(fields) > 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs")):
            if sep in header[0]:
                return None, [err(f"the header has one column: the file is separated by {name}, not commas; "
                                  "save it as comma-separated CSV", 1)], []
    seen: dict[str, int] = {}
    for j, name in enumerate(header, start=1):
        if name in seen:
            errors.append(err(f"duplicate column name (columns {seen[name]} and {j})", 1, name))
        seen.setdefault(name, j)
    if fields is not None:
        for name in fields:
            if name not in seen:
                errors.append(err("column is missing from the header (datapackage.json describes it)", 1, name))
        for j, name in enumerate(header, start=1):
            if name not in fields:
                label = name if name.strip() else f"#{j} (no name)"
                warnings.append(err("column is not in datapackage.json; ignored", 1, label))
    if len(rows) == 1:
        errors.append(err("no data rows (only the header); every table needs at least one row"))
    n = len(header)
    for i, rec in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in rec):
            errors.append(err("blank row; delete it", i))
            continue
        spans = "; a value runs over several lines: is a closing '\"' missing?" if any("\n" in c for c in rec) else ""
        if len(rec) < n:
            errors.append(err(f"row is short: {len(rec)} cells, the header has {n} "
                              f"(missing cells for {', '.join(header[len(rec):])}{spans})", i))
        elif len(rec) > n:
            errors.append(err(f"row is long: {len(rec)} cells, the header has {n} "
                              f"(a comma inside a value? put the value in double quotes{spans})", i))
        for j, cell in enumerate(rec):
            if len(cell) > MAX_FIELD_CHARS:
                errors.append(err(f"value is {len(cell):,} characters long; the limit is {MAX_FIELD_CHARS:,} "
                                  "(is a closing quote missing?)", i, header[j] if j < n else None))
    if errors:
        return None, errors, warnings
    return CsvTable(header=header, records=rows[1:]), [], warnings


def _schema_fields(desc: dict | None) -> dict[str, list[dict]]:
    out = {}
    for r in (desc or {}).get("resources", []):
        if isinstance(r, dict) and r.get("name") in TABLES:
            fields = (r.get("schema") or {}).get("fields") or []
            out[r["name"]] = [f for f in fields if isinstance(f, dict) and "name" in f]
    return out


def read_tables(data_dir: Path, desc: dict | None = None) -> tuple[dict[str, CsvTable], list[DataError], list[DataError]]:
    """Read every table with :func:`read_csv`: ``(tables, errors, warnings)``; a table with errors
    is left out of ``tables``."""
    schemas = _schema_fields(desc)
    tables: dict[str, CsvTable] = {}
    errors: list[DataError] = []
    warnings: list[DataError] = []
    for name in TABLES:
        fields = [f["name"] for f in schemas[name]] if name in schemas else None
        table, errs, warns = read_csv(data_dir / f"{name}.csv", fields)
        errors += errs
        warnings += warns
        if table is not None:
            tables[name] = table
    return tables, errors, warnings


# --------------------------------------------------------------------------- frictionless

def _normalised_copy(data_dir: Path, tables: dict[str, CsvTable], desc: dict, into: Path) -> None:
    """Write ``datapackage.json`` and every table as clean CSV (schema columns, in schema order)
    into ``into``: Frictionless then sees what the loader sees."""
    (into / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    for name, fields in _schema_fields(desc).items():
        (into / f"{name}.csv").write_text(tables[name].text([f["name"] for f in fields]), encoding="utf-8")


def _frictionless(package_dir: Path, shown_dir: Path | None = None) -> list[DataError]:
    """Frictionless package validation of ``package_dir`` mapped to one line per problem;
    messages name the files of ``shown_dir`` (the user's folder; default ``package_dir``)."""
    from frictionless import Package  # lazy: slow import

    shown_dir = package_dir if shown_dir is None else shown_dir
    try:
        report = Package(str(package_dir / "datapackage.json")).validate()
    except Exception as exc:  # invalid descriptor and the like: still one line
        return [DataError(paths.rel(shown_dir / "datapackage.json"), f"invalid data package: {' '.join(str(exc).split())}")]
    errors: list[DataError] = []
    for task in report.tasks:
        where = paths.rel(shown_dir / f"{task.name}.csv")
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


_SAME_AS = re.compile(r"the same as in the row at position (\d+)")
_ALREADY = r"already used in row \1"
_FK_NOTE = re.compile(r'for "([^"]+)": values "([^"]*)" not found in the lookup table "([^"]+)" as "([^"]+)"')


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
        hint = " (expected a real calendar date as YYYY-MM-DD)" if kind.startswith("date") else ""
        return f"'{cell}' is not a valid {kind.split('/')[0]}{hint}"
    if t == "constraint-error":
        if "required" in note:
            return "required value is missing"
        return f"'{cell}' violates {note}"
    if t == "unique-error":
        return f"duplicate value '{cell}' ({_SAME_AS.sub(_ALREADY, note)})"
    if t == "primary-key":
        return f"duplicate primary key ({_SAME_AS.sub(_ALREADY, note)})"
    if t == "foreign-key":
        m = _FK_NOTE.search(note)
        if m:
            col, values, table, key = m.groups()
            return f"unknown reference '{values}': no {key} '{values}' in {table}.csv"
        return f"unknown reference: {note}"
    if t in {"scheme-error", "source-error", "encoding-error", "format-error"}:
        return f"{e.title.lower()}: {note}"
    return f"{e.title.lower()}" + (f": {note}" if note else "")


def check_cells(data_dir: Path, tables: dict[str, CsvTable], desc: dict) -> tuple[list[DataError], list[DataError]]:
    """Per-cell rules no Table Schema expresses: ``(errors, warnings)``.

    * ``country`` cells hold ISO 3166-1 alpha-2 codes (``|``-separated).
    * No text cell starts with ``= + - @`` (or tab/CR): a spreadsheet opening the CSV would run
      it as a formula. The seeds contain no such text, so this is an error, not an escape.
    * Text with HTML markup (``<img …>``, ``<b>``) is accepted but warned about, once per
      column: the briefing escapes it and shows it as text, which is rarely what was meant.
    * Text with invisible or direction-changing characters (zero-width space, right-to-left
      override, any Unicode "format" or control character but tab and line breaks) is warned
      about, once per column: it can make a value read differently from what it holds.
    * Numbers (``number`` and ``integer`` fields) are finite and at most ``MAX_MAGNITUDE`` in
      size: ``inf``, ``nan`` and ``1e30`` parse as numbers but are not counts of anything.
    * Dates (``date`` fields) lie between ``MIN_YEAR`` and ``MAX_YEAR``: ``9999-12-31`` is a
      real calendar date but a typo here, and beyond what the analysis's date type holds.
    """
    errors, warnings = [], []
    for name, fields in _schema_fields(desc).items():
        table = tables.get(name)
        if table is None:
            continue
        where = paths.rel(data_dir / f"{name}.csv")
        for f in fields:
            col, kind = f["name"], f.get("type", "string")
            if col not in table.header or kind not in ("number", "integer", "date"):
                continue
            if "enum" in f.get("constraints", {}):
                continue  # a closed list of values: Frictionless already names anything else
            j = table.header.index(col)
            for n, rec in enumerate(table.records, start=2):
                problem = check_number(rec[j]) if kind != "date" else check_year(rec[j])
                if problem:
                    errors.append(DataError(where, problem, n, col))
    for name, fields in _schema_fields(desc).items():
        table = tables.get(name)
        if table is None:
            continue
        where = paths.rel(data_dir / f"{name}.csv")
        text_cols = [f["name"] for f in fields if f.get("type", "string") == "string"]
        idx = {c: table.header.index(c) for c in text_cols if c in table.header}
        markup: dict[str, list[int]] = {}
        invisible: dict[str, list[tuple[int, str]]] = {}
        for n, rec in enumerate(table.records, start=2):
            for col, j in idx.items():
                v = rec[j]
                if not v:
                    continue
                if v[:1] in FORMULA_PREFIXES:
                    first = {"\t": "a tab", "\r": "a carriage return"}.get(v[:1], f"'{v[:1]}'")
                    errors.append(DataError(where, f"text starts with {first}: a spreadsheet would run it as a "
                                                   "formula (CSV injection); reword it so it starts with a letter "
                                                   "or digit", n, col))
                if col == "country":
                    for code in v.split("|"):
                        if len(code) == 2 and code.isupper() and code not in ISO_3166_ALPHA2:
                            errors.append(DataError(where, f"unknown country code '{code}': not an ISO 3166-1 "
                                                           "alpha-2 code (Syria is SY, Iraq IQ)", n, col))
                if _MARKUP.search(v):
                    markup.setdefault(col, []).append(n)
                hidden = invisible_characters(v)
                if hidden:
                    invisible.setdefault(col, []).append((n, hidden))
        for col, rows in markup.items():
            more = f" (and {len(rows) - 1} more row{'s' if len(rows) > 2 else ''} in this column)" if len(rows) > 1 else ""
            warnings.append(DataError(where, f"text contains HTML markup; the briefing shows it as text, "
                                             f"not as HTML{more}", rows[0], col))
        for col, rows in invisible.items():
            more = f" (and {len(rows) - 1} more row{'s' if len(rows) > 2 else ''} in this column)" if len(rows) > 1 else ""
            n, hidden = rows[0]
            warnings.append(DataError(where, f"text contains invisible or direction-changing characters ({hidden}); "
                                             f"they can make the text read differently from what it holds{more}", n, col))
    return errors, warnings


MAX_MAGNITUDE = 1e9  # no count of people, fighters, deaths or km² in an event dataset comes near it
MIN_YEAR, MAX_YEAR = 1900, 2100


def check_number(text: str) -> str | None:
    """Why a number cell is not a usable number (non-finite or absurd), or ``None``."""
    t = text.strip()
    if not t:
        return None
    try:
        x = float(t)
    except ValueError:
        return None  # not a number at all: the schema check reports it
    if math.isnan(x):
        return f"'{t}' is not a number (NaN); leave the cell empty when a value is unknown"
    if math.isinf(x):
        return f"'{t}' is infinite; a count or measure must be a finite number"
    if abs(x) > MAX_MAGNITUDE:
        return f"{t} is beyond any plausible value (more than {MAX_MAGNITUDE:,.0f}); check the number"
    return None


def check_year(text: str) -> str | None:
    """Why a date cell lies outside the years a briefing can hold, or ``None``."""
    t = text.strip()
    m = re.match(r"^(\d{4})-\d{2}-\d{2}$", t)
    if m and not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return f"{t} is outside the years {MIN_YEAR}–{MAX_YEAR}; check the date"
    return None


def invisible_characters(text: str) -> str:
    """Code points of invisible or direction-changing characters in ``text`` (``U+202E RIGHT-TO-
    LEFT OVERRIDE, …``), or an empty string. Tab and line breaks are allowed."""
    found = []
    for ch in dict.fromkeys(text):
        cat = unicodedata.category(ch)
        if (cat == "Cf" or (cat == "Cc" and ch not in "\t\n\r")) and ch not in found:
            found.append(ch)
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'control character')}" for c in found)


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
            if seed_name_ok(r.get("seed_file", "")) and p.is_file():
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
    return check_sources(c) + check_seed_sums(c)


def check_sources(c: _Ctx) -> list[DataError]:
    """Each source's seed file exists, its id matches the file prefix, its headline occurs in it
    (``sources.csv`` alone: run with the schema stage, since a wrong id breaks every reference)."""
    errs = []
    for n, r in c.rows("sources"):
        sid, name = r.get("source_id", ""), r.get("seed_file", "")
        if name and not seed_name_ok(name):
            # whatever datapackage.json says: a seed is a plain file name in the seeds folder,
            # never a path that leads elsewhere (``../../etc/passwd`` is not read, let alone quoted)
            errs.append(DataError(c.f("sources"), f"seed file '{name}' is not a plain file name in "
                                                  f"{paths.rel(c.seeds_dir)}", n, "seed_file"))
            continue
        if name and not (c.seeds_dir / name).is_file():
            errs.append(DataError(c.f("sources"), f"seed file '{name}' not found in {paths.rel(c.seeds_dir)}", n, "seed_file"))
            continue
        if name and sid and sid != "s" + name[:3]:
            errs.append(DataError(c.f("sources"), f"source_id '{sid}' does not match the seed file prefix ('s{name[:3]}')", n, "source_id"))
        head = r.get("headline", "")
        if head and sid in c.norm_seeds and normalise(head) not in c.norm_seeds[sid]:
            errs.append(DataError(c.f("sources"), f"headline not found in seed {name}", n, "headline"))
    return errs


def seed_name_ok(name: str) -> bool:
    """A seed file is named by a plain file name (no folder, no ``..``, no hidden file)."""
    return bool(name) and Path(name).name == name and not name.startswith(".") and "\\" not in name


def check_seed_sums(c: _Ctx) -> list[DataError]:
    """The seeds match ``SHA256SUMS`` (when the seeds folder has one)."""
    errs = []
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


def check_provenance(c: _Ctx) -> list[DataError]:
    """Attribution, field support and field coverage (:mod:`briefing.provenance`)."""
    from . import provenance

    errs = []
    for check in provenance.CHECKS:
        errs += check(c.f, c.t)
    return errs


CHECKS: tuple[Callable[[_Ctx], list[DataError]], ...] = (
    check_seed_sums, check_aliases, check_references, check_evidence_coverage, check_quotes,
    check_dates, check_ranges, check_control, check_wire_groups,
    check_provenance,
)


def check_geocoded(data_dir: Path, places: list[Row]) -> list[DataError]:
    """The geocoding lock ``<data_dir>/geocoded/places.csv`` (if the folder exists) has
    coordinates for every place and is not stale or edited by hand."""
    folder = data_dir / "geocoded"
    if not folder.is_dir():
        return []
    from .geocode import LOCK_NAME, check_lock

    hint = "run `make geocode`" if data_dir.resolve() == paths.DATA.resolve() else \
        f"run `make geocode DATA_DIR={paths.rel(data_dir)}`"
    lock_path = folder / LOCK_NAME
    if not lock_path.is_file():
        return [DataError(paths.rel(lock_path), f"geocoding lock file missing; {hint}")]
    lock, errors, _ = read_csv(lock_path, None)
    if lock is None:
        return [DataError(e.file, f"{e.problem}; {hint}", e.row, e.column) for e in errors]
    if not {"place_id", "lat", "lon"} <= set(lock.header):
        return [DataError(paths.rel(lock_path), f"not a geocoding lock (no place_id/lat/lon columns); {hint}", 1)]
    rows = {r["place_id"]: (n, r) for n, r in enumerate(lock.dicts(), start=2)}
    for n, r in enumerate(places, start=2):
        pid = r.get("place_id", "")
        if pid and pid not in rows:
            errors.append(DataError(paths.rel(data_dir / "places.csv"), f"place '{pid}' has no coordinates: it is not "
                                    f"in the geocoding lock {paths.rel(lock_path)}; {hint}", n, "place_id"))
    known = {r.get("place_id") for r in places}
    for pid, (n, r) in rows.items():
        if pid not in known:
            continue
        for col in ("lat", "lon"):
            v = _num(r.get(col, ""))
            bound = 90 if col == "lat" else 180
            if v is None or not -bound <= v <= bound:
                got = f"'{r[col]}'" if r.get(col) else "empty"
                errors.append(DataError(paths.rel(lock_path), f"place '{pid}' has no coordinates "
                                        f"({col} is {got}); {hint}", n, col))
                break
    if errors:
        return errors
    try:
        check_lock(data_dir)
    except DataError as exc:
        return [DataError(exc.file, exc.problem.replace("run `make geocode`", hint), exc.row, exc.column)]
    return []


# --------------------------------------------------------------------------- entry points

@dataclass
class Outcome:
    """What :func:`run` found: ``errors`` (the data cannot be used) and ``warnings`` (harmless
    inputs that were accepted, e.g. an extra column), each a located one-line :class:`DataError`."""

    errors: list[DataError]
    warnings: list[DataError]

    def __bool__(self) -> bool:  # truthy = valid
        return not self.errors


def run(data_dir: str | Path | None = None) -> Outcome:
    """Validate a data folder in stages (see the module docstring). Never raises for bad data."""
    data_dir = paths.resolve(data_dir, paths.DATA)
    if not data_dir.is_dir():
        return Outcome([DataError(paths.rel(data_dir), "data folder not found")], [])
    desc, errors = _read_descriptor(data_dir)
    tables, read_errors, warnings = read_tables(data_dir, desc)
    errors += read_errors
    if errors or desc is None:
        return Outcome(_dedupe(errors), _dedupe(warnings))

    # stage 2: schema (Frictionless on the normalised text) and per-cell rules
    with tempfile.TemporaryDirectory(prefix="briefing-validate-") as tmp:
        _normalised_copy(data_dir, tables, desc, Path(tmp))
        errors += _frictionless(Path(tmp), data_dir)
    cell_errors, cell_warnings = check_cells(data_dir, tables, desc)
    errors += cell_errors
    warnings += cell_warnings
    schemas = _schema_fields(desc)
    rows = {name: t.dicts([f["name"] for f in schemas[name]]) for name, t in tables.items()}
    ctx = _Ctx(data_dir, rows)
    errors += check_sources(ctx)  # one table and the seed files: a wrong id here breaks every reference
    if errors:
        return Outcome(_dedupe(errors), _dedupe(warnings))

    # stage 3: cross-table checks
    for check in CHECKS:
        try:
            errors += check(ctx)
        except Exception as exc:  # a check must never turn bad data into a traceback
            errors.append(DataError(paths.rel(data_dir), f"check {check.__name__} could not run: {type(exc).__name__}: {exc}"))
    if errors:
        return Outcome(_dedupe(errors), _dedupe(warnings))

    # stage 4: the geocoding lock
    errors += check_geocoded(data_dir, rows.get("places", []))
    return Outcome(_dedupe(errors), _dedupe(warnings))


class DataWarning(UserWarning):
    """A harmless input that was accepted (e.g. a column not in ``datapackage.json``)."""


def validate(data_dir: str | Path | None = None) -> list[DataError]:
    """All problems in a data folder (empty list = valid). Never raises for bad data.

    Warnings are issued as :class:`DataWarning` (Python's :mod:`warnings`), one per line
    ``file, row N, column 'c': problem``; :func:`run` returns them instead.
    """
    outcome = run(data_dir)
    for w in outcome.warnings:
        _pywarnings.warn(DataWarning(str(w)), stacklevel=2)
    return outcome.errors


def _dedupe(errors: list[DataError]) -> list[DataError]:
    """Drop repeated lines and fold the same problem in the same column of several rows (one
    unknown id used 20 times is one problem) into one line naming the first row and counting
    the others; order by table (as in ``TABLES``), then file, then row."""
    rank = {t: i for i, t in enumerate(TABLES)}
    ordered = sorted(errors, key=lambda e: (rank.get(Path(e.file).stem, len(TABLES)), e.file, e.row or 0))
    groups: dict[tuple, list[DataError]] = {}
    for e in ordered:
        groups.setdefault((e.file, e.column, e.problem), []).append(e)
    out = []
    for (file, column, problem), same in groups.items():
        rows = sorted({e.row for e in same if e.row is not None})
        if len(rows) <= 1:
            out.append(same[0])
            continue
        shown = ", ".join(map(str, rows[1:6])) + (f" and {len(rows) - 6} more" if len(rows) > 6 else "")
        out.append(DataError(file, f"{problem} (also in row{'s' if len(rows) > 2 else ''} {shown})", rows[0], column))
    out.sort(key=lambda e: (rank.get(Path(e.file).stem, len(TABLES)), e.file, e.row or 0))
    return out


def row_count(data_dir: Path) -> tuple[int, int]:
    """(number of CSV files, number of data rows) in a valid data folder."""
    tables, _, _ = read_tables(data_dir)
    return len(tables), sum(len(t.records) for t in tables.values())

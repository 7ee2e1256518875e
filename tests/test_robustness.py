"""Issue 9: every bad input gets one clear error line, harmless inputs are accepted, nothing is lost.

Each case copies ``data/`` (with the geocoding lock and basemap) into a temporary folder, breaks
one thing and runs it through the two commands a user runs:

* ``make validate DATA_DIR=<copy>`` and
* ``make report DATA_DIR=<copy> REPORT_DIR=<tmp>/out`` (a data error stops it at the validation
  step, before any notebook runs).

For each: the exit status (non-zero for an error, zero for a harmless input, which gets a
``warning:`` line instead), exactly one ``error:`` line matching the case's pattern (file, row,
column and problem), the same line from both commands, no traceback, the sentinel
``briefing.html``/``.pdf`` already in that ``REPORT_DIR`` untouched, and (for the whole module)
the default ``reports/`` untouched.

The subprocesses of all selected cases run up front, two at a time (:func:`results`), so the
suite costs about as much as the slowest cases, not their sum. The harmless variants (BOM,
CRLF, extra column, reordered columns) and HTML in text fields go through one full build
(:func:`full_build`), run with the network unplugged; it also checks the HTML escaping.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from briefing import paths
from conftest import DataCopy

XSS = "<img src=x onerror=alert(1)>"
MAKE_TIMEOUT = 600


# --------------------------------------------------------------------------- output helpers

_MAKE_NOISE = re.compile(r"^make(\[\d+\])?: \*\*\* ")


def user_lines(output: str) -> list[str]:
    """The lines a user reads, minus GNU make's own ``make: *** [Makefile:NN: target] Error 2``
    line after a failing recipe (the Makefile owner may tighten this)."""
    return [line for line in output.splitlines() if line.strip() and not _MAKE_NOISE.match(line)]


def error_lines(output: str) -> list[str]:
    return [line for line in user_lines(output) if line.startswith("error:")]


def warning_lines(output: str) -> list[str]:
    return [line for line in user_lines(output) if line.startswith("warning:")]


def _env() -> dict:
    """The environment for a child ``make``: no parent make's flags (jobserver, variables) and
    no build parameters leaking in from the caller's shell."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DATA_DIR", "AS_OF", "REPORT_DIR"}}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def make(*args: str, prefix: list[str] | None = None, timeout: int = MAKE_TIMEOUT) -> subprocess.CompletedProcess:
    cmd = [*(prefix or []), "make", *args]
    return subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True, timeout=timeout, env=_env())


def _state(p: Path):
    return (p.read_bytes(), p.stat().st_mtime_ns) if p.exists() else None


# --------------------------------------------------------------------------- cases

@dataclass
class Case:
    id: str
    patch: Callable  # (DataCopy) -> dict of values for ``pattern`` (e.g. {"row": 12}) or None
    pattern: str  # regex the single error (or warning) line must match; {row}, {dir} are filled in
    exit: int = 2  # exit status of `make validate` (and `make report` when it runs)
    warn: bool = False  # harmless: exit 0, no error line, one warning line matching ``pattern``
    report: bool = True  # also run `make report` (harmless cases are built in full_build)
    validate: bool = True  # also run `make validate`
    as_of: str = ""
    data_dir: Callable | None = None  # (DataCopy) -> the DATA_DIR to pass (default: the copy)
    report_pattern: str | None = None  # when `make report` words it differently


def _row(n: int) -> dict:
    return {"row": n}


def _rewrite(dc: DataCopy, table: str, fn: Callable[[bytes], bytes]) -> None:
    p = dc.dir / f"{table}.csv"
    p.write_bytes(fn(p.read_bytes()))


def _drop_column(dc, table, column):
    header, rows = dc.read(table)
    i = header.index(column)
    dc.write(table, header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])


def _add_column(dc, table, column, value=""):
    header, rows = dc.read(table)
    dc.write(table, [*header, column], [[*r, value] for r in rows])


def _duplicate_row(dc, table, key):
    header, rows = dc.read(table)
    row = next(r for r in rows if r[0] == key)
    dc.write(table, header, [*rows, list(row)])
    return _row(len(rows) + 2)


def _latin1(dc):
    # a hand edit saved by a Latin-1 editor: "é" becomes the single byte 0xE9
    row = dc.set("places", "rawa", "notes", "Rawé town")
    p = dc.dir / "places.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("latin-1"))
    return _row(row)


def _unterminated(dc, key=None):
    # an opening quote with no closing one in the last column: the rest of the file runs into it
    header, rows = dc.read("events")
    k = next(i for i, r in enumerate(rows) if r[0] == (key or AIR))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows([header, *rows[:k]])
    w.writerow(rows[k][:-1] + ["PLACEHOLDER"])
    w.writerows(rows[k + 1:])
    assert header[-1] == "notes"
    (dc.dir / "events.csv").write_text(buf.getvalue().replace("PLACEHOLDER", '"unclosed note'), encoding="utf-8")
    return _row(k + 2)


def _short_row(dc):
    with (dc.dir / "claims.csv").open("a", encoding="utf-8") as fh:
        fh.write("cl-short,people\n")
    return _row(len(dc.read("claims")[1]) + 1)


def _big_field(dc):  # generated, never committed
    return _row(dc.set("events", "ev-2017-11-03-air-strike-village", "notes", "x" * (1 << 20)))


def _no_coordinates(dc):
    """A lock row without coordinates (its checksum updated, as a broken generator would)."""
    lock = dc.dir / "geocoded" / "places.csv"
    with lock.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    h = rows[0]
    n = next(i for i, r in enumerate(rows) if r[0] == "rawa")
    rows[n][h.index("lat")] = rows[n][h.index("lon")] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    lock.write_text(buf.getvalue(), encoding="utf-8")
    meta_path = dc.dir / "geocoded" / "places.lock.json"
    meta = json.loads(meta_path.read_text())
    meta["lock_sha256"] = hashlib.sha256(lock.read_bytes()).hexdigest()
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return _row(n + 1)


def _new_place(dc):
    return _row(dc.append("places", {"place_id": "new-town", "name": "New Town", "kind": "town", "country": "SY"}))


def _overlap(dc):
    # IS's period at Rawa no longer ends, so it overlaps the Iraqi forces' period from 17 Nov
    for col in ("end", "end_event_id", "end_precision"):
        dc.set("control", "ct-rawa-is", col, "")
    return _row(dc.row_of("control", "ct-rawa-iraqi-forces"))


def _quote(dc):
    q = dc.get("evidence", "ev-2003-us-invasion-of-iraq", "quote")
    return _row(dc.set("evidence", "ev-2003-us-invasion-of-iraq", "quote", q.replace("ousted", "toppled")))


def _seed_traversal(dc):
    """A data folder whose own datapackage.json drops the seed_file pattern, and a seed_file
    that climbs out of seeds/: the validator must not read (let alone quote) that file."""
    desc = json.loads((dc.dir / "datapackage.json").read_text())
    for res in desc["resources"]:
        for f in res["schema"]["fields"]:
            if f["name"] == "seed_file":
                f.get("constraints", {}).pop("pattern", None)
    (dc.dir / "datapackage.json").write_text(json.dumps(desc, indent=2))
    return _row(dc.set("sources", "s004", "seed_file", "../../../../../../etc/passwd"))


def _cell(table, key, column, value):
    return lambda dc: _row(dc.set(table, key, column, value))


F = r"\S*/"  # the data folder as printed (absolute for a folder outside the project)
AIR = "ev-2017-11-03-air-strike-village"
CASES = [
    # --- files -------------------------------------------------------------------------------
    Case("missing-file", lambda dc: (dc.dir / "control.csv").unlink(), F + r"control\.csv: file not found$"),
    Case("empty-file", lambda dc: (dc.dir / "actors.csv").write_bytes(b""),
         F + r"actors\.csv: file is empty; it needs a header row and at least one data row$"),
    Case("header-only", lambda dc: dc.write("actors", dc.read("actors")[0], []),
         F + r"actors\.csv: no data rows \(only the header\); every table needs at least one row$"),
    Case("nonexistent-data-dir", lambda dc: None, r"\S*/no-such-folder: data folder not found$",
         data_dir=lambda dc: dc.dir.parent / "no-such-folder",
         report_pattern=r"parameter 'data_dir': folder '\S*/no-such-folder' does not exist$"),
    # --- text encoding and CSV syntax --------------------------------------------------------
    Case("latin-1", _latin1, F + r"places\.csv, row {row}, column 'notes': file is not UTF-8: byte 0xE9 cannot be "
                               r"decoded \(it is 'é' in Latin-1/Windows-1252\); save the file as UTF-8"),
    Case("unterminated-quote", _unterminated, F + r"events\.csv, row {row}, column 'notes': unterminated quoted value: the '\"' that opens it "
                                                r"is never closed, so the rows after it were read into it; add the closing"),
    Case("unterminated-quote-last-row", lambda dc: _unterminated(dc, dc.read("events")[1][-1][0]),
         F + r"events\.csv, row {row}, column 'notes': unterminated quoted value"),
    Case("field-1mb", _big_field, F + r"events\.csv, row {row}, column 'notes': value is 1,048,576 characters "
                                    r"long; the limit is 10,000"),
    Case("semicolons", lambda dc: _rewrite(dc, "actors", lambda b: b.replace(b",", b";")),
         F + r"actors\.csv, row 1: the header has one column: the file is separated by semicolons"),
    Case("short-row", _short_row,
         F + r"claims\.csv, row {row}: row is short: 2 cells, the header has 17 \(missing cells for value, low"),
    Case("missing-column", lambda dc: _drop_column(dc, "claims", "note"),
         F + r"claims\.csv, row 1, column 'note': column is missing from the header"),
    Case("duplicate-column", lambda dc: _add_column(dc, "actors", "notes"),
         F + r"actors\.csv, row 1, column 'notes': duplicate column name \(columns 6 and 7\)"),
    # --- types and values ----------------------------------------------------------------------
    Case("wrong-type", _cell("events", AIR, "time_precision", "one"),
         F + r"events\.csv, row {row}, column 'time_precision': 'one' is not a valid integer$"),
    Case("impossible-month", _cell("events", AIR, "date", "2017-13-01"),
         F + r"events\.csv, row {row}, column 'date': '2017-13-01' is not a valid date \(expected a real calendar date"),
    Case("impossible-day", _cell("claims", "cl-border-is-fighters", "as_of", "2017-02-30"),
         F + r"claims\.csv, row {row}, column 'as_of': '2017-02-30' is not a valid date"),
    Case("after-publication", _cell("events", AIR, "date", "2017-11-04"),
         F + r"events\.csv, row {row}, column 'date': dated 2017-11-04, after the publication of its source s002 \(2017-11-03\)$"),
    Case("low-gt-high", _cell("claims", "cl-albu-kamal-is-fighters", "low", "4000"),
         F + r"claims\.csv, row {row}, column 'low': low 4000 is greater than high 3500$"),
    Case("unknown-country", _cell("events", AIR, "country", "SY|XX"),
         F + r"events\.csv, row {row}, column 'country': unknown country code 'XX': not an ISO 3166-1 alpha-2 code"),
    Case("formula-equals", _cell("claims", "cl-albu-kamal-is-fighters", "note", '=HYPERLINK("http://x","y")'),
         F + r"claims\.csv, row {row}, column 'note': text starts with '=': a spreadsheet would run it as a formula"),
    Case("formula-plus", _cell("events", AIR, "notes", "+1 reported"),
         F + r"events\.csv, row {row}, column 'notes': text starts with '\+'"),
    Case("formula-minus", _cell("sources", "s002", "notes", "-2+3"),
         F + r"sources\.csv, row {row}, column 'notes': text starts with '-'"),
    Case("formula-at", _cell("actors", "sdf", "notes", "@SUM(A1)"),
         F + r"actors\.csv, row {row}, column 'notes': text starts with '@'"),
    # --- numbers and dates that parse but are not usable (issue 13) ---------------------------
    Case("number-inf", _cell("claims", "cl-albu-kamal-is-fighters", "value", "inf"),
         F + r"claims\.csv, row {row}, column 'value': 'inf' is infinite; a count or measure must be a finite number$"),
    Case("number-nan", _cell("claims", "cl-albu-kamal-is-fighters", "low", "nan"),
         F + r"claims\.csv, row {row}, column 'low': 'nan' is not a number \(NaN\); leave the cell empty"),
    Case("number-absurd", _cell("claims", "cl-albu-kamal-is-fighters", "high", "1e30"),
         F + r"claims\.csv, row {row}, column 'high': 1e30 is beyond any plausible value \(more than 1,000,000,000\)"),
    Case("number-minus-infinity", _cell("claims", "cl-albu-kamal-is-fighters", "low", "-Infinity"),
         F + r"claims\.csv, row {row}, column 'low': '-Infinity' is infinite"),
    Case("date-year-9999", _cell("claims", "cl-albu-kamal-is-fighters", "as_of", "9999-12-31"),
         F + r"claims\.csv, row {row}, column 'as_of': 9999-12-31 is outside the years 1900–2100; check the date$"),
    Case("seed-path-traversal", _seed_traversal,
         F + r"sources\.csv, row {row}, column 'seed_file': seed file '\.\./\.\./\.\./\.\./\.\./\.\./etc/passwd' is not a "
             r"plain file name in seeds$"),
    # --- references and ids ------------------------------------------------------------------
    Case("unknown-place", _cell("events", AIR, "place_id", "rawah"),
         F + r"events\.csv, row {row}, column 'place_id': unknown reference 'rawah': no place_id 'rawah' in places\.csv$"),
    Case("unknown-actor", _cell("events", AIR, "actor", "us-led-coalition|hezbollah"),
         F + r"events\.csv, row {row}, column 'actor': unknown actor_id 'hezbollah'$"),
    Case("unknown-source", lambda dc: _row(dc.set("evidence", "cl-air-strike-deaths", "source_id", "s009")),
         F + r"evidence\.csv, row {row}, column 'source_id': unknown reference 's009': no source_id 's009' in sources\.csv$"),
    Case("duplicate-id", lambda dc: _duplicate_row(dc, "events", AIR),
         F + r"events\.csv, row {row}, column 'event_id': duplicate value '" + AIR + r"' \(already used in row \d+\)$"),
    Case("quote-not-in-seed", _quote,
         F + r"evidence\.csv, row {row}, column 'quote': quote not found in seed 000_e5878e8a2c48ea8f\.txt of s000: .*toppled"),
    Case("overlapping-periods", _overlap,
         F + r"control\.csv, row {row}, column 'start': period overlaps 'ct-rawa-is' \(row \d+\) at place 'rawa'$"),
    # --- geocoding lock ------------------------------------------------------------------------
    Case("place-without-coordinates", _no_coordinates,
         F + r"geocoded/places\.csv, row {row}, column 'lat': place 'rawa' has no coordinates \(lat is empty\); "
             r"run `make geocode DATA_DIR=\S+`$"),
    Case("place-not-geocoded", _new_place,
         F + r"places\.csv, row {row}, column 'place_id': place 'new-town' has no coordinates: it is not in the "
             r"geocoding lock \S+; run `make geocode DATA_DIR=\S+`$"),
    Case("stale-geocoding-lock", _cell("places", "rawa", "notes", "edited"),
         F + r"geocoded/places\.csv: stale: \S+/places\.csv changed since the lock was built; run `make geocode DATA_DIR=\S+` and review the diff$"),
    # --- parameters ------------------------------------------------------------------------------
    Case("as-of-malformed", lambda dc: None, r"parameter 'as_of': '2017-13-01' is not a valid calendar date",
         as_of="2017-13-01", validate=False),
    Case("as-of-out-of-range", lambda dc: None,
         r"parameter 'as_of': 2018-01-01 is outside the data's range \d{4}-\d\d-\d\d to 2017-11-17$",
         as_of="2018-01-01", validate=False),
    # --- harmless: accepted (the full build in full_build() runs them through every notebook) -------
    Case("utf8-bom", lambda dc: _rewrite(dc, "actors", lambda b: b"\xef\xbb\xbf" + b), "", exit=0, report=False),
    Case("crlf", lambda dc: _rewrite(dc, "events", lambda b: b.replace(b"\n", b"\r\n")), "", exit=0, report=False),
    Case("extra-column", lambda dc: _add_column(dc, "claims", "foo", "bar"),
         F + r"claims\.csv, row 1, column 'foo': column is not in datapackage\.json; ignored$", exit=0, warn=True,
         report=False),
    Case("right-to-left-override", _cell("claims", "cl-albu-kamal-is-fighters", "claimant", "US\u202eofficials"),
         F + r"claims\.csv, row {row}, column 'claimant': text contains invisible or direction-changing characters "
             r"\(U\+202E RIGHT-TO-LEFT OVERRIDE\)", exit=0, warn=True, report=False),
    Case("zero-width-space", _cell("actors", "sdf", "notes", "Kurdish\u200b-led"),
         F + r"actors\.csv, row {row}, column 'notes': text contains invisible or direction-changing characters "
             r"\(U\+200B ZERO WIDTH SPACE\)", exit=0, warn=True, report=False),
    Case("html-in-text", _cell("events", AIR, "summary", f"Strike {XSS}"),
         F + r"events\.csv, row {row}, column 'summary': text contains HTML markup; the briefing shows it as text",
         exit=0, warn=True, report=False),
]
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS)


@dataclass
class Result:
    case: Case
    values: dict
    validate: subprocess.CompletedProcess | None = None
    report: subprocess.CompletedProcess | None = None
    report_dir: Path | None = None
    sentinels: dict = field(default_factory=dict)


def _prepare(case: Case, root: Path) -> Result:
    root.mkdir(parents=True)
    dc = DataCopy(root, full=True)
    values = case.patch(dc) or {}
    data_dir = case.data_dir(dc) if case.data_dir else dc.dir
    res = Result(case, {**values, "data_dir": data_dir})
    if case.report:
        out = root / "out"
        out.mkdir()
        for name in ("briefing.html", "briefing.pdf"):  # the "last good report" of this REPORT_DIR
            (out / name).write_text(f"sentinel {name} {case.id}\n")
            res.sentinels[name] = _state(out / name)
        res.report_dir = out
    return res


def _execute(res: Result) -> Result:
    d = str(res.values["data_dir"])
    if res.case.validate:
        res.validate = make("validate", f"DATA_DIR={d}")
    if res.case.report:
        res.report = make("report", f"DATA_DIR={d}", f"REPORT_DIR={res.report_dir}", f"AS_OF={res.case.as_of}")
    return res


@pytest.fixture(scope="module")
def default_reports():
    """The default reports/ must survive the whole suite byte for byte, and must not appear if
    there was none. Nothing is written there to stand in for missing reports: the hostile-input
    suite, running beside this one in the other worker, checks that nothing appears there."""
    files = [paths.REPORTS / "briefing.html", paths.REPORTS / "briefing.pdf"]
    before = {p: _state(p) for p in files}
    yield before
    after = {p: _state(p) for p in files}
    assert after == before, "the default reports/ was modified by the robustness suite"


@pytest.fixture(scope="module")
def results(request, tmp_path_factory, default_reports) -> dict[str, Result]:
    """Run every selected case's commands up front, two at a time."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if getattr(item, "module", None) is request.module and hasattr(item, "callspec") and "case" in item.callspec.params}
    root = tmp_path_factory.mktemp("robustness")
    prepared = [_prepare(c, root / c.id) for c in CASES if c.id in selected]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return {r.case.id: r for r in pool.map(_execute, prepared)}


def _expected(case: Case, values: dict, pattern: str | None = None) -> str:
    pattern = case.pattern if pattern is None else pattern
    return pattern.replace("{row}", str(values.get("row", "")))


def _check_run(name: str, proc: subprocess.CompletedProcess, case: Case, pattern: str) -> str | None:
    """Assert the common contract on one command's output; return its single error line."""
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, f"{name}: traceback\n{out}"
    assert proc.returncode == case.exit, f"{name}: exit {proc.returncode}, expected {case.exit}\n{out}"
    errors = error_lines(proc.stderr)
    assert not error_lines(proc.stdout), f"{name}: error lines on stdout\n{out}"
    if case.exit == 0:
        assert errors == [], f"{name}: a harmless input produced errors\n{out}"
        warns = warning_lines(proc.stderr)
        if case.warn:
            assert len(warns) == 1 and re.search(pattern, warns[0]), f"{name}: expected one warning /{pattern}/\n{out}"
        else:
            assert warns == [], f"{name}: unexpected warnings\n{out}"
        return None
    assert len(errors) == 1, f"{name}: expected exactly one error line, got {len(errors)}\n{out}"
    assert re.search(r"^error: " + pattern, errors[0]), f"{name}: /{pattern}/ does not match\n{errors[0]}"
    # nothing else a user would have to read: only error/warning lines (and make's own, filtered)
    stray = [ln for ln in user_lines(proc.stderr) if not ln.startswith(("error:", "warning:"))]
    assert not stray, f"{name}: unexpected output lines {stray}"
    return errors[0]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bad_input(case: Case, results):
    res = results[case.id]
    lines = {}
    if case.validate:
        lines["validate"] = _check_run("make validate", res.validate, case, _expected(case, res.values))
    if case.report:
        pattern = _expected(case, res.values, case.report_pattern)
        lines["report"] = _check_run("make report", res.report, case, pattern)
        for name, state in res.sentinels.items():
            assert _state(res.report_dir / name) == state, f"{name} in REPORT_DIR was touched by a failed build"
    if case.validate and case.report and case.report_pattern is None:
        assert lines["validate"] == lines["report"], "make validate and make report word the problem differently"


def test_case_count():
    """The issue asks for at least 25 broken inputs."""
    assert len(CASES) >= 25


# --------------------------------------------------------------------------- start after end

def test_start_after_end_package():
    from briefing import chronology
    from briefing.errors import ParameterError
    from briefing.adapters import load

    with pytest.raises(ParameterError, match=r"^parameter 'start': 2017-11-10 is after") as exc:
        chronology.check_window(load("data"), as_of=dt.date(2017, 11, 17), start="2017-11-10", end="2017-11-01")
    assert "\n" not in str(exc.value)


def test_start_after_end_notebook(tmp_path):
    """The chronology notebook run the way the build runs it: one line, exit 2, no traceback."""
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"data_dir": "data", "as_of": "", "figures_dir": str(tmp_path / "figures"),
                                  "start": "2017-11-10", "end": "2017-11-01"}))
    out = tmp_path / "build" / "executed" / "02_chronology.ipynb"
    r = subprocess.run([sys.executable, "-m", "briefing", "build", "notebook", "notebooks/02_chronology.ipynb",
                        "--params", str(params), "--out", str(out)], cwd=paths.ROOT, capture_output=True,
                       text=True, timeout=MAKE_TIMEOUT, env=_env())
    text = r.stdout + r.stderr
    assert r.returncode == 2 and "Traceback" not in text, text
    errors = error_lines(r.stderr)
    assert len(errors) == 1 and re.search(r"^error: notebooks/02_chronology\.ipynb: parameter 'start': "
                                          r"2017-11-10 is after", errors[0]), text
    assert not out.exists()


# --------------------------------------------------------------------------- loader normalisation

def test_loader_normalises_harmless_variants(tmp_path, monkeypatch):
    """BOM, CRLF, reordered and extra columns load to exactly the frames data/ loads to."""
    from briefing import adapters
    from briefing.adapters import curated as load_mod

    monkeypatch.setattr(load_mod, "CACHE_DIR", tmp_path / "cache")
    dc = DataCopy(tmp_path)
    _harmless_variants(dc)
    with pytest.warns(Warning, match="column 'foo'"):
        from briefing.validate import validate
        assert validate(dc.dir) == []
    got, want = adapters.load(dc.dir), adapters.load("data")
    for name in load_mod.TABLES:
        a, b = getattr(got, name), getattr(want, name)
        assert list(a.columns) == list(b.columns), name
        assert a.equals(b), name


def _harmless_variants(dc: DataCopy) -> None:
    _rewrite(dc, "actors", lambda b: b"\xef\xbb\xbf" + b)                       # UTF-8 BOM
    _rewrite(dc, "events", lambda b: b.replace(b"\n", b"\r\n"))                  # Windows line ends
    _add_column(dc, "claims", "foo", "bar")                                      # unknown column
    header, rows = dc.read("sources")                                            # columns reordered
    order = list(reversed(range(len(header))))
    dc.write("sources", [header[i] for i in order], [[r[i] for i in order] for r in rows])
    _rewrite(dc, "evidence", lambda b: b + b"\n\n")                              # trailing blank lines


# --------------------------------------------------------------------------- the full build

def _netns_prefix() -> list[str]:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the no-network test needs `unshare` (util-linux) and `ip` (iproute2) to run the build "
                    "in a network namespace with only loopback; install them")
    return ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]


MD_PORT = 8765  # the HTTP server inside the build's network namespace (nothing else runs there)


def _markdown_bait(tag: str) -> str:
    """Markdown and HTML that would make a reader's browser, or WeasyPrint, fetch from the
    local server if any of it became live markup."""
    base = f"http://127.0.0.1:{MD_PORT}"
    return (f"![img]({base}/{tag}-image.png) [link]({base}/{tag}-link) <{base}/{tag}-autolink> "
            f"<img src={base}/{tag}-raw.png> *em* _em_ `code`")


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, default_reports):
    """One full `make report` on a copy carrying every harmless variant, HTML/script and
    Markdown links and images in the text fields that reach the briefing, from a data folder
    whose path holds a space, with the network unplugged (only loopback, which the Jupyter
    kernel needs) and an HTTP server on loopback that logs any request the build makes."""
    root = tmp_path_factory.mktemp("full build")  # a space in DATA_DIR and in the report folder's parent
    dc = DataCopy(root, full=True)
    for table, key, column in [("events", AIR, "summary"), ("events", "ev-2017-11-09-albu-kamal-captured", "summary"),
                               ("actors", "is", "name"), ("actors", "syrian-army", "name"),
                               ("claims", "cl-albu-kamal-is-fighters", "claimant"),
                               ("claims", "cl-albu-kamal-is-fighters", "quantity"),
                               ("sources", "s002", "outlet")]:
        dc.set(table, key, column, f"{dc.get(table, key, column)} {XSS}")
    for table, key, column in [("actors", "sdf", "name"), ("claims", "cl-border-is-fighters", "scope"),
                               ("claims", "cl-albu-kamal-is-fighters", "scope"),
                               ("sources", "s003", "published_basis"), ("sources", "s002", "published_basis"),
                               ("events", "ev-2017-11-03-al-qaim-captured", "summary")]:
        dc.set(table, key, column, f"{dc.get(table, key, column)} {_markdown_bait(column)}")
    _harmless_variants(dc)  # after the edits above (DataCopy.set expects the id in column 1)
    # places.csv is untouched, so the copied geocoding lock stays valid
    out = root.parent / "fullbuild-out"
    log = root / "http.log"
    inner = ('ip link set lo up && test "$(ip -o link show | wc -l)" -eq 1 && '
             f'python3 -m http.server {MD_PORT} --bind 127.0.0.1 >/dev/null 2>"$3" </dev/null & server=$!; sleep 0.5; '
             'make report DATA_DIR="$1" REPORT_DIR="$2" AS_OF=; status=$?; kill $server; wait $server; exit $status')
    r = subprocess.run([*_netns_prefix(), "sh", "-c", inner, "sh", str(dc.dir), str(out), str(log)], cwd=paths.ROOT,
                       capture_output=True, text=True, timeout=MAKE_TIMEOUT, env=_env())
    if r.returncode != 0 and r.stderr.startswith("unshare:"):
        pytest.fail(f"cannot create a network namespace for the no-network build: {r.stderr.strip()} "
                    "(needs root or unprivileged user namespaces)")
    return r, out, dc, log


def test_full_build_fetches_nothing(full_build):
    """Markdown links and images in the data stay text: the build asked the local server for
    nothing, and the HTML holds no live link or image pointing anywhere."""
    r, out, _, log = full_build
    assert r.returncode == 0, r.stdout + r.stderr
    requests = [ln for ln in log.read_text().splitlines() if "GET" in ln or "HEAD" in ln]
    assert requests == [], f"the build fetched: {requests}"
    page = (out / "briefing.html").read_text(encoding="utf-8")
    outer = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', page)
    assert not re.search(r"<(img|a|script|link|iframe)\b[^>]*(src|href)=[\"']?https?:", outer, re.I), \
        re.search(r"<(img|a|script|link|iframe)\b[^>]*(src|href)=[\"']?https?:[^>]*>", outer, re.I).group(0)
    assert "<em>em</em>" not in outer and "<code>code</code>" not in outer
    text = html.unescape(re.sub(r"<[^>]+>", "", outer))
    for column in ("name", "scope", "published_basis", "summary"):
        assert f"![img](http://127.0.0.1:{MD_PORT}/{column}-image.png)" in text, f"the {column} bait is not shown as text"


def test_data_dir_with_a_space_rebuilds_what_changed(full_build):
    """make tracks the data through digest files, so a DATA_DIR holding a space still re-runs
    exactly the notebooks that read a changed table: claims.csv is one of the tables that decide
    what was known on as_of, which every notebook reads (all five run); the basemap only the
    territory notebook reads."""
    r, out, dc, _ = full_build
    assert r.returncode == 0, r.stdout + r.stderr
    dc.set("claims", "cl-border-is-fighters", "note", "edited after the first build")
    again = make("report", f"DATA_DIR={dc.dir}", f"REPORT_DIR={out}")
    assert again.returncode == 0, again.stdout + again.stderr
    ran = sorted(re.findall(r"^\[notebook\] (\S+)", again.stdout, re.M))
    assert ran == ["01_overview", "02_chronology", "03_territory", "04_figures", "05_sources_method",
                   "06_corroboration"], again.stdout
    assert "[report]" in again.stdout
    rivers = dc.dir / "basemap" / "rivers.geojson"
    rivers.write_text(rivers.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = make("report", f"DATA_DIR={dc.dir}", f"REPORT_DIR={out}")
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.findall(r"^\[notebook\] (\S+)", again.stdout, re.M) == ["03_territory"], again.stdout
    quiet = make("report", f"DATA_DIR={dc.dir}", f"REPORT_DIR={out}")
    assert quiet.returncode == 0 and "[notebook]" not in quiet.stdout and "[validate]" not in quiet.stdout, quiet.stdout


def test_full_build_offline_with_harmless_variants(full_build):
    r, out, *_ = full_build
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "Traceback" not in text and error_lines(text) == [], text
    warns = warning_lines(r.stderr)
    assert any(re.search(r"claims\.csv, row 1, column 'foo': column is not in datapackage\.json; ignored$", w)
               for w in warns), warns
    assert any("column 'summary': text contains HTML markup" in w for w in warns), warns
    assert (out / "briefing.html").stat().st_size > 0 and (out / "briefing.pdf").read_bytes()[:5] == b"%PDF-"


def test_full_build_escapes_text(full_build):
    """CSV text reaches the HTML as text: tables, captions, the web map's popups and tooltips."""
    r, out, *_ = full_build
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / "briefing.html").read_text(encoding="utf-8")
    frames = [html.unescape(m) for m in re.findall(r'srcdoc="([^"]*)"', page)]
    outer = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', page)
    escaped = html.escape(XSS, quote=False)
    assert "<img src=x" not in outer
    assert outer.count(escaped) >= 5, "the test text did not reach the briefing's tables"
    for name in ("Islamic State", "Syrian army"):  # actor names: in tables
        assert f"{name} {escaped}".lower() in outer.lower()
    assert frames, "no web map iframe in the briefing"
    for doc in frames:
        # markup in the map document is escaped; strings inside scripts are JSON with \u003c
        assert "<img src=x" not in doc
        for call in re.findall(r"\.bind(?:Popup|Tooltip)\((\"(?:[^\"\\]|\\.)*\")", doc):
            markup = json.loads(call)
            assert "<img src=x" not in markup, markup
        assert any(escaped in json.loads(call) for call in
                   re.findall(r"\.bind(?:Popup|Tooltip)\((\"(?:[^\"\\]|\\.)*\")", doc)), \
            "the test text did not reach the map's popups or tooltips"


def test_full_build_exports_are_formula_safe(full_build):
    """Every CSV the build writes goes through figures.write_csv: no cell a spreadsheet would run."""
    r, out, *_ = full_build
    assert r.returncode == 0, r.stdout + r.stderr
    csvs = sorted((out / "figures").glob("*.csv"))
    assert csvs
    for p in csvs:
        for row in csv.reader(p.open(encoding="utf-8", newline="")):
            for cell in row:
                if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not re.fullmatch(r"-[\d.eE+-]+", cell)):
                    pytest.fail(f"{p.name}: unprotected cell {cell[:40]!r}")


def test_protect_formulas():
    import pandas as pd

    from briefing.figures import protect_formulas

    df = pd.DataFrame({"t": ["=1+1", "+1", "-x", "@A", "ok", None], "n": [-1.5, 1, 2, 3, 4, 5]})
    got = protect_formulas(df)
    assert list(got["t"][:5]) == ["'=1+1", "'+1", "'-x", "'@A", "ok"]
    assert list(got["n"]) == [-1.5, 1, 2, 3, 4, 5]

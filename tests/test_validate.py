"""The validator: data/ is clean, and every check fails on a fixture broken in exactly one way.

Each fixture copies data/ to a temporary folder and breaks one thing; the test asserts that one
error line names the file, the row (header = row 1) and the column, and the problem.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys

import pytest

from briefing import paths
from briefing.validate import validate


def test_data_is_valid():
    errors = validate(paths.DATA)
    assert errors == [], "\n".join(map(str, errors))


def test_seeds_match_manifest():
    for line in (paths.SEEDS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((paths.SEEDS / name).read_bytes()).hexdigest() == digest, name
    listed = {line.split()[1] for line in (paths.SEEDS / "SHA256SUMS").read_text().splitlines()}
    assert listed == {p.name for p in paths.SEEDS.glob("*.txt")}


# Each breaker mutates a DataCopy and returns the fragments one error line must contain.

def cell(dc, table, key, column, value, *problem):
    row = dc.set(table, key, column, value)
    return [dc.file(table), f"row {row}", f"column '{column}'", *problem]


BREAKERS = {
    # --- Frictionless (schema) -------------------------------------------------------------
    "type-date": lambda dc: cell(dc, "events", "ev-2017-11-17-rawa-recaptured", "date", "2017-13-01", "not a valid date"),
    "type-integer": lambda dc: cell(dc, "events", "ev-2017-11-17-rawa-recaptured", "time_precision", "one", "not a valid integer"),
    "enum": lambda dc: cell(dc, "events", "ev-2017-11-17-rawa-recaptured", "event_type", "massacre", "enum"),
    "required": lambda dc: cell(dc, "places", "rawa", "name", "", "required value is missing"),
    "pattern-country": lambda dc: cell(dc, "places", "rawa", "country", "Iraq", "pattern"),
    "pattern-id": lambda dc: cell(dc, "events", "ev-2017-11-17-rawa-recaptured", "event_id", "Rawa_Recaptured", "pattern"),
    "primary-key": lambda dc: cell(dc, "actors", "sdf", "actor_id", "is", "duplicate value 'is'"),
    "foreign-key": lambda dc: cell(dc, "events", "ev-2017-11-17-rawa-recaptured", "place_id", "rawah", "unknown reference", "rawah"),
    "foreign-key-self": lambda dc: cell(dc, "places", "hiri", "parent_id", "abukamal", "unknown reference", "abukamal"),
    "foreign-key-control": lambda dc: cell(dc, "control", "ct-rawa-iraqi-forces", "controller", "iraqi-army", "unknown reference"),
    # --- custom checks -----------------------------------------------------------------------
    "quote": lambda dc: cell(dc, "evidence", "ev-2003-us-invasion-of-iraq", "quote",
                             dc.get("evidence", "ev-2003-us-invasion-of-iraq", "quote").replace("ousted", "toppled"),
                             "quote not found in seed 000_", "toppled"),
    "alias-place": lambda dc: cell(dc, "places", "hiri", "aliases", "Hiri|Al-Hiri", "alias 'Al-Hiri' not found"),
    "alias-actor": lambda dc: cell(dc, "actors", "is", "aliases", "IS|ISIL", "alias 'ISIL' not found"),
    "alias-empty": lambda dc: cell(dc, "places", "rawa", "aliases", "Rawa||", "empty alias"),
    "headline": lambda dc: cell(dc, "sources", "s002", "headline", "IS wins", "headline not found"),
    "seed-file": lambda dc: cell(dc, "sources", "s002", "seed_file", "002_ffffffffffffffff.txt", "not found"),
    "source-prefix": lambda dc: _swap_source_ids(dc),
    "after-publication": lambda dc: cell(dc, "events", "ev-2017-11-03-al-qaim-captured", "date", "2017-11-04",
                                         "after the publication of its source s002 (2017-11-03)"),
    "claim-after-publication": lambda dc: cell(dc, "claims", "cl-border-is-fighters", "as_of", "2017-11-06",
                                               "after the publication of its source"),
    "month-precision": lambda dc: cell(dc, "events", "ev-2017-07-mosul-retaken", "date", "2017-07-15",
                                       "requires the first day of the month"),
    "range-low-high": lambda dc: cell(dc, "claims", "cl-albu-kamal-is-fighters", "low", "4000", "greater than high"),
    "range-value": lambda dc: _value_outside(dc),
    "unknown-actor-in-list": lambda dc: cell(dc, "events", "ev-2017-11-04-converge-on-albu-kamal", "actor",
                                             "syrian-army|hezbollah", "unknown actor_id 'hezbollah'"),
    "unknown-derived-from": lambda dc: cell(dc, "claims", "cl-deir-ezzor-displaced-children", "derived_from",
                                            "cl-deir-ezzor-displaced|cl-nope", "unknown claim_id 'cl-nope'"),
    "derived-stated": lambda dc: cell(dc, "claims", "cl-deir-ezzor-displaced-children", "derivation", "stated", "cannot be 'stated'"),
    "parent-self": lambda dc: cell(dc, "places", "hiri", "parent_id", "hiri", "its own parent"),
    "unknown-record": lambda dc: cell(dc, "evidence", "cl-air-strike-deaths", "record_id", "cl-air-strike-dead", "unknown record_id"),
    "no-evidence": lambda dc: _no_evidence(dc),
    "control-overlap": lambda dc: _overlap(dc),
    "control-start-after-end": lambda dc: cell(dc, "control", "ct-deir-ezzor-city-is", "end", "2013-06-01", "is not after start"),
    "control-start-date": lambda dc: cell(dc, "control", "ct-al-qaim-iraqi-forces", "start", "2017-11-04",
                                          "disagrees with the date 2017-11-03"),
    "control-controller": lambda dc: cell(dc, "control", "ct-raqqa-sdf", "controller", "syrian-army",
                                          "disagrees with controller_after 'sdf'"),
    "control-event-place": lambda dc: cell(dc, "control", "ct-al-qaim-iraqi-forces", "event_id",
                                           "ev-2017-11-03-husaybah-captured", "is at 'husaybah-border-post'"),
    "control-missing-event": lambda dc: cell(dc, "control", "ct-mosul-iraqi-forces", "event_id", "", "must name the event"),
    "control-end-event": lambda dc: cell(dc, "control", "ct-rawa-is", "end_event_id", "ev-2017-11-03-al-qaim-captured",
                                         "is at 'al-qaim', not 'rawa'"),
    "event-starts-no-period": lambda dc: _orphan_change(dc),
    "loss-ends-no-period": lambda dc: _orphan_loss(dc),
    # --- provenance (issue 16): attribution, field support, field coverage ----------------------
    "attribution-not-in-quote": lambda dc: cell(dc, "evidence", "ev-2017-11-04-sdf-gains", "asserted_by", "the army",
                                                "asserted_by 'the army' does not occur in the quote"),
    "attribution-verb": lambda dc: cell(dc, "evidence", "ev-2017-11-04-sdf-gains", "verb", "announced",
                                        "verb 'announced' does not occur in the quote"),
    "attribution-outlet-verb": lambda dc: cell(dc, "evidence", "ev-2003-us-invasion-of-iraq", "verb", "said",
                                               "the outlet's own voice is 'reported'"),
    "supports-date": lambda dc: cell(dc, "evidence", "ev-2017-11-04-sdf-gains", "supports", "place|actor|date",
                                     "does not support 'date' of 'ev-2017-11-04-sdf-gains'", "no date expression"),
    "supports-place": lambda dc: _place_not_named(dc),
    "supports-no-actor": lambda dc: cell(dc, "evidence", "ev-2011-03-syrian-war-begins", "supports", "date|actor",
                                         "does not support 'actor'", "the record has no actor"),
    "supports-value": lambda dc: _value_not_printed(dc),
    "coverage-missing": lambda dc: cell(dc, "events", "ev-2017-10-hawija-lost", "not_reported", "",
                                        "'actor' of 'ev-2017-10-hawija-lost' has no supporting quote"),
    "not-reported-form": lambda dc: cell(dc, "events", "ev-2017-10-hawija-lost", "not_reported", "actor because nobody says",
                                         "pattern"),
    "wire-group": lambda dc: cell(dc, "sources", "s001", "wire_group", "s001", "disagrees with near-duplicate detection ('s000')"),
}


def _place_not_named(dc):
    # the Observatory's sentence names Deir Ezzor, not Raqqa
    dc.set("events", "ev-2017-11-04-sdf-gains", "place_id", "raqqa")
    return [dc.file("evidence"), f"row {dc.row_of('evidence', 'ev-2017-11-04-sdf-gains')}", "column 'supports'",
            "does not support 'place' of 'ev-2017-11-04-sdf-gains'", "names no alias of place 'raqqa'"]


def _value_not_printed(dc):
    # the articles print "four members of the same family"; 5 is not printed
    dc.set("claims", "cl-air-strike-deaths", "value", "5")
    return [dc.file("evidence"), f"row {dc.row_of('evidence', 'cl-air-strike-deaths')}", "column 'supports'",
            "does not support 'value' of 'cl-air-strike-deaths'", "does not print the value (5"]


def _swap_source_ids(dc):
    row = dc.set("sources", "s004", "source_id", "s044")
    return [dc.file("sources"), f"row {row}", "column 'source_id'", "does not match the seed file prefix ('s004')"]


def _value_outside(dc):
    dc.set("claims", "cl-albu-kamal-is-fighters", "value", "4000")
    return [dc.file("claims"), f"row {dc.row_of('claims', 'cl-albu-kamal-is-fighters')}", "column 'value'", "above high 3500"]


def _no_evidence(dc):
    dc.delete("evidence", lambda r: r["record_id"] == "cl-air-strike-deaths")
    return [dc.file("claims"), f"row {dc.row_of('claims', 'cl-air-strike-deaths')}", "column 'claim_id'", "no evidence row"]


def _overlap(dc):
    # IS's period at Rawa now runs past the Iraqi capture (and its end event no longer matches).
    dc.set("control", "ct-rawa-is", "end", "")
    dc.set("control", "ct-rawa-is", "end_event_id", "")
    dc.set("control", "ct-rawa-is", "end_precision", "")
    return [dc.file("control"), f"row {dc.row_of('control', 'ct-rawa-iraqi-forces')}", "column 'start'",
            "overlaps 'ct-rawa-is'"]


def _orphan_change(dc):
    dc.delete("control", lambda r: r["control_id"] == "ct-raqqa-sdf")
    return [dc.file("events"), f"row {dc.row_of('events', 'ev-2017-10-17-raqqa-captured')}", "column 'controller_after'",
            "starts no control period"]


def _orphan_loss(dc):
    dc.set("control", "ct-hawija-is", "end_event_id", "")
    dc.set("control", "ct-hawija-is", "end", "")
    dc.set("control", "ct-hawija-is", "end_precision", "")
    return [dc.file("events"), f"row {dc.row_of('events', 'ev-2017-10-hawija-lost')}", "column 'event_type'",
            "ends no control period"]


def _line_with(errors, fragments):
    lines = [str(e) for e in errors]
    return [line for line in lines if all(f in line for f in fragments)]


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_broken_fixture_fails_with_one_line(name, data_copy):
    fragments = BREAKERS[name](data_copy)
    errors = validate(data_copy.dir)
    assert errors, f"{name}: the broken fixture validated clean"
    assert all("\n" not in str(e) for e in errors)
    assert _line_with(errors, fragments), f"{name}: no line contains {fragments}:\n" + "\n".join(map(str, errors))


# --- file-level problems: one line, no traceback ------------------------------------------------

def test_missing_file(data_copy):
    (data_copy.dir / "control.csv").unlink()
    errors = validate(data_copy.dir)
    assert _line_with(errors, [data_copy.file("control"), "file not found"])


def test_short_row_is_one_line(data_copy):
    with (data_copy.dir / "claims.csv").open("a", encoding="utf-8") as fh:
        fh.write("cl-short,people\n")
    errors = validate(data_copy.dir)
    short = _line_with(errors, [data_copy.file("claims"), "row 26", "row is short"])
    assert len(short) == 1
    assert not _line_with(errors, ["row 26", "required value is missing"])


def test_not_utf8(data_copy):
    (data_copy.dir / "actors.csv").write_bytes((data_copy.dir / "actors.csv").read_bytes() + b"x,\xff\xfe,y\n")
    errors = validate(data_copy.dir)
    assert _line_with(errors, [data_copy.file("actors"), "not UTF-8"])


def test_invalid_json(data_copy):
    (data_copy.dir / "datapackage.json").write_text("{ not json", encoding="utf-8")
    errors = validate(data_copy.dir)
    assert len(errors) == 1 and "datapackage.json" in str(errors[0]) and "invalid JSON" in str(errors[0])


def test_undescribed_resource(data_copy):
    import json
    p = data_copy.dir / "datapackage.json"
    desc = json.loads(p.read_text())
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "claims"]
    p.write_text(json.dumps(desc))
    assert _line_with(validate(data_copy.dir), ["datapackage.json", "resource 'claims'"])


def test_missing_folder(tmp_path):
    errors = validate(tmp_path / "nope")
    assert len(errors) == 1 and "data folder not found" in str(errors[0])


def test_modified_seed_in_own_seeds_folder(data_copy):
    """A data folder may ship its own seeds/; a seed that no longer matches SHA256SUMS is reported."""
    seeds = data_copy.dir / "seeds"
    shutil.copytree(paths.SEEDS, seeds)
    p = seeds / "004_1edb87f518427efb.txt"
    p.write_text(p.read_text(encoding="utf-8").replace("Thursday", "Wednesday"), encoding="utf-8")
    errors = validate(data_copy.dir)
    assert _line_with(errors, ["004_1edb87f518427efb.txt", "SHA-256 does not match"])
    assert _line_with(errors, [data_copy.file("evidence"), "column 'quote'", "quote not found"])


# --- command line ---------------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "briefing", "validate", *args], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_ok():
    r = _cli()
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: 7 files,")


@pytest.mark.parametrize("name", ["quote", "foreign-key", "control-overlap", "range-low-high"])
def test_cli_broken_exits_nonzero_without_traceback(name, data_copy):
    fragments = BREAKERS[name](data_copy)
    r = _cli("--data-dir", str(data_copy.dir))
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Traceback" not in out
    assert any(all(f in line for f in fragments) for line in r.stderr.splitlines()), out


def test_cli_missing_folder_no_traceback(tmp_path):
    r = _cli("--data-dir", str(tmp_path / "nope"))
    assert r.returncode != 0 and "Traceback" not in r.stdout + r.stderr
    assert "data folder not found" in r.stderr


def test_support_table_printed_by_validate():
    """`python -m briefing validate --supports` prints one line per record and no missing field."""
    out = subprocess.run([sys.executable, "-m", "briefing", "validate", "--supports"], cwd=paths.ROOT,
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["record", "date", "place", "actor", "controller", "value"]
    hawija = next(line for line in lines if line.startswith("ev-2017-10-hawija-lost "))
    assert "not reported" in hawija and "rows " in hawija
    assert ", 0 missing" in out

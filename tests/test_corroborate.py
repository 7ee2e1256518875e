"""Corroboration of the briefing's events against an event dataset (briefing/corroborate.py):
the pieces (spans, distances, radii, sides), the statuses on small frames, and the real UCDP GED
Iraq 2017 extract, where Al-Qaim on 3 November is in both and Rawa on 17 November is not."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from briefing import adapters, corroborate as C, paths

UCDP = paths.ROOT / "tests" / "fixtures" / "ucdp"


def test_spans_follow_precision_and_explicit_ends():
    f = pd.DataFrame({"date": pd.to_datetime(["2017-11-03", "2017-11-03", "2017-11-03", "2017-11-03"]),
                      "time_precision": [1, 2, 3, 1],
                      "date_end": pd.to_datetime(["2017-11-03", "2017-11-03", "2017-11-03", "2017-11-09"])})
    s = C.spans(f)
    assert list(s["span_start"].dt.strftime("%m-%d")) == ["11-03", "10-30", "11-01", "11-03"]
    assert list(s["span_end"].dt.strftime("%m-%d")) == ["11-03", "11-05", "11-30", "11-09"]


def test_distance_and_radii():
    # Al-Qaim as the articles' geocoding places it and as UCDP does: about 16 km apart
    km = C.distance_km([34.39251], [40.98945], [34.368367], [41.162221])[0]
    assert 15 < km < 17
    assert list(C.radius([1, 2, 3, None])) == [10.0, 25.0, 50.0, 50.0]


def frame(rows):
    out = pd.DataFrame(rows, columns=["event_id", "date", "lat", "lon", "radius_km", "sides"])
    out["date"] = pd.to_datetime(out["date"])
    return out.assign(span_start=out["date"], span_end=out["date"], country="IQ")


def test_statuses_on_small_frames():
    IQ, IS = "iraqi-government", "islamic-state"
    ours = frame([["same", "2017-11-03", 34.0, 41.0, 10, frozenset({IQ, IS})],
                  ["later", "2017-11-20", 35.0, 42.0, 10, frozenset({IQ, IS})],
                  ["actors", "2017-11-03", 36.0, 43.0, 10, frozenset({IQ, IS})],
                  ["nothing", "2017-11-03", 33.0, 44.0, 10, frozenset({IQ})],
                  ["far", "2017-11-03", 32.0, 45.0, 10, frozenset({IQ})]])
    theirs = frame([["t1", "2017-11-03", 34.1, 41.0, 10, frozenset({IQ, IS})],   # 11 km: within 20
                    ["t2", "2017-11-12", 35.0, 42.0, 10, frozenset({IQ})],       # 8 days before 'later'
                    ["t3", "2017-11-03", 36.0, 43.0, 10, frozenset({"other-side"})],
                    ["t4", "2017-11-03", 32.5, 45.0, 10, frozenset({IQ})]])      # 55 km from 'far'
    x = C.pairs(ours, theirs.rename(columns={}))
    res = C.classify(ours, x, pd.Series([True] * 4 + [False])).set_index("event_id")
    assert res.loc["same", "status"] == "corroborated" and res.loc["same", "their_ids"] == ["t1"]
    assert (res.loc["later", "status"], res.loc["later", "why"]) == ("in tension", "another date")
    assert (res.loc["actors", "status"], res.loc["actors", "why"]) == ("in tension", "other actors")
    assert res.loc["nothing", "status"] == "not found"
    assert res.loc["far", "status"] == "outside coverage"
    # an actor the briefing cannot place on a side is compatible with anyone
    assert C.pairs(ours.iloc[:1].assign(sides=[frozenset()]), theirs.iloc[2:3].assign(
        lat=34.0, lon=41.0))["actors_ok"].all()


@pytest.fixture(scope="module")
def ucdp_view():
    ds, p = adapters.open(data_dir="data", tables=C.TABLES)
    return C.prepare(ds, p, adapters.open_compare("tests/fixtures/ucdp"))


def test_al_qaim_is_corroborated_and_rawa_is_not(ucdp_view):
    res = ucdp_view.result.set_index("event_id")
    for ev in ("ev-2017-11-03-al-qaim-captured", "ev-2017-11-03-husaybah-captured"):
        assert res.loc[ev, "status"] == "corroborated"
        assert "248358" in res.loc[ev, "their_ids"]  # "Iraqi forces retake crossing on Syria border from IS"
    assert res.loc["ev-2017-11-17-rawa-recaptured", "status"] == "not found"
    # the Syrian events cannot be checked against an Iraq-only file
    assert res.loc["ev-2017-10-17-raqqa-captured", "status"] == "outside coverage"
    table = ucdp_view.table()._repr_mimebundle_()[0]["text/html"]
    assert "Iraqi forces retake crossing on Syria border from IS" in table and "248358" in table
    summary = ucdp_view.summary()._repr_mimebundle_()[0]["text/markdown"]
    assert "corroborated" in summary and "not found" in summary
    u = ucdp_view.unmentioned
    assert len(u) and not set(u["event_id"]) & {"248358"}
    assert (u["span_start"] <= pd.Timestamp("2017-11-17")).all()


def test_without_compare_the_section_is_empty():
    ds, p = adapters.open(data_dir="data", tables=C.TABLES)
    v = C.prepare(ds, p, adapters.open_compare(""))
    for out in (v.heading(), v.summary(), v.table(), v.not_mentioned()):
        assert out._repr_mimebundle_()[0] == {"text/plain": ""}


def test_headlines_are_escaped(tmp_path):
    folder = tmp_path / "ucdp"
    folder.mkdir()
    raw = (UCDP / "ucdp-ged-iraq-2017.csv").read_bytes()
    hostile = b"<script>alert(1)</script> [x](http://evil.example) *boom*"
    raw = raw.replace(b"TOPSHOTS Iraqi forces retake crossing on Syria border from IS", hostile)
    (folder / "ged.csv").write_bytes(raw)
    ds, p = adapters.open(data_dir="data", tables=C.TABLES)
    v = C.prepare(ds, p, adapters.open_compare(str(folder)))
    html = v.table()._repr_mimebundle_()[0]["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html and "](http" not in html


def make(*args) -> "subprocess.CompletedProcess":
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DATA_DIR", "AS_OF", "REPORT_DIR", "COMPARE"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=paths.ROOT, capture_output=True, text=True,
                          env=env)


def test_compare_is_a_parameter_checked_in_python(tmp_path):
    marker = tmp_path / "pwned"
    proc = make("report", f"COMPARE=$(shell touch {marker})", f"REPORT_DIR={tmp_path / 'out'}")
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert proc.returncode != 0 and not marker.exists()
    assert len(errors) == 1 and "parameter 'compare'" in errors[0] and "does not exist" in errors[0]
    assert not (tmp_path / "out" / "briefing.html").exists()


def test_a_compare_folder_no_adapter_accepts_stops_before_the_notebooks(tmp_path):
    proc = make("report", "COMPARE=tests/fixtures/acled/weekly-aggregated", f"REPORT_DIR={tmp_path / 'out'}")
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(errors) == 1 and "aggregated counts, not events" in errors[0]
    assert "[notebook]" not in proc.stdout

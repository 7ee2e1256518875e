"""Every layout in which analysts hold ACLED data, and a real UCDP GED file, through the
adapters, `make validate` and the views: each is read into the same model, or refused in one
line that says why (tests/fixtures/acled/README.md lists the layouts)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest

from briefing import adapters, paths
from briefing.adapters import acled, table, ucdp

ACLED = paths.ROOT / "tests" / "fixtures" / "acled"
UCDP = paths.ROOT / "tests" / "fixtures" / "ucdp"
EVENT_LAYOUTS = ["current", "current-text-inter", "export-2019-2022", "pre-2019", "hdx-hxl",
                 "spreadsheet-semicolon-cp1252", "tab-bom-two-digit-year", "no-transfers"]


def make_validate(folder) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["DATA_DIR"] = str(folder)
    return subprocess.run(["make", "--no-print-directory", "validate"], cwd=paths.ROOT, capture_output=True,
                          text=True, env=env)


@pytest.mark.parametrize("layout", EVENT_LAYOUTS)
def test_every_acled_layout_reads_into_the_same_events(layout):
    ds = adapters.load(ACLED / layout)
    ref = adapters.load(ACLED / "current")
    cols = ["event_id", "date", "time_precision", "event_type", "place_id", "country", "actor", "opponent",
            "controller_after", "fatalities"]
    got, want = ds.events[cols].astype(str), ref.events[cols].astype(str)
    if layout == "pre-2019":  # the old single event type has no finer sub-event type for the strike
        want.loc[want["event_type"].eq("Air/drone strike"), "event_type"] = "Remote violence"
    if layout == "no-transfers":
        assert ds.events["controller_after"].isna().all() and not ds.has_transfers and len(ds.control) == 0
        return
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert ds.has_transfers and len(ds.control) == len(ref.control)
    # the note with a quoted line break and (Windows-1252) an en dash and an accent survive
    notes = " ".join(ds.events["summary"].astype(str))
    assert "\nFigures unconfirmed." in notes
    if layout == "spreadsheet-semicolon-cp1252":
        assert "Deir ez-Zor (Dayr az Zawr) – café" in notes


@pytest.mark.parametrize("layout", [*EVENT_LAYOUTS, "weekly-aggregated"])
def test_make_validate_says_what_it_read(layout):
    proc = make_validate(ACLED / layout)
    if layout == "weekly-aggregated":
        assert proc.returncode != 0
        errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
        assert len(errors) == 1 and "aggregated counts, not events" in errors[0], proc.stderr
        assert "Traceback" not in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ok: ACLED (" in out and "8 events from 2017-10-17 to 2017-11-17" in out and "countries: Iraq, Syria" in out
    expected = {"pre-2019": "pre-2019 layout", "export-2019-2022": "2019-2022 layout", "hdx-hxl": "HXL hashtag row",
                "spreadsheet-semicolon-cp1252": "Windows-1252, semicolon-separated, 1 title line skipped, upper-case",
                "tab-bom-two-digit-year": "UTF-8 with BOM, tab-separated"}.get(layout, "current layout")
    assert expected in out


def test_make_validate_on_the_real_ucdp_file():
    proc = make_validate(UCDP)
    assert proc.returncode == 0, proc.stderr
    assert "ok: UCDP (GED layout; HXL hashtag row skipped): 1 file" in proc.stdout
    assert "600 events from 2017-01-01 to 2017-12-31, countries: Iraq" in proc.stdout


def test_ucdp_mapping_on_the_real_file():
    ds = adapters.load(UCDP)
    assert not ds.has_transfers and len(ds.control) == 0 and ds.events["controller_after"].isna().all()
    assert ds.region == "Iraq" and ds.period == (pd.Timestamp("2017-01-01").date(), pd.Timestamp("2017-12-31").date())
    ev = ds.events.set_index("event_id")
    raw = pd.read_csv(UCDP / "ucdp-ged-iraq-2017.csv", skiprows=[1], dtype=str, keep_default_na=False).set_index("id")
    assert len(ev) == len(raw) == 600
    assert (ev["fatalities"].astype(int) == raw.loc[ev.index, "best"].astype(int)).all()
    assert (ev["date_end"] >= ev["date"]).all()
    spans = ev[ev["date_end"] > ev["date"]]
    assert len(spans) and (raw.loc[spans.index, "date_prec"] != "1").all()
    assert set(ev["time_precision"].astype(int)) <= {1, 2, 3}
    # date_prec 4 (a month) reads as precision 3; where_prec 4 (a province) as 3
    month = raw.index[raw["date_prec"] == "4"]
    assert (ev.loc[month, "time_precision"].astype(int) == 3).all()
    sides = dict(zip(ds.actors["name"], ds.actors["side"]))
    assert sides["IS"] == "islamic-state" and sides["Government of Iraq"] == "iraqi-government"
    assert sides["Government of Turkey"] == "other"
    # the report each event rests on: outlet, headline and its own date
    src = ds.sources.set_index("source_id")
    e = ev.loc["245037"]
    assert src.loc[e["source_id"], "headline"] == "Battling IS, Iraq troops reach bank of Tigris River in Mosul"
    assert src.loc[e["source_id"], "published"] == pd.Timestamp("2017-01-09")
    assert "Al Qā’im" in " ".join(ds.places["name"].astype(str))


def test_unrecognised_folder_gets_one_line_per_adapter(tmp_path):
    (tmp_path / "x.csv").write_text("a,b,c,d,e\n1,2,3,4,5\n", encoding="utf-8")
    with pytest.raises(Exception) as info:
        adapters.detect(tmp_path)
    lines = [str(e) for e in info.value.errors]
    assert len(lines) == len(adapters.ADAPTERS) == 3
    assert "not an ACLED folder" in lines[0] and "x.csv lacks event_id_cnty" in lines[0]
    assert "not a UCDP folder" in lines[1] and "x.csv lacks id, date_start" in lines[1]
    assert "not a curated folder" in lines[2]


def test_dates_follow_the_stated_rule():
    got = acled.parse_dates(pd.Series(["2017-11-03", "3 November 2017", "03/11/2017", "3-11-17", "03.11.2017",
                                       "11/17/2017", "2017-13-01", "9999-12-31", "03-11-2017"]))
    day = pd.Timestamp("2017-11-03")
    assert got.iloc[:5].eq(day).all() and got.iloc[5:8].isna().all() and got.iloc[8] == day
    assert "month-first" in acled.date_problem("11/17/2017") and "YYYY-MM-DD" in acled.date_problem("11/17/2017")


def test_month_first_dates_are_refused_with_how_to_fix(tmp_path):
    src = (ACLED / "current" / "acled.csv").read_text(encoding="utf-8").replace("2017-11-17", "11/17/2017")
    (tmp_path / "a.csv").write_text(src, encoding="utf-8")
    errors = [str(e) for e in acled.validate(tmp_path)[0]]
    assert len(errors) == 1 and "row 8" in errors[0] and "event_date" in errors[0] and "month-first" in errors[0]


def test_an_out_of_scope_country_is_one_line(tmp_path):
    lines = (ACLED / "current" / "acled.csv").read_text(encoding="utf-8").splitlines()
    body = [l.replace(",368,Middle East,Iraq,", ",404,Eastern Africa,Kenya,") for l in lines[1:]]
    (tmp_path / "a.csv").write_text("\n".join([lines[0], *body * 4]).replace("IRQ5", "KEN5") + "\n", encoding="utf-8")
    errors = [str(e) for e in acled.validate(tmp_path)[0] if "'iso'" in str(e)]
    assert len(errors) == 1, errors
    assert "'404' (Kenya)" in errors[0] and "row 2" in errors[0]


def test_windows_1252_headers_are_named(tmp_path):
    lay = table.sniff(ACLED / "spreadsheet-semicolon-cp1252" / "acled export.csv")
    assert lay.encoding == "cp1252" and lay.delimiter == ";" and lay.title_lines == 1 and not lay.hxl
    assert lay.names[:2] == ("event_id_cnty", "event_date") and lay.names[20] == "admin3"
    assert lay.first_data_row == 3
    pre = table.sniff(ACLED / "pre-2019" / "acled.csv")
    assert pre.names[0] == "_unnamed_0" and "gwno" in pre.names


def test_row_numbers_count_the_title_line(tmp_path):
    folder = tmp_path / "xl"
    shutil.copytree(ACLED / "spreadsheet-semicolon-cp1252", folder)
    path = folder / "acled export.csv"
    path.write_bytes(path.read_bytes().replace(b"IRQ5003;17/11/2017", b"IRQ5003;31/02/2017"))
    errors = [str(e) for e in acled.validate(folder)[0]]
    # the title line is row 1, the header row 2; IRQ5003 is the 7th event, but the Husaybah note's
    # quoted line break does not make it a row of its own: spreadsheet row 9
    assert len(errors) == 1 and "row 9" in errors[0] and "'31/02/2017'" in errors[0], errors

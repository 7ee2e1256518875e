"""Bring your own data (ACLED): export layout, HXL, formula protection, import, round trip,
the synthetic generator and one full build from synthetic ACLED data (issue 10).

"Same chronology" (the round trip): export the curated events, import the export as an ACLED
folder and build the chronology from it; every exported event in the window appears once with
the same date, date precision (day/week/month), place name, event type (the curated type
mapped by :data:`briefing.adapters.acled.TYPE_MAP` / the transfer rule), actor(s) (an unnamed actor is
ACLED's "Unidentified Armed Group (<country>)") and new holder. Not compared: sources (ACLED
has one source string per event, not the seeds) and the "lost, taker not named" style of
Hawija (ACLED's transfer sub-events need a taker; see briefing/adapters/acled.py).
"""
from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from briefing import chronology, export, paths, synth
from briefing.adapters import acled, load
from briefing.errors import ValidationFailed
from conftest import open_view

ISSUE_COLUMNS = ("event_id_cnty, event_date, year, time_precision, disorder_type, event_type, sub_event_type, "
                 "actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, interaction, civilian_targeting, "
                 "iso, region, country, admin1, admin2, admin3, location, latitude, longitude, geo_precision, "
                 "source, source_scale, notes, fatalities, tags, timestamp").split(", ")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    main_csv, hxl_csv, df, left = export.write_export(paths.DATA, out)
    return main_csv, hxl_csv, df, left


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


# --------------------------------------------------------------------------- export
def test_export_columns_exactly_as_acled(exported):
    main_csv, _, df, _ = exported
    assert list(acled.COLUMNS) == ISSUE_COLUMNS
    assert _rows(main_csv)[0] == ISSUE_COLUMNS
    assert list(df.columns) == ISSUE_COLUMNS


def test_export_values(exported):
    _, _, df, left = exported
    assert set(df["iso"]) == {760, 368}
    assert set(df["region"]) == {"Middle East"}
    assert set(df["time_precision"]) <= {1, 2, 3} and set(df["geo_precision"]) <= {1, 2, 3}
    assert df["timestamp"].nunique() == 1
    assert df["event_id_cnty"].is_unique
    # left out: region-wide and non-SY/IQ events, named with a reason
    events = load(paths.DATA).events
    region_wide = set(events.loc[events["country"].str.contains("|", regex=False)
                                 | ~events["country"].isin(["SY", "IQ"]), "event_id"])
    assert set(left["event_id"]) == region_wide
    assert {"ev-2014-is-rampage", "ev-2017-10-30-manhattan-truck-attack"} <= region_wide
    strike = df[df["sub_event_type"] == "Air/drone strike"].iloc[0]
    assert strike["fatalities"] == 4  # from cl-air-strike-deaths (same place, same day)
    assert (df.drop(index=strike.name)["fatalities"] == 0).all()


def test_hxl_copy(exported):
    main_csv, hxl_csv, _, _ = exported
    rows, main = _rows(hxl_csv), _rows(main_csv)
    assert rows[0] == ISSUE_COLUMNS
    tags = dict(zip(rows[0], rows[1]))
    assert all(t.startswith("#") for t in rows[1])
    for col, tag in {"event_date": "#date+occurred", "admin1": "#adm1+name", "location": "#loc+name",
                     "latitude": "#geo+lat", "longitude": "#geo+lon", "actor1": "#group+name+first",
                     "source": "#meta+source"}.items():
        assert tags[col] == tag
    assert len(rows) == len(main) + 1
    assert [r[0] for r in rows[2:]] == [r[0] for r in main[1:]]


def test_transfers_use_the_two_territorial_sub_event_types(exported):
    _, _, df, _ = exported
    ds = load(paths.DATA)
    n_transfers = int(ds.events["controller_after"].notna().sum())
    tr = df[df["sub_event_type"].isin([acled.GOV_REGAINS, acled.NSA_OVERTAKES])]
    assert len(tr) == n_transfers == 8
    assert set(tr["event_type"]) == {"Battles"}
    by_place = dict(zip(tr["location"] + " " + tr["event_date"], tr["sub_event_type"]))
    assert by_place["Raqqa 2017-10-17"] == acled.NSA_OVERTAKES  # the SDF is not a government
    assert by_place["Rawa 2017-11-17"] == acled.GOV_REGAINS
    assert by_place["Deir Ezzor 2014-01-01"] == acled.NSA_OVERTAKES  # IS took it
    assert (tr["actor1"] != "").all()


def test_formula_protection():
    frame = pd.DataFrame({"notes": ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2", "\tx", "ok"],
                          "fatalities": [0, 1, 2, -3, 4, 5]})
    text = export._csv_text(frame)
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'@SUM(A1)", "'-2", "'\tx", "ok"]
    assert rows[4][1] == "-3"  # numbers are left alone


# --------------------------------------------------------------------------- import and round trip
@pytest.fixture(scope="module")
def imported(exported, tmp_path_factory):
    folder = tmp_path_factory.mktemp("acled")
    (folder / "acled_events.csv").write_bytes(exported[0].read_bytes())
    return folder


def test_acled_folder_is_detected_and_loaded(imported):
    assert acled.recognise(imported) is None
    assert acled.recognise(paths.DATA) is not None
    ds = load(imported)
    assert not ds.has_quotes and not ds.has_claims and ds.has_transfers and not ds.has_publication_dates
    curated = load(paths.DATA).events
    assert len(ds.events) == int(curated["country"].isin(["SY", "IQ"]).sum())
    assert len(ds.claims) == 0 and list(ds.claims.columns) == list(acled.CLAIM_COLUMNS)
    raqqa = ds.control[ds.control["place_id"] == "raqqa"].sort_values("start", na_position="first")
    assert list(raqqa["controller"]) == ["islamic-state", "syrian-democratic-forces"]
    assert raqqa["start"].isna().iloc[0] and str(raqqa["start"].iloc[1].date()) == "2017-10-17"
    sides = dict(zip(ds.actors["name"], ds.actors["side"]))
    assert sides["Islamic State"] == "islamic-state"
    assert sides["Syrian army"] == "syrian-government" and sides["Iraqi forces"] == "iraqi-government"
    assert sides["Syrian Democratic Forces"] == "us-backed"
    assert set(ds.places["geo_precision"]) == {1, 2, 3}  # carried through


def _expected_type(ev, sides: dict) -> str:
    holder = ev.controller_after if isinstance(ev.controller_after, str) and ev.controller_after else None
    if holder:
        return acled.GOV_REGAINS if sides[holder] in acled.GOVERNMENT_SIDES else acled.NSA_OVERTAKES
    return acled.TYPE_MAP[ev.event_type][1]


def test_round_trip_reproduces_the_chronology(imported, tmp_path):
    ds = load(paths.DATA)
    sides = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    cur = open_view(chronology, data_dir=paths.DATA, figures_dir=tmp_path / "a")
    # the same window as the articles' (an event dataset's own window opens on its first day)
    back = open_view(chronology, data_dir=imported, figures_dir=tmp_path / "b", start=cur.window.start.isoformat())
    assert type(back).__name__ == "CodedDetail"
    etypes = {e.event_id: _expected_type(e, sides) for e in ds.events.itertuples(index=False)}
    # the curated view lists context events (no actor, side or claimant named) in its background;
    # the export codes their actor as ACLED's "Unidentified Armed Group", so the import shows them
    bg = cur.selection.background
    in_window_context = bg[bg["context"] & (bg["span_end"] >= pd.Timestamp(cur.window.start))]
    c = pd.concat([cur.selection.events, in_window_context], ignore_index=True)
    c = c[c["country"].isin(["SY", "IQ"])]
    unnamed = {"SY": "Unidentified Armed Group (Syria)", "IQ": "Unidentified Armed Group (Iraq)"}

    def key(frame, curated: bool):
        out = []
        for r in frame.itertuples(index=False):
            actor = unnamed[r.country] if curated and r.actor == chronology.NOT_NAMED else r.actor
            out.append((str(r.date.date()), r.precision, r.place, etypes[r.event_id] if curated else r.event_type,
                        actor, r.controller_after))
        return sorted(out)

    assert key(c, True) == key(back.selection.events, False)
    # the table renders, lists every event, and the bundle is the curated chronology's layout
    table = back.table().bundle["text/html"]
    assert len(re.findall(r"<tr[ >]", table)) == len(c) + 1  # rows may carry data-place/data-date
    assert (tmp_path / "b" / "fig2_chronology_table.csv").is_file()


def test_views_run_on_the_import(imported, tmp_path):
    from briefing import claims, method, overview, territory

    o = open_view(overview, data_dir=imported, figures_dir=tmp_path)
    assert "ACLED-format CSV" in o.key_findings().bundle["text/markdown"]
    figs = open_view(claims, data_dir=imported)
    assert "holds no claims" in figs.heading("displacement").bundle["text/markdown"]
    assert figs.key_figures().bundle == {"text/plain": ""}  # said once, in the figures section
    m = open_view(method, data_dir=imported)
    assert "ACLED" in m.method().bundle["text/markdown"]
    assert "Not the articles" in m.limitations().bundle["text/markdown"]
    ctx = open_view(territory, data_dir=imported, figures_dir=tmp_path)
    assert ctx.mode == "detail" and 1 < len(ctx.detail.panels) <= 6
    assert "IS holding" in ctx.narrative().bundle["text/markdown"]


# --------------------------------------------------------------------------- validation
def _synthetic(folder: Path, n: int = 60, seed: int = 3) -> Path:
    return synth.write(n, seed, folder)


def test_broken_row_gives_one_clear_line(tmp_path):
    path = _synthetic(tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[9]]))
    cells[header.index("latitude")] = "north"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[9] = buf.getvalue()
    path.write_text("\n".join(lines), encoding="utf-8")
    errors, _ = acled.validate(tmp_path)
    assert len(errors) == 1, [str(e) for e in errors]
    text = str(errors[0])
    assert "row 10" in text and "column 'latitude'" in text and "'north'" in text
    with pytest.raises(ValidationFailed) as exc:
        load(tmp_path)
    assert "row 10" in str(exc.value)


def test_row_with_missing_fields_and_bad_codes(tmp_path):
    path = _synthetic(tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[4]]))
    cells[header.index("time_precision")] = "4"
    cells[header.index("iso")] = "999"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[4] = buf.getvalue()
    lines[6] = ",".join(next(csv.reader([lines[6]]))[:5])
    path.write_text("\n".join(lines), encoding="utf-8")
    msgs = [str(e) for e in acled.validate(tmp_path)[0]]
    assert any("row 5" in m and "time_precision" in m for m in msgs)
    assert any("row 5" in m and "'iso'" in m for m in msgs)
    assert any("row 7" in m and "expected 31 fields" in m for m in msgs)
    assert len(msgs) == 3


def test_missing_required_column(tmp_path):
    path = _synthetic(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["geo_precision"])
    df.to_csv(path, index=False)
    msgs = [str(e) for e in acled.validate(tmp_path)[0]]
    assert msgs == [f"{paths.rel(path)}, column 'geo_precision': required ACLED column missing from the header"]


def test_infer_side():
    assert acled.infer_side("Islamic State (Syria)", "2") == "islamic-state"
    assert acled.infer_side("Military Forces of Syria (2000-)", "1") == "syrian-government"
    assert acled.infer_side("Military Forces of Iraq (2014-2018)", "State forces") == "iraqi-government"
    assert acled.infer_side("PMF: Popular Mobilization Forces", "3") == "iraqi-government"
    assert acled.infer_side("SDF: Syrian Democratic Forces", "2") == "us-backed"
    assert acled.infer_side("Military Forces of Russia (2000-)", "8") == "syrian-government"
    assert acled.infer_side("Opposition Rebels (Syria)", "2") == "rebel"
    assert acled.infer_side("Unidentified Armed Group (Syria)", "3") == "other"
    assert acled.infer_side("Police Forces", "1", "IQ") == "iraqi-government"


# --------------------------------------------------------------------------- generator
def test_generator_is_deterministic_and_consistent(tmp_path):
    a = synth.write(3000, 5, tmp_path / "a").read_bytes()
    b = synth.write(3000, 5, tmp_path / "b").read_bytes()
    c = synth.write(3000, 6, tmp_path / "c").read_bytes()
    assert a == b and a != c
    df = pd.read_csv(io.BytesIO(a), dtype=str, keep_default_na=False)
    assert list(df.columns) == ISSUE_COLUMNS and len(df) == 3000
    assert set(df["iso"]) == {"760", "368"} and set(df["year"]) == {"2017"}
    tr = df[df["sub_event_type"].isin([acled.GOV_REGAINS, acled.NSA_OVERTAKES])]
    assert 3 <= len(tr) <= 0.01 * len(df)
    for _, grp in tr.groupby("location"):  # every transfer's loser is the previous taker
        assert list(grp["actor2"])[1:] == list(grp["actor1"])[:-1]
    assert set(df["time_precision"]) == {"1", "2", "3"}
    assert acled.validate(tmp_path / "a") == ([], [])


# --------------------------------------------------------------------------- one full build
def test_full_build_from_synthetic_acled(tmp_path):
    data = tmp_path / "data"
    synth.write(2000, 11, data)
    out = tmp_path / "report"
    proc = subprocess.run(["make", "--no-print-directory", "report", f"DATA_DIR={data}", f"REPORT_DIR={out}"],
                          cwd=paths.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (out / "briefing.html").read_text(encoding="utf-8")
    assert len(html.encode()) < 10_000_000
    assert "coded events" in html and "holds no claims" in html
    assert "Territorial changes" in html  # the aggregate chronology (more than DETAIL_MAX events)
    assert (out / "figures" / "fig2_chronology_table.csv").is_file()
    assert "grey bars count the events per week" in html  # aggregated before drawing
    assert (out / "briefing.pdf").stat().st_size > 10_000
    assert chronology.LABEL_CAP >= 1


def _break_cell(tmp_path: Path, line: int, column: str, value: str) -> Path:
    path = _synthetic(tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[line - 1]]))
    cells[header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    lines[line - 1] = buf.getvalue()
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("column,value,expected", [
    ("fatalities", "1e30", r"'1e30' is not a whole number from 0 to 100,000"),
    ("fatalities", "inf", r"'inf' is not a whole number from 0 to 100,000"),
    ("fatalities", "nan", r"'nan' is not a whole number from 0 to 100,000"),
    ("event_date", "9999-12-31", r"'9999-12-31' is not a date from 1900 to 2100"),
    ("event_date", "0001-01-01", r"'0001-01-01' is not a date from 1900 to 2100"),
    ("latitude", "inf", r"'inf' is not a number between -90 and 90"),
    ("longitude", "nan", r"'nan' is not a number between -180 and 180"),
])
def test_numbers_and_dates_that_are_not_numbers_or_dates(tmp_path, column, value, expected):
    """Issue 13: values that parse but mean nothing are one clear line (row, column), never a
    negative total from an overflow or a traceback from a date pandas cannot hold."""
    _break_cell(tmp_path, 7, column, value)
    errors, _ = acled.validate(tmp_path)
    assert len(errors) == 1, [str(e) for e in errors]
    assert re.search(rf"row 7, column '{column}': {expected}", str(errors[0])), str(errors[0])
    with pytest.raises(ValidationFailed):
        load(tmp_path)

"""The model through the curated adapter: typed tables, validation first (cached), the one
control rule, wire copies; the adapter registry."""
from __future__ import annotations

import pytest

from briefing import adapters, paths
from briefing.adapters import curated as load_mod
from briefing.adapters import load
from briefing.errors import ValidationFailed
from briefing.model import control_table, corroboration, independent_sources, state_on


def control_at(ds, date):
    st = state_on(control_table(ds, coordinates=False), date)
    return st[st["status_kind"] == "held"].set_index("place_id")
import pandas as pd
from briefing.model import attribution
from briefing.sources import pair_scores, seed_texts, wire_groups


@pytest.fixture(scope="module")
def ds():
    return load("data")


def test_types(ds):
    assert str(ds.events["date"].dtype).startswith("datetime64")
    assert str(ds.events["time_precision"].dtype) == "Int64"
    assert str(ds.claims["value"].dtype) == "Float64"
    assert ds.control["start"].isna().any()  # empty start = held before the period covered
    assert ds.has_quotes and ds.has_claims and ds.has_transfers and ds.has_publication_dates
    assert ds.period == (ds.events["date"].min().date(), ds.sources["published"].max().date())


def test_subset_of_tables_read_first_others_on_use():
    d = load("data", tables=["places"])
    assert set(d.frames) == {"places"}
    assert len(d.events) > 0 and "events" in d.frames


def test_state_on_lost_taker_not_reported(ds):
    st = state_on(control_table(ds, coordinates=False), "2017-10-20").set_index("place_id")
    assert st.loc["hawija", "status_kind"] == "lost-unknown" and not st.loc["hawija", "is_held"]


def test_state_on_last_reported_not_held_forever(ds):
    """A period no source closes is held up to its last supporting report, then "last reported"."""
    table = control_table(ds, coordinates=False)
    row = table.set_index("control_id").loc["ct-raqqa-sdf"]
    assert pd.isna(row["end"]) and row["last_reported"] == pd.Timestamp("2017-11-03") and row["last_source"] == "s002"
    on_report = state_on(table, "2017-11-03").set_index("place_id").loc["raqqa"]
    after = state_on(table, "2017-11-04").set_index("place_id").loc["raqqa"]
    assert on_report["status_kind"] == "held"
    assert after["status_kind"] == "last-reported" and after["controller"] == "sdf"
    # an IS-held place past its last report is not counted as held
    oil = state_on(table, "2017-11-17").set_index("place_id").loc["deir-ezzor-is-oilfield"]
    assert oil["status_kind"] == "last-reported" and not oil["is_held"]
    # nothing is "held" on a date after the last report of its period
    for day in pd.date_range("2017-10-01", "2017-11-17"):
        st = state_on(table, day)
        held = st[st["status_kind"] == "held"]
        assert (held["end"].notna() | held["last_reported"].isna() | (held["last_reported"] >= day)).all()


def test_attribution_phrases(ds):
    a = attribution(ds)
    assert "Syria's army announced" in a["ev-2017-11-03-deir-ezzor-city-recaptured"]
    assert a["ev-2017-11-04-sdf-gains"] == ["The observatory said"]
    assert a["ev-2017-10-17-raqqa-captured"] == ["according to s002 and s003"]


def test_unrecognised_folder_one_line_per_adapter(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValidationFailed) as exc:
        adapters.detect(tmp_path)
    lines = [str(e) for e in exc.value.errors]
    assert len(lines) == len(adapters.ADAPTERS)
    assert any("not an ACLED folder" in m and "x.csv lacks event_id_cnty" in m for m in lines)
    assert any("not a curated folder" in m and "datapackage.json" in m for m in lines)


@pytest.mark.parametrize("date, expected", [
    ("2017-11-04", {"albu-kamal": "is", "rawa": "is", "deir-ezzor-city": "syrian-army",
                    "al-qaim": "iraqi-forces", "husaybah-border-post": "iraqi-forces"}),
    ("2017-11-02", {"deir-ezzor-city": "is", "al-qaim": "is", "raqqa": "sdf"}),
    ("2017-11-09", {"albu-kamal": "syrian-army", "rawa": "is"}),
    ("2017-11-17", {"rawa": "iraqi-forces", "rawa-surrounding-desert": "is", "yarmuk-camp": "is"}),
    ("2017-10-16", {"raqqa": "is"}),
])
def test_control_at(ds, date, expected):
    held = control_at(ds, date)["controller"].to_dict()
    for place, controller in expected.items():
        assert held.get(place) == controller, (date, place, held.get(place))


def test_control_at_unknown_successor(ds):
    # IS lost Hawija in October 2017; the seeds do not say to whom.
    assert "hawija" in control_at(ds, "2017-09-15").index
    assert "hawija" not in control_at(ds, "2017-10-20").index


def test_wire_copies_detected():
    texts = seed_texts([(f"s{p.name[:3]}", p.name) for p in sorted(paths.SEEDS.glob("*.txt"))], paths.SEEDS)
    groups = wire_groups(texts)
    assert groups["s000"] == groups["s001"] == "s000"
    assert len(set(groups.values())) == 4  # 002, 003, 004 each independent
    scores = pair_scores(texts)
    assert scores[("s000", "s001")] > 0.3
    assert max(v for k, v in scores.items() if k != ("s000", "s001")) < 0.1  # wide gap to THRESHOLD


def test_recorded_wire_group_matches_detection(ds):
    texts = seed_texts(zip(ds.sources["source_id"], ds.sources["seed_file"]), paths.SEEDS)
    assert dict(zip(ds.sources["source_id"], ds.sources["wire_group"])) == wire_groups(texts)


def test_independent_sources(ds):
    assert independent_sources(ds, ["s000", "s001"]) == 1
    assert independent_sources(ds, ["s000", "s001", "s002", "s004"]) == 3
    c = corroboration(ds).set_index("record_id")
    # the desert villages are reported by s000, s001 (one wire story), s002 and s004
    assert c.loc["ct-deir-ezzor-desert-villages-is", "n_sources"] == 4
    assert c.loc["ct-deir-ezzor-desert-villages-is", "n_independent"] == 3
    assert c.loc["cl-border-is-fighters", "n_independent"] == 2  # s002 and s003
    assert (c["n_independent"] <= c["n_sources"]).all()


def test_loader_raises_on_invalid(tmp_path, monkeypatch):
    from conftest import DataCopy
    dc = DataCopy(tmp_path)
    dc.set("events", "ev-2017-11-17-rawa-recaptured", "place_id", "rawah")
    monkeypatch.setattr(load_mod, "CACHE_DIR", tmp_path / "cache")
    with pytest.raises(ValidationFailed) as exc:
        load(dc.dir)
    assert "rawah" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_validation_is_cached(tmp_path, monkeypatch):
    from conftest import DataCopy
    dc = DataCopy(tmp_path)
    monkeypatch.setattr(load_mod, "CACHE_DIR", tmp_path / "cache")
    calls = []
    import briefing.validate as v
    real = v.validate
    monkeypatch.setattr(v, "validate", lambda d: calls.append(d) or real(d))
    load(dc.dir, tables=["places"])
    load(dc.dir, tables=["places"])
    assert len(calls) == 1
    dc.set("places", "rawa", "notes", "changed")  # any input change invalidates the cache
    load(dc.dir, tables=["places"])
    assert len(calls) == 2

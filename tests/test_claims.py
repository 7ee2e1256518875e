"""Notebook 04's logic: grouping and classifying claims, independence, as_of, derived numbers,
the key-figures box's escaping and the traceability of every drawn number."""
import datetime as dt

import pandas as pd
import pytest

from briefing import claims as C
import dataclasses

from briefing.adapters import load
from briefing.model import TABLES


def Dataset(_data_dir, frames):  # noqa: N802 - a copy of the dataset with other tables
    return dataclasses.replace(BASE, frames=dict(frames))

XSS = "<script>alert(1)</script>"


BASE = load("data")


@pytest.fixture(scope="module")
def ds():
    return BASE


def ctx_for(ds, folder, as_of=""):
    return C.Context(ds=ds, as_of=ds.resolve_as_of(as_of), figures_dir=folder)


def with_claims(ds, claims_rows, evidence_rows, **changes):
    """A copy of ``ds`` with extra claim/evidence rows and column changes to claims."""
    frames = {name: getattr(ds, name).copy() for name in TABLES}
    if claims_rows:
        extra = pd.DataFrame(claims_rows).astype({"as_of": "datetime64[us]"})
        frames["claims"] = pd.concat([frames["claims"], extra], ignore_index=True)
    if evidence_rows:
        frames["evidence"] = pd.concat([frames["evidence"], pd.DataFrame(evidence_rows)], ignore_index=True)
    for (claim_id, column), value in changes.get("set", {}).items():
        frames["claims"].loc[frames["claims"]["claim_id"] == claim_id, column] = value
    return Dataset(ds.data_dir, frames)


def status_of(table: pd.DataFrame, quantity: str) -> str:
    rows = table[table["quantity"] == quantity]
    assert len(rows), quantity
    return rows["status"].iloc[0]


# ------------------------------------------------------------------------ grouping / classes

def test_fighter_estimates_are_in_tension_and_explained(ds, tmp_path):
    """Albu Kamal lies inside the border region (parent_id), yet its 2,500–3,500 is above the whole's
    "about 1,500": a tension, explained by date, claimant and scope, never a silent "no disagreement"."""
    table = C.compare(C.visible_claims(ds, dt.date(2017, 11, 17)), C._wire_groups(ds))
    fighters = table[table["quantity"] == "IS fighters remaining"]
    assert set(fighters["claim_id"]) == {"cl-al-qaim-area-is-fighters", "cl-border-is-fighters",
                                         "cl-albu-kamal-is-fighters"}
    assert set(fighters["status"]) == {"in tension"}
    note = fighters["note"].iloc[0]
    assert "cannot both be complete counts" in note and "different days" in note and "different claimants" in note
    assert "conflict" not in set(table["status"])
    text = C.claims_text(ctx_for(ds, tmp_path)).bundle["text/markdown"]
    assert "in tension" in text and "none is" not in text and "One group is flagged" in text


def test_a_tension_first_names_the_same_figure_reported_for_a_narrower_place(ds):
    """The coalition's "about 1,500" for the border region (s003) is the same figure it gave for the
    Rawa / Al-Qaim area (s002): the likeliest reason (one statement relayed twice, its scope
    reworded) comes first, and the nesting is said to be the data's, not an article's. With the
    narrower figure changed, that reason goes."""
    def note(d):
        table = C.compare(C.visible_claims(d, dt.date(2017, 11, 17)), C._wire_groups(d))
        return table[table["quantity"] == "IS fighters remaining"]["note"].iloc[0]

    first = note(ds).split("possible reasons: ", 1)[1]
    assert first.startswith("the US-led coalition figure for the Euphrates Valley border region (about 1,500")
    assert "desert around Rawa and Al-Qaim (around 1,500" in first and "as the data place them" in note(ds)
    other = with_claims(ds, [], [], set={("cl-al-qaim-area-is-fighters", "value"): 1200.0})
    assert "relay one statement" not in note(other) and "different claimants" in note(other)


def test_a_part_below_the_whole_is_only_a_difference_of_scope(ds):
    """The nesting rule reads the numbers: a smaller figure for the part is no tension."""
    fake = with_claims(ds, [], [], set={("cl-albu-kamal-is-fighters", "low"): 500.0,
                                        ("cl-albu-kamal-is-fighters", "high"): 900.0})
    table = C.compare(C.visible_claims(fake, dt.date(2017, 11, 17)), C._wire_groups(fake))
    assert status_of(table, "IS fighters remaining") == "differs in scope"


def test_counts_are_written_in_words_that_agree():
    from briefing import words as W
    assert W.count(1, "article") == "1 article" and W.count(2, "article") == "2 articles"
    assert W.count(3, "quantity", "quantities") == "3 quantities"
    assert W.verb(1, "carries", "carry") == "carries" and W.verb(2, "carries", "carry") == "carry"
    assert C._with_unit("thousands", "people") == "thousands of people"
    assert C._with_unit("about 1,500", "fighters") == "about 1,500 fighters"


def test_same_place_other_day_differs_in_date_and_values_agree(ds):
    table = C.compare(C.visible_claims(ds, dt.date(2017, 11, 17)), C._wire_groups(ds))
    assert status_of(table, "distance of a front") == "differs in date"
    assert "values agree" in table[table["quantity"] == "distance of a front"]["note"].iloc[0]


def _fighters_claim(claim_id, value, qualifier="", place="euphrates-valley-border-region", day="2017-11-03"):
    return {"claim_id": claim_id, "quantity": "IS  fighters Remaining", "value": value, "unit": "fighters",
            "qualifier": qualifier, "place_id": place, "scope": "test", "as_of": pd.Timestamp(day),
            "as_of_precision": 1, "claimant": "Test claimant", "derivation": "stated"}


def _evidence(claim_id, source="s002", quote="The US-led coalition has said around 1,500 IS fighters are left"):
    return {"record_id": claim_id, "source_id": source, "quote": quote}


def test_synthetic_true_conflict_is_detected(ds):
    fake = with_claims(ds, [_fighters_claim("cl-test-5000", 5000, day="2017-11-05")], [_evidence("cl-test-5000")])
    table = C.compare(C.visible_claims(fake, dt.date(2017, 11, 17)), C._wire_groups(fake))
    rows = table[table["claim_id"].isin(["cl-test-5000", "cl-border-is-fighters"])]
    assert set(rows["status"]) == {"conflict"}  # quantity normalised: case and spacing ignored
    assert "cl-test-5000" in rows["note"].iloc[0] and "cl-border-is-fighters" in rows["note"].iloc[0]
    assert table["status"].iloc[0] == "conflict"  # conflicts are listed first


def test_compatible_approximate_values_on_same_scope_and_date_are_consistent(ds):
    # "about 1,500" and "about 1,600" overlap within the ±10 % of an approximate value
    only = ds.claims[ds.claims["claim_id"] == "cl-border-is-fighters"]
    base = Dataset(ds.data_dir, {**{n: getattr(ds, n) for n in TABLES},
                                 "claims": pd.concat([only], ignore_index=True)})
    fake = with_claims(base, [_fighters_claim("cl-test-1600", 1600, "about", day="2017-11-05")], [_evidence("cl-test-1600")])
    table = C.compare(C.visible_claims(fake, dt.date(2017, 11, 17)), C._wire_groups(fake))
    assert set(table["status"]) == {"consistent"}


def test_single_claims_and_intervals():
    assert C.interval({"value": 35, "qualifier": "more than"})[1] == float("inf")
    assert C.interval({"low": 2500, "high": 3500}) == (2500, 3500)
    assert C.compatible({"value": 1500, "qualifier": "about"}, {"low": 1000, "high": 1400})
    assert not C.compatible({"value": 1500}, {"low": 2500, "high": 3500})
    assert C.compatible({"value": None, "qualifier": "thousands"}, {"value": 5})
    assert C.normalise_quantity("The  IS Fighters–remaining") == "is fighters-remaining"


# ------------------------------------------------------------------------ independence, as_of

def test_1500_figure_is_two_claims_of_different_scope(ds):
    """s002 (the Iraqi Al-Qaim/Rawa area) and s003 (the whole border valley) relay the coalition's
    "about 1,500" for two different areas: two claims, one source each, never one claim
    corroborated by two articles."""
    claims = C.visible_claims(ds, dt.date(2017, 11, 17)).set_index("claim_id")
    iraq, valley = claims.loc["cl-al-qaim-area-is-fighters"], claims.loc["cl-border-is-fighters"]
    assert iraq["sources"] == ("s002",) and valley["sources"] == ("s003",)
    assert iraq["place_id"] != valley["place_id"] and iraq["claimant_id"] == valley["claimant_id"]
    table = C.compare(claims.reset_index(), C._wire_groups(ds)).set_index("claim_id")
    # two areas: never "consistent" (agreement) with each other, never a conflict
    assert table.loc["cl-al-qaim-area-is-fighters", "status"] not in ("consistent", "conflict")


def test_wire_copies_count_once(ds):
    rec = C.visible_claims(ds, dt.date(2017, 11, 17)).set_index("claim_id").loc["cl-deir-ezzor-villages-held"]
    assert rec["sources"] == ("s000", "s001") and rec["n_independent"] == 1


def test_as_of_hides_claims_not_yet_made_and_sources_not_yet_published(ds):
    visible = C.visible_claims(ds, dt.date(2017, 11, 4))
    early = visible.set_index("claim_id")
    assert "cl-al-qaim-area-is-fighters" in early.index  # s002, 3 Nov
    assert "cl-border-is-fighters" not in early.index  # s003 appeared on 5 Nov
    assert "cl-albu-kamal-is-fighters" not in early.index  # s004, 9 Nov
    assert "cl-deir-ezzor-displaced" not in early.index  # s003, 5 Nov
    assert "cl-albu-kamal-front-distance-nov4" not in early.index  # reported 5 Nov (s003)
    assert "cl-caliphate-share-lost" not in C.visible_claims(ds, dt.date(2017, 11, 16))["claim_id"].values
    table = C.compare(visible, C._wire_groups(ds))
    assert status_of(table, "IS fighters remaining") == "single"


def test_charts_and_tables_still_written_when_nothing_is_visible(ds, tmp_path):
    # no claim visible: every claim dated after the first publication date
    later = {(cid, "as_of"): pd.Timestamp("2017-11-16") for cid in ds.claims["claim_id"]}
    ds = with_claims(ds, [], [], set=later)
    ctx = ctx_for(ds, tmp_path, "2017-11-03")
    for draw in (C.displacement_chart, C.fighters_chart, C.territory_chart, C.territory_table, C.claims_compared):
        draw(ctx)
    for name in ("fig4_displacement", "fig4_fighters", "fig4_territory_figures"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
        assert pd.read_csv(tmp_path / f"{name}.csv").empty
    assert "had been reported" in C.key_figures(ds, "2017-11-03")._repr_mimebundle_()[0]["text/plain"]


# ------------------------------------------------------------------------ derived, key figures

def test_derived_numbers_carry_their_derivation(ds, tmp_path):
    data = C.displacement_data(ctx_for(ds, tmp_path))
    child = data[data["claim_id"] == "cl-deir-ezzor-displaced-children"].iloc[0]
    assert child["kind"] == "derived" and "half of 350,000" in child["derivation"]
    assert child["value"] == 175_000
    stated = data[data["claim_id"] == "cl-deir-ezzor-displaced"].iloc[0]
    assert stated["kind"] == "stated" and stated["value"] == 350_000
    C.displacement_chart(ctx_for(ds, tmp_path))
    csv = pd.read_csv(tmp_path / "fig4_displacement.csv")
    assert csv.loc[csv["claim_id"] == "cl-deir-ezzor-displaced-children", "kind"].item() == "derived"


def test_key_figures_escape_text(ds):
    fake = with_claims(ds, [], [], set={("cl-caliphate-share-lost", "claimant"): XSS,
                                        ("cl-caliphate-share-lost", "qualifier"): "<b>"})
    bundle, _ = C.key_figures(fake, "")._repr_mimebundle_()
    html = bundle["text/html"]
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;" in html
    assert html.startswith('<div class="keyfigs">') and html.count('class="keyfig"') <= 6


def test_key_figures_name_claimant_and_date(ds):
    bundle, _ = C.key_figures(ds, "")._repr_mimebundle_()
    html = bundle["text/html"]
    assert 5 <= html.count('class="keyfig"') <= 6
    assert "US-led coalition" in html and "17 Nov 2017" in html and "Save the Children" in html


# ------------------------------------------------------------------------ traceability

def test_every_drawn_number_traces_to_a_claim_and_its_quote(ds, tmp_path):
    ctx = ctx_for(ds, tmp_path)
    for draw in (C.displacement_chart, C.fighters_chart, C.territory_chart, C.territory_table, C.claims_compared):
        draw(ctx)
    raw_claims = pd.read_csv("data/claims.csv", dtype=str, keep_default_na=False).set_index("claim_id")
    evidence = pd.read_csv("data/evidence.csv", dtype=str, keep_default_na=False)
    quotes = set(zip(evidence["record_id"], evidence["source_id"], evidence["quote"]))
    names = ["fig4_displacement", "fig4_fighters", "fig4_territory_figures", "fig4_territory_figures_table"]
    for name in names:
        csv = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
        assert len(csv), name
        for row in csv.to_dict("records"):
            assert row["claim_id"] in raw_claims.index, (name, row["claim_id"])
            assert (row["claim_id"], row["source_id"], row["quote"]) in quotes, (name, row["claim_id"])
            claim = raw_claims.loc[row["claim_id"]]
            for col in ("value", "low", "high"):  # the drawn number is the claim's number
                assert (float(row[col]) if row[col] else None) == (float(claim[col]) if claim[col] else None)
    compared = pd.read_csv(tmp_path / "fig4_claims_compared.csv", dtype=str, keep_default_na=False)
    assert set(compared["claim_id"]) == set(raw_claims.index)
    for row in compared.to_dict("records"):
        first = row["sources"].split("|")[0]
        assert (row["claim_id"], first, row["quote"]) in quotes


def test_territory_chart_words_follow_its_bars(tmp_path):
    """Before the second share was reported (as of 5 Nov 2017) the chart has one bar: its title
    and caption do not promise two shares or a grey bar that is not drawn."""
    from briefing import claims
    from conftest import open_view

    early = open_view(claims, as_of="2017-11-05", figures_dir=tmp_path / "early").territory_chart()
    late = open_view(claims, figures_dir=tmp_path / "late").territory_chart()
    assert "(grey)" not in early.caption and "subtracted" not in early.caption and "Deir Ezzor" in early.caption
    assert "Two shares" not in (tmp_path / "early" / "fig4_territory_figures.svg").read_text(encoding="utf-8")
    assert "(grey)" in late.caption and "subtracted" in late.caption
    assert "Two shares" in (tmp_path / "late" / "fig4_territory_figures.svg").read_text(encoding="utf-8")


def test_period_covered_reads_naturally_within_one_month_and_across_months():
    from briefing import words

    assert words.period("2017-07-01", "2017-11-17") == "July 2017 to 17 November 2017"
    assert words.period("2017-11-03", "2017-11-03") == "November 2017, up to 3 November"
    assert words.period("2016-12-20", "2017-01-05") == "December 2016 to 5 January 2017"
    assert words.span_title("2017-07-01", "2017-11-17") == "1 Jul – 17 Nov 2017"
    assert words.span_title("2017-11-03", "2017-11-03") == "3 Nov 2017"


def test_visible_claims_follow_a_table_edited_in_place():
    """The visible claims are computed once per dataset and reused; a claim edited in place (as an
    analyst might in JupyterLab) is seen at once, not the earlier result."""
    from briefing import adapters, claims, paths

    ds, p = adapters.open(data_dir=str(paths.DATA), as_of="", figures_dir="", tables=claims.TABLES)
    cutoff = ds.resolve_as_of("")
    first = claims.visible_claims(ds, cutoff)
    assert claims.visible_claims(ds, cutoff).equals(first)
    cid = first["claim_id"].iloc[0]
    ds.claims.loc[ds.claims["claim_id"] == cid, "claimant"] = "someone else"
    again = claims.visible_claims(ds, cutoff)
    assert again.loc[again["claim_id"] == cid, "claimant"].iloc[0] == "someone else"
    first.loc[:, "claimant"] = "changed by the caller"  # a caller's copy does not change the memo
    assert (claims.visible_claims(ds, cutoff)["claimant"] != "changed by the caller").all()


def test_a_count_of_towns_held_is_checked_against_the_control_data(ds):
    """s002's "just a single town" in Iraq on 3 Nov: the control periods show Al-Qaim (lost that
    day) and Rawa (held until 17 Nov), so the territory table's caveat names both; a claim of 2
    towns would need no caveat."""
    def caveat(d):
        recs = {r["claim_id"]: r for r in C.visible_claims(d, dt.date(2017, 11, 17)).to_dict("records")}
        return C.towns_check(d, recs["cl-iraq-towns-held"])

    assert caveat(ds) == ("the articles' control data show the IS side in 2 towns of Iraq that day: "
                          "Al-Qaim (lost that day) and Rawa")
    assert caveat(with_claims(ds, [], [], set={("cl-iraq-towns-held", "value"): 2.0})) == ""

"""Every view on every kind of dataset: the curated tables, a small ACLED file with territorial
transfers, an ACLED file with none, a window with no event in it, the hand-made fixtures of ACLED's
layouts and the real UCDP GED extract. Nothing crashes, and
where a view has nothing to show it says so in words instead of drawing an empty chart."""
from __future__ import annotations

import pandas as pd
import pytest

from briefing import chronology, claims, export, method, overview, paths, territory
from briefing.adapters.acled import NSA_OVERTAKES, GOV_REGAINS, NON_VIOLENT
from conftest import open_view


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    main_csv, _, df, _ = export.write_export(paths.DATA, root / "export")
    with_transfers = root / "acled"
    with_transfers.mkdir()
    (with_transfers / "events.csv").write_bytes(main_csv.read_bytes())
    none = root / "acled-none"
    none.mkdir()
    frame = pd.read_csv(main_csv, dtype=str, keep_default_na=False)
    frame["sub_event_type"] = frame["sub_event_type"].replace(
        {GOV_REGAINS: "Armed clash", NSA_OVERTAKES: "Armed clash", NON_VIOLENT: "Armed clash"})
    frame.to_csv(none / "events.csv", index=False)
    fixtures = paths.ROOT / "tests" / "fixtures"
    return {"curated": (paths.DATA, {}), "acled": (with_transfers, {}), "acled-none": (none, {}),
            "empty-window": (with_transfers, {"start": "2016-06-01", "end": "2016-06-30"}),
            "pre-2019": (fixtures / "acled" / "pre-2019", {}),
            "spreadsheet": (fixtures / "acled" / "spreadsheet-semicolon-cp1252", {}),
            "fixture-no-transfers": (fixtures / "acled" / "no-transfers", {}),
            "ucdp": (fixtures / "ucdp", {})}


def every_output(data_dir, figures_dir, window: dict) -> dict[str, object]:
    kw = {"data_dir": data_dir, "figures_dir": figures_dir}
    out = {}
    ov = open_view(overview, **kw)
    out["key findings"] = ov.key_findings()
    figs = open_view(claims, **kw)
    for key in ("key figures", "displacement", "fighters", "territory", "claims"):
        out[f"heading {key}"] = figs.heading(key)
    for name in ("key_figures", "displacement_text", "displacement_chart", "fighters_text", "fighters_chart",
                 "territory_text", "territory_chart", "territory_table", "claims_text", "claims_compared",
                 "claims_notes"):
        out[name] = getattr(figs, name)()
    chron = open_view(chronology, **kw, **window)
    for name in ("heading", "narrative", "figure", "table", "date_rule", "background_table"):
        out[f"chronology {name}"] = getattr(chron, name)()
    terr = open_view(territory, **kw)
    for name in ("narrative", "figure_shrinking", "figure_small_multiples", "web_map"):
        out[f"territory {name}"] = getattr(terr, name)()
    for key in ("section", "shrinking", "key dates", "web map"):
        out[f"territory heading {key}"] = terr.heading(key)
    meth = open_view(method, **kw)
    out["method heading"] = meth.heading()
    for name in ("sources_table", "publication_notes", "method", "limitations"):
        out[f"method {name}"] = getattr(meth, name)()
    return out


def text_of(output) -> str:
    bundle = output._repr_mimebundle_()[0] if hasattr(output, "_repr_mimebundle_") else {}
    return " ".join(str(v) for k, v in bundle.items() if k.startswith("text/"))


@pytest.mark.parametrize("name", ["curated", "acled", "acled-none", "empty-window", "pre-2019", "spreadsheet",
                                  "fixture-no-transfers", "ucdp"])
def test_every_view_runs_and_says_what_it_cannot_show(folders, name, tmp_path):
    data_dir, window = folders[name]
    out = every_output(data_dir, tmp_path, window)
    drawn = {p.stem for p in tmp_path.glob("*.png")}
    text = {k: text_of(v) for k, v in out.items()}
    everything = " ".join(text.values())
    if name == "curated":
        assert {"fig2_timeline", "fig3_shrinking", "fig3_territory_small_multiples", "fig4_displacement"} <= drawn
        assert "from Mosul to Rawa" in text["chronology heading"] and "shrinking" in text["territory heading section"]
        return
    # text written for the five articles never describes other data
    for phrase in ("Mosul to Rawa", "five articles report", "shrinking \u201ccaliphate\u201d", 'shrinking "caliphate"',
                   "a verbatim quote"):
        assert phrase not in everything, phrase
    shown = " ".join(v._repr_mimebundle_()[0].get("text/markdown", "") + v._repr_mimebundle_()[0].get("text/html", "")
                     for v in out.values() if hasattr(v, "_repr_mimebundle_"))
    assert shown.count("holds no claims") == 1 and "holds no claims" in text["heading displacement"]
    assert text["heading key figures"] == text["key_figures"] == ""
    assert not any(d.startswith("fig4") for d in drawn)  # no claims: no chart at all
    if name in ("acled", "pre-2019", "spreadsheet"):
        assert {"fig2_timeline", "fig3_territory_small_multiples"} <= drawn
        assert "changes of control" in text["territory heading section"]
    if name in ("acled-none", "fixture-no-transfers", "ucdp"):
        assert "no changes of control" in text["territory narrative"]
        assert "No changes of territorial control" in text["key findings"]
        assert "fig3_events_map" in drawn and not ({"fig3_shrinking", "fig3_territory_small_multiples"} & drawn)
        assert "where the events were" in text["territory heading section"]
        assert "fig2_timeline" in drawn
    if name == "ucdp":
        assert "Chronology: Iraq, 1 January 2017 to 31 December 2017" in text["chronology heading"]
        assert "600 in Iraq" in text["key findings"]
        assert "deadliest" in text["chronology table"] and "Territorial changes" not in text["chronology table"]
        assert "UCDP" in text["method sources_table"]
        pts = pd.read_csv(tmp_path / "fig3_events_map.csv")
        assert pts["deaths"].sum() == 11_400 and pts["events"].sum() == 600
    if name == "empty-window":
        assert "No event in the data falls between" in text["chronology narrative"]
        assert "no event to draw" in text["chronology figure"]
        assert "fig2_timeline" not in drawn

"""Every view on every kind of dataset: the curated tables, a small ACLED file with territorial
transfers, an ACLED file with none, and a window with no event in it. Nothing crashes, and
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
    return {"curated": (paths.DATA, {}), "acled": (with_transfers, {}), "acled-none": (none, {}),
            "empty-window": (with_transfers, {"start": "2016-06-01", "end": "2016-06-30"})}


def every_output(data_dir, figures_dir, window: dict) -> dict[str, object]:
    kw = {"data_dir": data_dir, "figures_dir": figures_dir}
    out = {}
    ov = open_view(overview, **kw)
    out["key findings"] = ov.key_findings()
    figs = open_view(claims, **kw)
    for name in ("key_figures", "displacement_text", "displacement_chart", "fighters_text", "fighters_chart",
                 "territory_text", "territory_chart", "territory_table", "claims_text", "claims_compared",
                 "claims_notes"):
        out[name] = getattr(figs, name)()
    chron = open_view(chronology, **kw, **window)
    for name in ("narrative", "figure", "table", "date_rule", "background_table"):
        out[f"chronology {name}"] = getattr(chron, name)()
    terr = open_view(territory, **kw)
    for name in ("narrative", "figure_shrinking", "figure_small_multiples", "web_map"):
        out[f"territory {name}"] = getattr(terr, name)()
    meth = open_view(method, **kw)
    for name in ("sources_table", "publication_notes", "method", "limitations"):
        out[f"method {name}"] = getattr(meth, name)()
    return out


def text_of(output) -> str:
    bundle = output._repr_mimebundle_()[0] if hasattr(output, "_repr_mimebundle_") else {}
    return " ".join(str(v) for k, v in bundle.items() if k.startswith("text/"))


@pytest.mark.parametrize("name", ["curated", "acled", "acled-none", "empty-window"])
def test_every_view_runs_and_says_what_it_cannot_show(folders, name, tmp_path):
    data_dir, window = folders[name]
    out = every_output(data_dir, tmp_path, window)
    drawn = {p.stem for p in tmp_path.glob("*.png")}
    if name == "curated":
        assert {"fig2_timeline", "fig3_shrinking", "fig3_territory_small_multiples", "fig4_displacement"} <= drawn
        return
    assert "holds no claims" in text_of(out["key_figures"])
    assert not any(d.startswith("fig4") for d in drawn)  # no claims: no chart at all
    if name == "acled":
        assert {"fig2_timeline", "fig3_shrinking", "fig3_territory_small_multiples"} <= drawn
    if name == "acled-none":
        assert "no changes of control" in text_of(out["territory narrative"])
        assert "No changes of territorial control" in text_of(out["key findings"])
        assert not any(d.startswith("fig3") for d in drawn)
        assert "fig2_timeline" in drawn
    if name == "empty-window":
        assert "No event in the data falls between" in text_of(out["chronology narrative"])
        assert "no event to draw" in text_of(out["chronology figure"])
        assert "fig2_timeline" not in drawn

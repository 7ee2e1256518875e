"""Provenance rules the validator enforces on curated data (issue 16, ``data/README.md``,
"Evidence"): who asserts each record, and which words support which field.

Every evidence row names

* ``asserted_by`` — ``outlet`` when the article states the record in its own voice, else the
  claimant *as the quote names it* ("the Observatory", "Syria's army"); and ``verb``, the verb
  of the assertion as printed ("announced", "said", "according to"; ``reported`` for the outlet).
  Both must occur in the quote (:func:`check_attribution`);
* ``supports`` — the fields of its record that the quote supports, checked mechanically
  (:func:`check_supports`):

  ==============  ===================================================================
  ``place``       the quote contains an alias of the record's place
  ``actor``       an alias of one of the record's actors (a claim's: the claimant)
  ``controller``  an alias of the controller (control) or of ``controller_after`` (events)
  ``date``        a date expression (weekday, month, year, yesterday, last week …), or
                  the record's date rule (``date_basis``) names the article's
                  publication date as the date
  ``value``       a claim's number as printed (350,000 / 350000 / "four" / "two dozen")
  ``context``     nothing is claimed: the sentence frames the others
  ==============  ===================================================================

Every record needs each of its key fields (events: date, place, actor; control: place,
controller and, when it has a start, date; claims: date, place, actor, value) supported by a
quote **or** listed in its ``not_reported`` cell with a reason (:func:`check_coverage`).
:func:`support_table` is the field-by-field table ``python -m briefing validate --supports`` prints.

Everything here reads plain row dicts (as the validator has them) and never raises for bad data.
"""
from __future__ import annotations

import re

from .errors import DataError
from .sources import normalise

FIELDS = ("date", "place", "actor", "controller", "value", "context")
OUTLET = "outlet"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
#: date expressions a quote may use (besides weekdays, months and four-digit years)
RELATIVE = ("yesterday", "today", "tonight", "last week", "this week", "last weekend", "last month",
            "this month", "earlier this year", "years ago", "at dawn", "overnight")
_DATE_RE = re.compile(
    r"\b(" + "|".join(WEEKDAYS + MONTHS) + r")\b|\b(19|20)\d\d\b|\b(" + "|".join(RELATIVE) + r")\b", re.I)
#: the phrase a date rule uses to say that the date *is* the article's publication date
PUBLICATION_DATE_RULE = "publication date"
NUMBER_WORDS = {1: ("one", "single"), 2: ("two", "twin"), 3: ("three",), 4: ("four",),
                5: ("five",), 24: ("two dozen",), 50: ("half",)}
#: the key fields each record table needs supported (or declared not reported)
REQUIRED = {"events": ("date", "place", "actor"), "control": ("place", "controller", "date"),
            "claims": ("date", "place", "actor", "value")}
KEYS = {"events": "event_id", "control": "control_id", "claims": "claim_id"}


def has_date_expression(quote: str) -> bool:
    return bool(_DATE_RE.search(normalise(quote)))


def _contains(quote: str, alias: str) -> bool:
    a = normalise(alias)
    tail = r"(?![\d,])" if a[-1:].isdigit() else r"(?!\w)"  # a number may run into its unit: 30km
    return bool(a) and re.search(r"(?<![\w,.])" + re.escape(a) + tail, normalise(quote)) is not None


def _printed_numbers(v: float) -> list[str]:
    if v != v:  # NaN
        return []
    out = []
    if float(v).is_integer():
        i = int(v)
        out += [f"{i:,}", str(i)]
        out += list(NUMBER_WORDS.get(i, ()))
    else:
        out.append(f"{v:g}")
    return out


def _num(s: str):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def not_reported(cell: str) -> dict[str, str]:
    """``{field: reason}`` from a ``not_reported`` cell (``field: reason|field: reason``)."""
    out = {}
    for part in (cell or "").split("|"):
        if ":" in part:
            k, _, why = part.partition(":")
            out[k.strip()] = why.strip()
    return out


class Records:
    """The records (events, control periods, claims) with what a quote must contain to
    support each field."""

    def __init__(self, t: dict[str, list[dict]]):
        self.place_aliases = {r.get("place_id", ""): [a for a in (r.get("aliases") or "").split("|") if a] + [r.get("name", "")]
                              for r in t.get("places", [])}
        self.actor_aliases = {r.get("actor_id", ""): [a for a in (r.get("aliases") or "").split("|") if a] + [r.get("name", "")]
                              for r in t.get("actors", [])}
        self.rows: dict[str, tuple[str, int, dict]] = {}
        for table, key in KEYS.items():
            for n, r in enumerate(t.get(table, []), start=2):
                if r.get(key):
                    self.rows[r[key]] = (table, n, r)
        self.events = {r.get("event_id"): r for r in t.get("events", [])}

    def actors_of(self, table: str, r: dict, field: str) -> list[str]:
        if table == "events":
            col = "actor" if field == "actor" else "controller_after"
        elif table == "control":
            col = "controller"
        else:
            col = "claimant_id"
        return [a for a in (r.get(col) or "").split("|") if a]

    def date_rule(self, table: str, r: dict) -> str:
        if table == "events":
            return r.get("date_basis") or ""
        if table == "control" and r.get("event_id") in self.events:
            return self.events[r["event_id"]].get("date_basis") or ""
        return r.get("note") or r.get("notes") or ""

    def supported(self, table: str, r: dict, field: str, quote: str) -> str | None:
        """``None`` when ``quote`` supports ``field`` of record ``r``, else why not."""
        if field == "context":
            return None
        if field == "place":
            al = self.place_aliases.get(r.get("place_id", ""), [])
            return None if any(_contains(quote, a) for a in al) else f"names no alias of place '{r.get('place_id')}'"
        if field in ("actor", "controller"):
            ids = self.actors_of(table, r, field)
            if not ids:
                return f"the record has no {field}"
            al = [a for i in ids for a in self.actor_aliases.get(i, [])]
            return None if any(_contains(quote, a) for a in al) else f"names no alias of {field} '{'|'.join(ids)}'"
        if field == "date":
            if has_date_expression(quote) or PUBLICATION_DATE_RULE in self.date_rule(table, r).lower():
                return None
            return ("has no date expression (weekday, month, year, 'yesterday', 'last week' ...) and the "
                    "record's date rule does not say the date is the publication date")
        if field == "value":
            if table != "claims":
                return "only a claim has a value"
            nums = [v for c in ("value", "low", "high") if (v := _num(r.get(c, ""))) is not None]
            printed = [p for v in nums for p in _printed_numbers(v)]
            qual = r.get("qualifier") or ""
            if not nums and qual:
                printed = [qual]
            if any(_contains(quote, p) for p in printed):
                return None
            return f"does not print the value ({' / '.join(printed[:3]) or 'none'})"
        return f"unknown field '{field}'"


def _quote_of(ev: dict) -> str:
    return ev.get("quote") or ""


def check_attribution(f, t: dict) -> list[DataError]:
    """``asserted_by`` and ``verb`` occur in the quote; the outlet's own voice is ``reported``."""
    errs = []
    for n, ev in enumerate(t.get("evidence", []), start=2):
        by, verb, q = (ev.get("asserted_by") or "").strip(), (ev.get("verb") or "").strip(), _quote_of(ev)
        if not by or not q:
            continue  # required: reported by the schema
        if by == OUTLET:
            if verb != "reported":
                errs.append(DataError(f("evidence"), f"verb '{verb}' with asserted_by 'outlet': the outlet's own "
                                      "voice is 'reported'; name the claimant the quote cites instead", n, "verb"))
            if ev.get("asserted_by_id"):
                errs.append(DataError(f("evidence"), "asserted_by_id set while asserted_by is 'outlet'", n, "asserted_by_id"))
            continue
        if not _contains(q, by):
            errs.append(DataError(f("evidence"), f"asserted_by '{by}' does not occur in the quote (name the claimant "
                                  "as the quote does, or 'outlet' for the article's own voice)", n, "asserted_by"))
        elif not _contains(q, verb):
            errs.append(DataError(f("evidence"), f"verb '{verb}' does not occur in the quote", n, "verb"))
    return errs


def check_supports(f, t: dict) -> list[DataError]:
    """Each field an evidence row claims to support is supported mechanically."""
    recs = Records(t)
    errs = []
    for n, ev in enumerate(t.get("evidence", []), start=2):
        rid = ev.get("record_id", "")
        if rid not in recs.rows:
            continue  # unknown record: reported by check_references
        table, _, r = recs.rows[rid]
        for field in [x for x in (ev.get("supports") or "").split("|") if x]:
            why = recs.supported(table, r, field, _quote_of(ev))
            if why:
                errs.append(DataError(f("evidence"), f"quote does not support '{field}' of '{rid}': it {why}", n, "supports"))
    return errs


def required_fields(table: str, r: dict) -> tuple[str, ...]:
    req = REQUIRED[table]
    if table == "control" and not r.get("start"):
        req = tuple(x for x in req if x != "date")  # an empty start is itself the statement "not stated"
    return req


def coverage(t: dict) -> list[dict]:
    """One row per record and key field: ``record_id, table, row, field, status`` (``supported``,
    ``not reported``, ``missing``), ``rows`` (the evidence rows that support it), ``reason``."""
    recs = Records(t)
    support: dict[tuple[str, str], list[int]] = {}
    for n, ev in enumerate(t.get("evidence", []), start=2):
        rid = ev.get("record_id", "")
        if rid not in recs.rows:
            continue
        table, _, r = recs.rows[rid]
        for field in [x for x in (ev.get("supports") or "").split("|") if x]:
            if recs.supported(table, r, field, _quote_of(ev)) is None:
                support.setdefault((rid, field), []).append(n)
    out = []
    for rid, (table, n, r) in recs.rows.items():
        nr = not_reported(r.get("not_reported") or "")
        for field in required_fields(table, r):
            rows = support.get((rid, field), [])
            status = "supported" if rows else ("not reported" if field in nr else "missing")
            out.append({"record_id": rid, "table": table, "row": n, "field": field, "status": status,
                        "rows": rows, "reason": nr.get(field, "")})
    return out


def check_coverage(f, t: dict) -> list[DataError]:
    """Every key field of every record is supported by a quote or declared not reported; a
    field declared not reported is not also supported (the declaration would be stale)."""
    errs = []
    for c in coverage(t):
        if c["status"] == "missing":
            errs.append(DataError(f(c["table"]), f"'{c['field']}' of '{c['record_id']}' has no supporting quote "
                                  f"(an evidence row with '{c['field']}' in supports) and is not in not_reported",
                                  c["row"], "not_reported"))
    return errs


CHECKS = (check_attribution, check_supports, check_coverage)


def support_table(t: dict) -> str:
    """The field-by-field support table (plain text, one line per record)."""
    cov = coverage(t)
    by_rec: dict[str, dict[str, dict]] = {}
    for c in cov:
        by_rec.setdefault(c["record_id"], {})[c["field"]] = c
    width = max((len(r) for r in by_rec), default=10)
    lines = [f"{'record':<{width}}  " + "  ".join(f"{x:<16}" for x in ("date", "place", "actor", "controller", "value"))]
    for rid, fields in by_rec.items():
        cells = []
        for x in ("date", "place", "actor", "controller", "value"):
            c = fields.get(x)
            if c is None:
                cells.append(f"{'':<16}")
            elif c["status"] == "supported":
                cells.append(f"{'rows ' + ','.join(map(str, c['rows'][:3])) + ('…' if len(c['rows']) > 3 else ''):<16}")
            else:
                cells.append(f"{c['status']:<16}")
        lines.append(f"{rid:<{width}}  " + "  ".join(cells).rstrip())
    counts = {s: sum(1 for c in cov if c["status"] == s) for s in ("supported", "not reported", "missing")}
    lines.append(f"{len(by_rec)} records, {len(cov)} key fields: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return "\n".join(lines)

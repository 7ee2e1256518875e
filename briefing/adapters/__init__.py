"""Source adapters: each turns one kind of source folder into the one model
(:class:`briefing.model.Dataset`); nothing after them knows which source it was.

The registry is :data:`ADAPTERS`, tried in order. An adapter is a module with

* ``NAME`` — a short name for messages (``curated``, ``ACLED``);
* ``recognise(folder) -> str | None`` — ``None`` when it reads this folder, else one line
  saying why not (the files or columns it misses);
* ``validate(folder) -> (errors, warnings)`` — every problem, one located
  :class:`~briefing.errors.DataError` each; never raises for bad data;
* ``ensure_valid(folder)`` — validate once per change (cached), raise
  :class:`~briefing.errors.ValidationFailed` on errors;
* ``load(folder, tables) -> Dataset`` — the model (tables read on first use);
* ``summary(ds) -> str`` — what ``make validate`` prints on success.

A new source is one small module with these names and one entry in :data:`ADAPTERS`.
A folder that no adapter reads gets one line per adapter naming what is missing.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

from .. import params as P
from .. import paths
from ..errors import DataError, ValidationFailed
from ..model import Dataset, known_on
from ..runtime import imports_done
from . import acled, curated, ucdp

#: The tables :func:`open` reads to cut the dataset to what was known on ``as_of``
#: (:data:`briefing.model.KNOWLEDGE_TABLES`; a literal, because ``make`` reads it without importing):
#: every notebook that opens a dataset depends on them.
TABLES = ("sources", "evidence", "events", "control", "claims", "places", "actors")

#: The registry, in the order adapters are asked (the first that recognises a folder reads it).
ADAPTERS: tuple[ModuleType, ...] = (acled, ucdp, curated)


def detect(folder) -> ModuleType:
    """The adapter that reads ``folder``; else :class:`ValidationFailed` with one line per
    adapter saying why it does not."""
    folder = paths.resolve(folder, paths.DATA)
    if not folder.is_dir():
        raise ValidationFailed([DataError(paths.rel(folder), "data folder not found")])
    reasons = []
    for adapter in ADAPTERS:
        why = adapter.recognise(folder)
        if why is None:
            return adapter
        article = getattr(adapter, "ARTICLE", "an" if adapter.NAME[0] in "AEIOU" else "a")
        reasons.append(DataError(paths.rel(folder), f"not {article} {adapter.NAME} folder: {why}"))
    raise ValidationFailed(reasons)


def validate(folder) -> tuple[list[DataError], list[DataError]]:
    """``(errors, warnings)`` for a folder, whichever adapter reads it; never raises."""
    try:
        adapter = detect(folder)
    except ValidationFailed as exc:
        return exc.errors, []
    return adapter.validate(paths.resolve(folder, paths.DATA))


def ensure_valid(folder) -> Path:
    folder = paths.resolve(folder, paths.DATA)
    detect(folder).ensure_valid(folder)
    return folder


def load(folder, tables=None) -> Dataset:
    """Validate (cached) and return the folder's dataset; ``tables`` limits what is read eagerly."""
    folder = paths.resolve(folder, paths.DATA)
    return detect(folder).load(folder, tables)


def open(data_dir="data", as_of="", figures_dir="", tables=None, **extra) -> tuple[Dataset, P.Params]:
    """The third cell of every notebook: check the common parameters, load the dataset
    (validated), resolve ``as_of`` against its period and return the dataset **as known on**
    ``as_of`` (:func:`briefing.model.known_on`: later sources do not exist in it). Returns
    ``(ds, params)`` with ``params.as_of`` a date. The notebook's imports are done by now:
    :func:`briefing.runtime.imports_done` takes them out of the garbage collector's way."""
    imports_done()
    p = P.check(data_dir=data_dir, as_of=as_of, figures_dir=figures_dir, **extra)
    full = load(p.data_dir, tables)
    as_of = full.resolve_as_of(p.as_of)
    return known_on(full, as_of), P.Params(p.data_dir, as_of, p.figures_dir, p.extra)


def open_compare(compare, data_dir="data") -> Dataset | None:
    """The dataset to corroborate the briefing against (``COMPARE``), validated; ``None`` when
    the parameter is empty."""
    folder = P.compare_folder(compare, paths.resolve(data_dir, paths.ROOT))
    return None if folder is None else load(folder)


def main(argv: list[str] | None = None) -> int:
    """``python -m briefing validate [--data-dir DIR]``: ``error:``/``warning:`` lines on
    stderr; exit 2 on errors; on success one line saying what was read."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m briefing validate",
                                     description="Validate a data folder (default: data/).")
    parser.add_argument("--data-dir", default=os.environ.get("BRIEFING_DATA_DIR") or None,
                        help="data folder (default: $BRIEFING_DATA_DIR, which make sets from DATA_DIR, else data/)")
    parser.add_argument("--supports", action="store_true",
                        help="also print the field-by-field support table (which evidence rows support each "
                             "record's date, place, actor, controller and value; curated folders)")
    args = parser.parse_args(argv)
    flag = os.environ.get("BRIEFING_SUPPORTS", "")  # make validate SUPPORTS=1
    if flag not in ("", "0", "1"):
        print(f"error: parameter 'SUPPORTS': {flag!r} is not 1 or 0 (1 prints the field-by-field support table)",
              file=sys.stderr)
        return 2
    args.supports = args.supports or flag == "1"
    folder = paths.resolve(args.data_dir, paths.DATA)
    errors, warnings = validate(folder)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if errors:
        if len(errors) > 1:
            print(f"{len(errors)} problems in {paths.rel(folder)}", file=sys.stderr)
        return 2
    adapter = detect(folder)
    if args.supports and hasattr(adapter, "support_table"):
        print(adapter.support_table(folder))
    w = len(warnings)
    print(f"ok: {adapter.summary(folder)} ({paths.rel(folder)})" + (f", {w} warning{'s' if w != 1 else ''}" if w else ""))
    return 0

"""Build steps the Makefile drives: ``python -m briefing build <step>``.

Steps
-----
``validate``  validate the data folder named in the params file (one line per problem) and
              write the report's header facts (``--facts build/facts.json``).
``deps``      print each notebook's data files as Makefile lines (``NB_DATA_<notebook> := …``).
``notebook``  execute one notebook with papermill into ``build/executed/``.
``report``    assemble the executed notebooks into ``briefing.html`` and ``briefing.pdf``.
``bench``     time every stage against the floor (see :mod:`briefing.bench`).
``refresh``   re-execute notebooks in place with their default parameters, so the committed
              copies carry current outputs (what nbval compares), minus volatile metadata.

Each step prints what it runs and how long it took. Failures print one line (``error: …``)
and exit non-zero; outputs are written to a temporary file and renamed into place only on
success, so a failed build never touches the last good report.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from . import paths
from .errors import BriefingError

# Errors raised inside a notebook that are input problems (shown as one line, exit 2).
INPUT_ERRORS = {"BriefingError", "DataError", "ValidationFailed", "ParameterError", "GeocodeError"}


def read_params(path: str | Path) -> dict:
    """The build parameters the Makefile wrote (``data_dir``, ``as_of``, ``figures_dir``)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def step_validate(params: dict, facts: Path | None = None) -> int:
    """Validate the data folder once (the notebooks reuse the cached success), check ``as_of``
    against its period and write the header facts the report step prints into ``facts``
    (JSON; rewritten only when a value changes), so the report never loads the data."""
    from . import adapters
    from . import params as P
    from .errors import ValidationFailed

    t0 = time.perf_counter()
    folder = P.data_folder(params.get("data_dir"))
    P.parse_date("as_of", params.get("as_of"), allow_empty=True)  # fail on a malformed date first
    try:
        adapters.ensure_valid(folder)  # validates and records the success, so notebooks reuse it
    except ValidationFailed as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        return 2
    ds = adapters.load(folder, tables=["sources", "events"])
    as_of = ds.resolve_as_of(params.get("as_of"))
    if facts is not None:
        from .overview import facts as header_facts
        from .report import data_version

        _write_if_changed(Path(facts), json.dumps(header_facts(ds, as_of, data_version(folder)), indent=1) + "\n")
    _say("validate", f"{paths.rel(folder)} ok ({time.perf_counter() - t0:.1f} s)")
    return 0


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def notebook_tables(notebook: Path) -> list[str]:
    """The tables a notebook reads: the union of ``TABLES`` of the view modules it imports
    (``from briefing import adapters, chronology``), found in its code cells."""
    import importlib
    import re

    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = set()
    for m in re.finditer(r"^from briefing import ([\w, ]+)$", code, re.M):
        names.update(n.strip() for n in m.group(1).split(","))
    tables: list[str] = []
    for name in sorted(names):
        for t in getattr(importlib.import_module(f"briefing.{name}"), "TABLES", ()):
            if t not in tables:
                tables.append(t)
    return tables


def step_deps(params: dict, notebooks: list[Path]) -> int:
    """Print, for the Makefile to include, each notebook's data files: ``NB_DATA_<stem> := …``
    (the files that back the tables its views read, as the folder's adapter names them)."""
    from . import adapters

    # Never fails: a missing or unreadable folder backs no files, and the validate step, which
    # runs before any notebook, reports it in one line.
    folder = paths.resolve(str(params.get("data_dir") or ""), paths.DATA)
    for nb in notebooks:
        files = adapters.files(folder, notebook_tables(nb))
        print(f"NB_DATA_{nb.stem} := " + " ".join(paths.rel(f) for f in files))
    return 0


def notebook_parameters(notebook: Path, params: dict) -> dict:
    """The build parameters that this notebook declares in its ``parameters`` cell."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    return {k: v for k, v in params.items() if k in declared}


def execute(notebook: Path, out: Path, parameters: dict, kernel: str = "briefing") -> float:
    """Execute ``notebook`` into ``out`` (atomically) and return the seconds it took.

    Raises :class:`BriefingError` with one line when the notebook fails; the failed run is
    kept in ``<out folder>/../failed/`` for inspection.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.WARNING)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.ipynb")
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=parameters, kernel_name=kernel,
            cwd=str(paths.ROOT), progress_bar=False, log_output=False, report_mode=False,
            # The kernel's own log (e.g. ipykernel's "running over TCP without encryption"
            # warning: the kernel listens on localhost only) is noise in build output.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except PapermillExecutionError as exc:
        failed = out.parent.parent / "failed" / out.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            os.replace(tmp, failed)
        name = paths.rel(notebook)
        evalue = " ".join(str(exc.evalue).split())
        if exc.ename in INPUT_ERRORS:
            raise BriefingError(f"{name}: {evalue}") from None
        raise BriefingError(
            f"{name} failed in cell {exc.exec_count}: {exc.ename}: {evalue} (run kept at {paths.rel(failed)})"
        ) from None
    os.replace(tmp, out)
    return time.perf_counter() - t0


def step_notebook(notebook: Path, params: dict, out: Path) -> int:
    parameters = notebook_parameters(notebook, params)
    seconds = execute(notebook, out, parameters)
    _say("notebook", f"{notebook.stem} {seconds:.1f} s")
    return 0


def step_report(executed: list[Path], facts: dict, html: Path, pdf: Path) -> int:
    from . import report

    timings = report.build(executed, facts=facts, html_path=html, pdf_path=pdf)
    _say("report", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f" → {paths.rel(html)}, {paths.rel(pdf)}")
    return 0


VOLATILE_CELL_KEYS = ("papermill", "execution")


def strip_volatile(nb) -> None:
    """Drop papermill's timings and per-cell execution metadata from a notebook in place."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)


def step_refresh(notebooks: list[Path]) -> int:
    """Execute each notebook with its own defaults and write it back with its outputs."""
    import nbformat

    for notebook in notebooks:
        out = paths.BUILD / "refresh" / notebook.name
        seconds = execute(notebook, out, {})
        nb = nbformat.read(str(out), as_version=4)
        strip_volatile(nb)
        tmp = notebook.with_name(f".{notebook.name}.tmp")
        nbformat.write(nb, str(tmp))
        os.replace(tmp, notebook)
        _say("refresh", f"{notebook.stem} {seconds:.1f} s")
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m briefing build")
    sub = ap.add_subparsers(dest="step", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--params", required=True)
    v.add_argument("--facts", type=Path, default=None, help="write the report's header facts (JSON) here")
    d = sub.add_parser("deps")
    d.add_argument("notebooks", nargs="+", type=Path)
    d.add_argument("--params", required=True)
    n = sub.add_parser("notebook")
    n.add_argument("notebook", type=Path)
    n.add_argument("--params", required=True)
    n.add_argument("--out", required=True, type=Path)
    r = sub.add_parser("report")
    r.add_argument("executed", nargs="+", type=Path)
    r.add_argument("--params", required=True)
    r.add_argument("--facts", required=True, type=Path, help="the header facts the validate step wrote")
    r.add_argument("--html", required=True, type=Path)
    r.add_argument("--pdf", required=True, type=Path)
    sub.add_parser("bench")
    f = sub.add_parser("refresh")
    f.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)

    if args.step == "refresh":
        return step_refresh(args.notebooks)
    if args.step == "bench":
        from . import bench

        return bench.main()
    params = read_params(args.params)
    if args.step == "validate":
        return step_validate(params, args.facts)
    if args.step == "deps":
        return step_deps(params, args.notebooks)
    if args.step == "notebook":
        return step_notebook(args.notebook, params, args.out)
    return step_report(args.executed, json.loads(args.facts.read_text(encoding="utf-8")), args.html, args.pdf)

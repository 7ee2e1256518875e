"""Build steps the Makefile drives: ``python -m briefing build <step>``.

Steps
-----
``params``    check every build parameter (from the environment, see :func:`briefing.params.build_params`),
              check the system libraries the PDF needs, remove temporary files of killed
              builds, then write ``params.json`` and one digest per input into the build folder,
              each only when its content changes (so make re-runs exactly what changed).
``validate``  validate the data folder named in the params file (one line per problem) and
              write the report's header facts into ``facts.json`` in the build folder.
``deps``      print each notebook's tables as Makefile lines (``NB_DATA_<notebook> := …``),
              from the ``TABLES`` of the views it imports (``params`` writes the same lines
              into ``notebook-data.mk`` in the build folder, which the Makefile includes).
``notebook``  execute one notebook with papermill into ``build/executed/``; its figures go to
              the build's staging folder, never straight to ``figures/``.
``report``    assemble the executed notebooks into ``briefing.html`` and ``briefing.pdf``, then
              publish the staged figures and both reports together.
``bench``     time every stage against the floor (see :mod:`briefing.bench`).
``refresh``   re-execute notebooks in place with their default parameters, so the committed
              copies carry current outputs (what nbval compares), minus volatile metadata.

Each step prints what it runs and how long it took. Failures print one line (``error: …``)
and exit non-zero; outputs are written to a temporary file and renamed into place only on
success, so a failed build never touches the last good report. Without ``--params``, a step
reads its parameters from the environment the Makefile exports; no recipe line carries a
user's value.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import paths
from .errors import BriefingError

# Errors raised inside a notebook that are input problems (shown as one line, exit 2).
INPUT_ERRORS = {"BriefingError", "DataError", "ValidationFailed", "ParameterError", "GeocodeError"}


def read_params(path: str | Path | None = None) -> dict:
    """The notebook parameters of this build (``data_dir``, ``as_of``, ``figures_dir``): from
    ``path`` when given, else from the ``params.json`` of the build the environment names."""
    if path is None:
        from . import params as P

        path = P.build_params().params_file
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BriefingError(f"{paths.rel(Path(path))}: not found; run the build through `make report`") from None


# ------------------------------------------------------------------------------------ params

# The shared libraries WeasyPrint loads (weasyprint/text/ffi.py), by the names it tries on Linux
# and macOS, and the Debian package that provides each.
PDF_LIBRARIES = [
    ("GObject", ("libgobject-2.0.so.0", "libgobject-2.0.0.dylib"), "libglib2.0-0"),
    ("Pango", ("libpango-1.0.so.0", "libpango-1.0.dylib"), "libpango-1.0-0"),
    ("HarfBuzz", ("libharfbuzz.so.0", "libharfbuzz.0.dylib"), "libharfbuzz0b"),
    ("Fontconfig", ("libfontconfig.so.1", "libfontconfig.1.dylib"), "libfontconfig1"),
    ("PangoFT2", ("libpangoft2-1.0.so.0", "libpangoft2-1.0.dylib"), "libpangoft2-1.0-0"),
]


def missing_pdf_libraries(load=ctypes.CDLL) -> list[tuple[str, str]]:
    """``(library, Debian package)`` for each library the PDF step needs and cannot load."""
    missing = []
    for name, files, package in PDF_LIBRARIES:
        for f in files:
            try:
                load(f)
                break
            except OSError:
                continue
        else:
            missing.append((name, package))
    return missing


def check_pdf_libraries(load=ctypes.CDLL) -> None:
    missing = missing_pdf_libraries(load)
    if missing:
        names = ", ".join(n for n, _ in missing)
        pkgs = " ".join(p for _, p in missing)
        raise BriefingError(f"the PDF step needs the system librar{'y' if len(missing) == 1 else 'ies'} {names}, "
                            f"not installed; on Debian or Ubuntu: sudo apt-get install {pkgs} "
                            f"(or run scripts/system-deps.sh)")


_TEMP = re.compile(r"^\..+\.(\d+)\.(?:tmp|ipynb)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folders: list[Path]) -> int:
    """Delete ``.<name>.<pid>.tmp`` / ``.<name>.<pid>.ipynb`` files left by killed builds
    (their process is gone); return how many."""
    n = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            m = _TEMP.match(f.name)
            if m and f.is_file() and not _alive(int(m.group(1))):
                f.unlink(missing_ok=True)
                n += 1
    return n


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it (so make sees no change)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def step_params() -> int:
    from . import params as P

    bp = P.build_params()
    check_pdf_libraries()
    remove_stale_temporaries([bp.report_dir, bp.executed_dir, bp.figures_dir, bp.stage_dir, bp.build_dir])
    write_if_changed(bp.params_file, json.dumps(bp.notebook_params(), indent=1, sort_keys=True) + "\n")
    write_if_changed(bp.imprint_file, json.dumps(bp.imprint, indent=1, sort_keys=True) + "\n")
    for name, digest in P.input_digests(bp.data_dir).items():
        write_if_changed(bp.inputs_dir / f"{name}.sha256", digest + "\n")
    write_if_changed(bp.inputs_dir / "compare.sha256", P.compare_digest(bp.compare) + "\n")
    # the per-notebook input lists the Makefile includes: written after every check, like the rest
    notebooks = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    write_if_changed(bp.build_dir / "notebook-data.mk",
                     "".join(f"NB_DATA_{nb.stem} := {' '.join(notebook_tables(nb))}\n" for nb in notebooks))
    return 0


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def step_validate(params: dict, stamp: Path | None = None, facts: Path | None = None) -> int:
    """Validate the data folder once (the notebooks reuse the cached success), check ``as_of``
    against its period and write the header facts the report prints into ``facts`` (JSON,
    rewritten only when a value changes), so the report step never loads the data."""
    from . import adapters
    from . import params as P
    from .errors import ValidationFailed
    from .model import known_on

    t0 = time.perf_counter()
    folder = P.data_folder(params.get("data_dir"))
    P.parse_date("as_of", params.get("as_of"), allow_empty=True)  # fail on a malformed date first
    try:
        adapters.ensure_valid(folder)  # validates and records the success, so notebooks reuse it
    except ValidationFailed as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        return 2
    compare = P.compare_folder(params.get("compare"), folder)
    if compare is not None:  # the dataset to corroborate against is checked here too, before any notebook
        try:
            adapters.ensure_valid(compare)
        except ValidationFailed as exc:
            for err in exc.errors:
                print(f"error: {err}", file=sys.stderr)
            return 2
    full = adapters.load(folder, tables=["sources", "events"])
    as_of = full.resolve_as_of(params.get("as_of"))
    ds = known_on(full, as_of)  # the header counts what was known on as_of, like every view
    if facts is not None:
        from .overview import facts as header_facts
        from .report import data_version

        write_if_changed(facts, json.dumps(header_facts(ds, as_of, data_version(folder)), indent=1) + "\n")
    _say("validate", f"{paths.rel(folder)} ok ({time.perf_counter() - t0:.1f} s)")
    if stamp is not None:
        write_if_changed(stamp, f"{paths.rel(folder)}\n")
        os.utime(stamp)  # the stamp's time is what make compares
    return 0


def view_tables(name: str) -> tuple[str, ...]:
    """``TABLES`` of the module ``briefing.<name>``, read from its source (no import: this runs
    on every ``make``, and the views import pandas and matplotlib)."""
    import ast

    source = paths.ROOT / "briefing" / f"{name}.py"
    if not source.is_file():
        source = paths.ROOT / "briefing" / name / "__init__.py"  # a package (adapters)
    if not source.is_file():
        return ()
    found: tuple = ()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:  # TABLES, then INPUTS (other inputs)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") in ("TABLES", "INPUTS") for t in node.targets):
            found += tuple(ast.literal_eval(node.value))
    return found


def notebook_tables(notebook: Path) -> list[str]:
    """The tables a notebook reads: the union of ``TABLES`` of the view modules it imports
    (``from briefing import adapters, chronology``), found in its code cells."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    names = set()
    for m in re.finditer(r"^from briefing import ([\w, ]+)$", code, re.M):
        names.update(n.strip() for n in m.group(1).split(","))
    tables: list[str] = []
    for name in sorted(names):
        for t in view_tables(name):
            if t not in tables:
                tables.append(t)
    return tables


def step_deps(notebooks: list[Path]) -> int:
    """Print, for the Makefile to include, each notebook's inputs: ``NB_DATA_<stem> := <tables>``
    (the Makefile maps each to its digest file in the build's ``inputs/``)."""
    for nb in notebooks:
        print(f"NB_DATA_{nb.stem} := " + " ".join(notebook_tables(nb)))
    return 0


def _papermill():
    """papermill without its HDFS reader: ``papermill.iorw`` imports ``pyarrow.fs`` (and with it
    pyarrow and numpy: 0.1–0.2 s of CPU in every notebook step) only to offer ``hdfs://`` paths,
    which the build never uses. The import is declined while papermill loads, as
    ``briefing/__init__.py`` declines rfc3987_syntax, then allowed again for anything else."""
    if "papermill" not in sys.modules and "pyarrow.fs" not in sys.modules:
        sys.modules["pyarrow.fs"] = None
        try:
            import papermill  # noqa: F401
        finally:
            del sys.modules["pyarrow.fs"]
    import papermill

    return papermill


def notebook_parameters(notebook: Path, params: dict) -> dict:
    """The build parameters that this notebook declares in its ``parameters`` cell."""
    papermill = _papermill()
    declared = papermill.inspect_notebook(str(notebook))
    return {k: v for k, v in params.items() if k in declared}




def execute(notebook: Path, out: Path, parameters: dict, kernel: str = "briefing") -> float:
    """Execute ``notebook`` into ``out`` (atomically) and return the seconds it took.

    Raises :class:`BriefingError` with one line when the notebook fails; the failed run is
    kept in ``<out folder>/../failed/`` for inspection.
    """
    papermill = _papermill()
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    logging.getLogger("papermill").setLevel(logging.WARNING)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.ipynb")
    sockets = Path(tempfile.mkdtemp(prefix="briefing-kernel-"))
    t0 = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=parameters, kernel_name=kernel,
            cwd=str(paths.ROOT), progress_bar=False, log_output=False, report_mode=False,
            # The kernel's own log is noise in build output.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            # Kernel and driver talk over Unix sockets in a folder of this driver's own, not over
            # TCP ports: over TCP, jupyter_client picks five free ports, closes them and lets the
            # kernel bind them later, so two notebooks started together (make runs two) could
            # pick the same port and one build failed at kernel start ("Address already in use",
            # seen under load). One kernel per driver process, so its folder is never shared.
            config=Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / "kernel")}}),
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
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    os.replace(tmp, out)
    return time.perf_counter() - t0


def step_notebook(notebook: Path, params: dict, out: Path) -> int:
    # A re-run notebook replaces its own staged figures (figN_* for notebook NN), so a figure it
    # no longer draws does not linger and get published.
    stage, number = params.get("figures_dir"), notebook.stem[:2]
    if stage and number.isdigit():
        for old in Path(stage).glob(f"fig{int(number)}_*"):
            old.unlink(missing_ok=True)
    parameters = notebook_parameters(notebook, params)
    seconds = execute(notebook, out, parameters)
    _say("notebook", f"{notebook.stem} {seconds:.1f} s")
    return 0


def step_report(executed: list[Path], facts: Path, html: Path, pdf: Path,
                publish: tuple[Path, Path] | None = None, imprint: Path | None = None) -> int:
    from . import params as P
    from . import report

    try:
        context = json.loads(Path(facts).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BriefingError(f"{paths.rel(Path(facts))}: not found; the validate step writes it (run `make report`)") from None
    values = dict(P.IMPRINT_DEFAULTS)
    if imprint is not None and Path(imprint).is_file():
        values.update(json.loads(Path(imprint).read_text(encoding="utf-8")))
    context = {**context, "imprint": {k: P.imprint_value(k, values.get(k)) for k in P.IMPRINT_DEFAULTS},
               "pdf_name": Path(pdf).name}
    timings = report.build(executed, facts=context, html_path=html, pdf_path=pdf, publish=publish)
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
    sub.add_parser("params")
    v = sub.add_parser("validate")
    v.add_argument("--params")
    v.add_argument("--facts", type=Path, help="where to write the report's header facts (JSON)")
    d = sub.add_parser("deps")
    d.add_argument("notebooks", nargs="+", type=Path)
    n = sub.add_parser("notebook")
    n.add_argument("notebook", type=Path)
    n.add_argument("--params")
    n.add_argument("--out", type=Path)
    r = sub.add_parser("report")
    r.add_argument("executed", nargs="*", type=Path)
    r.add_argument("--params")
    r.add_argument("--facts", type=Path, help="the header facts the validate step wrote")
    r.add_argument("--html", type=Path)
    r.add_argument("--pdf", type=Path)
    sub.add_parser("bench")
    f = sub.add_parser("refresh")
    f.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)

    if args.step == "refresh":
        return step_refresh(args.notebooks)
    if args.step == "bench":
        from . import bench

        return bench.main()
    if args.step == "params":
        return step_params()
    if args.step == "deps":
        return step_deps(args.notebooks)
    params = read_params(args.params)
    bp = None
    if args.params is None:  # the Makefile's way: every path from the checked environment
        from . import params as P

        bp = P.build_params()
    if args.step == "validate":
        return step_validate(params, stamp=bp.build_dir / "validated.stamp" if bp else None,
                             facts=args.facts or (bp.build_dir / "facts.json" if bp else None))
    if args.step == "notebook":
        out = args.out or (bp.executed_dir / args.notebook.name if bp else None)
        if out is None:
            raise BriefingError("build notebook: --out is required with --params")
        return step_notebook(args.notebook, params, out)
    if bp is not None:
        executed = [bp.executed_dir / nb.name for nb in sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
        return step_report(args.executed or executed, args.facts or bp.build_dir / "facts.json",
                           args.html or bp.report_dir / "briefing.html",
                           args.pdf or bp.report_dir / "briefing.pdf", publish=(bp.stage_dir, bp.figures_dir),
                           imprint=bp.imprint_file)
    if not (args.html and args.pdf and args.executed and args.facts):
        raise BriefingError("build report: executed notebooks, --facts, --html and --pdf are required with --params")
    return step_report(args.executed, args.facts, args.html, args.pdf)

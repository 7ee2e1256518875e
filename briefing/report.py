"""Assemble the executed notebooks into one briefing: a self-contained HTML file and an A4 PDF.

The briefing is the notebooks' Markdown and outputs in order, with no code. Cell tags decide
where a cell goes:

==================  ============================================================
``parameters``,     never shown (papermill's parameter cells)
``injected-parameters``
``nb-only``         shown in JupyterLab only (e.g. the inputs/outputs/parameters cell)
``web-only``        HTML briefing only (the interactive folium map)
``print-only``      PDF only (the static counterpart of an interactive output)
==================  ============================================================

Outputs are taken by MIME type: ``text/html`` and ``text/markdown`` as they are (the package
escapes data before building them), figures as PNG on screen and SVG in print (PNG where
the figure asks for it: see :func:`briefing.figures.save`). ``text/plain``
and streams are never shown. A notebook that produced an error output fails the build.

The header (title, period, as-of date, data version, sources) comes from ``build/facts.json``,
which the build's validate step writes (:func:`briefing.overview.facts`): this step reads no
data. Both files are written to a temporary name and renamed into place only when both rendered,
so a failure leaves the previous report untouched. Nothing depends on the clock: the header
carries the data version (a SHA-256 over the data and seeds), and the PDF's metadata dates
come from the data, so two builds from the same inputs are byte-identical.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import os
import re
import sys
import time
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt

from . import paths
from .errors import BriefingError

TEMPLATES = Path(__file__).with_name("templates")
SKIP_TAGS = {"parameters", "injected-parameters", "nb-only"}
DATA_SUFFIXES = {".csv", ".json", ".geojson"}

# Markdown cells are written by us and may hold links and HTML. Markdown *outputs* are generated
# from data: their values are escaped (render.esc), and as a second wall their renderer knows no
# raw HTML, links, images or autolinks, so nothing in the data can make a reader's browser (or
# WeasyPrint) fetch anything.
_md = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(["table", "replacements", "smartquotes"])
_md_generated = (MarkdownIt("commonmark", {"html": False, "typographer": True})
                 .enable(["table", "replacements", "smartquotes"]).disable(["link", "image", "autolink"]))


def slug(text: str) -> str:
    s = re.sub(r"<[^>]+>", "", text)
    s = re.sub(r"[^\w\s-]", "", s.lower()).strip()
    return re.sub(r"[\s_]+", "-", s) or "section"


def markdown_to_html(text: str, *, generated: bool = False) -> str:
    return (_md_generated if generated else _md).render(text)


def data_version(data_dir: Path) -> str:
    """SHA-256 (first 12 hex digits) over every data file the build reads (CSV, JSON, GeoJSON;
    not the documentation beside them) and every seed, by name."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(data_dir).rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES)
    files += sorted(p for p in paths.SEEDS.glob("*.txt"))
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _image(data: str, mime: str, width: int | None, alt: str) -> str:
    b64 = data if mime == "image/png" else base64.b64encode(data.encode("utf-8")).decode("ascii")
    style = f' style="width:{int(width)}px"' if width else ""
    return f'<img src="data:{mime};base64,{b64}" alt="{html.escape(alt)}"{style}>'


def _web_figure(data: dict, info: dict, caption: str) -> str:
    """A figure on screen: the SVG (sharp at any size; PNG when the figure has no SVG) shown
    wider than the text column so its type reads at 11 px or more, a button that enlarges it
    (inline script, nothing fetched), the CSV behind it as an embedded download, and for narrow
    screens the figure's own narrow form when it has one."""
    name = info.get("figure", "figure")
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        svg = "".join(svg) if isinstance(svg, list) else svg
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    else:
        src = "data:image/png;base64," + data["image/png"]
    alt = html.escape(caption or name, quote=True)
    img = (f'<button type="button" class="zoom" aria-label="Enlarge the figure" title="Enlarge">'
           f'<img src="{src}" alt="{alt}"></button>')
    links = []
    if info.get("csv"):
        links.append(f'<a class="csv" download="{html.escape(name)}.csv" '
                     f'href="data:text/csv;charset=utf-8;base64,{info["csv"]}">Data behind this figure (CSV)</a>')
    narrow = info.get("narrow", "")
    wide_cls = "wide has-narrow" if narrow else "wide"
    # on a phone a figure with no narrow form is wider than the screen and scrolls in its own box:
    # say so, or a reader takes the visible left part for the whole figure (CSS shows it < 640 px)
    hint = "" if narrow else ('<p class="scroll-hint">Wider than the screen: swipe sideways to see all of it, '
                              'or tap it to enlarge.</p>')
    body = f'{hint}<div class="{wide_cls}">{img}</div>'
    if narrow:
        body += f'<div class="narrow">{narrow}</div>'
    cap = f"<figcaption>{html.escape(caption)}" + (f' <span class="figlinks">{" ".join(links)}</span>' if links else "") \
        + "</figcaption>"
    return f'<figure class="figure" id="{html.escape(name)}">{body}{cap}</figure>'


def _output_html(output: dict, medium: str, nb_name: str) -> str:
    """One notebook output as HTML for ``medium`` ("web" or "print")."""
    kind = output.get("output_type")
    if kind == "error":
        raise BriefingError(f"{nb_name}: the executed notebook holds an error ({output.get('ename')}: {output.get('evalue')})")
    if kind not in {"display_data", "execute_result"}:
        return ""  # streams (stdout/stderr) never reach the briefing
    data, meta = output.get("data", {}), output.get("metadata", {})
    info = meta.get("briefing", {})
    if ("image/png" in data or "image/svg+xml" in data) and medium == "web":
        return _web_figure(data, info, info.get("caption", ""))
    if "image/png" in data or "image/svg+xml" in data:
        vector_in_print = medium == "print" and info.get("print", "svg") == "svg"
        order = ["image/svg+xml", "image/png"] if vector_in_print else ["image/png", "image/svg+xml"]
        mime = next(m for m in order if m in data)
        width = meta.get("image/png", {}).get("width")
        caption = info.get("caption", "")
        img = _image(data[mime], mime, width, caption or info.get("figure", "figure"))
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return f'<figure class="figure" id="{html.escape(info.get("figure", ""))}">{img}{cap}</figure>'
    if "text/html" in data:
        markup = "".join(data["text/html"]) if isinstance(data["text/html"], list) else data["text/html"]
        if medium == "web" and info.get("csv"):  # a data table: its CSV, embedded like a figure's
            markup += (f'\n<p class="figlinks tablelinks"><a class="csv" download="{html.escape(info.get("table") or "table")}.csv" '
                       f'href="data:text/csv;charset=utf-8;base64,{info["csv"]}">Data behind this table (CSV)</a></p>')
        return markup
    if "text/markdown" in data:
        md = data["text/markdown"]
        return markdown_to_html("".join(md) if isinstance(md, list) else md, generated=True)
    return ""


def read_notebook(nb_path: Path) -> dict:
    """An executed notebook as plain JSON, with multi-line strings joined as ``nbformat.read``
    joins them (cell sources, stream text, text outputs). The report reads only what papermill
    wrote and nbformat validated, so it does not import nbformat (about 0.1 s of a cold build:
    its validator pulls in jsonschema and an IRI grammar)."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    if nb.get("nbformat") != 4:
        raise BriefingError(f"{paths.rel(Path(nb_path))}: not an nbformat 4 notebook")

    def joined(v):
        return "".join(v) if isinstance(v, list) else v

    for cell in nb.get("cells", []):
        cell["source"] = joined(cell.get("source", ""))
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = joined(out["text"])
            data = out.get("data", {})
            for mime, value in data.items():
                if not (mime == "application/json" or mime.endswith("+json")):
                    data[mime] = joined(value)
    return nb


# The lines that introduce a block: the last paragraph before it, with the headings right above
# that paragraph (or, when no paragraph comes between, the headings alone).
_HEADING = r"(?:<h([2-4])[^>]*>(?:(?!</h[2-4]>).)*</h\1>\s*)"
_HEADINGS = _HEADING + "*"
_INTRO = re.compile(_HEADINGS + r"(?:<p(?:\s[^>]*)?>(?:(?!<p[\s>]|</p>).)*</p>\s*)?$", re.S)
_ONLY_HEADINGS = re.compile(_HEADINGS + "$", re.S)
_KEPT_WHOLE = re.compile(r'\s*<(?:figure class="figure"|div class="tablewrap short")')


def _keep_with_intro(parts: list[str], block: str) -> None:
    """Append ``block`` to ``parts``; in print, a figure or a short table (printed whole) first
    takes the lines that introduce it, so they land on one page.

    The introduction is the last paragraph before the block, with the headings right above it
    (a heading that ends the part before is taken too). All of it moves into
    ``<div class="keep">`` with the block, and the print style forbids a page break inside that
    div: a figure stays on the same page as its caption and the sentence that introduces it by
    construction, rather than by hoping that ``break-before: avoid`` wins against widows and
    orphans. Anything else between the paragraph and the block (a list, another table) breaks
    the chain: only a paragraph and the headings above it introduce a block.
    """
    if not _KEPT_WHOLE.match(block):
        parts.append(block)
        return
    intro, pattern = "", _INTRO
    while parts:
        taken = pattern.search(parts[-1]).group(0)
        intro = taken + intro
        if taken != parts[-1]:
            parts[-1] = parts[-1][: len(parts[-1]) - len(taken)]
            break
        parts.pop()  # the whole part introduces the block: headings above it may too
        pattern = _ONLY_HEADINGS
    parts.append(f'<div class="keep">{intro.strip()}\n{block}</div>' if intro.strip() else block)


_LEAD_PART = re.compile(r"\s*" + _HEADING + "+" + r"<p>(?P<lead>(?:(?!<p[\s>]|</p>).)*</p>\s*)$", re.S)  # 1+ headings


def _mark_leads(parts: list[str]) -> None:
    """In print, a part that is only headings and one paragraph (a section's lead) and is followed
    by running text (or by a paragraph kept with its figure) gets ``<p class="lead">``: the print
    style keeps it with the first lines of that text (``orphans``), so a heading and its lead never
    end a page alone."""
    for i in range(len(parts) - 1):
        m = _LEAD_PART.match(parts[i])
        if m and parts[i + 1].lstrip().startswith(("<p", '<div class="keep"><p')):
            parts[i] = parts[i][: m.start("lead") - len("<p>")] + '<p class="lead">' + m.group("lead")


def notebook_body(nb_path: Path, medium: str) -> str:
    nb = read_notebook(nb_path)
    name = paths.rel(nb_path)
    parts: list[str] = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & SKIP_TAGS or ("web-only" in tags and medium != "web") or ("print-only" in tags and medium != "print"):
            continue
        if cell.get("cell_type") == "markdown":
            parts.append(markdown_to_html(cell["source"]))
        elif cell.get("cell_type") == "code":
            for o in cell.get("outputs", []):
                block = _output_html(o, medium, name)
                if medium == "print":
                    _keep_with_intro(parts, block)
                else:
                    parts.append(block)
    parts = [p for p in parts if p.strip()]
    if medium == "print":
        _mark_leads(parts)
    return "\n".join(parts)


def _add_heading_ids(body: str, prefix: str) -> tuple[str, list[dict]]:
    """Give every h2/h3 a stable id; return the body and the table of contents."""
    toc, seen = [], set()

    def repl(m):
        level, attrs, inner = m.group(1), m.group(2), m.group(3)
        if "id=" in attrs:
            return m.group(0)
        base = f"{prefix}-{slug(inner)}"
        ident, n = base, 2
        while ident in seen:
            ident, n = f"{base}-{n}", n + 1
        seen.add(ident)
        if level == "2":
            toc.append({"id": ident, "title": re.sub(r"<[^>]+>", "", inner)})
        return f'<h{level} id="{ident}"{attrs}>{inner}</h{level}>'

    return re.sub(r"<h([23])([^>]*)>(.*?)</h\1>", repl, body), toc


def render(executed: list[Path], medium: str, context: dict) -> str:
    sections, toc = [], []
    for nb in executed:
        body, entries = _add_heading_ids(notebook_body(nb, medium), nb.stem[:2])
        if not body.strip():  # a section with nothing to say (corroboration without COMPARE) is left out
            continue
        sections.append({"id": f"nb-{nb.stem}", "html": body})
        toc.extend(entries)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      keep_trailing_newline=True)
    css = (TEMPLATES / "briefing.css").read_text(encoding="utf-8")
    return env.get_template("briefing.html.j2").render(medium=medium, sections=sections, toc=toc, css=css, **context)


def _pdf_metadata_date(context: dict) -> dt.datetime:
    """A fixed, data-derived timestamp for the PDF's metadata (the as-of date at noon UTC)."""
    as_of = dt.date.fromisoformat(context["as_of"]) if context.get("as_of") else dt.date(2017, 11, 17)
    return dt.datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=dt.timezone.utc)


def offline_fetcher(allowed: list[Path], refused: list[str]):
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and files inside ``allowed`` folders,
    and refuses everything else (http, https, ftp, files elsewhere), recording each refusal.
    The briefing embeds everything it shows, so a refusal means something tried to reach out."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    roots = [Path(a).resolve() for a in allowed]

    class OfflineFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                target = Path(unquote(urlsplit(url).path)).resolve()
                if any(target.is_relative_to(r) for r in roots):
                    return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"refused (the build fetches nothing): {url}")

    return OfflineFetcher(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1)


def import_weasyprint():
    """``import weasyprint``, without the ~50 helper processes its library lookup starts.

    WeasyPrint opens Pango, HarfBuzz and friends by trying names such as ``libpango-1.0-0``
    before ``libpango-1.0.so.0``; cffi hands each bare name to ``ctypes.util.find_library``,
    which on Linux runs ``ldconfig -p``, ``gcc`` and ``ld`` to look for it (about 0.2 s of a
    cold build, for names that never exist on Linux). While WeasyPrint is imported, the lookup
    answers "not found" at once, so cffi falls through to the ``.so`` names that ``dlopen``
    finds directly: the same libraries are loaded (``check_pdf_libraries`` has already checked
    them by those names)."""
    import sys

    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    import ctypes.util

    find_library = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    finally:
        ctypes.util.find_library = find_library
    return weasyprint


def write_pdf(html_text: str, target: Path, context: dict) -> list[str]:
    """Render the print HTML to ``target``; return the URLs the offline fetcher refused."""
    import logging

    weasyprint = import_weasyprint()

    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)  # refusals are reported by the caller
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    refused: list[str] = []
    fetcher = offline_fetcher([TEMPLATES, paths.VENDOR, *context.get("local_roots", [])], refused)
    doc = weasyprint.HTML(string=html_text, base_url=str(paths.ROOT), url_fetcher=fetcher).render(pdf_tags=True)
    stamp = _pdf_metadata_date(context).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc.metadata.title = context.get("title", "")
    doc.metadata.authors = ["briefing (reproducible build)"]
    doc.metadata.created = stamp
    doc.metadata.modified = stamp
    doc.write_pdf(str(target), pdf_tags=True)  # tagged PDF: headings, tables and reading order for screen readers
    return refused


FIGURE_FILES = re.compile(r"^fig\d+_[\w-]+\.(?:png|svg|csv)$")


def _stage_figures(stage: Path, figures_dir: Path) -> list[tuple[Path, Path]]:
    """Copy each staged figure to a temporary name beside its destination; return the pairs
    ``(temporary, destination)`` to rename when the reports are ready."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    pairs = []
    for src in sorted(stage.glob("fig*")) if stage.is_dir() else []:
        if not FIGURE_FILES.match(src.name):
            continue
        tmp = figures_dir / f".{src.name}.{os.getpid()}.tmp"
        tmp.write_bytes(src.read_bytes())
        pairs.append((tmp, figures_dir / src.name))
    return pairs


def build(executed: list[Path], *, facts: dict, html_path: Path, pdf_path: Path,
          publish: tuple[Path, Path] | None = None) -> dict:
    """Render both outputs and publish them together; return the seconds each stage took.

    ``facts``: the header facts the build's validate step wrote (title, period, as-of, data
    version, what the briefing is built from); the report never reads the data itself.

    With ``publish=(stage, figures_dir)`` the figures the notebooks staged are published in the
    same step: everything is first written to temporary files beside its destination (same
    folder, so renames are atomic), then renamed in one burst, figures first and reports last,
    and figure files of earlier builds that this build did not draw are removed. A failure
    before the burst changes nothing; every temporary file is removed on the way out (on
    SIGTERM too: the command line turns it into an exit)."""
    timings = {}
    t0 = time.perf_counter()
    context = facts
    web = render(executed, "web", context)
    printable = render(executed, "print", context)
    timings["html"] = time.perf_counter() - t0
    html_path, pdf_path = paths.resolve(html_path, html_path), paths.resolve(pdf_path, pdf_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_html = html_path.with_name(f".{html_path.name}.{os.getpid()}.tmp")
    tmp_pdf = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp")
    staged: list[tuple[Path, Path]] = []
    try:
        tmp_html.write_text(web, encoding="utf-8")
        t1 = time.perf_counter()
        context = {**context, "local_roots": [publish[0]] if publish else []}
        refused = write_pdf(printable, tmp_pdf, context)
        for url in refused:
            print(f"warning: the PDF step refused to fetch {url[:200]}: the build fetches nothing", file=sys.stderr)
        timings["pdf"] = time.perf_counter() - t1
        if publish is not None:
            staged = _stage_figures(*publish)
        # the burst: figures, stale figures out, then the two reports
        for tmp, dest in staged:
            os.replace(tmp, dest)
        if publish is not None:
            keep = {dest.name for _, dest in staged}
            for old in publish[1].glob("fig*"):
                if FIGURE_FILES.match(old.name) and old.name not in keep:
                    old.unlink(missing_ok=True)
        os.replace(tmp_html, html_path)
        os.replace(tmp_pdf, pdf_path)
    finally:
        for tmp in (tmp_html, tmp_pdf, *(t for t, _ in staged)):
            tmp.unlink(missing_ok=True)
    return timings

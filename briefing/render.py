r"""Display helpers the notebooks use to emit report-ready output.

Everything that leaves a notebook for the briefing goes through here, so escaping and
determinism are handled once:

- :func:`table` renders a DataFrame as an HTML table with every cell escaped (CSV text can
  hold ``<script>``); the ``text/plain`` twin keeps nbval's comparison meaningful.
- :func:`esc` makes a value inert in HTML *and* in Markdown: HTML's five special characters
  become entities, and so does every character that can start Markdown syntax (``[ ] * _ ` ~
  | # \``; with ``[`` and ``<`` inert no link, image, autolink or raw HTML can form).
  CommonMark treats an entity as a literal character, never as markup, and a browser shows it as the character, so one function is right in a table cell, an attribute
  and a Markdown template alike: a place named ``![x](http://host/a.png)`` stays text.
  Line breaks become spaces (a value can never start a Markdown block).
- :func:`markdown` fills a Markdown template with values escaped by :func:`esc`.
- :class:`Figure` is what :func:`briefing.figures.save` returns: PNG for screens, SVG for
  print, and a stable ``text/plain`` for nbval (images themselves are not compared).
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


# Characters that can open Markdown syntax (links, images, emphasis, code, tables, headings,
# autolinks, raw HTML, backslash escapes) plus HTML's own: all become numeric entities.
_INERT = {ord(c): f"&#{ord(c)};" for c in "[]*_`~|#\\"}
_INERT.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#x27;"})
_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\u2028": " ", "\u2029": " ", "\x0b": " ", "\x0c": " "})


def esc(value) -> str:
    """Escape any value for HTML and Markdown (see the module docstring); missing values become
    an empty string."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).translate(_BREAKS).translate(_INERT)


SHORT_TABLE_ROWS = 12


class _Output:
    """A display object with a fixed MIME bundle."""

    def __init__(self, bundle: dict, metadata: dict | None = None):
        self.bundle = bundle
        self.metadata = metadata or {}

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.bundle, self.metadata


def table(df: pd.DataFrame, *, caption: str | None = None, classes: str = "data",
          col_classes: dict[str, str] | None = None, raw_html_cols: tuple[str, ...] = (),
          row_attrs: list[dict] | None = None, csv: bytes = b"", csv_name: str = "",
          multiline_cols: tuple[str, ...] = ()) -> _Output:
    """An escaped HTML table. ``raw_html_cols`` names columns whose cells the caller has
    already built from escaped parts (e.g. a date with a precision badge). ``row_attrs``: one
    dict per row of ``data-*`` attributes (names and values escaped here), e.g. the place and
    date the briefing's map shows when the row is clicked. In ``multiline_cols`` a line break in a
    value starts a new line in the cell (each line escaped; ``<br>`` between them), so a narrow
    column can stay ``nowrap`` and still hold a two-line value; the plain twin shows a space.
    Every cell carries its column name
    (``data-label``) so a narrow screen can show the table as one card per row.

    ``csv`` / ``csv_name``: the table's data as written beside the figures (``csv_name.csv``, see
    :func:`data_table`); it travels in the output's metadata, like a figure's, and the
    HTML briefing links it as an embedded download (the notebook's HTML stays light)."""
    col_classes = col_classes or {}
    head = "".join(f'<th class="{esc(col_classes.get(c, ""))}">{esc(c)}</th>' for c in df.columns)
    rows = []
    for i, rec in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for col, val in zip(df.columns, rec):
            if col in raw_html_cols:
                text = str(val)
            elif col in multiline_cols and isinstance(val, str):
                text = "<br>".join(esc(line) for line in val.split("\n"))
            else:
                text = esc(val)
            cells.append(f'<td class="{esc(col_classes.get(col, ""))}" data-label="{esc(col)}">{text}</td>')
        attrs = ""
        if row_attrs is not None and i < len(row_attrs):
            attrs = "".join(f' data-{_attr_name(k)}="{esc(v)}"' for k, v in row_attrs[i].items() if esc(v))
        rows.append(f"<tr{attrs}>" + "".join(cells) + "</tr>")
    # The caption is a paragraph in a wrapper, not a <caption>: print engines keep a block with
    # the block after it, but may strand a <caption> at the foot of a page.
    cap = f'<p class="table-caption">{esc(caption)}</p>' if caption else ""
    wrap = "tablewrap short" if len(df) <= SHORT_TABLE_ROWS else "tablewrap"  # short: printed whole
    markup = (f'<div class="{wrap}">{cap}<table class="{esc(classes)}"><thead><tr>{head}</tr></thead>'
              f'<tbody>{"".join(rows)}</tbody></table></div>')
    shown = df.assign(**{c: df[c].astype(object).map(lambda v: v.replace("\n", " ") if isinstance(v, str) else v)
                         for c in multiline_cols if c in df})
    plain = shown.to_string(index=False, max_colwidth=60)
    meta = {"briefing": {"table": csv_name, "csv": base64.b64encode(csv).decode("ascii")}} if csv else None
    return _Output({"text/html": markup, "text/plain": plain}, meta)


def protect_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (``= + - @``, tab, CR)
    with an apostrophe (OWASP CSV-injection advice). Numbers are left alone."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            )
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a figure's or a table's data: UTF-8, ``\\n``, no index, formula-safe."""
    protect_formulas(df).to_csv(path, index=False, lineterminator="\n", float_format="%.6g")


def data_table(frame: pd.DataFrame, name: str, figures_dir: Path, data: pd.DataFrame | None = None, **kwargs):
    """A data table for the briefing whose data is saved as ``name.csv`` beside the figures
    (``data``, or the shown ``frame`` itself), with the same rules as a figure's CSV
    (:func:`write_csv`); the HTML briefing links those bytes as an embedded download.
    ``kwargs`` go to :func:`briefing.render.table`."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    path = figures_dir / f"{name}.csv"
    write_csv(frame if data is None else data, path)
    return table(frame, csv=path.read_bytes(), csv_name=name, **kwargs)


def _attr_name(name: str) -> str:
    import re

    clean = re.sub(r"[^a-z0-9-]", "", str(name).lower())
    if not clean:
        raise ValueError(f"not an attribute name: {name!r}")
    return clean


def html_block(markup: str, plain: str, metadata: dict | None = None) -> _Output:
    """Trusted HTML built by the package (callers escape data themselves) with a plain twin;
    ``metadata``: e.g. the CSV of a table the block wraps (``table(...).metadata``)."""
    return _Output({"text/html": markup, "text/plain": plain}, metadata)


def heading(text: str) -> _Output:
    """A section heading (and its lead) chosen by a view from the dataset's fields: written by the
    package, not data (values in it are escaped by the caller); empty text shows nothing."""
    return _Output({"text/markdown": text, "text/plain": text} if text else {"text/plain": ""})


def markdown(template: str, **values) -> _Output:
    """Markdown with ``{name}`` placeholders filled by HTML-escaped values."""
    text = template.format(**{k: esc(v) for k, v in values.items()})
    return _Output({"text/markdown": text, "text/plain": text})


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Bar:
    """One mark of a bar chart's narrow form (:func:`narrow_bars`). ``label``, ``text`` and
    ``note`` are data (escaped when drawn); positions are in the chart's own units."""

    label: str            # what the mark is ("Fled the recent fighting in Deir Ezzor governorate")
    text: str             # the value as stated ("est. 350,000")
    note: str = ""        # who says so, when, sources
    start: float = 0.0    # where the mark starts
    end: float | None = None  # where it ends; None draws a dot at ``start``
    colour: str = "#1a1a1a"   # a palette colour, ``#rrggbb``
    style: str = "solid"      # solid | hatched (a derived number) | outline
    whole: bool = False       # outline the track: the bar is a share of a 100 % whole
    arrow: bool = False       # a lower bound: an arrowhead continues past the end
    plain: bool = False       # the label in regular weight (a part of the mark above it)


def narrow_bars(title: str, bars: list[Bar], xmax: float, scale: str) -> str:
    """A bar chart's form for a phone: one block per mark (label, the mark drawn in CSS to the
    chart's own scale, then the value and who says so), so nothing is cut off at 375 px and the
    words wrap instead of shrinking. ``title`` is the chart's own title (the image that carries
    it is not shown); ``scale`` says what the full width is ("Full width: 400,000 people"). Every
    text is escaped; colours must be ``#rrggbb`` (they come from the palette)."""
    if xmax <= 0:
        raise ValueError(f"narrow_bars: xmax must be positive, not {xmax}")

    def pct(x: float) -> str:
        return f"{max(0.0, min(100.0, 100.0 * x / xmax)):.2f}%"

    out = [f'<div class="nbars"><p class="nb-title">{esc(title)}</p><p class="nb-scale">{esc(scale)}</p>']
    for b in bars:
        if not _HEX_COLOUR.fullmatch(b.colour) or b.style not in {"solid", "hatched", "outline"}:
            raise ValueError(f"narrow_bars: colour {b.colour!r} / style {b.style!r} not allowed")
        if b.end is None:
            mark = f'<span class="nb-dot" style="--c:{b.colour};left:{pct(b.start)}"></span>'
        else:
            mark = (f'<span class="nb-bar nb-{b.style}{" nb-arrow" if b.arrow else ""}" '
                    f'style="--c:{b.colour};left:{pct(b.start)};width:{pct(b.end - b.start)}"></span>')
        note = f" · {esc(b.note)}" if b.note else ""
        out.append(f'<div class="nb-row"><p class="nb-label{" nb-plain" if b.plain else ""}">{esc(b.label)}</p>'
                   f'<div class="nb-track{" nb-whole" if b.whole else ""}" aria-hidden="true">{mark}</div>'
                   f'<p class="nb-value"><b>{esc(b.text)}</b>{note}</p></div>')
    out.append("</div>")
    return "".join(out)


@dataclass
class Figure:
    """A saved figure: ``png`` and ``svg`` bytes, its width in CSS px, and a caption."""

    name: str
    png: bytes
    svg: bytes
    width_px: int
    caption: str = ""
    print_format: str = "svg"  # "png" for figures whose vector form is too heavy to print fast (maps)
    csv: bytes = b""  # the figure's data, linked from the HTML briefing (embedded: works offline)
    narrow_html: str = ""  # an HTML form for narrow screens (escaped by its maker), shown instead under 600 px

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": f"<Figure {self.name}: {self.caption}>",
        }
        if self.print_format == "svg":  # the SVG travels only when the PDF will use it (and the screen)
            bundle["image/svg+xml"] = self.svg.decode("utf-8")
        info = {"figure": self.name, "caption": self.caption, "print": self.print_format}
        if self.csv:
            info["csv"] = base64.b64encode(self.csv).decode("ascii")
        if self.narrow_html:
            info["narrow"] = self.narrow_html
        meta = {"image/png": {"width": self.width_px}, "briefing": info}
        return bundle, meta

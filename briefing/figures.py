"""Figure style and saving: PNG + SVG + the figure's data as CSV, byte-identical on rebuild.

Figures are drawn at their printed size (A4 text width is 170 mm ≈ 6.7 in) with type at
7–9 pt, so what a reader sees in the PDF is what was designed. Each figure has exactly one
writer (the notebook that calls :func:`save`) and its data beside it (``figN_name.csv``).

Determinism: the SVG hash salt is fixed, SVG/PNG carry no date, and the CSV is written with
``\\n`` line endings and a fixed float format.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from . import render  # noqa: E402
from .render import Figure  # noqa: E402
from .words import IS_SIDE  # noqa: E402

TEXT_WIDTH_IN = 6.7  # A4 text block (170 mm)
#: Lambert azimuthal equal-area centred on the region (metres): every map and area measure
EQUAL_AREA = "+proj=laea +lat_0=34 +lon_0=40 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
DPI = 200

# One colour per actor side, shared by every figure and the web map. IS is black: it is the
# subject, and the "loss" reads as black → colour. Chosen from the Okabe–Ito and Paul Tol
# palettes so that every pair stays at least 20 apart (CAM02-UCS) for readers with deuteranopia
# or protanopia (tests/test_palette.py simulates both): the Syrian government's wine red and the
# US-backed forces' orange were a red and an orange that such readers could hardly tell apart;
# the Iraqi government's cyan keeps clear of the rivers' blue.
SIDE_COLOURS = {
    "islamic-state": "#1a1a1a",
    "syrian-government": "#aa3377",
    "iraqi-government": "#33bbee",
    "us-backed": "#e69f00",
    "rebel": "#117733",
    "other": "#a0a0a0",
}


def holder_colour(row) -> str:
    """**The one colour rule** for a place on a map (the print maps, the web map, their keys): the
    colour of whoever holds it: IS (and its affiliate) black, a force its side's colour, grey
    (``other``) when the taker is not reported. A place past its last report (``force``
    "last-reported") keeps the colour of its holder when last reported: the maps draw it as a ring
    (or a dotted circle), not as held. ``row``: a mapping with ``side`` and, optionally, ``force``
    and ``controller`` (rows of :func:`briefing.territory.place_states`)."""
    side = row["side"]
    if side == IS_SIDE:
        return SIDE_COLOURS[IS_SIDE]
    controller = row.get("controller")
    if row.get("force") == "unknown" or controller is None or pd.isna(controller):
        return SIDE_COLOURS["other"]
    return SIDE_COLOURS.get(side, SIDE_COLOURS["other"])


INK = "#222222"
MUTED = "#6b6b6b"
GRID = "#dddddd"

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 8,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "text.color": INK,
    "svg.hashsalt": "briefing",
    "svg.fonttype": "none",  # real text in the PDF: searchable, and far lighter for WeasyPrint to draw
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "path.simplify": True,
    # Labels come from the data: "$" is a dollar sign, never the start of mathtext (which would
    # restyle a name, or stop the build on an unbalanced "$x^{").
    "text.parse_math": False,
}


def use_style() -> None:
    """Apply the briefing's matplotlib style (idempotent)."""
    plt.rcParams.update(STYLE)


# A figure's CSV and a table's CSV follow one rule set, kept in render (the light layer every view
# can import without matplotlib): re-exported here under their old names.
protect_formulas = render.protect_formulas
write_csv = render.write_csv
table = render.data_table


def save(fig, name: str, data: pd.DataFrame, figures_dir: Path, caption: str = "",
         print_format: str = "svg", narrow_html: str = "") -> Figure:
    """Write ``name.png``, ``name.svg`` and ``name.csv`` into ``figures_dir``; return a
    display object for the notebook (and, through it, the briefing).

    ``print_format`` picks what the PDF embeds: ``"svg"`` (vector, the default) or ``"png"``
    (200 dpi) for figures whose vector form is heavy — the small-multiple maps' SVG is over a
    megabyte of paths and takes WeasyPrint seconds to draw, while their PNG prints as sharply
    at A4 text width."""
    if print_format not in {"svg", "png"}:
        raise ValueError(f"print_format must be 'svg' or 'png', not {print_format!r}")
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    width_px = round(fig.get_figwidth() * 96)
    plt.close(fig)
    (figures_dir / f"{name}.png").write_bytes(png.getvalue())
    (figures_dir / f"{name}.svg").write_bytes(svg.getvalue())
    write_csv(data, figures_dir / f"{name}.csv")
    return Figure(name=name, png=png.getvalue(), svg=svg.getvalue(), width_px=width_px, caption=caption,
                  print_format=print_format, csv=(figures_dir / f"{name}.csv").read_bytes(), narrow_html=narrow_html)

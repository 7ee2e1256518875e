"""Static maps for print: small multiples of the control state on the key dates.

Drawn with matplotlib on the offline basemap (:func:`briefing.basemap.load_layers`) in the
equal-area projection of :data:`briefing.figures.EQUAL_AREA` (Lambert azimuthal, centred 40° E 34° N,
so north is up and the km scale holds across the region to within about 1 %).

* Places located to the town itself (``geo_precision`` 1) are dots; places known only to
  be near or part of a town (2) or within a region (3) are hatched circles ("zones") of
  :data:`briefing.territory.ZONE_RADIUS_KM`: the circle shows where the place is said to
  be, not its extent. Zones are numbered and keyed in the legend cell.
* Colours: :data:`briefing.figures.SIDE_COLOURS` by the controlling actor's ``side``.
* Labels are placed by :func:`place_labels`, a greedy placer: for each label in priority
  order, candidate offsets around the anchor are tried and the first whose rendered box
  (from the renderer, so it is exact) overlaps no placed label, no marker and stays inside
  the panel is kept; a label with no free position is left out (and reported).
"""
from __future__ import annotations

import math
import textwrap

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.path import Path as MplPath
from matplotlib.patches import PathPatch
import matplotlib.patheffects as pe
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrow, Patch, Rectangle
from matplotlib.transforms import Bbox
from shapely.geometry import box

from . import figures
from .figures import EQUAL_AREA
from .words import IS_SIDE, side as side_name

PAD_KM = 70
FOCUS_FILL = "#fbfaf6"
#: Fills of the focus countries, in ``iso_a2`` order (Iraq, Syria): two light tints, so the two
#: countries read apart without a colour that could be taken for a side.
FOCUS_FILLS = ("#f1ece0", "#fbfaf6")
OTHER_FILL = "#ecebe5"
WATER = "#dfe8ee"
RIVER = "#4a8cc7"
BORDER = "#8a8a8a"
#: Governorate (admin-1) boundaries: quieter than the country borders (#555, 0.7 pt, solid).
ADMIN1_LINE = "#a3a3a3"
ADMIN1_DASH = (0, (3.0, 1.6))
#: Governorate names: small italic capitals in a grey-violet, unlike any town label (ink or grey
#: upright) or country name (grey upright capitals).
ADMIN1_TEXT = "#857a92"
ADMIN1_LABEL_KM = 20  # a governorate's name is centred at least this far inside its boundary
UNKNOWN_COLOUR = figures.SIDE_COLOURS["other"]


#: The colour of whoever holds a place: the one rule, shared with the web map (:func:`figures.holder_colour`).
colour = figures.holder_colour


# --------------------------------------------------------------------------- label placer
# Candidate positions: (dx, dy) in points from the anchor, with text alignment.
_CANDIDATES = [
    (5, 0, "left", "center"), (-5, 0, "right", "center"), (4, 4, "left", "bottom"), (-4, 4, "right", "bottom"),
    (4, -4, "left", "top"), (-4, -4, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top"),
    (9, 6, "left", "bottom"), (-9, 6, "right", "bottom"), (9, -7, "left", "top"), (-9, -7, "right", "top"),
]


def _overlaps(box: Bbox, others: list[Bbox]) -> bool:
    return any(box.overlaps(o) for o in others)


#: Area labels (governorates) are centred on their anchor.
CENTRED = [(0, 0, "center", "center")]


def place_labels(ax, items: list[dict], obstacles: list[Bbox], renderer, fontsize: float = 6.5) -> list[str]:
    """Greedy placement. ``items``: dicts with ``x``, ``y`` (data), ``text`` and optional
    ``weight``/``color``/``style``/``size``; in priority order. Optional too: ``anchors`` (a list of
    (x, y) tried in order instead of the single point: rivers and areas), ``candidates`` (offsets
    instead of :data:`_CANDIDATES`), ``avoid`` (boxes only this label must keep clear of, e.g. the
    zone circles for an area name) and ``gid`` (set on the text artist, so tests can find it).
    Returns the texts left out."""
    placed: list[Bbox] = list(obstacles)
    frame = ax.get_window_extent(renderer)
    dropped = []
    for item in items:
        ok = False
        avoid = placed + list(item.get("avoid", ()))
        anchors = item.get("anchors") or [(item["x"], item["y"])]
        shifts = ax.transData.transform(anchors) - ax.transData.transform(anchors[0])
        # one text per label, moved from offset to offset (making a new text for each of the dozen
        # offsets cost more than measuring it); measured once per offset, and at the other anchors
        # its box is only moved
        t = ax.annotate(item["text"], anchors[0], xytext=(0, 0), textcoords="offset points",
                        fontsize=item.get("size", fontsize), color=item.get("color", figures.INK),
                        fontweight=item.get("weight", "normal"), fontstyle=item.get("style", "normal"),
                        annotation_clip=False, zorder=item.get("zorder", 20),
                        path_effects=[pe.withStroke(linewidth=1.6, foreground="white")])
        for dx, dy, ha, va in item.get("candidates", _CANDIDATES):
            t.xyann = (dx, dy)
            t.set_horizontalalignment(ha)
            t.set_verticalalignment(va)
            box0 = t.get_window_extent(renderer).expanded(1.04, 1.1)
            for anchor, (sx, sy) in zip(anchors, shifts):
                box = box0.translated(sx, sy)
                inside = (box.x0 >= frame.x0 + 1 and box.x1 <= frame.x1 - 1 and box.y0 >= frame.y0 + 1
                          and box.y1 <= frame.y1 - 1)
                if inside and not _overlaps(box, avoid):
                    t.xy = tuple(anchor)
                    placed.append(box)
                    if item.get("gid"):
                        t.set_gid(item["gid"])
                    ok = True
                    break
            if ok:
                break
        if not ok:
            t.remove()
            dropped.append(item["text"])
    return dropped


# --------------------------------------------------------------------------- drawing
def _project_layers(layers: dict) -> dict:
    return {k: v.to_crs(EQUAL_AREA) for k, v in layers.items()}


def extent(states: pd.DataFrame, aspect: float) -> tuple[float, float, float, float]:
    """Bounds (x0, x1, y0, y1) in metres around every place drawn, padded, at ``aspect``."""
    pts = gpd.GeoSeries(gpd.points_from_xy(states["lon"], states["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    x0, y0, x1, y1 = pts.total_bounds
    pad = PAD_KM * 1000
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (w / aspect - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    return x0, x1, y0, y1


def _polygon_paths(geoms) -> list[MplPath]:
    """Matplotlib paths (holes included) for (Multi)Polygons."""
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for poly in getattr(g, "geoms", [g]):
            verts, codes = [], []
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)
                c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
                c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                verts.append(xy)
                codes.append(c)
            out.append(MplPath(np.concatenate(verts), np.concatenate(codes)))
    return out


def _line_segments(geoms) -> list[np.ndarray]:
    """Vertex arrays for (Multi)LineStrings."""
    return [np.asarray(part.coords) for g in geoms if g is not None and not g.is_empty
            for part in getattr(g, "geoms", [g])]


def _basemap_artists(proj: dict) -> dict:
    """The basemap as plain matplotlib paths (polygons as patches), built once per figure and shared by its panels.

    GeoPandas' ``plot`` redraws the whole figure after every call (``draw_idle`` on the Agg
    canvas), which made five panels × four layers cost seconds; collections cost nothing."""
    if "_artists" not in proj:
        c = proj["countries"]
        focus = c["focus"].astype(bool) if "focus" in c else pd.Series(False, index=c.index)
        lakes = proj.get("lakes")
        rivers = proj.get("rivers")
        admin1 = proj.get("admin1_boundaries")
        def patches(geoms) -> list[PathPatch]:
            # a PatchCollection reads only its patches' paths: the panels share these
            return [PathPatch(p) for p in _polygon_paths(geoms)]

        proj["_artists"] = {
            "admin1": _line_segments(admin1.geometry) if admin1 is not None and len(admin1) else [],
            "other": patches(c[~focus].geometry),
            "focus": [patches(c[focus & (c["iso_a2"] == iso)].geometry)
                      for iso in sorted(set(c.loc[focus, "iso_a2"]))] if "iso_a2" in c
                     else [patches(c[focus].geometry)],
            "lakes": patches(lakes.geometry) if lakes is not None and len(lakes) else [],
            "rivers": _line_segments(rivers.geometry) if rivers is not None and len(rivers) else [],
        }
    return proj["_artists"]


def _clipped(proj: dict, key: str, bounds) -> list[np.ndarray]:
    """The line segments of ``_basemap_artists(proj)[key]`` cut to ``bounds`` (a little beyond),
    once per extent: dashed lines cost their whole length to draw and save, even off the axes."""
    cache = proj.setdefault("_clipped", {})
    k = (key, tuple(round(float(b)) for b in bounds))
    if k not in cache:
        x0, x1, y0, y1 = bounds
        dx, dy = 0.02 * (x1 - x0), 0.02 * (y1 - y0)
        frame = box(x0 - dx, y0 - dy, x1 + dx, y1 + dy)
        from shapely.geometry import LineString
        cut = [LineString(seg).intersection(frame) for seg in _basemap_artists(proj)[key]]
        cache[k] = _line_segments(cut)
    return cache[k]


def _basemap(ax, proj: dict, bounds) -> None:
    x0, x1, y0, y1 = bounds
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=WATER, edgecolor="none", zorder=0))
    art = _basemap_artists(proj)

    def polygons(patches, zorder, **style):
        if patches:
            ax.add_collection(PatchCollection(patches, zorder=zorder, **style), autolim=False)

    polygons(art["other"], 1, facecolor=OTHER_FILL, edgecolor=BORDER, linewidth=0.4)
    for k, paths in enumerate(art["focus"]):
        polygons(paths, 2, facecolor=FOCUS_FILLS[k % len(FOCUS_FILLS)], edgecolor="#555555", linewidth=0.7)
    if art["admin1"]:  # governorate boundaries: thin, dashed, grey, under lakes, rivers and places
        ax.add_collection(LineCollection(_clipped(proj, "admin1", bounds), colors=ADMIN1_LINE, linewidths=0.45,
                                         linestyles=ADMIN1_DASH, zorder=2.5, gid="admin1-boundaries"), autolim=False)
    polygons(art["lakes"], 3, facecolor=WATER, edgecolor=RIVER, linewidth=0.2)
    if art["rivers"]:
        ax.add_collection(LineCollection(art["rivers"], colors=RIVER, linewidths=0.9, zorder=3), autolim=False)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")


def _country_labels(ax, proj: dict, bounds) -> list[dict]:
    x0, x1, y0, y1 = bounds
    c = proj["countries"]
    out = []
    if {"label_lat", "label_lon"} <= set(c.columns):
        pts = gpd.GeoSeries(gpd.points_from_xy(c["label_lon"], c["label_lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        frame = box(x0, y0, x1, y1)
        for name, focus, p, geom in zip(c["name"], c.get("focus", [False] * len(c)), pts, c.geometry):
            if not (x0 < p.x < x1 and y0 < p.y < y1):
                # a neighbour whose label point is out of frame: name its visible part if it is
                # at least 2 % of the panel (Turkey, Jordan, Saudi Arabia, Iran)
                seen = geom.intersection(frame)
                if seen.is_empty or seen.area < 0.02 * frame.area:
                    continue
                p = seen.representative_point()
            out.append({"x": p.x, "y": p.y, "text": str(name).upper(), "color": "#9a9a9a",
                        "size": 7 if focus else 6, "weight": "bold" if focus else "normal"})
    return out


def _river_labels(proj: dict, bounds, *, inset: bool = False) -> list[dict]:
    """One label per river in frame, at the vertex of its line nearest the middle of the visible
    part. In an ``inset`` (a short stretch, perhaps without a vertex inside) the anchors are points
    along the visible part instead (half-way, then towards either end) and the label is the river's
    name alone ("Euphrates"): the panel around the inset and the legend say the course is schematic,
    and the longer label finds no room among the border towns' labels.)"""
    x0, x1, y0, y1 = bounds
    out = []
    if "rivers" not in proj:
        return out
    frame = box(x0, y0, x1, y1)
    for _, r in proj["rivers"].iterrows():
        seen = r.geometry.intersection(frame)
        if seen.is_empty or seen.length < 0.05 * (x1 - x0):
            continue
        part = max(getattr(seen, "geoms", [seen]), key=lambda g: g.length)
        coords = [xy for xy in r.geometry.coords if x0 < xy[0] < x1 and y0 < xy[1] < y1]
        if inset:
            anchors = [(pt.x, pt.y) for pt in (part.interpolate(f, normalized=True) for f in (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9))]
        elif len(coords) >= 2:
            anchors = [coords[len(coords) // 2]]
        else:
            continue
        label = str((r.get("name") if inset else None) or r.get("label") or r.get("name"))
        out.append({"x": anchors[0][0], "y": anchors[0][1], "anchors": anchors, "text": label, "color": RIVER,
                    "style": "italic", "size": 6, "gid": "river-label"})
    return out


def named_admin1(proj: dict, places: pd.DataFrame, members: list[str]) -> list[str]:
    """The governorates the maps name (``admin1`` codes): those holding the crowded cluster's places
    (the border area: Deir ez-Zor and Anbar in this data), else the two holding most places. A
    choice from the data, so another dataset names its own story's governorates."""
    a1 = proj.get("admin1")
    if a1 is None or not len(a1) or not len(places):
        return []
    u = places.drop_duplicates("place_id")
    if members:
        u = u[u["place_id"].isin(members)]
    pts = gpd.GeoSeries(gpd.points_from_xy(u["x"], u["y"]), crs=EQUAL_AREA)
    hits = gpd.sjoin(gpd.GeoDataFrame(geometry=pts), a1[["admin1", "geometry"]], predicate="within")
    counts = hits["admin1"].value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return sorted(counts.index if members else counts.index[:2])


def _admin1_text(name) -> str:
    """A governorate's name as the maps print it: capitals, the first space a line break ("DEIR" /
    "EZ-ZOR": a compact block fits a narrow governorate)."""
    return str(name).upper().replace(" ", "\n", 1)


def _admin1_anchors(proj: dict, k: int, bounds) -> list[tuple[float, float]]:
    """Anchor points for the name of governorate ``k`` (row of ``proj["admin1"]``) in ``bounds``:
    its label point if in frame, then the points of a 39 × 27 grid over the frame that lie in the
    governorate at least :data:`ADMIN1_LABEL_KM` from its boundary (not on its edge, where the name
    would seem to belong to the neighbour), nearest the label point first; at most 120. Computed
    once per governorate and extent (the panels share one) with vectorised shapely calls."""
    cache = proj.setdefault("_admin1_anchors", {})
    key = (k, tuple(round(float(b)) for b in bounds))
    if key in cache:
        return cache[key]
    import shapely

    x0, x1, y0, y1 = bounds
    a1 = proj["admin1"]
    frame = box(x0, y0, x1, y1)
    geom = a1.geometry.iloc[k]
    p0 = gpd.GeoSeries(gpd.points_from_xy([a1["label_lon"].iloc[k]], [a1["label_lat"].iloc[k]]),
                       crs="EPSG:4326").to_crs(EQUAL_AREA).iloc[0]
    seen = geom.intersection(frame)
    anchors: list[tuple[float, float]] = []
    if not seen.is_empty and seen.area >= 0.01 * frame.area:
        gx, gy = np.meshgrid(np.linspace(x0, x1, 41)[1:-1], np.linspace(y0, y1, 29)[1:-1])
        gx, gy = gx.ravel(), gy.ravel()
        ok = shapely.contains_xy(seen, gx, gy)
        ok[ok] = shapely.distance(geom.boundary, shapely.points(gx[ok], gy[ok])) >= ADMIN1_LABEL_KM * 1000
        gx, gy = gx[ok], gy[ok]
        order = np.argsort((gx - p0.x) ** 2 + (gy - p0.y) ** 2, kind="stable")[:120]
        anchors = ([(p0.x, p0.y)] if seen.contains(p0) else []) + [(float(gx[i]), float(gy[i])) for i in order]
    cache[key] = anchors
    return anchors


def _admin1_labels(proj: dict, bounds, codes: list[str], avoid: list[Bbox]) -> list[dict]:
    """Names of the governorates ``codes`` in small italic capitals (``DEIR EZ-ZOR``), centred on
    a point inside the part of the governorate in frame: its label point (pole of inaccessibility)
    first, then points of a grid over the visible part, nearest that point first. ``avoid``: the
    zone circles, which an area name must not sit on."""
    a1 = proj.get("admin1")
    out = []
    if a1 is None or not codes:
        return out
    for code in codes:
        k = np.flatnonzero(a1["admin1"].to_numpy() == code)
        if not len(k):
            continue
        anchors = _admin1_anchors(proj, k[0], bounds)
        if not anchors:
            continue
        name = _admin1_text(a1["name"].iloc[k[0]])
        out.append({"x": anchors[0][0], "y": anchors[0][1], "anchors": anchors, "candidates": CENTRED,
                    "text": name, "size": 5.8, "style": "italic", "color": ADMIN1_TEXT, "avoid": avoid,
                    "zorder": 19, "gid": f"admin1-label {code}"})
    return out


def _scale_bar(ax, bounds, km: int = 200) -> None:
    x0, x1, y0, y1 = bounds
    w, h = x1 - x0, y1 - y0
    bx, by = x0 + 0.04 * w, y0 + 0.05 * h
    L = km * 1000
    bar_h = 0.015 * h
    for k in range(4):
        ax.add_patch(Rectangle((bx + k * L / 4, by), L / 4, bar_h, facecolor=figures.INK if k % 2 == 0 else "white",
                               edgecolor=figures.INK, lw=0.4, zorder=25))
    halo = [pe.withStroke(linewidth=1.6, foreground="white")]
    for frac, txt in ((0, "0"), (1, f"{km} km")):
        ax.text(bx + frac * L, by + bar_h + 0.012 * h, txt, fontsize=5.5, ha="left" if frac == 1 else "center",
                va="bottom", zorder=25, color=figures.INK, path_effects=halo)


def _north_arrow(ax, bounds) -> None:
    x0, x1, y0, y1 = bounds
    x, y = x1 - 0.05 * (x1 - x0), y1 - 0.2 * (y1 - y0)
    h = 0.1 * (y1 - y0)
    ax.add_patch(FancyArrow(x, y, 0, h, width=0.008 * (x1 - x0), head_width=0.03 * (x1 - x0), head_length=0.05 * (y1 - y0),
                            length_includes_head=True, color=figures.INK, zorder=25))
    ax.text(x, y - 0.01 * (y1 - y0), "N", path_effects=[pe.withStroke(linewidth=1.6, foreground="white")], ha="center", va="top", fontsize=6, fontweight="bold", zorder=25)


def zone_numbers(states: pd.DataFrame) -> dict[str, int]:
    """place_id → key number for every zone drawn on any panel (stable: by name)."""
    zones = states[states["zone_km"] > 0].drop_duplicates("place_id").sort_values(["lat", "lon", "place_id"],
                                                                               ascending=[False, True, True])
    return {pid: i + 1 for i, pid in enumerate(zones["place_id"])}


class Grid:
    """The small-multiple layout at A4 text width: two columns of map panels and, in the cell
    after the last panel, the legend. Shared by the curated and the ACLED maps."""

    NCOLS = 2
    ASPECT = 1.45  # panel width / height
    FOOT = 0.3  # inches under the last row: the zone key runs below the legend cell (11 zones need it)

    def __init__(self, n_panels: int):
        self.n = n_panels
        self.width = figures.TEXT_WIDTH_IN
        self.panel_w = (self.width - 0.1) / self.NCOLS
        self.panel_h = self.panel_w / self.ASPECT
        self.nrows = math.ceil((n_panels + 1) / self.NCOLS)
        self.height = self.nrows * (self.panel_h + 0.22) + self.FOOT

    def figure(self):
        return plt.figure(figsize=(self.width, self.height))

    def cell(self, i: int) -> tuple[float, float]:
        """Left and bottom (figure fraction) of cell ``i``."""
        r, c = divmod(i, self.NCOLS)
        return (0.02 / self.width + c * (self.panel_w + 0.06) / self.width,
                1 - (r + 1) * (self.panel_h + 0.22) / self.height)

    def map_axes(self, fig, i: int, proj: dict, bounds):
        """Panel ``i``: an axes with the basemap, fixed extent, no ticks, a thin frame."""
        left, bottom = self.cell(i)
        ax = fig.add_axes([left, bottom, self.panel_w / self.width, self.panel_h / self.height])
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("#888888")
            spine.set_linewidth(0.5)
        _basemap(ax, proj, bounds)
        ax.set_xlim(bounds[0], bounds[1])
        ax.set_ylim(bounds[2], bounds[3])
        ax.set_aspect("equal", adjustable="box")
        return ax

    def legend_axes(self, fig, inset: float = 0.08):
        """The cell after the last panel, for the legend."""
        left, bottom = self.cell(self.n)
        return fig.add_axes([left + inset / self.width, bottom, (self.panel_w - inset) / self.width,
                             (self.panel_h + 0.15) / self.height])


CLUSTER_KM = 45  # places within this distance of one another form the inset's cluster
CLUSTER_MIN = 3  # an inset only when at least this many places crowd together
INSET_FRAC = (0.42, 0.31)  # inset width and height as fractions of the panel
INSET_PAD = 0.2  # the inset's frame: the cluster's points padded by this share of their spread …
INSET_PAD_KM = 4  # … and by at least this many km
CITY_COLOUR = "#555555"
LABEL_RUN = 0.2  # a label's typical length, as a fraction of the panel width


def _cluster(states: pd.DataFrame) -> list[str]:
    """The place_ids of the densest crowd of places (every panel's places, projected): the place
    with most neighbours within :data:`CLUSTER_KM`, and every place within that distance of it.
    Empty when fewer than :data:`CLUSTER_MIN` places crowd together."""
    u = states.drop_duplicates("place_id")
    if len(u) < CLUSTER_MIN:
        return []
    pts = gpd.GeoSeries(gpd.points_from_xy(u["lon"], u["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    xy = np.c_[pts.x.values, pts.y.values]
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000
    near = d <= CLUSTER_KM
    best = int(np.argmax(near.sum(axis=1)))
    members = list(u["place_id"].to_numpy()[near[best]])
    return sorted(members) if len(members) >= CLUSTER_MIN else []


def _inset_title(proj: dict, ib: tuple) -> str:
    """The inset's title: "Border area, enlarged" when its frame takes in land of two or more
    countries (this data: Syria and Iraq at Albu Kamal / Al-Qaim), else "Enlarged"."""
    countries = proj.get("countries")
    if countries is None or not len(countries):
        return "Enlarged"
    n = int(countries.geometry.intersects(box(ib[0], ib[2], ib[1], ib[3])).sum())
    return "Border area, enlarged" if n >= 2 else "Enlarged"


def _inset_bounds(states: pd.DataFrame, members: list[str], aspect: float) -> tuple:
    """Bounds (x0, x1, y0, y1) of the inset, at ``aspect``: framed on the cluster's *points* (the
    towns, and the points the zones are drawn around), padded by :data:`INSET_PAD` of their spread
    (at least :data:`INSET_PAD_KM`). The zones do not set the extent: a 12 or 30 km circle would
    make the frame so large that towns 10 km apart end up 2–3 mm apart at print size; they are
    clipped to the frame instead (their number sits at their centre, which is always in frame)."""
    u = states[states["place_id"].isin(members)].drop_duplicates("place_id")
    pts = gpd.GeoSeries(gpd.points_from_xy(u["lon"], u["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    x0, x1 = pts.x.min(), pts.x.max()
    y0, y1 = pts.y.min(), pts.y.max()
    pad = max(INSET_PAD * max(x1 - x0, y1 - y0), INSET_PAD_KM * 1000)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        x0, x1 = x0 - (h * aspect - w) / 2, x1 + (h * aspect - w) / 2
    else:
        y0, y1 = y0 - (w / aspect - h) / 2, y1 + (w / aspect - h) / 2
    return x0, x1, y0, y1


def _inset_corner(states: pd.DataFrame, proj: dict, bounds, ib) -> tuple[float, float]:
    """Lower-left corner (axes fraction) of the inset: of the positions along the panel's bottom
    and top edges, the one that does not cover the cluster and hides the least (a place counts 3,
    a reference city 2, a country's label point 1); ties go to the first position tried."""
    x0, x1, y0, y1 = bounds
    u = states.drop_duplicates("place_id")
    pts = gpd.GeoSeries(gpd.points_from_xy(u["lon"], u["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    weighted = [(x, y, 3) for x, y in zip(pts.x, pts.y)]
    if "cities" in proj:
        weighted += [(g.x, g.y, 2) for g in proj["cities"].geometry]
    c = proj["countries"]
    if {"label_lat", "label_lon"} <= set(c.columns):
        lp = gpd.GeoSeries(gpd.points_from_xy(c["label_lon"], c["label_lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        weighted += [(g.x, g.y, 1) for g in lp]
    frac = [((x - x0) / (x1 - x0), (y - y0) / (y1 - y0), k) for x, y, k in weighted]
    # a place's label runs to its right: the place counts as hidden up to LABEL_RUN to the left of
    # the inset; the first panel's scale bar sits in the lower left corner
    frac += [(a, 0.06, 1) for a in (0.05, 0.15, 0.25)]
    cx0, cx1 = (ib[0] - x0) / (x1 - x0), (ib[1] - x0) / (x1 - x0)
    cy0, cy1 = (ib[2] - y0) / (y1 - y0), (ib[3] - y0) / (y1 - y0)
    w, h = INSET_FRAC
    lefts = np.linspace(0.01, 0.99 - w, 7)
    best = None
    for bottom in (0.01, 0.99 - h):
        for left in lefts:
            covers = not (cx1 < left - 0.02 or cx0 > left + w + 0.02 or cy1 < bottom - 0.02 or cy0 > bottom + h + 0.02)
            hidden = sum(k for a, b, k in frac
                         if left - (LABEL_RUN if k == 3 else 0.02) <= a <= left + w + 0.02
                         and bottom - 0.02 <= b <= bottom + h + 0.02)
            score = (covers, hidden)
            if best is None or score < best[0]:
                best = (score, (float(left), bottom))
    return best[1]


def _draw_places(ax, here: pd.DataFrame, numbers: dict, renderer, *, labelled=None, obstacles=(),
                 size: float = 1.0) -> tuple[list, list[dict]]:
    """Zones and dots of one panel (or inset); returns (obstacle boxes, label items) for the
    places in ``labelled`` (all when None)."""
    # only the columns drawn here: sorting and reading the popups' long texts cost more than the drawing
    here = here[[c for c in ("place_id", "name", "x", "y", "zone_km", "is_held", "side", "force", "controller")
                 if c in here.columns]]
    zones = here[here["zone_km"] > 0].sort_values(["zone_km", "place_id"], ascending=[False, True])
    points = here[here["zone_km"] <= 0].sort_values(["is_held", "place_id"])
    for z in zones.to_dict("records"):  # in the inset (size > 1) a zone fills most of the frame: lighter
        stale = z.get("force") == "last-reported"  # past its last report: dotted rim, no hatching
        # add_artist, not add_patch: the panel's extent is fixed, and add_patch would work out each
        # circle's Bézier extrema for autoscaling that never happens (about 1 ms a circle)
        ax.add_artist(Circle((z["x"], z["y"]), z["zone_km"] * 1000, facecolor="none", edgecolor=colour(z),
                             hatch=None if stale else ("//////" if size == 1.0 else "///"),
                             linestyle=(0, (1, 1.5)) if stale else "-",
                             linewidth=0.9 if stale else 0.6, zorder=6, alpha=0.9 if size == 1.0 else 0.5))
    point_rows = points.to_dict("records")
    for p in point_rows:
        if p.get("force") == "last-reported":  # a ring in the last holder's colour, not a held dot
            ax.plot(p["x"], p["y"], marker="o", ms=3.8 * size, mfc="white", mec=colour(p), mew=1.3, zorder=10,
                    linestyle="none")
        else:
            ax.plot(p["x"], p["y"], marker="o", ms=4.2 * size, mfc=colour(p), mec="white", mew=0.6, zorder=10,
                    linestyle="none")
    ax.apply_aspect()  # fixes the axes box so transData is final (no full redraw needed)
    boxes = list(obstacles)
    r = 3 * size
    for cx, cy in ax.transData.transform([(p["x"], p["y"]) for p in point_rows]).reshape(-1, 2):
        boxes.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    keep = (lambda pid: True) if labelled is None else (lambda pid: pid in labelled)
    items = []
    # priority: IS-held points, other main towns, zone numbers
    for p in points.sort_values(["is_held", "name"], ascending=[False, True]).to_dict("records"):
        if keep(p["place_id"]):
            items.append({"x": p["x"], "y": p["y"], "text": p["name"], "weight": "bold" if p["is_held"] else "normal",
                          "size": 6.5})
    for z in zones.sort_values(["is_held", "place_id"], ascending=[False, True]).to_dict("records"):
        if keep(z["place_id"]):
            off = z["zone_km"] * 700 if size == 1.0 else 0.0
            items.append({"x": z["x"] + off, "y": z["y"] + off, "text": str(numbers[z["place_id"]]),
                          "size": 6, "weight": "bold", "color": colour(z) if z["side"] == IS_SIDE else "#555555"})
    return boxes, items


def _city_items(ax, proj: dict, bounds, boxes: list, places: pd.DataFrame) -> list[dict]:
    """Reference cities (Damascus, Baghdad): a small grey square each, labelled in grey (after the
    places). A city with a drawn place within 15 km (Hajar Aswad in Damascus) gets no square of its
    own: the place's dot marks it and the name is labelled only if there is room."""
    out = []
    if "cities" not in proj:
        return out
    x0, x1, y0, y1 = bounds
    for name, g in zip(proj["cities"]["name"], proj["cities"].geometry):
        if not (x0 < g.x < x1 and y0 < g.y < y1):
            continue
        if len(places) and (np.hypot(places["x"] - g.x, places["y"] - g.y) < 15_000).any():
            out.append({"x": g.x, "y": g.y, "text": str(name), "size": 6, "color": CITY_COLOUR, "style": "italic"})
            continue
        if True:
            ax.plot(g.x, g.y, marker="s", ms=3.2, mfc="white", mec=CITY_COLOUR, mew=0.8, zorder=9, linestyle="none")
            cx, cy = ax.transData.transform((g.x, g.y))
            boxes.append(Bbox.from_extents(cx - 2.5, cy - 2.5, cx + 2.5, cy + 2.5))
            out.append({"x": g.x, "y": g.y, "text": str(name), "size": 6, "color": CITY_COLOUR, "style": "italic"})
    return out


def small_multiples(states: pd.DataFrame, panels: list, layers: dict, *, title_note: str = ""):
    """The figure and the data it draws (one row per panel and place).

    ``states``: :func:`briefing.territory.place_states` rows for the panel dates (``step`` =
    panel index); ``panels``: :class:`briefing.territory.KeyDate` list.

    Where places crowd together (:func:`_cluster`: the Albu Kamal – Al-Qaim – Husaybah – Rawa border
    area in this data) each panel gets an inset at a larger scale, in the corner that hides the
    fewest places; the crowded places are labelled only there, and a grey frame on the panel
    shows the inset's area.
    """
    figures.use_style()
    n = len(panels)
    grid = Grid(n)
    fig = grid.figure()
    proj = _project_layers(layers)
    bounds = extent(states, Grid.ASPECT)
    numbers = zone_numbers(states)
    members = _cluster(states)
    inset_aspect = Grid.ASPECT * INSET_FRAC[0] / INSET_FRAC[1]
    ib = _inset_bounds(states, members, inset_aspect) if members else None
    corner = _inset_corner(states, proj, bounds, ib) if members else None
    xy = gpd.GeoSeries(gpd.points_from_xy(states["lon"], states["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    admin1_named = named_admin1(proj, states.assign(x=xy.x.values, y=xy.y.values), members)
    names = ({} if "admin1" not in proj else
             {c: _admin1_text(n) for c, n in zip(proj["admin1"]["admin1"], proj["admin1"]["name"])})
    inset_title = _inset_title(proj, ib) if members else ""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    dropped_all = []
    for i, panel in enumerate(panels):
        ax = grid.map_axes(fig, i, proj, bounds)
        ax.set_title(panel.title or panel.label, fontsize=7.5, loc="left", pad=3)
        here = states[states["step"] == i]
        pts = gpd.GeoSeries(gpd.points_from_xy(here["lon"], here["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
        here = here.assign(x=pts.x.values, y=pts.y.values)
        outside = None if not members else set(here["place_id"]) - set(members)
        obstacles, items = _draw_places(ax, here, numbers, renderer, labelled=outside)
        if i == 0:
            # the scale bar and north arrow are obstacles: exactly the artists they add (a fixed
            # count from the end also took the panel's water rectangle when no zone was drawn,
            # and then every label of the first panel was dropped)
            n_patches, n_texts = len(ax.patches), len(ax.texts)
            _scale_bar(ax, bounds)
            _north_arrow(ax, bounds)
            for art in ax.patches[n_patches:] + ax.texts[n_texts:]:
                obstacles.append(art.get_window_extent(renderer))
        if members:
            ax.add_patch(Rectangle((ib[0], ib[2]), ib[1] - ib[0], ib[3] - ib[2], facecolor="none",
                                   edgecolor="#555555", linewidth=0.7, zorder=22))
            cx0, cy0 = ax.transData.transform((ib[0], ib[2]))
            cx1, cy1 = ax.transData.transform((ib[1], ib[3]))
            obstacles.append(Bbox.from_extents(cx0 - 2, cy0 - 2, cx1 + 2, cy1 + 2))
            iax = ax.inset_axes([corner[0], corner[1], *INSET_FRAC])
            iax.set_xticks([])
            iax.set_yticks([])
            for spine in iax.spines.values():
                spine.set_color("#555555")
                spine.set_linewidth(0.7)
            _basemap(iax, proj, ib)
            iax.set_xlim(ib[0], ib[1])
            iax.set_ylim(ib[2], ib[3])
            iax.set_zorder(30)
            frame = iax.get_window_extent(renderer)
            obstacles.append(frame.expanded(1.02, 1.02))
            inner = here[here["place_id"].isin(members)]
            iboxes, iitems = _draw_places(iax, inner, numbers, renderer, size=1.1)
            iax.text(0.03, 0.97, inset_title, transform=iax.transAxes, fontsize=5.5, va="top",
                     ha="left", color=figures.MUTED, zorder=25,
                     path_effects=[pe.withStroke(linewidth=1.6, foreground="white")])
            iboxes.append(iax.texts[-1].get_window_extent(renderer))
            n_patches, n_texts = len(iax.patches), len(iax.texts)
            _scale_bar(iax, ib, km=_nice_km((ib[1] - ib[0]) / 1000 * 0.3))
            for art in iax.patches[n_patches:] + iax.texts[n_texts:]:
                iboxes.append(art.get_window_extent(renderer))
            iitems += _river_labels(proj, ib, inset=True)
            dropped = place_labels(iax, iitems, iboxes, renderer)
            dropped_all += [(panel.date.isoformat(), t) for t in dropped]
        items += _city_items(ax, proj, bounds, obstacles, here)
        # priority: places, capitals, the named governorates, rivers, countries
        items += _admin1_labels(proj, bounds, admin1_named, _zone_boxes(ax, here))
        items += _river_labels(proj, bounds)
        items += _country_labels(ax, proj, bounds)
        dropped = place_labels(ax, items, obstacles, renderer)
        dropped_all += [(panel.date.isoformat(), t) for t in dropped]
    # Legend cell
    lax = grid.legend_axes(fig)
    lax.axis("off")
    shown = [names.get(c) for c in admin1_named if any(
        (tx.get_gid() or "") == f"admin1-label {c}" for ax in fig.axes for tx in ax.texts)]
    _legend(lax, states, numbers, title_note, renderer, cities="cities" in proj,
            admin1=(min(shown, key=len) if shown else True) if _basemap_artists(proj)["admin1"] else False)
    fig._briefing_dropped_labels = dropped_all
    data = states.assign(panel=states["step"].map({i: p.label for i, p in enumerate(panels)}),
                         zone_number=states["place_id"].map(numbers).astype("Int64"),
                         in_inset=states["place_id"].isin(members))
    cols = ["panel", "date", "place_id", "name", "kind", "lat", "lon", "geo_precision", "zone_km", "zone_number",
            "in_inset", "controller", "controller_name", "side", "is_held", "status", "control_id"]
    return fig, data[cols].reset_index(drop=True), dropped_all


def _zone_boxes(ax, here: pd.DataFrame) -> list[Bbox]:
    """Display boxes of the zone circles drawn on ``ax`` (what an area name must not sit on)."""
    out = []
    for _, z in here[here["zone_km"] > 0].iterrows():
        r = z.zone_km * 1000
        (a, b), (c, d) = ax.transData.transform([(z.x - r, z.y - r), (z.x + r, z.y + r)])
        out.append(Bbox.from_extents(a, b, c, d))
    return out


def _nice_km(km: float) -> int:
    """The largest of 5, 10, 20, 25, 50, 100, 200 km not above ``km``."""
    return max([k for k in (5, 10, 20, 25, 50, 100, 200) if k <= km] or [5])


def _legend(lax, states, numbers, note: str, renderer, cities: bool = False, admin1: bool | str = False) -> None:
    handles = []
    sides = list(dict.fromkeys(states.sort_values("side")["side"]))
    handles.append(Line2D([], [], marker="o", ls="none", mfc=figures.SIDE_COLOURS[IS_SIDE], mec="white", ms=5,
                          label="Held by IS (or its affiliate)"))
    for side in figures.SIDE_COLOURS:
        if side == IS_SIDE or side not in sides:
            continue
        rows = states[(states["side"] == side) & states["controller"].notna()]
        if rows.empty:
            continue
        who = ", ".join(sorted(set(rows["controller_name"].dropna())))
        handles.append(Line2D([], [], marker="o", ls="none", mfc=figures.SIDE_COLOURS[side], mec="white", ms=5,
                              label=f"Held by {side_name(side)} ({who})"))
    fresh = states[states["force"] != "last-reported"] if "force" in states else states
    if fresh["controller"].isna().any():
        handles.append(Line2D([], [], marker="o", ls="none", mfc=UNKNOWN_COLOUR, mec="white", ms=5,
                              label="Lost by IS, taker not reported"))
    if "force" in states and (states["force"] == "last-reported").any():
        handles.append(Line2D([], [], marker="o", ls="none", mfc="white", mec=figures.MUTED, mew=1.3, ms=4.6,
                              label="Ring: its last report's holder, no later report"))
    handles.append(Patch(facecolor="none", edgecolor=figures.INK, hatch="//////", lw=0.6,
                         label="Zone: place located only near a town\nor within a region (position, not extent)"))
    handles.append(Line2D([], [], color=RIVER, lw=0.9, label="River, schematic course"))
    if admin1:  # ``admin1``: True, or the name of a governorate the panels name (the key's example)
        example = f" ({admin1}: its name)" if isinstance(admin1, str) else ""
        handles.append(Line2D([], [], color=ADMIN1_LINE, lw=0.6, ls=ADMIN1_DASH,
                              label=f"Governorate boundary{example}"))
    if cities:
        handles.append(Line2D([], [], marker="s", ls="none", mfc="white", mec=CITY_COLOUR, mew=0.8, ms=4,
                              label="Capital, for orientation"))
    leg = lax.legend(handles=handles, loc="upper left", fontsize=6.3, frameon=False, handlelength=1.6,
                     borderaxespad=0, labelspacing=0.32)
    leg._legend_box.align = "left"
    names = states.drop_duplicates("place_id").set_index("place_id")["name"]
    lines = [f"{k}  {textwrap.shorten(str(names[pid]), 66, placeholder='…')}" for pid, k in numbers.items()]
    # The legend's extent needs only the renderer (its axes do not move): no full draw of the panels.
    top = lax.transAxes.inverted().transform(leg.get_window_extent(renderer))[0][1] - 0.025
    lax.text(0.0, top, "Zones (numbered on the maps)\n" + "\n".join(lines), transform=lax.transAxes, fontsize=5.8,
             va="top", ha="left", linespacing=1.18, color=figures.INK, gid="zone-key")
    if note:
        lax.text(0.0, -0.02, note, transform=lax.transAxes, fontsize=5.5, va="top", ha="left", color=figures.MUTED)


#: The chart's names for its three marks (the caption and the README use the same words).
SHRINK_TOWNS = "Main towns reported as IS-held (solid)"
SHRINK_PLACES = "All places reported as IS-held (dashed)"
SHRINK_UNREPORTED = "No longer reported: status unknown (hatched)"


def shrinking_chart(series: pd.DataFrame, panels: list):
    """What the articles report IS held, day by day, as counts (no area: the articles give none):
    the main towns (each loss named where it happens) and every place reported as IS-held, with
    the places other than towns shaded between the two lines. Above them, hatched and apart, the
    places whose latest report still had IS holding them but which no later article mentions
    (``no_longer_reported_places``): their status is unknown, so they are stacked on the held
    places instead of leaving the chart as a drop; the top of the band falls only on reported
    losses. The key gives each mark's value on the last day."""
    figures.use_style()
    fig, ax = plt.subplots(figsize=(figures.TEXT_WIDTH_IN, 2.1), constrained_layout=True)
    blk = figures.SIDE_COLOURS[IS_SIDE]
    # the last day gets its width: each value holds until the next day (step "post")
    last_day = pd.Timestamp(series["date"].iloc[-1])
    ext = pd.concat([series, series.iloc[[-1]].assign(date=(last_day + pd.Timedelta(days=1)).date().isoformat())],
                    ignore_index=True)
    d = pd.to_datetime(ext["date"])
    places, towns = ext["is_held_places"], ext["is_held_towns"]
    unreported = ext["no_longer_reported_places"] if "no_longer_reported_places" in ext else places * 0
    top = places + unreported
    ax.fill_between(d, towns, places, step="post", color=blk, alpha=0.10, lw=0)
    band = ax.fill_between(d, places, top, step="post", facecolor="white", edgecolor=figures.MUTED, hatch="////",
                           lw=0, zorder=1.5)
    band.set_gid("no-longer-reported")
    ax.step(d, top, where="post", color=figures.MUTED, lw=0.6, ls=":")
    ax.step(d, places, where="post", color=figures.MUTED, lw=1.2, ls="--")
    ax.step(d, towns, where="post", color=blk, lw=1.6)
    ymax = max(float(top.max()) * 1.45, 1.0)
    ax.set_ylim(0, ymax)
    ax.set_xlim(d.min(), d.max() + pd.Timedelta(days=6))  # room for the last loss's name
    # The key, with each mark's value on the last day, stands in the top right corner: the lines
    # fall over time and the y range has headroom, so the corner above them is free.
    on = f"{last_day.day} {last_day:%b}"
    handles = [
        Line2D([], [], color=blk, lw=1.6, label=f"{SHRINK_TOWNS}: {int(series['is_held_towns'].iloc[-1])} on {on}"),
        Line2D([], [], color=figures.MUTED, lw=1.2, ls="--",
               label=f"{SHRINK_PLACES}: {int(series['is_held_places'].iloc[-1])} on {on}"),
    ]
    if unreported.any():
        handles.append(Patch(facecolor="white", edgecolor=figures.MUTED, hatch="////", lw=0.6,
                             label=f"{SHRINK_UNREPORTED}: {int(unreported.iloc[-1])} on {on}"))
    leg = ax.legend(handles=handles, loc="upper right", fontsize=6.8, frameon=True, framealpha=1.0,
                    edgecolor="none", borderaxespad=0.2, handlelength=2.2)
    leg.set_zorder(5)
    ax.set_ylabel("places reported\nas IS-held")
    ax.grid(axis="y", color=figures.GRID, lw=0.5)
    ax.set_axisbelow(True)
    ax.xaxis.set_major_formatter(plt.matplotlib.dates.DateFormatter("%-d %b"))
    ax.xaxis.set_major_locator(plt.matplotlib.dates.DayLocator(bymonthday=[1, 8, 15, 22]))
    ax.yaxis.set_major_locator(plt.matplotlib.ticker.MaxNLocator(integer=True))
    for k in panels[1:]:
        kd = pd.Timestamp(k.date)
        if d.min() <= kd <= d.max():
            ax.axvline(kd, color=figures.MUTED, lw=0.5, ls=":")
    # name the towns lost at each step
    prev, last_label = None, None
    for _, row in series.iterrows():
        names = set(filter(None, str(row["is_held_town_names"]).split("; ")))
        if prev is not None and names != prev:
            gone = sorted(prev - names)
            # a town that drops out because no later article reports it is not "lost" (territory.shrinking):
            # it moves into the hatched band
            stale = set(filter(None, str(row.get("last_reported_town_names", "")).split("; ")))
            lost = [f"{n}: no longer reported" if n in stale else f"{n} lost" for n in gone]
            if lost:
                at = pd.Timestamp(row["date"])
                # a loss within 4 days of the last one named would write over it: name it under the line
                below = last_label is not None and at - last_label < pd.Timedelta(days=4) and row["is_held_towns"] >= 1
                ax.annotate("\n".join(lost), (at, row["is_held_towns"]), xytext=(2, -2 if below else 3),
                            textcoords="offset points", fontsize=6.5, color=figures.INK,
                            va="top" if below else "bottom", zorder=4,
                            # on white: the name may stand on the hatched band
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.9})
                last_label = at
        prev = names
    return fig


#: Colours of event types on the events map (a dataset without changes of control): the most
#: frequent types get these in order, the rest are drawn together as "other types".
TYPE_COLOURS = ("#c0392b", "#2c7fb8", "#7b3294", "#e08214", "#1a9850", "#8c510a")


def events_map(points: pd.DataFrame, layers: dict, *, size_by: str, title: str):
    """Events by place and type on the basemap, for a source that records no changes of control.

    ``points``: one row per (place, type) with ``lat``, ``lon``, ``name``, ``type``, ``events``
    and ``deaths``; ``size_by`` is ``"deaths"`` or ``"events"`` (disc area ∝ the value). The
    types are coloured (:data:`TYPE_COLOURS`), the largest discs labelled. Returns the figure."""
    figures.use_style()
    fig = plt.figure(figsize=(figures.TEXT_WIDTH_IN, 5.2))
    ax = fig.add_axes([0.0, 0.0, 0.74, 1.0])
    lax = fig.add_axes([0.75, 0.05, 0.25, 0.9])
    lax.axis("off")
    proj = _project_layers(layers)
    bounds = extent(points, 0.74 * figures.TEXT_WIDTH_IN / 5.2)
    _basemap(ax, proj, bounds)
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_xticks([])
    ax.set_yticks([])
    pts = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs="EPSG:4326").to_crs(EQUAL_AREA)
    points = points.assign(x=pts.x.to_numpy(), y=pts.y.to_numpy())
    values = points[size_by].astype(float)
    vmax = max(float(values.max()), 1.0)
    area = lambda v: 6 + 380 * (np.asarray(v, dtype=float) / vmax)  # noqa: E731  points², ∝ value
    types = list(dict.fromkeys(points["type"]))
    col = {t: TYPE_COLOURS[i] if i < len(TYPE_COLOURS) else UNKNOWN_COLOUR for i, t in enumerate(types)}
    order = points.sort_values(size_by, ascending=False, kind="stable")
    ax.scatter(order["x"], order["y"], s=area(order[size_by]), c=[col[t] for t in order["type"]], alpha=0.55,
               edgecolors="white", linewidths=0.4, zorder=8)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    by_place = points.groupby("name", sort=False)[size_by].sum().sort_values(ascending=False, kind="stable")
    first = points.drop_duplicates("name").set_index("name")
    items = [{"x": first.loc[n, "x"], "y": first.loc[n, "y"], "text": str(n), "size": 7.5, "weight": "normal"}
             for n in by_place.index[:10]]
    items += _country_labels(ax, proj, bounds)
    place_labels(ax, items, [], renderer)
    _scale_bar(ax, bounds)
    handles = [Line2D([], [], marker="o", ls="none", mfc=col[t], mec="white", ms=7, alpha=0.8,
                      label=textwrap.fill(str(t) if i < len(TYPE_COLOURS) else "other types", 22))
               for i, t in enumerate(types[:len(TYPE_COLOURS) + 1])]
    leg = lax.legend(handles=handles, loc="upper left", fontsize=7.5, frameon=False, title="Event type",
                     title_fontsize=8)
    leg._legend_box.align = "left"
    steps = sorted({max(1, int(round(vmax))), max(1, int(round(vmax / 4))), max(1, int(round(vmax / 16)))},
                   reverse=True)
    unit = "deaths reported" if size_by == "deaths" else "number of events"
    sizes = [Line2D([], [], marker="o", ls="none", mfc="#bbbbbb", mec="white", ms=math.sqrt(area(v)), label=f"{v:,}")
             for v in steps]
    lax.add_artist(leg)
    lax.legend(handles=sizes, loc="lower left", fontsize=7.5, frameon=False, title=f"Disc area:\n{unit}",
               title_fontsize=8, labelspacing=1.3, borderpad=1.0)
    ax.set_title(title, fontsize=8, loc="left")
    return fig

"""The interactive territory map of the HTML briefing: folium, but offline and deterministic.

What folium does by default, and what this module does instead
---------------------------------------------------------------
* **CDN links** — ``folium.Map`` links Leaflet, jQuery, Bootstrap, awesome-markers and
  Font Awesome from CDNs. :class:`OfflineMap` links nothing; the vendored Leaflet 1.9.3
  (``briefing/vendor/``, BSD-2) is inlined as ``<script>``/``<style>`` elements. jQuery and
  the rest are not needed: the map uses ``CircleMarker``/``Circle``/``GeoJson`` layers only,
  and popups are bound by :class:`_Bind` (folium's ``Popup`` calls jQuery's ``$()``
  and puts the HTML in a JavaScript template literal, where ``${…}`` would be evaluated).
* **Random ids** — branca 0.8.2 draws element ids from ``os.urandom``.
  :func:`deterministic_ids` temporarily replaces the classmethod ``Element._generate_id``
  with a counter that restarts at 1 for every map build, so the same data give the same
  bytes (nbval compares them; rebuilds are byte-identical). The original is restored on exit.
* **Tiles** — no tile layer is shown by default (no network request). The vector basemap
  (countries, governorates, the schematic Euphrates, lakes) is drawn as GeoJSON layers; an
  OpenStreetMap tile layer is offered in the layer control, unticked.
* **Time slider** — :class:`TimeSlider` is a small Leaflet control (``<input type=range>``
  plus a date label, plain JavaScript). For every date step and every force there is a
  pre-computed layer group; one container per force sits in the layer control ("a layer
  per force"), and moving the slider swaps each container's content to that step's group.
* **Embedding** — :func:`embed` returns an object whose ``text/html`` is an ``<iframe
  srcdoc=…>`` holding the full map document (escaped), not folium's ``_repr_html_`` (which
  adds "Make this Notebook Trusted" text and random ids).

Every string that comes from the CSVs is HTML-escaped (:func:`html.escape`) before it is
placed in markup, and markup reaches JavaScript only through ``tojson`` (which escapes
``<``, ``>``, ``&`` and ``'``), so a quote cannot close a ``<script>`` or run code.
"""
from __future__ import annotations

import base64
import contextlib
import html
import itertools
import json
import re
from pathlib import Path

import folium
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from . import paths
from .figures import SIDE_COLOURS

VENDOR = paths.VENDOR
MAP_HEIGHT_PX = 520

# Columns :func:`build_map` needs in ``states`` (one row per date step and place).
STATE_COLUMNS = ("step", "place_id", "name", "lat", "lon", "zone_km", "side", "force", "status",
                 "event", "event_date", "precision", "quote", "source")


# --------------------------------------------------------------------------- ids
@contextlib.contextmanager
def deterministic_ids():
    """Within the block, branca/folium element ids are ``0001``, ``0002`` … (per build)."""
    original = Element.__dict__["_generate_id"]
    counter = itertools.count(1)
    Element._generate_id = classmethod(lambda cls: f"{next(counter):04d}")
    try:
        yield
    finally:
        Element._generate_id = original


# --------------------------------------------------------------------------- vendored assets
def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def leaflet_js() -> str:
    text = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)
    if "</script" in text.lower():  # pragma: no cover - would break the inline element
        raise RuntimeError("vendored leaflet.js contains '</script'")
    return text


def leaflet_css() -> str:
    text = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    text = text.replace("url(images/layers.png)", f"url({_data_uri(VENDOR / 'layers.png', 'image/png')})")
    text = text.replace("url(images/layers-2x.png)", f"url({_data_uri(VENDOR / 'layers-2x.png', 'image/png')})")
    text = text.replace("url(images/marker-icon.png)", "none")
    if "url(images/" in text or "</style" in text.lower():  # pragma: no cover
        raise RuntimeError("vendored leaflet.css still refers to an external file")
    return text


class _Inline(Element):
    """A ``<script>`` or ``<style>`` element carrying a vendored file."""

    _template = Template("<{{ this.tag }}>{{ this.code }}</{{ this.tag }}>")

    def __init__(self, tag: str, code: str):
        super().__init__()
        self._name = "Inline"
        self.tag = tag
        self.code = code


class OfflineMap(folium.Map):
    """``folium.Map`` without CDN links: Leaflet is inlined, nothing else is loaded."""

    default_js: list = []
    default_css: list = []

    def render(self, **kwargs):
        figure = self.get_root()
        figure.header.add_child(_Inline("style", leaflet_css()), name="leaflet_css")
        figure.header.add_child(_Inline("script", leaflet_js()), name="leaflet")
        figure.header.add_child(_Inline("style", _MAP_CSS), name="briefing_css")
        super().render(**kwargs)


_MAP_CSS = """
.leaflet-container { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12px; background: #dfe8ee; }
.ts-control { background: rgba(255,255,255,0.94); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font-size: 12px; min-width: 250px; }
.ts-control input[type=range] { width: 100%; margin: 4px 0 0; }
.ts-control .ts-date { font-weight: bold; font-size: 13px; }
.ts-control .ts-note { color: #555; font-size: 11px; }
.map-title { background: rgba(255,255,255,0.94); padding: 3px 7px; border-radius: 4px; font-size: 11px;
  max-width: 260px; box-shadow: 0 1px 4px rgba(0,0,0,0.35); }
.leaflet-popup-content { font-size: 12px; line-height: 1.35; }
.leaflet-popup-content blockquote { margin: 4px 0; padding-left: 6px; border-left: 3px solid #ccc; font-style: italic; }
.place-label { background: none; border: none; box-shadow: none; font-size: 11px; font-weight: bold;
  color: #222; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; padding: 0; }
.place-label::before { display: none; }
"""


# --------------------------------------------------------------------------- safe popups
class _Bind(MacroElement):
    """Bind a popup or tooltip to the parent layer. ``markup`` is HTML the caller built
    from escaped parts; it reaches JavaScript as a JSON string (``tojson`` escapes ``<>&'``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.{{ this.method }}({{ this.markup|tojson }}, {{ this.options|tojson }});\n"
        "{% endmacro %}"
    )

    def __init__(self, method: str, markup: str, options: dict | None = None):
        super().__init__()
        self._name = "Bind"
        if method not in {"bindPopup", "bindTooltip"}:
            raise ValueError(method)
        self.method = method
        self.markup = markup
        self.options = options or {}


def popup_html(row) -> str:
    """The popup of one place at one date: every value escaped."""
    e = html.escape
    parts = [f"<b>{e(str(row['name']))}</b><br>{e(str(row['status']))}"]
    if str(row.get("event") or ""):
        parts.append(f"<br><span>{e(str(row['event']))}</span>")
    if str(row.get("event_date") or ""):
        parts.append(f"<br>Date: {e(str(row['event_date']))} <small>({e(str(row['precision']))})</small>")
    if str(row.get("quote") or ""):
        parts.append(f"<blockquote>&ldquo;{e(str(row['quote']))}&rdquo;</blockquote>")
    if str(row.get("source") or ""):
        parts.append(f"<small>Source: {e(str(row['source']))}</small>")
    return "".join(parts)


def _css_token(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-") or "x"


# --------------------------------------------------------------------------- slider
class TimeSlider(MacroElement):
    """A range input over date steps; each step swaps the per-force containers' content."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var steps = {{ this.steps|tojson }};
  var containers = { {% for key, name in this.containers %}{{ key|tojson }}: {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} };
  var groups = [
{%- for step in this.groups %}
    { {% for key, name in step %}{{ key|tojson }}: {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} }{% if not loop.last %},{% endif %}
{%- endfor %}
  ];
  var input, label, note;
  function show(i) {
    i = Math.max(0, Math.min(steps.length - 1, parseInt(i, 10)));
    Object.keys(containers).forEach(function (key) {
      containers[key].clearLayers();
      if (groups[i][key]) { containers[key].addLayer(groups[i][key]); }
    });
    if (input) { input.value = String(i); input.setAttribute("data-date", steps[i].date); }
    if (label) { label.textContent = steps[i].label; }
    if (note) { note.textContent = steps[i].note; }
    return steps[i].date;
  }
  var control = L.control({position: "topleft"});
  control.onAdd = function () {
    var div = L.DomUtil.create("div", "ts-control");
    var head = L.DomUtil.create("div", "ts-date", div);
    label = head;
    input = L.DomUtil.create("input", "ts-range", div);
    input.type = "range"; input.min = "0"; input.max = String(steps.length - 1); input.step = "1";
    input.setAttribute("aria-label", "Date of the control state");
    note = L.DomUtil.create("div", "ts-note", div);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    input.addEventListener("input", function () { show(input.value); });
    return div;
  };
  control.addTo(map);
  show({{ this.initial }});
  window.territorySlider = {show: show, steps: steps};
})();
{% endmacro %}
"""
    )

    def __init__(self, steps: list[dict], containers: list[tuple[str, str]], groups: list[list[tuple[str, str]]],
                 initial: int):
        super().__init__()
        self._name = "TimeSlider"
        self.steps = steps
        self.containers = containers
        self.groups = groups
        self.initial = int(initial)


class _Title(MacroElement):
    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var c = L.control({position: "bottomright"});
  c.onAdd = function () { var d = L.DomUtil.create("div", "map-title"); d.innerHTML = {{ this.markup|tojson }}; return d; };
  c.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
    )

    def __init__(self, markup: str):
        super().__init__()
        self._name = "Title"
        self.markup = markup


# --------------------------------------------------------------------------- the map
BASEMAP_STYLE = {
    "countries": lambda focus: {"color": "#555555", "weight": 1.4 if focus else 0.8, "fillColor": "#fbfaf6" if focus else "#efede6",
                                "fillOpacity": 1.0, "opacity": 1.0},
    "admin1": {"color": "#9a9a9a", "weight": 0.6, "dashArray": "3 3", "fill": False, "opacity": 0.9},
    "lakes": {"color": "#7fa7c9", "weight": 0.5, "fillColor": "#b9d3e8", "fillOpacity": 1.0},
    "rivers": {"color": "#4a8cc7", "weight": 2.0, "opacity": 0.9},
}


def _geojson(gdf) -> dict:
    """A GeoDataFrame (or GeoJSON dict) as a plain GeoJSON dict with stable key order."""
    if isinstance(gdf, dict):
        return gdf
    return json.loads(gdf.to_json(drop_id=True, sort_keys=True))


def _basemap(m: folium.Map, layers: dict) -> None:
    if "countries" in layers:
        data = _geojson(layers["countries"])
        folium.GeoJson(
            data, name="Countries", control=False,
            style_function=lambda f: BASEMAP_STYLE["countries"](bool(f["properties"].get("focus"))),
        ).add_to(m)
    if "admin1" in layers:
        folium.GeoJson(_geojson(layers["admin1"]), name="Governorates (Syria, Iraq)", overlay=True,
                       style_function=lambda f: BASEMAP_STYLE["admin1"]).add_to(m)
    if "lakes" in layers:
        folium.GeoJson(_geojson(layers["lakes"]), name="Lakes", control=False,
                       style_function=lambda f: BASEMAP_STYLE["lakes"]).add_to(m)
    if "rivers" in layers:
        # One GeoJSON layer per river so each gets its own tooltip; the label says "schematic"
        # (straight segments between riverside towns, see data/basemap/README.md).
        group = folium.FeatureGroup(name="Rivers (schematic)", overlay=True, control=True, show=True)
        group.add_to(m)
        for feat in _geojson(layers["rivers"])["features"]:
            label = feat["properties"].get("label") or feat["properties"].get("name") or "river"
            g = folium.GeoJson({"type": "FeatureCollection", "features": [feat]}, control=False,
                               style_function=lambda f: BASEMAP_STYLE["rivers"])
            _Bind("bindTooltip", html.escape(str(label)), {"sticky": True}).add_to(g)
            g.add_to(group)


def build_map(states: pd.DataFrame, steps: list[dict], layers: dict, *, initial: int, force_labels: dict[str, str],
              force_sides: dict[str, str], title: str = "", bounds=None) -> str:
    """The full HTML document of the map.

    ``states``: one row per (step, place) with :data:`STATE_COLUMNS`; ``steps``: one dict per
    step (``date`` ISO, ``label``, ``note``); ``layers``: basemap GeoDataFrames by name;
    ``force_labels``/``force_sides``: layer-control label and colour side for each force key;
    ``initial``: the step shown on load.
    """
    missing = [c for c in STATE_COLUMNS if c not in states.columns]
    if missing:
        raise ValueError(f"states lacks columns {missing}")
    if not steps:
        raise ValueError("no date steps")
    with deterministic_ids():
        if bounds is None:
            bounds = [[float(states["lat"].min()), float(states["lon"].min())],
                      [float(states["lat"].max()), float(states["lon"].max())]]
        m = OfflineMap(location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
                       zoom_start=6, tiles=None, control_scale=True, prefer_canvas=False, zoom_snap=0.25)
        _basemap(m, layers)
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=True, control=True,
                         show=False).add_to(m)
        forces = [f for f in force_labels if f in set(states["force"])]
        containers = {}
        for force in forces:
            fg = folium.FeatureGroup(name=html.escape(force_labels[force]), overlay=True, control=True, show=True)
            fg.add_to(m)
            containers[force] = fg
        groups: list[list[tuple[str, str]]] = []
        for i, _step in enumerate(steps):
            here = states[states["step"] == i]
            entry = []
            for force in forces:
                rows = here[here["force"] == force]
                if rows.empty:
                    continue
                sub = folium.FeatureGroup(name=f"{force} step {i}", control=False, show=(i == initial))
                sub.add_to(containers[force])
                # Zones (approximate areas) first, then points on top.
                for _, row in rows.sort_values(["zone_km", "place_id"], ascending=[False, True]).iterrows():
                    _place_layer(row, force_sides[force], _label_direction(row, here)).add_to(sub)
                entry.append((force, sub.get_name()))
            groups.append(entry)
        TimeSlider(steps, [(f, containers[f].get_name()) for f in forces], groups, initial).add_to(m)
        if title:
            _Title(title).add_to(m)  # bottom right, clear of the zoom, layers and slider controls
        folium.LayerControl(position="topright", collapsed=True).add_to(m)
        m.fit_bounds(bounds)
        return m.get_root().render()


def _label_direction(row, here: pd.DataFrame, near_deg: float = 0.2) -> str:
    """Permanent labels go right; of two points closer than ``near_deg``, the northern one's
    label goes on top and the southern one's below, so they do not overlap."""
    pts = here[(here["zone_km"] <= 0) & (here["place_id"] != row["place_id"])]
    close = pts[((pts["lat"] - row["lat"]).abs() < near_deg) & ((pts["lon"] - row["lon"]).abs() < near_deg)]
    if close.empty:
        return "right"
    return "top" if row["lat"] >= close["lat"].max() else "bottom"


def _place_layer(row, side: str, direction: str = "right"):
    colour = SIDE_COLOURS.get(side, SIDE_COLOURS["other"])
    cls = f"place place-{_css_token(row['place_id'])} side-{_css_token(row['side'])}"
    if float(row["zone_km"]) > 0:
        layer = folium.Circle(
            location=[float(row["lat"]), float(row["lon"])], radius=float(row["zone_km"]) * 1000,
            color=colour, weight=1.5, dash_array="4 3", fill=True, fill_color=colour, fill_opacity=0.12,
            class_name=cls + " zone",
        )
    else:
        layer = folium.CircleMarker(
            location=[float(row["lat"]), float(row["lon"])], radius=6, color="#ffffff", weight=1.5,
            fill=True, fill_color=colour, fill_opacity=1.0, class_name=cls + " point",
        )
    _Bind("bindPopup", popup_html(row), {"maxWidth": 320}).add_to(layer)
    if float(row["zone_km"]) > 0:
        _Bind("bindTooltip", html.escape(str(row["name"])), {"direction": "right", "sticky": True}).add_to(layer)
    else:  # towns carry a permanent label, as on a printed map
        _Bind("bindTooltip", html.escape(str(row["name"])),
              {"permanent": True, "direction": direction,
               "offset": {"right": [7, 0], "top": [0, -6], "bottom": [0, 6]}[direction],
               "className": "place-label"}).add_to(layer)
    return layer


# --------------------------------------------------------------------------- embedding
class WebMap:
    """Display object: an iframe whose ``srcdoc`` is the whole map document.

    ``text/html`` is what the HTML briefing shows; ``text/plain`` is short and stable (nbval).
    """

    def __init__(self, document: str, title: str, plain: str):
        self.document = document
        self.title = title
        self.plain = plain

    @property
    def markup(self) -> str:
        # The size is on the iframe itself, not only in the briefing's CSS, so the map is as wide
        # as the page in JupyterLab too (an unstyled iframe is a 300 px sliver). JupyterLab drops
        # the iframe of a saved notebook it does not trust: 03_territory says so in an nb-only line.
        return (f'<div class="webmap"><iframe title="{html.escape(self.title, quote=True)}" '
                f'sandbox="allow-scripts" loading="eager" height="{MAP_HEIGHT_PX}" '
                f'style="width:100%;height:{MAP_HEIGHT_PX}px;border:1px solid #d6d6d6;display:block" '
                f'srcdoc="{html.escape(self.document, quote=True)}"></iframe></div>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.markup, "text/plain": self.plain}, {}


def embed(document: str, title: str, plain: str) -> WebMap:
    return WebMap(document, title, plain)

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
* **Scripts compiled as templates** — branca's ``MacroElement.render`` wraps each element's
  rendered script in ``Element(text)``, which compiles that text as a new jinja template: slow
  (some 0.3 ms an element), and ``{{ … }}`` in text from the data would be evaluated. Our own
  elements (popups, tooltips, the slider) add their scripts as plain text
  (:class:`_ScriptAsText`); braces in the names that reach folium's own elements (layer list,
  governorate names) go as character references. The basemap's GeoJSON still passes through
  folium's ``GeoJson``: a data folder's basemap with ``{{`` in a property value is not covered.
* **Tiles** — no tile layer is shown by default (no network request). The vector basemap
  (countries, the faint dashed boundaries between governorates, the schematic Euphrates, lakes)
  is drawn as GeoJSON layers, with Damascus and Baghdad as quiet reference marks (grey square,
  italic name: not places of the data, no popup); an OpenStreetMap tile layer is offered in the
  layer control, unticked.
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
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from . import paths
from .figures import SIDE_COLOURS, holder_colour

VENDOR = paths.VENDOR
MAP_HEIGHT_PX = 560

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
html, body { height: 100%; margin: 0; padding: 0; }
body { display: flex; flex-direction: column; font-family: "DejaVu Sans", Arial, sans-serif; }
/* The date bar sits above the map, never over it (at 375 px a box over the map hid half of it). */
.ts-bar { flex: none; display: flex; flex-wrap: wrap; align-items: center; gap: 2px 10px; padding: 6px 8px;
  background: #ffffff; border-bottom: 1px solid #d6d6d6; font-size: 13px; }
.ts-bar button { font: inherit; font-size: 13px; padding: 3px 9px; border: 1px solid #888; border-radius: 4px;
  background: #f4f3ef; cursor: pointer; min-height: 30px; }
.ts-bar button:focus-visible, .ts-bar input:focus-visible { outline: 2px solid #8a1c1c; outline-offset: 1px; }
.ts-bar .ts-date { font-weight: bold; min-width: 7.5em; }
.ts-bar input[type=range] { flex: 1 1 160px; min-width: 120px; margin: 0; }
.ts-bar .ts-note { flex: 1 1 100%; color: #555; font-size: 12px; }
.folium-map { flex: 1 1 auto; position: relative !important; height: auto !important; min-height: 0; }
.leaflet-container { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 12px; background: #dfe8ee; }
.leaflet-popup-content { font-size: 12px; line-height: 1.35; }
.leaflet-popup-content blockquote { margin: 4px 0; padding-left: 6px; border-left: 3px solid #ccc; font-style: italic; }
.place-label { background: none; border: none; box-shadow: none; font-size: 11px; font-weight: bold;
  color: #222; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; padding: 0; }
.place-label::before, .zone-label::before, .ref-city-label::before { display: none; }
.admin1-name-icon { pointer-events: none; }
.admin1-names-hidden .admin1-name-icon { display: none; }
.admin1-name { font-size: 11px; font-style: italic; letter-spacing: 0.12em; line-height: 13px; text-align: center;
  color: #857a92; text-shadow: 0 0 2px #fff, 0 0 2px #fff; white-space: nowrap; }
.ref-city-mark { width: 7px; height: 7px; border: 1.5px solid #555; background: #fff; }
.ref-city-label { background: none; border: none; box-shadow: none; font-size: 11px; font-style: italic;
  color: #555; text-shadow: 0 0 2px #fff, 0 0 2px #fff; padding: 0; }
.zone-label { background: #ffffff; border: 1px solid #555; border-radius: 9px; box-shadow: none; font-size: 11px;
  font-weight: bold; color: #222; padding: 0 5px; line-height: 16px; }
"""


# --------------------------------------------------------------------------- our elements' scripts
class _Script(Element):
    """A script an element rendered, added to the page as it is."""

    def __init__(self, text: str):
        super().__init__()  # takes the next id, as the Element it replaces did (the ids stay the same)
        self._name = "Script"
        self.text = text

    def render(self, **kwargs):
        # what ``Element(text).render()`` returned: jinja drops one trailing newline
        return self.text[:-1] if self.text.endswith("\n") else self.text


class _ScriptAsText(MacroElement):
    """A ``MacroElement`` whose rendered macros go into the page as plain text.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which compiles
    that text as a new jinja template: about 0.3 ms an element (the map has some 260 popups and
    tooltips, the bulk of its build), and text from the data that looks like jinja (``{{ … }}`` in a
    quote) would be evaluated as such. This ``render`` is branca's, with :class:`_Script` in place of
    that ``Element``; only our own elements use it (folium's keep theirs)."""

    def render(self, **kwargs):
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):  # branca's order
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_Script(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


# --------------------------------------------------------------------------- safe popups
class _Bind(_ScriptAsText):
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
    if str(row.get("event_date") or ""):  # written as people write it: "week of 30 Oct 2017", "Oct 2017"
        parts.append(f"<br>Date: {e(str(row['event_date']))}")
    if str(row.get("quote") or ""):
        parts.append(f"<blockquote>&ldquo;{e(str(row['quote']))}&rdquo;</blockquote>")
    if str(row.get("source") or ""):
        parts.append(f"<small>Source: {e(str(row['source']))}</small>")
    return "".join(parts)


def _inert_braces(markup: str) -> str:
    """HTML with its braces as character references (``{{`` is never jinja syntax then)."""
    return markup.replace("{", "&#123;").replace("}", "&#125;")


def _css_token(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-") or "x"


# --------------------------------------------------------------------------- slider
class TimeSlider(_ScriptAsText):
    """The date bar above the map (play button, range input, date and note), the framing of
    the map, and the hook the briefing's chronology uses to move the map.

    * Each step swaps the per-force containers' content to that step's pre-computed groups.
    * **Framing**: a map in an ``<iframe srcdoc>`` may be built before its frame has a size
      (then ``fitBounds`` ends at zoom 0, the whole world). The map is framed on ``frame``
      whenever its container gets or changes size (``ResizeObserver``, ``load``, ``resize``),
      after ``invalidateSize``, until the reader pans or zooms; "Fit" frames it again.
    * **Play** steps through the dates (1.2 s each) and stops at the last.
    * **Go to**: a ``postMessage`` from the parent page ``{type: "briefing-map-goto", place,
      date}`` (the iframe stays sandboxed: no same-origin access is needed) shows the last step
      on or before ``date`` (and says so under the bar when ``date`` falls between steps) and
      centres the map on ``place`` (an id of ``places``), opening its
      popup when the place is drawn at that step.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var steps = {{ this.steps|tojson }};
  var frame = {{ this.frame|tojson }};
  var places = {{ this.places|tojson }};
  var containers = { {% for key, name in this.containers %}{{ key|tojson }}: {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} };
  var groups = [
{%- for step in this.groups %}
    { {% for key, name in step %}{{ key|tojson }}: {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} }{% if not loop.last %},{% endif %}
{%- endfor %}
  ];
  var bar = document.createElement("div");
  bar.className = "ts-bar";
  var play = document.createElement("button");
  play.type = "button"; play.className = "ts-play"; play.textContent = "\\u25B6 Play";
  play.setAttribute("aria-label", "Play through the dates");
  var label = document.createElement("span"); label.className = "ts-date"; label.setAttribute("aria-live", "polite");
  var input = document.createElement("input");
  input.type = "range"; input.className = "ts-range"; input.min = "0"; input.max = String(steps.length - 1); input.step = "1";
  input.setAttribute("aria-label", "Date of the control state");
  var fit = document.createElement("button");
  fit.type = "button"; fit.className = "ts-fit"; fit.textContent = "Fit";
  fit.title = "Frame the places again"; fit.setAttribute("aria-label", "Frame the places again");
  var note = document.createElement("div"); note.className = "ts-note";
  bar.appendChild(play); bar.appendChild(label); bar.appendChild(input); bar.appendChild(fit); bar.appendChild(note);
  var container = map.getContainer();
  container.parentNode.insertBefore(bar, container);
  var current = 0;
  function show(i) {
    i = Math.max(0, Math.min(steps.length - 1, parseInt(i, 10) || 0));
    current = i;
    Object.keys(containers).forEach(function (key) {
      containers[key].clearLayers();
      if (groups[i][key]) { containers[key].addLayer(groups[i][key]); }
    });
    input.value = String(i); input.setAttribute("data-date", steps[i].date);
    label.textContent = steps[i].label;
    note.textContent = steps[i].note;
    return steps[i].date;
  }
  input.addEventListener("input", function () { stop(); show(input.value); });
  // ---- play
  var timer = null;
  function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = "\\u25B6 Play";
    play.setAttribute("aria-pressed", "false"); }
  play.addEventListener("click", function () {
    if (timer) { stop(); return; }
    if (current >= steps.length - 1) { show(0); }
    play.textContent = "\\u275A\\u275A Pause"; play.setAttribute("aria-pressed", "true");
    timer = setInterval(function () { if (current >= steps.length - 1) { stop(); } else { show(current + 1); } }, 1200);
  });
  // ---- framing
  var moved = false, framing = false, lastSize = "";
  function fitFrame() {
    var size = map.getSize();
    if (!size.x || !size.y) { return false; }
    framing = true;
    map.fitBounds(frame, {animate: false, paddingTopLeft: [8, 8], paddingBottomRight: [48, 8]});
    framing = false;
    return true;
  }
  function reframe() {
    var c = map.getContainer(), key = c.clientWidth + "x" + c.clientHeight;
    if (!c.clientWidth || !c.clientHeight) { return; }
    if (key === lastSize && map.getZoom() > 1) { return; }
    lastSize = key;
    framing = true; map.invalidateSize({animate: false, pan: false}); framing = false;
    if (!moved || map.getZoom() <= 1) { fitFrame(); }
    window.territorySlider.framedAt = key;  // tests wait for this: the size the map last framed itself at
  }
  // Only the reader's own panning and zooming stop the automatic framing (not a framing call
  // from a script): pointer, wheel and keyboard input on the map.
  ["mousedown", "touchstart", "wheel", "keydown", "dblclick"].forEach(function (name) {
    map.getContainer().addEventListener(name, function () { moved = true; }, {passive: true});
  });
  fit.addEventListener("click", function () { moved = false; fitFrame(); });
  if (typeof ResizeObserver !== "undefined") { new ResizeObserver(reframe).observe(map.getContainer()); }
  // Governorate names need room: shown from zoom 7 on (on a phone the map opens at 6, where
  // "DEIR EZ-ZOR" would sit on the town of Deir Ezzor); the boundaries are always drawn.
  function adminNames() {
    map.getContainer().classList.toggle("admin1-names-hidden", map.getZoom() < 7);
  }
  map.on("zoomend", adminNames);
  adminNames();
  window.addEventListener("resize", reframe);
  window.addEventListener("load", reframe);
  document.addEventListener("visibilitychange", reframe);
  // ---- go to a place and date (from the briefing's chronology)
  function goTo(place, date) {
    stop();
    var i = 0;
    steps.forEach(function (s, k) { if (s.date <= date) { i = k; } });
    show(i);
    if (steps[i].date !== date && /^\\d{4}-\\d{2}-\\d{2}$/.test(date)) {
      // a row dated between the map's dates: say which state the map shows, not just the date
      var asked = new Date(date + "T00:00:00Z").toLocaleDateString("en-GB",
        {day: "numeric", month: "short", year: "numeric", timeZone: "UTC"});
      note.textContent = "The event is dated " + asked + "; the map shows the control state of " +
        steps[i].label + ", its last date on or before it.";
    }
    var p = places[place];
    if (!p) { return steps[i].date; }
    moved = true;
    map.setView([p[0], p[1]], Math.max(map.getZoom(), 8), {animate: false});
    var token = "place-" + p[2];
    Object.keys(containers).forEach(function (key) {
      containers[key].eachLayer(function (group) {
        if (!group.eachLayer) { return; }
        group.eachLayer(function (layer) {
          var cls = (layer.options && layer.options.className) || "";
          if ((" " + cls + " ").indexOf(" " + token + " ") >= 0 && layer.openPopup) { layer.openPopup(); }
        });
      });
    });
    return steps[i].date;
  }
  window.addEventListener("message", function (e) {
    if (e.source !== window.parent || !e.data || e.data.type !== "briefing-map-goto") { return; }
    goTo(String(e.data.place || ""), String(e.data.date || ""));
  });
  window.territorySlider = {show: show, steps: steps, goTo: goTo, reframe: reframe, map: map, framedAt: ""};
  show({{ this.initial }});
  reframe();
})();
{% endmacro %}
"""
    )

    def __init__(self, steps: list[dict], containers: list[tuple[str, str]], groups: list[list[tuple[str, str]]],
                 initial: int, frame, places: dict):
        super().__init__()
        self._name = "TimeSlider"
        self.steps = steps
        self.containers = containers
        self.groups = groups
        self.initial = int(initial)
        self.frame = frame
        self.places = places


# --------------------------------------------------------------------------- the map
BASEMAP_STYLE = {
    "countries": lambda focus: {"color": "#555555", "weight": 1.4 if focus else 0.8, "fillColor": "#fbfaf6" if focus else "#efede6",
                                "fillOpacity": 1.0, "opacity": 1.0},
    "admin1": {"color": "#a3a3a3", "weight": 0.9, "dashArray": "5 4", "fill": False, "opacity": 0.75},
    "lakes": {"color": "#7fa7c9", "weight": 0.5, "fillColor": "#b9d3e8", "fillOpacity": 1.0},
    "rivers": {"color": "#4a8cc7", "weight": 2.0, "opacity": 0.9},
}


def _geojson(gdf) -> dict:
    """A GeoDataFrame (or GeoJSON dict) as a plain GeoJSON dict with stable key order."""
    if isinstance(gdf, dict):
        return gdf
    return json.loads(gdf.to_json(drop_id=True, sort_keys=True))


def _basemap(m: folium.Map, layers: dict, points: list[tuple[float, float]] = (), admin1_named=()) -> None:
    """The vector basemap; ``points`` (lat, lon) are the data's places, which the capitals' marks give
    way to; ``admin1_named``: the admin-1 codes of the governorates to name (as in print)."""
    import math

    if "countries" in layers:
        data = _geojson(layers["countries"])
        folium.GeoJson(
            data, name="Countries", control=False,
            style_function=lambda f: BASEMAP_STYLE["countries"](bool(f["properties"].get("focus"))),
        ).add_to(m)
    # Governorate boundaries: the lines *between* two governorates (the polygons' outer edges are
    # the country borders, drawn above from the admin-0 layer); faint, dashed, not clickable.
    admin1 = layers.get("admin1_boundaries")
    if admin1 is not None and len(admin1):
        group = folium.FeatureGroup(name="Governorates", overlay=True, control=True, show=True)
        group.add_to(m)
        folium.GeoJson(_geojson(admin1[["between", "geometry"]]), control=False,
                       style_function=lambda f: BASEMAP_STYLE["admin1"], interactive=False).add_to(group)
        # the governorates the print maps name (the border area's), at their label points, as in print
        polys = layers.get("admin1")
        if polys is not None and admin1_named:
            for code, name, lat, lon in zip(polys["admin1"], polys["name"], polys["label_lat"], polys["label_lon"]):
                if code not in admin1_named:
                    continue
                text = _inert_braces("<br>".join(html.escape(w) for w in str(name).upper().split(" ", 1)))
                icon = folium.DivIcon(html=f'<div class="admin1-name">{text}</div>', icon_size=(96, 30),
                                      icon_anchor=(48, 15), class_name=f"admin1-name-icon admin1-{_css_token(code)}")
                folium.Marker(location=[round(float(lat), 4), round(float(lon), 4)], icon=icon, interactive=False,
                              keyboard=False).add_to(group)
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
    if "cities" in layers:
        # Reference capitals (Damascus, Baghdad), as in print: a small grey square and an italic grey
        # name, not interactive and not a place of the data (no "place" class, no popup, no slider).
        group = folium.FeatureGroup(name="Capitals, for orientation", overlay=True, control=True, show=True)
        group.add_to(m)
        for name, g in zip(layers["cities"]["name"], layers["cities"].geometry):
            # as in print: a capital with a place of the data within 15 km (Damascus: Yarmuk, Hajar
            # Aswad) gets no square (the place's dot marks it) and its name goes to the left, away
            # from the places' labels (which go right)
            near = any(math.hypot((lat - g.y) * 111.2, (lon - g.x) * 111.2 * math.cos(math.radians(g.y))) < 15
                       for lat, lon in points)
            icon = folium.DivIcon(html="" if near else '<div class="ref-city-mark"></div>', icon_size=(9, 9),
                                  icon_anchor=(5, 5), class_name=f"ref-city ref-city-{_css_token(name)}")
            mark = folium.Marker(location=[round(float(g.y), 4), round(float(g.x), 4)], icon=icon, interactive=False,
                                 keyboard=False)
            _Bind("bindTooltip", html.escape(str(name)),
                  {"permanent": True, "direction": "left" if near else "right", "offset": [-8, 5] if near else [6, 0],
                   "className": "ref-city-label", "interactive": False}).add_to(mark)
            mark.add_to(group)


def build_map(states: pd.DataFrame, steps: list[dict], layers: dict, *, initial: int, force_labels: dict[str, str],
              force_sides: dict[str, str], title: str = "", bounds=None, frame=None,
              zone_numbers: dict[str, int] | None = None, places: dict | None = None,
              admin1_named: list[str] = ()) -> str:
    """The full HTML document of the map.

    ``states``: one row per (step, place) with :data:`STATE_COLUMNS`; ``steps``: one dict per
    step (``date`` ISO, ``label``, ``note``); ``layers``: basemap GeoDataFrames by name;
    ``force_labels``/``force_sides``: layer-control label and colour side for each force key;
    ``initial``: the step shown on load. ``bounds``: the map's extent (default: every place);
    ``frame``: what the map shows on load and after a resize (default ``bounds``);
    ``zone_numbers``: place_id → the number a zone carries (as in print); ``places``:
    place_id → (lat, lon) of every place the briefing's chronology may ask the map to show;
    ``admin1_named``: admin-1 codes of the governorates named on the map (``maps.named_admin1``).
    ``title`` is not drawn on the map (it goes in the caption under it: :func:`legend_html`).
    """
    missing = [c for c in STATE_COLUMNS if c not in states.columns]
    if missing:
        raise ValueError(f"states lacks columns {missing}")
    if not steps:
        raise ValueError("no date steps")
    zone_numbers = zone_numbers or {}
    with deterministic_ids():
        if bounds is None:
            bounds = [[float(states["lat"].min()), float(states["lon"].min())],
                      [float(states["lat"].max()), float(states["lon"].max())]]
        frame = frame or bounds
        m = OfflineMap(location=[(frame[0][0] + frame[1][0]) / 2, (frame[0][1] + frame[1][1]) / 2],
                       zoom_start=7, tiles=None, control_scale=True, prefer_canvas=False, zoom_snap=0.25)
        _basemap(m, layers, sorted(set(zip(states["lat"].astype(float), states["lon"].astype(float)))),
                 admin1_named=admin1_named)
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=True, control=True,
                         show=False).add_to(m)
        hatches = [holder_colour(r) for r in states.to_dict("records") if _is_held_zone(r)]
        if hatches:
            m.get_root().html.add_child(_Markup(_hatch_defs(hatches)), name="zone_hatches")
        forces = [f for f in force_labels if f in set(states["force"])]
        containers = {}
        for force in forces:
            # the layer list's label (HTML) goes through folium's script, which branca compiles as a
            # jinja template: braces from the data (an actor's name) go as character references
            fg = folium.FeatureGroup(name=_inert_braces(html.escape(force_labels[force])), overlay=True, control=True,
                                     show=True)
            fg.add_to(m)
            containers[force] = fg
        groups: list[list[tuple[str, str]]] = []
        for i, _step in enumerate(steps):
            here = states[states["step"] == i]
            # Zones (approximate areas) first, then points on top: one sort per step (a place is
            # once in a step, so each force's rows keep this order), rows read as records
            ordered = here.sort_values(["zone_km", "place_id"], ascending=[False, True]).to_dict("records")
            near = _Nearby(here)
            entry = []
            for force in forces:
                rows = [row for row in ordered if row["force"] == force]
                if not rows:
                    continue
                sub = folium.FeatureGroup(name=f"{force} step {i}", control=False, show=(i == initial))
                sub.add_to(containers[force])
                for row in rows:
                    number = zone_numbers.get(row["place_id"])
                    _place_layer(row, force_sides[force], _label_direction(row, near), number).add_to(sub)
                    if float(row["zone_km"]) > 0 and number is not None:
                        _zone_number(row, number).add_to(sub)
                entry.append((force, sub.get_name()))
            groups.append(entry)
        index = {str(pid): [round(float(lat), 4), round(float(lon), 4), _css_token(pid)]
                 for pid, (lat, lon) in sorted((places or {}).items())}
        for _, r in states.drop_duplicates("place_id").iterrows():
            index.setdefault(str(r["place_id"]), [round(float(r["lat"]), 4), round(float(r["lon"]), 4),
                                                  _css_token(r["place_id"])])
        TimeSlider(steps, [(f, containers[f].get_name()) for f in forces], groups, initial, frame,
                   dict(sorted(index.items()))).add_to(m)
        folium.LayerControl(position="topright", collapsed=True).add_to(m)
        # no folium fit_bounds: the slider's script frames the map once it has a size, and again on resize
        return m.get_root().render()


def legend_html(force_labels: dict[str, str], force_sides: dict[str, str], *, zones: dict[str, str] | None = None,
                zone_note: str = "", rivers: str = "", governorates: str = "", capitals: str = "",
                caption: str = "") -> str:
    """The key under the map, in the page (HTML, so it reflows on a phone): one colour swatch
    per force, the zone, river, governorate-boundary and capital symbols (each only when its text
    is given, i.e. when the map draws it), the numbered zones and the caption. Every value is
    escaped here."""
    e = html.escape
    items = []
    for key, text in force_labels.items():
        colour = SIDE_COLOURS.get(force_sides.get(key, key), SIDE_COLOURS["other"])
        if key == "last-reported":  # drawn as a ring in the last holder's colour (see _place_layer)
            items.append(f'<li><span class="swatch dot ring" data-colour="{e(colour)}"></span>{e(text)}</li>')
            continue
        items.append(f'<li><span class="swatch dot" style="background:{e(colour)}" data-colour="{e(colour)}"></span>'
                     f'{e(text)}</li>')
    if zones:
        items.append('<li><span class="swatch zone"></span>'
                     f'{e(zone_note or "Numbered circle, hatched in its holder’s colour: a place located only near a town or within a region (position, not extent)")}</li>')
    if rivers:
        items.append(f'<li><span class="swatch river"></span>{e(rivers)}</li>')
    if governorates:
        items.append(f'<li><span class="swatch admin1"></span>{e(governorates)}</li>')
    if capitals:
        items.append(f'<li><span class="swatch city"></span>{e(capitals)}</li>')
    out = [f'<ul class="map-key" aria-label="Map key">{"".join(items)}</ul>']
    if zones:
        z = "".join(f"<li><b>{e(str(n))}</b> {e(name)}</li>" for n, name in zones.items())
        out.append(f'<ol class="map-zones" aria-label="Numbered zones">{z}</ol>')
    if caption:
        out.append(f'<p class="map-caption">{caption}</p>')
    return "".join(out)


class _Nearby:
    """The places of one date step as arrays, for :func:`_label_direction` (read once per step)."""

    def __init__(self, here: pd.DataFrame):
        self.lat, self.lon = here["lat"].to_numpy(float), here["lon"].to_numpy(float)
        self.point = here["zone_km"].to_numpy(float) <= 0
        self.place_id = here["place_id"].to_numpy()


def _label_direction(row, near: _Nearby, near_deg: float = 0.2) -> str:
    """Permanent labels go right; of two points closer than ``near_deg``, the northern one's
    label goes on top and the southern one's below, so they do not overlap."""
    lat = near.lat
    close = (near.point & (near.place_id != row["place_id"])
             & (np.abs(lat - float(row["lat"])) < near_deg) & (np.abs(near.lon - float(row["lon"])) < near_deg))
    if not close.any():
        return "right"
    return "top" if row["lat"] >= lat[close].max() else "bottom"


def _hatch_id(colour: str) -> str:
    """The id of the SVG pattern that hatches a held zone in ``colour`` (:func:`_hatch_defs`)."""
    return "zone-hatch-" + colour.lstrip("#").lower()


def _hatch_defs(colours) -> str:
    """SVG patterns, one per holder's colour: diagonal lines in that colour over a faint tint of it,
    as the print maps hatch a held zone in its holder's colour. (A plain fill at low opacity, as
    before, turned IS black into the grey the key uses for "taker not reported".)"""
    pats = "".join(
        f'<pattern id="{_hatch_id(c)}" class="zone-hatch" data-colour="{html.escape(c)}" patternUnits="userSpaceOnUse" '
        f'width="7" height="7" patternTransform="rotate(45)"><rect width="7" height="7" fill="{html.escape(c)}" '
        f'fill-opacity="0.06"></rect><line x1="0" y1="0" x2="0" y2="7" stroke="{html.escape(c)}" stroke-width="1.6" '
        f'stroke-opacity="0.8"></line></pattern>'
        for c in sorted(set(colours)))
    return (f'<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">'
            f'<defs>{pats}</defs></svg>')


class _Markup(Element):
    """Markup built here from escaped parts, added to the page as it is (not compiled as a template)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Markup"
        self.text = text

    def render(self, **kwargs):
        return self.text


def _is_held_zone(row) -> bool:
    return float(row["zone_km"]) > 0 and row.get("force") != "last-reported"


def _place_layer(row, side: str = "", direction: str = "right", number: int | None = None):
    """A place on one date, in the colour of whoever holds it (:func:`figures.holder_colour`, the
    one rule the print maps use too; ``side`` is not used for the colour). A held zone is hatched
    in that colour (the pattern :func:`_hatch_defs` defines), as in print. A place whose last
    report is older than the date (force ``last-reported``: not drawn as still held) is a *ring*
    (a dotted circle for a zone) in the colour of whoever held it when last reported, where a held
    place is a filled dot: the key says "ring: last reported so"."""
    stale = row.get("force") == "last-reported"
    colour = holder_colour(row)
    cls = f"place place-{_css_token(row['place_id'])} side-{_css_token(row['side'])}" + (" last-reported" if stale else "")
    if float(row["zone_km"]) > 0:
        layer = folium.Circle(
            location=[float(row["lat"]), float(row["lon"])], radius=float(row["zone_km"]) * 1000,
            color=colour, weight=1.5, dash_array="1 4" if stale else "4 3", fill=True,
            fill_color=colour if stale else f"url(#{_hatch_id(colour)})",
            fill_opacity=0.0 if stale else 1.0, class_name=cls + " zone",  # stale: no tint (print: none)
        )
    elif stale:
        layer = folium.CircleMarker(
            location=[float(row["lat"]), float(row["lon"])], radius=5, color=colour, weight=2.5,
            fill=True, fill_color="#ffffff", fill_opacity=1.0, class_name=cls + " point",
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


def _zone_number(row, number: int):
    """The zone's number (as in print, named in the key), on the circle's north-east rim so it
    never hides the town dots inside the circle."""
    import math

    r_deg = float(row["zone_km"]) / 111.2
    lat = float(row["lat"]) + r_deg * 0.7071
    lon = float(row["lon"]) + r_deg * 0.7071 / max(math.cos(math.radians(float(row["lat"]))), 0.2)
    mark = folium.CircleMarker(location=[lat, lon], radius=0, weight=0, opacity=0, fill=False, interactive=False,
                               class_name=f"zone-number zone-number-{_css_token(row['place_id'])}")
    _Bind("bindTooltip", html.escape(str(number)),
          {"permanent": True, "direction": "center", "className": "zone-label", "interactive": False}).add_to(mark)
    return mark


# --------------------------------------------------------------------------- embedding
class WebMap:
    """Display object: an iframe whose ``srcdoc`` is the whole map document.

    ``text/html`` is what the HTML briefing shows; ``text/plain`` is short and stable (nbval).
    """

    def __init__(self, document: str, title: str, plain: str, legend: str = ""):
        self.document = document
        self.title = title
        self.plain = plain
        self.legend = legend

    @property
    def markup(self) -> str:
        # sandboxed (scripts only, an opaque origin): the page talks to it with postMessage only.
        # The size is also given as attributes, not only in the briefing's CSS (which wins over
        # attributes), so the map is as wide as the page in JupyterLab too, where an unstyled
        # iframe is a 300 px sliver. JupyterLab drops the iframe of a saved notebook it does not
        # trust: 03_territory says so in an nb-only line.
        return (f'<div class="webmap" id="webmap"><iframe title="{html.escape(self.title, quote=True)}" '
                f'sandbox="allow-scripts" loading="eager" width="100%" height="{MAP_HEIGHT_PX}" '
                f'srcdoc="{html.escape(self.document, quote=True)}"></iframe>'
                f'{f"<div class={chr(34)}map-legend{chr(34)}>{self.legend}</div>" if self.legend else ""}</div>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.markup, "text/plain": self.plain}, {}


def embed(document: str, title: str, plain: str, legend: str = "") -> WebMap:
    """``legend``: markup from :func:`legend_html` (escaped there), shown under the map."""
    return WebMap(document, title, plain, legend)

"""The side colours stay distinguishable for readers with colour-vision deficiency.

Every pair of side colours (``figures.SIDE_COLOURS``, shared by the print maps, the timeline,
the web map and its key) is simulated for full deuteranopia and protanopia (colorspacious, the
Machado et al. 2009 model) and compared in CAM02-UCS: the smallest difference must stay at
least :data:`MIN_DELTA_E` (about the gap between clearly different named colours; the old
palette's Syrian-army red and US-backed orange were 26 apart under deuteranopia but its rebel
green and "other" grey only 7). The colours must also stand apart from the map's own
ink (river blue, zone/border greys are not side colours, so only the river is checked)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

colorspacious = pytest.importorskip("colorspacious")

from briefing import figures, maps  # noqa: E402

MIN_DELTA_E = 20.0
VISION = {"normal vision": None, "deuteranopia": "deuteranomaly", "protanopia": "protanomaly"}


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def _seen(hex_colour: str, cvd: str | None) -> np.ndarray:
    rgb = _rgb(hex_colour)
    if cvd is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


@pytest.mark.parametrize("vision", list(VISION))
def test_side_colours_apart_under_colour_vision_deficiency(vision):
    cvd = VISION[vision]
    worst = min(
        (float(colorspacious.deltaE(_seen(a, cvd), _seen(b, cvd), input_space="sRGB1")), sa, sb)
        for (sa, a), (sb, b) in itertools.combinations(figures.SIDE_COLOURS.items(), 2)
    )
    assert worst[0] >= MIN_DELTA_E, f"{vision}: {worst[1]} and {worst[2]} differ by only {worst[0]:.1f}"


@pytest.mark.parametrize("vision", list(VISION))
def test_side_colours_apart_from_the_river(vision):
    cvd = VISION[vision]
    for side, colour in figures.SIDE_COLOURS.items():
        d = float(colorspacious.deltaE(_seen(colour, cvd), _seen(maps.RIVER, cvd), input_space="sRGB1"))
        assert d >= 12, f"{vision}: {side} is {d:.1f} from the river's blue"


def test_the_check_can_fail():
    """The old red/orange pair is caught when the bar is that of a clear difference (≥ 30)."""
    d = float(colorspacious.deltaE(_seen("#c0392b", "deuteranomaly"), _seen("#e69f00", "deuteranomaly"),
                                   input_space="sRGB1"))
    assert d < 30

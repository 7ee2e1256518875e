"""Key findings (briefing/overview.py): what they say about places lost and still held."""
from __future__ import annotations

import datetime as dt

from briefing import overview
from briefing.adapters import open as open_data


def test_a_loss_whose_is_hold_is_inferred_says_so():
    """No article says IS held the Husaybah border post (control.csv ``not_reported``
    "controller: …"): its loss is listed with "IS's hold inferred"; Raqqa, which s003 says IS was
    expelled from, is not."""
    ds, p = open_data()
    lost = overview.losses(ds, p.as_of)
    flags = dict(zip(lost["place_id"], lost["hold_inferred"]))
    assert flags["husaybah-border-post"] and not flags["raqqa"] and not flags["albu-kamal"]
    text = overview.key_findings(ds, p.as_of).bundle["text/markdown"]
    assert "Husaybah border post (3 Nov, taken by Iraqi forces; IS's hold inferred" in text
    assert "Raqqa (17 Oct, taken by Syrian Democratic Forces)" in text


def test_the_affiliate_is_named_only_when_it_holds_a_place():
    """Jaish Khaled Bin Walid (an IS affiliate) is last reported on 9 Nov: "IS or its affiliate"
    on 9 Nov, "IS" on 17 Nov."""
    ds, _ = open_data()
    def line(day):
        text = overview.key_findings(ds, day).bundle["text/markdown"]
        return next(ln for ln in text.splitlines() if "still place" in ln)
    assert "still place IS or its affiliate in" in line(dt.date(2017, 11, 9))
    assert "still place IS in" in line(dt.date(2017, 11, 17))

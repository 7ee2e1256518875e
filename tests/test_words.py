"""The briefing's words (briefing/words.py): how a count that opens a sentence is written."""


def test_sentence_spells_out_an_opening_count():
    from briefing.words import sentence, spelled

    assert spelled(0) == "zero" and spelled(19) == "nineteen" and spelled(40) == "forty" and spelled(73) == "seventy-three"
    assert sentence("24 of the 32 events rest") == "Twenty-four of the 32 events rest"
    assert sentence("**6 more places held") == "**Six more places held"  # Markdown bold kept
    assert sentence("1,234 of the 5,000 events rest") == "In all, 1,234 of the 5,000 events rest"
    assert sentence("each of the 27 starts") == "Each of the 27 starts"
    assert sentence("**thin sourcing.**") == "**Thin sourcing.**"
    # a date or a year opening a sentence is not a count
    assert sentence("17 Oct 2017 was") == "17 Oct 2017 was"
    assert sentence("2014 was the year") == "2014 was the year"

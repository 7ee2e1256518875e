import datetime as dt

import pytest

from briefing import params
from briefing.errors import ParameterError


@pytest.mark.parametrize("value", ["2017-13-01", "2017-02-30", "17-11-2017", "yesterday", "2017/11/05"])
def test_bad_dates_name_the_parameter(value):
    with pytest.raises(ParameterError) as err:
        params.parse_date("as_of", value)
    msg = str(err.value)
    assert msg.startswith("parameter 'as_of':") and value in msg and "\n" not in msg


def test_empty_as_of_defaults_to_latest_and_range_is_checked():
    first, last = dt.date(2017, 7, 1), dt.date(2017, 11, 17)
    assert params.resolve_as_of(None, first, last) == last
    assert params.resolve_as_of(dt.date(2017, 11, 5), first, last) == dt.date(2017, 11, 5)
    with pytest.raises(ParameterError, match="outside the data's range 2017-07-01 to 2017-11-17"):
        params.resolve_as_of(dt.date(2018, 1, 1), first, last)


def test_missing_data_dir_is_one_line(tmp_path):
    with pytest.raises(ParameterError, match="folder .* does not exist"):
        params.data_folder(tmp_path / "nope")


def test_relative_paths_resolve_from_project_root(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # nbval runs in notebooks/, papermill in the root: neither matters
    assert params.data_folder("data") == params.paths.ROOT / "data"


def test_imprint_parameters_default_and_are_checked():
    from briefing import params as P

    env = {"BRIEFING_DATA_DIR": "data", "BRIEFING_REPORT_DIR": "reports"}
    assert P.build_params(env).imprint == P.IMPRINT_DEFAULTS
    mine = P.build_params({**env, "BRIEFING_PUBLISHER": "Desk <b>A</b> & Co", "BRIEFING_LICENCE": " CC0 "})
    assert mine.imprint["publisher"] == "Desk <b>A</b> & Co" and mine.imprint["licence"] == "CC0"
    for bad in ("two\nlines", "x" * (P.IMPRINT_MAX + 1), "bell\x07"):
        with pytest.raises(ParameterError, match="corrections"):
            P.build_params({**env, "BRIEFING_CORRECTIONS": bad})

"""Notebook and build parameters: one place that checks them and fails with one clear line.

papermill does no type checking (``-p`` guesses types, unknown names only log a warning), so
every notebook calls :func:`check` right after its parameters cell. Paths are resolved from
the project root, so a notebook behaves the same under papermill (cwd = root) and nbval
(cwd = notebooks/).

Decisions:
- ``as_of`` is a ``YYYY-MM-DD`` cut-off; empty means "the latest publication date among the
  sources", so the default briefing shows everything the articles report.
- ``as_of`` must fall inside the data's range: from the earliest dated event to the latest
  source publication. A date outside it would draw a briefing the data cannot support.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import ParameterError

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(name: str, value, *, allow_empty: bool = False) -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` parameter or raise :class:`ParameterError` naming it."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if allow_empty:
            return None
        raise ParameterError(name, "is empty; expected a date as YYYY-MM-DD")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not _ISO.match(text):
        raise ParameterError(name, f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ParameterError(name, f"{text!r} is not a valid calendar date ({exc})") from None


def data_folder(value) -> Path:
    """Resolve ``data_dir`` from the project root; it must be an existing folder."""
    if value is None or str(value).strip() == "":
        raise ParameterError("data_dir", "is empty; expected a folder such as 'data'")
    folder = paths.resolve(str(value), paths.DATA)
    if not folder.is_dir():
        raise ParameterError("data_dir", f"folder '{value}' does not exist")
    return folder


def output_folder(name: str, value, default: Path) -> Path:
    """Resolve an output folder from the project root and create it."""
    folder = paths.resolve(value, default)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(name, f"'{value}' exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Params:
    """Checked parameters shared by every notebook."""

    data_dir: Path
    as_of: dt.date | None  # None until resolved against the data by :func:`resolve_as_of`
    figures_dir: Path
    extra: dict = field(default_factory=dict)


def check(data_dir="data", as_of="", figures_dir="", **extra) -> Params:
    """Check the common parameters; ``as_of`` is parsed but its range is checked against the
    data by :func:`resolve_as_of` (the data must be loaded first). An empty ``figures_dir`` (the
    notebooks' default, so an interactive run in JupyterLab) writes into ``build/lab-figures/``:
    only the build, which passes ``figures_dir`` explicitly, writes ``figures/``."""
    return Params(
        data_dir=data_folder(data_dir),
        as_of=parse_date("as_of", as_of, allow_empty=True),
        figures_dir=output_folder("figures_dir", figures_dir, paths.LAB_FIGURES),
        extra=extra,
    )


def resolve_as_of(as_of: dt.date | None, first: dt.date, last: dt.date) -> dt.date:
    """Default an empty ``as_of`` to ``last`` and require ``first <= as_of <= last``."""
    if as_of is None:
        return last
    if not first <= as_of <= last:
        raise ParameterError(
            "as_of", f"{as_of.isoformat()} is outside the data's range {first.isoformat()} to {last.isoformat()}"
        )
    return as_of

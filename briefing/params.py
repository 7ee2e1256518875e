r"""Notebook and build parameters: one place that checks them and fails with one clear line.

papermill does no type checking (``-p`` guesses types, unknown names only log a warning), so
every notebook calls :func:`check` right after its parameters cell. Paths are resolved from
the project root, so a notebook behaves the same under papermill (cwd = root) and nbval
(cwd = notebooks/).

Decisions:
- ``as_of`` is a ``YYYY-MM-DD`` cut-off; empty means "the latest publication date among the
  sources", so the default briefing shows everything the articles report.
- ``as_of`` must fall inside the data's range: from the earliest dated event to the latest
  source publication; for sources with publication dates it is a knowledge cut-off and may not
  precede the first publication (:meth:`briefing.model.Dataset.resolve_as_of`). A date outside
  it would draw a briefing the data cannot support.

Build parameters (:func:`build_params`) reach Python as data, never as shell or JSON text: the
Makefile exports ``DATA_DIR``, ``AS_OF`` and ``REPORT_DIR`` into the environment as
``BRIEFING_DATA_DIR``, ``BRIEFING_AS_OF`` and ``BRIEFING_REPORT_DIR`` (unexpanded, so even
``$(shell …)`` in a value is just text), no recipe line contains them, and Python writes
``params.json`` with :mod:`json`. Every parameter is checked here, in one place, before the build
writes anything. ``REPORT_DIR`` decisions:

- it may not be (or lie inside) the project root's own folders (``data/``, ``seeds/``,
  ``notebooks/``, ``briefing/``, ``tests/``, ``scripts/``, ``docs/``, ``figures/``, ``build/``,
  ``.git/``, ``.venv/``), the project root itself, a folder that contains the project, or
  anything inside ``DATA_DIR`` (the data version would then hash the build's own files);
- it may not contain whitespace, control characters or characters that make or a shell treat
  specially (``$ # % : ; ' " ` \ * ? [ ] = | & < > ( ) { } ! ~ ^ ,``): the folder becomes a make
  target name, and make cannot quote. ``DATA_DIR`` is never a make target (changes are tracked
  through digest files, see :func:`input_digests`), so it may hold spaces and any character.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
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


# --------------------------------------------------------------------------- build parameters

ENV = {"data_dir": "BRIEFING_DATA_DIR", "as_of": "BRIEFING_AS_OF", "report_dir": "BRIEFING_REPORT_DIR",
       "compare": "BRIEFING_COMPARE",
       "publisher": "BRIEFING_PUBLISHER", "licence": "BRIEFING_LICENCE", "corrections": "BRIEFING_CORRECTIONS"}

#: The imprint the briefing prints (publisher line, licence, corrections contact): build
#: parameters with these defaults. Plain text, at most :data:`IMPRINT_MAX` characters, no control
#: characters; the template escapes them (they are never markup).
IMPRINT_DEFAULTS = {
    "publisher": "Published as a reproducible build of the IS-territory briefing project",
    "licence": ("Text, figures and data tables: CC BY 4.0. Quotations from the source articles remain their "
                "publishers' and are reproduced as short excerpts for reference"),
    "corrections": "Report an error by opening an issue in the project's repository, quoting the data version",
}
IMPRINT_MAX = 300
# Characters make cannot quote in a target name, or that a shell would interpret. Mirrored by
# UNSAFE_CHARS in the Makefile (tests/test_params.py keeps the two equal).
UNSAFE_CHARS = "$#%:;'\"`\\*?[]=|&<>(){}!~^,"
# Project folders a build must never write into (REPORT_DIR may not be one of them or inside one).
PROTECTED = ("data", "seeds", "notebooks", "briefing", "tests", "scripts", "docs", "figures", "build",
             ".git", ".venv", ".ci")


@dataclass(frozen=True)
class BuildParams:
    """Where one build reads and writes. ``stage_dir`` receives the figures while notebooks run;
    the report step publishes them to ``figures_dir`` together with the reports."""

    data_dir: Path
    as_of: dt.date | None
    report_dir: Path
    build_dir: Path
    figures_dir: Path
    compare: Path | None = None  # a second data folder to corroborate against (COMPARE), or None
    imprint: dict = field(default_factory=lambda: dict(IMPRINT_DEFAULTS))

    @property
    def params_file(self) -> Path:
        return self.build_dir / "params.json"

    @property
    def imprint_file(self) -> Path:
        """The publisher, licence and corrections contact (JSON): only the report reads it."""
        return self.build_dir / "imprint.json"

    @property
    def stage_dir(self) -> Path:
        return self.build_dir / "stage" / "figures"

    @property
    def executed_dir(self) -> Path:
        return self.build_dir / "executed"

    @property
    def inputs_dir(self) -> Path:
        return self.build_dir / "inputs"

    def notebook_params(self) -> dict:
        """What the notebooks receive (``figures_dir`` is the staging folder)."""
        return {"data_dir": paths.rel(self.data_dir), "as_of": self.as_of.isoformat() if self.as_of else "",
                "figures_dir": paths.rel(self.stage_dir),
                "compare": paths.rel(self.compare) if self.compare else ""}


def _abspath(value: str) -> Path:
    """Like make's ``$(abspath)``: absolute and normalised, symlinks not resolved, so Python and
    the Makefile agree on which folder a relative path names."""
    p = Path(os.path.expanduser(value))
    return Path(os.path.normpath(p if p.is_absolute() else paths.ROOT / p))


def report_folder(value, data_dir: Path) -> Path:
    """Check ``REPORT_DIR`` (see the module docstring); nothing is created here."""
    text = "" if value is None else str(value)
    if text.strip() == "":
        raise ParameterError("report_dir", "is empty; expected a folder such as 'reports'")
    bad = sorted({c for c in text if c in UNSAFE_CHARS or c.isspace() or not c.isprintable()})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise ParameterError("report_dir", f"{text!r} contains {shown}; a report folder name may not hold "
                                           f"whitespace or any of {UNSAFE_CHARS} (make cannot quote them)")
    folder = _abspath(text)
    real = folder.resolve()
    root = paths.ROOT.resolve()
    if real == root or root.is_relative_to(real):
        raise ParameterError("report_dir", f"'{text}' is the project folder or contains it; choose a folder such as 'reports' or 'out'")
    for name in PROTECTED:
        protected = (root / name).resolve()
        if real == protected or real.is_relative_to(protected):
            raise ParameterError("report_dir", f"'{text}' is inside the project's {name}/ folder, which a build never "
                                               f"writes to; choose a folder such as 'reports' or 'out'")
    data = Path(data_dir).resolve()
    if real == data or real.is_relative_to(data):
        raise ParameterError("report_dir", f"'{text}' lies inside the data folder '{data_dir}'; the build would "
                                           f"hash its own outputs as data; choose a folder outside it")
    if folder.exists() and not folder.is_dir():
        raise ParameterError("report_dir", f"'{text}' exists and is not a folder")
    return folder


def imprint_value(name: str, value) -> str:
    """One imprint parameter: empty means the default; otherwise printable text, one line."""
    text = "" if value is None else str(value).strip()
    if not text:
        return IMPRINT_DEFAULTS[name]
    bad = sorted({c for c in text if not c.isprintable()})
    if bad:
        raise ParameterError(name, f"contains a control character ({' '.join(repr(c) for c in bad)}); "
                                   "expected one line of plain text")
    if len(text) > IMPRINT_MAX:
        raise ParameterError(name, f"is {len(text)} characters long; at most {IMPRINT_MAX}")
    return text


def compare_folder(value, data_dir: Path | None = None) -> Path | None:
    """``COMPARE``: empty → ``None``; else an existing folder (any characters: it is never a make
    target), not the data folder itself."""
    text = "" if value is None else str(value)
    if text.strip() == "":
        return None
    if any(not c.isprintable() for c in text):
        raise ParameterError("compare", f"{text!r} holds control characters; expected a folder such as "
                                        "'tests/fixtures/ucdp'")
    folder = paths.resolve(text, paths.ROOT)
    if not folder.is_dir():
        raise ParameterError("compare", f"folder '{text}' does not exist (expected a folder with an event dataset, "
                                        "e.g. a UCDP GED or ACLED CSV)")
    if data_dir is not None and folder.resolve() == Path(data_dir).resolve():
        raise ParameterError("compare", f"'{text}' is the data folder itself; compare with another dataset")
    return folder


def build_params(environ=None) -> BuildParams:
    """Read and check the build parameters from the environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    data_dir = data_folder(env.get(ENV["data_dir"], "data"))
    as_of = parse_date("as_of", env.get(ENV["as_of"], ""), allow_empty=True)
    report_dir = report_folder(env.get(ENV["report_dir"], "reports"), data_dir)
    if report_dir == _abspath("reports"):  # the default build keeps figures/ and build/ at the root
        build_dir, figures_dir = paths.BUILD, paths.FIGURES
    else:  # another REPORT_DIR keeps its own, so it never overwrites the default build's files
        build_dir, figures_dir = report_dir / "build", report_dir / "figures"
    compare = compare_folder(env.get(ENV["compare"], ""), data_dir)
    imprint = {k: imprint_value(k, env.get(ENV[k], "")) for k in IMPRINT_DEFAULTS}
    return BuildParams(data_dir, as_of, report_dir, build_dir, figures_dir, compare, imprint)


# Inputs each notebook may depend on, tracked as digest files the Makefile lists as prerequisites.
INPUTS = ("datapackage", "sources", "places", "actors", "events", "control", "claims", "evidence",
          "geocoded", "basemap")
#: Inputs that are not the data folder's: the corroboration dataset (COMPARE).
OTHER_INPUTS = ("compare",)


def _digest(files: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(base)).encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def compare_digest(compare: Path | None) -> str:
    """The digest of the COMPARE folder's files (``none`` without one)."""
    if compare is None:
        return "none"
    compare = Path(compare)
    return _digest(sorted(p for p in compare.rglob("*") if p.is_file()), compare)


def input_digests(data_dir: Path) -> dict[str, str]:
    """A SHA-256 per input name over the files it stands for (names and contents), so that make
    re-runs exactly the notebooks whose data changed, whatever characters the folder's path holds,
    and notices a deleted or added file. A folder without ``datapackage.json`` (an event export)
    is one input: every name gets the digest of all its files."""
    data_dir = Path(data_dir)
    if not (data_dir / "datapackage.json").is_file():
        every = _digest(sorted(p for p in data_dir.rglob("*") if p.is_file()), data_dir)
        return {name: every for name in INPUTS}
    out = {}
    for name in INPUTS:
        if name == "datapackage":
            files = [data_dir / "datapackage.json"]
        elif name in ("geocoded", "basemap"):
            files = sorted(p for p in (data_dir / name).rglob("*") if p.is_file())
        else:
            files = [f for f in [data_dir / f"{name}.csv"] if f.is_file()]
        out[name] = _digest(files, data_dir)
    return out

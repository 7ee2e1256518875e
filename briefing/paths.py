"""Root-relative paths. Notebooks run from ``notebooks/`` (nbval) or the project root
(papermill), so nothing here depends on the current working directory."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEEDS = ROOT / "seeds"
NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "figures"  # written by the build only (make report passes it as figures_dir)
LAB_FIGURES = ROOT / "build" / "lab-figures"  # figures of interactive runs (figures_dir left empty)
REPORTS = ROOT / "reports"
BUILD = ROOT / "build"
VENDOR = ROOT / "briefing" / "vendor"


def resolve(path: str | Path | None, default: Path) -> Path:
    """Resolve a user-supplied path: empty → ``default``; relative → from the project root."""
    if path is None or str(path).strip() == "":
        return default
    p = Path(path).expanduser()
    return p if p.is_absolute() else (ROOT / p)


def rel(path: Path) -> str:
    """A path as shown in messages: relative to the project root when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)

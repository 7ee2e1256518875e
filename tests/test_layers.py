"""The package's layers (adapters → model → views → drawing; report apart) hold: the
import-linter contracts in pyproject.toml are all kept, and there is no import cycle."""
from __future__ import annotations

import subprocess
from pathlib import Path

from briefing import paths


def test_import_contracts_are_kept():
    lint = Path(paths.ROOT / ".venv" / "bin" / "lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=paths.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout

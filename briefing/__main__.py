"""Command line: ``python -m briefing <command> [options]``.

Each command lives in a module with a ``main(argv) -> int`` function. Input problems
(:class:`briefing.errors.BriefingError`) are printed as one line on stderr and exit with
status 2; no traceback. Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import importlib
import sys

from .errors import BriefingError

COMMANDS = {
    "validate": ("briefing.adapters", "validate the CSVs in a data folder"),
    "geocode": ("briefing.geocode", "rebuild the geocoding lock file data/geocoded/places.csv"),
    "build": ("briefing.build", "build steps driven by the Makefile (notebooks, report)"),
    "export": ("briefing.export", "write the curated events in ACLED's layout (+ an HXL-tagged copy)"),
    "synth": ("briefing.synth", "write seeded synthetic ACLED-format events (scale benchmark)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        print("usage: python -m briefing <command> [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<10} {text}")
        return 0 if not argv or argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    try:
        return int(module.main(argv[1:]) or 0)
    except BriefingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m briefing <command> [options]``.

Each command lives in a module with a ``main(argv) -> int`` function. Input problems
(:class:`briefing.errors.BriefingError`) are printed as one line on stderr and exit with
status 2; no traceback. So is a failure to read or write a file (:class:`OSError`: permission
denied, disk full, read-only folder): one line naming the file and the reason, exit 2.
SIGTERM becomes an ordinary exit, so every ``finally`` runs and temporary files are removed.
Anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import importlib
import signal
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
    signal.signal(signal.SIGTERM, _terminated)
    try:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        return int(module.main(argv[1:]) or 0)
    except BriefingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def describe_os_error(exc: OSError) -> str:
    """One line: what could not be done, to which file or folder, and why
    (``cannot write to reports: No space left on device``). A build's own temporary file
    (``.name.<pid>.tmp``) is shown as the folder it was being written in."""
    import errno
    import os
    import re
    from pathlib import Path

    from .paths import rel

    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    shown = []
    for f in (exc.filename, exc.filename2):
        if isinstance(f, (str, bytes, os.PathLike)):
            p = Path(os.fsdecode(f))
            shown.append(rel(p.parent) if re.match(r"^\..+\.\d+\.(?:tmp|ipynb)$", p.name) else rel(p))
    if not shown:
        return f"input/output error: {reason}"
    verb = "cannot write to" if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "cannot access"
    return f"{verb} {' → '.join(shown)}: {reason}"


if __name__ == "__main__":
    sys.exit(main())

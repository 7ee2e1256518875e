"""briefing — shared code for the IS territorial-collapse briefing (Syria and Iraq, Oct–Nov 2017).

Notebooks stay thin: they call into this package, which loads and validates the curated
data, geocodes places, draws figures and assembles the HTML/PDF briefing. Every path is
resolved from the project root (see :mod:`briefing.paths`), never from the working directory.
"""
import sys as _sys

__version__ = "0.1.0"

# jsonschema (imported by nbformat, papermill and frictionless) tries the optional package
# rfc3987_syntax, which compiles a Lark grammar at import time: 1.2–1.8 s in every build
# process. Nothing here checks IRI formats, and jsonschema treats the package as optional
# (it only then lacks an "iri" format checker), so the import is declined up front.
_sys.modules.setdefault("rfc3987_syntax", None)

# Inside a Jupyter kernel, a bad parameter or data error shows as its one line, not a traceback.
from . import lab as _lab  # noqa: E402  (cheap: imports nothing unless IPython is running)

_lab.install_ipython_hooks()

"""The notebook process itself: what the package does to it, in one place.

:func:`imports_done` is called once a notebook's imports are done (by ``adapters.open``, every
notebook's first call): it moves every object alive at that point (the modules, classes and
functions pandas, matplotlib and the package are made of: over 100,000) into CPython's permanent
generation (:func:`gc.freeze`). The cyclic garbage collector then never walks them again: each
of its full collections during the analysis used to cost 50–70 ms and a notebook run made
several (0.15–0.4 s of CPU a notebook in all, measured by running the notebooks with and without
it). Nothing is freed earlier or later than it would be: objects still alive after the imports
(modules, classes) live as long as the process; the garbage collected afterwards is the
analysis's own, which stays outside the frozen generation. Once per process, so a JupyterLab
session that re-runs its cells freezes only its first imports.
"""
from __future__ import annotations

import gc

_done = False


def imports_done() -> None:
    """Freeze what the imports made (once per process); see the module's docstring."""
    global _done
    if not _done:
        _done = True
        gc.freeze()

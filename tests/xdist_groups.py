"""pytest plugin (``-p tests.xdist_groups`` in pyproject.toml): a safe, balanced schedule for
pytest-xdist, and two start-up costs cut in every test process.

``make test`` runs two workers (``-n 2``). Some tests must run together, in one worker, in order:
a notebook's nbval cells share one kernel, and the modules whose module-scoped fixtures run full
builds or many make runs up front (test_build, test_robustness, test_hostile) or a browser must not repeat that work in
each worker. Every other test is scheduled on its own, so the two workers stay evenly loaded.

xdist's own ``--dist loadgroup`` cannot be used for this: it renames node ids to carry the group,
which pytest 9.2 no longer allows (the marks are silently ignored), so this plugin supplies the
scheduler instead (xdist's ``pytest_xdist_make_scheduler`` hook) for the default ``--dist load``.

Order: xdist hands out work units in the order of its queue (by number of tests). The suite is
CPU-bound and a long unit started last leaves the other worker idle at the end, so the units
known to be long (:data:`HEAVY`, their CPU seconds measured with ``--durations``) go first,
longest first; every other unit follows in xdist's order, and those short units even out the
two workers' ends.
"""
from __future__ import annotations

import sys
from collections import OrderedDict

import pytest

# jsonschema (imported by nbval's nbformat when pytest loads its plugins, before any test or
# conftest imports `briefing`) imports the optional rfc3987_syntax, which compiles a Lark
# grammar: 0.9 s of CPU in the controller and in each worker. `briefing/__init__.py` declines it
# in every build process for the same reason; this plugin is loaded before the entry-point
# plugins (nbval), so the test processes run with the same jsonschema as the build.
sys.modules.setdefault("rfc3987_syntax", None)

GROUPED_MODULES = {"test_build.py", "test_robustness.py", "test_hostile.py", "test_webmap_browser.py", "test_lab_browser.py"}

# Work units that take long (CPU seconds on the 2-core machine, from `make test --durations`),
# scheduled first, in this order. A unit not listed here is short (a few seconds at most).
HEAVY = {
    "tests/test_robustness.py": 75,  # ~90 make runs and two full builds (two make runs at a time)
    "tests/test_build.py": 65,  # four full builds
    "tests/test_acled.py::test_full_build_from_synthetic_acled": 17,  # a full build
    "tests/test_lab_browser.py": 15,  # JupyterLab, Chromium, two notebooks run in Lab
    "tests/test_webmap_browser.py": 10,  # Chromium, partly CPU-throttled
    "notebooks/03_territory.ipynb": 4,
}


def scope_of(nodeid: str) -> str:
    """The unit of scheduling: the whole file for notebooks and grouped modules, else the test."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return path if name.endswith(".ipynb") or name in GROUPED_MODULES else nodeid


def heaviest_first(scopes: list[str]) -> list[str]:
    """``scopes`` with the :data:`HEAVY` ones first, longest first; the rest keep their order."""
    return sorted(scopes, key=lambda s: -HEAVY.get(s, 0))  # sorted() is stable


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist loadscope/loadfile/… keeps xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class GroupedScheduling(LoadScopeScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

        def _assign_work_unit(self, node) -> None:
            # the queue is complete when the first unit is handed out (xdist's schedule())
            if not self._ordered:
                self.workqueue = OrderedDict((s, self.workqueue[s]) for s in heaviest_first(list(self.workqueue)))
                self._ordered = True
            super()._assign_work_unit(node)

    return GroupedScheduling(config, log)

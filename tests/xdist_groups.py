"""pytest plugin (``-p tests.xdist_groups`` in pyproject.toml): a safe schedule for pytest-xdist.

``make test`` runs two workers (``-n 2``). Some tests must run together, in one worker, in order:
a notebook's nbval cells share one kernel, and the modules whose module-scoped fixtures run full
builds or many make runs up front (test_build, test_robustness, test_hostile) or a browser must not repeat that work in
each worker. Every other test is scheduled on its own, so the two workers stay evenly loaded.

xdist's own ``--dist loadgroup`` cannot be used for this: it renames node ids to carry the group,
which pytest 9.2 no longer allows (the marks are silently ignored), so this plugin supplies the
scheduler instead (xdist's ``pytest_xdist_make_scheduler`` hook) for the default ``--dist load``.
"""
from __future__ import annotations

import pytest

GROUPED_MODULES = {"test_build.py", "test_robustness.py", "test_hostile.py", "test_webmap_browser.py", "test_lab_browser.py"}


def scope_of(nodeid: str) -> str:
    """The unit of scheduling: the whole file for notebooks and grouped modules, else the test."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return path if name.endswith(".ipynb") or name in GROUPED_MODULES else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist loadscope/loadfile/… keeps xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class GroupedScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return GroupedScheduling(config, log)

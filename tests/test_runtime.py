"""briefing.runtime: the notebook's imports are frozen out of the garbage collector's way, once."""
from __future__ import annotations

import gc
import os
import subprocess
import sys

from briefing import paths

SCRIPT = """
import gc, json
from briefing import adapters, territory  # a notebook's imports
before = gc.get_freeze_count()
ds, p = adapters.open(data_dir="data", tables=territory.TABLES)
first = gc.get_freeze_count()
junk = [[i] for i in range(10000)]  # objects made after the imports
ds, p = adapters.open(data_dir="data", tables=territory.TABLES)
second = gc.get_freeze_count()
print(json.dumps([before, first, second]))
"""


def test_open_freezes_the_imports_once():
    """In a fresh process (as a kernel is): nothing frozen before ``adapters.open``; after it the
    imports' objects are (tens of thousands); a second call freezes nothing more, so what the
    analysis makes stays collectable."""
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=paths.ROOT, capture_output=True, text=True,
                         check=True, env=dict(os.environ, MPLBACKEND="agg"))
    before, first, second = map(int, out.stdout.strip().strip("[]").split(","))
    assert before == 0
    assert first > 50_000
    assert second == first


def test_frozen_objects_are_not_collected_but_later_garbage_is():
    """What is made after the freeze is collected as before (a reference cycle is freed)."""
    import weakref

    from briefing import runtime

    runtime.imports_done()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    gc.collect()
    assert ref() is None

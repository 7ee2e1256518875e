"""A module imported on first use: ``from ._lazy import pandas as pd`` binds ``pd`` now and
imports pandas (numpy, pyarrow: 0.35 s of CPU) only when an attribute is first read. Commands
that stop before they need pandas (``make validate`` on a broken file, a refused parameter)
then never pay for it. The import below is a plain ``import`` statement, so import-linter still
sees each importing module depend on pandas."""
from __future__ import annotations


class _OnFirstUse:
    def __init__(self, load):
        self.__dict__["_load"] = load

    def __getattr__(self, name):
        module = self.__dict__["_load"]()
        self.__dict__.update(module.__dict__)  # later reads find the attribute directly
        return getattr(module, name)


def _pandas():
    import pandas

    return pandas


pandas = _OnFirstUse(_pandas)

"""Shared fixtures: a writable copy of data/ and helpers that break exactly one thing in it."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from briefing import paths


class DataCopy:
    """A copy of ``data/`` (CSVs and datapackage.json only) in a temporary folder; with
    ``full=True`` also the geocoding lock and the basemap, so that a build can run on it."""

    def __init__(self, root: Path, full: bool = False):
        self.dir = root / "data"
        self.dir.mkdir()
        for p in [*paths.DATA.glob("*.csv"), paths.DATA / "datapackage.json"]:
            shutil.copy(p, self.dir / p.name)
        if full:
            for sub in ("geocoded", "basemap"):
                shutil.copytree(paths.DATA / sub, self.dir / sub)

    def read(self, table: str) -> tuple[list[str], list[list[str]]]:
        with (self.dir / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        return rows[0], rows[1:]

    def write(self, table: str, header: list[str], rows: list[list[str]]) -> None:
        with (self.dir / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([header, *rows])

    def set(self, table: str, key: str, column: str, value: str) -> int:
        """Set one cell of the row whose first column is ``key``; return its row number (header = 1)."""
        header, rows = self.read(table)
        for i, r in enumerate(rows):
            if r[0] == key:
                r[header.index(column)] = value
                self.write(table, header, rows)
                return i + 2
        raise KeyError(key)

    def get(self, table: str, key: str, column: str) -> str:
        header, rows = self.read(table)
        return next(r[header.index(column)] for r in rows if r[0] == key)

    def row_of(self, table: str, key: str) -> int:
        _, rows = self.read(table)
        return next(i + 2 for i, r in enumerate(rows) if r[0] == key)

    def append(self, table: str, values: dict[str, str]) -> int:
        header, rows = self.read(table)
        rows.append([values.get(h, "") for h in header])
        self.write(table, header, rows)
        return len(rows) + 1

    def delete(self, table: str, predicate) -> None:
        header, rows = self.read(table)
        self.write(table, header, [r for r in rows if not predicate(dict(zip(header, r)))])

    def file(self, table: str) -> str:
        return paths.rel(self.dir / f"{table}.csv")


@pytest.fixture
def data_copy(tmp_path) -> DataCopy:
    return DataCopy(tmp_path)


def open_view(module, data_dir="data", as_of="", figures_dir="", **view_params):
    """What a notebook's third cell does: the dataset through its adapter, then one view."""
    from briefing import adapters

    ds, p = adapters.open(data_dir=str(data_dir), as_of=as_of, figures_dir=str(figures_dir),
                          tables=getattr(module, "TABLES", None))
    return module.prepare(ds, p, **view_params)

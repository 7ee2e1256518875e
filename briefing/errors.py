"""Errors that reach a user as one line, with no traceback.

Every problem with user input (a CSV, a parameter, a place name) raises a subclass of
:class:`BriefingError`. ``python -m briefing …`` and the build driver catch them, print
``error: <message>`` on one line and exit with status 2.

Row numbers follow the spreadsheet convention: the header is row 1, the first data row is
row 2, so the number matches the line a user sees in a spreadsheet or editor.
"""
from __future__ import annotations


class BriefingError(Exception):
    """Base class: a problem with input that the user can fix."""

    exit_code = 2


class DataError(BriefingError):
    """One problem in one data file, located by row and column where that applies."""

    def __init__(self, file, problem: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.problem = " ".join(str(problem).split())  # always one line
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return ", ".join(where) + ": " + self.problem


class ValidationFailed(BriefingError):
    """Several :class:`DataError` found at once; ``str()`` is the first, ``errors`` holds all."""

    def __init__(self, errors: list[DataError]):
        self.errors = list(errors)
        n = len(self.errors)
        more = f" (and {n - 1} more problem{'s' if n > 2 else ''}; run `make validate`)" if n > 1 else ""
        super().__init__(f"{self.errors[0]}{more}")


class ParameterError(BriefingError):
    """An invalid notebook or build parameter (``as_of``, ``start``, ``countries`` …)."""

    def __init__(self, name: str, problem: str):
        self.name = name
        super().__init__(f"parameter '{name}': {' '.join(str(problem).split())}")


class GeocodeError(BriefingError):
    """A place that cannot be resolved offline; the message names the nearest candidates."""

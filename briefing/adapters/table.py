"""What a spreadsheet does to a CSV, undone once for every event-data adapter.

:func:`sniff` looks at the start of a file and returns its :class:`Layout`: the encoding
(UTF-8 with or without a byte-order mark, else Windows-1252), the delimiter (``,`` ``;`` tab or
``|``), how many title lines stand before the header, the header's column names (trimmed and
lower-cased, so ``EVENT_DATE`` is ``event_date``; an unnamed column, e.g. a spreadsheet's
leading index, is ``_unnamed_N``) and whether a second row of HXL hashtags follows it (the
Humanitarian Data Exchange's copies). :func:`read` then reads every column as text with pyarrow
(multi-threaded, quoted line breaks allowed), whatever the layout.

The rules, stated once:

* **encoding**: a UTF-8 byte-order mark → UTF-8; else the first 1 MB decodes as UTF-8 → UTF-8;
  else Windows-1252 (what Excel writes on Windows; every byte is a character, so it never fails);
* **header**: the first of the first :data:`MAX_TITLE_LINES` + 1 lines that splits into at least
  :data:`MIN_COLUMNS` fields with one of the delimiters; the lines before it are title lines and
  are skipped; the delimiter is the one that gives that line the most fields;
* **HXL row**: the row after the header is skipped when each of its non-empty cells starts with
  ``#`` and at least one is non-empty.
"""
from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")
MAX_TITLE_LINES = 5
MIN_COLUMNS = 5
HEAD_BYTES = 1 << 20
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class Layout:
    path: Path
    encoding: str  # a Python codec name: utf-8, utf-8-sig or cp1252
    delimiter: str
    title_lines: int  # lines before the header
    header: tuple[str, ...]  # as written
    names: tuple[str, ...]  # trimmed, lower-cased, unnamed columns named _unnamed_N
    hxl: bool  # a row of HXL hashtags after the header

    @property
    def first_data_row(self) -> int:
        """Spreadsheet row number of the first data row (the header is row 1 + title lines)."""
        return 2 + self.title_lines + int(self.hxl)

    def describe(self) -> str:
        """The variants found, in words ('' for a plain UTF-8 comma-separated file)."""
        bits = []
        if self.encoding != "utf-8":
            bits.append(ENCODING_NAMES[self.encoding])
        if self.delimiter != ",":
            bits.append(f"{DELIMITER_NAMES[self.delimiter]}-separated")
        if self.title_lines:
            bits.append(f"{self.title_lines} title line{'s' if self.title_lines > 1 else ''} skipped")
        if any(h.strip() != h.strip().lower() for h in self.header):
            bits.append("upper-case headers")
        if self.hxl:
            bits.append("HXL hashtag row skipped")
        return ", ".join(bits)


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _rows(text: str, delimiter: str, n: int) -> list[list[str]]:
    out = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            out.append(row)
            if len(out) >= n:
                break
    except csv.Error:
        pass
    return out


def sniff(path: Path) -> Layout | None:
    """The file's layout, or ``None`` when no header is found (empty, unreadable, one column)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return None
    encoding = _encoding(head)
    text = head.decode(encoding, errors="ignore")
    lines = text.splitlines()[:MAX_TITLE_LINES + 1]
    for k, line in enumerate(lines):
        counts = {d: len(next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS}
        delim = max(DELIMITERS, key=lambda d: counts[d])  # ties: the earlier delimiter
        if counts[delim] < MIN_COLUMNS:
            continue
        rest = text.split("\n", k)[-1] if k else text  # from the header line on
        rows = _rows(rest, delim, 2)
        header = tuple(rows[0]) if rows else tuple(next(csv.reader([line], delimiter=delim)))
        second = rows[1] if len(rows) > 1 else []
        hxl = any(c.strip() for c in second) and all(c.strip().startswith("#") for c in second if c.strip())
        names = tuple(h.strip().lower() or f"_unnamed_{i}" for i, h in enumerate(header))
        return Layout(Path(path), encoding, delim, k, header, names, bool(hxl))
    return None


def read(layout: Layout):
    """Every column as text (pyarrow, empty cells as ''), ``(table, bad_rows)``: rows with the
    wrong number of fields are skipped and returned (pyarrow's row objects)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list = []

    def on_invalid(row):
        bad.append(row)
        return "skip"

    def go(newlines: bool):
        # Without newlines in quoted values pyarrow parses blocks in parallel (about 2.5x faster);
        # a row that then looks broken may be a note with a line break: read again allowing them.
        return pacsv.read_csv(
            layout.path,
            read_options=pacsv.ReadOptions(use_threads=not newlines, block_size=1 << 20,
                                           skip_rows=layout.title_lines + 1, column_names=list(layout.names),
                                           skip_rows_after_names=int(layout.hxl),
                                           encoding="utf8" if layout.encoding.startswith("utf-8") else layout.encoding),
            parse_options=pacsv.ParseOptions(delimiter=layout.delimiter, newlines_in_values=newlines,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in layout.names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        table = go(False)
    except pa.ArrowInvalid:
        bad.append(None)
    if bad:
        bad.clear()
        table = go(True)
    return table, bad

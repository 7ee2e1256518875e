"""Notebook conventions (docs/CONVENTIONS.md) that a reviewer would otherwise check by eye."""
import re

import nbformat
import papermill
import pytest

from briefing import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_notebooks_are_numbered_and_present():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cells_document_and_parameterise(path):
    nb = nbformat.read(str(path), as_version=4)
    first, second = nb.cells[0], nb.cells[1]
    assert first.cell_type == "markdown" and "nb-only" in first.metadata.get("tags", [])
    for word in ("Inputs", "Outputs", "Parameters"):
        assert word in first.source, f"{path.name}: first cell lacks '{word}'"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [second], f"{path.name}: the second cell must be the only 'parameters' cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_sees_every_common_parameter(path):
    # A quote or '=' in a parameter's comment makes papermill skip the line silently.
    declared = papermill.inspect_notebook(str(path))
    assert {"data_dir", "as_of", "figures_dir"} <= set(declared), f"{path.name}: papermill sees {sorted(declared)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_stay_thin(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert "print(" not in cell.source, f"{path.name}: use the render helpers, not print()"
        assert len(cell.source.splitlines()) <= 12, f"{path.name}: a code cell of {len(cell.source.splitlines())} lines belongs in the package"
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    figs = re.findall(r'"(fig\d)_', "".join(c.source for c in code))
    assert all(f == f"fig{int(path.stem[:2])}" for f in figs), f"{path.name}: figure names must start with fig{int(path.stem[:2])}_"


def test_no_checkpoints_committed():
    assert not list(paths.ROOT.glob("**/.ipynb_checkpoints/*.ipynb"))

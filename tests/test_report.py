"""The report assembler: tag routing, no code, atomic writes, determinism."""
import datetime as dt
import re

import nbformat
import pytest

from briefing import report
from briefing.errors import BriefingError

CONTEXT = {
    "as_of": "2017-11-17", "as_of_date": dt.date(2017, 11, 17), "as_of_long": "17 November 2017",
    "period": "July 2017 to 17 November 2017", "data_version": "abc123def456", "data_dir": "data",
    "n_sources": 5, "n_independent": 4, "package_version": "test", "title": "Test briefing",
    "short_title": "Test", "region": "Syria and Iraq", "has_quotes": True, "n_events": 30,
    "counts": {"events": "30 coded events", "sources": "5 news articles", "independent": "4 independent reports"},
}


def make_notebook(path, error=False):
    nb = nbformat.v4.new_notebook()
    c = nbformat.v4.new_code_cell
    m = nbformat.v4.new_markdown_cell
    nb.cells = [
        m("# 02 · Inputs and outputs", metadata={"tags": ["nb-only"]}),
        c("data_dir = 'data'", metadata={"tags": ["parameters"]}),
        m("## Chronology\n\nNarrative *text*."),
        c("SECRET_CODE = 1", outputs=[nbformat.v4.new_output("stream", name="stdout", text="noise")]),
        c("web()", metadata={"tags": ["web-only"]},
          outputs=[nbformat.v4.new_output("display_data", data={"text/html": "<div class='webmap'>MAP</div>", "text/plain": "map"})]),
        c("static()", metadata={"tags": ["print-only"]},
          outputs=[nbformat.v4.new_output("display_data", data={"text/html": "<p>STATIC</p>", "text/plain": "static"})]),
        c("x", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "'plain repr'"}, execution_count=1)]),
    ]
    if error:
        nb.cells.append(c("boom", outputs=[nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])]))
    nbformat.write(nb, str(path))
    return path


def test_routing_and_no_code(tmp_path):
    nb = make_notebook(tmp_path / "02_x.ipynb")
    web = report.render([nb], "web", CONTEXT)
    printed = report.render([nb], "print", CONTEXT)
    for doc in (web, printed):
        assert "SECRET_CODE" not in doc and "noise" not in doc and "plain repr" not in doc
        assert "Inputs and outputs" not in doc and "data_dir" not in doc
        assert 'id="02-chronology"' in doc and "<em>text</em>" in doc
        assert "Make this Notebook Trusted" not in doc
    assert "MAP" in web and "STATIC" not in web
    assert "STATIC" in printed and "MAP" not in printed


def test_error_output_fails_build(tmp_path):
    nb = make_notebook(tmp_path / "02_x.ipynb", error=True)
    with pytest.raises(BriefingError, match="holds an error"):
        report.render([nb], "web", CONTEXT)


def test_failed_build_leaves_previous_report(tmp_path, monkeypatch):
    html, pdf = tmp_path / "r" / "briefing.html", tmp_path / "r" / "briefing.pdf"
    html.parent.mkdir()
    html.write_text("OLD"), pdf.write_text("OLD")
    nb = make_notebook(tmp_path / "02_x.ipynb", error=True)
    with pytest.raises(BriefingError):
        report.build([nb], facts=CONTEXT, html_path=html, pdf_path=pdf)
    assert html.read_text() == "OLD" and pdf.read_text() == "OLD"
    assert sorted(p.name for p in html.parent.iterdir()) == ["briefing.html", "briefing.pdf"]


def test_build_is_byte_identical(tmp_path, monkeypatch):
    nb = make_notebook(tmp_path / "02_x.ipynb")
    outs = []
    for run in ("a", "b"):
        html, pdf = tmp_path / run / "b.html", tmp_path / run / "b.pdf"
        report.build([nb], facts=CONTEXT, html_path=html, pdf_path=pdf)
        outs.append((html.read_bytes(), pdf.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][1].startswith(b"%PDF")


def test_data_table_links_its_csv_on_screen_only(tmp_path):
    """A table made with render.data_table writes its CSV beside the figures (formula-safe, like a
    figure's) and the HTML briefing links exactly those bytes; the print form has no link."""
    import base64
    import re

    import pandas as pd

    from briefing import render

    frame = pd.DataFrame({"Place": ["<script>alert(1)</script>", "=HYPERLINK(\"x\")"], "Events": [1, 2]})
    out = render.data_table(frame, "fig9_test_table", tmp_path / "figs", caption="Two rows")
    written = (tmp_path / "figs" / "fig9_test_table.csv").read_bytes()
    assert written.splitlines()[2].startswith(b'"\'=HYPERLINK')  # formula-safe, as figures' CSVs
    bundle, meta = out._repr_mimebundle_()
    assert "base64" not in bundle["text/html"]  # the notebook's HTML stays light
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output(
        "display_data", data=bundle, metadata=meta)])]
    path = tmp_path / "03_t.ipynb"
    nbformat.write(nb, str(path))
    web, printed = report.notebook_body(path, "web"), report.notebook_body(path, "print")
    link = re.search(r'<a class="csv" download="fig9_test_table.csv" href="data:text/csv;charset=utf-8;base64,([^"]+)"', web)
    assert link and base64.b64decode(link.group(1)) == written
    assert "<script>" not in web and "&lt;script&gt;" in web
    assert 'class="csv"' not in printed and "Two rows" in printed


def test_header_counts_agree_with_their_nouns(tmp_path):
    """The header's counts come from the facts in words (overview.facts → words.count): "1 news
    article", "1 independent report", "1 coded event"; the template adds no plural of its own."""
    from briefing import words

    def ctx(**kw):
        c = {**CONTEXT, **kw}
        c["counts"] = {"events": words.count(c["n_events"], "coded event"),
                       "sources": words.count(c["n_sources"], "news article"),
                       "independent": words.count(c["n_independent"], "independent report")}
        return c

    nb = make_notebook(tmp_path / "02_x.ipynb")
    one = report.render([nb], "web", ctx(n_sources=1, n_independent=1))
    assert "the 1 news article published" in one and "(1 independent report)" in one
    many = report.render([nb], "web", ctx())
    assert "the 5 news articles published" in many and "(4 independent reports)" in many
    coded = report.render([nb], "web", ctx(has_quotes=False, n_events=1))
    assert re.search(r"a dataset of 1 coded event\W", coded)

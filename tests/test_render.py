import pandas as pd
import pytest

from briefing import figures, render

XSS = "<img src=x onerror=alert(1)>"


def test_table_escapes_every_cell_and_header():
    out = render.table(pd.DataFrame({"place<": [XSS], "n": [1]}))
    bundle, _ = out._repr_mimebundle_()
    assert "<img" not in bundle["text/html"].replace("<img src", "")  # no live tag at all
    assert "&lt;img src=x onerror=alert(1)&gt;" in bundle["text/html"]
    assert "place&lt;" in bundle["text/html"]


def test_markdown_escapes_values_not_template():
    bundle, _ = render.markdown("**{name}** fell", name=XSS)._repr_mimebundle_()
    assert bundle["text/markdown"] == "**&lt;img src=x onerror=alert(1)&gt;** fell"


def test_protect_formulas_only_touches_text():
    df = pd.DataFrame({"t": ["=1+1", "+x", "-y", "@z", "ok"], "n": [-1, 2, 3, 4, 5]})
    out = figures.protect_formulas(df)
    assert list(out["t"]) == ["'=1+1", "'+x", "'-y", "'@z", "ok"]
    assert list(out["n"]) == [-1, 2, 3, 4, 5]


def test_figure_files_are_byte_identical_on_rebuild(tmp_path):
    import matplotlib.pyplot as plt

    def draw(folder):
        figures.use_style()
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([1, 2, 3], [3, 1, 2])
        ax.set_title("test")
        return figures.save(fig, "fig_test", pd.DataFrame({"x": [1, 2, 3]}), folder)

    draw(tmp_path / "a")
    draw(tmp_path / "b")
    for ext in ("png", "svg", "csv"):
        assert (tmp_path / "a" / f"fig_test.{ext}").read_bytes() == (tmp_path / "b" / f"fig_test.{ext}").read_bytes()


def test_narrow_bars_escapes_and_scales():
    """A bar chart's phone form: data text escaped, marks to the chart's scale, colours only
    from the palette (never data)."""
    from briefing.render import Bar, narrow_bars

    out = narrow_bars("T<", [Bar("<img src=x>", "est. 350,000", "who *says*", end=350_000, colour="#8a1c1c"),
                             Bar("range", "2,500–3,500", start=2_500, end=3_500),
                             Bar("dot", "1,500", start=1_500)], 400_000, "Full width: 400,000")
    assert "<img" not in out and "&lt;img src=x&gt;" in out and "&lt;" in out.split("</p>")[0]
    assert "who &#42;says&#42;" in out
    assert "left:0.00%;width:87.50%" in out  # 350,000 of 400,000
    assert "left:0.62%;width:0.25%" in out    # 2,500–3,500
    assert 'class="nb-dot" style="--c:#1a1a1a;left:0.38%"' in out
    assert out.count('class="nb-row"') == 3
    with pytest.raises(ValueError):
        narrow_bars("t", [Bar("a", "1", end=1, colour="red;background:url(x)")], 10, "")


def test_multiline_cells_escape_each_line():
    out = render.table(pd.DataFrame({"Date": ["undated;\n<b>reported</b>"], "x": ["a\nb"]}), multiline_cols=("Date",))
    html, plain = out.bundle["text/html"], out.bundle["text/plain"]
    assert "undated;<br>&lt;b&gt;reported&lt;/b&gt;" in html
    assert ">a b<" in html  # not a multiline column: the break is a space (esc)
    assert "undated; <b>reported</b>" in plain and "\n<b>" not in plain

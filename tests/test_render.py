import pandas as pd

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

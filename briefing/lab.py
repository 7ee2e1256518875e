"""JupyterLab niceties: the briefing's look inside Lab, and one-line errors instead of tracebacks.

Nothing here changes what the build writes: the briefing takes its CSS from
``templates/briefing.css`` and skips ``nb-only`` cells, which is where :func:`style` is called.

* :func:`style` — a ``<style>`` block with the briefing's screen rules for what the notebooks
  output (tables, the key-figures box, badges, call-outs, the map), each rule scoped to Lab's
  output area so the rest of Lab is untouched. Lab applies it once the cell has run (it does not
  run the styles of a saved notebook it does not trust).
* :func:`install_ipython_hooks` — called when :mod:`briefing` is imported inside IPython (a
  Jupyter kernel): a :class:`briefing.errors.BriefingError` (a bad parameter, a data error) is
  shown as its one line, ``error: …``, without the frames of package code that lead to it. The
  error is still an error: the cell fails, execution stops, and papermill (the build) still gets
  its name and message.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

CSS = Path(__file__).with_name("templates") / "briefing.css"
# Selectors of the rules that style notebook outputs (everything else styles the page).
OUTPUT_SELECTORS = ("table.data", ".table-caption", ".keyfig", ".badge", ".callout", ".small", ".webmap",
                    "figure.figure", "figcaption")
SCOPE = ".jp-OutputArea-output"


def _drop_at_rules(text: str) -> str:
    """The sheet without its ``@media``/``@page`` blocks (their rules are for narrow screens and
    print; flattened, they would apply everywhere)."""
    out, i = [], 0
    while (j := text.find("@", i)) != -1:
        out.append(text[i:j])
        k = text.find("{", j)
        if k == -1:
            return "".join(out)
        depth, k = 1, k + 1
        while depth and k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        i = k
    out.append(text[i:])
    return "".join(out)


def lab_css() -> str:
    """The briefing's screen rules for notebook outputs, scoped to Lab's output area (wide-screen
    rules only: Lab's output area is a desktop column)."""
    text = _drop_at_rules(re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S))
    out = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", text, flags=re.S)):
        selectors = " ".join(selectors.split())
        if selectors == ":root":  # the colour variables, on the output area instead of the page
            out.append(f"{SCOPE} {{ {' '.join(body.split())} }}")
            continue
        parts = [s.strip() for s in selectors.split(",")]
        kept = [s for s in parts if s.startswith(OUTPUT_SELECTORS)]
        if kept:
            out.append(", ".join(f"{SCOPE} {s}" for s in kept) + f" {{ {' '.join(body.split())} }}")
    # Key figures and table text in the briefing's sans face (a shared rule in the sheet).
    out.append(f"{SCOPE} .keyfigs, {SCOPE} table.data {{ font-family: \"DejaVu Sans\", \"Helvetica Neue\", Arial, sans-serif; }}")
    return "\n".join(out)


class _Style:
    def _repr_mimebundle_(self, include=None, exclude=None):
        markup = f'<style data-briefing="lab">\n{lab_css()}\n</style>'
        return {"text/html": markup, "text/plain": "(briefing styles for JupyterLab)"}, {}


def style() -> _Style:
    """Display this (in an ``nb-only`` cell) to style the notebook's outputs as the briefing does."""
    return _Style()


# --------------------------------------------------------------------------- one-line errors
def _one_line(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: the error's one line, red, instead of a traceback.
    IPython ignores what a handler returns, so the handler shows it itself (in a kernel this
    publishes the cell's error output, with the exception's name and message as usual)."""
    stb = [f"\x1b[31merror:\x1b[0m {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def install_ipython_hooks() -> None:
    """Register :func:`_one_line` for :class:`BriefingError` in the running IPython, if any."""
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:  # not in a kernel or IPython shell: nothing to do, nothing imported
        return
    try:
        shell = ipython_module.get_ipython()
    except Exception:  # pragma: no cover - a half-imported IPython
        return
    if shell is None or getattr(shell, "_briefing_hooks", False):
        return
    from .errors import BriefingError

    shell.set_custom_exc((BriefingError,), _one_line)
    shell._briefing_hooks = True

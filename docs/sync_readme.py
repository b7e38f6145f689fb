"""Copy the simulated answer of notebook 10 into the README (between its markers).

The README's short answer has two parts: the published evidence (``ls.short_answer()``,
between ``<!-- short-answer:start/end -->``) and what the simulation adds, taken verbatim from
the findings of ``notebooks/10_coping_without_drugs.ipynb`` (items 3 to 5), between
``<!-- simulated-answer:start/end -->``.  Run after re-executing the notebook (``make figures``
runs it); ``tests/test_readme.py`` checks that the two agree.
"""

from __future__ import annotations

import pathlib
import re

import nbformat

from lupusstats.cli.report import findings_markdown

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "10_coping_without_drugs.ipynb"
ITEMS = ("3.", "4.", "5.")
START, END = "<!-- simulated-answer:start -->", "<!-- simulated-answer:end -->"
LEAD = "**What the simulation adds** (notebook 10, rendered from its run):"


def simulated_answer() -> str:
    """The README block: the lead line and findings items 3-5 of notebook 10, as rendered."""
    findings = findings_markdown(nbformat.read(NOTEBOOK, as_version=4))
    lines = [line for line in findings.splitlines() if line.startswith(ITEMS)]
    return "\n".join([LEAD, "", *lines])


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = f"{START}\n{simulated_answer()}\n{END}"
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    readme.write_text(new, encoding="utf-8")
    print("README.md: simulated answer updated" if new != text else "README.md: unchanged")


if __name__ == "__main__":
    main()

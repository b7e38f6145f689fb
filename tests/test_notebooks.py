"""Notebooks whose every sentence stays true.

Two checks, on every notebook in ``notebooks/``:

* **No typed-in results.**  A number a sentence states is computed in the run and
  rendered by the notebook's ``findings`` cell (a code cell tagged ``findings`` that
  displays ``IPython.display.Markdown`` built from computed values), so it stays true
  when a reader changes the ``parameters`` cell.  Markdown cells may hold digits only
  where they are not results: years and citation details, confidence levels (95%),
  list and section numbers, names that contain digits (SRI-4, CD19, NB2, 2x2),
  notebook references, formulas in ``$...$``, code spans and links.
* **Another seed.**  Each notebook runs with a second ``SEED`` (and a second
  ``PRESET`` where it takes one), without error, and its findings cell renders.
"""

from __future__ import annotations

import pathlib
import re

import nbformat
import pytest

from lupusstats.cli.report import FINDINGS_TAG, execute_notebook, findings_markdown, notebook_parameters

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]

# What a digit may belong to in prose (removed before looking for digits), in this order.
_NOT_RESULTS = [
    r"```.*?```",  # code blocks
    r"`[^`]*`",  # code spans
    r"\$\$.*?\$\$",  # display math
    r"\$[^$]*\$",  # inline math
    r"\]\([^)]*\)",  # link targets
    r"https?://\S+",  # bare URLs
    r"<[^>]+>",  # HTML tags
    r"\b(?:doi|DOI|PMID|NCT)[:\s]*[\w./-]+",  # identifiers
    r"\b\d{4};\s*\d+(?:\(\d+\))?:\s*[\w-]+",  # citation "2024;390:687-700"
    r"\b\d+\s*\(\d+\):\s*[\w-]+",  # citation "93(6): 1-43"
    r"\b(?:19|20)\d{2}[a-z]?\b",  # years
    r"\b(?:90|95|99(?:\.9)?)\s?%",  # confidence levels
    r"(?m)^\s*(?:#+\s*)?\d+[.)]\s",  # list and section numbers
    r"(?m)^\s*#+\s*\d+(?:\.\d+)*\b",  # numbered headings
    r"\(\d+\)",  # numbered references in prose: "finding (2)"
    r"\b[A-Za-z][A-Za-z]*-?\d+[\w.]*",  # names with digits: SRI-4, CD19, NB2, BILAG-2004, E9
    r"\b\d+x\d+\b",  # 2x2
    r"\b0\d_\w+",  # notebook file names
    r"\b[Nn]otebooks?\s+0?\d(?:\s*(?:,|and|-|–)\s*0?\d)*",  # "notebook 05", "notebooks 02 and 03"
]


def _markdown_digits(text: str) -> list[str]:
    """The digit runs of `text` that remain once every allowed kind of digit is removed."""
    for pattern in _NOT_RESULTS:
        text = re.sub(pattern, " ", text, flags=re.S)
    return re.findall(r"[^\s]*\d[^\s]*", text)


def test_markdown_digit_rule_catches_typed_results():
    assert _markdown_digits("The rate ratio is 0.73 (95% CI 0.55-0.97).") == ["0.73", "0.55-0.97)."]
    assert _markdown_digits("Power was 81% with 269 per arm.") == ["81%", "269"]
    allowed = (
        "# 2. Results\n1. SRI-4 and BICLA (Furie et al., N Engl J Med 2020;382:211-21), 95% CI, "
        "`n = 185`, $\\alpha = 0.05$, notebook 05, CD19 CAR-T, a 2x2 table, finding (2), "
        "[paper](https://doi.org/10.1056/NEJMoa1912196)."
    )
    assert _markdown_digits(allowed) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_typed_in_results_in_markdown(path):
    nb = nbformat.read(path, as_version=4)
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            digits = _markdown_digits(cell.source)
            if digits:
                found[i] = digits
    assert not found, (
        f"{path.name}: markdown cells state numbers typed by hand (cell index: digits): {found}. Compute them and "
        f"render them in the `{FINDINGS_TAG}` cell (IPython.display.Markdown), or in a code cell's output."
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_findings_cell_is_rendered_from_the_run(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if FINDINGS_TAG in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", f"{path.name}: needs one code cell tagged findings"
    assert findings_markdown(nb).strip(), f"{path.name}: the committed findings cell has no Markdown output"
    assert "NBVAL_CHECK_OUTPUT" in tagged[0].source, f"{path.name}: nbval must check the findings cell"


def _second_parameters(defined: dict[str, str]) -> dict:
    """Another SEED, and another PRESET where the notebook takes one."""
    params = {}
    if "SEED" in defined:
        params["SEED"] = int(defined["SEED"]) + 1
    if "PRESET" in defined:
        default = defined["PRESET"].strip("\"'")
        params["PRESET"] = "refractory" if default != "refractory" else "general_cohort"
    return params


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_with_another_seed_and_findings_render(path, tmp_path):
    params = _second_parameters(notebook_parameters(nbformat.read(path, as_version=4)))
    nb, applied, _, error = execute_notebook(path, parameters=params, timeout=300, cwd=path.parent)
    assert error is None, f"{path.name} with {applied}: {error}"
    assert applied == params
    assert findings_markdown(nb).strip(), f"{path.name} with {applied}: the findings cell rendered nothing"

"""The notebook report: findings and figures found, parameters injected only where defined, failures reported."""

from __future__ import annotations

import base64
import json

import nbformat
import pytest

from lupusstats.cli import main
from lupusstats.cli import report as R

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source, *tags in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


def _png_output(data: bytes):
    return nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(data).decode()})


# ------------------------------------------------------------------------------ findings and figure


def test_summary_is_the_first_paragraph_after_the_title():
    nb = _notebook(("md", "# A title\n\nThe findings, on\ntwo lines.\n\nMore text."), ("code", "x = 1"))
    assert R.title_and_summary(nb) == ("A title", "The findings, on\ntwo lines.")


def test_summary_adds_the_findings_to_a_question_paragraph():
    nb = _notebook(
        ("md", "# T"),
        ("md", "**Question.** Why?\n\nBackground.\n\n**Findings.** Because."),
        ("code", "x = 1"),
        ("md", "**Findings** elsewhere"),
    )
    assert R.title_and_summary(nb) == ("T", "**Question.** Why?\n\n**Findings.** Because.")
    together = _notebook(("md", "# T\n\n**Question.** Why? **Findings.** Because.\n\nNext."))
    assert R.title_and_summary(together)[1] == "**Question.** Why? **Findings.** Because."


def test_summary_without_title_or_paragraph():
    assert R.title_and_summary(_notebook(("code", "x = 1"))) == ("", "")
    assert R.title_and_summary(_notebook(("md", "# Only a title"), ("code", "1"))) == ("Only a title", "")


def test_main_figure_prefers_the_tagged_cell():
    first, second = _PNG, _PNG + b"second"
    nb = _notebook(("code", "a"), ("code", "b"), ("code", "c"))
    assert R.main_figure(nb) is None
    nb.cells[0].outputs = [_png_output(first)]
    nb.cells[1].outputs = [_png_output(second)]
    assert R.main_figure(nb) == first
    nb.cells[1].metadata["tags"] = [R.FIGURE_TAG]
    assert R.main_figure(nb) == second


# ------------------------------------------------------------------------------ parameters


def test_parameters_are_read_from_the_tagged_cell():
    nb = _notebook(
        ("code", "%matplotlib inline\nSEED = 1  # seed\nN_PER_ARM: int = 50\nA, B = 1, 2\nx += 1", "parameters")
    )
    assert R.notebook_parameters(nb) == {"SEED": "1", "N_PER_ARM": "50"}
    assert R.notebook_parameters(_notebook(("code", "SEED = 1"))) == {}


def test_only_defined_parameters_are_injected_after_the_parameters_cell():
    nb = _notebook(("md", "# T"), ("code", "SEED = 1\nN = 5", "parameters"), ("code", "print(SEED)"))
    applied, skipped = R.inject_parameters(nb, {"SEED": 3, "PRESET": "refractory"})
    assert applied == {"SEED": 3} and skipped == ["PRESET"]
    injected = nb.cells[2]
    assert injected.metadata["tags"] == [R.INJECTED_TAG]
    assert "SEED = 3" in injected.source and "PRESET" not in injected.source
    assert nb.cells[3].source == "print(SEED)"
    untouched = _notebook(("code", "x = 1"))
    assert R.inject_parameters(untouched, {"SEED": 3}) == ({}, ["SEED"])
    assert len(untouched.cells) == 1
    assert R.inject_parameters(untouched, None) == ({}, [])


# ------------------------------------------------------------------------------ executing and the index


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two tiny notebooks (one fails on purpose) built into a report with SEED and PRESET given."""
    folder = tmp_path_factory.mktemp("nbs")
    good = _notebook(
        ("md", "# Good notebook\n\nIt **works**: the seed is printed."),
        ("code", "SEED = 1", "parameters"),
        ("code", "print('seed is', SEED)"),
        (
            "code",
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1], [0, SEED])\n"
            "plt.xlabel('x'); plt.ylabel('y');",
            R.FIGURE_TAG,
        ),
    )
    bad = _notebook(
        ("md", "# Bad notebook\n\nFails on purpose."),
        ("code", "PRESET = 'x'", "parameters"),
        ("code", "raise RuntimeError('broken on purpose')"),
        ("code", "print('never')"),
    )
    nbformat.write(good, folder / "01_good.ipynb")
    nbformat.write(bad, folder / "02_bad.ipynb")
    before = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
    lines = []
    result = R.build_report(
        sorted(folder.glob("*.ipynb")),
        folder / "out",
        parameters={"SEED": 7, "PRESET": "refractory"},
        timeout=120,
        progress=lines.append,
    )
    return folder, result, before, lines


def test_report_pages_thumbnails_and_index(built):
    folder, result, before, lines = built
    out = folder / "out"
    good, bad = result.entries
    assert good["status"] == "ok" and good["parameters"] == {"SEED": 7} and good["not_parameters"] == ["PRESET"]
    assert (out / "01_good.html").exists() and (out / "01_good.png").read_bytes()[:4] == b"\x89PNG"
    page = (out / "01_good.html").read_text()
    assert "seed is 7" in page  # the injected value was used
    index = result.index.read_text()
    assert "Good notebook" in index and "<strong>works</strong>" in index
    assert 'href="01_good.html"' in index and 'src="01_good.png"' in index
    assert "SEED = 7" in index and "PRESET not a parameter of this notebook" in index
    assert good["seconds"] > 0 and len(lines) == 2 and "01_good.ipynb" in lines[0]
    meta = json.loads((out / "index.json").read_text())
    assert meta["parameters"] == {"SEED": 7, "PRESET": "refractory"} and len(meta["notebooks"]) == 2
    # the committed notebooks are executed as copies, never rewritten
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == before


def test_a_failing_notebook_is_reported_not_hidden(built):
    folder, result, _, lines = built
    bad = result.entries[1]
    assert bad["status"] == "failed"
    assert bad["error"].startswith("cell 3: RuntimeError: broken on purpose")
    assert bad["parameters"] == {"PRESET": "refractory"}
    assert "This notebook failed" in result.index.read_text()
    assert "broken on purpose" in (folder / "out" / "02_bad.html").read_text()
    assert "FAILED" in lines[1]
    assert bad["thumbnail"] is None


def test_report_command(built, capsys):
    folder, *_ = built
    code = main(
        [
            "report",
            "--notebooks",
            str(folder),
            "--out",
            str(folder / "cli"),
            "--only",
            "good",
            "--seed",
            "5",
            "--preset",
            "refractory",
            "--n-per-arm",
            "20",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "1 of 1 notebooks ran" in captured.out
    assert "seed is 5" in (folder / "cli" / "01_good.html").read_text()
    code = main(["report", "--notebooks", str(folder), "--out", str(folder / "cli2"), "--only", "bad"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().splitlines() == [
        "lupusstats report: error: 1 notebook(s) failed: 02_bad (their pages show the error)"
    ]


def test_report_command_errors(tmp_path, capsys):
    assert main(["report", "--notebooks", str(tmp_path / "none")]) == 1
    assert "no notebook folder" in capsys.readouterr().err
    assert main(["report", "--notebooks", str(tmp_path)]) == 1
    assert "no notebooks (*.ipynb)" in capsys.readouterr().err
    nbformat.write(_notebook(("md", "# x")), tmp_path / "a.ipynb")
    assert main(["report", "--notebooks", str(tmp_path), "--only", "zzz"]) == 2
    assert "matches no notebook" in capsys.readouterr().err
    assert main(["report", "--notebooks", str(tmp_path), "--preset", "nope"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err

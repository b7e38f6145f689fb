"""The documentation site: `make docs` builds with no warning and every public name has a page.

The test runs the Makefile target (``make docs DOCS_OUT=<tmp>``): Sphinx with ``-W`` (a warning is
an error) and nitpicky references, so a broken docstring, a reference to a name that does not
exist or a page outside the table of contents fails here.  The notebooks are rendered from their
committed outputs (myst-nb, ``nb_execution_mode = "off"``), so the build takes seconds, not the
minutes of executing them.  ``VENV`` is the environment running the tests and ``-o <stamp>`` keeps
make from reinstalling it.  The output goes to a temporary folder; only the generated API stubs
(``docs/api/``, ignored by git) are written into the source tree.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import lupusstats as ls

ROOT = pathlib.Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="`make docs` needs make")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("docs")
    stamp = pathlib.Path(sys.prefix) / ".installed"
    command = ["make", "-s", "-o", str(stamp), "docs", f"VENV={sys.prefix}", f"DOCS_OUT={out}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"make docs failed (warnings are errors):\n{run.stdout}\n{run.stderr}"
    assert "WARNING" not in run.stderr and "ERROR" not in run.stderr, run.stderr
    return out / "html"


def _text(page: pathlib.Path) -> str:
    return page.read_text(encoding="utf-8")


def test_every_public_name_has_a_page(site):
    missing = []
    for name in ls.__all__:
        page = site / "api" / "generated" / f"lupusstats.{name}.html"
        # the page documents the object itself (its anchor), not just a title
        if not page.is_file() or not re.search(rf'id="(module-)?lupusstats\.{re.escape(name)}"', _text(page)):
            missing.append(name)
    assert not missing, f"no API page documenting: {missing}"
    index = _text(site / "api" / "index.html")
    assert all(f"lupusstats.{name}.html" in index for name in ls.__all__)


def test_docstring_sections_are_rendered(site):
    # numpydoc turned the sections into HTML (a raw "Parameters\n----------" would mean it did not)
    page = _text(site / "api" / "generated" / "lupusstats.compare_rates.html")
    assert 'class="field-list' in page and "Examples" in page and "----------" not in page
    # a constant carries the ``#:`` comment of its definition, not the docstring of its type
    page = _text(site / "api" / "generated" / "lupusstats.RATE_MODELS.html")
    assert "Models understood by" in page and "Built-in immutable sequence" not in page


def test_notebooks_are_rendered_with_their_committed_outputs(site):
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        page = _text(site / "notebooks" / f"{path.stem}.html")
        title = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")["source"]
        words = re.findall(r"[A-Za-z]+", "".join(title).splitlines()[0])[:4]
        assert re.search(r"\W+".join(words), page), f"{path.name}: title {words} not on the page"
        n_images = sum(
            "image/png" in output.get("data", {})
            for cell in notebook["cells"]
            if cell["cell_type"] == "code"
            for output in cell.get("outputs", [])
        )
        assert page.count("<img") >= n_images, f"{path.name}: {n_images} committed figures not all shown"


def test_guide_data_dictionary_and_validation_pages(site):
    for page in ["getting-started", "user-guide/index", "data-dictionary", "validation", "architecture"]:
        assert (site / f"{page}.html").is_file(), page
    guide = [p.stem for p in (ROOT / "docs" / "user-guide").glob("*.md")]
    assert {"simulator", "rates", "severity", "effects", "evidence", "power"} <= set(guide)
    # the data dictionary is data/README.md itself, so every data file is described on the page
    dictionary = _text(site / "data-dictionary.html")
    assert all(csv.name in dictionary for csv in (ROOT / "data").glob("*.csv"))
    # the getting-started page shows the README's ten-line example (included, not copied)
    assert "simulate_cohort" in _text(site / "getting-started.html")

"""The README: its code runs as printed, its Quick start shows the two commands (and `make lab` beside them)."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_library_example_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert "cohort" in namespace and len(namespace["cohort"].patients) == 555


def test_readme_quick_start_has_the_two_commands_and_lab():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    quick = section.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make report", "make test"]  # exactly the two commands
    assert "`make lab`" in section  # and how to work interactively, beside them


def test_readme_links_resolve():
    # The README is the front page; the rest is in docs/ and data/README.md, linked from it.
    text = (ROOT / "README.md").read_text()
    targets = [t for t in re.findall(r"\]\(([^)#]+)\)", text) if "://" not in t]
    assert "docs/getting-started.md" in targets and "data/README.md" in targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, missing


def test_readme_figures_exist():
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"!\[\]\((docs/figures/[^)]+)\)", text):
        assert (ROOT / target).is_file(), target


def test_simulated_answer_is_notebook_10s_findings():
    """The README's simulated answer is notebook 10's committed findings (items 3-5), word for word."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_readme", ROOT / "docs" / "sync_readme.py")
    assert spec is not None and spec.loader is not None
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(sync.START, 1)[1].split(sync.END, 1)[0].strip()
    expected = sync.simulated_answer()
    assert expected.count("\n") >= 4, "notebook 10's findings lost items 3-5"
    assert block == expected, "README's simulated answer differs from notebook 10: run `python docs/sync_readme.py`"

"""Packaging: environment.yml mirrors pyproject.toml; the public namespace is complete."""

from __future__ import annotations

import inspect
import pathlib
import re
import tomllib

import yaml

import lupusstats as ls

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _normalise(req: str) -> tuple[str, str]:
    req = req.strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    out = {}
    for name, spec in (_normalise(r) for r in reqs):
        if name == "dask[distributed]":
            # conda-forge splits the extra into two packages with the same bounds.
            out["dask"] = out["distributed"] = spec
        else:
            out[name] = spec
    return out


def _conda_requirements() -> tuple[dict[str, str], str, list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip, python = {}, [], ""
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = dep["pip"]
            continue
        name, spec = _normalise(dep)
        if name == "python":
            python = spec
        elif name != "pip":
            conda[name] = spec
    return conda, python, pip


def test_environment_yml_matches_pyproject():
    conda, python, pip = _conda_requirements()
    assert conda == _pyproject_requirements()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == requires
    assert pip == ["-e ."]


def test_environment_yml_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]


# Names whose numpy-style sections are being rewritten with new code: until then
# they need only a docstring.  Empty now; a name added here must be in __all__.
_PENDING: set[str] = set()


def _sections(doc: str) -> set[str]:
    """The numpydoc section headers of `doc` (a title line underlined by dashes)."""
    return set(re.findall(r"^\s*([A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", inspect.cleandoc(doc), flags=re.M))


def _constant_comment(name: str) -> str:
    """The ``#:`` comment (Sphinx autodoc's form for data) above the definition of `name`."""
    pattern = re.compile(rf"^#:\s*(.+)\n{name}\s*(?::[^=\n]+)?=", flags=re.M)
    for path in sorted((ROOT / "lupusstats").rglob("*.py")):
        m = pattern.search(path.read_text())
        if m:
            return m.group(1).strip()
    return ""


def _docstring_problems(name: str) -> list[str]:
    obj = getattr(ls, name)
    if inspect.ismodule(obj):
        # A module (ls.columns, ls.plots) is documented by its own module docstring.
        return [] if (obj.__doc__ or "").strip() else ["no module docstring"]
    if not (inspect.isclass(obj) or callable(obj)):
        # A constant (a tuple or dict such as ls.MEASURES) cannot carry its own
        # docstring -- its __doc__ is that of its type -- so it is documented by
        # a ``#:`` comment above its definition, which Sphinx autodoc reads.
        return [] if _constant_comment(name) else ["no `#:` comment above the constant's definition"]
    doc = obj.__doc__ or ""
    if not doc.strip():
        return ["no docstring"]
    if name in _PENDING:
        return []
    found = _sections(doc)
    problems = []
    if inspect.isclass(obj):
        summary = inspect.cleandoc(doc).splitlines()[0].strip()
        if not summary or summary.endswith(("-", ":")):
            problems.append("no one-line summary")
        if not found & {"Parameters", "Attributes"}:
            problems.append("no Parameters or Attributes section")
        required = ["Examples"]
    else:
        # A function without arguments (e.g. ls.list_presets()) has nothing to
        # list under Parameters, as in numpydoc; every other function must.
        takes_arguments = bool(inspect.signature(obj).parameters)
        required = ["Parameters"] * takes_arguments + ["Returns", "Examples"]
    problems += [f"no {section} section" for section in required if section not in found]
    if "Examples" in found and ">>>" not in doc:
        problems.append("Examples section without a doctest")
    return problems


def test_public_names_exist_and_are_documented():
    assert set(ls.__all__) >= _PENDING, "a pending name left the public namespace; drop it from _PENDING"
    problems = {name: p for name in ls.__all__ if (p := _docstring_problems(name))}
    assert not problems, "\n".join(f"ls.{name}: {', '.join(p)}" for name, p in sorted(problems.items()))


def test_contract_names_present():
    contract = [
        "Arm",
        "Scenario",
        "preset",
        "list_presets",
        "simulate_cohort",
        "simulate_trials",
    ]
    missing = [n for n in contract if n not in ls.__all__]
    assert not missing


def test_plots_loaded_lazily():
    import subprocess
    import sys

    code = "import sys, lupusstats; print('matplotlib' in sys.modules, 'statsmodels' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

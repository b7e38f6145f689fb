"""Packaging: environment.yml mirrors pyproject.toml; the public namespace is complete."""

from __future__ import annotations

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


def test_public_names_exist_and_are_documented():
    for name in ls.__all__:
        obj = getattr(ls, name)
        assert obj.__doc__, f"ls.{name} has no docstring"


def test_contract_names_present():
    contract = [
        "Arm", "Scenario", "preset", "list_presets", "simulate_cohort", "simulate_trials",
    ]
    missing = [n for n in contract if n not in ls.__all__]
    assert not missing


def test_plots_loaded_lazily():
    import subprocess
    import sys

    code = "import sys, lupusstats; print('matplotlib' in sys.modules, 'statsmodels' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

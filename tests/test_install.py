"""`pip install .` (or the wheel) is the whole library, without the notebooks or their tooling.

The README's "Use the library in your own project" promises that the plain install works with only
the runtime dependencies.  The wheel is built from a copy of the source tree, unpacked into a
fresh folder, and the README's ten-line example runs from there with every package of the
``notebooks``, ``docs``, ``test`` and ``dask`` extras made unimportable.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Top-level modules of the optional extras (and of Jupyter underneath them).
EXTRAS_MODULES = [
    "IPython",
    "ipykernel",
    "jupyter_client",
    "jupyter_core",
    "jupyter_server",
    "jupyterlab",
    "nbformat",
    "nbconvert",
    "papermill",
    "sphinx",
    "numpydoc",
    "myst_nb",
    "pytest",
    "hypothesis",
    "dask",
    "distributed",
]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("wheel") is None, reason="building the wheel needs the `wheel` package (test extra)"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", "reports", "__pycache__", ".pytest_cache"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = tmp.glob("lupusstats-*.whl")
    return whl


def test_wheel_holds_the_library_not_the_notebooks(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "lupusstats/__init__.py" in names
    assert any(n.startswith("lupusstats/data/") and n.endswith(".csv") for n in names)
    assert not [n for n in names if n.endswith(".ipynb") or n.startswith(("notebooks/", "docs/", "tests/"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    extras = set(re.findall(r"^Provides-Extra: (\S+)$", text, flags=re.M))
    assert {"notebooks", "dask", "docs", "test"} <= extras
    required = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)[^;\n]*$", text, flags=re.M)
    assert sorted(r.lower() for r in required) == sorted(
        ["numpy", "scipy", "pandas", "statsmodels", "matplotlib", "seaborn", "tqdm"]
    )


def test_readme_example_runs_without_the_extras(wheel, tmp_path):
    site = tmp_path / "site"
    shutil.unpack_archive(wheel, site, format="zip")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", readme, flags=re.S)[0]
    code = textwrap.dedent(f"""
        import importlib.abc, pathlib, sys

        BLOCKED = {EXTRAS_MODULES!r}

        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not a runtime dependency)")
                return None

        sys.meta_path.insert(0, NotInstalled())
        site = pathlib.Path(sys.argv[1]).resolve()
    """)
    code += example
    code += textwrap.dedent("""
        assert pathlib.Path(ls.__file__).resolve().is_relative_to(site), ls.__file__
        assert len(cohort.patients) == 555
        fig = ls.plots.plot_flare_rates(ls.flare_rates(cohort.patients)).figure
        loaded = sorted({m.split(".")[0] for m in sys.modules} & set(BLOCKED))
        print("ok", loaded)
    """)
    run = tmp_path / "elsewhere"
    run.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        cwd=run,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ok []"

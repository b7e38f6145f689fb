"""Sphinx configuration for the lupusstats documentation (``make docs``).

The site is built offline (no intersphinx, no downloads) from

* the pages in this folder (getting started, the user guide by family, the architecture),
* the data dictionary ``data/README.md`` (included, not copied),
* the committed notebooks (``docs/notebooks`` is a link to ``../notebooks``), rendered with their
  committed outputs by myst-nb and never executed,
* the API reference: ``api/index.rst`` is written here, on every build, from
  ``lupusstats.__all__`` (one autosummary table per family, one generated page per public name),
  so a new public name gets its page without anyone editing the docs.  ``api/`` is generated and
  ignored by git.

``make docs`` builds with ``-W`` (a warning is an error), as ``tests/test_docs.py`` does.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import sys
import typing

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the source tree, installed or not

import lupusstats as ls  # noqa: E402

# -- project -------------------------------------------------------------------------------------

project = "lupusstats"
author = "lupusstats developers"
copyright = "lupusstats developers, MIT licence"
release = ls.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "figures", "notebooks/.ipynb_checkpoints", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# -- notebooks: rendered from their committed outputs, never executed ----------------------------

nb_execution_mode = "off"
nb_merge_streams = True
# A widget output (the design explorer) carries a static PNG beside its widget view: the pages show the PNG.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", 1000)]
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

# -- API reference -------------------------------------------------------------------------------

autosummary_generate = True
autosummary_generate_overwrite = True
autosummary_ignore_module_all = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False  # a class page lists its members itself (template)
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# Every cross-reference must resolve (a broken :func:`...` fails the -W build) ...
nitpicky = True
# ... except to the libraries underneath, whose inventories would need the network (the build is
# offline, so there is no intersphinx).
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|scipy|pandas|statsmodels|matplotlib|seaborn|dask|distributed|tqdm)(\..*)?"),
]

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"lupusstats {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_show_sourcelink = False
# Top-level pages without sub-pages get no (empty) section navigation.
html_sidebars = {
    page: [] for page in ["index", "getting-started", "data-dictionary", "validation", "architecture", "benchmarks"]
}

# -- the API pages, written from lupusstats.__all__ ----------------------------------------------

# Sections of the API reference, in reading order: (title, family modules, one-line description).
# A public name is placed by its family (``__module__`` for functions and classes; for modules and
# constants, the family whose ``__all__`` lists it); a name of a family missing here still gets a
# page, under "Other".
API_SECTIONS = [
    ("Scenarios and simulation", ["lupusstats.model"], "Arms, scenarios, presets and the simulators."),
    ("Cohort tables and your own data", ["lupusstats.cohort"], "The two tables, their column names, reading CSVs."),
    ("Flare frequency", ["lupusstats.rates"], "Poisson and negative-binomial rates and rate ratios."),
    ("Flare severity", ["lupusstats.severity"], "Ordinal comparisons, proportional odds, tables."),
    ("Effect sizes and multiplicity", ["lupusstats.effects"], "SMDs, 2×2 measures, NNT, adjusted p-values."),
    ("Time to flare", ["lupusstats.survival"], "Kaplan–Meier, log-rank, Cox, RMST."),
    ("Trial endpoints", ["lupusstats.endpoints"], "SRI-4, BICLA, LLDAS, DORIS, flares, steroid taper, renal response."),
    ("Published evidence and meta-analysis", ["lupusstats.evidence"], "The data sets and escalc/rma."),
    ("Power and sample size", ["lupusstats.power"], "Formulae, simulation and grids."),
    ("Benefits and harms", ["lupusstats.card"], "The effect card."),
    ("Validation", ["lupusstats.calibration"], "Type I error and coverage by simulation."),
    (
        "Calibration to published trials",
        ["lupusstats.fitting"],
        "Presets fitted to published results; held-out checks.",
    ),
    ("Drug-free remission", ["lupusstats.remission"], "Drug-free remission by simulation, with drug withdrawal."),
    ("Plots", ["lupusstats.plots"], "One plot per analysis output (``ls.plots``, imported on first use)."),
    ("Result types", ["lupusstats._core.results", "lupusstats._core"], "What the functions return."),
]


def _family(name: str) -> str:
    """The family module that a public name belongs to."""
    obj = getattr(ls, name)
    if inspect.ismodule(obj):
        return obj.__name__.rsplit(".", 1)[0] if obj.__name__.count(".") > 1 else obj.__name__
    module = getattr(obj, "__module__", None) if (inspect.isclass(obj) or callable(obj)) else None
    if module and module.startswith("lupusstats"):
        return module
    for modules in (m for _, ms, _ in API_SECTIONS for m in ms):
        family = sys.modules.get(modules)
        if family is not None and name in getattr(family, "__all__", ()):
            return modules
    return "other"


def api_sections() -> list[tuple[str, str, list[str]]]:
    """(title, description, names relative to ``lupusstats``) of each section of the API reference."""
    placed: dict[str, list[str]] = {}
    for name in ls.__all__:
        placed.setdefault(_family(name), []).append(name)
    # A name a family exports that the root does not re-export (``lupusstats.card.AssumedEffectWarning``)
    # is documented under its family; ``ls.plots`` is one page of its own.
    for module_name in (m for _, ms, _ in API_SECTIONS for m in ms):
        module = sys.modules.get(module_name)
        if module is None or module_name == "lupusstats.plots" or "._" in module_name:
            continue
        for name in getattr(module, "__all__", ()):
            if getattr(ls, name, None) is not getattr(module, name):
                placed.setdefault(module_name, []).append(f"{module_name.removeprefix('lupusstats.')}.{name}")
    sections = []
    for title, modules, description in [*API_SECTIONS, ("Other", ["other"], "Public names of other families.")]:
        names = sorted((n for m in modules for n in placed.pop(m, [])), key=lambda n: (n.count("."), n))
        if names:
            sections.append((title, description, names))
    return sections


def api_index(sections: list[tuple[str, str, list[str]]]) -> str:
    """The reStructuredText of ``api/index.rst``: one autosummary table per section."""
    lines = [
        ".. This file is written by docs/conf.py from lupusstats.__all__ on every build: do not edit.",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of ``lupusstats`` (``import lupusstats as ls``), grouped by family.  The",
        "list is generated from ``lupusstats.__all__``; each name has a page generated from its",
        "docstring.  How the families fit together is in :doc:`/architecture`.",
        "",
        ".. currentmodule:: lupusstats",
        "",
    ]
    for title, description, names in sections:
        lines += [title, "-" * len(title), "", description, "", ".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {name}" for name in names]
        lines.append("")
    return "\n".join(lines)


def _write_if_changed(path: pathlib.Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


_sections = api_sections()
_write_if_changed(DOCS / "api" / "index.rst", api_index(_sections))

# A page left from a name that is no longer public would be a page outside every toctree (a
# warning): remove the generated pages of names that are not in the reference any more.
_listed = {f"lupusstats.{name}.rst" for _, _, names in _sections for name in names}
for _page in (DOCS / "api" / "generated").glob("*.rst"):
    if _page.name not in _listed:
        _page.unlink(missing_ok=True)

# A public module re-exported under another name (``ls.columns`` is ``lupusstats.cohort.columns``)
# is documented under its public name; autodoc finds its source, and so its ``#:`` comments,
# through ``sys.modules``.
for _name in ls.__all__:
    _obj = getattr(ls, _name)
    if inspect.ismodule(_obj):
        sys.modules.setdefault(f"lupusstats.{_name}", _obj)


# -- constants: autodoc reads the ``#:`` comment where the constant is defined ----------------------


def _constant_comment(name: str) -> list[str]:
    """The ``#:`` comment lines above the definition of `name` in the package (as test_packaging)."""
    import re

    pattern = re.compile(rf"((?:^#:.*\n)+){re.escape(name)}\s*(?::[^=\n]+)?=", flags=re.M)
    for path in sorted((ROOT / "lupusstats").rglob("*.py")):
        m = pattern.search(path.read_text(encoding="utf-8"))
        if m:
            return [line[2:].strip() for line in m.group(1).splitlines()]
    return []


def _document_constants(app, what, name, obj, options, lines):
    # ``lupusstats.MEASURES`` is re-exported: its ``#:`` comment sits in the defining module,
    # which autodoc's analyser of ``lupusstats/__init__.py`` does not see, so autodoc falls back
    # to the docstring of the value's type ("Built-in immutable sequence.").  Use the comment.
    if what in ("data", "attribute") and name.startswith("lupusstats.") and name.count(".") == 1:
        comment = _constant_comment(name.split(".", 1)[1])
        if comment:
            lines[:] = [*comment, ""]


def _resolve_in_package(app, env, node, contnode):
    # Docstrings are written where a name is defined, but the pages document it under its public
    # name (``lupusstats.effect_card``, not ``lupusstats.card.effect_card``): a reference that the
    # page's module does not resolve is looked up by its last components, as a ``.name``
    # reference would be, which succeeds only when exactly one documented object matches.  The
    # docstrings' ``ls.`` prefix (``import lupusstats as ls``) means ``lupusstats.``.
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or node.get("refspecific"):
        return None
    if target.startswith("ls."):
        target = "lupusstats." + target.removeprefix("ls.")
    retry = node.deepcopy()
    retry["refspecific"] = True
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, retry, contnode)


def _drop_generic_bases(app, name, obj, options, bases):
    # ``ConfidenceInterval(NamedTuple, Generic[_Limit])``: the type parameter is for type checkers
    # and is private; "Bases: Generic[_Limit]" would name (and link to) a private TypeVar.
    bases[:] = [base for base in bases if getattr(base, "__origin__", None) is not typing.Generic]


def setup(app):
    app.connect("autodoc-process-bases", _drop_generic_bases)
    app.connect("autodoc-process-docstring", _document_constants)
    app.connect("missing-reference", _resolve_in_package)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

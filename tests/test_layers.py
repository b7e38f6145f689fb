"""The package's one-way import layering, checked on its import graph (grimp) and its source (ast).

The layers, lowest first (docs/architecture.md draws them)::

    _core                                    result classes, argument checks, exports
    cohort                                   table shapes, Cohort, read_cohort
    model | rates severity effects survival evidence endpoints
                                             the simulator beside the analysis families
    power  card  calibration                 compositions of the analyses and the model
    lupusstats (the root namespace)          re-exports every public name
    plots  cli                               figures and application code
    lupusstats.__main__                      ``python -m lupusstats``

A family may import its own modules and the families of lower layers; within one
layer only the edges listed in ``SAME_LAYER`` are allowed.  So the analysis
families never import the model (they take tables, simulated or read) nor one
another, the model never imports an analysis, and nothing below the root imports
the root namespace.  Every forbidden direction is checked for direct imports and
for chains of imports through other modules; imports inside functions count too.

What two families share lives in ``_core``: no module imports a private
(underscore) name or module of another family.  Package imports are at module top
(except the allow-listed lazy ones), so that this graph is the whole picture.
"""

from __future__ import annotations

import ast
import functools
import itertools
import pathlib

import grimp
import pytest

import lupusstats

ROOT = "lupusstats"
PACKAGE_DIR = pathlib.Path(lupusstats.__file__).resolve().parent

# The layers, lowest first.  Each entry: the layer's name (for messages) and its families.
LAYERS = [
    ("core", ["_core"]),
    ("data model", ["cohort"]),
    ("generative model and analyses", ["model", "rates", "severity", "effects", "survival", "evidence", "endpoints"]),
    ("compositions", ["power", "card", "calibration", "fitting", "remission"]),
    ("namespace", [ROOT]),
    ("applications", ["plots", "cli", "explorer"]),
    ("entry point", ["__main__"]),
]
ANALYSES = ["rates", "severity", "effects", "survival", "evidence", "endpoints"]

# Allowed imports between two families of the same layer: (importer, imported) -> why.
SAME_LAYER = {
    ("evidence", "effects"): "effects holds the effect-size kernels that meta-analysis may share",
    ("endpoints", "effects"): "responder analyses reuse the 2x2 effect sizes (risk difference, odds ratio)",
    ("cli", "plots"): "an application may draw figures",
    ("calibration", "power"): "the recurrent-event calibration builds flare tables of simulated trials (trial_tables)",
}

# Imports of the package's own modules that may stay inside a function body: imported module -> why.
LAZY_ALLOWED = {
    "lupusstats.plots": "imports matplotlib; loaded on first use (tests/test_packaging.py::test_plots_loaded_lazily)",
}


def _layer_of(family):
    return next(i for i, (_, families) in enumerate(LAYERS) if family in families)


def _may_import(family):
    """The families that `family` may import (besides itself)."""
    level = _layer_of(family)
    lower = {f for _, families in LAYERS[:level] for f in families}
    return lower | {imported for (importer, imported) in SAME_LAYER if importer == family}


def _family(module):
    """``lupusstats.rates.describe`` -> ``rates``; ``lupusstats.card`` -> ``card``; the root -> ``lupusstats``."""
    parts = module.split(".")
    return ROOT if len(parts) == 1 else parts[1]


FAMILIES = [f for _, families in LAYERS for f in families]


# ----------------------------------------------------------------------------- the import graph


@pytest.fixture(scope="module")
def graph():
    # grimp finds the package the way these tests import it (PYTHONPATH first); no cache written
    return grimp.build_graph(ROOT, cache_dir=None)


def _modules(graph, family):
    if family == ROOT:
        return {ROOT}
    top = f"{ROOT}.{family}"
    return {top} | graph.find_descendants(top) if top in graph.modules else set()


def _chains(graph, importer, imported):
    """Shortest import chains (tuples of modules) from family `importer` to family `imported`."""
    if ROOT not in (importer, imported):
        return graph.find_shortest_chains(
            importer=f"{ROOT}.{importer}", imported=f"{ROOT}.{imported}", as_packages=True
        )
    # the root package contains every module, so compare the root module itself
    chains = set()
    for a in _modules(graph, importer):
        for b in _modules(graph, imported):
            chain = graph.find_shortest_chain(importer=a, imported=b)
            if chain:
                chains.add(tuple(chain))
    return chains


def _describe(graph, chain):
    """One line per import of the chain: ``module:line  statement``."""
    lines = []
    for a, b in itertools.pairwise(chain):
        details = graph.get_import_details(importer=a, imported=b) or [{"line_number": "?", "line_contents": b}]
        for d in details:
            lines.append(f"    {a}:{d['line_number']}  {d['line_contents']}")
    return "\n".join(lines)


def test_contract_is_a_layering():
    """Every family sits in one layer; the same-layer exceptions point one way; analyses never get the model."""
    assert len(FAMILIES) == len(set(FAMILIES))
    for (importer, imported), why in SAME_LAYER.items():
        assert _layer_of(importer) == _layer_of(imported), (importer, imported)
        assert (imported, importer) not in SAME_LAYER, f"{importer} <-> {imported} would be a cycle"
        assert why
    for family in ANALYSES:
        assert "model" not in _may_import(family)
        assert _may_import(family) <= {"_core", "cohort", *ANALYSES}


def test_every_module_belongs_to_a_family(graph):
    """A new subpackage or top-level module must be placed in LAYERS (and in docs/architecture.md)."""
    unplaced = sorted(m for m in graph.modules if _family(m) not in FAMILIES)
    assert not unplaced, f"modules of no family in LAYERS (tests/test_layers.py): {unplaced}"
    gone = [f for f in FAMILIES if not _modules(graph, f)]
    assert not gone, f"families in LAYERS that the package no longer has: {gone}"


@pytest.mark.parametrize("family", FAMILIES)
def test_family_imports_only_lower_layers(graph, family):
    """No import, direct or through a chain of modules, from `family` to a family it may not import."""
    allowed = _may_import(family)
    problems = []
    for other in FAMILIES:
        if other == family or other in allowed:
            continue
        for chain in sorted(_chains(graph, family, other)):
            how = "imports" if len(chain) == 2 else "reaches, through a chain of imports,"
            problems.append(
                f"{chain[0]} {how} {chain[-1]} (forbidden: {family} -> {other}):\n" + _describe(graph, chain)
            )
    if problems:
        layer = LAYERS[_layer_of(family)][0]
        pytest.fail(
            f"{family} ({layer} layer) may import only {', '.join(sorted(allowed)) or 'nothing of the package'}"
            "; see the layers in tests/test_layers.py and docs/architecture.md.\n" + "\n".join(problems),
            pytrace=False,
        )


# ----------------------------------------------------------------------------- the source (ast)


@functools.cache
def _sources():
    """(path, module, is_package, syntax tree) of every module of the package."""
    out = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR.parent)
        module = ".".join(rel.with_suffix("").parts)
        is_package = module.endswith(".__init__")
        if is_package:
            module = module[: -len(".__init__")]
        out.append((path, module, is_package, ast.parse(path.read_text(), filename=str(path))))
    return tuple(out)


def _resolve(node, module, is_package):
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _own(name):
    return name == ROOT or name.startswith(ROOT + ".")


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(name):
    rel = pathlib.Path(*name.split(".")[1:])
    return (PACKAGE_DIR / rel).with_suffix(".py").exists() or (PACKAGE_DIR / rel / "__init__.py").exists()


def _imports(tree):
    """(node, in_function) for every import statement."""

    def walk(node, inside):
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, inside
            yield from walk(child, nested)

    yield from walk(tree, False)


def test_no_private_names_of_another_family():
    """What two families share lives in ``_core``: never ``from lupusstats.<other> import _name``."""
    problems = []
    for path, module, is_package, tree in _sources():
        own = _family(module)
        bound = {}  # local name -> module of another family it is bound to
        for node, _ in _imports(tree):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(node, module, is_package)
                targets = [
                    (f"{source}.{a.name}" if _is_module(f"{source}.{a.name}") else source, a) for a in node.names
                ]
            else:
                targets = [(a.name, a) for a in node.names]
            for target, alias in targets:
                if not _own(target) or _family(target) in (own, "_core"):
                    continue
                parts = target.split(".")[2:] + ([alias.name] if isinstance(node, ast.ImportFrom) else [])
                bad = [p for p in parts if _private(p)]
                if bad:
                    problems.append(f"{module}:{node.lineno}  {ast.get_source_segment(path.read_text(), node)}")
                elif isinstance(node, ast.ImportFrom) and _is_module(target):
                    bound[alias.asname or alias.name] = target
                elif alias.asname:  # import lupusstats.rates as r
                    bound[alias.asname] = target
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and _private(node.attr)
            ):
                problems.append(f"{module}:{node.lineno}  {node.value.id}.{node.attr} ({bound[node.value.id]})")
    if problems:
        pytest.fail(
            "private names of another family (move what two families share to lupusstats._core):\n"
            + "\n".join(problems),
            pytrace=False,
        )


def test_package_imports_at_module_top():
    """No function body imports the package's own modules, except the lazy ones in LAZY_ALLOWED.

    A package import inside a function hides a dependency (and a layering error) until the function
    runs.  Heavy third-party libraries (scipy.stats, statsmodels, matplotlib ...) are imported inside
    the functions that need them, so ``import lupusstats`` stays fast; they are not checked here.
    """
    problems = []
    for path, module, is_package, tree in _sources():
        for node, in_function in _imports(tree):
            if not in_function:
                continue
            if isinstance(node, ast.ImportFrom):
                source = _resolve(node, module, is_package)
                names = [f"{source}.{a.name}" if _is_module(f"{source}.{a.name}") else source for a in node.names]
            else:
                names = [a.name for a in node.names]
            for name in names:
                if _own(name) and not any(name == lazy or name.startswith(lazy + ".") for lazy in LAZY_ALLOWED):
                    problems.append(f"{module}:{node.lineno}  {ast.get_source_segment(path.read_text(), node)}")
    if problems:
        pytest.fail(
            "package imports inside a function body (move them to the module top, or allow-list them in "
            "LAZY_ALLOWED of tests/test_layers.py with the reason):\n" + "\n".join(problems),
            pytrace=False,
        )


# ------------------------------------------------------------------------------------------ plots take outputs


@pytest.mark.parametrize("name", sorted(__import__("lupusstats.plots", fromlist=["__all__"]).__all__))
def test_plot_first_argument_is_a_lupusstats_output(name):
    """The plots rule (lupusstats/plots/__init__.py): the first argument is the output of one function."""
    import inspect

    from lupusstats import plots

    func = getattr(plots, name)
    first = next(iter(inspect.signature(func).parameters))
    doc = inspect.getdoc(func) or ""
    assert "Parameters" in doc, f"{name}: no Parameters section"
    section = doc.split("Parameters\n----------\n", 1)[1]
    entry = section.split("\n")[0]
    assert entry.split(" : ")[0].split(",")[0].strip() == first, f"{name}: first documented parameter is not {first!r}"
    description = section.split("\n", 1)[1].split("\n\n")[0]
    described = description.split("\n")[0:3]
    assert ":func:`lupusstats." in " ".join(described), (
        f"{name}: the description of `{first}` must name the lupusstats function whose output it takes"
    )

"""Execute the notebooks headless and write an HTML report (``make report``, ``lupusstats report``).

For every notebook: execute a copy (the committed notebook is not changed),
optionally with parameters, write ``<out>/<name>.html`` (nbconvert's lab
template, figures embedded) and ``<out>/<name>.png`` (the main figure), then
``<out>/index.html``: one card per notebook with its title, its findings
paragraph (the first paragraph after the ``# Title``), the thumbnail, the
parameters used and the run time; ``<out>/index.json`` holds the same.

Parameters follow papermill's convention: the code cell tagged ``parameters``
holds the defaults and a cell tagged ``injected-parameters`` is inserted after
it.  A name is injected only into notebooks whose parameters cell assigns it,
so ``SEED`` reaches every notebook and ``PRESET`` only those that have one.

The main figure is the first PNG output of a cell tagged ``report-figure``, or
else the notebook's first PNG output.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import datetime
import html
import json
import pathlib
import sys
import time
from typing import Any, cast

from lupusstats import __version__
from lupusstats.cli.files import atomic_write_bytes

__all__ = [
    "ReportResult",
    "build_report",
    "execute_notebook",
    "findings_markdown",
    "inject_parameters",
    "main_figure",
    "notebook_parameters",
    "title_and_summary",
]

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
#: Tag of the code cell whose rendered Markdown output states a notebook's findings, computed in the run.
FINDINGS_TAG = "findings"
FIGURE_TAG = "report-figure"


@dataclasses.dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote: the index page, one entry per notebook, total seconds."""

    index: pathlib.Path
    entries: list
    seconds: float


def _parameters_cell(nb):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return i, cell
    return None, None


def notebook_parameters(nb) -> dict[str, str]:
    """Names assigned at top level of the ``parameters`` cell, with their default's source text."""
    _, cell = _parameters_cell(nb)
    if cell is None:
        return {}
    source = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = ast.get_source_segment(source, value) or ""
    return found


def inject_parameters(nb, parameters: dict | None) -> tuple[dict, list]:
    """Insert an ``injected-parameters`` cell after the ``parameters`` cell (in place).

    Only names the parameters cell defines are injected.  Returns
    ``(applied, skipped)``: the values set and the names the notebook does not have.
    """
    import nbformat

    parameters = dict(parameters or {})
    if not parameters:
        return {}, []
    index, _ = _parameters_cell(nb)
    defined = notebook_parameters(nb)
    applied = {k: v for k, v in parameters.items() if k in defined}
    skipped = [k for k in parameters if k not in defined]
    if applied:
        lines = ["# Parameters injected by `lupusstats report`"] + [f"{k} = {v!r}" for k, v in applied.items()]
        cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED_TAG]})
        nb.cells.insert(index + 1, cell)
    return applied, skipped


def _kernel_manager_class():
    """A kernel manager class that runs notebooks with this very interpreter.

    A ``python3`` kernelspec in the user's Jupyter folders may point at another
    Python; the report must run with the lupusstats it was started from.  The
    kernel process's own log (not the notebook's output) is discarded: it only
    holds start-up notices such as ipykernel's TCP warning.
    """
    import subprocess

    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (lupusstats)",
                language="python",
                resource_dir="",
            )

    class _Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _this_python(self):
            return _ThisPython()

        # AsyncKernelManager makes start_kernel a coroutine over KernelManager's synchronous one
        # (jupyter_client silences the same override error in its own source)
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw.setdefault("stderr", subprocess.DEVNULL)
            return await self._async_start_kernel(**kw)

    return _Manager


def execute_notebook(path, *, parameters: dict | None = None, timeout: int = 600, cwd=None):
    """Execute the notebook at `path` (not changed on disk); return ``(nb, applied, skipped, error)``.

    `error` is None, or one line describing the first failing cell; the
    returned notebook then holds the outputs up to and including that cell.
    """
    import nbformat
    from nbclient import NotebookClient

    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    applied, skipped = inject_parameters(nb, parameters)
    client = NotebookClient(
        nb,
        kernel_manager_class=_kernel_manager_class(),
        timeout=timeout,
        resources={"metadata": {"path": str(cwd or path.parent)}},
        # no widget state in the executed notebook: the HTML page then shows each widget's static fallback
        # (e.g. the design explorer's PNG) instead of a widget that needs JavaScript from a CDN
        store_widget_state=False,
    )
    error = None
    try:
        client.execute()
    except Exception as err:
        error = _describe_error(nb, err)
    return nb, applied, skipped, error


def _describe_error(nb, err) -> str:
    # numbered as in the notebook on disk (the injected-parameters cell is not counted)
    cells = [c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])]
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                return f"cell {i + 1}: {out.get('ename', 'Error')}: {out.get('evalue', '')}".strip()
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}"


def findings_markdown(nb) -> str:
    """The Markdown rendered by the notebook's ``findings`` cell ('' when it has none or it did not run).

    The findings cell is a code cell tagged ``findings`` that displays
    ``IPython.display.Markdown`` built from values computed in the run, so its
    numbers are true for any ``parameters``.
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and FINDINGS_TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/markdown")
                if text:
                    return "".join(text) if isinstance(text, list) else str(text)
    return ""


def title_and_summary(nb) -> tuple[str, str]:
    """The ``# Title`` and the findings (markdown) of a notebook.

    The summary is the first paragraph after the title.  When that paragraph is
    only the question (it starts with ``**Question`` and has no "Findings"), the
    findings follow it: the output of the ``findings`` cell when the notebook
    has one (see :func:`findings_markdown`), else the next paragraph that holds
    the findings.
    """
    title, blocks = "", []
    for cell in nb.cells:
        if cell.cell_type == "code":
            if title:
                break
            continue
        if cell.cell_type != "markdown":
            continue
        current: list[str] = []
        for line in [*cell.source.splitlines(), ""]:
            stripped = line.strip()
            if not title:
                if stripped.startswith("# "):
                    title = stripped[2:].strip()
                continue
            if stripped and not (stripped.startswith("#") and not current):
                current.append(line.rstrip())
            elif current:
                blocks.append("\n".join(current).strip())
                current = []
    rendered = findings_markdown(nb).strip()
    if not blocks:
        return title, rendered
    summary = blocks[0]
    if summary.startswith("**Question") and "findings" not in summary.lower():
        findings = [rendered] if rendered else [b for b in blocks[1:] if "findings" in b.lower()]
        if findings:
            summary += "\n\n" + findings[0]
    return title, summary


def main_figure(nb) -> bytes | None:
    """PNG bytes of the first image of a cell tagged ``report-figure``, else of the first image."""
    tagged = [c for c in nb.cells if c.cell_type == "code" and FIGURE_TAG in c.get("metadata", {}).get("tags", [])]
    for cells in (tagged, [c for c in nb.cells if c.cell_type == "code"]):
        for cell in cells:
            for out in cell.get("outputs", []):
                png = out.get("data", {}).get("image/png")
                if png:
                    return base64.b64decode(png if isinstance(png, str) else "".join(png))
    return None


def _markdown(text: str) -> str:
    try:
        import mistune
    except ImportError:  # nbconvert brings mistune; plain text is the fallback
        return f"<p>{html.escape(text)}</p>"
    return cast(str, mistune.html(text))  # a str with the default (HTML) renderer


def build_report(
    notebooks, out_dir, *, parameters: dict | None = None, timeout: int = 600, progress=print
) -> ReportResult:
    """Execute `notebooks` and write ``<out_dir>/<name>.html``, ``<name>.png``, ``index.html``, ``index.json``.

    A failing notebook does not stop the others: its page shows the outputs up
    to the error and its card in the index says which cell failed
    (``entry["status"] == "failed"``).

    Parameters
    ----------
    notebooks : iterable of path
    out_dir : path
        Created if needed.
    parameters : dict, optional
        E.g. ``{"SEED": 3, "PRESET": "refractory"}``; each name is set only in
        notebooks whose ``parameters`` cell defines it.
    timeout : int
        Seconds allowed per cell.
    progress : callable or None
        Called with one line per executed notebook.
    """
    from nbconvert import HTMLExporter

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    entries = []
    start_all = time.perf_counter()
    for path in notebooks:
        path = pathlib.Path(path)
        start = time.perf_counter()
        nb, applied, skipped, error = execute_notebook(path, parameters=parameters, timeout=timeout)
        seconds = time.perf_counter() - start
        title, summary = title_and_summary(nb)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or path.stem}})
        page = out / f"{path.stem}.html"
        atomic_write_bytes(page, body.encode("utf-8"))
        png = main_figure(nb)
        thumb = None
        if png is not None:
            thumb = out / f"{path.stem}.png"
            atomic_write_bytes(thumb, png)
        entry = {
            "name": path.stem,
            "notebook": path.name,
            "page": page.name,
            "thumbnail": thumb.name if thumb else None,
            "title": title or path.stem,
            "summary": summary,
            "parameters": applied,
            "not_parameters": skipped,
            "seconds": round(seconds, 2),
            "status": "ok" if error is None else "failed",
            "error": error,
        }
        entries.append(entry)
        if progress:
            told = ", ".join(f"{k}={v!r}" for k, v in applied.items())
            note = f" with {told}" if told else ""
            note += f" ({', '.join(skipped)} not a parameter here)" if skipped else ""
            status = "" if error is None else f" FAILED at {error}"
            progress(f"  {path.name}: {seconds:.1f} s{note}{status} -> {page}")
    total = time.perf_counter() - start_all
    index = out / "index.html"
    atomic_write_bytes(index, _index_html(entries, parameters or {}, total).encode("utf-8"))
    atomic_write_bytes(
        out / "index.json",
        json.dumps(
            {"parameters": parameters or {}, "seconds": round(total, 2), "notebooks": entries}, indent=2, default=str
        ).encode("utf-8"),
    )
    return ReportResult(index, entries, total)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:64rem;margin:2rem auto;
     padding:0 1rem;line-height:1.45;color:#1f2328;background:#fff}
h1{margin-bottom:.2rem} .meta{color:#57606a;font-size:.9rem;margin-top:0}
.card{display:flex;gap:1.2rem;align-items:flex-start;border:1px solid #d0d7de;border-radius:8px;
      padding:1rem;margin:1rem 0}
.card .fig{flex:0 0 280px;max-width:40%} .card .fig img{width:100%;height:auto;border:1px solid #eaeef2;
      border-radius:4px;display:block} .card .noimg{color:#57606a;font-size:.85rem}
.card h2{font-size:1.15rem;margin:0 0 .4rem} .card h2 a{color:#0550ae;text-decoration:none}
.card h2 a:hover{text-decoration:underline} .card p{margin:.3rem 0}
.run{color:#57606a;font-size:.85rem} .failed{border-color:#cf222e} .error{color:#cf222e;font-weight:600}
code{background:#f6f8fa;padding:0 .2rem;border-radius:3px}
"""


def _index_html(entries, parameters, total) -> str:
    cards = []
    for e in entries:
        page = html.escape(e["page"])
        figure = (
            f'<a class="fig" href="{page}"><img src="{html.escape(e["thumbnail"])}" '
            f'alt="main figure of {html.escape(e["title"])}"></a>'
            if e["thumbnail"]
            else '<div class="fig noimg">(no figure)</div>'
        )
        used = ", ".join(f"<code>{html.escape(k)} = {html.escape(repr(v))}</code>" for k, v in e["parameters"].items())
        run = f"executed in {e['seconds']:.1f} s" + (f" with {used}" if used else " with the notebook's own parameters")
        if e["not_parameters"]:
            run += f"; {html.escape(', '.join(e['not_parameters']))} not a parameter of this notebook"
        error = (
            f'<p class="error">This notebook failed: {html.escape(e["error"] or "")}</p>' if e["status"] != "ok" else ""
        )
        cards.append(
            f'<div class="card{" failed" if error else ""}">{figure}<div>'
            f'<h2><a href="{page}">{html.escape(e["title"])}</a></h2>{error}'
            f"{_markdown(e['summary']) if e['summary'] else ''}"
            f'<p class="run">{html.escape(e["notebook"])} &middot; {run}</p></div></div>'
        )
    given = ", ".join(f"{k}={v}" for k, v in parameters.items())
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>lupusstats report</title><style>{_CSS}</style></head><body>"
        "<h1>lupusstats report</h1>"
        f"<p class='meta'>{len(entries)} notebooks executed {stamp} with lupusstats {__version__} in {total:.0f} s"
        f"{' with ' + html.escape(given) if given else ' with their default parameters'}. "
        "Rebuild: <code>make report</code> (e.g. <code>make report PRESET=refractory SEED=3</code>).</p>"
        + "".join(cards)
        + "</body></html>"
    )

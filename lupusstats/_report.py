"""Execute the notebooks headless and write an HTML report (``make report``)."""

from __future__ import annotations

import html
import json
import pathlib
import time

__all__ = ["build_report", "execute_notebook"]


def _title_and_summary(nb) -> tuple[str, str]:
    title, summary = "", ""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
        for ln in lines:
            if not title and ln.startswith("# "):
                title = ln[2:].strip()
            elif title and not summary and not ln.startswith("#"):
                summary = ln
        if title and summary:
            break
    return title, summary


def execute_notebook(path: pathlib.Path, *, timeout: int = 600, parameters: dict | None = None, cwd=None):
    """Execute one notebook (optionally with papermill-style parameters) and return it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if parameters:
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
                extra = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
                cell.source = cell.source + "\n# injected parameters\n" + extra
                break
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or path.parent)}})
    client.execute()
    return nb


def build_report(notebooks, out_dir, *, parameters: dict | None = None) -> pathlib.Path:
    """Execute `notebooks` and write ``<out_dir>/<name>.html`` plus ``index.html``."""
    from nbconvert import HTMLExporter

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    entries = []
    for path in notebooks:
        path = pathlib.Path(path)
        start = time.perf_counter()
        nb = execute_notebook(path, parameters=parameters)
        seconds = time.perf_counter() - start
        body, _ = exporter.from_notebook_node(nb)
        target = out / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        title, summary = _title_and_summary(nb)
        entries.append({"file": target.name, "title": title or path.stem, "summary": summary, "seconds": seconds})
        print(f"  executed {path.name} in {seconds:.1f} s -> {target}")
    items = "\n".join(
        f'<li><a href="{html.escape(e["file"])}">{html.escape(e["title"])}</a>'
        f"<p>{html.escape(e['summary'])}</p></li>"
        for e in entries
    )
    index = out / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>lupusstats report</title>"
        "<style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto;line-height:1.4}"
        "li{margin-bottom:1rem}</style></head><body><h1>lupusstats report</h1>"
        f"<ul>{items}</ul></body></html>",
        encoding="utf-8",
    )
    (out / "index.json").write_text(json.dumps(entries, indent=2), encoding="utf-8")
    return index

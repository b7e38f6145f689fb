"""Copy the main figure of each committed notebook to docs/figures/ for the README.

The main figure is the one ``make report`` uses as the notebook's thumbnail: the
first image of a cell tagged ``report-figure``, else the first image.  Run with
``make figures`` after re-executing the notebooks.
"""

from __future__ import annotations

import pathlib

import nbformat

from lupusstats.cli.report import main_figure

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main() -> None:
    out = ROOT / "docs" / "figures"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        png = main_figure(nbformat.read(path, as_version=4))
        if png:
            (out / f"{path.stem}.png").write_bytes(png)
            print(f"docs/figures/{path.stem}.png")


if __name__ == "__main__":
    main()

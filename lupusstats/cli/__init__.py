"""Application code on top of the statistics: the ``lupusstats`` command line and the notebook report.

Modules: ``main`` (the argument parser and subcommands; ``python -m lupusstats``
and the ``lupusstats`` console script run :func:`main`), ``report`` (execute the
notebooks headless and write ``reports/``).
"""

from __future__ import annotations

from lupusstats.cli.main import build_parser, main

__all__ = ["build_parser", "main"]

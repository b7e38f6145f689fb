"""Command line: ``python -m lupusstats report|presets ...``."""

from __future__ import annotations

import argparse
import pathlib
import sys


def _cmd_report(args) -> int:
    from ._report import build_report

    notebooks = sorted(pathlib.Path(args.notebooks).glob("*.ipynb"))
    if not notebooks:
        print(f"error: no notebooks found in {args.notebooks}", file=sys.stderr)
        return 2
    index = build_report(notebooks, args.out)
    print(f"report written: {index} (open it in a browser)")
    return 0


def _cmd_presets(args) -> int:
    from .presets import list_presets

    print(list_presets().to_string(index=False))
    return 0


def main(argv=None) -> int:
    """Entry point of ``python -m lupusstats`` and the ``lupusstats`` script."""
    parser = argparse.ArgumentParser(prog="lupusstats", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="execute every notebook and write an HTML report")
    rep.add_argument("--notebooks", default="notebooks", help="folder of notebooks (default: notebooks)")
    rep.add_argument("--out", default="reports", help="output folder (default: reports)")
    rep.set_defaults(func=_cmd_report)
    pre = sub.add_parser("presets", help="list the preset scenarios")
    pre.set_defaults(func=_cmd_presets)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

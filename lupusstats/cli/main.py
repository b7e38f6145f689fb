"""lupusstats command line: simulate a lupus trial, analyse a cohort, build the notebook report.

  lupusstats simulate --preset nephritis_induction --n-per-arm 100 --seed 1 --out trial/
  lupusstats analyze trial/            (patients.csv + flares.csv -> effect card)
  lupusstats report --preset refractory --seed 3
  lupusstats presets [NAME]            lupusstats datasets [NAME]

Every subcommand has --help.  Errors are one line on stderr; the exit status is
2 for a wrong command line (unknown option, preset, arm or dataset) and 1 for
unusable data or a failed run.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from typing import cast

from lupusstats.card import effect_card
from lupusstats.cli.files import refuse_overwrite, write_csv
from lupusstats.cli.report import build_report
from lupusstats.cohort.cohort import Cohort
from lupusstats.cohort.readers import read_cohort
from lupusstats.evidence.datasets import list_datasets, load_dataset
from lupusstats.model.presets import list_presets, preset
from lupusstats.model.scenario import describe_assumed_effects
from lupusstats.model.simulate import simulate_cohort

PROG = "lupusstats"


class UsageError(Exception):
    """A wrong command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage before the error; one line says it better.
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.95), got {value}")
    return value


def _check_preset(name: str) -> None:
    known = list(list_presets()["name"])
    if name not in known:
        raise UsageError(f"unknown preset {name!r}; known presets: {', '.join(known)}")


def _frame_text(frame) -> str:
    import shutil

    import pandas as pd

    width = max(shutil.get_terminal_size((120, 24)).columns, 80)
    with pd.option_context(
        "display.width", width, "display.max_columns", None, "display.max_colwidth", 70, "display.max_rows", 500
    ):
        return frame.to_string(index=False, max_colwidth=60)


# ------------------------------------------------------------------------------ simulate


def _cmd_simulate(args) -> int:
    import numpy as np

    _check_preset(args.preset)
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out must be a directory, but {out} is a file")
    seed = args.seed
    if seed is None:  # reproducible after the fact: the drawn seed is printed
        # a SeedSequence made without entropy draws an int (the stubs allow the argument's types)
        seed = int(cast(int, np.random.SeedSequence().entropy) % 2**32)
    targets = [out / "patients.csv", out / "flares.csv", out / "scenario.csv"]
    refuse_overwrite(targets, args.force)
    changes = {} if args.n_per_arm is None else {"n_per_arm": args.n_per_arm}
    scenario = preset(args.preset, **changes)
    cohort = simulate_cohort(scenario, rng=seed)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(cohort.patients, targets[0])
    write_csv(cohort.flares, targets[1])
    write_csv(scenario.sources(), targets[2])
    sizes = sorted(set(scenario.n_per_arm))
    size = str(sizes[0]) if len(sizes) == 1 else "/".join(map(str, scenario.n_per_arm))
    print(
        f"simulated preset {args.preset!r} with seed {seed}: {len(scenario.arm_names)} arms "
        f"({', '.join(scenario.arm_names)}) x {size} patients, {len(cohort.flares)} flares"
    )
    print(f"wrote {out / 'patients.csv'}, {out / 'flares.csv'} and {out / 'scenario.csv'} (parameters and sources)")
    _print_assumed(scenario.assumed_effects_line())
    return 0


def _print_assumed(line: str) -> None:
    """One line naming the treatment effects that are assumptions, not published numbers (nothing if none)."""
    if line:
        print(line)


def _assumed_from_sources(path: pathlib.Path) -> str:
    """The assumed-effects line recorded in a scenario.csv written by `simulate` ('' if absent or unreadable)."""
    import pandas as pd

    if not path.is_file():
        return ""
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError):
        return ""
    needed = {"arm", "parameter", "value", "assumed_effect"}
    return describe_assumed_effects(table) if needed <= set(table.columns) else ""


# ------------------------------------------------------------------------------ analyze


def _fmt(x: float) -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3g}"


def _fmt_p(p: float) -> str:
    import math

    if p is None or math.isnan(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_effect_card(card, confidence_level: float = 0.95) -> str:
    """The effect card as readable text: one block per arm, numbers to 3 significant digits."""
    import re

    import pandas as pd

    level = f"{100 * confidence_level:g}% CI"

    def shown_pair(label, est, low, high):
        # NNT rows carry Altman's display, e.g. "NNTB 15.0 (95% CI NNTH 9.2 to inf to NNTB 4.2)"
        match = re.match(r"^(.*?) \((?:[\d.]+% CI )?(.*)\)$", label) if isinstance(label, str) and label else None
        if match:
            return match.group(1), match.group(2)
        return _fmt(est), f"{_fmt(low)} to {_fmt(high)}"

    blocks = []
    for arm, rows in card.groupby("arm", observed=True, sort=False):
        pairs = [
            shown_pair(*row)
            for row in zip(rows["label"], rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)
        ]
        shown = pd.DataFrame(
            {
                "endpoint": rows["endpoint"],
                "measure": rows["measure"],
                "estimate": [p[0] for p in pairs],
                level: [p[1] for p in pairs],
                "p": [_fmt_p(p) for p in rows["pvalue"]],
                "p (Holm)": [_fmt_p(p) for p in rows["pvalue_adjusted"]],
                "favours": rows["favours"],
            }
        )
        blocks.append(f"{arm} vs {rows['reference'].iloc[0]}\n{_frame_text(shown)}")
    return "\n\n".join(blocks)


def _cmd_analyze(args) -> int:
    folder = pathlib.Path(args.directory)
    if not folder.exists():
        raise FileNotFoundError(f"no such directory: {folder}")
    if not folder.is_dir():
        raise UsageError(f"analyze expects a directory holding patients.csv and flares.csv, got the file {folder}")
    patients = pathlib.Path(args.patients) if args.patients else folder / "patients.csv"
    flares = pathlib.Path(args.flares) if args.flares else folder / "flares.csv"
    for path in (patients, flares):
        if not path.exists():
            raise FileNotFoundError(f"no {path.name} in {path.parent} (expected the patients.csv and flares.csv pair)")
    arm_order = [a.strip() for a in args.arm_order.split(",")] if args.arm_order else None
    cohort = read_cohort(patients, flares, arm_order=arm_order, sep=args.sep, decimal=args.decimal)
    if args.reference is not None and args.reference not in cohort.arm_names:
        raise UsageError(f"unknown --reference {args.reference!r}; the arms are {', '.join(cohort.arm_names)}")
    out = pathlib.Path(args.out) if args.out else folder / "effect_card.csv"
    refuse_overwrite([out], args.force)  # checked before the analysis, after the arguments
    card = effect_card(cohort, reference=args.reference, confidence_level=args.confidence_level)
    write_csv(card, out)
    print(f"{len(cohort.patients)} patients, {len(cohort.flares)} flares; arms: {', '.join(cohort.arm_names)}")
    if cohort.computed:
        print(f"computed from the flares table: {', '.join(cohort.computed)}")
    for note in cohort.notes:
        print(f"read: {note}")
    if card.attrs.get("left_out"):
        print(card.attrs["left_out"])
    print()
    print(format_effect_card(card, args.confidence_level))
    # A scenario.csv next to the default tables was written by `simulate` for exactly these data.
    recorded = _assumed_from_sources(folder / "scenario.csv") if args.patients is None else ""
    _print_assumed(card.attrs.get("assumed_effects") or recorded)
    print()
    print(
        "p (Holm): Holm-adjusted within each arm's comparison, efficacy and safety endpoints apart; "
        "NNT rows restate the test above them."
    )
    print(f"favours: {card.attrs['decision_rule']}")
    print(f"full table with methods: {out}")
    return 0


# ------------------------------------------------------------------------------ report


def _cmd_report(args) -> int:
    folder = pathlib.Path(args.notebooks)
    if not folder.is_dir():
        raise FileNotFoundError(f"no notebook folder {folder}")
    notebooks = sorted(folder.glob("*.ipynb"))
    if args.only:
        notebooks = [nb for nb in notebooks if any(part in nb.name for part in args.only)]
        if not notebooks:
            raise UsageError(f"--only {' '.join(args.only)} matches no notebook in {folder}")
    if not notebooks:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {folder}")
    parameters = {}
    if args.preset is not None:
        _check_preset(args.preset)
        parameters["PRESET"] = args.preset
    if args.seed is not None:
        parameters["SEED"] = args.seed
    if args.n_per_arm is not None:
        parameters["N_PER_ARM"] = args.n_per_arm
    result = build_report(notebooks, args.out, parameters=parameters, timeout=args.timeout)
    failed = [e for e in result.entries if e["status"] != "ok"]
    print(
        f"report written: {result.index} (open it in a browser); "
        f"{len(result.entries) - len(failed)} of {len(result.entries)} notebooks ran in {result.seconds:.0f} s"
    )
    if failed:
        names = ", ".join(e["name"] for e in failed)
        print(
            f"{PROG} report: error: {len(failed)} notebook(s) failed: {names} (their pages show the error)",
            file=sys.stderr,
        )
        return 1
    return 0


# ------------------------------------------------------------------------------ presets, datasets


def _cmd_presets(args) -> int:
    if args.name is None:
        table = list_presets()
        print(_frame_text(table.drop(columns=["description", "flare_definition"])))
        print()
        for name, text in zip(table["name"], table["description"], strict=True):
            print(f"{name}: {text}")
        return 0
    _check_preset(args.name)
    scenario = preset(args.name)
    sources = scenario.sources()
    if args.out:
        refuse_overwrite([pathlib.Path(args.out)], args.force)
        write_csv(sources, args.out)
        print(f"wrote {args.out}")
    else:
        print(_frame_text(sources))
    _print_assumed(scenario.assumed_effects_line())
    return 0


def _cmd_datasets(args) -> int:
    table = list_datasets()
    if args.name is None:
        print(_frame_text(table.drop(columns=["file"])))
        return 0
    known = list(table["name"])
    if args.name not in known:
        raise UsageError(f"unknown dataset {args.name!r}; known datasets: {', '.join(known)}")
    data = load_dataset(args.name)
    if isinstance(data, Cohort):  # a patient-level trial: its two tables
        if args.out:
            out = pathlib.Path(args.out)
            refuse_overwrite([out / "patients.csv", out / "flares.csv"], args.force)
            out.mkdir(parents=True, exist_ok=True)
            write_csv(data.patients, out / "patients.csv")
            write_csv(data.flares, out / "flares.csv")
            print(f"wrote {out / 'patients.csv'} and {out / 'flares.csv'} (analyse them with: {PROG} analyze {out})")
        else:
            print(repr(data))
            print(_frame_text(data.patients.head(10)))
        return 0
    if args.out:
        refuse_overwrite([pathlib.Path(args.out)], args.force)
        write_csv(data, args.out)
        print(f"wrote {args.out} ({len(data)} rows)")
    else:
        print(_frame_text(data))
    return 0


# ------------------------------------------------------------------------------ parser and entry point


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so the tests and the README can show its help)."""
    parser = _Parser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--traceback", action="store_true", help="show the full traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    sim = sub.add_parser(
        "simulate",
        help="simulate one trial from a preset; write patients.csv and flares.csv",
        description="Simulate one trial from a preset scenario (every parameter a published "
        "number; see 'lupusstats presets NAME') and write DIR/patients.csv, "
        "DIR/flares.csv and DIR/scenario.csv (the parameters with their sources).",
    )
    sim.add_argument("--preset", required=True, metavar="NAME", help="preset scenario (see 'lupusstats presets')")
    sim.add_argument("--n-per-arm", type=_positive_int, metavar="N", help="patients per arm (default: the preset's)")
    sim.add_argument("--seed", type=_seed, metavar="S", help="random seed (default: a fresh seed, printed)")
    sim.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    sim.add_argument("--force", action="store_true", help="overwrite existing output files")
    sim.set_defaults(func=_cmd_simulate)

    ana = sub.add_parser(
        "analyze",
        help="print and save the effect card of a patients/flares pair",
        description="Read DIR/patients.csv and DIR/flares.csv (simulated, or your own data in "
        "the same shape: see ls.read_cohort; --patients/--flares may name .xlsx workbooks; "
        "semicolons, decimal commas, a BOM and start_date/end_date/event_date columns are "
        "read and reported), print the effect card of every arm "
        "against the reference arm and write it to DIR/effect_card.csv.  Endpoints whose "
        "columns are absent are left out, with one line naming them.",
    )
    ana.add_argument("directory", metavar="DIR", help="folder holding patients.csv and flares.csv")
    ana.add_argument("--reference", metavar="ARM", help="reference arm (default: the first arm in patients.csv)")
    ana.add_argument("--arm-order", metavar="A,B,...", help="comma-separated arm order (the first is the reference)")
    ana.add_argument("--confidence-level", type=_level, default=0.95, metavar="L", help="default 0.95")
    ana.add_argument("--patients", metavar="FILE", help="patients table (default DIR/patients.csv)")
    ana.add_argument("--flares", metavar="FILE", help="flares table (default DIR/flares.csv)")
    ana.add_argument("--sep", default=None, help="CSV field separator (default: detected from the header line)")
    ana.add_argument(
        "--decimal", default=None, choices=[".", ","], help="decimal mark (default: detected, ',' only with ';' files)"
    )
    ana.add_argument("--out", metavar="FILE", help="where to write the card (default DIR/effect_card.csv)")
    ana.add_argument("--force", action="store_true", help="overwrite existing output files")
    ana.set_defaults(func=_cmd_analyze)

    rep = sub.add_parser(
        "report",
        help="execute every notebook and write reports/index.html",
        description="Execute the notebooks headless (the committed notebooks are not changed) "
        "and write OUT/<notebook>.html, OUT/<notebook>.png (main figure) and "
        "OUT/index.html.  --preset/--seed/--n-per-arm set PRESET, SEED and "
        "N_PER_ARM in each notebook's `parameters` cell, only in notebooks whose "
        "parameters cell defines that name.",
    )
    rep.add_argument("--notebooks", default="notebooks", metavar="DIR", help="folder of notebooks (default: notebooks)")
    rep.add_argument("--out", default="reports", metavar="DIR", help="output folder (default: reports)")
    rep.add_argument("--preset", metavar="NAME", help="set PRESET in notebooks that have it")
    rep.add_argument("--seed", type=_seed, metavar="S", help="set SEED in notebooks that have it")
    rep.add_argument("--n-per-arm", type=_positive_int, metavar="N", help="set N_PER_ARM in notebooks that have it")
    rep.add_argument("--only", nargs="+", metavar="TEXT", help="run only notebooks whose file name contains TEXT")
    rep.add_argument(
        "--timeout", type=_positive_int, default=600, metavar="SECONDS", help="limit per notebook cell (default 600)"
    )
    rep.set_defaults(func=_cmd_report)

    pre = sub.add_parser(
        "presets",
        help="list the preset scenarios, or show one with its sources",
        description="Without NAME: one line per preset.  With NAME: every parameter of that "
        "preset with its value, published source and evidence tag.",
    )
    pre.add_argument("name", nargs="?", metavar="NAME")
    pre.add_argument("--out", metavar="FILE", help="write the parameters of NAME as CSV")
    pre.add_argument("--force", action="store_true", help="overwrite existing output files")
    pre.set_defaults(func=_cmd_presets)

    dat = sub.add_parser(
        "datasets",
        help="list the published-summary datasets, or show one",
        description="Without NAME: one line per dataset (ls.list_datasets()).  With NAME: the "
        "table (ls.load_dataset(NAME)).",
    )
    dat.add_argument("name", nargs="?", metavar="NAME")
    dat.add_argument("--out", metavar="FILE", help="write dataset NAME as CSV (a trial: a folder for its two tables)")
    dat.add_argument("--force", action="store_true", help="overwrite existing output files")
    dat.set_defaults(func=_cmd_datasets)
    return parser


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, (KeyError,)) and text.startswith("'"):
        text = f"missing {text}"
    return text


def main(argv=None) -> int:
    """Entry point of ``python -m lupusstats`` and the ``lupusstats`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"{PROG} {args.command}"
    try:
        return args.func(args)
    except UsageError as err:
        print(f"{prog}: error: {_one_line(err)} (see '{prog} --help')", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `lupusstats presets | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as err:
        if args.traceback or os.environ.get("LUPUSSTATS_TRACEBACK"):
            raise
        known = isinstance(err, (ValueError, TypeError, OSError))
        hint = "" if known else f" [{type(err).__name__}; rerun with --traceback and report it as a bug]"
        print(f"{prog}: error: {_one_line(err)}{hint}", file=sys.stderr)
        return 1

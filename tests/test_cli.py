"""The command line: every subcommand, --help on each, and one-line errors (never a traceback) for bad input."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pandas as pd
import pytest

import lupusstats as ls
from lupusstats.cli import main

SUBCOMMANDS = ["simulate", "analyze", "report", "presets", "datasets"]


def run(capsys, *argv):
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert "Traceback" not in err and lines[0].startswith("lupusstats")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    """A simulated trial written by `lupusstats simulate`."""
    out = tmp_path_factory.mktemp("trial")
    assert (
        main(["simulate", "--preset", "nephritis_induction", "--n-per-arm", "40", "--seed", "11", "--out", str(out)])
        == 0
    )
    return out


# ------------------------------------------------------------------------------ help


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_help(capsys, command):
    code, out, _ = run(capsys, *([command] if command else []), "--help")
    assert code == 0
    assert out.startswith("usage: lupusstats")
    if command is None:
        assert all(c in out for c in SUBCOMMANDS)


# ------------------------------------------------------------------------------ simulate and analyze


def test_simulate_writes_the_two_tables(trial, tmp_path, capsys):
    patients = pd.read_csv(trial / "patients.csv")
    flares = pd.read_csv(trial / "flares.csv")
    assert len(patients) == 3 * 40 and set(patients["arm"]) == set(ls.preset("nephritis_induction").arm_names)
    assert (trial / "scenario.csv").exists()
    cohort = ls.read_cohort(trial / "patients.csv", trial / "flares.csv")
    expected = ls.simulate_cohort(ls.preset("nephritis_induction", n_per_arm=40), rng=11)
    pd.testing.assert_frame_equal(cohort.patients, expected.patients)
    pd.testing.assert_frame_equal(cohort.flares, expected.flares)
    assert len(flares) == len(expected.flares)
    code, out, _ = run(capsys, "simulate", "--preset", "general_cohort", "--out", str(tmp_path / "x"))
    assert code == 0 and "with seed" in out  # a drawn seed is printed so the run can be repeated


def test_analyze_prints_and_writes_the_effect_card(trial, capsys):
    code, out, err = run(capsys, "analyze", str(trial))
    assert code == 0, err
    card = pd.read_csv(trial / "effect_card.csv", keep_default_na=False, na_values=[""])
    expected = ls.effect_card(ls.read_cohort(trial / "patients.csv", trial / "flares.csv"))
    expected = expected.astype({c: str for c in ("arm", "reference")}).replace({"label": {"": float("nan")}})
    pd.testing.assert_frame_equal(
        card, expected.reset_index(drop=True), check_dtype=False, check_exact=False, rtol=1e-12
    )
    assert "IV cyclophosphamide vs standard care" in out and "MSC + standard care vs standard care" in out
    assert "flare rate" in out and "95% CI" in out


def test_analyze_with_reference_and_own_file_names(trial, tmp_path, capsys):
    own = tmp_path / "own"
    own.mkdir()
    code, out, err = run(
        capsys,
        "analyze",
        str(own),
        "--patients",
        str(trial / "patients.csv"),
        "--flares",
        str(trial / "flares.csv"),
        "--reference",
        "MSC + standard care",
        "--confidence-level",
        "0.9",
        "--out",
        str(tmp_path / "card.csv"),
    )
    assert code == 0, err
    card = pd.read_csv(tmp_path / "card.csv")
    assert set(card["reference"]) == {"MSC + standard care"}
    assert "90% CI" in out


def test_analyze_users_minimal_tables(trial, tmp_path, capsys):
    """A user's own data: only the required columns (the effect card needs remission and SLEDAI too)."""
    own = tmp_path / "minimal"
    own.mkdir()
    p = pd.read_csv(trial / "patients.csv")
    p[["patient", "arm", "followup_years", "drug_free_remission"]].to_csv(own / "patients.csv", index=False)
    f = pd.read_csv(trial / "flares.csv")
    f[["patient", "time_years", "severity", "sledai_increase"]].to_csv(own / "flares.csv", index=False)
    code, out, err = run(capsys, "analyze", str(own))
    assert code == 0, err
    assert "computed from the flares table: n_flares" in out


# ------------------------------------------------------------------------------ presets, datasets


def test_presets_and_datasets(tmp_path, capsys):
    code, out, _ = run(capsys, "presets")
    assert code == 0 and all(name in out for name in ls.list_presets()["name"])
    code, out, _ = run(capsys, "presets", "refractory")
    assert code == 0 and "baseline_flare_rate" in out and "evidence_tag" in out
    code, out, _ = run(capsys, "presets", "refractory", "--out", str(tmp_path / "s.csv"))
    assert code == 0 and len(pd.read_csv(tmp_path / "s.csv")) == len(ls.preset("refractory").sources())
    code, out, _ = run(capsys, "datasets")
    assert code == 0 and all(name in out for name in ls.list_datasets()["name"])
    name = ls.list_datasets()["name"].iloc[0]
    code, out, _ = run(capsys, "datasets", name, "--out", str(tmp_path / "d.csv"))
    assert code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "d.csv"), ls.load_dataset(name).reset_index(drop=True), check_dtype=False
    )


# ------------------------------------------------------------------------------ errors: one line, right status


@pytest.mark.parametrize(
    ("argv", "status", "fragments"),
    [
        ([], 2, ["required: COMMAND"]),
        (["frob"], 2, ["invalid choice: 'frob'"]),
        (["simulate", "--preset", "nope", "--out", "x"], 2, ["unknown preset 'nope'", "known presets: general_cohort"]),
        (["simulate", "--out", "x"], 2, ["--preset"]),
        (["simulate", "--preset", "refractory", "--n-per-arm", "0", "--out", "x"], 2, ["--n-per-arm", ">= 1"]),
        (["simulate", "--preset", "refractory", "--seed", "abc", "--out", "x"], 2, ["--seed", "'abc'"]),
        (["analyze"], 2, ["DIR"]),
        (["analyze", "{tmp}/missing"], 1, ["no such directory"]),
        (["analyze", "{trial}", "--reference", "placebo"], 2, ["unknown --reference 'placebo'", "standard care"]),
        (["analyze", "{trial}", "--confidence-level", "95"], 2, ["between 0 and 1"]),
        (["datasets", "nope"], 2, ["unknown dataset 'nope'"]),
        (["presets", "nope"], 2, ["unknown preset 'nope'"]),
    ],
)
def test_usage_and_name_errors(capsys, trial, tmp_path, argv, status, fragments):
    argv = [a.format(tmp=tmp_path, trial=trial) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == status
    assert_one_line_error(err, *fragments)


@pytest.fixture()
def broken(tmp_path, trial):
    """Copy the trial and break one file in a given way."""

    def make(patients=None, flares=None):
        folder = tmp_path / "broken"
        folder.mkdir(exist_ok=True)
        p, f = pd.read_csv(trial / "patients.csv"), pd.read_csv(trial / "flares.csv")
        (patients or (lambda x: x))(p).to_csv(folder / "patients.csv", index=False)
        if flares != "missing":
            (flares or (lambda x: x))(f).to_csv(folder / "flares.csv", index=False)
        return str(folder)

    return make


def test_bad_files(capsys, broken, tmp_path):
    code, _, err = run(capsys, "analyze", broken(flares="missing"))
    assert code == 1
    assert_one_line_error(err, "no flares.csv in")
    code, _, err = run(capsys, "analyze", broken(patients=lambda p: p.drop(columns=["followup_years"])))
    assert code == 1
    assert_one_line_error(err, "patients.csv is missing column(s) ['followup_years']")
    code, _, err = run(capsys, "analyze", broken(flares=lambda f: f.assign(time_years=f["time_years"] + 5)))
    assert code == 1
    assert_one_line_error(err, "flares.csv line 2, column 'time_years'", "after the end of follow-up")
    code, _, err = run(capsys, "analyze", broken(flares=lambda f: f.assign(arm="placebo")))
    assert code == 1
    assert_one_line_error(err, "unknown arm 'placebo'")
    folder = pathlib.Path(broken())
    (folder / "flares.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n\x00")
    code, _, err = run(capsys, "analyze", str(folder))
    assert code == 1
    assert_one_line_error(err, "flares.csv")
    afile = tmp_path / "afile.csv"
    afile.write_text("x\n")
    code, _, err = run(capsys, "analyze", str(afile))
    assert code == 2
    assert_one_line_error(err, "expects a directory")
    code, _, err = run(capsys, "simulate", "--preset", "refractory", "--out", str(afile))
    assert code == 2
    assert_one_line_error(err, "--out must be a directory")


# ------------------------------------------------------------------------------ real processes


def _env():
    return dict(os.environ, PYTHONWARNINGS="ignore")


def test_python_dash_m_in_a_real_process(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "lupusstats", "presets"], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert ok.returncode == 0 and "nephritis_induction" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "lupusstats", "analyze", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert bad.returncode == 1 and bad.stdout == ""
    assert_one_line_error(bad.stderr, "no such directory")


def test_console_script():
    script = pathlib.Path(sys.executable).with_name("lupusstats")
    if not script.exists():
        pytest.skip(
            f"the `lupusstats` console script is not installed next to {sys.executable} (pip install -e . installs it)"
        )
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=_env(), timeout=120)
    assert done.returncode == 0 and "simulate" in done.stdout


def test_import_does_not_load_heavy_libraries():
    """`import lupusstats` stays fast: statsmodels, matplotlib, seaborn, scipy.stats load on first use."""
    code = (
        "import sys, lupusstats; heavy = ['statsmodels', 'matplotlib', 'seaborn', 'scipy.stats', 'dask', "
        "'nbformat', 'nbclient']; print(','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported by `import lupusstats`: {done.stdout.strip()}"


def test_analyze_a_real_trial_with_semicolons_and_no_severity(tmp_path, capsys):
    """The CGD trial written by `datasets cgd --out`, re-saved as a European spreadsheet export."""
    code, out, err = run(capsys, "datasets", "cgd", "--out", str(tmp_path / "cgd"))
    assert code == 0, err
    assert "patients.csv" in out
    for name in ("patients", "flares"):
        table = pd.read_csv(tmp_path / "cgd" / f"{name}.csv")
        keep = ["patient", "arm", "followup_years"] if name == "patients" else ["patient", "time_years"]
        table[keep].to_csv(tmp_path / "cgd" / f"{name}.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    code, out, err = run(capsys, "analyze", str(tmp_path / "cgd"), "--arm-order", "placebo,interferon gamma")
    assert code == 0, err
    assert "128 patients, 76 flares" in out
    assert "separated by semicolons" in out and "decimal commas" in out and "byte-order mark" in out
    assert out.count("left out, their columns are absent:") == 1
    assert "drug-free remission (drug_free_remission)" in out
    card = pd.read_csv(tmp_path / "cgd" / "effect_card.csv")
    assert list(card["endpoint"]) == ["flare rate", "time to first flare"]

"""Tests for lupusstats.datasets: every shipped file validates, has sources and tags, corrupted copies
are rejected with file/row/column, and the data travel inside the built package."""

from __future__ import annotations

import csv
import importlib.util
import io
import pathlib
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import lupusstats as ls
from lupusstats.evidence.datasets import SCHEMAS, TRIALS, DatasetError, validate_dataset

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
NAMES = sorted(SCHEMAS)


def test_list_datasets_covers_every_csv():
    every = ls.list_datasets()
    assert list(every.columns[:4]) == ["name", "description", "rows", "file"]
    assert sorted(every.loc[every["kind"] == "trial", "name"]) == sorted(TRIALS)
    table = every[every["kind"] == "summary"]
    assert sorted(table["name"]) == NAMES
    assert sorted(table["file"]) == sorted(p.name for p in DATA.glob("*.csv"))
    for _, row in table.iterrows():
        with open(DATA / row["file"], newline="", encoding="utf-8") as fh:
            assert row["rows"] == sum(1 for _ in csv.reader(fh)) - 1
    assert (table[["n_verified", "n_recalled", "n_derived"]].sum(axis=1) == table["rows"]).all()


@pytest.mark.parametrize("name", NAMES)
def test_every_row_has_a_source_and_a_tag(name):
    frame = ls.load_dataset(name)
    assert len(frame) > 0
    assert frame["authors"].notna().all() and frame["year"].notna().all()
    has_source = frame["journal"].notna() | frame["doi"].notna() | frame["pmid"].notna()
    assert has_source.all()
    assert set(frame["evidence_tag"]) <= {"V", "R", "D"}
    assert set(frame["citation_tag"]) <= {"V", "R"}
    weak = frame["evidence_tag"].isin(["R", "D"])
    assert frame.loc[weak, "note"].notna().all()
    assert frame.attrs["source_file"] == f"{name}.csv"


def test_types_are_parsed():
    msc = ls.load_dataset("msc_sle_studies")
    assert str(msc["events"].dtype) == "Int64" and msc["mean_pre"].dtype == np.float64
    assert str(msc["study"].dtype) == "string"
    cart = ls.load_dataset("cart_sle_cases")
    assert str(cart["drug_free"].dtype) == "boolean"


def test_msc_overlap_group_flags_the_nanjing_series():
    msc = ls.load_dataset("msc_sle_studies")
    groups = msc.groupby("overlap_group")["study"].unique().apply(sorted).to_dict()
    assert groups["nanjing"] == ["Liang 2010", "Sun 2010", "Wang 2013", "Wang 2014", "Wang 2018"]
    assert groups["deng2017"] == ["Deng 2017"]
    rct = msc[msc["study"] == "Deng 2017"]
    assert set(rct["arm"]) == {"MSC", "placebo"} and (rct["design"].str.startswith("RCT")).all()


def test_spot_values_match_domain_notes():
    # A few numbers checked by hand against DOMAIN.md section 4 (all tagged V there).
    msc = ls.load_dataset("msc_sle_studies").set_index(["study", "arm", "outcome"])
    assert tuple(msc.loc[("Deng 2017", "MSC", "remission"), ["events", "total"]]) == (9, 12)
    assert tuple(msc.loc[("Deng 2017", "placebo", "remission"), ["events", "total"]]) == (5, 6)
    liang = msc.loc[("Liang 2010", "MSC", "sledai")]
    assert tuple(liang[["mean_pre", "sd_pre", "mean_post", "sd_post"]]) == (12.2, 3.3, 3.2, 2.8)
    hsct = ls.load_dataset("hsct_sle_studies")
    burt = hsct[(hsct.study == "Burt 2006") & (hsct.outcome == "overall_survival")]
    assert burt["proportion"].item() == 0.84 and burt["timepoint_years"].item() == 5


def test_required_families_are_present():
    flare = ls.load_dataset("flare_cohorts")
    assert {"placebo", "cohort"} <= set(flare["arm"])
    trials = ls.load_dataset("trial_effects")
    assert {"BLISS-52", "BLISS-76", "ALMS (Appel 2009)", "NIH (Gourley 1996)"} <= set(trials["trial"])
    ae = ls.load_dataset("cyc_adverse_events")
    assert {"alopecia", "serious_infection", "amenorrhoea"} <= set(ae["adverse_event"])
    assert len(ls.load_dataset("cart_sle_cases")) == 3
    withdrawal = ls.load_dataset("withdrawal_trials")
    assert set(withdrawal["trial"]) == {
        "CORTICOLUP",
        "Canadian HCQ Study Group 1991",
        "Tsakonas 1998 (Canadian HCQ follow-up)",
        "WIN-Lupus",
        "Niyompanichakarn 2025 (pilot)",
    }
    remission = ls.load_dataset("remission_cohorts")
    assert set(remission["study"]) == {"Urowitz 2005", "Zen 2015", "Steiman 2014", "Tselios 2018", "Wilhelm 2017"}


# --- corrupted copies ----------------------------------------------------------------------------


def _corrupt(tmp_path, name, row, column, value):
    """Copy data/<name>.csv with one cell replaced (row 1 = first data row)."""
    text = (DATA / f"{name}.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    rows[row][rows[0].index(column)] = value
    out = tmp_path / f"{name}.csv"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return out


def test_wrong_type_is_rejected_with_file_row_column(tmp_path):
    path = _corrupt(tmp_path, "msc_sle_studies", 3, "total", "thirteen")
    with pytest.raises(
        DatasetError,
        match=r"msc_sle_studies\.csv: row 3 \(file line 4\), column 'total': "
        r"must be a whole number, got 'thirteen'",
    ):
        validate_dataset(path)


def test_negative_n_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "hsct_sle_studies", 2, "n_enrolled", "-50")
    with pytest.raises(DatasetError, match=r"hsct_sle_studies\.csv: row 2 .*column 'n_enrolled': must be >= 1"):
        validate_dataset(path)


def test_events_above_total_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "msc_sle_studies", 3, "events", "14")
    with pytest.raises(DatasetError, match=r"row 3 .*column 'events': events = 14 exceeds total = 13"):
        validate_dataset(path)


def test_unknown_tag_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "flare_cohorts", 5, "evidence_tag", "X")
    with pytest.raises(DatasetError, match=r"row 5 .*column 'evidence_tag': must be one of \['V', 'R', 'D'\]"):
        validate_dataset(path)


def test_derived_row_without_note_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "flare_cohorts", 7, "note", "")  # McElhone 2021, tagged D
    with pytest.raises(DatasetError, match=r"row 7 .*column 'note': evidence_tag 'D' needs a note"):
        validate_dataset(path)


def test_row_without_source_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "cart_sle_cases", 1, "journal", "")
    rows = list(csv.reader(io.StringIO(path.read_text())))
    for col in ("journal", "doi", "pmid"):
        rows[1][rows[0].index(col)] = ""
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    with pytest.raises(DatasetError, match=r"row 1 .*a row needs a source"):
        validate_dataset(path)


def test_interval_not_around_estimate_is_rejected(tmp_path):
    path = _corrupt(tmp_path, "msc_meta_pooled", 3, "estimate", "-9.5")
    with pytest.raises(DatasetError, match=r"row 3 .*column 'estimate': estimate = -9.5 lies outside"):
        validate_dataset(path)


def test_withdrawal_effect_must_sit_on_the_arm_its_direction_names(tmp_path):
    # CORTICOLUP's RR 0.2 is maintenance vs withdrawal (row 1, the continued arm); moved to the withdrawn
    # arm's direction it would silently read as a five-fold *lower* flare risk after stopping prednisone.
    path = _corrupt(tmp_path, "withdrawal_trials", 1, "comparison", "withdrawn vs continued")
    with pytest.raises(
        DatasetError, match=r"row 1 .*column 'arm_role': comparison 'withdrawn vs continued' .*'withdrawn'"
    ):
        validate_dataset(path)
    path = _corrupt(tmp_path, "withdrawal_trials", 1, "comparison", "")
    with pytest.raises(DatasetError, match=r"row 1 .*column 'comparison': is required when effect is given"):
        validate_dataset(path)
    path = _corrupt(tmp_path, "withdrawal_trials", 1, "arm_role", "stopped")
    with pytest.raises(DatasetError, match=r"column 'arm_role': must be one of \['continued', 'withdrawn'\]"):
        validate_dataset(path)


def test_withdrawal_denominator_cannot_exceed_randomised(tmp_path):
    # WIN-Lupus row 16: 12 of 44 analysed discontinuation patients, out of 48 randomised
    path = _corrupt(tmp_path, "withdrawal_trials", 16, "total", "49")
    with pytest.raises(DatasetError, match=r"row 16 .*column 'total': total = 49 exceeds n_randomised = 48"):
        validate_dataset(path)


def test_remission_times_need_their_unit_and_percentages_their_counts(tmp_path):
    frame = ls.load_dataset("remission_cohorts")
    row = int(frame.index[frame["outcome"] == "time_to_remission"][0]) + 1
    path = _corrupt(tmp_path, "remission_cohorts", row, "time_unit", "")
    with pytest.raises(DatasetError, match=rf"row {row} .*column 'time_unit': is required when median_time is given"):
        validate_dataset(path)
    path = _corrupt(tmp_path, "remission_cohorts", 1, "proportion", "0.046")  # 46/703 printed as 6.5%, not 4.6%
    with pytest.raises(DatasetError, match=r"proportion = 0.046 is not events/total = 46/703"):
        validate_dataset(path)


def test_missing_and_unknown_columns_are_rejected():
    frame = ls.load_dataset("cart_sle_cases")
    with pytest.raises(DatasetError, match=r"missing required column\(s\) \['evidence_tag'\]"):
        validate_dataset(frame.drop(columns="evidence_tag"), name="cart_sle_cases")
    with pytest.raises(DatasetError, match=r"unknown column\(s\) \['extra'\]"):
        validate_dataset(frame.assign(extra=1), name="cart_sle_cases")


def test_validator_accepts_a_loaded_frame_round_trip():
    for name in NAMES:
        frame = ls.load_dataset(name)
        again = validate_dataset(frame, name=name)
        pd.testing.assert_frame_equal(frame, again, check_like=False)


def test_bad_names_and_types():
    with pytest.raises(ValueError, match="`name` must be one of"):
        ls.load_dataset("stem_cells")
    with pytest.raises(TypeError, match="`name` must be a string"):
        ls.load_dataset(3)
    with pytest.raises(TypeError, match="`data` must be a path or a pandas DataFrame"):
        validate_dataset(42, name="cart_sle_cases")


# --- the data travel with the package -------------------------------------------------------------


def _build_package(tmp_path) -> pathlib.Path:
    """Build lupusstats from a copy of the source tree and unpack it into a fresh directory.

    The real wheel (``pip wheel --no-build-isolation``) needs the ``wheel`` package; when the
    environment lacks it, setuptools' ``build_py`` step (which lays out exactly the files the
    wheel would hold, from the same [tool.setuptools] configuration) is used instead.
    """
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "*.egg-info", "notebooks", "reports", "__pycache__", ".pytest_cache"
        ),
    )
    site = tmp_path / "site"
    if importlib.util.find_spec("wheel") is not None:
        out = tmp_path / "wheelhouse"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        (whl,) = out.glob("lupusstats-*.whl")
        shutil.unpack_archive(whl, site, format="zip")
    else:
        subprocess.run(
            [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py", "--build-lib", str(site)],
            cwd=src,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return site


def test_built_package_carries_the_data(tmp_path):
    site = _build_package(tmp_path)
    assert (site / "lupusstats" / "py.typed").is_file(), "the PEP 561 marker must ship (pyproject package-data)"
    assert sorted(p.name for p in (site / "lupusstats" / "data").glob("*.csv")) == sorted(
        p.name for p in DATA.glob("*.csv")
    )
    assert sorted(p.name for p in (site / "lupusstats" / "data" / "trials").glob("*.csv")) == sorted(
        p.name for p in (DATA / "trials").glob("*.csv")
    )
    code = textwrap.dedent("""
        import pathlib, sys
        import lupusstats as ls
        from lupusstats.evidence.datasets import _data_dir
        site = pathlib.Path(sys.argv[1]).resolve()
        assert pathlib.Path(ls.__file__).resolve().is_relative_to(site), ls.__file__
        csv_file = pathlib.Path(str(_data_dir().joinpath("msc_sle_studies.csv"))).resolve()
        assert csv_file.is_relative_to(site), csv_file
        table = ls.list_datasets()
        cgd = ls.load_dataset("cgd")
        assert len(cgd.flares) == 76, cgd
        print(int(table["rows"].sum()))
    """)
    run = tmp_path / "elsewhere"
    run.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        cwd=run,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == int(ls.list_datasets()["rows"].sum())


def test_readme_row_counts_match_the_files():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    table = ls.list_datasets()
    for _, row in table[table["kind"] == "trial"].iterrows():
        cohort = ls.load_dataset(row["name"])
        expected = f"| `{row['name']}` | {len(cohort.patients)} | {len(cohort.flares)} |"
        assert expected in readme, f"data/README.md trials table is out of date for {row['name']}"
    for _, row in table[table["kind"] == "summary"].iterrows():
        expected = (
            f"| `{row['file']}` | {row['rows']} | {row['n_verified']} | {row['n_recalled']} | {row['n_derived']} |"
        )
        assert expected in readme, f"data/README.md row-count table is out of date for {row['file']}"


# --- the patient-level trials ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TRIALS))
def test_trials_load_as_cohorts_with_their_provenance(name):
    trial = TRIALS[name]
    cohort = ls.load_dataset(name)
    assert isinstance(cohort, ls.Cohort)
    assert cohort.arm_names == trial.arms
    assert "severity" not in cohort.flares.columns  # not recorded: never invented
    assert trial.citation and trial.licence.startswith("LGPL") and trial.data_source.startswith("R package survival")
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert f"trials/{name}_patients.csv" in readme and "LGPL" in readme


def test_cgd_matches_the_published_counts():
    # N Engl J Med 1991;324:509-16, abstract (read via the PubMed record, PMID 1846940): 128 patients,
    # 63 interferon gamma and 65 placebo; 14 vs 30 patients with a serious infection; 20 vs 56 infections.
    cgd = ls.load_dataset("cgd")
    p = cgd.patients
    per_arm = p.groupby("arm", observed=True).agg(
        n=("patient", "size"), any=("n_flares", lambda x: (x > 0).sum()), events=("n_flares", "sum")
    )
    assert per_arm.loc["interferon gamma"].tolist() == [63, 14, 20]
    assert per_arm.loc["placebo"].tolist() == [65, 30, 56]


def test_bladder_matches_the_r_data():
    bladder = ls.load_dataset("bladder")
    assert len(bladder.patients) == 85 and len(bladder.flares) == 112
    assert bladder.patients["n_flares"].max() <= 4

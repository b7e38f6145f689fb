"""ls.read_cohort: a user's own patients/flares tables in the simulator's shape, impossible rows refused."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import lupusstats as ls
from lupusstats import columns as C


@pytest.fixture(scope="module")
def simulated():
    return ls.simulate_cohort(ls.preset("refractory", n_per_arm=25), rng=7)


@pytest.fixture()
def files(tmp_path, simulated):
    """Write the simulated tables as CSV; return a function writing modified copies."""

    def write(patients=None, flares=None):
        p = simulated.patients if patients is None else patients
        f = simulated.flares if flares is None else flares
        p.to_csv(tmp_path / "patients.csv", index=False)
        f.to_csv(tmp_path / "flares.csv", index=False)
        return tmp_path / "patients.csv", tmp_path / "flares.csv"

    return write


def _with(frame, column, position, value):
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.iloc[position, out.columns.get_loc(column)] = value
    return out


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", ["nephritis_induction", "refractory", "general_cohort"])
def test_csv_round_trip_restores_the_simulator_tables(tmp_path, name):
    cohort = ls.simulate_cohort(ls.preset(name, n_per_arm=15), rng=3)
    cohort.patients.to_csv(tmp_path / "p.csv", index=False)
    cohort.flares.to_csv(tmp_path / "f.csv", index=False)
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv")
    pd.testing.assert_frame_equal(read.patients, cohort.patients)
    pd.testing.assert_frame_equal(read.flares, cohort.flares)
    assert read.arm_names == cohort.arm_names
    assert read.computed == ()
    assert read.flares[C.SEVERITY].cat.ordered
    assert list(read.flares[C.SEVERITY].cat.categories) == list(C.SEVERITY_LEVELS)


def test_effect_card_is_the_same_on_read_data(files, simulated, tmp_path):
    simulated.visits.to_csv(tmp_path / "visits.csv", index=False)
    read = ls.read_cohort(*files(), visits=tmp_path / "visits.csv")
    pd.testing.assert_frame_equal(read.visits, simulated.visits, check_categorical=False, check_dtype=False)
    pd.testing.assert_frame_equal(ls.effect_card(read), ls.effect_card(simulated))


def test_patient_summaries_are_computed_from_the_flares(simulated):
    minimal_p = simulated.patients[[C.PATIENT, C.ARM, C.FOLLOWUP_YEARS]].astype({C.ARM: str})
    minimal_f = simulated.flares[[C.PATIENT, C.TIME_YEARS, C.SEVERITY]].astype({C.SEVERITY: str})
    read = ls.read_cohort(minimal_p, minimal_f)
    assert set(read.computed) == {C.N_FLARES, C.N_SEVERE_FLARES, C.FIRST_FLARE_YEARS, C.FIRST_SEVERE_FLARE_YEARS}
    for col in read.computed:
        pd.testing.assert_series_equal(read.patients[col], simulated.patients[col])
    # the flares' arm comes from the patients table
    assert (read.flares[C.ARM].astype(str) == simulated.flares[C.ARM].astype(str)).all()


def test_no_row_is_dropped_and_other_columns_are_kept(simulated):
    p = simulated.patients.assign(site=np.arange(len(simulated.patients)) % 3)
    f = simulated.flares.assign(note="x")
    read = ls.read_cohort(p, f)
    assert len(read.patients) == len(p) and len(read.flares) == len(f)
    assert (read.patients["site"].to_numpy() == p["site"].to_numpy()).all()
    assert (read.flares["note"] == "x").all()


# ---------------------------------------------------------------------------- arms and ids


def test_arm_order_is_first_appearance_or_given(simulated):
    p = simulated.patients.iloc[::-1].reset_index(drop=True)
    read = ls.read_cohort(p, simulated.flares)
    assert read.arm_names == tuple(reversed(simulated.arm_names))
    assert list(read.patients[C.ARM].cat.categories) == list(read.arm_names)
    order = [simulated.arm_names[1], simulated.arm_names[0], simulated.arm_names[2]]
    read = ls.read_cohort(simulated.patients, simulated.flares, arm_order=order)
    assert read.arm_names == tuple(order)
    assert list(read.flares[C.ARM].cat.categories) == order
    card = ls.effect_card(read)
    assert set(card["reference"]) == {order[0]}


def test_text_patient_ids_and_organ_spelling(simulated):
    p = simulated.patients.assign(patient="P-" + simulated.patients[C.PATIENT].astype(str))
    f = simulated.flares.assign(
        patient="P-" + simulated.flares[C.PATIENT].astype(str),
        organ=simulated.flares[C.ORGAN].astype(str).str.replace("haem", "hem").str.upper(),
    )
    read = ls.read_cohort(p, f)
    assert read.patients[C.PATIENT].iloc[0] == "P-1"
    pd.testing.assert_series_equal(read.flares[C.ORGAN], simulated.flares[C.ORGAN])


def test_trial_column_identifies_patients_within_trials(simulated):
    p = pd.concat([simulated.patients.assign(trial=t) for t in (0, 1)], ignore_index=True)
    f = pd.concat([simulated.flares.assign(trial=t) for t in (0, 1)], ignore_index=True)
    read = ls.read_cohort(p, f)
    assert len(read.patients) == 2 * len(simulated.patients)
    assert list(read.patients.columns[:2]) == [C.TRIAL, C.PATIENT]
    with pytest.raises(ValueError, match="needs one too"):
        ls.read_cohort(p, simulated.flares)


def test_patients_only(simulated):
    read = ls.read_cohort(simulated.patients)
    assert read.flares is None
    pd.testing.assert_frame_equal(read.patients, simulated.patients)
    assert "no flares table" in repr(read)


def test_boolean_spellings(simulated):
    p = simulated.patients.assign(completed=np.where(simulated.patients[C.COMPLETED], "yes", "No"))
    read = ls.read_cohort(p, simulated.flares)
    assert (read.patients[C.COMPLETED] == simulated.patients[C.COMPLETED]).all()


# ---------------------------------------------------------------------------- refused input, one per documented error


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        ls.read_cohort(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    (tmp_path / "p.csv").write_text("")
    with pytest.raises(ValueError, match="p.csv is empty"):
        ls.read_cohort(tmp_path / "p.csv")


def test_header_only(tmp_path):
    (tmp_path / "p.csv").write_text("patient,arm,followup_years,n_flares\n")
    with pytest.raises(ValueError, match="has no patients"):
        ls.read_cohort(tmp_path / "p.csv")


def test_wrong_type():
    with pytest.raises(TypeError, match=r"path to a CSV or \.xlsx file or a pandas DataFrame"):
        ls.read_cohort([1, 2, 3])
    with pytest.raises(TypeError, match="arm_order"):
        ls.read_cohort(pd.DataFrame(), arm_order="placebo")


def test_missing_columns(files, simulated):
    with pytest.raises(ValueError, match=r"patients.csv is missing column\(s\) \['arm'\]"):
        ls.read_cohort(*files(patients=simulated.patients.drop(columns=C.ARM)))
    with pytest.raises(ValueError, match=r"flares.csv is missing column\(s\) \['time_years'\]"):
        ls.read_cohort(*files(flares=simulated.flares.drop(columns=C.TIME_YEARS)))
    with pytest.raises(ValueError, match="no 'n_flares' column and no flares table"):
        ls.read_cohort(simulated.patients.drop(columns=C.N_FLARES))


def test_flare_after_follow_up_end(files, simulated):
    f = _with(simulated.flares, C.TIME_YEARS, 4, 99.0)
    patient = simulated.flares[C.PATIENT].iloc[4]
    with pytest.raises(
        ValueError,
        match=rf"flares.csv line 6, column 'time_years': flare at 99.0 years is after "
        rf"the end of follow-up of patient {patient} ",
    ):
        ls.read_cohort(*files(flares=f))


def test_negative_and_missing_times(files, simulated):
    with pytest.raises(ValueError, match="flares.csv line 2, column 'time_years': negative flare time"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.TIME_YEARS, 0, -0.1)))
    with pytest.raises(ValueError, match="flares.csv line 3, column 'time_years': missing value"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.TIME_YEARS, 1, np.nan)))
    with pytest.raises(ValueError, match="patients.csv line 4, column 'followup_years': follow-up must be > 0"):
        ls.read_cohort(*files(patients=_with(simulated.patients, C.FOLLOWUP_YEARS, 2, -1.0)))
    with pytest.raises(ValueError, match="patients.csv line 2, column 'followup_years': 'two' is not a number"):
        ls.read_cohort(*files(patients=_with(simulated.patients, C.FOLLOWUP_YEARS, 0, "two")))


def test_unknown_arm_in_flares(files, simulated):
    with pytest.raises(ValueError, match="flares.csv line 2, column 'arm': unknown arm 'placebo'"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.ARM, 0, "placebo")))


def test_flare_in_another_arm_than_its_patient(files, simulated):
    other = simulated.arm_names[1]
    with pytest.raises(ValueError, match=f"column 'arm': arm '{other}', but patient .* is in arm"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.ARM, 0, other)))


def test_unknown_patient_in_flares(files, simulated):
    with pytest.raises(ValueError, match="flares.csv line 2, column 'patient': patient 9999 is not in"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.PATIENT, 0, 9999)))


def test_duplicate_patient(files, simulated):
    p = pd.concat([simulated.patients, simulated.patients.iloc[[2]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"patients.csv line 4, column 'patient': patient 3 appears more than once"):
        ls.read_cohort(*files(patients=p))


def test_counts_disagreeing_with_the_flares(files, simulated):
    p = simulated.patients.copy()
    i = int(np.flatnonzero(p[C.N_FLARES] > 0)[0])
    p.loc[i, C.N_FLARES] += 1
    with pytest.raises(ValueError, match=rf"patients.csv line {i + 2}, column 'n_flares': .* but .*flares.csv lists"):
        ls.read_cohort(*files(patients=p))
    p = simulated.patients.copy()
    p.loc[i, C.FIRST_FLARE_YEARS] /= 2
    with pytest.raises(ValueError, match="column 'first_flare_years': .* earliest matching flare"):
        ls.read_cohort(*files(patients=p))


def test_inconsistent_patient_row(simulated):
    p = simulated.patients.copy()
    i = int(np.flatnonzero(p[C.N_FLARES] > 0)[0])
    p.loc[i, C.N_SEVERE_FLARES] = p.loc[i, C.N_FLARES] + 1
    with pytest.raises(ValueError, match=rf"`patients` row {i}, column 'n_severe_flares': .* severe flares but only"):
        ls.read_cohort(p)


def test_unknown_severity_and_organ(files, simulated):
    with pytest.raises(ValueError, match=r"column 'severity': 'catastrophic' is not one of \['mild'"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.SEVERITY, 0, "catastrophic")))
    with pytest.raises(ValueError, match=r"column 'organ': 'liver' is not one of"):
        ls.read_cohort(*files(flares=_with(simulated.flares, C.ORGAN, 0, "liver")))


def test_bad_boolean_and_count(files, simulated):
    with pytest.raises(ValueError, match="column 'completed': 'maybe' is not true/false"):
        ls.read_cohort(*files(patients=_with(simulated.patients, C.COMPLETED, 0, "maybe")))
    with pytest.raises(ValueError, match="column 'baseline_sledai': '2.5' is not a whole number"):
        ls.read_cohort(*files(patients=_with(simulated.patients, C.BASELINE_SLEDAI, 0, 2.5)))


def test_arm_order_must_match_the_data(simulated):
    with pytest.raises(ValueError, match="is not in `arm_order`"):
        ls.read_cohort(simulated.patients, simulated.flares, arm_order=list(simulated.arm_names[:2]))
    with pytest.raises(ValueError, match=r"`arm_order` lists arm\(s\) \['placebo'\] that no patient"):
        ls.read_cohort(simulated.patients, simulated.flares, arm_order=[*simulated.arm_names, "placebo"])
    with pytest.raises(ValueError, match="must not repeat"):
        ls.read_cohort(simulated.patients, arm_order=["a", "a"])


def test_many_problems_are_counted_not_dropped(files, simulated):
    f = simulated.flares.copy()
    f[C.TIME_YEARS] = f[C.TIME_YEARS] + 100
    with pytest.raises(
        ValueError,
        match=rf"{len(f)} impossible value\(s\) \(no row was dropped\).*"
        rf"and {len(f) - 1} more such row",
    ):
        ls.read_cohort(*files(flares=f))


# ---------------------------------------------------------------------------- the usual exports


def _minimal(simulated):
    p = simulated.patients[[C.PATIENT, C.ARM, C.FOLLOWUP_YEARS]]
    f = simulated.flares[[C.PATIENT, C.TIME_YEARS]]
    return p, f


def test_semicolons_and_decimal_commas_are_detected_and_reported(tmp_path, simulated):
    p, f = _minimal(simulated)
    p.to_csv(tmp_path / "p.csv", sep=";", decimal=",", index=False)
    f.to_csv(tmp_path / "f.csv", sep=";", decimal=",", index=False)
    assert "," in (tmp_path / "f.csv").read_text().splitlines()[1]  # really a decimal comma
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv")
    np.testing.assert_array_equal(read.patients[C.FOLLOWUP_YEARS], p[C.FOLLOWUP_YEARS])
    np.testing.assert_array_equal(read.flares[C.TIME_YEARS], f[C.TIME_YEARS])
    text = " | ".join(read.notes)
    assert "separated by semicolons" in text and "decimal commas" in text
    # given explicitly: the same tables, no detection note for the decimal mark
    again = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv", sep=";", decimal=",")
    pd.testing.assert_frame_equal(again.patients, read.patients)
    assert not any("detected" in n for n in again.notes)


def test_a_comma_file_is_not_read_with_decimal_commas(tmp_path, simulated):
    p, f = _minimal(simulated)
    p.to_csv(tmp_path / "p.csv", index=False)
    f.to_csv(tmp_path / "f.csv", index=False)
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv")
    assert read.notes == (
        "{}: no 'severity' column, so no severe-flare summaries (n_severe_flares, "
        "first_severe_flare_years) and no severity analyses".format(tmp_path / "f.csv"),
    )


def test_bom_is_removed_and_said(tmp_path, simulated):
    p, f = _minimal(simulated)
    (tmp_path / "p.csv").write_bytes(b"\xef\xbb\xbf" + p.to_csv(index=False).encode())
    f.to_csv(tmp_path / "f.csv", index=False)
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv")
    assert read.patients.columns[0] == C.PATIENT
    assert any("byte-order mark" in n and "p.csv" in n for n in read.notes)


def test_xlsx_workbooks(tmp_path, simulated):
    pytest.importorskip("openpyxl", reason="the `excel` extra (openpyxl) reads .xlsx")
    simulated.patients.to_excel(tmp_path / "p.xlsx", index=False)
    simulated.flares.to_excel(tmp_path / "f.xlsx", index=False)
    read = ls.read_cohort(tmp_path / "p.xlsx", tmp_path / "f.xlsx")
    pd.testing.assert_frame_equal(read.patients, simulated.patients)
    pd.testing.assert_frame_equal(read.flares, simulated.flares)
    assert any("Excel workbook" in n for n in read.notes)
    bad = _with(simulated.flares, C.TIME_YEARS, 3, -1.0)
    bad.to_excel(tmp_path / "bad.xlsx", index=False)
    with pytest.raises(ValueError, match=r"bad.xlsx row 5, column 'time_years': negative flare time"):
        ls.read_cohort(tmp_path / "p.xlsx", tmp_path / "bad.xlsx")


def test_dates_are_converted_with_the_stated_rule(tmp_path):
    patients = pd.DataFrame(
        {
            "patient": [1, 2],
            "arm": ["placebo", "drug"],
            "start_date": ["2020-01-01", "2020-03-01"],
            "end_date": ["2021-01-01", "2020-09-01"],
        }
    )
    flares = pd.DataFrame({"patient": [1, 2], "event_date": ["2020-07-01", "2020-04-01"]})
    patients.to_csv(tmp_path / "p.csv", index=False)
    flares.to_csv(tmp_path / "f.csv", index=False)
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv")
    np.testing.assert_allclose(read.patients[C.FOLLOWUP_YEARS], [366 / 365.25, 184 / 365.25])
    np.testing.assert_allclose(read.flares[C.TIME_YEARS], [182 / 365.25, 31 / 365.25])
    assert any("(end_date - start_date) in days / 365.25" in n for n in read.notes)
    assert any("(event_date - the patient's start_date)" in n for n in read.notes)
    flares.assign(event_date=["2020-07-01", "2019-12-31"]).to_csv(tmp_path / "bad_f.csv", index=False)
    with pytest.raises(ValueError, match=r"bad_f.csv line 3, column 'event_date': flare date '2019-12-31' is before"):
        ls.read_cohort(tmp_path / "p.csv", tmp_path / "bad_f.csv")
    patients.assign(end_date=["2021-13-01", "2020-09-01"]).to_csv(tmp_path / "bad_p.csv", index=False)
    with pytest.raises(ValueError, match=r"bad_p.csv line 2, column 'end_date': '2021-13-01' is not a date"):
        ls.read_cohort(tmp_path / "bad_p.csv", tmp_path / "f.csv")


def test_minimal_tables_give_a_card_without_the_missing_endpoints(simulated):
    p, f = _minimal(simulated)
    read = ls.read_cohort(p, f)
    card = ls.effect_card(read)
    assert set(card["endpoint"]) == {"flare rate", "time to first flare"}
    line = card.attrs["left_out"]
    assert line.startswith("left out, their columns are absent: ")
    for endpoint in ("severe flare rate", "flare severity", "SLEDAI increase from flares", "drug-free remission"):
        assert endpoint in line
    full = ls.effect_card(simulated)
    same = ["arm", "endpoint", "measure", "estimate", "ci_low", "ci_high", "pvalue"]  # Holm: a smaller family
    pd.testing.assert_frame_equal(
        card[same].reset_index(drop=True),
        full.loc[full["endpoint"].isin(["flare rate", "time to first flare"]), same].reset_index(drop=True),
        check_categorical=False,
    )
    assert full.attrs["left_out"] == ""


def test_simulate_write_read_analyse_equals_in_memory_across_formats(tmp_path, simulated):
    full = ls.effect_card(simulated)
    simulated.patients.to_csv(tmp_path / "p.csv", sep=";", decimal=",", index=False)
    simulated.flares.to_csv(tmp_path / "f.csv", sep=";", decimal=",", index=False)
    simulated.visits.to_csv(tmp_path / "v.csv", sep=";", decimal=",", index=False)
    read = ls.read_cohort(tmp_path / "p.csv", tmp_path / "f.csv", tmp_path / "v.csv")
    pd.testing.assert_frame_equal(ls.effect_card(read), full)


def test_bad_sep_and_decimal():
    with pytest.raises(TypeError, match="`sep` must be a non-empty string or None"):
        ls.read_cohort(pd.DataFrame(), sep="")
    with pytest.raises(ValueError, match=r"`decimal` must be '\.', ',' or None"):
        ls.read_cohort(pd.DataFrame(), decimal=";")


# ---------------------------------------------------------------------------- property: accepted whole or located

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell_numbers = st.one_of(
    st.floats(min_value=-1.0, max_value=3.0).map(repr),
    st.sampled_from(["nan", "inf", "-0.0"]),
    st.sampled_from(["", "abc", "1,5", " 0.5 ", "2"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    patients=st.lists(
        st.tuples(st.integers(1, 8), st.sampled_from(["placebo", "drug", ""]), _cell_numbers), min_size=1, max_size=8
    ),
    flares=st.lists(st.tuples(st.integers(1, 10), _cell_numbers), max_size=10),
    sep=st.sampled_from([",", ";"]),
)
def test_any_table_is_accepted_whole_or_rejected_with_file_line_column(tmp_path, patients, flares, sep):
    p_path, f_path = tmp_path / "patients.csv", tmp_path / "flares.csv"
    quote = (lambda v: f'"{v}"') if sep == "," else (lambda v: v)
    p_path.write_text(
        "patient,arm,followup_years\n".replace(",", sep)
        + "".join(f"{i}{sep}{a}{sep}{quote(t)}\n" for i, a, t in patients)
    )
    f_path.write_text("patient,time_years\n".replace(",", sep) + "".join(f"{i}{sep}{quote(t)}\n" for i, t in flares))
    try:
        cohort = ls.read_cohort(p_path, f_path, sep=sep, decimal=".")
    except ValueError as err:
        text = str(err)
        located = re.search(
            r"(patients|flares)\.csv line (\d+), column '(patient|arm|followup_years|time_years)'", text
        )
        assert located, text
        assert 2 <= int(located.group(2)) <= 1 + max(len(patients), len(flares)), text
    else:
        assert len(cohort.patients) == len(patients) and len(cohort.flares) == len(flares)
        assert int(cohort.patients["n_flares"].sum()) == len(flares)

"""read_cohort(..., visits=...): a user's visits table, checked as the other tables (file, line, column)."""

from __future__ import annotations

import pandas as pd
import pytest

import lupusstats as ls
from lupusstats.cohort import columns as C

PATIENTS = pd.DataFrame(
    {"patient": [1, 2], "arm": ["placebo", "drug"], "followup_years": [1.0, 1.0], "n_flares": [0, 1]}
)


def visit(patient, week, **kw):
    out = dict(
        patient=patient,
        week=week,
        sledai=8,
        clinical_sledai=6,
        pga=1.5,
        prednisone_mg=10,
        on_immunosuppressant="no",
        on_antimalarial="yes",
        rescue="no",
        major_organ_activity="no",
        new_activity="no",
        **{c: "d" for c in C.BILAG_COLUMNS},
    )
    out.update(kw)
    return out


def visits_csv(tmp_path, rows):
    path = tmp_path / "visits.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


GOOD = [
    visit(1, 0, sledai=10),
    visit(1, 52, sledai=4, clinical_sledai=2),
    visit(2, 0, bilag_renal="A"),
    visit(2, 52, bilag_renal="b"),
]


def test_visits_read_from_csv_typed_and_usable_by_the_endpoints(tmp_path):
    cohort = ls.read_cohort(PATIENTS, visits=visits_csv(tmp_path, GOOD))
    v = cohort.visits
    assert len(v) == 4 and cohort.source[-1].endswith("visits.csv")
    assert v["arm"].tolist() == ["placebo", "placebo", "drug", "drug"]
    assert v["bilag_renal"].tolist() == ["D", "D", "A", "B"]
    assert v["bilag_renal"].cat.ordered and list(v["bilag_renal"].cat.categories) == list(C.BILAG_GRADES)
    assert v["rescue"].dtype == bool and v["week"].dtype == "int64"
    rates = ls.responder_rates(cohort, "sri4")
    assert rates[["arm", "responders"]].values.tolist() == [["placebo", 1], ["drug", 0]]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"pga": 3.5}, "line 3, column 'pga': '3.5' is not within 0-3"),
        ({"bilag_renal": "F"}, "line 3, column 'bilag_renal': 'F' is not one of"),
        ({"rescue": "maybe"}, "line 3, column 'rescue': 'maybe' is not true/false"),
        ({"sledai": 1}, "line 3, column 'clinical_sledai': '2' is above the total sledai '1'"),
        ({"week": 60}, "line 3, column 'week': visit at week 60 is after the end of follow-up"),
        ({"patient": 9}, "line 3, column 'patient': patient 9 is not in `patients`"),
        ({"week": 0}, "line 2, column 'week': patient 1 has more than one visit at week 0 (and 1 more such row(s): 3)"),
        ({"prednisone_mg": ""}, "line 3, column 'prednisone_mg': missing value"),
    ],
)
def test_impossible_visit_rows_name_file_line_and_column(tmp_path, change, match):
    rows = [dict(r) for r in GOOD]
    rows[1].update(change)
    path = visits_csv(tmp_path, rows)
    with pytest.raises(ValueError, match="no row was dropped") as err:
        ls.read_cohort(PATIENTS, visits=path)
    assert str(path) in str(err.value)
    assert match in str(err.value)


def test_missing_visit_columns_and_missing_baseline(tmp_path):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['pga'\]"):
        ls.read_cohort(PATIENTS, visits=pd.DataFrame(GOOD).drop(columns="pga"))
    rows = [visit(1, 4), visit(2, 0)]
    with pytest.raises(ValueError, match="patient 1 has no week-0"):
        ls.read_cohort(PATIENTS, visits=pd.DataFrame(rows))


def test_a_visit_arm_that_disagrees_with_the_patients_table(tmp_path):
    rows = [dict(r, arm="drug") for r in GOOD]
    with pytest.raises(ValueError, match="arm 'drug', but patient 1 is in arm 'placebo'"):
        ls.read_cohort(PATIENTS, visits=pd.DataFrame(rows))

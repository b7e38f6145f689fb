"""The published-summary data sets shipped in data/: list_datasets() and load_dataset(name).

Each CSV holds summary statistics from publications, one row per study arm or
outcome, with its citation and an ``evidence_tag`` (V verified in the paper's
text, R recalled and still to verify, D derived, with the derivation in
``note``).  Every load is validated against the schema below: types, ranges,
required columns, known tags, events not above totals, interval ends around the
estimate.  A file that fails is rejected with a message naming the file, the
row and the column.  The data dictionary is data/README.md.

In the source tree the files live in the top-level ``data/`` directory; an
installed wheel carries them as the ``lupusstats.data`` resource package
(see ``[tool.setuptools]`` in pyproject.toml).
"""

from __future__ import annotations

import math
import os
import pathlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

from lupusstats._core import validation as _v
from lupusstats.cohort.cohort import Cohort
from lupusstats.cohort.readers import read_cohort

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TRIALS",
    "DatasetError",
    "distinct_patients",
    "list_datasets",
    "load_dataset",
    "one_per_overlap_group",
    "overlap_groups",
    "validate_dataset",
]

TAGS = ("V", "R", "D")
CITATION_TAGS = ("V", "R")


class DatasetError(ValueError):
    """A data file does not match its schema (the message names file, row and column).

    Raised by :func:`validate_dataset` (and so by :func:`load_dataset` and
    :func:`list_datasets`, which validate every file they read).  A subclass of
    ``ValueError``, so ``except ValueError`` catches it too.

    Parameters
    ----------
    message : str
        What is wrong and where: data set, row (and file line), column, the
        rule and the offending value.

    Examples
    --------
    A CAR-T case series edited by hand, with a negative number of patients:

    >>> import lupusstats as ls
    >>> cases = ls.load_dataset("cart_sle_cases")
    >>> try:
    ...     ls.validate_dataset(cases.assign(n_sle=-cases["n_sle"]), name="cart_sle_cases")
    ... except ls.DatasetError as err:
    ...     print(err)
    cart_sle_cases: row 1 (file line 2), column 'n_sle': must be >= 1, got '-5'.
    """


@dataclass(frozen=True)
class _Col:
    kind: str  # "str", "int", "float", "bool"
    required: bool = False
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] | None = None


def _s(required=False, allowed=None):
    return _Col("str", required, allowed=allowed)


def _i(required=False, low=0):
    return _Col("int", required, low=low)


def _f(required=False, low=None, high=None):
    return _Col("float", required, low=low, high=high)


_P = dict(low=0.0, high=1.0)  # a proportion
_ROUNDING = 0.005 + 1e-9  # a published share rounded to a whole percent (or two decimals) is within this

_CITATION = {
    "authors": _s(True),
    "year": _i(True, low=1900),
    "journal": _s(),
    "pmid": _i(low=1),
    "doi": _s(),
    "citation_tag": _s(True, CITATION_TAGS),
}
_TAIL = {"evidence_tag": _s(True, TAGS), "note": _s()}


@dataclass(frozen=True)
class _Schema:
    description: str
    key: str
    columns: dict
    pairs: tuple = ()  # (events, total) column pairs: events <= total
    intervals: tuple = ()  # (estimate, low, high) triples: low <= estimate <= high
    extra: dict = field(default_factory=dict)
    #: Column naming the patient pool a row draws on (None: the file has no overlapping series).
    overlap: str | None = None
    #: Column giving the size of a study's patient series (used to count distinct patients).
    size: str | None = None
    #: (definition column, outcome column, {definition: outcome}): a definition fixes what the outcome is.
    definitions: tuple = ()
    #: (events, total, proportion) triples: a proportion stored next to counts must equal events / total
    #: to the published rounding, so a printed percentage never passes for the computed one.
    consistency: tuple = ()
    #: (column, (columns...)) pairs: a value in the first column needs a value in each of the others (an effect
    #: estimate needs its type and the direction of the comparison it was published for).
    requires: tuple = ()


_MSC_OUTCOMES = (
    "sledai",
    "proteinuria_24h",
    "albumin",
    "remission",
    "complete_remission",
    "partial_remission",
    "total_remission",
    "major_clinical_response",
    "partial_response",
    "survival",
    "relapse",
    "death",
    "sledai_above_8",
    "sri4_response",
    "treatment_related_severe_adverse_event",
    "infusion_related_adverse_event",
    "not_extracted",
)
_HSCT_OUTCOMES = (
    "overall_survival",
    "disease_free_survival",
    "progression_free_survival",
    "remission",
    "remission_survival",
    "relapse",
    "death",
    "treatment_related_mortality",
    "treatment_related_mortality_itt",
    "non_relapse_mortality",
)

#: Outcomes of the randomised drug-withdrawal trials (the trial's own definition is in ``outcome_definition``).
_WITHDRAWAL_OUTCOMES = (
    "flare",
    "mild_moderate_flare",
    "moderate_severe_flare",
    "severe_flare",
    "major_flare",
    "renal_relapse",
    "time_to_first_flare",
)
#: The direction a published effect was computed in fixes the arm whose row carries it: "continued vs withdrawn"
#: (e.g. CORTICOLUP's RR 0.2) sits on the continued arm, "withdrawn vs continued" (e.g. the Canadian HCQ
#: study's RR 2.5) on the withdrawn arm.  No published ratio is inverted.
_WITHDRAWAL_COMPARISONS = {"continued vs withdrawn": "continued", "withdrawn vs continued": "withdrawn"}
_REMISSION_OUTCOMES = (
    "achieved_remission",
    "off_treatment_after_remission",
    "time_to_remission",
    "remission_duration",
)

#: What each CAR-T outcome definition measures: DORIS is a remission, SRI-4 a response (an improvement of
#: at least 4 SLEDAI points, not remission).
_CART_DEFINITIONS = {"DORIS": "remission", "SRI-4": "response"}

SCHEMAS: dict[str, _Schema] = {
    "flare_cohorts": _Schema(
        "Flare frequency and severity in SLE cohorts and trial placebo (and comparator) arms",
        "study",
        {
            "study": _s(True),
            **_CITATION,
            "design": _s(True),
            "population": _s(True),
            "arm": _s(True),
            "n": _i(low=1),
            "flare_definition": _s(True),
            "followup_years": _f(low=0.0),
            "exposure_patient_years": _f(low=0.0),
            "n_flares": _i(),
            "n_patients_with_flare": _i(),
            "p_flared": _f(**_P),
            "rate_per_py": _f(low=0.0),
            "severe_rate_per_py": _f(low=0.0),
            "p_severe_flare_12m": _f(**_P),
            "p_any_flare_12m": _f(**_P),
            "n_severe": _i(),
            "n_moderate": _i(),
            "n_mild": _i(),
            **_TAIL,
        },
        pairs=(("n_patients_with_flare", "n"), ("n_severe", "n_flares")),
        consistency=(("n_patients_with_flare", "n", "p_flared"),),
    ),
    "msc_sle_studies": _Schema(
        "Mesenchymal stem/stromal-cell studies in SLE: the RCT and the single-arm series (overlap_group flags "
        "the overlapping Nanjing series)",
        "study",
        {
            "study": _s(True),
            **_CITATION,
            "design": _s(True),
            "cell_source": _s(True),
            "overlap_group": _s(True),
            "arm": _s(True, ("MSC", "placebo")),
            "n_enrolled": _i(True, low=1),
            "outcome": _s(True, _MSC_OUTCOMES),
            "timepoint_months": _f(low=0.0),
            "unit": _s(),
            "n_analysed": _i(low=1),
            "mean_pre": _f(),
            "sd_pre": _f(low=0.0),
            "mean_post": _f(),
            "sd_post": _f(low=0.0),
            "mean_change": _f(),
            "sd_change": _f(low=0.0),
            "events": _i(),
            "total": _i(low=1),
            "proportion": _f(**_P),
            **_TAIL,
        },
        pairs=(("events", "total"), ("n_analysed", "n_enrolled")),
        consistency=(("events", "total", "proportion"),),
        overlap="overlap_group",
        size="n_enrolled",
    ),
    "msc_meta_pooled": _Schema(
        "Pooled MSC-vs-control RCT estimates from Zhou 2020, 'Clinical Efficacy and Safety of Mesenchymal Stem "
        "Cells for Systemic Lupus Erythematosus'",
        "meta",
        {
            "meta": _s(True),
            **_CITATION,
            "outcome": _s(True),
            "timepoint_months": _f(low=0.0),
            "k_studies": _i(low=1),
            "model": _s(),
            "measure": _s(True, ("WMD", "OR")),
            "estimate": _f(True),
            "ci_low": _f(True),
            "ci_high": _f(True),
            "unit": _s(),
            **_TAIL,
        },
        intervals=(("estimate", "ci_low", "ci_high"),),
    ),
    "hsct_sle_studies": _Schema(
        "Autologous haematopoietic stem-cell transplantation series and registries in SLE (overlap_group flags "
        "the overlapping EBMT registry analyses)",
        "study",
        {
            "study": _s(True),
            **_CITATION,
            "design": _s(True),
            "conditioning": _s(),
            "overlap_group": _s(True),
            "n_enrolled": _i(True, low=1),
            "n_analysed": _i(low=1),
            "followup_months": _f(low=0.0),
            "outcome": _s(True, _HSCT_OUTCOMES),
            "timepoint_years": _f(low=0.0),
            "events": _i(),
            "total": _i(low=1),
            "proportion": _f(**_P),
            "proportion_as_published": _f(**_P),
            "se_proportion": _f(low=0.0),
            "ci_low": _f(low=0.0),
            "ci_high": _f(low=0.0),
            **_TAIL,
        },
        pairs=(("events", "total"), ("total", "n_enrolled"), ("n_analysed", "n_enrolled")),
        intervals=(("proportion", "ci_low", "ci_high"),),
        consistency=(("events", "total", "proportion"),),
        overlap="overlap_group",
        size="n_enrolled",
    ),
    "cart_sle_cases": _Schema(
        "CD19 CAR-T case series in SLE (overlap_group flags the Erlangen programme: Mackensen 2022's 5 patients "
        "are counted among Mueller 2024's 8)",
        "study",
        {
            "study": _s(True),
            **_CITATION,
            "product": _s(True),
            "overlap_group": _s(True),
            "n_sle": _i(True, low=1),
            "sledai_baseline_median": _f(low=0.0),
            "sledai_baseline_range": _f(low=0.0),
            "sledai_followup_median": _f(low=0.0),
            "sledai_followup_range": _f(low=0.0),
            "sledai_followup_months": _f(low=0.0),
            "outcome": _s(True, ("remission", "response")),
            "outcome_definition": _s(True, tuple(_CART_DEFINITIONS)),
            "outcome_events": _i(),
            "followup_months_median": _f(low=0.0),
            "drug_free": _Col("bool"),
            "crs_grade_max": _i(),
            **_TAIL,
        },
        pairs=(("outcome_events", "n_sle"),),
        overlap="overlap_group",
        size="n_sle",
        definitions=(("outcome_definition", "outcome", _CART_DEFINITIONS),),
    ),
    "trial_effects": _Schema(
        "Randomised-trial arms and effects: belimumab (BLISS), cyclophosphamide and mycophenolate in nephritis",
        "trial",
        {
            "trial": _s(True),
            **_CITATION,
            "drug": _s(True),
            "comparator": _s(True),
            "population": _s(True),
            "arm": _s(True),
            "n": _i(low=1),
            "outcome": _s(True),
            "timepoint_weeks": _f(low=0.0),
            "events": _i(),
            "proportion": _f(**_P),
            "effect_type": _s(allowed=("OR", "HR", "RR")),
            "effect": _f(low=0.0),
            "ci_low": _f(low=0.0),
            "ci_high": _f(low=0.0),
            "pvalue": _f(**_P),
            **_TAIL,
        },
        pairs=(("events", "n"),),
        intervals=(("effect", "ci_low", "ci_high"),),
        consistency=(("events", "n", "proportion"),),
    ),
    "cyc_adverse_events": _Schema(
        "Adverse events under cyclophosphamide and mycophenolate (trials and a meta-analysis)",
        "trial",
        {
            "trial": _s(True),
            **_CITATION,
            "arm": _s(True),
            "n": _i(low=1),
            "adverse_event": _s(True),
            "episodes": _i(),
            "patients": _i(),
            "proportion": _f(**_P),
            "effect_type": _s(allowed=("RR", "OR")),
            "comparison": _s(),
            "effect": _f(low=0.0),
            "ci_low": _f(low=0.0),
            "ci_high": _f(low=0.0),
            "i2": _f(low=0.0, high=100.0),
            **_TAIL,
        },
        pairs=(("patients", "n"), ("patients", "episodes")),
        consistency=(("patients", "n", "proportion"),),
        intervals=(("effect", "ci_low", "ci_high"),),
    ),
}


SCHEMAS["withdrawal_trials"] = _Schema(
    "Randomised drug-withdrawal trials in quiescent SLE: flares after stopping prednisone, hydroxychloroquine or "
    "maintenance immunosuppression vs continuing it (overlap_group flags the Canadian HCQ trial and its follow-up)",
    "trial",
    {
        "trial": _s(True),
        **_CITATION,
        "registration": _s(),
        "design": _s(True),
        "population": _s(True),
        "drug_withdrawn": _s(True),
        "withdrawal_scheme": _s(True),
        "overlap_group": _s(True),
        "arm": _s(True),
        "arm_role": _s(True, tuple(sorted(set(_WITHDRAWAL_COMPARISONS.values())))),
        "n_randomised": _i(True, low=1),
        "outcome": _s(True, _WITHDRAWAL_OUTCOMES),
        "outcome_definition": _s(True),
        "timepoint": _f(low=0.0),
        "timepoint_unit": _s(allowed=("weeks", "months")),
        "events": _i(),
        "total": _i(low=1),
        "proportion": _f(**_P),
        "comparison": _s(allowed=tuple(_WITHDRAWAL_COMPARISONS)),
        "effect_type": _s(allowed=("RR", "HR", "OR")),
        "effect": _f(low=0.0),
        "ci_low": _f(low=0.0),
        "ci_high": _f(low=0.0),
        "risk_difference": _f(low=-1.0, high=1.0),
        "rd_ci_low": _f(low=-1.0, high=1.0),
        "rd_ci_high": _f(low=-1.0, high=1.0),
        "pvalue": _f(**_P),
        "source_url": _s(True),
        **_TAIL,
    },
    pairs=(("events", "total"), ("total", "n_randomised")),
    intervals=(("effect", "ci_low", "ci_high"), ("risk_difference", "rd_ci_low", "rd_ci_high")),
    consistency=(("events", "total", "proportion"),),
    overlap="overlap_group",
    size="n_randomised",
    definitions=(("comparison", "arm_role", _WITHDRAWAL_COMPARISONS),),
    requires=(
        ("effect", ("effect_type", "comparison")),
        ("risk_difference", ("comparison",)),
        ("timepoint", ("timepoint_unit",)),
    ),
)

SCHEMAS["remission_cohorts"] = _Schema(
    "Natural-history remission in SLE cohorts: how many patients reach prolonged remission, on or off drugs, "
    "and how long it takes and lasts (overlap_group flags the Toronto Lupus Clinic reports)",
    "study",
    {
        "study": _s(True),
        **_CITATION,
        "cohort": _s(True),
        "overlap_group": _s(True),
        "design": _s(True),
        "period": _s(),
        "n_cohort": _i(True, low=1),
        "followup_years": _f(low=0.0),
        "remission_level": _s(True),
        "activity_criterion": _s(True),
        "serology_must_be_normal": _Col("bool"),
        "glucocorticoid_max_mg_day": _f(low=0.0),
        "antimalarials_allowed": _Col("bool"),
        "immunosuppressants_allowed": _Col("bool"),
        "min_duration_years": _f(low=0.0),
        "outcome": _s(True, _REMISSION_OUTCOMES),
        "events": _i(),
        "total": _i(low=1),
        "proportion": _f(**_P),
        "median_time": _f(low=0.0),
        "time_unit": _s(allowed=("years", "months")),
        "source_url": _s(True),
        **_TAIL,
    },
    pairs=(("events", "total"), ("total", "n_cohort")),
    consistency=(("events", "total", "proportion"),),
    overlap="overlap_group",
    size="n_cohort",
    requires=(("median_time", ("time_unit",)),),
)


@dataclass(frozen=True)
class _Trial:
    """A randomised trial shipped as patient-level patients/flares CSVs in data/trials/."""

    description: str
    arms: tuple[str, ...]  # reference first
    events: str
    citation: str
    data_source: str
    licence: str
    time_rule: str


#: The patient-level trials in data/trials/ (exported by data/trials/export_trials.R), loaded as a Cohort.
TRIALS: dict[str, _Trial] = {
    "cgd": _Trial(
        description="Interferon gamma vs placebo in chronic granulomatous disease: recurrent serious infections "
        "(128 patients, 76 infections)",
        arms=("placebo", "interferon gamma"),
        events="serious infections (an event requiring hospitalisation and parenteral antibiotics)",
        citation="International Chronic Granulomatous Disease Cooperative Study Group. A controlled trial of "
        "interferon gamma to prevent infection in chronic granulomatous disease. N Engl J Med "
        "1991;324(8):509-16. doi:10.1056/NEJM199102213240801, PMID 1846940",
        data_source="R package survival, data set `cgd` (Fleming TR, Harrington DP. Counting Processes and "
        "Survival Analysis. Wiley 1991, appendix D.2)",
        licence="LGPL (>= 2), as the R survival package that distributes the data",
        time_rule="days since randomisation / 365.25",
    ),
    "bladder": _Trial(
        description="Thiotepa vs placebo in superficial bladder cancer: tumour recurrences (85 patients, first "
        "four recurrences each, 112 recurrences)",
        arms=("placebo", "thiotepa"),
        events="tumour recurrences (at most the first four per patient)",
        citation="Byar DP. The Veterans Administration study of chemoprophylaxis for recurrent stage I bladder "
        "tumors: comparisons of placebo, pyridoxine, and topical thiotepa. In: Bladder Tumors and Other "
        "Topics in Urological Oncology. Plenum 1980:363-70; as analysed by Wei LJ, Lin DY, Weissfeld L, "
        "J Am Stat Assoc 1989;84:1065-73",
        data_source="R package survival, data set `bladder2` (the 85 placebo and thiotepa patients of `bladder`, "
        "(start, stop] layout)",
        licence="LGPL (>= 2), as the R survival package that distributes the data",
        time_rule="months since randomisation / 12",
    ),
}


def _load_trial(name: str) -> Cohort:
    from importlib import resources

    root = _data_dir().joinpath("trials")
    with (
        resources.as_file(root.joinpath(f"{name}_patients.csv")) as patients,
        resources.as_file(root.joinpath(f"{name}_flares.csv")) as flares,
    ):
        return read_cohort(patients, flares, arm_order=list(TRIALS[name].arms))


def _data_dir():
    """The directory (or resource container) holding the CSVs: installed package first, then the source tree."""
    from importlib import resources

    try:
        root = resources.files("lupusstats.data")
        if root.joinpath("README.md").is_file():
            return root
    except ModuleNotFoundError:
        pass
    src = pathlib.Path(__file__).resolve().parents[2] / "data"
    if (src / "README.md").is_file():
        return src
    raise FileNotFoundError(
        "lupusstats data files not found: neither the installed `lupusstats.data` package nor a source-tree "
        "`data/` directory is present. Reinstall lupusstats."
    )


def _fail(file: object, row: int | None, column: str | None, message: str) -> NoReturn:
    where = f"{file}: row {row} (file line {row + 1})" if row is not None else f"{file}"
    col = f", column {column!r}" if column is not None else ""
    raise DatasetError(f"{where}{col}: {message}")


def _parse(value: str, spec: _Col, file: object, row: int, column: str) -> Any:
    """Convert one CSV cell; '' is missing (None).

    The type follows ``spec.kind`` (str, bool, int or float), which the schema
    decides at run time, so it is ``Any`` to the type checker.
    """
    if value == "":
        if spec.required:
            _fail(file, row, column, "is required but empty.")
        return None
    if spec.kind == "str":
        if spec.allowed is not None and value not in spec.allowed:
            _fail(file, row, column, f"must be one of {list(spec.allowed)}, got {value!r}.")
        return value
    if spec.kind == "bool":
        if value not in ("True", "False"):
            _fail(file, row, column, f"must be True or False, got {value!r}.")
        return value == "True"
    try:
        num = float(value)
    except ValueError:
        kind = "a whole number" if spec.kind == "int" else "a number"
        _fail(file, row, column, f"must be {kind}, got {value!r}.")
    if not math.isfinite(num):
        _fail(file, row, column, f"must be finite, got {value!r}.")
    if spec.kind == "int":
        if not num.is_integer():
            _fail(file, row, column, f"must be a whole number, got {value!r}.")
        num = int(num)
    if spec.low is not None and num < spec.low:
        _fail(file, row, column, f"must be >= {spec.low:g}, got {value!r}.")
    if spec.high is not None and num > spec.high:
        _fail(file, row, column, f"must be <= {spec.high:g}, got {value!r}.")
    return num


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(value).strip()


def validate_dataset(data: str | os.PathLike[str] | pd.DataFrame, *, name: str | None = None) -> pd.DataFrame:
    """Validate a published-summary table against its schema and return it typed.

    Parameters
    ----------
    data : str, path or pandas.DataFrame
        A CSV file (for example a copy of one shipped file) or a table with
        the same columns.
    name : str, optional
        The data set whose schema applies (see :func:`list_datasets`); by
        default the file's stem.

    Returns
    -------
    pandas.DataFrame
        Columns in schema order; whole numbers as ``Int64``, numbers as
        ``float64`` (NaN where the publication gives no value), text as
        ``string``, flags as ``boolean``.

    Raises
    ------
    DatasetError
        (a ``ValueError``) naming the file, the row (1 = first data row) and
        the column: unknown or missing columns, a required cell empty, a
        wrong type, a value out of range, an unknown evidence tag, a derived
        or recalled value without a note, events above the total, an
        interval that does not contain its estimate, a row without a source,
        a proportion that is not events / total (to the published rounding),
        an overlap group that is not a lower-case label or a study split
        across two overlap groups, an outcome that contradicts its definition
        (e.g. an SRI-4 response recorded as a remission).

    Examples
    --------
    >>> import lupusstats as ls
    >>> from lupusstats.evidence import validate_dataset
    >>> frame = ls.load_dataset("cart_sle_cases")
    >>> bad = frame.assign(n_sle=-frame["n_sle"])
    >>> validate_dataset(bad, name="cart_sle_cases")
    Traceback (most recent call last):
    ...
    lupusstats.evidence.DatasetError: cart_sle_cases: row 1 (file line 2), column 'n_sle': must be >= 1, got '-5'.
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        file = name or "<DataFrame>"
        header = [str(c) for c in data.columns]
        records = [[_cell_text(v) for v in row] for row in data.itertuples(index=False, name=None)]
    elif isinstance(data, (str, pathlib.PurePath)) or hasattr(data, "read_text"):
        import csv
        import io

        file = getattr(data, "name", str(data))
        if name is None:
            name = pathlib.PurePath(file).stem
        text = (
            data.read_text(encoding="utf-8")
            if hasattr(data, "read_text")
            else pathlib.Path(data).read_text(encoding="utf-8")
        )
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            _fail(file, None, None, "is empty.")
        header, records = rows[0], rows[1:]
        for i, r in enumerate(records, start=1):
            if len(r) != len(header):
                _fail(file, i, None, f"has {len(r)} fields, the header has {len(header)}.")
        records = [[c.strip() for c in r] for r in records]
    else:
        raise TypeError(f"`data` must be a path or a pandas DataFrame, got {type(data).__name__}.")
    if name not in SCHEMAS:
        raise ValueError(f"`name` must be one of {sorted(SCHEMAS)}, got {name!r}.")
    schema = SCHEMAS[name]
    missing = [c for c in schema.columns if c not in header]
    if missing:
        _fail(file, None, None, f"is missing required column(s) {missing}.")
    unknown = [c for c in header if c not in schema.columns]
    if unknown:
        _fail(file, None, None, f"has unknown column(s) {unknown}; the data dictionary is data/README.md.")
    if not records:
        _fail(file, None, None, "has no rows.")
    pos = {c: header.index(c) for c in schema.columns}
    parsed: dict[str, list[Any]] = {c: [] for c in schema.columns}
    groups: dict[str, tuple[str, int]] = {}  # study -> (overlap group, first row)
    for i, rec in enumerate(records, start=1):
        row = {c: _parse(rec[pos[c]], spec, file, i, c) for c, spec in schema.columns.items()}
        if not (row["journal"] or row["doi"] or row["pmid"]):
            _fail(file, i, "journal", "a row needs a source: journal, doi or pmid.")
        if row["evidence_tag"] in ("D", "R") and not row["note"]:
            _fail(
                file,
                i,
                "note",
                f"evidence_tag {row['evidence_tag']!r} needs a note (the derivation or what is still to verify).",
            )
        for ev, tot in schema.pairs:
            if row[ev] is not None and row[tot] is not None and row[ev] > row[tot]:
                _fail(file, i, ev, f"{ev} = {row[ev]} exceeds {tot} = {row[tot]}.")
        for est, lo, hi in schema.intervals:
            if row[lo] is not None and row[hi] is not None:
                if row[lo] > row[hi]:
                    _fail(file, i, lo, f"{lo} = {row[lo]} is above {hi} = {row[hi]}.")
                if row[est] is not None and not (row[lo] <= row[est] <= row[hi]):
                    _fail(file, i, est, f"{est} = {row[est]} lies outside [{row[lo]}, {row[hi]}].")
        for ev, tot, prop in schema.consistency:
            if row[ev] is not None and row[tot] and row[prop] is not None:
                computed = row[ev] / row[tot]
                if abs(row[prop] - computed) > _ROUNDING:
                    _fail(
                        file,
                        i,
                        prop,
                        f"{prop} = {row[prop]:g} is not {ev}/{tot} = {row[ev]}/{row[tot]} = "
                        f"{computed:.3f}; leave {prop} empty and keep a percentage printed in the "
                        "paper that disagrees with its own counts in proportion_as_published "
                        "(where the file has it) or in the note.",
                    )
        for col, needed in schema.requires:
            for other in needed:
                if row[col] is not None and row[other] is None:
                    _fail(file, i, other, f"is required when {col} is given ({col} = {row[col]!r}).")
        for def_col, out_col, meaning in schema.definitions:
            if row[def_col] in meaning and row[out_col] != meaning[row[def_col]]:
                _fail(
                    file,
                    i,
                    out_col,
                    f"{def_col} {row[def_col]!r} defines a {meaning[row[def_col]]}, so {out_col} "
                    f"must be {meaning[row[def_col]]!r}, got {row[out_col]!r}.",
                )
        if schema.overlap is not None:
            group = row[schema.overlap]
            if not re.fullmatch(r"[a-z][a-z0-9_]*", group):
                _fail(file, i, schema.overlap, f"must be a lower-case label such as 'nanjing', got {group!r}.")
            first = groups.setdefault(row[schema.key], (group, i))
            if first[0] != group:
                _fail(
                    file,
                    i,
                    schema.overlap,
                    f"study {row[schema.key]!r} is in overlap group {first[0]!r} on row "
                    f"{first[1]} but {group!r} here; a study draws on one patient pool.",
                )
        for c in schema.columns:
            parsed[c].append(row[c])
    dtypes = {"str": "string", "int": "Int64", "float": "float64", "bool": "boolean"}
    out = pd.DataFrame(
        {
            # the dtype is chosen at run time; pandas-stubs overload pd.array on literal dtypes only
            c: pd.array(  # type: ignore[call-overload]
                [math.nan if (v is None and spec.kind == "float") else v for v in parsed[c]], dtype=dtypes[spec.kind]
            )
            for c, spec in schema.columns.items()
        }
    )
    out.attrs["dataset"] = name
    out.attrs["source_file"] = pathlib.PurePath(file).name
    return out


@overload
def load_dataset(name: Literal["cgd", "bladder"]) -> Cohort: ...  # type: ignore[overload-overlap]


# (a trial name is also a str: the narrower literal overload is listed first on purpose)


@overload
def load_dataset(name: str) -> pd.DataFrame: ...


def load_dataset(name: str) -> pd.DataFrame | Cohort:
    """Load one shipped data set: published summary statistics (validated), or a whole trial (a Cohort).

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`, e.g. ``"msc_sle_studies"``, or a
        patient-level trial (``kind == "trial"``): ``"cgd"`` (interferon gamma
        in chronic granulomatous disease, N Engl J Med 1991;324:509-16) or
        ``"bladder"`` (thiotepa in bladder cancer, Byar 1980).

    Returns
    -------
    pandas.DataFrame or Cohort
        A summary data set: one row per study arm or outcome, with citation
        columns (``authors, year, journal, pmid, doi, citation_tag``),
        ``evidence_tag`` (V/R/D) and ``note``.  Empty cells (NaN / <NA>) are
        numbers the publication (as recorded in DOMAIN.md) does not give;
        none is imputed.  A trial: the :class:`~lupusstats.Cohort` that
        :func:`ls.read_cohort` makes of its two CSV files in
        ``data/trials/`` (each event a row of the flares table, times in
        years, no severity recorded), the reference arm first.

    Raises
    ------
    ValueError
        Unknown name; :class:`DatasetError` if the shipped file is corrupted.

    Examples
    --------
    >>> import lupusstats as ls
    >>> msc = ls.load_dataset("msc_sle_studies")
    >>> sorted(msc.loc[msc.overlap_group == "nanjing", "study"].unique())
    ['Liang 2010', 'Sun 2010', 'Wang 2013', 'Wang 2014', 'Wang 2018']
    >>> cgd = ls.load_dataset("cgd")
    >>> cgd.arm_names, len(cgd.patients), len(cgd.flares)
    (('placebo', 'interferon gamma'), 128, 76)
    """
    _v.check_choice("name", name, sorted(SCHEMAS) + sorted(TRIALS))
    if name in TRIALS:
        return _load_trial(name)
    return _load_summary(name)


def _load_summary(name: str) -> pd.DataFrame:
    return validate_dataset(_data_dir().joinpath(f"{name}.csv"), name=name)


def list_datasets() -> pd.DataFrame:
    """The shipped data sets: one row each with name, description, rows, source file and tag counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, description, rows, file, n_verified, n_recalled,
        n_derived, kind``.  ``kind`` is ``"summary"`` for the published
        summary tables (each file is validated while it is counted) and
        ``"trial"`` for the patient-level trials of ``data/trials/`` (rows =
        patients, file = the patients table; their rows are data, not
        published numbers, so the tag counts are 0).

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.list_datasets()
    >>> "msc_sle_studies" in set(table["name"])
    True
    """
    import pandas as pd

    out = []
    for name, schema in SCHEMAS.items():
        frame = _load_summary(name)
        tags = frame["evidence_tag"].value_counts()
        out.append(
            {
                "name": name,
                "description": schema.description,
                "rows": len(frame),
                "file": f"{name}.csv",
                "n_verified": int(tags.get("V", 0)),
                "n_recalled": int(tags.get("R", 0)),
                "n_derived": int(tags.get("D", 0)),
                "kind": "summary",
            }
        )
    for name, trial in TRIALS.items():
        cohort = _load_trial(name)
        out.append(
            {
                "name": name,
                "description": trial.description,
                "rows": len(cohort.patients),
                "file": f"trials/{name}_patients.csv",
                "n_verified": 0,
                "n_recalled": 0,
                "n_derived": 0,
                "kind": "trial",
            }
        )
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------
# overlapping patient pools
# ---------------------------------------------------------------------------


def _overlap_frame(data, size):
    """(frame, key, group, size) for a data set name or a loaded (possibly filtered) table."""
    import pandas as pd

    if isinstance(data, str):
        data = _load_summary(data)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a data set name or a table from ls.load_dataset, got {type(data).__name__}.")
    name = data.attrs.get("dataset")
    if name is None:
        known = [n for n, s in SCHEMAS.items() if s.overlap is not None and set(s.columns) <= set(data.columns)]
        name = known[0] if len(known) == 1 else None
    schema = SCHEMAS.get(name) if name is not None else None
    if schema is None or schema.overlap is None:
        with_groups = sorted(n for n, s in SCHEMAS.items() if s.overlap is not None)
        raise ValueError(
            f"`data` must be one of the data sets with an overlap_group column {with_groups} "
            f"(or a table loaded from one), got {name or 'an unknown table'!r}."
        )
    size = size or schema.size
    missing = [c for c in (schema.key, schema.overlap, size) if c not in data.columns]
    if missing:
        raise ValueError(f"`data` lacks the column(s) {missing} needed to resolve overlapping patient pools.")
    return data, schema.key, schema.overlap, size


def overlap_groups(data: str | pd.DataFrame, *, size: str | None = None) -> pd.DataFrame:
    """The overlap groups of a data set: which studies draw on the same patients.

    Several reports can describe the same patients: the five Nanjing MSC series
    (``msc_sle_studies``), the EBMT registry analyses (``hsct_sle_studies``) and
    the Erlangen CD19 CAR-T programme (``cart_sle_cases``: Mackensen 2022's 5
    patients are almost certainly among Mueller 2024's 8), the Canadian
    hydroxychloroquine withdrawal trial and its long-term follow-up
    (``withdrawal_trials``) and the Toronto Lupus Clinic remission reports
    (``remission_cohorts``).  Rows that share an
    ``overlap_group`` must never be pooled or added up as separate studies:
    keep one study per group (:func:`one_per_overlap_group`) and count the
    patients of a group once (:func:`distinct_patients`).

    Parameters
    ----------
    data : str or pandas.DataFrame
        A data set name (``"cart_sle_cases"``, ``"hsct_sle_studies"``,
        ``"msc_sle_studies"``, ``"withdrawal_trials"``, ``"remission_cohorts"``)
        or a table loaded from one, possibly filtered
        (e.g. to one outcome) first.
    size : str, optional
        Column with the size of each study's patient series; default
        ``n_sle`` (CAR-T), ``n_enrolled`` (MSC, HSCT), ``n_randomised``
        (withdrawal trials) or ``n_cohort`` (remission cohorts).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``overlap_group``, ``studies`` (comma-separated),
        ``n_studies``, ``largest_study`` and ``patients`` -- the size of the
        largest series in the group (all arms of a randomised study), the number of distinct patients if the
        smaller series are contained in it (the working assumption for a
        group; it is a lower bound if they are not).

    Examples
    --------
    >>> from lupusstats.evidence import overlap_groups
    >>> groups = overlap_groups("cart_sle_cases").set_index("overlap_group")
    >>> groups.loc["erlangen", "studies"]
    'Mackensen 2022, Muller 2024'
    >>> int(groups.loc["erlangen", "patients"])
    8
    """
    import pandas as pd

    frame, key, group, size = _overlap_frame(data, size)
    rows = []
    for label, part in frame.groupby(group, sort=True, observed=True):
        if "arm" in part.columns:  # a randomised study: its patients are the sum of its arms
            sizes = (
                part.groupby([key, "arm"], sort=False, observed=True)[size]
                .max()
                .groupby(level=0, sort=False)
                .sum(min_count=1)
            )
        else:
            sizes = part.groupby(key, sort=False, observed=True)[size].max()
        order = part.drop_duplicates(key).set_index(key)
        ranked = sorted(sizes.index, key=lambda st: (-_num(sizes[st]), -_num(order.loc[st, "year"]), str(st)))
        rows.append(
            {
                "overlap_group": str(label),
                "studies": ", ".join(sorted(map(str, sizes.index))),
                "n_studies": len(sizes),
                "largest_study": str(ranked[0]),
                "patients": int(sizes[ranked[0]]) if pd.notna(sizes[ranked[0]]) else None,
            }
        )
    out = pd.DataFrame(rows, columns=["overlap_group", "studies", "n_studies", "largest_study", "patients"])
    return out.astype({"patients": "Int64"})


def _num(x) -> float:
    try:
        return float(x) if x is not None and x == x else -math.inf
    except (TypeError, ValueError):
        return -math.inf


def one_per_overlap_group(data: str | pd.DataFrame, *, size: str | None = None) -> pd.DataFrame:
    """The rows to pool: within each overlap group, only the rows of its largest study.

    Filter the table to one outcome (and time point) first, then call this
    before any pooling or meta-analysis, so that no patient pool enters twice.
    Ties on size go to the more recent report.

    Parameters
    ----------
    data : str or pandas.DataFrame
        As for :func:`overlap_groups`.
    size : str, optional
        As for :func:`overlap_groups`.

    Returns
    -------
    pandas.DataFrame
        The kept rows, in their original order (index kept).

    Examples
    --------
    >>> import lupusstats as ls
    >>> from lupusstats.evidence import one_per_overlap_group
    >>> cart = ls.load_dataset("cart_sle_cases")
    >>> doris = cart[cart["outcome_definition"] == "DORIS"]
    >>> one_per_overlap_group(doris)["study"].tolist()
    ['Muller 2024']
    """
    frame, key, _, size = _overlap_frame(data, size)
    keep = set(overlap_groups(frame, size=size)["largest_study"])
    return frame[frame[key].astype(str).isin(keep)]


def distinct_patients(data: str | pd.DataFrame, *, size: str | None = None) -> int:
    """Patients across the studies of a table, each overlap group counted once (by its largest series).

    Parameters
    ----------
    data : str or pandas.DataFrame
        As for :func:`overlap_groups`; filter it first to the rows a total is
        wanted for (e.g. DORIS-remission rows).
    size : str, optional
        As for :func:`overlap_groups`.

    Returns
    -------
    int
        The sum over overlap groups of the largest series' size.

    Examples
    --------
    >>> import lupusstats as ls
    >>> from lupusstats.evidence import distinct_patients
    >>> cart = ls.load_dataset("cart_sle_cases")
    >>> int(cart.loc[cart["outcome_definition"] == "DORIS", "n_sle"].sum())  # wrong: counts Erlangen twice
    13
    >>> distinct_patients(cart[cart["outcome_definition"] == "DORIS"])
    8
    """
    table = overlap_groups(data, size=size)
    return int(table["patients"].fillna(0).sum())

"""Trial endpoints from the visits table: SRI-4, BICLA, LLDAS, DORIS, flares, steroid taper, renal response.

The endpoints SLE trials are judged on, computed from a visits table (one row
per patient per scheduled visit; ``lupusstats.columns.VISIT_COLUMNS``),
simulated or a user's own, with intercurrent events handled as a stated
estimand (ICH E9(R1)), and the analyses trials use for responder endpoints.

Modules: ``visits`` (:class:`VisitArrays`, the array view every definition
computes on, and :func:`visit_arrays`), ``activity`` (SRI-k, BICLA),
``states`` (LLDAS, DORIS, drug-free remission: at a visit, sustained, time in
state), ``flares`` (SELENA flare index, BILAG-2004 flares), ``steroids``
(sustained glucocorticoid taper), ``renal`` (BLISS-LN and ALMS renal response),
``estimands`` (intercurrent events), ``responders`` (endpoints by name, rates
per arm).  Each definition is a vectorised kernel on :class:`VisitArrays`
(``sri_kernel``, ``bicla_kernel``, ``lldas_kernel`` ... importable from its
module; ``lupusstats.power`` calls them on simulated arrays of shape
``(n_trials, n_patients, n_visits)``) and a table function returning one row
per patient.
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.endpoints.activity import bicla_response, sri_response
from lupusstats.endpoints.analysis import GEE_CORRELATIONS, cmh_test, compare_responders, responder_gee
from lupusstats.endpoints.flares import bilag_flares, selena_flares
from lupusstats.endpoints.renal import renal_response
from lupusstats.endpoints.responders import RESPONDER_ENDPOINTS, responder_rates, responders
from lupusstats.endpoints.states import doris_remission, drug_free_remission, lldas
from lupusstats.endpoints.steroids import steroid_taper
from lupusstats.endpoints.visits import VisitArrays, visit_arrays

__all__ = [
    "GEE_CORRELATIONS",
    "RESPONDER_ENDPOINTS",
    "VisitArrays",
    "bicla_response",
    "bilag_flares",
    "cmh_test",
    "compare_responders",
    "doris_remission",
    "drug_free_remission",
    "lldas",
    "renal_response",
    "responder_gee",
    "responder_rates",
    "responders",
    "selena_flares",
    "sri_response",
    "steroid_taper",
    "visit_arrays",
]


export(globals(), __all__)

"""Trial endpoints from the visits table: SRI-4, BICLA, LLDAS, DORIS, flares, steroid taper, renal response.

The endpoints SLE trials are judged on, computed from a visits table (one row
per patient per scheduled visit; ``lupusstats.columns.VISIT_COLUMNS``),
simulated or a user's own, with intercurrent events handled as a stated
estimand (ICH E9(R1)), and the analyses trials use for responder endpoints.
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.endpoints.analysis import GEE_CORRELATIONS, cmh_test, compare_responders, responder_gee

__all__ = ["GEE_CORRELATIONS", "cmh_test", "compare_responders", "responder_gee"]

export(globals(), __all__)

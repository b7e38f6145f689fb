"""Type aliases of the public signatures, written once.

For type checkers and readers of a signature: what a scalar, a seed or a
"float or array" argument may be.  Nothing here checks a value at run time
(that is :mod:`lupusstats._core.validation`).  Tables are annotated with
``pandas.DataFrame`` itself, imported under ``typing.TYPE_CHECKING`` so that
``import lupusstats`` does not import pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "FloatOrArray", "Int", "RNGLike", "Real"]

#: An integer scalar: a Python int or a numpy integer (bools are refused at run time).
Int: TypeAlias = int | np.integer[Any]

#: A real scalar: a Python int or float, or a numpy integer or floating scalar.
Real: TypeAlias = float | np.integer[Any] | np.floating[Any]

#: A float array, such as the per-trial arrays of a batch.
FloatArray: TypeAlias = npt.NDArray[np.float64]

#: A float for a scalar input, an array for an array input (the vectorised formulas).
FloatOrArray: TypeAlias = float | npt.NDArray[np.float64]

#: What ``numpy.random.default_rng`` takes: None, a seed (or sequence of seeds),
#: a SeedSequence, a BitGenerator or a Generator.
RNGLike: TypeAlias = int | Sequence[int] | np.random.SeedSequence | np.random.BitGenerator | np.random.Generator | None

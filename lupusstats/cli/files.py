"""Files the command line writes: never over a user's file without ``--force``, atomically, injection-safe.

* :func:`refuse_overwrite` stops before anything is written when a target exists.
* :func:`write_csv` writes to a temporary file in the target's folder and renames it over the target
  (``os.replace`` is atomic on one file system), so an interrupted run (Ctrl-C, a killed kernel)
  leaves the old file or the new one, never half of one.
* Text cells that a spreadsheet would run as a formula -- starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return -- get a leading single quote, as the OWASP "CSV Injection" page
  advises (https://owasp.org/www-community/attacks/CSV_Injection).  Numbers, numeric columns and
  text that is a plain number (``"-1.5"``) are left as they are: a negative number stays a number.
"""

from __future__ import annotations

import os
import pathlib
import re
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def refuse_overwrite(paths: Iterable[pathlib.Path], force: bool) -> None:
    """``FileExistsError`` naming every existing target unless `force`."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"would overwrite {', '.join(existing)}; pass --force to replace, or choose another --out"
        )


def neutralise_cell(value: Any) -> Any:
    """`value` with a leading ``'`` if it is text a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value.strip()):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot start a formula (numeric columns untouched)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        col = out[column]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        out[column] = col.map(neutralise_cell)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def atomic_write_bytes(path: pathlib.Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file renamed over it."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt included: remove the partial temporary file
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_csv(frame: pd.DataFrame, path: pathlib.Path | str) -> None:
    """`frame` as CSV (no index) at `path`: injection-safe text cells, written atomically."""
    text = neutralise_frame(frame).to_csv(index=False)
    atomic_write_bytes(pathlib.Path(path), text.encode("utf-8"))

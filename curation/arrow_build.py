"""Arrow arrays from Python values without importing pandas.

`pa.array()` on a list or a numpy array imports pandas to check whether its input is a pandas
object: 0.15-0.25 s of start-up for commands that never touch pandas (`curate redact` on a
JSONL file). Polars converts Python values to Arrow without that check, so the hot paths of
such commands build their arrays here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pyarrow as pa


def large_string_array(values: Sequence[str | None]) -> pa.Array:
    """Texts as one `large_string` Arrow array (nulls kept).

    Examples
    --------
    >>> large_string_array(["a", None]).to_pylist()
    ['a', None]
    >>> large_string_array([]).type
    DataType(large_string)
    """
    series = pl.Series(values=list(values), dtype=pl.String)
    return series.to_arrow().cast(pa.large_string())


def int64_array(values: Sequence[int] | np.ndarray) -> pa.Array:
    """Integers (for example `take` indices) as one `int64` Arrow array.

    Examples
    --------
    >>> int64_array(np.array([2, 0])).to_pylist()
    [2, 0]
    """
    return pl.Series(values=np.asarray(values, np.int64)).to_arrow()

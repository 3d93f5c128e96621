"""The PHOTOM reference table: choosing the exposure's row and its time-dependent correction."""

from __future__ import annotations

import numpy as np

from ...errors import ReferenceFileError

__all__ = ["find_row", "time_correction", "TIME_TABLES"]

#: The optional tables of a PHOTOM file, each with one row per PHOTOM row.
TIME_TABLES = ("timecoeff_linear", "timecoeff_exponential", "timecoeff_powerlaw")


def _column(table: np.ndarray, name: str):
    for col in table.dtype.names:
        if col.lower() == name:
            return table[col]
    return None


def has_column(table: np.ndarray, name: str) -> bool:
    return _column(table, name) is not None


def find_row(table: np.ndarray, fields: dict, name: str = "PHOTOM") -> int | None:
    """Index of the one row whose columns equal ``fields``, or None when no row does.

    Text compares without regard to case or trailing blanks, as jwst's ``find_row``; a
    value of None matches nothing.

    Raises
    ------
    ReferenceFileError
        When a column is missing or more than one row matches.
    """
    ok = np.ones(len(table), dtype=bool)
    for key, value in fields.items():
        col = _column(table, key)
        if col is None:
            raise ReferenceFileError(f"{name} table has no {key.upper()} column")
        if value is None:
            ok[:] = False
        elif col.dtype.kind in "US":
            text = np.char.upper(np.char.strip(col.astype(str)))
            ok &= text == str(value).strip().upper()
        else:
            ok &= col == value
    rows = np.flatnonzero(ok)
    if len(rows) > 1:
        what = ", ".join(f"{k}={v}" for k, v in fields.items())
        raise ReferenceFileError(f"{name} table has {len(rows)} rows for {what}; expected one")
    return int(rows[0]) if len(rows) else None


def time_correction(ref, mid_time) -> np.ndarray | None:
    """Throughput now relative to the reference date, for every PHOTOM row.

    The product of the linear (``1 - lossperyear (t - t0) / 365``), exponential
    (``amplitude exp(-(t - t0) / tau) + const``) and power-law
    (``((t - t0 + tsoft) / (365 + tsoft))**alpha * year1value``) laws whose tables the file
    has; all ones when it has none (jwst 3.0's ``get_correction_table``, unbounded).

    Parameters
    ----------
    ref : photom reference model
        With ``phot_table`` and optionally the ``timecoeff_*`` tables.
    mid_time : float or None
        Exposure mid-time, MJD.

    Returns
    -------
    ndarray of shape (nrows,), float64, or None when the file has no PHOTOM table.
    """
    table = ref.phot_table
    if table is None:
        return None
    corr = np.full(table.shape, 1.0)
    present = [t for t in TIME_TABLES if getattr(ref, t, None) is not None]
    if present and mid_time is None:
        raise ReferenceFileError("the exposure has no EXPMID: the time-dependent PHOTOM "
                                 "correction needs it")  # fmt: skip
    for name in present:
        p = getattr(ref, name)
        if len(p) != len(table):
            raise ReferenceFileError(
                f"PHOTOM {name.upper()} has {len(p)} rows, its PHOTOM table {len(table)}"
            )
        dt = mid_time - _column(p, "t0")
        if name == "timecoeff_linear":
            corr *= 1.0 - _column(p, "lossperyear") * dt / 365.0
        elif name == "timecoeff_exponential":
            corr *= _column(p, "amplitude") * np.exp(-dt / _column(p, "tau")) + _column(p, "const")
        else:
            tsoft = _column(p, "tsoft")
            alpha = _column(p, "alpha")
            norm = ((365.0 + tsoft) ** alpha) / _column(p, "year1value")
            corr *= ((dt + tsoft) ** alpha) / norm
    return corr

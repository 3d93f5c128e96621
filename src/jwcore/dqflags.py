"""JWST data-quality flags by name and value, and helpers to decode and combine them.

The 32 pixel flags (the DQ and PIXELDQ arrays, uint32) and the group flags (the GROUPDQ
array, uint8) have the bit assignments of the JWST calibration pipeline, so that DQ arrays
written by jwcal mean the same thing to every JWST tool.  The kernels in jwcore take flag
values as plain integers; this module is where they come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "pixel",
    "group",
    "PIXEL",
    "GROUP",
    "dqflags_to_mnemonics",
    "interpret_bit_flags",
    "combine",
    "describe",
    "flag_counts",
]

#: Pixel flags (DQ, PIXELDQ): name -> value.
pixel: dict[str, int] = {
    "GOOD": 0,
    "DO_NOT_USE": 1 << 0,
    "SATURATED": 1 << 1,
    "JUMP_DET": 1 << 2,
    "DROPOUT": 1 << 3,
    "OUTLIER": 1 << 4,
    "PERSISTENCE": 1 << 5,
    "AD_FLOOR": 1 << 6,
    "CHARGELOSS": 1 << 7,
    "RESERVED": 1 << 8,
    "NON_SCIENCE": 1 << 9,
    "DEAD": 1 << 10,
    "HOT": 1 << 11,
    "WARM": 1 << 12,
    "LOW_QE": 1 << 13,
    "RC": 1 << 14,
    "TELEGRAPH": 1 << 15,
    "NONLINEAR": 1 << 16,
    "BAD_REF_PIXEL": 1 << 17,
    "NO_FLAT_FIELD": 1 << 18,
    "NO_GAIN_VALUE": 1 << 19,
    "NO_LIN_CORR": 1 << 20,
    "NO_SAT_CHECK": 1 << 21,
    "UNRELIABLE_BIAS": 1 << 22,
    "UNRELIABLE_DARK": 1 << 23,
    "UNRELIABLE_SLOPE": 1 << 24,
    "UNRELIABLE_FLAT": 1 << 25,
    "OPEN": 1 << 26,
    "ADJ_OPEN": 1 << 27,
    "FLUX_ESTIMATED": 1 << 28,
    "MSA_FAILED_OPEN": 1 << 29,
    "OTHER_BAD_PIXEL": 1 << 30,
    "REFERENCE_PIXEL": 1 << 31,
}

#: Group flags (GROUPDQ): name -> value.  The shared names have the pixel-flag values.
group: dict[str, int] = {
    "GOOD": 0,
    "DO_NOT_USE": pixel["DO_NOT_USE"],
    "SATURATED": pixel["SATURATED"],
    "JUMP_DET": pixel["JUMP_DET"],
    "DROPOUT": pixel["DROPOUT"],
    "PERSISTENCE": pixel["PERSISTENCE"],
    "AD_FLOOR": pixel["AD_FLOOR"],
    "CHARGELOSS": pixel["CHARGELOSS"],
}


class _Flags:
    """Attribute access to a flag table: ``PIXEL.SATURATED``."""

    def __init__(self, table: Mapping[str, int]):
        self._table = dict(table)
        for name, value in table.items():
            setattr(self, name, value)

    def __getitem__(self, name: str) -> int:
        return self._table[name]

    def __iter__(self):
        return iter(self._table)

    def items(self):
        return self._table.items()


PIXEL = _Flags(pixel)
GROUP = _Flags(group)


def interpret_bit_flags(flags: int | str | Iterable[int | str] | None, table=None) -> int:
    """Turn flag names and/or values into one integer bit mask.

    Parameters
    ----------
    flags : int, str, iterable of int or str, or None
        ``"DO_NOT_USE+SATURATED"``, ``"DO_NOT_USE,JUMP_DET"``, ``["HOT", 4]`` or ``6``.
        None gives 0.
    table : mapping of str to int, optional
        Flag table to resolve names in; the pixel flags by default.

    Returns
    -------
    int
        The bitwise OR of all flags.
    """
    table = pixel if table is None else table
    if flags is None:
        return 0
    if isinstance(flags, (int, np.integer)):
        return int(flags)
    if isinstance(flags, str):
        parts = [p.strip() for p in flags.replace("+", ",").replace("|", ",").split(",")]
        flags = [p for p in parts if p]
    mask = 0
    for f in flags:
        if isinstance(f, (int, np.integer)):
            mask |= int(f)
        elif isinstance(f, str) and f.strip().lstrip("-").isdigit():
            mask |= int(f)
        else:
            try:
                mask |= table[str(f).strip().upper()]
            except KeyError:
                raise ValueError(f"unknown DQ flag name {f!r}") from None
    return mask


def combine(*flags) -> int:
    """Bitwise OR of flag names or values: ``combine("DO_NOT_USE", "SATURATED") == 3``."""
    return interpret_bit_flags(list(flags))


def dqflags_to_mnemonics(value: int, table=None) -> set[str]:
    """The set of flag names set in one DQ value (``GOOD`` only when nothing is set)."""
    table = pixel if table is None else table
    value = int(value)
    if value == 0:
        return {"GOOD"}
    return {name for name, bit in table.items() if bit and (value & bit) == bit}


def describe(value: int, table=None) -> str:
    """``'DO_NOT_USE+SATURATED'`` for 3, in bit order."""
    table = pixel if table is None else table
    names = [n for n, b in sorted(table.items(), key=lambda kv: kv[1]) if b and value & b]
    return "+".join(names) if names else "GOOD"


def flag_counts(dq: np.ndarray, table=None) -> dict[str, int]:
    """Number of elements of ``dq`` that carry each flag (flags never set are left out)."""
    table = pixel if table is None else table
    dq = np.asarray(dq)
    counts = {}
    for name, bit in table.items():
        if bit == 0:
            continue
        n = int(np.count_nonzero(dq & dq.dtype.type(bit))) if bit <= np.iinfo(dq.dtype).max else 0
        if n:
            counts[name] = n
    return counts

"""The JWST data-quality flags (re-exported from :mod:`jwcore.dqflags`)."""

from jwcore.dqflags import (  # noqa: F401
    GROUP,
    PIXEL,
    combine,
    describe,
    dqflags_to_mnemonics,
    flag_counts,
    group,
    interpret_bit_flags,
    pixel,
)

__all__ = [
    "pixel",
    "group",
    "PIXEL",
    "GROUP",
    "combine",
    "describe",
    "dqflags_to_mnemonics",
    "flag_counts",
    "interpret_bit_flags",
]

"""JWST file-name suffixes: ``jw..._uncal.fits`` -> ``jw..._rate.fits``.

Output names are the input's root plus the new suffix; a suffix the JWST pipeline knows is
removed first, so ``x_uncal`` becomes ``x_rate`` and ``x_rate`` becomes ``x_cal`` rather than
``x_rate_cal``.  The known suffixes are the product types below plus the name of every step
and pipeline (an intermediate product is named after the step that made it: ``_jump``,
``_dqinitstep``).
"""

from __future__ import annotations

import functools
import re

from .registry import PIPELINES, STEP_ALIASES, STEPS

__all__ = ["PRODUCT_SUFFIXES", "known_suffixes", "remove_suffix", "replace_suffix"]

#: Product types of the JWST pipeline (file-naming conventions of the JWST documentation).
PRODUCT_SUFFIXES = (
    "uncal", "dark", "ramp", "rate", "rateints", "bsub", "bsubints", "cal", "calints",
    "crf", "crfints", "i2d", "s2d", "s3d", "x1d", "x1dints", "c1d", "cat", "phot", "whtlt",
    "psfstack", "psfalign", "psfsub", "ami", "ami-oi", "aminorm", "aminorm-oi", "wfscmb",
    "blot", "median", "mbsub", "snr", "residual_fringe",
    # names jwst gives some steps and configurations
    "spec2nrslamp", "wfscombine", "stackrefs", "engdblog",
)  # fmt: skip

# Step names jwst 3.0.0 does not count as suffixes (its list predates them): an input named
# ``x_barshadow.fits`` keeps that part of its name there, so it does here.
_NOT_SUFFIXES = frozenset(
    ("background", "badpix_selfcal", "barshadow", "charge_migration", "imprint_subtract",
     "master_background_mos", "msa_flagging", "pixel_replace", "stack_refs", "tso_photometry",
     "wavecorr", "wfs_combine", "wfss_contam", "sloperpipeline")
)  # fmt: skip


@functools.cache
def known_suffixes() -> frozenset[str]:
    """Every suffix :func:`remove_suffix` recognises."""
    out = set(PRODUCT_SUFFIXES)
    for e in list(STEPS.values()) + list(PIPELINES.values()):
        out.add(e.alias.lower())
        out.add(e.jwst_class.lower())
    out.update(STEP_ALIASES)
    # Pipeline aliases are names, not suffixes of their outputs.
    return frozenset(s for s in out if not s.startswith("calwebb_") and s not in _NOT_SUFFIXES)


@functools.cache
def _regex() -> re.Pattern:
    # Longest first so that "rateints" wins over "rate".
    alts = "|".join(re.escape(s) for s in sorted(known_suffixes(), key=len, reverse=True))
    return re.compile(rf"^(?P<root>.+?)(?:(?P<sep>[_-])(?:{alts}))?$")


def remove_suffix(name: str) -> tuple[str, str]:
    """Split a known suffix off a name without extension.

    Returns
    -------
    root : str
        The name without the suffix (unchanged when it has none).
    separator : str
        The separator that preceded the suffix (``"_"`` or ``"-"``), ``"_"`` when none.
    """
    m = _regex().match(name)
    if m is None:
        return name, "_"
    return m.group("root"), m.group("sep") or "_"


def replace_suffix(name: str, new: str) -> str:
    """``name`` with its known suffix (if any) replaced by ``new``."""
    root, sep = remove_suffix(name)
    return f"{root}{sep}{new}"

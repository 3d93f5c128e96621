"""Reference files: finding them for an exposure and fitting them to its subarray.

Lookup order for each reference type: an explicit override path; a local reference
directory (``--refdir`` or ``JWCAL_REFDIR``) indexed by the files' own keywords; a CRDS cache
on disk (``CRDS_PATH``, no network); otherwise a :class:`~jwcal.errors.ReferenceFileError`
naming the type, the exposure and the three ways to supply one.
"""

from .index import SELECTION_KEYWORDS, RefEntry, RefIndex
from .lookup import NOT_APPLICABLE, find_reference, get_index, load_reference, refdir_from_env
from .select import choose, exposure_selectors, match_score
from .subarray import check_instrument, fit_to_exposure, region_of

__all__ = [
    "NOT_APPLICABLE",
    "RefEntry",
    "RefIndex",
    "SELECTION_KEYWORDS",
    "check_instrument",
    "choose",
    "exposure_selectors",
    "find_reference",
    "fit_to_exposure",
    "get_index",
    "load_reference",
    "match_score",
    "refdir_from_env",
    "region_of",
]

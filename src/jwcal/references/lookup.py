"""Finding the reference file of each type for an exposure.

Order: an explicit override path; else a local reference directory (``--refdir`` or
``JWCAL_REFDIR``) indexed by the files' own keywords; else a CRDS cache on disk
(``CRDS_PATH``, with the ``crds`` package, no network); else an error that says how to
supply one.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from ..errors import ReferenceFileError
from .index import RefIndex
from .select import choose, exposure_selectors

log = logging.getLogger(__name__)

__all__ = ["find_reference", "load_reference", "refdir_from_env", "NOT_APPLICABLE"]

#: The override value that says "no reference file": the step that needs it is skipped.
NOT_APPLICABLE = "N/A"

#: Reference types CRDS holds no file of for an instrument: asked for one, CRDS answers
#: "N/A" (e.g. the saturation step asks every exposure for a SUPERBIAS; MIRI has none), so
#: finding none here is that answer rather than a missing file.
CRDS_HAS_NONE = {"MIRI": frozenset({"SUPERBIAS"})}


def refdir_from_env() -> str | None:
    return os.environ.get("JWCAL_REFDIR") or None


@functools.lru_cache(maxsize=8)
def _index(directory: str, stamp: float) -> RefIndex:
    return RefIndex(directory)


def get_index(directory) -> RefIndex:
    """The (cached) index of a reference directory; rebuilt when the directory changes."""
    d = Path(directory).expanduser()
    try:
        stamp = max([d.stat().st_mtime] + [p.stat().st_mtime for p in d.iterdir() if p.is_dir()])
    except OSError:
        raise ReferenceFileError(f"reference directory {d} does not exist") from None
    return _index(str(d.resolve()), stamp)


def _describe(sel: dict) -> str:
    parts = [sel.get("INSTRUME", "?"), sel.get("DETECTOR", "?")]
    extra = [
        f"{k}={sel[k]}"
        for k in ("EXP_TYPE", "READPATT", "SUBARRAY", "FILTER", "PUPIL")
        if sel.get(k)
    ]
    return " ".join(p for p in parts if p) + (f" ({', '.join(extra)})" if extra else "")


def _from_crds_cache(meta, reftype: str) -> str | None:
    """A reference from a CRDS cache on disk, when the user has one; never contacts a server."""
    if not os.environ.get("CRDS_PATH"):
        return None
    try:
        import crds  # noqa: F401
        from crds import getreferences
    except ImportError:
        return None
    params = {
        "meta.instrument.name": meta.get("instrument.name"),
        "meta.instrument.detector": meta.get("instrument.detector"),
        "meta.instrument.filter": meta.get("instrument.filter"),
        "meta.instrument.pupil": meta.get("instrument.pupil"),
        "meta.exposure.type": meta.get("exposure.type"),
        "meta.exposure.readpatt": meta.get("exposure.readpatt"),
        "meta.subarray.name": meta.get("subarray.name"),
        "meta.observation.date": meta.get("observation.date"),
        "meta.observation.time": meta.get("observation.time"),
        "meta.telescope": "JWST",
    }
    params = {k: str(v) for k, v in params.items() if v is not None}
    old = os.environ.get("CRDS_MODE")
    os.environ["CRDS_MODE"] = "local"
    try:
        found = getreferences(params, reftypes=[reftype.lower()], observatory="jwst")
    except Exception as exc:  # an incomplete cache is not an error: fall through
        log.debug("CRDS cache lookup for %s failed: %s", reftype, exc)
        return None
    finally:
        if old is None:
            os.environ.pop("CRDS_MODE", None)
        else:
            os.environ["CRDS_MODE"] = old
    path = found.get(reftype.lower())
    if path and not str(path).upper().startswith("NOT FOUND") and Path(path).exists():
        return str(path)
    return None


def find_reference(meta, reftype: str, *, override=None, refdir=None) -> str:
    """The path of the ``reftype`` reference file for an exposure, or ``"N/A"``.

    Parameters
    ----------
    meta : Node or dict-like with ``.get(dotted_path)``
        The exposure's metadata (``model.meta``).
    reftype : str
        Reference type, e.g. ``"dark"``.
    override : str or Path, optional
        A path given by the user, or ``"N/A"`` to say there is none.
    refdir : str or Path, optional
        A local reference directory; ``JWCAL_REFDIR`` when not given.

    Raises
    ------
    ReferenceFileError
        When no reference can be found, naming the type, the exposure and the ways to give
        one.
    """
    rt = reftype.upper()
    if override not in (None, ""):
        if str(override).strip().upper() == NOT_APPLICABLE:
            return NOT_APPLICABLE
        p = Path(override).expanduser()
        if not p.is_file():
            raise ReferenceFileError(f"{rt} reference file {p} does not exist")
        return str(p)
    sel = exposure_selectors(meta)
    directory = refdir or refdir_from_env()
    if directory:
        idx = get_index(directory)
        entry = choose(idx.of_type(rt), sel)
        if entry is not None:
            return entry.path
    crds_path = _from_crds_cache(meta, rt)
    if crds_path:
        return crds_path
    if rt in CRDS_HAS_NONE.get(sel.get("INSTRUME", ""), ()):
        return NOT_APPLICABLE
    where = f" in {directory}" if directory else ""
    raise ReferenceFileError(
        f"no {rt} reference file{where} for {_describe(sel)}: give one with "
        f"--override_{rt.lower()}=PATH, put one in a reference directory (--refdir DIR or "
        f"JWCAL_REFDIR), or point CRDS_PATH at a CRDS cache"
    )


def load_reference(path: str, sci, reftype: str, *, fit: bool = True):
    """Open a reference file and fit it to the exposure (instrument, detector, subarray)."""
    from .. import datamodels
    from .subarray import check_instrument, fit_to_exposure

    model = datamodels.open(path)
    if not fit or not hasattr(model, "schema_def"):
        check_instrument(model, sci, reftype.upper())
        return model
    return fit_to_exposure(model, sci, reftype.upper())

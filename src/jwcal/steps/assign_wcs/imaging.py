"""The WCS of an imaging exposure: detector -> v2v3 -> v2v3vacorr -> world.

detector -> v2v3 is the DISTORTION reference's transform, after the FILTEROFFSET shift of
the exposure's filter (and pupil) and the subarray offset; v2v3 -> v2v3vacorr corrects the
differential velocity aberration; v2v3vacorr -> world rotates to ICRS with the pointing
keywords.  The bounding box is the reference transform's own, else the array's; a subarray
gets the subarray's (SUBSIZE1/2).  Per instrument, as jwst 3.0 does it: NIRCam and NIRISS
match FILTEROFFSET rows on filter and pupil, MIRI on filter alone, FGS has no filter
offsets and keeps a bounding box its reference already has.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from ...errors import InputError, ReferenceFileError
from ...transforms import tree as T
from ...transforms.evaluate import Unsupported
from ...transforms.tree import Tagged
from ...transforms.wcs import TreeWCS, bbox_of
from .transforms import (
    array_bbox,
    dva_correction_node,
    subarray_bbox,
    subarray_offset,
    v2v3_to_sky_node,
)

log = logging.getLogger(__name__)

__all__ = ["IMAGING_MODES", "SKIPPED_MODES", "build_imaging_pipeline", "imaging_mode"]

#: EXP_TYPEs whose WCS is the imaging one, by instrument.
IMAGING_MODES = {
    "NIRCAM": frozenset(
        ("NRC_IMAGE", "NRC_TACQ", "NRC_TACONFIRM", "NRC_CORON", "NRC_FOCUS", "NRC_TSIMAGE")
    ),
    "NIRISS": frozenset(("NIS_IMAGE", "NIS_AMI", "NIS_TACQ", "NIS_TACONFIRM", "NIS_FOCUS")),
    "FGS": frozenset(("FGS_IMAGE", "FGS_FOCUS")),
    "MIRI": frozenset(
        ("MIR_IMAGE", "MIR_TACQ", "MIR_LYOT", "MIR_4QPM", "MIR_CORONCAL", "MIR_TACONFIRM")
    ),
}

#: EXP_TYPEs for which jwst builds no WCS (calibration exposures): the step is SKIPPED.
SKIPPED_MODES = frozenset(
    (
        "NRC_LED", "NRC_DARK", "NRC_FLAT", "NRC_GRISM",
        "NIS_DARK", "NIS_LAMP",
        "FGS_SKYFLAT", "FGS_INTFLAT", "FGS_DARK",
        "MIR_FLATMRS", "MIR_FLATIMAGE", "MIR_FLAT-MRS", "MIR_FLAT-IMAGE", "MIR_DARK",
        "NRS_DARK",
    )
)  # fmt: skip


def imaging_mode(meta) -> str:
    """``"imaging"`` (a DISTORTION-based WCS), ``"nirspec"`` (NIRSpec's optical model),
    ``"skip"`` (no WCS for this exposure type), or raise InputError."""
    from .nirspec import NIRSPEC_IMAGING

    inst = str(meta.get("instrument.name") or "").upper()
    exp = str(meta.get("exposure.type") or "").upper()
    if exp in IMAGING_MODES.get(inst, ()):
        return "imaging"
    if inst == "NIRSPEC" and exp in NIRSPEC_IMAGING:
        return "nirspec"
    if exp in SKIPPED_MODES:
        return "skip"
    if not inst or not exp:
        raise InputError("assign_wcs needs INSTRUME and EXP_TYPE in the exposure's metadata")
    raise InputError(f"assign_wcs: EXP_TYPE {exp} of {inst} is not an imaging mode jwcal supports")


@lru_cache(maxsize=16)
def _read_tree(path: str, stamp: tuple) -> dict:
    from ...datamodels.asdf_block import read_tree

    try:
        with open(path, "rb") as f:
            return read_tree(f.read())
    except OSError as exc:
        raise ReferenceFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ReferenceFileError(f"{path}: not a readable ASDF file ({exc})") from None


def _reference_entry(ref, key: str, reftype: str):
    """Entry ``key`` of an ASDF reference (a path, or a reference model held in memory),
    transforms as ASDF nodes (:mod:`jwcal.transforms.tree`)."""
    if isinstance(ref, (str, os.PathLike)):
        try:
            st = os.stat(ref)
        except OSError as exc:
            raise ReferenceFileError(f"{reftype} reference {ref}: {exc.strerror or exc}") from None
        value = _read_tree(os.fspath(ref), (st.st_mtime_ns, st.st_size)).get(key)
    else:
        from ...datamodels.asdf_block import encode, read_tree

        value = getattr(ref, key, None)
        if value is not None:
            # made in memory (astropy transforms): asdf writes it, as it would to a file
            value = read_tree(encode({key: value})).get(key)
    if value is None:
        raise ReferenceFileError(f"{reftype} reference without a '{key}'")
    return value


def distortion_transform(ref) -> Tagged:
    """The detector -> V2/V3 transform of a DISTORTION reference (a path or a model), as
    an ASDF transform tree."""
    node = _reference_entry(ref, "model", "DISTORTION")
    if not isinstance(node, Tagged):
        raise ReferenceFileError("DISTORTION reference whose 'model' is not a transform")
    return node


def _filter_rows(ref) -> list:
    rows = _reference_entry(ref, "filters", "FILTEROFFSET")
    if not isinstance(rows, list):
        raise ReferenceFileError("FILTEROFFSET reference whose 'filters' is not a list")
    return rows


def _offset_row(rows, match: dict):
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(found) > 1:
        raise ReferenceFileError(
            f"FILTEROFFSET has {len(found)} rows for "
            + ", ".join(f"{k}={v}" for k, v in match.items())
        )
    if not found:
        log.warning("No FILTEROFFSET row matches %s", match)
        return None
    return found[0]


def _ref_bbox(transform):
    try:
        return bbox_of(transform)
    except Unsupported:
        raise ReferenceFileError(
            "DISTORTION reference with a bounding box jwcal cannot read"
        ) from None


def _with_filter_offset(transform, meta, rows, instrument: str):
    filt = meta.get("instrument.filter")
    if instrument == "MIRI":
        # MIRI matches on the filter alone and takes the first row that does
        row = next((r for r in rows if r.get("filter") == filt), None)
        col, rowoff = (row.get("column_offset"), row.get("row_offset")) if row else (None, None)
        if col is None or rowoff is None:
            return transform
    else:
        row = _offset_row(rows, {"filter": filt, "pupil": meta.get("instrument.pupil")})
        if row is None:
            return transform
        col = row.get("column_offset", "N/A")
        rowoff = row.get("row_offset", "N/A")
        if col == "N/A" or rowoff == "N/A":
            return transform
    log.info("Filter offsets: column %s, row %s", col, rowoff)
    return T.compose(T.concat(T.shift(col), T.shift(rowoff)), transform)


def build_imaging_pipeline(model, distortion, filteroffset=None) -> TreeWCS:
    """The WCS of an imaging exposure (detector -> v2v3 -> v2v3vacorr -> world), as a
    :class:`~jwcal.transforms.TreeWCS`: the gwcs jwst builds, held as its ASDF tree.

    Parameters
    ----------
    model : ImageModel or CubeModel
        The exposure (its pointing keywords, subarray, filter, pupil and shape are used).
    distortion : path or DistortionModel
        The DISTORTION reference.
    filteroffset : path, FilteroffsetModel or None
        The FILTEROFFSET reference (ignored for FGS).
    """
    meta = model.meta
    inst = str(meta.get("instrument.name") or "").upper()
    shape = model.shape
    transform = distortion_transform(distortion)
    bbox = _ref_bbox(transform)
    if inst == "FGS":
        if bbox is None:
            transform = T.bounding_box(transform, array_bbox(shape))
    else:
        if filteroffset is not None:
            transform = _with_filter_offset(transform, meta, _filter_rows(filteroffset), inst)
        elif inst == "MIRI":
            log.warning("No FILTEROFFSET reference: the MIRI filter offset is not applied")
        transform = T.bounding_box(transform, array_bbox(shape) if bbox is None else bbox)
    to_full = subarray_offset(meta)
    if to_full is not None:
        transform = T.bounding_box(T.compose(to_full, transform), subarray_bbox(meta))

    need = {
        "wcsinfo.v2_ref": "V2_REF",
        "wcsinfo.v3_ref": "V3_REF",
        "wcsinfo.roll_ref": "ROLL_REF",
        "wcsinfo.ra_ref": "RA_REF",
        "wcsinfo.dec_ref": "DEC_REF",
    }
    missing = [kw for path, kw in need.items() if meta.get(path) is None]
    if missing:
        raise InputError(f"assign_wcs: the exposure has no {', '.join(missing)}")
    v2_ref = meta.get("wcsinfo.v2_ref")
    v3_ref = meta.get("wcsinfo.v3_ref")
    va = dva_correction_node(meta.get("velocity_aberration.scale_factor"), v2_ref, v3_ref)
    tel2sky = v2v3_to_sky_node(
        v2_ref,
        v3_ref,
        meta.get("wcsinfo.roll_ref"),
        meta.get("wcsinfo.ra_ref"),
        meta.get("wcsinfo.dec_ref"),
    )
    arcsec = ("arcsec", "arcsec")
    steps = [
        (T.frame2d("detector"), transform),
        (T.frame2d("v2v3", ("v2", "v3"), arcsec), va),
        (T.frame2d("v2v3vacorr", ("v2", "v3"), arcsec), tel2sky),
        (T.celestial_frame("world"), None),
    ]
    return TreeWCS.from_steps(steps)

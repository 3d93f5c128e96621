"""The APCORR and ABVEGAOFFSET references: aperture radii, corrections and the AB-Vega offset."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ...errors import ReferenceFileError

__all__ = ["ApertureParams", "validate_aperture_ee", "aperture_params", "abvega_offset_for"]

_log = logging.getLogger("jwcal.steps.source_catalog")


@dataclass
class ApertureParams:
    """Apertures of the catalog: radii in output pixels and their corrections."""

    aperture_ee: np.ndarray  #: the three encircled energies (percent)
    aperture_radii: np.ndarray  #: radius of each, pixels of the image
    aperture_corrections: np.ndarray  #: total / enclosed flux of each
    bkg_aperture_inner_radius: float
    bkg_aperture_outer_radius: float

    def as_dict(self) -> dict:
        return {
            "aperture_radii": self.aperture_radii,
            "aperture_corrections": self.aperture_corrections,
            "aperture_ee": self.aperture_ee,
            "bkg_aperture_inner_radius": self.bkg_aperture_inner_radius,
            "bkg_aperture_outer_radius": self.bkg_aperture_outer_radius,
        }


def validate_aperture_ee(values) -> np.ndarray:
    """The three encircled energies as integers, strictly increasing, in (0, 100)."""
    ee = np.asarray(values).astype(int)
    if ee.size != 3:
        raise ValueError("aperture_ee must contain only 3 values")
    if not np.all(ee[1:] > ee[:-1]):
        raise ValueError("aperture_ee values must be strictly increasing")
    if np.any((ee <= 0) | (ee >= 100)):
        raise ValueError("aperture_ee values must be between 0 and 100")
    return ee


def _column(table, name):
    names = table.dtype.names if hasattr(table, "dtype") else table.colnames
    for col in names:
        if col.lower() == name:
            return np.asarray(table[col])
    raise ReferenceFileError(f"the reference table has no {name.upper()} column")


def _text_equal(col, value) -> np.ndarray:
    # FITS pads strings with blanks; None in the exposure matches nothing, as in jwst
    if value is None:
        return np.zeros(len(col), dtype=bool)
    return np.array([str(v).strip() == str(value).strip() for v in col])


def _selector(instrument: str, meta, reftype: str) -> dict | None:
    filt = meta.get("instrument.filter")
    if instrument in ("NIRCAM", "NIRISS"):
        return {"filter": filt, "pupil": meta.get("instrument.pupil")}
    if instrument == "MIRI":
        if reftype == "APCORR":
            return {"filter": filt, "subarray": meta.get("subarray.name")}
        return {"filter": filt}
    if instrument == "FGS":
        return None if reftype == "APCORR" else {"detector": meta.get("instrument.detector")}
    raise ReferenceFileError(f"{instrument or '(no instrument)'} is not a valid instrument")


def _rows(table, selector) -> np.ndarray:
    ok = np.ones(len(table), dtype=bool)
    for key, value in (selector or {}).items():
        ok &= _text_equal(_column(table, key), value)
    return np.flatnonzero(ok)


def aperture_params(apcorr_table, meta, aperture_ee) -> ApertureParams:
    """Aperture radii and corrections of the exposure's filter, scaled to the image pixels.

    Parameters
    ----------
    apcorr_table : structured ndarray or None
        The APCORR table; None gives jwst's fallback (radii 1, 2, 3 pixels, no correction).
    meta : Node
        The image's metadata (instrument, filter, pupil, subarray, pixel_scale_ratio).
    aperture_ee : sequence of 3 int
        The encircled energies (percent) to use; each must be a row of the table.
    """
    ee = validate_aperture_ee(aperture_ee)
    if apcorr_table is None:
        _log.warning(
            "No APCORR reference: fallback aperture radii 1, 2, 3 pixels, no aperture correction"
        )
        return ApertureParams(np.array((1, 2, 3)), np.array((1.0, 2.0, 3.0)),
                              np.array((1.0, 1.0, 1.0)), 5.0, 10.0)  # fmt: skip
    instrument = str(meta.get("instrument.name") or "").upper()
    selector = _selector(instrument, meta, "APCORR")
    rows = _rows(apcorr_table, selector)
    if rows.size == 0:
        raise ReferenceFileError(f"APCORR reference file data is missing for {selector}")
    percent = np.round(_column(apcorr_table, "eefraction")[rows] * 100)
    radius = _column(apcorr_table, "radius")[rows]
    corr = _column(apcorr_table, "apcorr")[rows]
    skyin = _column(apcorr_table, "skyin")[rows]
    skyout = _column(apcorr_table, "skyout")[rows]
    picked = []
    for value in ee:
        hit = np.flatnonzero(percent == value)
        if hit.size != 1:
            what = "no" if hit.size == 0 else "more than one"
            raise ReferenceFileError(
                f"APCORR reference has {what} row for aperture_ee={value} and {selector}"
            )
        picked.append(hit[0])
    picked = np.array(picked)
    sky_in, sky_out = np.unique(skyin[picked]), np.unique(skyout[picked])
    if sky_in.size != 1 or sky_out.size != 1:
        raise ReferenceFileError("APCORR rows of one filter give different SKYIN/SKYOUT values")
    ratio = meta.get("resample.pixel_scale_ratio")
    if ratio is None:
        _log.warning("No pixel_scale_ratio in the image: native detector pixels assumed")
        ratio = 1.0
    # the radii are in detector pixels: a finer output grid (ratio < 1) needs larger radii
    return ApertureParams(
        aperture_ee=ee,
        aperture_radii=radius[picked] / ratio,
        aperture_corrections=corr[picked],
        bkg_aperture_inner_radius=sky_in[0] / ratio,
        bkg_aperture_outer_radius=sky_out[0] / ratio,
    )


def abvega_offset_for(offset_table, meta) -> float:
    """m_AB - m_Vega of the exposure's filter (0 and a warning when no table is given)."""
    if offset_table is None:
        _log.warning("No ABVEGAOFFSET reference: the catalog's Vega magnitudes are AB ones")
        return 0.0
    instrument = str(meta.get("instrument.name") or "").upper()
    selector = _selector(instrument, meta, "ABVEGAOFFSET")
    rows = _rows(offset_table, selector)
    if rows.size != 1:
        what = "no" if rows.size == 0 else "more than one"
        raise ReferenceFileError(f"ABVEGAOFFSET reference has {what} row for {selector}")
    value = _column(offset_table, "abvega_offset")[rows[0]]
    _log.info("AB to Vega magnitude offset %.5f", value)
    return value

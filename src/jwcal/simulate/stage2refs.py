"""The stage-2 imaging references of a simulated detector: FLAT, PHOTOM and AREA (FITS),
DISTORTION and FILTEROFFSET (ASDF), and the photometric scale that ties them to the sky.

Conventions, as the flight references have them: the flat field flattens a uniform sky, so
it holds the relative QE times the relative pixel solid angle (the pixel-area map); PHOTOM
converts the flat-fielded DN/s to MJy/sr; AREA is the solid angle of each pixel relative to
PIXAR_SR (full frame: jwst cuts it to the subarray itself).  A point source of flux F (Jy)
then gives ``sum(SCI * AREA) * PIXAR_SR * 1e6 = F`` after flat_field and photom.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np

from .. import datamodels as dm
from ..dqflags import pixel as DQ
from .geometry import Aperture
from .wcsrefs import FILTERS, filter_key, write_distortion, write_filteroffset

__all__ = ["Photometry", "photometry_for", "pixel_area_map", "mean_pixel_area", "Stage2Refs"]

#: (MJy/sr) / (DN/s) of the default filter of each imager, representative of flight values.
_PHOTMJSR = {
    "NIRCAM_SHORT": 0.26,
    "NIRCAM_LONG": 0.46,
    "NIRISS": 0.32,
    "FGS": 1.6,
    "MIRI": 0.42,
    "NIRSPEC": 0.9,
}

_ARCSEC2_SR = (np.pi / (180.0 * 3600.0)) ** 2


@functools.cache
def mean_pixel_area(ap: Aperture) -> float:
    """PIXAR_A2: the mean solid angle of the pixels (arcsec^2), sampled every 16 pixels."""
    y, x = np.mgrid[8 : ap.ny : 16, 8 : ap.nx : 16]
    return float(ap.pixel_area(x, y).mean())


@functools.lru_cache(maxsize=4)
def pixel_area_map(ap: Aperture) -> np.ndarray:
    """Full-frame solid angle of every pixel relative to PIXAR_A2, float32 (ny, nx)."""
    y, x = np.ogrid[0 : ap.ny, 0 : ap.nx]
    return (ap.pixel_area(x, y) / mean_pixel_area(ap)).astype(np.float32)


@dataclass(frozen=True)
class Photometry:
    """The photometric scale of one detector and filter."""

    pixar_a2: float  #: mean pixel solid angle, arcsec^2
    dn_per_jy: float  #: DN/s (before the flat field) that 1 Jy gives, summed over its PSF
    photmjsr: float  #: the exposure filter's (MJy/sr)/(DN/s) for a flat normalised to 1

    @property
    def pixar_sr(self) -> float:
        return self.pixar_a2 * _ARCSEC2_SR


def photometry_for(det, ap: Aperture, filt: str | None, pupil: str | None) -> Photometry:
    """The photometric scale of the exposure's filter (a deterministic spread of about
    30% around the instrument's typical value, the same in PHOTOM and the sky catalogue)."""
    pixar_a2 = mean_pixel_area(ap)
    photmjsr = _filter_photmjsr(det, filt, pupil)
    pixar_sr = pixar_a2 * _ARCSEC2_SR
    return Photometry(pixar_a2, 1.0 / (1e6 * photmjsr * pixar_sr), photmjsr)


def _filter_photmjsr(det, filt, pupil) -> float:
    key = filter_key(det)
    base = _PHOTMJSR[key]
    first = FILTERS[key][0]
    if (filt, pupil if key not in ("MIRI", "NIRSPEC") else None) == first or key == "FGS":
        return base
    h = zlib.crc32(f"{key}:{filt}:{pupil}".encode())
    return float(np.round(base * (0.75 + 0.5 * (h % 1000) / 1000.0), 5))


class Stage2Refs:
    """Writes the stage-2 imaging references of one detector into a RefWriter's directory.

    Parameters
    ----------
    writer : RefWriter
        The stage-1 writer (its directory, detector, subarray and metadata conventions).
    ap : Aperture
        The detector's geometry.
    phot : Photometry
        The photometric scale of the exposure's filter.
    """

    def __init__(self, writer, ap: Aperture, phot: Photometry):
        self.w = writer
        self.ap = ap
        self.phot = phot

    def flat(self, qe: np.ndarray, area: np.ndarray, dq: np.ndarray) -> float:
        """FLAT at the exposure's subarray: relative QE x relative pixel area, normalised to
        a median of 1 over the good pixels.  Returns the normalisation."""
        w = self.w
        good = (qe > 0) & (dq & DQ["REFERENCE_PIXEL"] == 0)
        resp = qe * area
        norm = float(np.median(resp[good])) if good.any() else 1.0
        data = np.where(qe > 0, resp / norm, 1.0).astype(np.float32)
        fdq = np.where(qe > 0, 0, DQ["NO_FLAT_FIELD"] | DQ["DO_NOT_USE"]).astype(np.uint32)
        fdq |= dq & DQ["REFERENCE_PIXEL"]
        model = dm.FlatModel(data)
        model.dq = fdq
        model.err = np.full(data.shape, 0.002, np.float32)
        from .reffiles import DQ_DEF

        model.dq_def = DQ_DEF
        w._meta(model, "FLAT", "Flat field: relative QE x relative pixel area, median 1")
        if w.filt:
            model.meta.instrument.filter = w.filt
        if w.pupil and w.det.instrument in ("NIRCAM", "NIRISS"):
            model.meta.instrument.pupil = w.pupil
        w._save(model, "flat")
        return norm

    def photom(self, flat_norm: float) -> None:
        """PHOTOM: one row per filter (and pupil, or subarray for MIRI)."""
        w, det = self.w, self.w.det
        key = filter_key(det)
        pixar_sr = self.phot.pixar_sr
        # the exposure filter's factor undoes this detector's flat normalisation exactly
        own = self.phot.photmjsr / flat_norm
        rows = []
        for filt, pupil in FILTERS[key]:
            value = _filter_photmjsr(det, filt, pupil) / flat_norm
            if filt == w.filt and (key in ("MIRI", "FGS") or pupil == w.pupil):
                value = own
            rows.append((filt, pupil, value))
        if key == "FGS":
            model = dm.FgsImgPhotomModel()
            tab = np.zeros(1, dtype=list(model.schema_def.tables["phot_table"].columns))
            tab["photmjsr"] = own
            tab["uncertainty"] = 0.01 * own
        elif key == "MIRI":
            model = dm.MirImgPhotomModel()
            cols = model.schema_def.tables["phot_table"].columns
            subs = (
                "FULL",
                "BRIGHTSKY",
                "SUB256",
                "SUB128",
                "SUB64",
                "MASK1065",
                "MASK1140",
                "MASK1550",
                "MASKLYOT",
            )
            tab = np.zeros(len(rows) * len(subs), dtype=list(cols))
            i = 0
            for filt, _, value in rows:
                for s in subs:
                    tab[i] = (filt, s, value, 0.01 * value)
                    i += 1
        else:
            model = dm.NrcImgPhotomModel() if det.instrument == "NIRCAM" else dm.NisImgPhotomModel()
            cols = model.schema_def.tables["phot_table"].columns
            tab = np.array([(f, p, v, 0.01 * v) for f, p, v in rows], dtype=list(cols))
        model.phot_table = tab
        w._meta(model, "PHOTOM", "Photometric conversion, (MJy/sr)/(DN/s)")
        model.meta.photometry.pixelarea_steradians = pixar_sr
        model.meta.photometry.pixelarea_arcsecsq = self.phot.pixar_a2
        w._save(model, "photom")

    def area(self) -> None:
        """AREA: full-frame relative pixel solid angle, with PIXAR_SR/PIXAR_A2."""
        w = self.w
        model = dm.PixelAreaModel(pixel_area_map(self.ap))
        w._meta(model, "AREA", "Pixel solid angle relative to PIXAR_SR (full frame)")
        model.meta.subarray.name = "FULL"
        model.meta.subarray.xstart = 1
        model.meta.subarray.ystart = 1
        model.meta.subarray.xsize = self.ap.nx
        model.meta.subarray.ysize = self.ap.ny
        model.meta.photometry.pixelarea_steradians = self.phot.pixar_sr
        model.meta.photometry.pixelarea_arcsecsq = self.phot.pixar_a2
        if w.filt:
            model.meta.instrument.filter = w.filt
        if w.pupil and w.det.instrument in ("NIRCAM", "NIRISS"):
            model.meta.instrument.pupil = w.pupil
        w._save(model, "area")

    def wcs(self) -> None:
        """DISTORTION and (not FGS) FILTEROFFSET."""
        w, det = self.w, self.w.det
        stem = f"jwcal_sim_{det.name.lower()}"
        w.paths["distortion"] = write_distortion(w.refdir / f"{stem}_distortion.asdf", det, self.ap)
        p = write_filteroffset(w.refdir / f"{stem}_filteroffset.asdf", det)
        if p is not None:
            w.paths["filteroffset"] = p

    def write_all(self, qe_sub: np.ndarray, dq_sub: np.ndarray, area_sub: np.ndarray) -> None:
        """Every stage-2 imaging reference of the detector.  NIRSpec gets its optical model
        (DISPERSER, FPA, CAMERA, COLLIMATOR, FORE, OTE, WAVELENGTHRANGE) and no FLAT,
        PHOTOM or AREA: its flat fields (FFLAT/SFLAT/DFLAT) and photometry are not
        simulated."""
        w = self.w
        if w.det.instrument == "NIRSPEC":
            from .nirspec_refs import nirspec_optics, write_nirspec_refs

            optics = nirspec_optics(w.det, self.ap)
            w.paths.update(write_nirspec_refs(w.refdir, w.det, optics, w.filt or "CLEAR"))
            return
        norm = self.flat(qe_sub, area_sub, dq_sub)
        self.photom(norm)
        self.area()
        self.wcs()

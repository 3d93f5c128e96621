"""APCORR and ABVEGAOFFSET references of the simulated imagers, for source_catalog.

The aperture radii come from the simulator's own PSF (a sum of circular Gaussians, see
:func:`~jwcal.simulate.scene.psf_sigmas`), so the encircled energy of each row and its
aperture correction (total over enclosed flux) are exact for the simulated stars.  The
AB-Vega offsets are a smooth function of the band's wavelength (Vega taken as about
1600 Jy at 1.25 um falling as lambda^-2), plausible rather than flight values.
"""

from __future__ import annotations

import re

import numpy as np

from .. import datamodels as dm
from .scene import psf_sigmas
from .wcsrefs import FILTERS, _ref_meta, filter_key

__all__ = [
    "EE_FRACTIONS",
    "encircled_energy",
    "drizzled_psf",
    "ee_radius",
    "abvega_offset",
    "CatalogRefs",
]

#: The encircled-energy fractions of the APCORR rows (jwst accepts 20 ... 80 percent).
EE_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
_AB_ZERO_JY = 3631.0


def encircled_energy(radius: float, comps) -> float:
    """Fraction of a sum of circular Gaussians ((sigma, weight), ...) inside ``radius``."""
    total = sum(w for _, w in comps)
    inside = sum(w * -np.expm1(-(radius**2) / (2.0 * s * s)) for s, w in comps)
    return float(inside / total)


def drizzled_psf(det) -> list[tuple[float, float]]:
    """The simulated PSF ((sigma, weight), ...) as it appears on a drizzled ``_i2d`` image,
    where source_catalog measures apertures: convolved with the detector pixel and the
    output pixel, two unit boxes of variance 1/12 each."""
    return [(float(np.sqrt(s * s + 2.0 / 12.0)), w) for s, w in psf_sigmas(det)]


def ee_radius(fraction: float, comps) -> float:
    """Radius (pixels) enclosing ``fraction`` of the PSF, by bisection (EE rises with r)."""
    lo, hi = 0.0, 100.0 * max(s for s, _ in comps)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if encircled_energy(mid, comps) < fraction:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _band_microns(filt: str | None, pupil: str | None) -> float:
    # The pupil wheel carries the band for NIRISS and NIRCam's narrow-band pupils.
    for name in (pupil, filt):
        m = re.fullmatch(r"F(\d{3,4})[WMNX]2?", str(name or ""))
        if m:
            return int(m.group(1)) / 100.0
    return 2.0


def abvega_offset(filt: str | None, pupil: str | None) -> float:
    """m_AB - m_Vega of a band: 2.5 log10(3631 Jy / F_Vega(lambda))."""
    lam = _band_microns(filt, pupil)
    f_vega = 1600.0 * (1.25 / lam) ** 2
    return float(2.5 * np.log10(_AB_ZERO_JY / f_vega))


class CatalogRefs:
    """Write the APCORR (FITS) and ABVEGAOFFSET (ASDF) references of one detector.

    Parameters
    ----------
    writer : RefWriter
        The stage-1 writer (its directory, detector and the ``paths`` it fills).
    """

    def __init__(self, writer):
        self.w = writer
        self.det = writer.det

    def apcorr(self):
        """APCORR: one row per filter (and pupil, or subarray for MIRI) and EE fraction."""
        det = self.det
        comps = drizzled_psf(det)
        radii = [ee_radius(f, comps) for f in EE_FRACTIONS]
        # the sky annulus starts where the PSF's wide wings have faded (4 sigma of the widest)
        widest = max(s for s, _ in comps)
        skyin = float(np.ceil(4.0 * widest))
        skyout = skyin + 10.0
        key = filter_key(det)
        if key == "FGS":
            model, selectors = dm.FgsImgApcorrModel(), [()]
        elif key == "MIRI":
            model = dm.MirImgApcorrModel()
            selectors = [(f, "FULL") for f, _ in FILTERS[key]]
            selectors += [(f, self.w.sub.name) for f, _ in FILTERS[key]]
            selectors = list(dict.fromkeys(selectors))
        else:
            model = dm.NrcImgApcorrModel() if det.instrument == "NIRCAM" else dm.NisImgApcorrModel()
            selectors = list(FILTERS[key])
        cols = model.schema_def.tables["apcorr_table"].columns
        rows = []
        for sel in selectors:
            for frac, r in zip(EE_FRACTIONS, radii, strict=True):
                apcorr = 1.0 / encircled_energy(r, comps)
                rows.append((*sel, frac, r, apcorr, skyin, skyout))
        model.apcorr_table = np.array(rows, dtype=list(cols))
        self.w._meta(model, "APCORR", "Aperture corrections of the simulated PSF")
        model.meta.subarray.name = "GENERIC"
        return self.w._save(model, "apcorr")

    def abvegaoffset(self):
        """ABVEGAOFFSET: m_AB - m_Vega per filter (and pupil); per guider for FGS."""
        from astropy.table import Table

        det = self.det
        key = filter_key(det)
        if key == "FGS":
            table = Table({"detector": [det.name], "abvega_offset": [abvega_offset("F200W", None)]})
        elif key == "MIRI":
            filts = [f for f, _ in FILTERS[key]]
            table = Table(
                {"filter": filts, "abvega_offset": [abvega_offset(f, None) for f in filts]}
            )
        else:
            fp = FILTERS[key]
            table = Table(
                {
                    "filter": [f for f, _ in fp],
                    "pupil": [p for _, p in fp],
                    "abvega_offset": [abvega_offset(f, p) for f, p in fp],
                }
            )
        table["abvega_offset"] = table["abvega_offset"].astype(np.float32)
        ref = dm.ABVegaOffsetModel(abvega_offset=table)
        _ref_meta(ref.meta, det, "ABVEGAOFFSET", "AB minus Vega magnitude offsets", None)
        path = self.w.refdir / f"jwcal_sim_{det.name.lower()}_abvegaoffset.asdf"
        self.w.paths["abvegaoffset"] = ref.save(path)
        return path

    def write_all(self) -> None:
        """Both references; nothing for NIRSpec (no imaging source catalog)."""
        if self.det.instrument == "NIRSPEC":
            return
        self.apcorr()
        self.abvegaoffset()

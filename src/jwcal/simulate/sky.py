"""A sky catalogue (RA, Dec, flux in Jy) rendered through an exposure's true distortion.

The catalogue is drawn once per observation (a scene seed): stars and galaxies placed over
the undithered footprint of the detector plus a margin, then carried to the sky through the
undithered exposure's mapping.  Each exposure renders it through its own mapping (pointing,
dither, velocity aberration, filter offset, distortion), so dithered exposures see one sky,
and the truth tables give every source's sky position and flux and where it fell.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .exposure_wcs import ExposureWcs
from .instruments import DetectorSpec, SubarraySpec
from .scene import Scene, make_scene

__all__ = [
    "SkyCatalog",
    "make_sky_catalog",
    "scene_for_exposure",
    "write_truth_sources",
    "write_truth_catalog",
    "read_truth_sources",
]


@dataclass
class SkyCatalog:
    """Sources on the sky.  Fluxes are totals in Jy (``sum(SB * pixel solid angle)`` of a
    source in MJy/sr, times 1e6); ``sky_mjysr`` is the background surface brightness."""

    ra: np.ndarray  #: deg
    dec: np.ndarray  #: deg
    flux_jy: np.ndarray
    kind: np.ndarray  #: "star" or "galaxy"
    rh_arcsec: np.ndarray  #: galaxy half-light radius (0 for stars)
    q: np.ndarray  #: galaxy axis ratio (1 for stars)
    pa_deg: np.ndarray  #: galaxy major-axis position angle, N through E
    sky_mjysr: float
    dn_per_jy: float  #: DN/s per Jy (before the flat field) of the filter it was drawn for

    def __len__(self) -> int:
        return len(self.ra)


def make_sky_catalog(
    det: DetectorSpec,
    base: ExposureWcs,
    seed: int,
    *,
    dn_per_jy: float,
    photmjsr: float,
    sky: float | None,
    star_density: float,
    galaxy_density: float,
    bright_limit: float | None,
    margin: int = 64,
) -> SkyCatalog:
    """Draw sources over the full detector (undithered) plus ``margin`` pixels and put them
    on the sky; fluxes drawn in DN/s (see :func:`~jwcal.simulate.scene.make_scene`) become
    Jy with the filter's ``dn_per_jy``, the sky (DN/s per mean pixel) becomes MJy/sr."""
    scene = make_scene(
        det,
        seed,
        sky=sky,
        star_density=star_density,
        galaxy_density=galaxy_density,
        bright_limit=bright_limit,
        margin=margin,
    )
    # the scene is drawn in full-frame pixels; the base mapping works in its subarray's
    x0, y0 = base.xstart - 1, base.ystart - 1
    sx, sy = scene.stars[:, 0] - x0, scene.stars[:, 1] - y0
    gx, gy = scene.galaxies[:, 0] - x0, scene.galaxies[:, 1] - y0
    ra_s, dec_s = base.pixel_to_radec(sx, sy)
    ra_g, dec_g = base.pixel_to_radec(gx, gy)
    scale = np.sqrt(np.prod(base.aperture.scales))
    ns, ng = len(sx), len(gx)
    return SkyCatalog(
        ra=np.concatenate([ra_s, ra_g]),
        dec=np.concatenate([dec_s, dec_g]),
        flux_jy=np.concatenate([scene.stars[:, 2], scene.galaxies[:, 2]]) / dn_per_jy,
        kind=np.array(["star"] * ns + ["galaxy"] * ng, dtype="U6"),
        rh_arcsec=np.concatenate([np.zeros(ns), scene.galaxies[:, 3] * scale]),
        q=np.concatenate([np.ones(ns), scene.galaxies[:, 4]]),
        # the renderer's angle is from the +x axis towards +y; the sky's from north to east
        pa_deg=np.concatenate(
            [np.zeros(ns), base.direction_pa(gx, gy, scene.galaxies[:, 5]) % 180.0]
        ),
        sky_mjysr=float(scene.sky * photmjsr),
        dn_per_jy=float(dn_per_jy),
    )


def scene_for_exposure(cat: SkyCatalog, ew: ExposureWcs, dn_per_jy: float) -> tuple[Scene, dict]:
    """The catalogue in this exposure's full-frame pixels, and the sources' positions in its
    array (x, y, 0-based) for the truth table."""
    x, y = ew.radec_to_pixel(cat.ra, cat.dec)
    flux = cat.flux_jy * dn_per_jy
    star = cat.kind == "star"
    xf = x + ew.xstart - 1
    yf = y + ew.ystart - 1
    scale = np.sqrt(np.prod(ew.aperture.scales))
    stars = np.column_stack([xf[star], yf[star], flux[star]])
    gal = np.column_stack(
        [
            xf[~star],
            yf[~star],
            flux[~star],
            cat.rh_arcsec[~star] / scale,
            cat.q[~star],
            ew.pixel_angle(x[~star], y[~star], cat.pa_deg[~star]),
        ]
    )
    return Scene(sky=0.0, stars=stars, galaxies=gal), {"x": x, "y": y, "flux_dn_s": flux}


def write_truth_catalog(path: Path, cat: SkyCatalog) -> Path:
    """The whole catalogue: one row per source."""
    from astropy.table import Table

    t = Table()
    t["id"] = np.arange(1, len(cat) + 1, dtype=np.int32)
    t["kind"] = cat.kind
    t["ra"] = cat.ra
    t["ra"].unit = "deg"
    t["dec"] = cat.dec
    t["dec"].unit = "deg"
    t["flux_jy"] = cat.flux_jy
    t["flux_jy"].unit = "Jy"
    t["rh_arcsec"] = cat.rh_arcsec
    t["q"] = cat.q
    t["pa_deg"] = cat.pa_deg
    t.meta["sky_mjysr"] = cat.sky_mjysr
    t.meta["dn_per_jy"] = cat.dn_per_jy
    t.meta["description"] = (
        "True ICRS positions and total fluxes (Jy) of the simulated sources; a source's "
        "flux is sum(SB * pixel solid angle) over its pixels after flat_field and photom."
    )
    return _write_ecsv(t, path)


def write_truth_sources(
    path: Path, cat: SkyCatalog, ew: ExposureWcs, sub: SubarraySpec, placed: dict, exposure: str
) -> Path:
    """The sources that fall on one exposure: true RA/Dec and flux, and their position in
    the exposure array (0-based pixel centres, through the true distortion)."""
    from astropy.table import Table

    x, y = placed["x"], placed["y"]
    on = (x > -0.5) & (x < sub.xsize - 0.5) & (y > -0.5) & (y < sub.ysize - 0.5)
    t = Table()
    t["id"] = np.arange(1, len(cat) + 1, dtype=np.int32)[on]
    t["kind"] = cat.kind[on]
    t["ra"] = cat.ra[on]
    t["ra"].unit = "deg"
    t["dec"] = cat.dec[on]
    t["dec"].unit = "deg"
    t["flux_jy"] = cat.flux_jy[on]
    t["flux_jy"].unit = "Jy"
    t["flux_dn_s"] = placed["flux_dn_s"][on]
    t["flux_dn_s"].unit = "DN/s"
    t["x"] = x[on]
    t["y"] = y[on]
    t.meta["exposure"] = exposure
    t.meta["va_scale"] = ew.va_scale
    t.meta["description"] = (
        "Sources on the exposure: true ICRS position and total flux (Jy; flux_dn_s is the "
        "count rate before QE and flat field), and the 0-based pixel position in the "
        "exposure array where the true distortion puts them."
    )
    return _write_ecsv(t, path)


def read_truth_sources(path):
    """A truth table as an astropy Table."""
    from astropy.table import Table

    return Table.read(path, format="ascii.ecsv")


def _write_ecsv(t, path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    t.write(tmp, format="ascii.ecsv", overwrite=True)
    os.replace(tmp, path)
    return path


@dataclass
class SkyExposure:
    """What :func:`render_sky` made for one exposure."""

    ew: ExposureWcs
    phot: object  #: :class:`~jwcal.simulate.stage2refs.Photometry`
    catalog: SkyCatalog
    placed: dict  #: x, y (exposure array, 0-based) and flux_dn_s of every catalogue source
    area: np.ndarray  #: relative pixel solid angle of the exposure array


#: The epoch of the undithered mapping that puts a scene on the sky (the simulator's
#: default observation start, 2024-03-01T12:00 UTC).
CATALOG_MJD = 60370.5


def render_sky(
    det: DetectorSpec,
    sub: SubarraySpec,
    *,
    filt: str | None,
    pupil: str | None,
    pointing: tuple[float, float, float],
    dither_arcsec: tuple[float, float],
    mjd: float,
    scene_seed: int,
    switches: dict,
    margin: int = 64,
    use_pysiaf: bool | None = None,
) -> tuple[np.ndarray, SkyExposure]:
    """The sky scene of one exposure: the rate (DN/s, before QE) of its array, and the
    mapping, photometry, catalogue and truth positions behind it.

    The background is ``sky`` DN/s for a pixel of mean solid angle (it scales with each
    pixel's solid angle); sources are rendered at the positions where the exposure's true
    mapping puts their sky positions.
    """
    from .exposure_wcs import exposure_wcs
    from .scene import render_scene
    from .stage2refs import photometry_for, pixel_area_map

    ew = exposure_wcs(
        det,
        sub,
        filt=filt,
        pupil=pupil,
        pointing=pointing,
        dither_arcsec=dither_arcsec,
        mjd=mjd,
        use_pysiaf=use_pysiaf,
    )
    base = exposure_wcs(
        det, sub, filt=None, pupil=None, pointing=pointing, mjd=CATALOG_MJD, use_pysiaf=use_pysiaf
    )
    phot = photometry_for(det, ew.aperture, filt, pupil)
    cat = make_sky_catalog(
        det,
        base,
        scene_seed,
        dn_per_jy=phot.dn_per_jy,
        photmjsr=phot.photmjsr,
        sky=switches["sky"],
        star_density=switches["star_density"],
        galaxy_density=switches["galaxy_density"],
        bright_limit=switches["bright_limit"],
        margin=margin,
    )
    scene, placed = scene_for_exposure(cat, ew, phot.dn_per_jy)
    area_full = pixel_area_map(ew.aperture)
    ys = slice(sub.ystart - 1, sub.ystart - 1 + sub.ysize)
    xs = slice(sub.xstart - 1, sub.xstart - 1 + sub.xsize)
    area = np.ascontiguousarray(area_full[ys, xs])
    rate = render_scene(scene, det, sub)
    rate += (cat.sky_mjysr / phot.photmjsr) * area
    return rate, SkyExposure(ew, phot, cat, placed, area)

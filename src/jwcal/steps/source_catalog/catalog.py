"""Assemble the ``_cat.ecsv`` table: jwst 3.0's columns, order, units, formats, descriptions."""

from __future__ import annotations

import numpy as np

from .photometry import (
    aperture_fluxes,
    flux_to_abmag,
    local_background,
    nearest_neighbours,
    sharpness_roundness,
)
from .refdata import ApertureParams
from .segments import SegmentProperties

__all__ = ["build_catalog", "sky_orientation_offset"]

_SHAPE_DESC = (
    "1-sigma standard deviation along the {} axis of the 2D Gaussian function that has "
    "the same second-order central moments as the source"
)
_BBOX_DESC = "Sky coordinate of the {} vertex of the minimal bounding box of the source"


def sky_orientation_offset(wcs, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise from +x) of North at pixel (x, y): the direction
    to a point 1 arcsec North of its sky position."""
    import astropy.units as u

    sky = wcs.pixel_to_world(x, y)
    x0, y0 = wcs.world_to_pixel(sky)
    x1, y1 = wcs.world_to_pixel(sky.directional_offset_by(0.0, 1.0 * u.arcsec))
    return float(np.rad2deg(np.arctan2(y1 - y0, x1 - x0)))


def _abmag_columns(prefix, flux, err, offset, what, out, desc):
    ab, ab_err = flux_to_abmag(flux, err)
    out[f"{prefix}_abmag"], out[f"{prefix}_abmag_err"] = ab, ab_err
    out[f"{prefix}_vegamag"], out[f"{prefix}_vegamag_err"] = ab - offset, ab_err
    for kind, label in (("abmag", "AB magnitude"), ("vegamag", "Vega magnitude")):
        desc[f"{prefix}_{kind}"] = what.format(t=label, e="")
        desc[f"{prefix}_{kind}_err"] = what.format(t=label, e=" error")


def build_catalog(
    seg: SegmentProperties,
    image_jy: np.ndarray,
    err_jy: np.ndarray,
    wcs,
    apert: ApertureParams,
    abvega_offset: float,
    kernel_fwhm: float,
    ci_star_thresholds,
    crpix=None,
):
    """The catalog as an astropy QTable (fluxes in Jy).

    Parameters
    ----------
    seg : SegmentProperties
        The isophotal measurements.
    image_jy, err_jy : ndarray of shape (ny, nx), float32
        The image and its error in Jy per pixel (not background-subtracted: the apertures
        subtract a local annulus background).
    wcs : gwcs.WCS or None
    apert : ApertureParams
    abvega_offset : float
        m_AB - m_Vega.
    kernel_fwhm : float
        FWHM (pixels) of the detection kernel, also used for sharpness and roundness.
    ci_star_thresholds : (float, float)
        CI thresholds above both of which a source is extended.
    crpix : (float, float), optional
        The 1-based reference pixel where North is measured for ``sky_orientation``.
    """
    import astropy.units as u
    from astropy.table import QTable

    n = len(seg.label)
    xy = np.transpose((seg.xcentroid, seg.ycentroid))
    jy = u.Jy
    cols: dict = {}
    desc: dict = {}

    def put(name, value, text):
        cols[name] = value
        desc[name] = text

    put("label", seg.label.astype(np.int32), "Unique source identification label number")
    put("xcentroid", seg.xcentroid, "X pixel value of the source centroid (0 indexed)")
    put("ycentroid", seg.ycentroid, "Y pixel value of the source centroid (0 indexed)")
    sky = wcs.pixel_to_world(seg.xcentroid, seg.ycentroid) if wcs is not None else None
    put("sky_centroid", sky if sky is not None else np.array([None] * n),
        "ICRS Sky coordinate of the source centroid")  # fmt: skip

    bkg, bkg_err = local_background(
        image_jy, xy, apert.bkg_aperture_inner_radius, apert.bkg_aperture_outer_radius
    )
    put("aper_bkg_flux", bkg * jy, "The local background value calculated as the "
        "sigma-clipped median value in the background annulus aperture")  # fmt: skip
    put("aper_bkg_flux_err", bkg_err * jy,
        "The standard error of the sigma-clipped median background value")  # fmt: skip
    flux, ferr = aperture_fluxes(image_jy, err_jy, xy, apert.aperture_radii, bkg)
    ees = [int(e) for e in apert.aperture_ee]
    within = "{t}{e} within the %d%% encircled energy circular aperture"  # noqa: UP031
    total = (
        "Total aperture-corrected {t}{e} based on the " + str(ees[-1]) + "% encircled energy "
        "circular aperture; should be used only for unresolved sources."
    )
    corr = apert.aperture_corrections[-1]
    tot, tot_err = corr * flux[-1], corr * ferr[-1]
    for i, ee in enumerate(ees):
        put(f"aper{ee}_flux", flux[i] * jy, (within % ee).format(t="Flux", e=""))
        put(f"aper{ee}_flux_err", ferr[i] * jy, (within % ee).format(t="Flux", e=" error"))
    put("aper_total_flux", tot * jy, total.format(t="flux", e=""))
    put("aper_total_flux_err", tot_err * jy, total.format(t="flux", e=" error"))
    mags: dict = {}
    mdesc: dict = {}
    for i, ee in enumerate(ees):
        _abmag_columns(f"aper{ee}", flux[i], ferr[i], abvega_offset, within % ee, mags, mdesc)
    _abmag_columns("aper_total", tot, tot_err, abvega_offset, total, mags, mdesc)
    for kind in ("abmag", "vegamag"):
        for key in [k for k in mags if k.split("_")[-1] == kind or k.endswith(f"{kind}_err")]:
            put(key, mags[key], mdesc[key])

    with np.errstate(invalid="ignore", divide="ignore"):
        ci = [flux[1] / flux[0], flux[2] / flux[1], flux[2] / flux[0]]
    pairs = ((0, 1), (1, 2), (0, 2))
    for (i, j), value in zip(pairs, ci, strict=True):
        put(f"CI_{ees[j]}_{ees[i]}", value, "Concentration index calculated as "
            f"(aper{ees[j]}_flux / aper{ees[i]}_flux)")  # fmt: skip
    with np.errstate(invalid="ignore"):
        extended = (ci[0] > ci_star_thresholds[0]) & (ci[1] > ci_star_thresholds[1])
    put("is_extended", extended, "Flag indicating whether the source is extended")
    sharp, rnd = sharpness_roundness(np.asarray(image_jy), xy, kernel_fwhm)
    put("sharpness", sharp, "The DAOFind source sharpness statistic")
    put("roundness", rnd, "The DAOFind source roundness statistic")
    nn, nd = nearest_neighbours(xy, seg.label)
    put("nn_label", np.asarray(nn).astype(np.int32), "The label number of the nearest neighbor")
    put("nn_dist", nd * u.pix, "The distance in pixels to the nearest neighbor")

    put("isophotal_flux", seg.flux * jy, "Isophotal flux")
    # float32 like the ERR array it comes from (jwst's column type)
    put("isophotal_flux_err", seg.flux_err.astype(np.float32) * jy, "Isophotal flux error")
    ab, ab_err = flux_to_abmag(seg.flux, seg.flux_err)
    put("isophotal_abmag", ab, "Isophotal AB magnitude")
    put("isophotal_abmag_err", ab_err, "Isophotal AB magnitude error")
    put("isophotal_vegamag", ab - abvega_offset, "Isophotal Vega magnitude")
    put("isophotal_vegamag_err", ab_err, "Isophotal Vega magnitude error")
    put("isophotal_area", seg.area * u.pix**2, "Isophotal area")
    put("semimajor_sigma", seg.semimajor_sigma * u.pix, _SHAPE_DESC.format("semimajor"))
    put("semiminor_sigma", seg.semiminor_sigma * u.pix, _SHAPE_DESC.format("semiminor"))
    ell_desc = "1 minus the ratio of the 1-sigma lengths of the semimajor and semiminor axes"
    put("ellipticity", seg.ellipticity * u.dimensionless_unscaled, ell_desc)
    put("orientation", seg.orientation * u.deg, "The angle (degrees) between the positive X "
        "axis and the major axis (increases counter-clockwise)")  # fmt: skip
    if wcs is not None and crpix is not None:
        north = sky_orientation_offset(wcs, crpix[0] - 1.0, crpix[1] - 1.0)
        sky_pa = (180.0 - north + seg.orientation) % 360.0
    else:
        sky_pa = np.full(n, np.nan)
    put("sky_orientation", sky_pa * u.deg,
        "The position angle (degrees) from North of the major axis")  # fmt: skip
    # corners half a pixel outside the box, with the box's far edge taken as the first
    # pixel beyond it (photutils' convention, which jwst's catalog carries)
    xmin, xmax, ymin, ymax = (seg.bbox[:, k].astype(float) for k in range(4))
    corners = {
        "ll": (xmin - 0.5, ymin - 0.5, "lower-left"),
        "ul": (xmin - 0.5, ymax + 1.5, "upper-left"),
        "lr": (xmax + 1.5, ymin - 0.5, "lower-right"),
        "ur": (xmax + 1.5, ymax + 1.5, "upper-right"),
    }
    for key, (cx, cy, what) in corners.items():
        value = wcs.pixel_to_world(cx, cy) if wcs is not None else np.array([None] * n)
        put(f"sky_bbox_{key}", value, _BBOX_DESC.format(what))

    table = QTable()
    for name, value in cols.items():
        table[name] = value
        table[name].info.description = desc[name]
    _formats(table)
    return table


def _formats(table) -> None:
    # the output formats requested by the JWST pipeline working group (as in jwst)
    six = ("nn_dist", "sharpness", "roundness", "semimajor_sigma", "semiminor_sigma",
           "ellipticity", "orientation", "sky_orientation")  # fmt: skip
    for name in table.colnames:
        if name in ("xcentroid", "ycentroid") or "CI_" in name:
            table[name].info.format = ".4f"
        if "flux" in name:
            table[name].info.format = ".6e"
        if "abmag" in name or "vegamag" in name or name in six:
            table[name].info.format = ".6f"

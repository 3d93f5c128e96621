"""Metadata of a resampled product (``_i2d``), as jwst 3.0 writes it."""

from __future__ import annotations

import re

import numpy as np

from .sky import clip_polygon, format_sregion, sregion_polygons

__all__ = ["fill_product_meta", "combined_sregion"]

_SIP_OR_CD = re.compile(r"^(cd[12]_[12]|[ab]p?_\d_\d|[ab]p?_order)$")
_POINTING = ("v2_ref", "v3_ref", "ra_ref", "dec_ref", "roll_ref", "v3yangle", "vparity")
_RAD_ARCSEC = np.rad2deg(3600.0)


def combined_sregion(sregions, grid) -> str | None:
    """S_REGION of the output: each input footprint clipped to the output bounding box (a
    TAN grid keeps great circles straight, so the clipping is done in output pixels)."""
    (x0, x1), (y0, y1) = grid.bounding_box
    polys = []
    for sreg in sregions:
        for poly in sregion_polygons(sreg):
            x, y = grid.world_to_pixel(poly[:, 0], poly[:, 1])
            clipped = clip_polygon(np.stack([x, y], axis=1), x0, x1, y0, y1)
            if len(clipped) >= 3:
                ra, dec = grid.pixel_to_world(clipped[:, 0], clipped[:, 1])
                polys.append(np.stack([np.mod(ra, 360.0), dec], axis=1))
    if not polys:
        return None
    if len(polys) > 1:
        polys = _union(polys, grid)
    return format_sregion(polys)


def _union(polys, grid):
    # The union of several footprints needs polygon boolean operations: shapely (as stcal)
    # when it is installed, else the convex hull of all of them.
    px = []
    for p in polys:
        x, y = grid.world_to_pixel(p[:, 0], p[:, 1])
        px.append(np.stack([x, y], axis=1))
    try:
        import shapely

        merged = shapely.unary_union([shapely.geometry.Polygon(p) for p in px])
        geoms = getattr(merged, "geoms", [merged])
        rings = [np.asarray(g.exterior.coords)[:-1] for g in geoms]
    except ImportError:
        from scipy.spatial import ConvexHull

        pts = np.vstack(px)
        rings = [pts[ConvexHull(pts).vertices]]
    out = []
    for r in rings:
        ra, dec = grid.pixel_to_world(r[:, 0], r[:, 1])
        out.append(np.stack([np.mod(ra, 360.0), dec], axis=1))
    return out


def fill_product_meta(out, result: dict, grid, step_pars: dict, sregions, wcs) -> None:
    """Set the WCS, the FITS WCS keywords, S_REGION, pixel area, resample parameters and
    exposure times of a resampled product."""
    m = out.meta
    m.wcs = wcs
    if "wcsinfo" not in m:
        m.wcsinfo = {}
    info = m.wcsinfo.to_dict()
    for key in [k for k in info if _SIP_OR_CD.match(k)]:
        del info[key]
    if hasattr(grid, "crpix"):
        info.update(
            crpix1=grid.crpix[0] + 1.0, crpix2=grid.crpix[1] + 1.0,
            cdelt1=grid.cdelt, cdelt2=grid.cdelt,
            crval1=grid.crval[0], crval2=grid.crval[1],
            pc1_1=float(grid.pc[0][0]), pc1_2=float(grid.pc[0][1]),
            pc2_1=float(grid.pc[1][0]), pc2_2=float(grid.pc[1][1]),
            ctype1="RA---TAN", ctype2="DEC--TAN", cunit1="deg", cunit2="deg", radesys="ICRS",
        )  # fmt: skip
    for key in _POINTING:
        info.pop(key, None)
    sreg = combined_sregion(sregions, grid)
    if sreg is not None:
        info["s_region"] = sreg
    else:
        info.pop("s_region", None)
    pscale = grid.pixel_scale
    m.photometry.pixelarea_steradians = pscale**2 / _RAD_ARCSEC**2
    m.photometry.pixelarea_arcsecsq = pscale**2
    r = m.resample
    r.pointings = result["pointings"]
    r.pixel_scale_ratio = grid.pixel_scale_ratio
    for key in ("pixfrac", "kernel", "fillval", "weight_type"):
        setattr(r, key, step_pars[key])
    e = m.exposure
    e.exposure_time = result["exposure_time"]
    e.start_time = result["start_time"]
    e.end_time = result["end_time"]
    e.duration = result["duration"]
    e.measurement_time = result["measurement_time"]
    e.effective_exposure_time = result["exposure_time"]
    e.elapsed_exposure_time = result["duration"]
    bkg = m.get("background")
    if isinstance(bkg, dict):
        bkg.pop("level", None)
        bkg.pop("subtracted", None)
    m.cal_step.resample = "COMPLETE"

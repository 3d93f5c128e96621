"""Relative and absolute alignment of image catalogs (the ``align_wcs`` logic of tweakwcs).

Relative: the first group (exposure) is the reference; each other group, in the input
order, is matched to the reference catalog and fitted in the tangent plane of its first
image; its members' WCSs get the correction (carried into each member's own plane by the
local linear map between the planes).  With ``expand_refcat`` the unmatched sources of each
aligned group join the reference catalog.  Absolute: every image together against a
catalog of sky positions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .linfit import FIT_GEOMETRIES, iter_fit
from .matching import estimate_offset, match_lists

__all__ = ["ImageCatalog", "MatchPars", "AlignError", "align_relative", "align_absolute"]

log = logging.getLogger(__name__)


class AlignError(Exception):
    """Alignment cannot be done (too few catalogs, corrections too large)."""


@dataclass
class MatchPars:
    searchrad: float = 2.0
    separation: float = 1.0
    tolerance: float = 0.7
    use2dhist: bool = True
    xoffset: float = 0.0
    yoffset: float = 0.0
    minobj: int = 15
    fitgeom: str = "rshift"
    nclip: int = 3
    sigma: float = 3.0


@dataclass
class ImageCatalog:
    """An image's sources and its WCS being corrected."""

    index: int
    name: str
    group: str
    plane: object  #: TangentPlane of the current WCS
    x: np.ndarray
    y: np.ndarray
    bbox: tuple
    status: str = "FAILED: not aligned"
    new_wcs: object = None
    fit: dict = field(default_factory=dict)

    def world(self):
        return self.plane.det_to_world(self.x, self.y)


def _pixel_scale(plane, bbox) -> float:
    (x0, x1), (y0, y1) = bbox
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    u, v = plane.det_to_tp(np.array([cx, cx + 1.0, cx]), np.array([cy, cy, cy + 1.0]))
    return float(np.sqrt(np.hypot(u[1] - u[0], v[1] - v[0]) * np.hypot(u[2] - u[0], v[2] - v[0])))


def _plane_map(member: ImageCatalog, plane):
    """R, c with plane_tp ~= R @ member_tp + c over the member's bounding box."""
    (x0, x1), (y0, y1) = member.bbox
    gy, gx = np.meshgrid(np.linspace(y0 + 0.5, y1 - 0.5, 5), np.linspace(x0 + 0.5, x1 - 0.5, 5))
    gx, gy = gx.ravel(), gy.ravel()
    pm = np.column_stack(member.plane.det_to_tp(gx, gy))
    pp = np.column_stack(plane.world_to_tp(*member.plane.det_to_world(gx, gy)))
    a = np.column_stack([pm, np.ones(len(pm))])
    sol, *_ = np.linalg.lstsq(a, pp, rcond=None)
    return sol[:2].T, sol[2]


def _fit_group(members, ref_ra, ref_dec, pars: MatchPars, ref_name: str) -> bool:
    """Match and fit one group against reference sky positions; set the members' new WCS."""
    plane = members[0].plane
    names = ", ".join(m.name for m in members)
    ref_tp = np.column_stack(plane.world_to_tp(ref_ra, ref_dec))
    parts, owner = [], []
    for k, m in enumerate(members):
        if len(m.x) == 0:
            continue
        ra, dec = m.world()
        parts.append(np.column_stack(plane.world_to_tp(ra, dec)))
        owner.append(np.full(len(m.x), k))
    if not parts:
        for m in members:
            m.status = "FAILED: empty source catalog"
        return False
    img_tp = np.vstack(parts)
    log.info("Matching sources from '%s' with the reference catalog '%s'", names, ref_name)
    if pars.use2dhist:
        pscale = _pixel_scale(plane, members[0].bbox)
        dx, dy, npair = estimate_offset(img_tp, ref_tp, pars.searchrad, pscale)
        log.info("Initial offset from the 2-D histogram: %.4g, %.4g arcsec (%d pairs)", dx, dy,
                 npair)  # fmt: skip
    else:
        dx, dy = pars.xoffset, pars.yoffset
    ri, ii = match_lists(img_tp, ref_tp, (dx, dy), pars.tolerance, pars.separation)
    minobj = max(pars.minobj, FIT_GEOMETRIES[pars.fitgeom])
    log.info("Found %d matches for '%s'", ri.size, names)
    if ri.size < minobj:
        log.warning("Not enough matches (%d) for '%s'. Min required: %d.", ri.size, names, minobj)
        for m in members:
            m.status = "FAILED: not enough matches"
        return False
    fit = iter_fit(ref_tp[ri], img_tp[ii], pars.fitgeom, pars.nclip, pars.sigma)
    log.debug("residual norms: %s", np.round(np.linalg.norm(fit.resids, axis=1), 4))
    log.info("Fit '%s' of '%s': XSH %.6g  YSH %.6g arcsec  ROT %.6g deg  SCALE %.8g  SKEW %.3g",
             pars.fitgeom, names, fit.shift[0], fit.shift[1], fit.rotation, fit.scale,
             fit.skew)  # fmt: skip
    log.info("FIT RMSE: %.6g arcsec   FIT MAE: %.6g arcsec   %d of %d matches used",
             fit.rmse, fit.mae, int(fit.mask.sum()), ri.size)  # fmt: skip
    info = {
        "fitgeom": pars.fitgeom,
        "matrix": fit.matrix,
        "shift": fit.shift,
        "rot": fit.rotation,
        "scale": fit.scale,
        "skew": fit.skew,
        "rmse": fit.rmse,
        "mae": fit.mae,
        "nmatches": int(ri.size),
        "nused": int(fit.mask.sum()),
    }
    own = np.concatenate(owner)[ii]
    for k, m in enumerate(members):
        if k == 0:
            mm, ss = fit.matrix, fit.shift
        else:
            r, c = _plane_map(m, plane)
            rinv = np.linalg.inv(r)
            mm = rinv @ fit.matrix @ r
            ss = rinv @ (fit.matrix @ c + fit.shift - c)
        m.new_wcs = m.plane.corrected(mm, ss)
        res = fit.resids[(own == k) & fit.mask]
        rms = float(np.sqrt(np.mean(np.sum(res**2, axis=1)))) if res.size else float("nan")
        m.fit = dict(info, image_rmse=rms, image_n=int(len(res)))
        m.status = "SUCCESS"
        log.info("  %s: %d sources fitted, residual RMS %.4g arcsec", m.name, len(res), rms)
    return True


def _moved(m: ImageCatalog) -> float:
    """Largest sky displacement (arcsec) of the bounding-box corners by the new WCS."""
    (x0, x1), (y0, y1) = m.bbox
    x = np.array([x0, x0, x1, x1])
    y = np.array([y0, y1, y1, y0])
    ra0, dec0 = m.plane.det_to_world(x, y)
    ra1, dec1 = m.new_wcs(x, y, with_bounding_box=False)
    d = np.hypot((ra1 - ra0) * np.cos(np.deg2rad(dec0)), dec1 - dec0) * 3600.0
    return float(np.max(d))


def align_relative(images: list[ImageCatalog], pars: MatchPars, expand_refcat: bool = False,
                   enforce_user_order: bool = False) -> list[ImageCatalog]:  # fmt: skip
    """Align groups of images to the first group (see the module description)."""
    groups: dict[str, list[ImageCatalog]] = {}
    for im in images:
        groups.setdefault(im.group, []).append(im)
    usable = []
    for gid, members in groups.items():
        if sum(len(m.x) for m in members) == 0:
            log.warning("Group '%s' will not be aligned: empty source catalog", gid)
            for m in members:
                m.status = "FAILED: empty source catalog"
        else:
            usable.append(members)
    if len(usable) < 2:
        raise AlignError("Too few input images (or groups of images) with non-empty catalogs.")
    if expand_refcat and not enforce_user_order:
        usable = _order_by_overlap(usable)
    ref = usable[0]
    for m in ref:
        m.status = "REFERENCE"
    log.info("Selected image '%s' as reference image", ref[0].name)
    ras, decs = zip(*(m.world() for m in ref), strict=True)
    ref_ra, ref_dec = np.concatenate(ras), np.concatenate(decs)
    for members in usable[1:]:
        ok = _fit_group(members, ref_ra, ref_dec, pars, ref[0].name)
        if ok and expand_refcat:
            ra_n, dec_n = _unmatched(members, ref_ra, ref_dec, pars.tolerance)
            ref_ra = np.concatenate([ref_ra, ra_n])
            ref_dec = np.concatenate([ref_dec, dec_n])
            log.info("Added %d unmatched sources to the reference catalog", ra_n.size)
    limit = (
        2.0 * (pars.searchrad + pars.tolerance)
        if pars.use2dhist
        else 2.0 * (max(abs(pars.xoffset), abs(pars.yoffset)) + pars.tolerance)
    )
    for m in images:
        if m.status == "SUCCESS" and _moved(m) >= limit:
            raise AlignError(
                f"WCS of {m.name} would move by more than {limit:g} arcsec: source mismatch "
                "suspected. Skipping relative alignment..."
            )
    return images


def _unmatched(members, ref_ra, ref_dec, tolerance):
    from scipy.spatial import cKDTree

    dec0 = float(np.median(ref_dec))
    k = np.cos(np.deg2rad(dec0)) * 3600.0
    tree = cKDTree(np.column_stack([ref_ra * k, ref_dec * 3600.0]))
    out_ra, out_dec = [], []
    for m in members:
        if m.new_wcs is None or len(m.x) == 0:
            continue
        ra, dec = m.new_wcs(m.x, m.y, with_bounding_box=False)
        d, _ = tree.query(np.column_stack([ra * k, dec * 3600.0]))
        far = d > tolerance
        out_ra.append(ra[far])
        out_dec.append(dec[far])
    if not out_ra:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(out_ra), np.concatenate(out_dec)


def _order_by_overlap(groups):
    """Reference group = the one overlapping the others most; then by overlap with it."""
    try:
        import shapely
    except ImportError:
        return groups
    polys = []
    dec0 = None
    for members in groups:
        parts = []
        for m in members:
            (x0, x1), (y0, y1) = m.bbox
            ra, dec = m.plane.det_to_world(np.array([x0, x0, x1, x1]), np.array([y0, y1, y1, y0]))
            dec0 = dec[0] if dec0 is None else dec0
            parts.append(shapely.Polygon(np.column_stack([ra * np.cos(np.deg2rad(dec0)), dec])))
        polys.append(shapely.union_all(parts))
    n = len(groups)
    area = np.array([[polys[i].intersection(polys[j]).area if i != j else 0.0 for j in range(n)]
                     for i in range(n)])  # fmt: skip
    first = int(np.argmax(area.sum(axis=1)))
    rest = sorted((i for i in range(n) if i != first), key=lambda j: -area[first, j])
    return [groups[first]] + [groups[j] for j in rest]


def align_absolute(images: list[ImageCatalog], ref_ra, ref_dec, pars: MatchPars,
                   name: str) -> list[ImageCatalog]:  # fmt: skip
    """Fit all images together to a catalog of sky positions."""
    members = [m for m in images if len(m.x)]
    if not members:
        raise AlignError("No sources in any image: alignment to the reference catalog skipped")
    if len(ref_ra) < pars.minobj:
        raise AlignError(
            f"Not enough sources ({len(ref_ra)}) in the reference catalog for the fit. "
            "Skipping alignment to the input reference catalog!"
        )
    # start from the relatively aligned WCSs, when there are
    from .tpcorr import TangentPlane

    for m in members:
        if m.new_wcs is not None:
            m.plane = TangentPlane(m.new_wcs, *m.plane.ref)
            m.new_wcs = None
    if not _fit_group(members, np.asarray(ref_ra, float), np.asarray(ref_dec, float), pars, name):
        raise AlignError(f"alignment to the reference catalog {name} failed: {members[0].status}")
    return images

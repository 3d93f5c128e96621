"""Where two exposures overlap on the sky, and which pixels of one lie in that overlap.

A detector footprint is bounded by great-circle arcs between points of its edge (jwst
joins the four corners unless ``stepsize`` asks for more points).  In the gnomonic
projection about a point near the footprints every great circle is a straight line, so the
intersection of two footprints is the intersection of two plane polygons, found exactly by
Sutherland-Hodgman clipping (the footprints are convex).  The intersection's vertices are
taken back to the sky and through the exposure's inverse WCS into its pixels, and the
pixels inside are selected by the rules of gwcs's polygon scanner, the one jwst uses
(:mod:`.scan`, vectorised), so that both pipelines compute sky statistics on the same
pixels.
"""

from __future__ import annotations

import numpy as np

from .scan import scan_polygon

__all__ = ["Footprint", "overlap_mask", "world_to_pixel"]


def _unit(ra, dec):
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def _radec(v):
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    ra = np.rad2deg(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.rad2deg(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))
    return ra, dec


def border_points(shape, stepsize=None):
    """Pixel coordinates around the edge of an image (pixel edges, counter-clockwise in
    pixels), as jwst samples them: the corners, or points at most ``stepsize`` apart."""
    ny, nx = shape
    mx = 2 if stepsize is None else max(2, int(np.ceil((nx + 1.0) / stepsize)))
    my = 2 if stepsize is None else max(2, int(np.ceil((ny + 1.0) / stepsize)))
    xs = np.linspace(-0.5, nx - 0.5, mx)
    ys = np.linspace(-0.5, ny - 0.5, my)[1:-1]
    x = np.concatenate([xs, np.full(ys.size, nx - 0.5), xs[::-1], np.full(ys.size, -0.5)])
    y = np.concatenate([np.full(xs.size, -0.5), ys, np.full(xs.size, ny - 0.5), ys[::-1]])
    return x, y


class Footprint:
    """The sky outline of one image: unit vectors of its border points."""

    def __init__(self, wcs, shape, stepsize=None):
        x, y = border_points(shape, stepsize)
        ra, dec = wcs(x, y, with_bounding_box=False)
        self.vectors = _unit(np.asarray(ra, float), np.asarray(dec, float))
        self.wcs = wcs
        self.shape = tuple(shape)


class _Plane:
    """Gnomonic projection about a unit vector."""

    def __init__(self, centre):
        c = centre / np.linalg.norm(centre)
        a = np.array([0.0, 0.0, 1.0]) if abs(c[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        e1 = np.cross(a, c)
        e1 /= np.linalg.norm(e1)
        self.c, self.e1, self.e2 = c, e1, np.cross(c, e1)

    def project(self, v):
        w = v @ self.c
        return np.stack([(v @ self.e1) / w, (v @ self.e2) / w], axis=-1)

    def unproject(self, p):
        return self.c + p[:, :1] * self.e1 + p[:, 1:2] * self.e2


def _signed_area(p):
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _clip(subject, clipper):
    """Subject polygon clipped by a convex counter-clockwise polygon (Sutherland & Hodgman
    1974)."""
    out = [tuple(p) for p in subject]
    n = len(clipper)
    for k in range(n):
        if not out:
            break
        ax, ay = clipper[k]
        bx, by = clipper[(k + 1) % n]
        ex, ey = bx - ax, by - ay

        def side(p, ax=ax, ay=ay, ex=ex, ey=ey):
            return ex * (p[1] - ay) - ey * (p[0] - ax)

        pts, out = out, []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            sc, sp = side(cur), side(prev)
            if (sc >= 0) != (sp >= 0):
                t = sp / (sp - sc)
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if sc >= 0:
                out.append(cur)
    return np.array(out, float).reshape(-1, 2)


def intersection(a: Footprint, b: Footprint):
    """Unit vectors of the vertices of the overlap of two footprints, or None."""
    centre = a.vectors.mean(axis=0) + b.vectors.mean(axis=0)
    plane = _Plane(centre)
    if np.any(a.vectors @ plane.c <= 0.0) or np.any(b.vectors @ plane.c <= 0.0):
        return None  # more than a hemisphere apart: no overlap
    pa, pb = plane.project(a.vectors), plane.project(b.vectors)
    if _signed_area(pa) < 0:
        pa = pa[::-1]
    if _signed_area(pb) < 0:
        pb = pb[::-1]
    poly = _clip(pa, pb)
    if len(poly) < 3 or abs(_signed_area(poly)) <= 1e-20:
        return None
    return plane.unproject(poly)


def world_to_pixel(wcs, shape, ra, dec):
    """Pixel coordinates of sky points: the WCS's inverse, or (when it has none that
    works) Newton iterations on its forward transform in the tangent plane of each point."""
    try:
        x, y = wcs.invert(ra, dec, with_bounding_box=False)
        if np.all(np.isfinite(x)) and np.all(np.isfinite(y)):
            return np.asarray(x, float), np.asarray(y, float)
    except Exception:  # noqa: BLE001 - gwcs raises many kinds when it cannot invert
        pass
    ra, dec = np.atleast_1d(np.asarray(ra, float)), np.atleast_1d(np.asarray(dec, float))
    target = _unit(ra, dec)
    x = np.full(ra.shape, (shape[1] - 1) / 2.0)
    y = np.full(ra.shape, (shape[0] - 1) / 2.0)
    planes = [_Plane(t) for t in target]

    def proj(px, py):
        r, d = wcs(px, py, with_bounding_box=False)
        v = _unit(np.asarray(r, float), np.asarray(d, float))
        return np.array([pl.project(vi[None])[0] for pl, vi in zip(planes, v, strict=True)])

    for _ in range(50):
        f = proj(x, y)
        h = 1e-3
        jx = (proj(x + h, y) - f) / h
        jy = (proj(x, y + h) - f) / h
        det = jx[:, 0] * jy[:, 1] - jx[:, 1] * jy[:, 0]
        dx = (-f[:, 0] * jy[:, 1] + f[:, 1] * jy[:, 0]) / det
        dy = (-jx[:, 0] * f[:, 1] + jx[:, 1] * f[:, 0]) / det
        x, y = x + dx, y + dy
        if np.all(np.abs(dx) < 1e-6) and np.all(np.abs(dy) < 1e-6):
            break
    return x, y


def overlap_mask(image: Footprint, others) -> np.ndarray | None:
    """Pixels of ``image`` inside its overlap with any of ``others`` (footprints), or None
    when there is no overlap."""
    mask = np.zeros(image.shape, dtype=bool)
    found = False
    for other in others:
        verts = intersection(image, other)
        if verts is None:
            continue
        found = True
        ra, dec = _radec(verts)
        x, y = world_to_pixel(image.wcs, image.shape, ra, dec)
        x, y = np.asarray(x, float), np.asarray(y, float)
        # the overlap polygons jwst scans run counter-clockwise in pixels; these do too
        if _signed_area(np.stack([x, y], axis=-1)) < 0:
            x, y = x[::-1], y[::-1]
        pts = list(zip(x, y, strict=True))
        pts.append(pts[0])
        mask = scan_polygon(mask, pts)
    return mask if found else None

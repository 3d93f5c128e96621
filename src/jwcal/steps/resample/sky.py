"""Small spherical-geometry helpers of the resample step: S_REGION polygons, angular
separations and the solid angle of a sky polygon."""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "sregion_polygons",
    "format_sregion",
    "angular_separation",
    "polygon_solid_angle",
    "footprint_center",
    "clip_polygon",
]

_POLY = re.compile(r"POLYGON", re.IGNORECASE)


def sregion_polygons(s_region: str) -> list[np.ndarray]:
    """The polygons of an S_REGION string, each an array of shape (n, 2) of (RA, Dec)."""
    out = []
    for part in _POLY.split(s_region or ""):
        numbers = re.sub(r"[a-zA-Z]", " ", part).split()
        if numbers:
            out.append(np.array(numbers, dtype=float).reshape(-1, 2))
    return out


def format_sregion(polygons) -> str:
    """S_REGION text for (RA, Dec) polygons (jwst's format: 9 decimals)."""
    parts = []
    for poly in polygons:
        body = " ".join(f"{x:.9f} {y:.9f}" for x, y in poly)
        parts.append(f"POLYGON ICRS  {body}")
    return "  ".join(parts)


def _unit(ra, dec):
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def angular_separation(ra1, dec1, ra2, dec2):
    """Great-circle distance in degrees (Vincenty's formula, as astropy's)."""
    l1, b1, l2, b2 = (np.deg2rad(v) for v in (ra1, dec1, ra2, dec2))
    dl = l2 - l1
    sdl, cdl = np.sin(dl), np.cos(dl)
    sb1, sb2, cb1, cb2 = np.sin(b1), np.sin(b2), np.cos(b1), np.cos(b2)
    num1 = cb2 * sdl
    num2 = cb1 * sb2 - sb1 * cb2 * cdl
    den = sb1 * sb2 + cb1 * cb2 * cdl
    return np.rad2deg(np.arctan2(np.hypot(num1, num2), den))


def polygon_solid_angle(ra, dec, center) -> float:
    """Solid angle (sr) of a sky polygon, as the fan of spherical triangles from ``center``.

    Each triangle's area is ``2 atan2(|a.(b x c)|, 1 + a.b + b.c + c.a)`` (Van Oosterom &
    Strackee 1983), signed by its orientation so that the sum does not depend on the
    direction the vertices are listed in.
    """
    v = _unit(np.asarray(ra, float), np.asarray(dec, float))
    c = _unit(np.asarray(center[0], float), np.asarray(center[1], float))
    a, b = v, np.roll(v, -1, axis=0)
    triple = np.einsum("ij,ij->i", np.broadcast_to(c, a.shape), np.cross(a, b))
    den = 1.0 + a @ c + b @ c + np.einsum("ij,ij->i", a, b)
    return float(abs(np.sum(2.0 * np.arctan2(triple, den))))


def footprint_center(footprints) -> tuple[float, float]:
    """(RA, Dec) of the centre of the box that bounds the footprints' unit vectors (the
    fiducial point of jwst's output frame)."""
    pts = np.vstack(footprints)
    v = _unit(pts[:, 0], pts[:, 1])
    mid = (v.max(axis=0) + v.min(axis=0)) / 2.0
    lon = np.rad2deg(np.arctan2(mid[1], mid[0])) % 360.0
    lat = np.rad2deg(np.arctan2(mid[2], np.hypot(mid[0], mid[1])))
    return float(lon), float(lat)


def clip_polygon(poly: np.ndarray, xlo: float, xhi: float, ylo: float, yhi: float) -> np.ndarray:
    """A polygon (n, 2) in pixel coordinates clipped to a rectangle (Sutherland & Hodgman
    1974); an empty array when nothing is left."""
    pts = [tuple(p) for p in np.asarray(poly, float)]
    for axis, bound, keep_above in ((0, xlo, True), (0, xhi, False), (1, ylo, True),
                                    (1, yhi, False)):  # fmt: skip
        if not pts:
            break
        out = []
        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            cin = cur[axis] >= bound if keep_above else cur[axis] <= bound
            pin = prev[axis] >= bound if keep_above else prev[axis] <= bound
            if cin != pin:
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append(tuple(p + t * (c - p) for p, c in zip(prev, cur, strict=True)))
            if cin:
                out.append(cur)
        pts = out
    return np.array(pts, dtype=float).reshape(-1, 2)

"""The sky a detector sees: background, stars with a PSF-like profile, and galaxies.

Sources are drawn in full-frame detector pixel coordinates from a scene seed (shared by the
exposures of one observation); a dither offset moves them, so dithered exposures see the
same sky.  Rates are in DN/s before the flat field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

from .instruments import DetectorSpec, SubarraySpec

__all__ = ["Scene", "make_scene", "render_scene", "psf_sigmas"]


@dataclass
class Scene:
    """A source catalogue in full-frame pixel coordinates (0-based, DMS)."""

    sky: float  #: background, DN/s/pixel
    stars: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  #: x, y, flux (DN/s)
    #: x, y, flux (DN/s), half-light radius (px), axis ratio, position angle (rad)
    galaxies: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    flat: bool = False  #: uniform illumination at ``sky`` only


def psf_sigmas(det: DetectorSpec) -> tuple[tuple[float, float], ...]:
    """(sigma in pixels, flux fraction) of the Gaussians whose sum stands for the PSF: a
    diffraction-limited core plus wings, sized for a typical filter of each instrument."""
    core = {"NIRCAM": 0.75, "NIRISS": 0.8, "NIRSPEC": 0.8, "FGS": 0.9, "MIRI": 1.1}[det.instrument]
    if det.channel == "LONG":
        core = 0.85
    return ((core, 0.80), (2.5 * core, 0.15), (7.0 * core, 0.05))


def make_scene(
    det: DetectorSpec,
    seed: int,
    *,
    sky: float | None = None,
    star_density: float = 1.5e-4,
    galaxy_density: float = 3e-4,
    flat: bool = False,
    bright_limit: float | None = None,
    margin: int = 64,
) -> Scene:
    """Draw a scene over the full detector (plus a margin for dithers).

    Star fluxes follow a power-law number count (N(>F) ~ F^-0.6) between 20 DN/s and
    ``bright_limit`` (default: enough to saturate a few stars in ~100 s); galaxies are
    exponential discs with half-light radii of 1.5-8 pixels.  ``margin`` (pixels) extends
    the field beyond the detector's edges, for dithers.
    """
    rng = np.random.default_rng([int(seed), 0x5CE])
    if sky is None:
        sky = {"NIRCAM": 0.35, "NIRISS": 0.3, "NIRSPEC": 0.05, "FGS": 0.5, "MIRI": 25.0}[
            det.instrument
        ]
    if flat:
        return Scene(sky=float(sky), flat=True)
    area = (det.nx + 2 * margin) * (det.ny + 2 * margin)
    fmin = 20.0 if not det.is_miri else 60.0
    fmax = bright_limit or (2.0e5 if not det.is_miri else 1.5e5)

    def positions(n):
        return (
            rng.uniform(-margin, det.nx + margin, n),
            rng.uniform(-margin, det.ny + margin, n),
        )

    ns = rng.poisson(star_density * area)
    x, y = positions(ns)
    u = rng.random(ns)
    a = 0.6
    flux = (fmin**-a - u * (fmin**-a - fmax**-a)) ** (-1 / a)
    stars = np.column_stack([x, y, flux])
    ng = rng.poisson(galaxy_density * area)
    gx, gy = positions(ng)
    gflux = 10 ** rng.uniform(np.log10(fmin), np.log10(fmin) + 2.5, ng)
    rh = rng.uniform(1.5, 8.0, ng)
    q = rng.uniform(0.3, 1.0, ng)
    pa = rng.uniform(0, np.pi, ng)
    galaxies = np.column_stack([gx, gy, gflux, rh, q, pa])
    return Scene(sky=float(sky), stars=stars, galaxies=galaxies)


def _gauss_1d(edges: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    c = erf((edges - mu) / (np.sqrt(2) * sigma))
    return 0.5 * np.diff(c)


def render_scene(
    scene: Scene,
    det: DetectorSpec,
    sub: SubarraySpec,
    *,
    dither: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Rate image in DN/s (before the flat field) of the subarray, shape (ysize, xsize).

    Stars are pixel-integrated sums of Gaussians; galaxies are exponential discs sampled on
    a 3x3 sub-pixel grid.  ``dither`` (dx, dy) in pixels moves the scene on the detector.
    """
    ny, nx = sub.ysize, sub.xsize
    img = np.full((ny, nx), scene.sky, dtype=np.float64)
    if scene.flat:
        return img.astype(np.float32)
    x0, y0 = sub.xstart - 1, sub.ystart - 1
    dx, dy = dither
    comps = psf_sigmas(det)
    for sx, sy, f in scene.stars:
        cx, cy = sx + dx - x0, sy + dy - y0
        half = int(min(60, 6 + 4 * np.log10(max(f, 1.0)) * comps[-1][0] / 2))
        ix, iy = int(np.floor(cx)), int(np.floor(cy))
        xa, xb = max(ix - half, 0), min(ix + half + 1, nx)
        ya, yb = max(iy - half, 0), min(iy + half + 1, ny)
        if xa >= xb or ya >= yb:
            continue
        xe = np.arange(xa, xb + 1) - 0.5
        ye = np.arange(ya, yb + 1) - 0.5
        stamp = np.zeros((yb - ya, xb - xa))
        for sig, frac in comps:
            stamp += frac * np.outer(_gauss_1d(ye, cy, sig), _gauss_1d(xe, cx, sig))
        img[ya:yb, xa:xb] += f * stamp
    sub3 = (np.arange(3) - 1) / 3.0
    for gx, gy, f, rh, q, pa in scene.galaxies:
        cx, cy = gx + dx - x0, gy + dy - y0
        half = int(6 * rh) + 2
        ix, iy = int(np.floor(cx)), int(np.floor(cy))
        xa, xb = max(ix - half, 0), min(ix + half + 1, nx)
        ya, yb = max(iy - half, 0), min(iy + half + 1, ny)
        if xa >= xb or ya >= yb:
            continue
        xs = (np.arange(xa, xb)[None, :, None, None] + sub3[None, None, None, :]) - cx
        ys = (np.arange(ya, yb)[:, None, None, None] + sub3[None, None, :, None]) - cy
        c, s = np.cos(pa), np.sin(pa)
        u = xs * c + ys * s
        v = (-xs * s + ys * c) / q
        r = np.sqrt(u * u + v * v)
        scale = rh / 1.678  # exponential disc: half-light radius = 1.678 scale lengths
        prof = np.exp(-r / scale).mean(axis=(2, 3))
        norm = 2 * np.pi * scale * scale * q
        img[ya:yb, xa:xb] += f * prof / norm
    return img.astype(np.float32)

"""Cosmic-ray hits, snowballs (near-IR) and showers (MIRI) during one integration.

Rates and energies follow the flight experience: 5 hits/cm^2/s by default (NIRSpec measured
2.3-4.3 ions/cm^2/s at L2 in 2022-2025, Rauscher & Fixsen 2025; the ETC assumes 8), a typical
hit depositing ~5000 e- (6 keV in HgCdTe) over ~7 pixels, with a Landau-like tail and a few
per cent of heavier ions (charge ~ Z^2); snowballs about once per 20 s on a 2k x 2k detector
(JDox "Shower and snowball artifacts"), MIRI showers at half that rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Hit", "draw_hits", "HIT_COLUMNS"]

#: Columns of the truth table of injected jumps.
HIT_COLUMNS = ("integration", "group", "y", "x", "amplitude", "event", "kind")


@dataclass
class Hit:
    """Charge deposited at one frame: pixel indices and electrons, and the event kind."""

    frame: int
    ys: np.ndarray
    xs: np.ndarray
    electrons: np.ndarray
    kind: str  #: "cr", "snowball" or "shower"


def _spread(rng, cy, cx, total, sigma, length, angle, ny, nx):
    """Charge of a (possibly oblique) track, pixel-integrated on a small stamp."""
    n_sub = max(1, int(np.ceil(length * 2)))
    t = np.linspace(-0.5, 0.5, n_sub) * length
    py = cy + t * np.sin(angle)
    px = cx + t * np.cos(angle)
    h = int(np.ceil(3 * sigma + length / 2)) + 1
    iy, ix = int(np.floor(cy)), int(np.floor(cx))
    yy = np.arange(iy - h, iy + h + 1)
    xx = np.arange(ix - h, ix + h + 1)
    from scipy.special import erf

    def frac(edges, centres):
        c = erf((edges[None, :] - centres[:, None]) / (np.sqrt(2) * sigma))
        return 0.5 * np.diff(c, axis=1)

    fy = frac(np.append(yy, yy[-1] + 1) - 0.5, py)
    fx = frac(np.append(xx, xx[-1] + 1) - 0.5, px)
    stamp = np.einsum("ky,kx->yx", fy, fx) / n_sub
    e = total * stamp
    Y, X = np.meshgrid(yy, xx, indexing="ij")
    keep = (e > 1.0) & (Y >= 0) & (Y < ny) & (X >= 0) & (X < nx)
    return Y[keep], X[keep], e[keep]


def _snowball(rng, cy, cx, ny, nx, full_e):
    """A round event: a saturated core of radius 2-6 px and a halo holding ~20% more."""
    r0 = rng.uniform(2.0, 6.0)
    h = int(3 * r0) + 2
    iy, ix = int(cy), int(cx)
    yy, xx = np.mgrid[iy - h : iy + h + 1, ix - h : ix + h + 1]
    r = np.hypot(yy + 0.5 - cy, xx + 0.5 - cx)
    e = np.where(r <= r0, 1.5 * full_e, 0.2 * full_e * np.exp(-(r - r0) / (0.4 * r0)))
    keep = (e > 1.0) & (yy >= 0) & (yy < ny) & (xx >= 0) & (xx < nx)
    return yy[keep], xx[keep], e[keep]


def _shower(rng, cy, cx, ny, nx):
    """An elongated, irregular MIRI shower: a bright track and scattered secondary charge."""
    ys, xs, es = [], [], []
    angle = rng.uniform(0, np.pi)
    y, x, e = _spread(rng, cy, cx, rng.uniform(2e5, 1e6), 1.2, rng.uniform(5, 20), angle, ny, nx)
    ys.append(y)
    xs.append(x)
    es.append(e)
    for _ in range(rng.integers(10, 40)):
        sy = cy + rng.normal(0, 12)
        sx = cx + rng.normal(0, 12)
        y, x, e = _spread(rng, sy, sx, rng.uniform(300, 3000), 1.5, 0.0, 0.0, ny, nx)
        ys.append(y)
        xs.append(x)
        es.append(e)
    return np.concatenate(ys), np.concatenate(xs), np.concatenate(es)


def draw_hits(
    rng: np.random.Generator,
    *,
    ny: int,
    nx: int,
    nframes_total: int,
    tframe: float,
    pixel_um: float,
    sensitive: np.ndarray,
    rate_per_cm2_s: float = 5.0,
    large_events: bool = True,
    miri: bool = False,
    full_well_e: float = 1e5,
    det_area_px: int = 2048 * 2048,
) -> list[Hit]:
    """The hits of one integration of ``nframes_total`` frames on an ny x nx region.

    Only light-sensitive pixels (``sensitive``) collect charge: reference pixels are not
    connected to the detector material.
    """
    hits: list[Hit] = []
    area_cm2 = ny * nx * (pixel_um * 1e-4) ** 2
    duration = nframes_total * tframe
    n = rng.poisson(rate_per_cm2_s * area_cm2 * duration)
    if n:
        frames = rng.integers(0, nframes_total, n)
        cy = rng.uniform(0, ny, n)
        cx = rng.uniform(0, nx, n)
        # Landau-like deposit (Moyal distribution, most probable ~3000 e-, mean ~5000 e-)
        # times the path-length factor of an isotropic flux through a thin layer.
        z = rng.standard_normal(n)
        moyal = 3000.0 + 900.0 * (-np.log(np.clip(z * z, 1e-12, None)))
        cos_t = np.sqrt(rng.uniform(0.04, 1.0, n))
        charge = moyal / cos_t
        heavy = rng.random(n)
        charge = np.where(heavy < 0.10, charge * 4.0, charge)  # helium
        charge = np.where(heavy < 0.01, charge * rng.uniform(9, 60, n), charge)  # C..Fe
        tan_t = np.sqrt(1 - cos_t**2) / cos_t
        length = np.minimum(tan_t * (0.4 if not miri else 1.4), 12.0)
        angle = rng.uniform(0, np.pi, n)
        for i in range(n):
            ys, xs, es = _spread(rng, cy[i], cx[i], charge[i], 0.55, length[i], angle[i], ny, nx)
            ok = sensitive[ys, xs]
            if ok.any():
                hits.append(Hit(int(frames[i]), ys[ok], xs[ok], es[ok], "cr"))
    if large_events:
        rate_big = (0.5 if miri else 1.0) / 20.0 * (ny * nx) / det_area_px
        nb = rng.poisson(rate_big * duration)
        for _ in range(nb):
            fr = int(rng.integers(0, nframes_total))
            cy, cx = rng.uniform(0, ny), rng.uniform(0, nx)
            if miri:
                ys, xs, es = _shower(rng, cy, cx, ny, nx)
                kind = "shower"
            else:
                ys, xs, es = _snowball(rng, cy, cx, ny, nx, full_well_e)
                kind = "snowball"
            ok = sensitive[ys, xs]
            if ok.any():
                hits.append(Hit(fr, ys[ok], xs[ok], es[ok], kind))
    hits.sort(key=lambda h: h.frame)
    return hits

"""Small images with a distorted gwcs, for the resample and image2 tests."""

from __future__ import annotations

import numpy as np
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models as am

from jwcal import datamodels as dm

RA0, DEC0 = 53.16, -27.79
PSCALE = 0.031 / 3600.0  # degrees per pixel


def distorted_wcs(shape, roll=20.0, distortion=2e-5, ra0=RA0, dec0=DEC0):
    """A gwcs: pixel -> (quadratic + cubic distortion) -> tangent plane -> sky."""
    import gwcs
    from gwcs import coordinate_frames as cf

    ny, nx = shape
    cx, cy = (nx - 1) / 2.0, (ny - 1) / 2.0
    d = distortion
    px = am.Polynomial2D(3, c1_0=1.0, c2_0=d, c1_1=0.5 * d, c0_2=-0.3 * d, c3_0=1e-3 * d,
                         c1_2=2e-3 * d)  # fmt: skip
    py = am.Polynomial2D(3, c0_1=1.0, c0_2=0.7 * d, c1_1=-0.4 * d, c2_0=0.2 * d,
                         c0_3=-1e-3 * d, c2_1=1.5e-3 * d)  # fmt: skip
    dist = am.Mapping((0, 1, 0, 1)) | (px & py)
    th = np.deg2rad(roll)
    rot = np.array([[-np.cos(th), np.sin(th)], [np.sin(th), np.cos(th)]])
    fwd = (
        (am.Shift(-cx) & am.Shift(-cy))
        | dist
        | am.AffineTransformation2D(matrix=rot * PSCALE)
        | am.Pix2Sky_TAN()
        | am.RotateNative2Celestial(ra0, dec0, 180.0)
    )
    det = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg),
                            axes_names=("lon", "lat"), axes_order=(0, 1))  # fmt: skip
    w = gwcs.WCS([(det, fwd), (sky, None)])
    w.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    return w


def make_image(shape=(90, 100), roll=20.0, seed=1, value=None, filename="jw01_nrca1_cal.fits",
               ra0=RA0, dec0=DEC0):  # fmt: skip
    """A calibrated ImageModel (MJy/sr) with variances, DQ, wcsinfo and S_REGION."""
    rng = np.random.default_rng(seed)
    m = dm.ImageModel(
        (rng.normal(1.0, 0.05, shape) if value is None else np.full(shape, value)).astype("f4")
    )
    m.dq = np.zeros(shape, np.uint32)
    m.var_rnoise = np.full(shape, 0.01, np.float32)
    m.var_poisson = rng.uniform(0.001, 0.003, shape).astype(np.float32)
    m.var_flat = np.full(shape, 1e-4, np.float32)
    m.err = np.sqrt(m.var_rnoise + m.var_poisson + m.var_flat)
    w = distorted_wcs(shape, roll=roll, ra0=ra0, dec0=dec0)
    m.meta.wcs = w
    ny, nx = shape
    cx, cy = (nx - 1) / 2.0, (ny - 1) / 2.0
    ra_ref, dec_ref = w(cx, cy)
    fx = np.array([-0.5, -0.5, nx - 0.5, nx - 0.5])
    fy = np.array([-0.5, ny - 0.5, ny - 0.5, -0.5])
    ra, dec = w(fx, fy, with_bounding_box=False)
    body = " ".join(f"{a:.9f} {b:.9f}" for a, b in zip(ra, dec, strict=True))
    info = m.meta.wcsinfo
    info.ra_ref, info.dec_ref = float(ra_ref), float(dec_ref)
    info.roll_ref, info.v3yangle, info.vparity = roll, 0.0, -1
    info.v2_ref, info.v3_ref = 120.0, -527.0
    info.s_region = f"POLYGON ICRS  {body}"
    m.meta.filename = filename
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCA1"
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.exposure.exposure_time = 100.0
    m.meta.exposure.measurement_time = 90.0
    m.meta.exposure.duration = 110.0
    m.meta.exposure.start_time = 60000.0
    m.meta.exposure.end_time = 60000.001
    m.meta.bunit_data = "MJy/sr"
    m.meta.bunit_err = "MJy/sr"
    m.meta.photometry.pixelarea_steradians = (PSCALE * np.pi / 180) ** 2
    return m


def add_star(model, ra, dec, flux=1000.0, sigma_arcsec=0.05, oversample=5):
    """Add a circular Gaussian star at (ra, dec), integrated over each pixel by sub-sampling
    the pixel through the model's WCS."""
    ny, nx = model.shape
    w = model.meta.wcs
    s = (np.arange(oversample) + 0.5) / oversample - 0.5
    y, x = np.indices((ny, nx), dtype=float)
    img = np.zeros((ny, nx))
    cosd = np.cos(np.deg2rad(dec))
    for dy in s:
        for dx in s:
            r, d = w(x + dx, y + dy, with_bounding_box=False)
            ex = (r - ra) * cosd * 3600.0
            ey = (d - dec) * 3600.0
            img += np.exp(-0.5 * (ex * ex + ey * ey) / sigma_arcsec**2)
    model.data = (model.data + flux * img / oversample**2).astype(np.float32)

"""A synthetic resampled image (``_i2d``-like) with known Gaussian stars, and its references."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from jwcal import datamodels as dm

RA0, DEC0 = 53.16, -27.79
PSCALE = 0.031 / 3600.0  # degrees per pixel
PIXAR_SR = (PSCALE * np.pi / 180.0) ** 2
SIGMA = 1.2  # PSF sigma, pixels
NOISE_JY = 2e-9  # per-pixel noise, Jy
EES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
ABVEGA = 1.25


def tan_wcs(shape, roll=30.0):
    """A gwcs: pixel -> tangent plane (rotated) -> sky, CRPIX at the image centre."""
    import gwcs
    from astropy import coordinates as coord
    from astropy import units as u
    from astropy.modeling import models as am
    from gwcs import coordinate_frames as cf

    ny, nx = shape
    th = np.deg2rad(roll)
    rot = np.array([[-np.cos(th), np.sin(th)], [np.sin(th), np.cos(th)]]) * PSCALE
    fwd = (
        (am.Shift(-(nx - 1) / 2.0) & am.Shift(-(ny - 1) / 2.0))
        | am.AffineTransformation2D(matrix=rot)
        | am.Pix2Sky_TAN()
        | am.RotateNative2Celestial(RA0, DEC0, 180.0)
    )
    det = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg),
                            axes_names=("lon", "lat"), axes_order=(0, 1))  # fmt: skip
    w = gwcs.WCS([(det, fwd), (sky, None)])
    w.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    return w


def gaussian_stars(shape, stars, sigma=SIGMA):
    """Pixel-integrated circular Gaussians: stars is an (n, 3) array of x, y, flux."""
    ny, nx = shape
    img = np.zeros(shape)
    edges_x = np.arange(nx + 1) - 0.5
    edges_y = np.arange(ny + 1) - 0.5
    s = sigma * np.sqrt(2.0)
    for x, y, f in stars:
        fx = np.diff(0.5 * erf((edges_x - x) / s))
        fy = np.diff(0.5 * erf((edges_y - y) / s))
        img += f * np.outer(fy, fx)
    return img


def star_field(shape=(200, 200), seed=3, n=12, sky_jy=0.0):
    """Well-separated stars on a grid (jittered), fluxes spread over 60-2000 sigma."""
    rng = np.random.default_rng(seed)
    ny, nx = shape
    side = int(np.ceil(np.sqrt(n)))
    gx = np.linspace(25, nx - 26, side)
    gy = np.linspace(25, ny - 26, side)
    xy = np.array([(x, y) for y in gy for x in gx])[:n]
    xy += rng.uniform(-3, 3, xy.shape)
    noise_ap = NOISE_JY * np.sqrt(np.pi * 16.0)
    flux = noise_ap * np.geomspace(60, 2000, n)
    stars = np.column_stack([xy, flux])
    img = gaussian_stars(shape, stars) + sky_jy + rng.normal(0, NOISE_JY, shape)
    return img, stars


def make_i2d(img_jy, roll=30.0, filename="jw01_t001_nircam_clear-f150w_i2d.fits"):
    """An ImageModel laid out as resample writes an ``_i2d`` (MJy/sr, ERR, WHT, CON)."""
    shape = img_jy.shape
    to_mjysr = 1.0 / (1e6 * PIXAR_SR)
    m = dm.ImageModel((img_jy * to_mjysr).astype(np.float32))
    m.err = np.full(shape, NOISE_JY * to_mjysr, np.float32)
    m.wht = np.ones(shape, np.float32)
    m.con = np.ones((1,) + shape, np.int32)
    m.meta.wcs = tan_wcs(shape, roll)
    info = m.meta.wcsinfo
    info.crpix1, info.crpix2 = (shape[1] + 1) / 2.0, (shape[0] + 1) / 2.0
    info.crval1, info.crval2 = RA0, DEC0
    m.meta.filename = filename
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "MULTIPLE"
    m.meta.instrument.filter = "F150W"
    m.meta.instrument.pupil = "CLEAR"
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.bunit_data = "MJy/sr"
    m.meta.bunit_err = "MJy/sr"
    m.meta.photometry.pixelarea_steradians = PIXAR_SR
    m.meta.resample.pixel_scale_ratio = 1.0
    return m


def ee_radius(frac, sigma=SIGMA):
    # the pixel integration of the image and the exact pixel-overlap weighting of the
    # circle each widen the Gaussian by 1/12 pixel^2 in variance (0.1% at 70% EE)
    s = np.sqrt(sigma**2 + 2.0 / 12.0)
    return s * np.sqrt(-2.0 * np.log1p(-frac))


def apcorr_model(sigma=SIGMA, filt="F150W", pupil="CLEAR"):
    """APCORR rows of a Gaussian PSF: the EE radii and apcorr = 1 / EE."""
    model = dm.NrcImgApcorrModel()
    cols = model.schema_def.tables["apcorr_table"].columns
    rows = [(filt, pupil, f, ee_radius(f, sigma), 1.0 / f, 12.0, 22.0) for f in EES]
    rows += [("F200W", pupil, f, 9.0, 1.0, 15.0, 25.0) for f in EES]
    model.apcorr_table = np.array(rows, dtype=list(cols))
    model.meta.reftype = "APCORR"
    model.meta.instrument.name = "NIRCAM"
    return model


def abvega_model(value=ABVEGA):
    from astropy.table import Table

    table = Table({"filter": ["F150W", "F200W"], "pupil": ["CLEAR", "CLEAR"],
                   "abvega_offset": np.array([value, 1.7], np.float32)})  # fmt: skip
    ref = dm.ABVegaOffsetModel(abvega_offset=table)
    ref.meta.reftype = "ABVEGAOFFSET"
    ref.meta.instrument.name = "NIRCAM"
    return ref

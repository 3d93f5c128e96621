"""Test-only helpers: NIRCam-like distortions and a gwcs path from input pixels to an output
TAN grid, standing in for the jwcal resample step (which jwcore must not import)."""

import numpy as np

NX = NY = 2048

# Coefficients (pixels) of a degree-5 distortion in u = (x - 1023.5) / 1024,
# v = (y - 1023.5) / 1024, with amplitudes like NIRCam's short-wave detectors: a few pixels
# of quadratic and cubic terms at the corners, fractions of a pixel at degrees 4 and 5.
_DX = {
    (2, 0): 3.1,
    (1, 1): -1.7,
    (0, 2): 0.9,
    (3, 0): 2.2,
    (2, 1): 0.6,
    (1, 2): 1.9,
    (0, 3): -0.4,
    (4, 0): 0.35,
    (3, 1): -0.2,
    (2, 2): 0.15,
    (0, 4): 0.1,
    (5, 0): 0.12,
    (3, 2): -0.08,
    (1, 4): 0.06,
    (0, 5): -0.05,
}
_DY = {
    (2, 0): -0.8,
    (1, 1): 2.4,
    (0, 2): -2.6,
    (3, 0): 0.5,
    (2, 1): 1.8,
    (1, 2): -0.3,
    (0, 3): 2.0,
    (4, 0): -0.1,
    (1, 3): 0.25,
    (2, 2): -0.2,
    (0, 4): 0.3,
    (4, 1): 0.07,
    (2, 3): 0.09,
    (0, 5): 0.11,
    (5, 0): -0.04,
}


def distortion(x, y, dx=_DX, dy=_DY, scale=1.0):
    """Distorted ("ideal") pixel position of detector pixel (x, y): linear + degree-5 terms."""
    u = (np.asarray(x, float) - 1023.5) / 1024.0
    v = (np.asarray(y, float) - 1023.5) / 1024.0
    xo = np.asarray(x, float).copy()
    yo = np.asarray(y, float).copy()
    for (i, j), c in dx.items():
        xo += scale * c * u**i * v**j
    for (i, j), c in dy.items():
        yo += scale * c * u**i * v**j
    return xo, yo


def nircam_like_pixmap(shape=(NY, NX), shift=(30.3, 20.7), rot_deg=0.4, ratio=1.0):
    """Exact pixel map: distortion, then a rotation/shift/scale onto an output grid."""
    ny, nx = shape
    y, x = np.indices(shape, dtype=float)
    xd, yd = distortion(x * (NX - 1) / max(nx - 1, 1), y * (NY - 1) / max(ny - 1, 1))
    xd *= (nx - 1) / (NX - 1)
    yd *= (ny - 1) / (NY - 1)
    t = np.deg2rad(rot_deg)
    c, s = np.cos(t), np.sin(t)
    xo = (c * xd - s * yd) / ratio + shift[0]
    yo = (s * xd + c * yd) / ratio + shift[1]
    return np.dstack([xo, yo])


def gwcs_pair(
    shape=(NY, NX),
    crval=(80.5, -69.5),
    pscale=0.031,
    out_pscale=0.031,
    roll_deg=37.0,
    out_shape=None,
):
    """(input gwcs, output TAN description, output gwcs) for an end-to-end pixel map.

    Input: detector pixel -> degree-5 distortion (pixels) -> offset from the reference
    pixel -> rotation by the roll and scaling to degrees -> TAN -> sky.  Output: a TAN grid
    north-up with CD = diag(-out_pscale, out_pscale) arcsec, containing the whole input.
    """
    from astropy import coordinates as coord
    from astropy import units as u
    from astropy.modeling import models
    from gwcs import coordinate_frames as cf
    from gwcs import wcs

    ny, nx = shape
    cx, cy = (nx - 1) / 2, (ny - 1) / 2

    def poly(coeffs, lin):
        deg = 5
        p = models.Polynomial2D(deg)
        # model in u, v: fold the normalisation into Shift/Scale in front of it
        for (i, j), c in coeffs.items():
            setattr(p, f"c{i}_{j}", c)
        setattr(p, f"c{lin[0]}_{lin[1]}", 1024.0)
        return p

    norm = (models.Shift(-1023.5) & models.Shift(-1023.5)) | (
        models.Scale(1 / 1024.0) & models.Scale(1 / 1024.0)
    )
    dist = norm | models.Mapping((0, 1, 0, 1)) | (poly(_DX, (1, 0)) & poly(_DY, (0, 1)))
    # the polynomials give (x - 1023.5, y - 1023.5) + distortion in pixels
    t = np.deg2rad(roll_deg)
    mat = pscale / 3600.0 * np.array([[-np.cos(t), np.sin(t)], [np.sin(t), np.cos(t)]])
    off = (models.Shift(1023.5 - cx) & models.Shift(1023.5 - cy)) | models.AffineTransformation2D(
        matrix=mat
    )
    sky = models.Pix2Sky_TAN() | models.RotateNative2Celestial(crval[0], crval[1], 180.0)
    forward = dist | off | sky
    det = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    world = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world")
    win = wcs.WCS([(det, forward), (world, None)])
    win.bounding_box = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))

    if out_shape is None:
        out_shape = (int(ny * 1.6 * pscale / out_pscale), int(nx * 1.6 * pscale / out_pscale))
    ony, onx = out_shape
    crpix = ((onx - 1) / 2, (ony - 1) / 2)
    cd = np.array([[-out_pscale / 3600.0, 0.0], [0.0, out_pscale / 3600.0]])
    tan = {"crval": crval, "crpix": crpix, "cd": cd, "shape": out_shape}
    oforward = (
        (models.Shift(-crpix[0]) & models.Shift(-crpix[1]))
        | models.AffineTransformation2D(matrix=cd)
        | models.Pix2Sky_TAN()
        | models.RotateNative2Celestial(crval[0], crval[1], 180.0)
    )
    wout = wcs.WCS([(cf.Frame2D(name="detector"), oforward), (world, None)])
    return win, tan, wout

"""The pieces of an imaging WCS that come from the exposure's own metadata.

- the subarray offset (science pixels of the array -> full-frame pixels of the reference);
- the differential velocity aberration, a scale of V2/V3 about (V2_REF, V3_REF);
- V2/V3 -> ICRS: the unit vector of (V2, V3) turned by the frame rotations
  z(V2_REF), y(-V3_REF), x(ROLL_REF), y(DEC_REF), z(-RA_REF), which put the reference
  point at (RA_REF, DEC_REF) with V3 at position angle ROLL_REF there.

They are astropy models, as a gwcs pipeline stored in a product (and read by any JWST
tool) needs them to be.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "subarray_offset",
    "array_bbox",
    "subarray_bbox",
    "dva_correction",
    "v2v3_to_sky",
]


def subarray_offset(meta):
    """Shift from the array's 0-based pixels to full-frame ones, or None for full frame."""
    from astropy.modeling.models import Identity, Shift

    xstart = meta.get("subarray.xstart")
    ystart = meta.get("subarray.ystart")
    tx = Shift(xstart - 1) if xstart is not None and xstart != 1 else Identity(1)
    ty = Shift(ystart - 1) if ystart is not None and ystart != 1 else Identity(1)
    if isinstance(tx, Identity) and isinstance(ty, Identity):
        return None
    return tx & ty


def array_bbox(shape) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x0, x1), (y0, y1)): the pixel edges of an array of ``shape`` (..., ny, nx)."""
    return (-0.5, shape[-1] - 0.5), (-0.5, shape[-2] - 0.5)


def subarray_bbox(meta) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x0, x1), (y0, y1)) from SUBSIZE1/2 (the array's own pixels, 0-based)."""
    xsize = meta.get("subarray.xsize")
    ysize = meta.get("subarray.ysize")
    x1 = xsize - 0.5 if xsize is not None else -0.5
    y1 = ysize - 0.5 if ysize is not None else -0.5
    return (-0.5, x1), (-0.5, y1)


def dva_correction(scale, v2_ref, v3_ref):
    """V2/V3 -> V2/V3 corrected for the differential velocity aberration.

    ``scale`` is VA_SCALE; the field is scaled about (V2_REF, V3_REF), the point whose sky
    position the pointing keywords give.  Identity when the scale is unknown or 1.
    """
    from astropy.modeling.models import Identity, Scale, Shift

    if scale is None or scale == 1:
        return Identity(2)
    if scale <= 0:
        from ...errors import InputError

        raise InputError(f"VA_SCALE must be positive, got {scale}")
    model = Scale(scale, name="dva_scale_v2") & Scale(scale, name="dva_scale_v3")
    v2_ref = v2_ref or 0.0
    v3_ref = v3_ref or 0.0
    if v2_ref == 0 and v3_ref == 0:
        return model
    model = model | Shift((1 - scale) * v2_ref, name="dva_v2_shift") & Shift(
        (1 - scale) * v3_ref, name="dva_v3_shift"
    )
    model.name = "DVA_Correction"
    return model


def v2v3_to_sky(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref):
    """V2/V3 (arcsec) -> RA/Dec (deg); the reference point in arcsec, the angles in deg."""
    from astropy.modeling.models import RotationSequence3D, Scale
    from gwcs.geometry import CartesianToSpherical, SphericalToCartesian

    angles = np.array([v2_ref / 3600.0, -v3_ref / 3600.0, roll_ref, dec_ref, -ra_ref])
    model = (
        (Scale(1 / 3600) & Scale(1 / 3600))
        | SphericalToCartesian(wrap_lon_at=180)
        | RotationSequence3D(angles, axes_order="zyxyz")
        | CartesianToSpherical(wrap_lon_at=360)
    )
    model.name = "v23tosky"
    return model

"""The pieces of an imaging WCS that come from the exposure's own metadata.

- the subarray offset (science pixels of the array -> full-frame pixels of the reference);
- the differential velocity aberration, a scale of V2/V3 about (V2_REF, V3_REF);
- V2/V3 -> ICRS: the unit vector of (V2, V3) turned by the frame rotations
  z(V2_REF), y(-V3_REF), x(ROLL_REF), y(DEC_REF), z(-RA_REF), which put the reference
  point at (RA_REF, DEC_REF) with V3 at position angle ROLL_REF there.

The imaging WCS is built as an ASDF transform tree (``*_node`` and ``subarray_offset``),
the form a product stores it in and any JWST tool reads into astropy models; NIRSpec's
pipeline takes them as astropy models.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "subarray_offset",
    "array_bbox",
    "subarray_bbox",
    "dva_correction",
    "dva_correction_node",
    "v2v3_to_sky",
    "v2v3_to_sky_node",
]


def subarray_offset(meta):
    """Shift from the array's 0-based pixels to full-frame ones (an ASDF transform tree:
    a shift, or an identity, per axis), or None for full frame."""
    from ...transforms import tree as T

    xstart = meta.get("subarray.xstart")
    ystart = meta.get("subarray.ystart")
    dx = xstart - 1 if xstart is not None and xstart != 1 else None
    dy = ystart - 1 if ystart is not None and ystart != 1 else None
    if dx is None and dy is None:
        return None
    tx = T.shift(dx) if dx is not None else T.identity(1)
    ty = T.shift(dy) if dy is not None else T.identity(1)
    return T.concat(tx, ty)


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


def _dva_terms(scale, v2_ref, v3_ref):
    """None (no correction), or (scale, V2 shift, V3 shift); the shifts are None when the
    reference point is V2 = V3 = 0."""
    if scale is None or scale == 1:
        return None
    if scale <= 0:
        from ...errors import InputError

        raise InputError(f"VA_SCALE must be positive, got {scale}")
    v2_ref = v2_ref or 0.0
    v3_ref = v3_ref or 0.0
    if v2_ref == 0 and v3_ref == 0:
        return scale, None, None
    return scale, (1 - scale) * v2_ref, (1 - scale) * v3_ref


def dva_correction(scale, v2_ref, v3_ref):
    """V2/V3 -> V2/V3 corrected for the differential velocity aberration.

    ``scale`` is VA_SCALE; the field is scaled about (V2_REF, V3_REF), the point whose sky
    position the pointing keywords give.  Identity when the scale is unknown or 1.
    """
    from astropy.modeling.models import Identity, Scale, Shift

    terms = _dva_terms(scale, v2_ref, v3_ref)
    if terms is None:
        return Identity(2)
    scale, dv2, dv3 = terms
    model = Scale(scale, name="dva_scale_v2") & Scale(scale, name="dva_scale_v3")
    if dv2 is None:
        return model
    model = model | Shift(dv2, name="dva_v2_shift") & Shift(dv3, name="dva_v3_shift")
    model.name = "DVA_Correction"
    return model


def dva_correction_node(scale, v2_ref, v3_ref):
    """:func:`dva_correction` as an ASDF transform tree (:mod:`jwcal.transforms.tree`)."""
    from ...transforms import tree as T

    terms = _dva_terms(scale, v2_ref, v3_ref)
    if terms is None:
        return T.identity(2)
    scale, dv2, dv3 = terms
    node = T.concat(T.scale(scale, "dva_scale_v2"), T.scale(scale, "dva_scale_v3"))
    if dv2 is None:
        return node
    shifts = T.concat(T.shift(dv2, "dva_v2_shift"), T.shift(dv3, "dva_v3_shift"))
    return T.compose(node, shifts, name="DVA_Correction")


def _sky_angles(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref) -> np.ndarray:
    return np.array([v2_ref / 3600.0, -v3_ref / 3600.0, roll_ref, dec_ref, -ra_ref])


def v2v3_to_sky_node(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref):
    """:func:`v2v3_to_sky` as an ASDF transform tree (:mod:`jwcal.transforms.tree`)."""
    from ...transforms import tree as T

    angles = _sky_angles(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref)
    return T.compose(
        T.concat(T.scale(1 / 3600), T.scale(1 / 3600)),
        T.spherical_to_cartesian(wrap_lon_at=180),
        T.rotate_sequence_3d(angles, "zyxyz"),
        T.cartesian_to_spherical(wrap_lon_at=360),
        name="v23tosky",
    )


def v2v3_to_sky(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref):
    """V2/V3 (arcsec) -> RA/Dec (deg); the reference point in arcsec, the angles in deg."""
    from astropy.modeling.models import RotationSequence3D, Scale
    from gwcs.geometry import CartesianToSpherical, SphericalToCartesian

    angles = _sky_angles(v2_ref, v3_ref, roll_ref, ra_ref, dec_ref)
    model = (
        (Scale(1 / 3600) & Scale(1 / 3600))
        | SphericalToCartesian(wrap_lon_at=180)
        | RotationSequence3D(angles, axes_order="zyxyz")
        | CartesianToSpherical(wrap_lon_at=360)
    )
    model.name = "v23tosky"
    return model

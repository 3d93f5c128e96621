"""The tangent-plane correction of an imaging gwcs, as jwst stores it.

jwst (tweakwcs' ``JWSTWCSCorrector``) corrects a WCS by a frame ``v2v3corr`` after
``v2v3vacorr``: V2/V3 is turned so that the aperture's reference point (V2_REF, V3_REF,
ROLL_REF) is on the optical axis, projected onto the tangent plane (gnomonic), moved by an
affine transformation (matrix, shift in radians) and carried back.  The transform keeps
tweakwcs' structure and sub-model names, so that jwst and tweakwcs recognise and extend a
correction jwcal made, and the other way round.

Positions in "the tangent plane of an image" below are those projected coordinates in
arcsec, after the image's current correction.
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = [
    "CORRECTOR_NAME",
    "tp_projection",
    "TangentPlane",
    "corrected_wcs",
    "current_affine",
]

CORRECTOR_NAME = "JWST tangent-plane linear correction. v1"
_ARCSEC2RAD = np.deg2rad(1.0 / 3600.0)


def _pieces(v2_ref, v3_ref, roll_ref):
    from astropy.modeling.models import (
        Const1D,
        Identity,
        Mapping,
        RotationSequence3D,
        Scale,
    )
    from gwcs.geometry import CartesianToSpherical, SphericalToCartesian

    to_deg = Scale(1.0 / 3600.0, name="arcsec_to_deg_1D")
    to_deg = to_deg & to_deg
    to_deg.name = "arcsec_to_deg_2D"
    to_arcsec = Scale(3600.0, name="deg_to_arcsec_1D")
    to_arcsec = to_arcsec & to_arcsec
    to_arcsec.name = "deg_to_arcsec_2D"
    s2c = SphericalToCartesian(name="s2c", wrap_lon_at=180)
    c2s = CartesianToSpherical(name="c2s", wrap_lon_at=180)
    rot = RotationSequence3D([v2_ref / 3600.0, -v3_ref / 3600.0, roll_ref], "zyx",
                             name="det_to_optic_axis")  # fmt: skip
    rot_inv = rot.inverse
    rot_inv.name = "optic_axis_to_det"
    c2tan = (Mapping((0, 1, 2), name="xyz") / Mapping((0, 0, 0), n_inputs=3, name="xxx")) | Mapping(
        (1, 2), name="xtyt"
    )
    c2tan.name = "Cartesian 3D to TAN"
    tan2c = Mapping((0, 0, 1), n_inputs=2, name="xtyt2xyz") | (
        Const1D(1, name="one") & Identity(2, name="I(2D)")
    )
    tan2c.name = "TAN to cartesian 3D"
    return to_deg, s2c, rot, c2tan, tan2c, rot_inv, c2s, to_arcsec


def tp_projection(v2_ref: float, v3_ref: float, roll_ref: float):
    """V2/V3 (arcsec) -> tangent plane about the reference point (arcsec), with inverse."""
    from astropy.modeling.models import Scale

    to_deg, s2c, rot, c2tan, tan2c, rot_inv, c2s, to_arcsec = _pieces(v2_ref, v3_ref, roll_ref)
    rad2as = Scale(1.0 / _ARCSEC2RAD) & Scale(1.0 / _ARCSEC2RAD)
    as2rad = Scale(_ARCSEC2RAD) & Scale(_ARCSEC2RAD)
    fwd = to_deg | s2c | rot | c2tan | rad2as
    inv = as2rad | tan2c | rot_inv | c2s | to_arcsec
    fwd.inverse = inv
    return fwd


def tpcorr_transform(v2_ref, v3_ref, roll_ref, matrix, shift_arcsec):
    """The ``v2v3vacorr -> v2v3corr`` transform for ``tp -> matrix @ tp + shift``."""
    from astropy.modeling.models import AffineTransformation2D

    m = np.asarray(matrix, float)
    t = np.asarray(shift_arcsec, float) * _ARCSEC2RAD
    to_deg, s2c, rot, c2tan, tan2c, rot_inv, c2s, to_arcsec = _pieces(v2_ref, v3_ref, roll_ref)
    affine = AffineTransformation2D(matrix=m, translation=t, name="tp_affine")
    minv = np.linalg.inv(m)
    affine_inv = AffineTransformation2D(matrix=minv, translation=-minv @ t, name="tp_affine_inv")
    total = to_deg | s2c | rot | c2tan | affine | tan2c | rot_inv | c2s | to_arcsec
    total.name = CORRECTOR_NAME
    inverse = to_deg | s2c | rot | c2tan | affine_inv | tan2c | rot_inv | c2s | to_arcsec
    inverse.name = f"Inverse {CORRECTOR_NAME}"
    total.inverse = inverse
    return total


def _frames(wcs) -> list[str]:
    return [getattr(f, "name", f) for f in wcs.available_frames]


def current_affine(wcs):
    """(matrix, shift in arcsec) of the correction already in ``wcs`` (identity if none)."""
    frames = _frames(wcs)
    if "v2v3corr" not in frames:
        return np.eye(2), np.zeros(2)
    step = wcs.pipeline[frames.index("v2v3corr") - 1]
    aff = step.transform["tp_affine"]
    return np.array(aff.matrix.value, float), np.array(aff.translation.value, float) / _ARCSEC2RAD


def _check_structure(wcs) -> None:
    from ...errors import InputError

    frames = _frames(wcs)
    if frames.count("v2v3") != 1 or frames[0] == "v2v3" or frames[-1] == "v2v3":
        raise InputError("tweakreg needs an imaging WCS with one 'v2v3' frame inside it")


class TangentPlane:
    """The tangent plane of one exposure's WCS and the mappings into it.

    Parameters
    ----------
    wcs : gwcs.WCS
        The exposure's WCS (detector -> v2v3 -> [v2v3vacorr] -> [v2v3corr] -> world).
    v2_ref, v3_ref, roll_ref : float
        The pointing keywords (arcsec, arcsec, deg).
    """

    def __init__(self, wcs, v2_ref, v3_ref, roll_ref):
        _check_structure(wcs)
        self.wcs = wcs
        self.ref = (float(v2_ref), float(v3_ref), float(roll_ref))
        frames = _frames(wcs)
        self.base = "v2v3vacorr" if "v2v3vacorr" in frames else "v2v3"
        self.corr = "v2v3corr" if "v2v3corr" in frames else self.base
        self.det = frames[0]
        self.world = frames[-1]
        self.proj = tp_projection(*self.ref)
        self.matrix, self.shift = current_affine(wcs)

    def det_to_tp(self, x, y):
        v2, v3 = self.wcs.get_transform(self.det, self.base)(x, y, with_bounding_box=False)
        u, v = self.proj(v2, v3)
        p = np.column_stack([u, v]) @ self.matrix.T + self.shift
        return p[:, 0], p[:, 1]

    def world_to_tp(self, ra, dec):
        v2, v3 = self.wcs.get_transform(self.world, self.corr)(ra, dec, with_bounding_box=False)
        return self.proj(v2, v3)

    def tp_to_world(self, u, v):
        v2, v3 = self.proj.inverse(u, v)
        return self.wcs.get_transform(self.corr, self.world)(v2, v3, with_bounding_box=False)

    def det_to_world(self, x, y):
        return self.wcs(x, y, with_bounding_box=False)

    def corrected(self, matrix, shift):
        """A new WCS whose plane positions are ``matrix @ tp + shift`` of this one's."""
        m = np.asarray(matrix, float) @ self.matrix
        s = np.asarray(matrix, float) @ self.shift + np.asarray(shift, float)
        return corrected_wcs(self.wcs, self.ref, m, s)


def corrected_wcs(wcs, ref, matrix, shift_arcsec):
    """``wcs`` with its tangent-plane correction set to (matrix, shift) (arcsec)."""
    import gwcs

    frames = _frames(wcs)
    tp = tpcorr_transform(*ref, matrix, shift_arcsec)
    pipeline = [copy.deepcopy(s) for s in wcs.pipeline]
    if "v2v3corr" in frames:
        k = frames.index("v2v3corr") - 1
        pipeline[k] = gwcs.wcs.Step(pipeline[k].frame, tp)
    else:
        base = "v2v3vacorr" if "v2v3vacorr" in frames else "v2v3"
        k = frames.index(base)
        step = pipeline[k]
        frame = copy.deepcopy(step.frame)
        frame.name = "v2v3corr"
        pipeline[k] = gwcs.wcs.Step(step.frame, tp)
        pipeline.insert(k + 1, gwcs.wcs.Step(frame, step.transform))
    out = gwcs.WCS(pipeline, name=getattr(wcs, "name", None))
    if wcs.bounding_box is not None:
        out.bounding_box = wcs.bounding_box
    if getattr(wcs, "pixel_shape", None) is not None:
        out.pixel_shape = wcs.pixel_shape
    return out

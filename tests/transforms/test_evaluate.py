"""numpy evaluation of ASDF transform trees gives what astropy and gwcs give, bit for bit."""

import io
import warnings

import asdf
import numpy as np
import pytest
from astropy.modeling import models as am
from gwcs.geometry import CartesianToSpherical, SphericalToCartesian

from jwcal.datamodels.asdf_block import read_tree
from jwcal.transforms import Tagged, Unsupported, compile_transform

RNG = np.random.default_rng(11)
X = RNG.uniform(-1200.0, 2400.0, 500)
Y = RNG.uniform(-800.0, 2100.0, 500)


def _node(model) -> Tagged:
    """The tree asdf-astropy writes for an astropy model, read back as jwcal reads it."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asdf.AsdfFile({"m": model}).write_to(buf)
    return read_tree(buf.getvalue())["m"]


def _poly2d(degree, seed):
    rng = np.random.default_rng(seed)
    p = am.Polynomial2D(degree)
    p.parameters = rng.normal(0.0, 1.0, p.parameters.size) * 10.0 ** -np.arange(p.parameters.size)
    return p


MODELS = {
    "shift_scale": (am.Shift(3.25) & am.Scale(0.731)) | am.Mapping((1, 0)),
    "polynomial2d": am.Mapping((0, 1, 0, 1)) | _poly2d(5, 1) & _poly2d(4, 2),
    "polynomial_domain": am.Polynomial2D(2, c0_0=1.0, c1_0=2.0, c1_1=0.5, x_domain=(0, 2048),
                                         y_domain=(0, 2048)) & am.Polynomial1D(3, c0=1, c3=2),
    "affine": am.AffineTransformation2D(matrix=[[1.1, 0.2], [-0.3, 0.9]], translation=[4, -2]),
    "identity_const": am.Identity(1) & am.Const1D(7.5),
    "arithmetic": (am.Shift(2) & am.Shift(5)) + (am.Scale(3) & am.Scale(0.5)),
    "sky": (am.Scale(1 / 3600) & am.Scale(1 / 3600))
    | SphericalToCartesian(wrap_lon_at=180)
    | am.RotationSequence3D([0.033, 0.146, 12.5, -27.79, -53.16], axes_order="zyxyz")
    | CartesianToSpherical(wrap_lon_at=360),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_is_astropys_bit_for_bit(name):
    model = MODELS[name]
    fn = compile_transform(_node(model))
    args = (X, Y)[: model.n_inputs] if model.n_inputs <= 2 else (X, Y, X)
    ours = fn(*args)
    theirs = model(*args)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["shift_scale", "affine", "sky"])
def test_inverse_is_astropys(name):
    model = MODELS[name]
    inv = compile_transform(_node(model), inverse=True)
    out = model(X, Y)
    ours = inv(*out)
    theirs = model.inverse(*out)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-9)


def test_an_explicit_inverse_is_used():
    fwd = am.Mapping((0, 1, 0, 1)) | _poly2d(3, 4) & _poly2d(3, 5)
    fwd.inverse = am.Shift(1) & am.Shift(2)
    inv = compile_transform(_node(fwd), inverse=True)
    x, y = inv(np.array([0.0]), np.array([0.0]))
    assert (x[0], y[0]) == (1.0, 2.0)


def test_a_polynomial_without_inverse_has_none():
    with pytest.raises(Unsupported):
        compile_transform(_node(_poly2d(2, 3) & _poly2d(2, 4)), inverse=True)


def test_unknown_transforms_are_unsupported():
    with pytest.raises(Unsupported, match="airy"):
        compile_transform(_node(am.Pix2Sky_Airy()))
    with pytest.raises(Unsupported):
        compile_transform(Tagged("stsci.edu:asdf/transform/shift-1.4.0", "not a mapping"))


def test_scalars_stay_scalars():
    fn = compile_transform(_node(MODELS["sky"]))
    ra, dec = fn(100.0, -200.0)
    assert np.ndim(ra) == 0 and np.ndim(dec) == 0
    assert (float(ra), float(dec)) == tuple(float(v) for v in MODELS["sky"](100.0, -200.0))

"""jwcore.resample.blot_image: interpolants on known functions, edges, threads."""

import numpy as np
import pytest

from jwcore.resample import blot_image


def _map(shape, fx, fy):
    y, x = np.indices(shape, dtype=float)
    return np.dstack([fx(x, y), fy(x, y)])


def test_linear_matches_bilinear_reference(rng):
    data = rng.normal(size=(30, 40)).astype(np.float32)
    pm = _map((25, 35), lambda x, y: 0.9 * x + 0.13 * y + 2.2, lambda x, y: y - 0.1 * x + 3.5)
    out = blot_image(data, pm, interp="linear")
    x, y = pm[..., 0], pm[..., 1]
    ix, iy = x.astype(int), y.astype(int)
    fx, fy = x - ix, y - iy
    ref = (
        data[iy, ix] * (1 - fx) * (1 - fy)
        + data[iy, ix + 1] * fx * (1 - fy)
        + data[iy + 1, ix] * (1 - fx) * fy
        + data[iy + 1, ix + 1] * fx * fy
    )
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("interp,degree", [("poly3", 3), ("poly5", 5), ("linear", 1)])
def test_polynomials_are_reproduced_exactly(interp, degree):
    """Everett's formula of order n is exact for polynomials of degree n in x and y, edges
    included (point reflection preserves odd-degree terms only up to degree 1, so the
    check keeps 3 pixels away from the edges for the higher orders)."""
    shape = (24, 26)
    y, x = np.indices(shape, dtype=float)
    u, v = x / 26 - 0.4, y / 24 - 0.6
    img = (1 + u + 0.5 * v + 0.7 * u**degree - 0.3 * v**degree + 0.2 * u * v).astype(np.float32)
    pm = _map((15, 17), lambda xx, yy: xx + 3.37, lambda xx, yy: yy + 3.61)
    out = blot_image(img, pm, interp=interp)
    px, py = pm[..., 0] / 26 - 0.4, pm[..., 1] / 24 - 0.6
    ref = 1 + px + 0.5 * py + 0.7 * px**degree - 0.3 * py**degree + 0.2 * px * py
    if degree == 1:
        np.testing.assert_allclose(out, ref, atol=2e-3)  # bilinear misses only the u*v term
    else:
        np.testing.assert_allclose(out, ref, atol=1e-5)


def test_outside_and_nan_positions_get_fillval(rng):
    data = rng.normal(size=(10, 10)).astype(np.float32)
    pm = np.array([[[-0.01, 3.0], [9.99, 9.99], [np.nan, 2.0], [10.0, 3.0], [2.0, 3.0]]])
    out = blot_image(data, pm, interp="nearest", fillval=-5.0, iscale=2.0)
    assert out[0, 0] == -5 and out[0, 2] == -5 and out[0, 3] == -5
    assert out[0, 1] == 2 * data[9, 9]  # x + 0.5 reaches 10.49: stays on the last pixel
    assert out[0, 4] == 2 * data[3, 2]


@pytest.mark.parametrize("interp", ["nearest", "linear", "poly3", "poly5"])
def test_threads_give_identical_results(rng, interp):
    data = rng.normal(size=(60, 70)).astype(np.float32)
    pm = _map((80, 90), lambda x, y: 0.8 * x - 2.5, lambda x, y: 0.75 * y + 0.1 * x - 1.0)
    a = blot_image(data, pm, interp=interp, n_threads=1)
    b = blot_image(data, pm, interp=interp, n_threads=2)
    np.testing.assert_array_equal(a, b)


def test_blot_undoes_a_drizzle_shift(rng):
    """Drizzling by a whole-pixel shift and blotting back returns the image."""
    from jwcore.resample import drizzle_add_image

    data = rng.normal(5, 1, (20, 20)).astype(np.float32)
    y, x = np.indices(data.shape, dtype=float)
    out, wht = np.zeros((26, 26), np.float32), np.zeros((26, 26), np.float32)
    drizzle_add_image(data, np.dstack([x + 3, y + 2]), out, wht)
    back = blot_image(out, np.dstack([x + 3, y + 2]), interp="poly5")
    np.testing.assert_allclose(back, data, rtol=1e-6)


def test_blot_validation():
    data = np.zeros((5, 5), np.float32)
    with pytest.raises(ValueError, match="interp must be one of"):
        blot_image(data, np.zeros((2, 2, 2)), interp="sinc")
    with pytest.raises(ValueError, match=r"pixmap must have shape \(ony, onx, 2\)"):
        blot_image(data, np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="out must be an array of shape"):
        blot_image(data, np.zeros((2, 2, 2)), out=np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        blot_image(np.zeros(5, np.float32), np.zeros((2, 2, 2)))

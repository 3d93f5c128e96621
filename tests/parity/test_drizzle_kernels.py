"""Parity of jwcore.resample with drizzle 2.2.0 and stcal 1.20.0 (the code jwst 3.0 resamples
and blots with), on the same pixel maps and weights.

Tolerances (issue 8): SCI within 1e-5 relative, WHT within 1e-5, CON identical.  On every
case below the two agree bit for bit; the tolerances are the contract.  The differences that
remain are written down in the tests at the end, with the reason we keep our answer.
"""

import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("drizzle")
from drizzle.resample import Drizzle  # noqa: E402
from drizzle.resample import blot_image as driz_blot  # noqa: E402

from jwcore.resample import blot_image, drizzle_add_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "jwcore" / "resample"))
from driz_helpers import distortion  # noqa: E402

pytestmark = pytest.mark.parity

SHAPE = (96, 112)
OSHAPE = (150, 170)


def _pixmap(k, ratio=1.1):
    """A small frame with a scaled-down NIRCam-like degree-5 distortion, dithered."""
    y, x = np.indices(SHAPE, dtype=float)
    xd, yd = distortion(x * 2047 / 111, y * 2047 / 95, scale=3.0)
    xd, yd = xd * 111 / 2047, yd * 95 / 2047
    t = np.deg2rad(0.3 + 2.0 * k)
    c, s = np.cos(t), np.sin(t)
    return np.dstack(
        [(c * xd - s * yd) / ratio + 20.3 + 1.7 * k, (s * xd + c * yd) / ratio + 18.8 + 0.9 * k]
    )


def _image(rng):
    data = rng.normal(10, 3, SHAPE).astype(np.float32)
    data[40:43, 50:53] += 500  # a "star"
    var = rng.uniform(0.5, 2.0, SHAPE).astype(np.float32)
    weight = (1 / var).astype(np.float32)
    weight[rng.random(SHAPE) < 0.01] = 0  # bad pixels
    dq = rng.integers(0, 8, SHAPE).astype(np.uint32)
    return data, var, weight, dq


@pytest.mark.parametrize("kernel", ["square", "turbo", "point", "gaussian", "lanczos2", "lanczos3"])
@pytest.mark.parametrize("pixfrac", [1.0, 0.8])
def test_add_image_matches_drizzle(rng, kernel, pixfrac):
    """Three dithered, distorted images with ivm weights, DQ and squared-weight variances."""
    d = Drizzle(kernel=kernel, out_shape=OSHAPE, fillval=0.0, fillval2=0.0, max_ctx_id=2)
    out, wht, var = (np.zeros(OSHAPE, np.float32) for _ in range(3))
    con = np.zeros((1, *OSHAPE), np.int32)
    odq = np.zeros(OSHAPE, np.uint32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # drizzle warns about non-flux-conserving kernels
        for k in range(3):
            data, v, w, dq = _image(rng)
            pm = _pixmap(k)
            kw = dict(
                iscale=0.9, pixfrac=pixfrac, xmin=2, xmax=SHAPE[1] - 2, ymin=1, ymax=SHAPE[0] - 3
            )
            d.add_image(
                data,
                exptime=1.0,
                pixmap=pm,
                weight_map=w,
                data2=[v],
                dq=dq,
                pixel_scale_ratio=1.1,
                **kw,
            )
            drizzle_add_image(
                data,
                pm,
                out,
                wht,
                con,
                con_id=k,
                weight=w,
                kernel=kernel,
                extra_sq=[v],
                out_extra_sq=[var],
                dq=dq,
                out_dq=odq,
                pixel_scale_ratio=1.1,
                fillval=0.0,
                n_threads=2,
                **kw,
            )
    good = d.out_wht > 0
    assert good.sum() > 0.5 * np.prod(SHAPE)
    np.testing.assert_allclose(wht, d.out_wht, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out[good], d.out_img[good], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var[good], d.out_img2[0][good], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(con, d.out_ctx)
    np.testing.assert_array_equal(odq, d.out_dq)


def test_counts_units_match_drizzle(rng):
    data, _, w, _ = _image(rng)
    pm = _pixmap(1, ratio=0.9)
    d = Drizzle(kernel="turbo", out_shape=OSHAPE, fillval=0.0)
    d.add_image(
        data, exptime=3.0, pixmap=pm, weight_map=w, in_units="counts", pixel_scale_ratio=0.9
    )
    out, wht = np.zeros(OSHAPE, np.float32), np.zeros(OSHAPE, np.float32)
    drizzle_add_image(
        data,
        pm,
        out,
        wht,
        weight=w,
        kernel="turbo",
        in_units="counts",
        exptime=3.0,
        pixel_scale_ratio=0.9,
        fillval=0.0,
    )
    np.testing.assert_allclose(wht, d.out_wht, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out, d.out_img, rtol=1e-5, atol=1e-6)


def test_estimated_pixel_scale_ratio_documented_difference(rng):
    """Given pixel_scale_ratio=None, drizzle 2.2.0 sizes its kernels with sqrt|det J| of
    the map at input pixel (0, 0), whatever the box: the inverse of the ratio it documents
    (output over input pixel size), at a corner.  We estimate 1/sqrt|det J| at the box
    centre.  jwst always passes the ratio explicitly, so its products are not affected."""
    from jwcore.resample import estimate_pixel_scale_ratio

    data, _, w, _ = _image(rng)
    pm = _pixmap(1, ratio=0.9)  # input pixels span 1/0.9 output pixels
    d = Drizzle(kernel="turbo", out_shape=OSHAPE, fillval=0.0)
    d.add_image(
        data,
        exptime=1.0,
        pixmap=pm,
        weight_map=w,
        pixel_scale_ratio=None,
        xmin=20,
        xmax=60,
        ymin=30,
        ymax=50,
    )
    theirs = 1.0 / estimate_pixel_scale_ratio(pm, 0, 0)
    out, wht = np.zeros(OSHAPE, np.float32), np.zeros(OSHAPE, np.float32)
    drizzle_add_image(
        data,
        pm,
        out,
        wht,
        weight=w,
        kernel="turbo",
        fillval=0.0,
        pixel_scale_ratio=theirs,
        xmin=20,
        xmax=60,
        ymin=30,
        ymax=50,
    )
    np.testing.assert_allclose(wht, d.out_wht, rtol=1e-5, atol=1e-7)
    assert estimate_pixel_scale_ratio(pm) == pytest.approx(0.9, rel=0.01)


def test_variance_resampling_matches_stcal(rng):
    """stcal drizzles each sqrt(variance) into a fresh Drizzle and squares the result; one
    jwcore call does the three arrays in a single pass (extra arrays sharing the weights)."""
    from stcal.resample.resample import Resample

    names = ["var_rnoise", "var_poisson", "var_flat"]
    model = {n: rng.uniform(0.5, 3.0, SHAPE).astype(np.float32) for n in names}
    model["data"] = rng.normal(size=SHAPE).astype(np.float32)
    model["exposure_time"] = 100.0
    model["filename"] = "x"
    weight = (1 / model["var_rnoise"]).astype(np.float32)
    pm = _pixmap(2)
    fake = types.SimpleNamespace(output_array_shape=OSHAPE, kernel="square", pixfrac=1.0)
    box = dict(xmin=0, xmax=SHAPE[1] - 1, ymin=0, ymax=SHAPE[0] - 1)
    official = [
        Resample._resample_one_variance_array(
            fake,
            n,
            model=model,
            pixel_scale_ratio=1.1,
            iscale=1.0,
            weight_map=weight,
            pixmap=pm,
            **box,
        )
        for n in names
    ]
    errs = [np.zeros(OSHAPE, np.float32) for _ in names]
    wht = np.zeros(OSHAPE, np.float32)
    drizzle_add_image(
        np.sqrt(model[names[0]]),
        pm,
        errs[0],
        wht,
        weight=weight,
        extra=[np.sqrt(model[n]) for n in names[1:]],
        out_extra=errs[1:],
        pixel_scale_ratio=1.1,
        fillval=np.nan,
        **box,
    )
    for ours, theirs in zip(errs, official, strict=True):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        good = np.isfinite(theirs)
        np.testing.assert_allclose(ours[good] ** 2, theirs[good], rtol=1e-5)

    # Stage 3: the science goes into a mosaic that already holds another exposure while the
    # errors go into fresh outputs with their own weight, all in one pass.
    sci, swht = np.zeros(OSHAPE, np.float32), np.zeros(OSHAPE, np.float32)
    drizzle_add_image(model["data"], _pixmap(0), sci, swht, weight=weight)
    errs = [np.zeros(OSHAPE, np.float32) for _ in names]
    ewht = np.zeros(OSHAPE, np.float32)
    drizzle_add_image(
        model["data"],
        pm,
        sci,
        swht,
        weight=weight,
        extra=[np.sqrt(model[n]) for n in names],
        out_extra=errs,
        out_wht_extra=ewht,
        pixel_scale_ratio=1.1,
        fillval=np.nan,
        **box,
    )
    for ours, theirs in zip(errs, official, strict=True):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        good = np.isfinite(theirs)
        np.testing.assert_allclose(ours[good] ** 2, theirs[good], rtol=1e-5)


def _blot_case(rng):
    median = rng.normal(5, 1, (80, 90)).astype(np.float32)
    y, x = np.indices((70, 75), dtype=float)
    pm = np.dstack([0.9 * x + 0.05 * y - 3.3, 1.05 * y - 0.02 * x + 7.3])
    pm[5, 7] = -1  # as stcal replaces NaN map values
    return median, pm


def test_blot_linear_matches_drizzle(rng):
    """jwst 3.0's outlier detection blots with interp='linear' (stcal gwcs_blot)."""
    median, pm = _blot_case(rng)
    theirs = driz_blot(median, pm, fillval=np.nan, interp="linear")
    ours = blot_image(median, pm, interp="linear", fillval=np.nan)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("interp", ["poly3", "poly5", "nearest"])
def test_blot_other_interpolants_match_drizzle_away_from_the_top_edge(rng, interp):
    median, pm = _blot_case(rng)
    theirs = driz_blot(median, pm, fillval=-7.0, interp=interp)
    ours = blot_image(median, pm, interp=interp, fillval=-7.0)
    # Where drizzle is wrong, we keep our answer (see the docstring of each case):
    # - poly5 builds the 6th row of its stencil from image row ny-4 instead of reflecting it,
    #   and poly3 reads before its coefficient array on the last row (undefined values);
    # - nearest reads pixel index ny (off the image) for y in [ny - 0.5, ny).
    top = {"poly3": 2.0, "poly5": 3.0, "nearest": 0.5}[interp]
    away = pm[..., 1] < median.shape[0] - top
    np.testing.assert_allclose(ours[away], theirs[away], rtol=1e-6, atol=1e-6)
    assert (~away & (pm[..., 1] < median.shape[0])).any()


def test_output_smaller_than_input_documented_difference(rng):
    """When the output grid does not contain the whole input, drizzle clips the input to
    the output with a polygon found by an iterative inversion (0.03 px tolerance) and
    drops pixels whose centres fall outside it, or close to its edges.  We compute every
    overlap exactly instead.  The results agree except in the outer 2 rows/columns of the
    output, where ours carries the extra (correct) partial contributions."""
    shape = (50, 60)
    y, x = np.indices(shape, dtype=float)
    pm = np.dstack([1.02 * x + 0.1 * y - 10.3, 0.98 * y - 0.05 * x - 7.6])
    oshape = (40, 45)
    data = rng.normal(10, 1, shape).astype(np.float32)
    for kernel in ["square", "turbo", "point"]:
        d = Drizzle(kernel=kernel, out_shape=oshape, fillval=0.0)
        d.add_image(data, exptime=1.0, pixmap=pm)
        out, wht = np.zeros(oshape, np.float32), np.zeros(oshape, np.float32)
        drizzle_add_image(data, pm, out, wht, kernel=kernel, fillval=0.0)
        inner = (slice(2, -2), slice(2, -2))
        np.testing.assert_array_equal(wht[inner], d.out_wht[inner])
        np.testing.assert_array_equal(out[inner], d.out_img[inner])
        differ = wht != d.out_wht
        assert differ.any() and (wht[differ] > d.out_wht[differ]).all()
        # our edge pixels hold what the exact overlaps give: the full-weight sum of the
        # input pixels that cover them (here, all weights are 1 and the map is affine)
        if kernel != "point":  # the point kernel leaves holes
            assert np.all(wht[1:-1, 1:-1] > 0.9)

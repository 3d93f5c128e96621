"""drizzle_add_image input validation: each error names the problem."""

import numpy as np
import pytest

from jwcore.resample import drizzle_add_image


def _args(shape=(4, 5), oshape=(6, 7)):
    y, x = np.indices(shape, dtype=float)
    return (
        np.ones(shape, np.float32),
        np.dstack([x, y]),
        np.zeros(oshape, np.float32),
        np.zeros(oshape, np.float32),
    )


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda a: a.update(data=np.ones((4,), np.float32)), "data must be 2-D"),
        (lambda a: a.update(data=np.ones((1, 5), np.float32)), "at least 2 x 2"),
        (lambda a: a.update(pixmap=np.zeros((4, 5, 3))), r"pixmap has shape \(4, 5, 3\)"),
        (
            lambda a: a.update(out_wht=np.zeros((6, 6), np.float32)),
            "out_wht must be an array of shape",
        ),
        (
            lambda a: a.update(out_data=np.zeros((6, 7), np.float64)),
            "out_data must be native-endian float32",
        ),
        (lambda a: a.update(out_data=np.zeros((6, 7), ">f4")), "native-endian"),
        (lambda a: a.update(out_data=np.zeros((7, 6), np.float32).T), "writeable C-contiguous"),
        (lambda a: a.update(kernel="boxcar"), "kernel must be one of"),
        (lambda a: a.update(in_units="jy"), "in_units must be"),
        (lambda a: a.update(exptime=0.0), "exptime must be positive"),
        (lambda a: a.update(pixfrac=-1.0), "pixfrac must be positive"),
        (lambda a: a.update(iscale=np.inf), "iscale must be positive and finite"),
        (lambda a: a.update(pixel_scale_ratio=0.0), "pixel_scale_ratio must be positive"),
        (lambda a: a.update(wht_scale=0.0), "wht_scale must be positive"),
        (lambda a: a.update(xmin=4, xmax=2), "empty input box"),
        (lambda a: a.update(weight=np.ones((3, 3), np.float32)), r"weight has shape \(3, 3\)"),
        (lambda a: a.update(extra=[np.ones((4, 5), np.float32)]), "one output array per input"),
        (
            lambda a: a.update(dq=np.zeros((4, 5), np.uint32)),
            "dq and out_dq must be given together",
        ),
        (
            lambda a: a.update(dq=np.zeros((4, 5), np.uint64), out_dq=np.zeros((6, 7), np.uint32)),
            "at most 32 bits",
        ),
        (
            lambda a: a.update(out_con=np.zeros((6, 7), np.int64)),
            "out_con must be native-endian int32",
        ),
        (
            lambda a: a.update(out_con=np.zeros((6, 7), np.int32), con_id=-1),
            "con_id must be non-negative",
        ),
        (lambda a: a.update(n_threads=0), "n_threads must be at least 1"),
    ],
)
def test_validation_messages(change, message):
    data, pm, out, wht = _args()
    kw = {"data": data, "pixmap": pm, "out_data": out, "out_wht": wht}
    change(kw)
    with pytest.raises(ValueError, match=message):
        drizzle_add_image(**kw)


def test_big_endian_and_non_contiguous_inputs_give_same_result(rng):
    data = rng.normal(size=(6, 7)).astype(np.float32)
    y, x = np.indices(data.shape, dtype=float)
    pm = np.dstack([x * 1.1 + 0.3, y * 0.9 + 0.6])
    w = rng.uniform(1, 2, data.shape).astype(np.float32)
    a, wa = np.zeros((9, 9), np.float32), np.zeros((9, 9), np.float32)
    b, wb = np.zeros((9, 9), np.float32), np.zeros((9, 9), np.float32)
    drizzle_add_image(data, pm, a, wa, weight=w)
    drizzle_add_image(
        data.astype(">f4"), np.asfortranarray(pm).astype(">f8"), b, wb, weight=w.astype(">f4")
    )
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wa, wb)


def test_pixel_scale_ratio_none_is_estimated_from_the_map():
    data = np.ones((10, 10), np.float32)
    y, x = np.indices(data.shape, dtype=float)
    pm = np.dstack([x * 0.5, y * 0.5])  # input pixels are half an output pixel: ratio 2
    a, wa = np.zeros((6, 6), np.float32), np.zeros((6, 6), np.float32)
    b, wb = np.zeros((6, 6), np.float32), np.zeros((6, 6), np.float32)
    drizzle_add_image(data, pm, a, wa, kernel="turbo", pixel_scale_ratio=None)
    drizzle_add_image(data, pm, b, wb, kernel="turbo", pixel_scale_ratio=2.0)
    np.testing.assert_array_equal(wa, wb)

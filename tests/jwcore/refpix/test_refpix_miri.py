import warnings

import numpy as np
import pytest
from scipy import stats

from jwcore import dqflags
from jwcore.refpix import subtract_refpix_miri

DNU = dqflags.pixel["DO_NOT_USE"]


def clip_mean(v):
    if v.size == 0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if np.std(v, dtype=np.float64) == 0:
            return v.mean(dtype=np.float64)
        return stats.sigmaclip(v, 3.0, 3.0)[0].mean()


def reference(data, dq, odd_even=True):
    """MIRI correction written plainly with NumPy float32 arrays."""
    out = data.copy()
    ok = (dq & DNU) == 0
    stopped = False
    for i in range(data.shape[0]):
        first = data[i, 0].astype(np.float64)
        rel = (data[i] - first).astype(np.float32)
        for g in range(1, data.shape[1]):
            if stopped:
                break
            grp = rel[g]
            levels = {}
            for amp in range(4):
                for rows in [slice(0, None, 2), slice(1, None, 2)] if odd_even else [slice(None)]:
                    pair = [clip_mean(grp[rows, c][ok[rows, c]]) for c in (amp, 1028 + amp)]
                    if None in pair:
                        stopped = True
                        break
                    levels[amp, rows.start] = 0.5 * (pair[0] + pair[1])
            if stopped:
                break
            for (amp, r0), lev in levels.items():
                rows = slice(r0, None, 2) if odd_even else slice(None)
                grp[rows, amp::4] = grp[rows, amp::4] - lev
        out[i] = (rel + first).astype(np.float32)
    return out


def ramps(rng, nints, ngroups):
    shape = (1024, 1032)
    d = (
        rng.normal(10000, 50, shape)
        + rng.uniform(0, 300, shape) * np.arange(ngroups)[:, None, None]
    )
    d = np.broadcast_to(d, (nints, ngroups) + shape) + rng.normal(0, 5, (nints, ngroups) + shape)
    cols = np.arange(1032)
    d = d + rng.normal(0, 30, (nints, ngroups, 2, 4))[:, :, np.arange(1024) % 2][..., cols % 4]
    return d.astype(np.float32)


@pytest.mark.parametrize("odd_even", [True, False])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_matches_reference(rng, odd_even, n_threads):
    data = ramps(rng, 2, 3)
    dq = np.zeros((1024, 1032), np.uint32)
    dq[rng.integers(0, 1024, 50), 1] = DNU
    dq[rng.integers(0, 1024, 50), 1030] = DNU
    expected = reference(data, dq, odd_even)
    got = subtract_refpix_miri(data, dq, odd_even_rows=odd_even, n_threads=n_threads)
    np.testing.assert_array_equal(got, expected)


def test_stops_for_good_at_a_level_without_pixels(rng):
    data = ramps(rng, 2, 3)
    dq = np.zeros((1024, 1032), np.uint32)
    dq[1::2, 3] = DNU  # even rows of amplifier 3: no usable left reference pixels
    got = subtract_refpix_miri(data, dq)
    np.testing.assert_array_equal(got, reference(data, dq))
    # nothing but the float32 round trip through the first group happened
    first = data[:, :1].astype(np.float64)
    np.testing.assert_array_equal(
        got, ((data - first).astype(np.float32) + first).astype(np.float32)
    )
    # without odd/even rows the odd rows are enough
    got = subtract_refpix_miri(data, dq, odd_even_rows=False)
    assert not np.array_equal(got[:, 1:], data[:, 1:])


def test_removes_amplifier_row_offsets(rng):
    shape = (1024, 1032)
    ng = 4
    truth = (rng.uniform(0, 100, shape) * np.arange(ng)[:, None, None]).astype(np.float32)
    truth[:, :, :4] = truth[:, :, -4:] = 0  # reference columns see no light
    cols, rows = np.arange(1032), np.arange(1024)
    off = rng.normal(0, 40, (ng, 2, 4))
    data = 20000 + truth + off[:, rows % 2][..., cols % 4] + rng.normal(0, 2, (ng,) + shape)
    got = subtract_refpix_miri(data.astype(np.float32)[None], np.zeros(shape, np.uint32))[0]
    resid = got - truth
    # every group now sits at the first group's level: offsets relative to it are gone
    step = resid[1:] - resid[:1]
    per = step.reshape(ng - 1, 512, 2, 258, 4).mean(axis=(1, 3))
    assert np.abs(per).max() < 0.5
    assert np.abs(per - per.mean()).max() < 0.5


def test_validation_messages():
    with pytest.raises(ValueError, match="full frames"):
        subtract_refpix_miri(np.zeros((1, 2, 256, 256), np.float32), np.zeros((256, 256)))
    with pytest.raises(ValueError, match="3-D or 4-D"):
        subtract_refpix_miri(np.zeros((1024, 1032), np.float32), np.zeros((1024, 1032)))
    with pytest.raises(ValueError, match="pixeldq shape"):
        subtract_refpix_miri(np.zeros((1, 1024, 1032), np.float32), np.zeros((1024, 1031)))


def test_big_endian_in_place(rng):
    data = ramps(rng, 1, 2)
    dq = np.zeros((1024, 1032), np.uint32)
    expected = subtract_refpix_miri(data, dq)
    np.testing.assert_array_equal(
        subtract_refpix_miri(data.astype(">f4"), dq.astype(">u4")), expected
    )
    subtract_refpix_miri(data, dq, out=data)
    np.testing.assert_array_equal(data, expected)

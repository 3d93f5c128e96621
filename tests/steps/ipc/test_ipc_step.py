import numpy as np
from ramps_testdata import REF, ramp, set_meta

from jwcal import datamodels as dm
from jwcal.steps.ipc import IPCStep


def _kernel(center=1.0, side=-0.01):
    k = np.full((3, 3), side, np.float32)
    k[1, 1] = center
    ipc = dm.IPCModel(k)
    return set_meta(ipc, REF, reftype="IPC")


def test_convolves_the_science_pixels(rng):
    m = ramp(rng)
    out = IPCStep.call(m, override_ipc=_kernel())
    assert out.meta.cal_step.ipc == "COMPLETE"
    d = m.data[0, 2]
    y, x = 10, 20
    expected = 1.0 * d[y, x] - 0.01 * (d[y - 1 : y + 2, x - 1 : x + 2].sum() - d[y, x])
    assert abs(out.data[0, 2, y, x] - expected) < 1e-2
    # the input model passed to a step run on its own is not changed
    assert not np.array_equal(out.data, m.data)


def test_reference_pixels_are_left_alone(rng):
    # A subarray in the detector corner: 4 reference rows and columns.
    m = ramp(rng, region=(1, 1, 16, 12))
    out = IPCStep.call(m, override_ipc=_kernel())
    np.testing.assert_array_equal(out.data[..., :4, :], m.data[..., :4, :])
    np.testing.assert_array_equal(out.data[..., :, :4], m.data[..., :, :4])
    assert not np.array_equal(out.data[..., 4:, 4:], m.data[..., 4:, 4:])


def test_delta_kernel_changes_nothing_and_na_skips(rng):
    m = ramp(rng)
    out = IPCStep.call(m, override_ipc=_kernel(1.0, 0.0))
    np.testing.assert_array_equal(out.data, m.data)
    skipped = IPCStep.call(m, override_ipc="N/A")
    assert skipped.meta.cal_step.ipc == "SKIPPED"


def test_four_d_kernel_is_cut_to_the_subarray(rng):
    m = ramp(rng)
    x0, y0, nx, ny = REF
    k = np.zeros((3, 3, ny, nx), np.float32)
    k[1, 1] = 1.0
    k[1, 2] = 0.5  # couples each pixel to its left neighbour's value
    ipc = set_meta(dm.IPCModel(k), REF, reftype="IPC")
    out = IPCStep.call(m, override_ipc=ipc)
    d = m.data
    np.testing.assert_allclose(out.data[..., 1:], d[..., 1:] + 0.5 * d[..., :-1], rtol=1e-6)


def test_irs2_convolves_normal_rows_only(rng):
    from jwcal_testdata import make_irs2

    from jwcal.steps.saturation.irs2 import normal_rows

    raw, sat, bias = make_irs2(rng, ngroups=2, nx=256)
    model = dm.RampModel(raw.data.astype(np.float32))
    model.update(raw)
    out = IPCStep.call(
        model,
        override_ipc=set_meta(
            _kernel(), (1, 1, 64, 64), reftype="IPC", instrument="NIRSPEC", detector="NRS1"
        ),
    )
    rows = normal_rows(out.meta, out.data.shape[-2])
    np.testing.assert_array_equal(out.data[..., ~rows, :], model.data[..., ~rows, :])
    assert not np.array_equal(out.data[..., rows, :], model.data[..., rows, :])

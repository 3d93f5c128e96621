"""jwcore.refpix against jwst 3.0.0's refpix step, on the same arrays.

The near-IR and MIRI corrections are compared bit for bit (tolerance 0): the kernels
reproduce the official float32/float64 rounding (see src/rp_stats.h), so any difference is a
bug.  Where the comparison cannot be exact the tolerance is stated next to the test.
"""

import logging

import numpy as np
import pytest

pytestmark = pytest.mark.parity

datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
reference_pixels = pytest.importorskip("jwst.refpix.reference_pixels")

from jwcore import dqflags  # noqa: E402
from jwcore.refpix import make_sirs_kernels, subtract_refpix_nir  # noqa: E402

DNU = dqflags.pixel["DO_NOT_USE"]
REF = dqflags.pixel["REFERENCE_PIXEL"]


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def ramp_model(
    rng,
    nints,
    ngroups,
    shape,
    *,
    detector="NRCA1",
    instrument="NIRCAM",
    fast=-1,
    slow=2,
    xstart=1,
    ystart=1,
    noutputs=4,
    name="FULL",
    zeroframe=False,
):
    ny, nx = shape
    m = datamodels.RampModel((nints, ngroups, ny, nx))
    base = rng.normal(100, 5, shape)
    rate = rng.uniform(0, 50, shape)
    d = base + rate * np.arange(1, ngroups + 1)[:, None, None]
    d = np.broadcast_to(d, (nints, ngroups, ny, nx)) + rng.normal(0, 3, (nints, ngroups, ny, nx))
    d += rng.normal(0, 20, (nints, ngroups, 1, 1)) + rng.normal(0, 2, (nints, ngroups, ny, 1))
    m.data = d.astype(np.float32)
    m.pixeldq = np.zeros(shape, np.uint32)
    m.meta.instrument.name = instrument
    m.meta.instrument.detector = detector
    s = m.meta.subarray
    s.xstart, s.ystart, s.xsize, s.ysize = xstart, ystart, nx, ny
    s.fastaxis, s.slowaxis, s.name = fast, slow, name
    m.meta.exposure.noutputs = noutputs
    m.meta.exposure.zero_frame = zeroframe
    if zeroframe:
        m.zeroframe = (base + rng.normal(0, 3, (nints, ny, nx))).astype(np.float32)
        m.zeroframe[:, 5, 7] = 0.0
    return m


def run_jwst(
    model,
    odd_even_columns=True,
    use_side=True,
    length=11,
    gain=1.0,
    siglimit=3.0,
    odd_even_rows=True,
    sirs=None,
):
    params = {
        "refpix_algorithm": "sirs" if sirs is not None else "median",
        "sirs_kernel_model": sirs,
        "sigreject": 4.0,
        "gaussmooth": 1.0,
        "halfwidth": 30,
    }
    return reference_pixels.correct_model(
        model, odd_even_columns, use_side, length, gain, odd_even_rows, params, siglimit
    )


def run_ours(model, data, dq, zf, odd_even_columns=True, use_side=True, length=11, gain=1.0):
    s = model.meta.subarray
    return subtract_refpix_nir(
        data,
        dq,
        fastaxis=s.fastaxis,
        slowaxis=s.slowaxis,
        xstart=s.xstart,
        ystart=s.ystart,
        noutputs=model.meta.exposure.noutputs,
        odd_even_columns=odd_even_columns,
        use_side_ref_pixels=use_side,
        side_smoothing_length=length,
        side_gain=gain,
        edge_reference_columns=s.name in ("SUB512", "SUB512S", "SUB32"),
        zeroframe=zf,
        n_threads=2,
    )


def check(model, **kw):
    data, dq = model.data.copy(), model.pixeldq.copy()
    zf = model.zeroframe.copy() if model.meta.exposure.zero_frame else None
    ours = run_ours(model, data, dq, zf, **kw)
    run_jwst(model, **{k: v for k, v in kw.items()})
    np.testing.assert_array_equal(ours, model.data)
    if zf is not None:
        np.testing.assert_array_equal(zf, model.zeroframe)


@pytest.mark.parametrize("fast,slow,det", [(-1, 2, "NRCA1"), (2, 1, "NRS1")])
def test_full_frame(fast, slow, det):
    # two groups: the first is computed in float32, the second in the float64 buffer
    rng = np.random.default_rng(11)
    m = ramp_model(rng, 1, 2, (2048, 2048), detector=det, fast=fast, slow=slow, zeroframe=True)
    m.pixeldq[0, 5] = DNU
    m.pixeldq[100:130, 2045] = DNU
    check(m)


def test_full_frame_options():
    rng = np.random.default_rng(12)
    m = ramp_model(rng, 2, 1, (2048, 2048), fast=-2, slow=-1, detector="NRCB2")
    check(m, odd_even_columns=False, length=8, gain=0.6)


@pytest.mark.parametrize("fast,slow", [(-1, 2), (1, -2), (2, 1), (-2, -1)])
def test_four_output_subarray(fast, slow):
    rng = np.random.default_rng(13)
    shape = (256, 2048) if abs(fast) == 1 else (2048, 256)
    m = ramp_model(
        rng, 2, 3, shape, fast=fast, slow=slow, noutputs=4, name="SUBGRISM256", zeroframe=True
    )
    m.pixeldq[:4] |= REF
    m.pixeldq[7, 3] |= DNU
    check(m)


@pytest.mark.parametrize("fast,slow", [(-1, 2), (2, 1), (1, -2)])
@pytest.mark.parametrize("odd_even", [True, False])
def test_single_output_subarray(fast, slow, odd_even):
    rng = np.random.default_rng(14)
    m = ramp_model(
        rng, 2, 3, (160, 160), fast=fast, slow=slow, noutputs=1, name="SUB160", zeroframe=True
    )
    m.pixeldq[:4] |= REF
    m.pixeldq[:, :4] |= REF
    m.pixeldq[1, 9] |= DNU
    check(m, odd_even_columns=odd_even)


def test_subarray_without_reference_pixels_and_edgeless():
    rng = np.random.default_rng(15)
    m = ramp_model(rng, 1, 2, (64, 64), xstart=300, ystart=400, noutputs=1, name="SUB64")
    check(m)
    m = ramp_model(
        rng,
        1,
        2,
        (512, 512),
        detector="NRS1",
        fast=2,
        slow=1,
        xstart=700,
        ystart=900,
        noutputs=1,
        name="SUB512",
    )
    check(m)


def sirs_coefficients(rng):
    f = np.arange(1025)
    shape = (4, f.size)
    gamma = np.exp(-f / 40) * rng.uniform(0.4, 0.6, shape) + 1j * rng.normal(0, 0.02, shape)
    zeta = np.exp(-f / 30) * rng.uniform(0.4, 0.6, shape) + 1j * rng.normal(0, 0.02, shape)
    return gamma, zeta


def test_sirs_kernels_identical():
    optimized_convolution = pytest.importorskip("jwst.refpix.optimized_convolution")
    gamma, zeta = sirs_coefficients(np.random.default_rng(16))
    model = datamodels.SIRSKernelModel({"nrcb3": {"gamma": gamma, "zeta": zeta}})
    for gs, hw in [(1.0, 30), (2.5, 12)]:
        expected = optimized_convolution.make_kernels(model, "NRCB3", gs, hw)
        kl, kr = make_sirs_kernels(gamma, zeta, gs, hw)
        np.testing.assert_array_equal(kl, np.array(expected[0]))
        np.testing.assert_array_equal(kr, np.array(expected[1]))


@pytest.mark.parametrize("fast,slow", [(-1, 2), (2, 1)])
def test_sirs(fast, slow):
    rng = np.random.default_rng(17)
    gamma, zeta = sirs_coefficients(rng)
    model = datamodels.SIRSKernelModel({"nrca1": {"gamma": gamma, "zeta": zeta}})
    m = ramp_model(rng, 1, 2, (2048, 2048), fast=fast, slow=slow)
    m.pixeldq[3, 3] = DNU
    data, dq = m.data.copy(), m.pixeldq.copy()
    ours = subtract_refpix_nir(
        data, dq, fastaxis=fast, slowaxis=slow, sirs_kernels=make_sirs_kernels(gamma, zeta)
    )
    run_jwst(m, sirs=model)
    # jwst's np.convolve sums through BLAS dot products in another order, so a float64
    # template can differ in its last bits and flip a float32 rounding (seen: 2 pixels of
    # 4 million, by 4e-12 DN).  Well inside the 1e-4 DN target.
    np.testing.assert_allclose(ours, m.data, rtol=0, atol=1e-4)
    assert np.mean(ours != m.data) < 1e-4


@pytest.mark.parametrize("odd_even_rows", [True, False])
def test_miri(odd_even_rows):
    from jwcore.refpix import subtract_refpix_miri

    rng = np.random.default_rng(18)
    m = ramp_model(rng, 2, 4, (1024, 1032), detector="MIRIMAGE", instrument="MIRI", fast=1, slow=2)
    m.pixeldq[::7, 1] = DNU
    m.pixeldq[3::5, 1030] = DNU
    data, dq = m.data.copy(), m.pixeldq.copy()
    ours = subtract_refpix_miri(data, dq, odd_even_rows=odd_even_rows, n_threads=2)
    run_jwst(m, odd_even_rows=odd_even_rows)
    np.testing.assert_array_equal(ours, m.data)


def test_miri_without_usable_reference_pixels():
    from jwcore.refpix import subtract_refpix_miri

    rng = np.random.default_rng(19)
    m = ramp_model(
        rng, 2, 3, (1024, 1032), detector="MIRIFULONG", instrument="MIRI", fast=1, slow=2
    )
    m.pixeldq[1::2, 2] = DNU
    data, dq = m.data.copy(), m.pixeldq.copy()
    ours = subtract_refpix_miri(data, dq)
    run_jwst(m)
    np.testing.assert_array_equal(ours, m.data)


def multistripe_model(
    rng, nints, shape, fast, slow, xstart, ystart, superstripes=0, model_class=None
):
    m = ramp_model(
        rng,
        nints,
        2,
        shape,
        fast=fast,
        slow=slow,
        xstart=xstart,
        ystart=ystart,
        name="SUB256",
        zeroframe=not superstripes,
    )
    if superstripes:
        ss = datamodels.SuperstripeRampModel()
        ss.data, ss.groupdq = m.data, np.zeros(m.data.shape, np.uint8)
        ss.meta = m.meta
        ss.pixeldq = np.zeros((superstripes,) + shape, np.uint32)
        m = ss
    m.meta.subarray.multistripe_reads1 = 4
    m.meta.subarray.num_superstripe = superstripes
    return m


@pytest.mark.parametrize(
    "fast,slow,shape,xstart,ystart",
    [(-1, 2, (64, 2048), 1, 1), (1, 2, (64, 1500), 300, 5), (-2, -1, (2048, 64), 1, 1)],
)
@pytest.mark.parametrize("odd_even", [True, False])
def test_multistripe(fast, slow, shape, xstart, ystart, odd_even):
    from jwcore.refpix import subtract_refpix_multistripe

    m = multistripe_model(np.random.default_rng(20), 2, shape, fast, slow, xstart, ystart)
    if abs(fast) == 1:
        m.pixeldq[:4] |= REF
    else:
        m.pixeldq[:, :4] |= REF
    m.pixeldq[1, 7] |= DNU
    data, dq, zf = m.data.copy(), m.pixeldq.copy(), m.zeroframe.copy()
    fastmin = xstart - 1 if abs(fast) == 1 else ystart - 1
    ours = subtract_refpix_multistripe(
        data,
        dq,
        fastaxis=fast,
        slowaxis=slow,
        fastmin=fastmin,
        odd_even_columns=odd_even,
        zeroframe=zf,
    )
    run_jwst(m, odd_even_columns=odd_even)
    np.testing.assert_array_equal(ours, m.data)
    np.testing.assert_array_equal(zf, m.zeroframe)


def test_superstripe_uses_the_plane_of_each_position():
    """Deliberate difference: jwst 3.0.0 corrects every superstripe integration with the
    reference pixels of plane 0.  Its code means ``stripe_idx = integration % n_superstripe``
    but writes ``if n_superstripe := num_superstripe > 0:``, which binds the comparison, so
    n_superstripe is True and every index is 0.  We use plane ``i % num_superstripe``; with
    plane 0 given for all integrations we reproduce jwst exactly."""
    from jwcore.refpix import subtract_refpix_multistripe

    m = multistripe_model(np.random.default_rng(21), 4, (16, 2048), -1, 2, 1, 1, superstripes=2)
    pdq = np.zeros((2, 16, 2048), np.uint32)
    pdq[0, :4] = REF
    pdq[1, -4:] = REF
    m.pixeldq = pdq
    data = m.data.copy()
    ours = subtract_refpix_multistripe(
        data, pdq, fastaxis=-1, slowaxis=2, fastmin=0, num_superstripe=2
    )
    as_jwst = subtract_refpix_multistripe(data, pdq[0], fastaxis=-1, slowaxis=2, fastmin=0)
    run_jwst(m)
    np.testing.assert_array_equal(as_jwst, m.data)
    np.testing.assert_array_equal(ours[0::2], m.data[0::2])
    assert not np.array_equal(ours[1::2], m.data[1::2])


# ---------------------------------------------------------------- NIRSpec IRS2
IRS2_TIMES = 712 * 2048


def irs2_reference_model(rng):
    f = np.minimum(np.arange(IRS2_TIMES), IRS2_TIMES - np.arange(IRS2_TIMES))
    names = [f"alpha_{k}" for k in range(4)] + [f"beta_{k}" for k in range(4)]
    table = np.zeros(2 * IRS2_TIMES, dtype=[(n, np.float32) for n in names])
    for k in range(4):
        table[f"alpha_{k}"][0::2] = np.exp(-f / 3e4) * rng.uniform(0.5, 1.0, IRS2_TIMES)
        table[f"alpha_{k}"][1::2] = rng.normal(0, 0.05, IRS2_TIMES) * np.exp(-f / 3e4)
        table[f"beta_{k}"][0::2] = np.exp(-f / 1e4) * rng.uniform(-0.5, 0.5, IRS2_TIMES)
        table[f"beta_{k}"][1::2] = rng.normal(0, 0.05, IRS2_TIMES) * np.exp(-f / 1e4)
    ref = datamodels.IRS2Model()
    ref.irs2_table = table
    dq = np.zeros(3, dtype=[("output", np.int16), ("odd_even", np.int16), ("mask", np.uint32)])
    dq["output"], dq["odd_even"], dq["mask"] = [1, 2, 4], [1, 2, 1], [1 << 3, 0b1100000, 1 << 31]
    ref.dq_table = dq
    return ref


def irs2_coefficients(ref):
    t = ref.irs2_table
    alpha = np.stack([np.asarray(t[f"alpha_{k}"], np.float32) for k in range(4)])
    beta = np.stack([np.asarray(t[f"beta_{k}"], np.float32) for k in range(4)])
    return alpha.view(np.complex64), beta.view(np.complex64)


def irs2_ramp(rng, ngroups, detector):
    m = ramp_model(
        rng,
        1,
        ngroups,
        (3200, 2048),
        detector=detector,
        instrument="NIRSPEC",
        fast=2 if detector == "NRS1" else -2,
        slow=1 if detector == "NRS1" else -1,
    )
    m.data += np.float32(1000)
    m.data[:, :, 708] += rng.normal(0, 200, (1, ngroups, 2048)).astype(np.float32)
    m.meta.exposure.nrs_normal, m.meta.exposure.nrs_reference = 16, 4
    return m


def assert_irs2_close(ours, theirs):
    # jwst's FFTs are complex64, ours complex128: the corrections differ by ~1e-5 DN and
    # can flip a float32 rounding of the result, i.e. 1 ulp (1.2e-4 DN near 1000 DN).
    # (On the small values left by the IRS2 mean offset most pixels differ, by ~1e-6 DN.)
    tol = 1e-4 + 2 * np.spacing(np.abs(theirs))
    assert np.all(np.abs(ours.astype(np.float64) - theirs) <= tol)


@pytest.mark.slow
def test_irs2_full_flow():
    """flag_bad_refpix (ovr_corr_mitigation_ftr), the IRS2 mean offset, replacement, the
    reference file's DQ table and the correction, as RefPixStep.process runs them."""
    from jwcore.refpix import (
        apply_irs2_dq_table,
        flag_bad_refpix_irs2,
        replace_bad_refpix_irs2,
        subtract_refpix_irs2,
    )

    irs2 = pytest.importorskip("jwst.refpix.irs2_subtract_reference")
    rng = np.random.default_rng(22)
    ref = irs2_reference_model(rng)
    m = irs2_ramp(rng, 2, "NRS2")
    data, dq = m.data.copy(), m.pixeldq.copy()
    fast, slow = -2, -1
    # ours
    bad = flag_bad_refpix_irs2(data, dq, n_sigma=3.0)
    dq[bad] |= dqflags.pixel["BAD_REF_PIXEL"] | DNU
    data = subtract_refpix_nir(
        data, dq, fastaxis=fast, slowaxis=slow, irs2=(16, 4), use_side_ref_pixels=False
    )
    replace_bad_refpix_irs2(data, bad)
    # jwst, up to the same point: identical flags and identical replaced data
    irs2.flag_bad_refpix(m, n_sigma=3.0, flag_only=True)
    np.testing.assert_array_equal(dq, m.pixeldq)
    run_jwst(m, use_side=False)
    irs2.flag_bad_refpix(m, replace_only=True)
    np.testing.assert_array_equal(data, m.data)
    # then the reference file's DQ table and the correction (jwst does both in correct_model)
    t = ref.dq_table
    apply_irs2_dq_table(
        data, dq, t["output"], t["odd_even"], t["mask"], fastaxis=fast, slowaxis=slow
    )
    alpha, beta = irs2_coefficients(ref)
    ours = subtract_refpix_irs2(data, alpha, beta, fastaxis=fast, slowaxis=slow, n_threads=2)
    out = irs2.correct_model(m, ref)
    assert_irs2_close(ours, out.data)


@pytest.mark.slow
def test_irs2_preserve_refpix():
    from jwcore.refpix import subtract_refpix_irs2

    irs2 = pytest.importorskip("jwst.refpix.irs2_subtract_reference")
    rng = np.random.default_rng(23)
    ref = irs2_reference_model(rng)
    ref.dq_table = ref.dq_table[:0]
    m = irs2_ramp(rng, 1, "NRS1")
    alpha, beta = irs2_coefficients(ref)
    ours = subtract_refpix_irs2(m.data.copy(), alpha, beta, preserve_refpix=True)
    out = irs2.correct_model(m, ref, preserve_refpix=True)
    assert ours.shape == out.data.shape == (1, 1, 3200, 2048)
    # the reference samples are small numbers: relative differences show more often there
    tol = 1e-4 + 2 * np.spacing(np.abs(out.data))
    assert np.all(np.abs(ours.astype(np.float64) - out.data) <= tol)


def test_refpix_step_end_to_end(tmp_path):
    """The whole jwst RefPixStep, run offline in its own process on a file, against the
    kernel: a 4-output NIRCam subarray with a zero frame and non-default parameters."""
    from jwcal.testing.oracle import run_jwst

    rng = np.random.default_rng(24)
    m = ramp_model(
        rng,
        2,
        3,
        (256, 2048),
        detector="NRCA3",
        fast=1,
        slow=-2,
        ystart=1793,
        name="SUBGRISM256",
        zeroframe=True,
    )
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.instrument.filter, m.meta.instrument.pupil = "F150W", "CLEAR"
    m.meta.exposure.readpatt, m.meta.exposure.nints, m.meta.exposure.ngroups = "RAPID", 2, 3
    m.meta.observation.date, m.meta.observation.time = "2024-01-01", "00:00:00"
    m.pixeldq[-4:] |= REF
    m.pixeldq[250, 10] |= DNU
    src = tmp_path / "jw01_refpix_uncal.fits"
    m.save(src)
    params = {"odd_even_columns": True, "side_smoothing_length": 7, "side_gain": 0.9}
    run_jwst("jwst.refpix.RefPixStep", src, {}, tmp_path / "out", params=params)
    (out,) = (tmp_path / "out").glob("*refpix*.fits")
    with datamodels.RampModel(out) as res:
        expected, expected_zf = res.data.copy(), res.zeroframe.copy()
    zf = m.zeroframe.copy()
    ours = subtract_refpix_nir(
        m.data,
        m.pixeldq,
        fastaxis=1,
        slowaxis=-2,
        ystart=1793,
        side_smoothing_length=7,
        side_gain=0.9,
        zeroframe=zf,
    )
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(zf, expected_zf)


def test_non_finite_reference_pixels():
    """NaN and infinity in reference pixels propagate exactly as in jwst: a NaN level turns
    its whole amplifier to NaN, a NaN side median is treated as a missing side."""
    from jwcore.refpix import subtract_refpix_miri

    rng = np.random.default_rng(25)
    m = ramp_model(rng, 1, 2, (256, 2048), name="SUBGRISM256")
    m.data[0, 0, 1, 700] = np.nan
    m.data[0, 1, 100, 2] = np.nan
    m.data[0, 1, 50, 2046] = np.inf
    data, dq = m.data.copy(), m.pixeldq.copy()
    with np.errstate(all="ignore"):
        run_jwst(m)
    ours = subtract_refpix_nir(data, dq, fastaxis=-1, slowaxis=2)
    np.testing.assert_array_equal(ours, m.data)  # equal_nan by default
    assert np.isnan(ours).sum() == 512 * 128 + 1

    m = ramp_model(rng, 1, 3, (1024, 1032), detector="MIRIMAGE", instrument="MIRI", fast=1, slow=2)
    m.data[0, 1, 10, 1] = np.nan
    m.data[0, 2, 11, 1029] = np.inf
    data, dq = m.data.copy(), m.pixeldq.copy()
    with np.errstate(all="ignore"):
        run_jwst(m)
    np.testing.assert_array_equal(subtract_refpix_miri(data, dq), m.data)

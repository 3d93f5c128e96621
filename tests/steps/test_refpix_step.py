import numpy as np
import pytest
from synthetic_ramps import ramp_model

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import InputError
from jwcal.steps.refpix import RefPixStep

REF = PIXEL["REFERENCE_PIXEL"]


def drifting(rng, shape, ngroups=2, nints=1, **kw):
    """Ramps plus an offset per amplifier (512 columns), column parity and group, the
    drift the reference pixels see (their own signal is zero)."""
    ny, nx = shape
    rate = rng.uniform(1, 5, shape)
    m = ramp_model(rate, ngroups=ngroups, nints=nints, bias=1000.0, **kw)
    truth = m.data.copy()
    offsets = rng.normal(0, 30, (nints, ngroups, 4, 2))
    cols = np.arange(nx) + (kw.get("xstart", 1) - 1)
    amp = np.minimum(cols // 512, 3)
    drift = offsets[:, :, amp, cols % 2]  # (nints, ngroups, nx)
    m.data += drift[:, :, None, :].astype(np.float32)
    return m, truth


def nir_reference_mask(m):
    """The reference pixels of a near-IR full frame: 4 rows and columns at each edge."""
    ref = np.zeros(m.shape[-2:], bool)
    ref[:4], ref[-4:], ref[:, :4], ref[:, -4:] = True, True, True, True
    return ref


def test_full_frame_removes_amplifier_and_column_offsets(rng):
    m, truth = drifting(rng, (2048, 2048))
    ref = nir_reference_mask(m)
    m.data[:, :, ref] = (m.data - truth)[:, :, ref]
    truth[:, :, ref] = 0.0
    out = RefPixStep.call(m)
    assert out.meta.cal_step.refpix == "COMPLETE"
    resid = (out.data - truth)[:, :, 4:-4, 4:-4]
    # the offsets (30 DN rms) are gone; the exact levels are jwst's arithmetic
    assert np.abs(resid).max() < 0.01
    raw = (m.data - truth)[:, :, 4:-4, 4:-4]
    assert np.abs(raw).max() > 10


def test_parameters_reach_the_kernel(rng):
    from jwcore.refpix import subtract_refpix_nir

    m, _ = drifting(rng, (2048, 2048))
    m.data += rng.normal(0, 5, m.data.shape).astype(np.float32)
    kw = dict(odd_even_columns=False, side_smoothing_length=21, side_gain=0.5, siglimit=2.5)
    out = RefPixStep.call(m, **kw)
    expected = subtract_refpix_nir(m.data, m.pixeldq, fastaxis=-1, slowaxis=2, **kw)
    np.testing.assert_array_equal(out.data, expected)
    plain = RefPixStep.call(m, use_side_ref_pixels=False)
    assert not np.array_equal(plain.data, out.data)


def test_single_output_subarray_uses_flagged_reference_pixels(rng):
    m, truth = drifting(rng, (64, 64), xstart=1, ystart=1985, noutputs=1)
    m.pixeldq[:, :4] = REF
    m.data[:, :, :, :4] = (m.data - truth)[:, :, :, :4]
    truth[:, :, :, :4] = 0.0
    out = RefPixStep.call(m)
    assert out.meta.cal_step.refpix == "COMPLETE"
    # one level per column parity: amplifier A only here
    assert np.abs((out.data - truth)[:, :, :, 4:]).max() < 0.01


def test_zeroframe_is_corrected_too(rng):
    m, truth = drifting(rng, (64, 64), xstart=1, ystart=1985, noutputs=1)
    m.pixeldq[:, :4] = REF
    zf = m.data[:, 0].copy()
    zf[0, 10, 10] = 0.0  # no zero-frame value: stays 0
    m.zeroframe = zf
    m.meta.exposure.zero_frame = True
    out = RefPixStep.call(m)
    assert out.zeroframe[0, 10, 10] == 0.0
    np.testing.assert_allclose(out.zeroframe[0, 20], out.data[0, 0, 20], rtol=0, atol=1e-3)
    assert not np.allclose(out.zeroframe[0, 20], zf[0, 20])


def test_subarray_outside_the_detector_is_skipped(rng):
    m, _ = drifting(rng, (64, 64), xstart=2000, ystart=1, noutputs=1)
    before = m.data.copy()
    out = RefPixStep.call(m)
    assert out.meta.cal_step.refpix == "SKIPPED"
    np.testing.assert_array_equal(out.data, before)


def test_miri(rng):
    rate = rng.uniform(1, 5, (1024, 1032))
    m = ramp_model(rate, ngroups=3, instrument="MIRI", detector="MIRIMAGE", fastaxis=1)
    out = RefPixStep.call(m)
    assert out.meta.cal_step.refpix == "COMPLETE"
    sub = ramp_model(rate[:64, :72], ngroups=3, instrument="MIRI", detector="MIRIMAGE")
    out = RefPixStep.call(sub)
    assert out.meta.cal_step.refpix == "SKIPPED"


def test_miri_drifts_of_each_amplifier_are_removed(rng):
    rate = rng.uniform(1, 5, (1024, 1032))
    m = ramp_model(rate, ngroups=3, instrument="MIRI", detector="MIRIMAGE", fastaxis=1)
    m.data[:, :, :, :4] = m.data[:, :, :, :4] * 0 + m.data[:, :1, :, :4]
    m.data[:, :, :, 1028:] = m.data[:, :, :, 1028:] * 0 + m.data[:, :1, :, 1028:]
    truth = m.data.copy()
    drift = rng.normal(0, 20, (3, 4))
    drift[0] = 0.0  # relative to the first group
    cols = np.arange(1032) % 4
    m.data += drift[None, :, None, cols].astype(np.float32)
    out = RefPixStep.call(m)
    assert np.abs((out.data - truth)[..., 4:1028]).max() < 0.01


def test_sirs_needs_its_reference(rng, tmp_path):
    import asdf

    m, _ = drifting(rng, (2048, 2048))
    m.data += rng.normal(0, 5, m.data.shape).astype(np.float32)
    median = RefPixStep.call(m)
    na = RefPixStep.call(m, refpix_algorithm="sirs", override_sirskernel="N/A")
    np.testing.assert_array_equal(na.data, median.data)

    f = np.arange(1025)
    gamma = (np.exp(-f / 40) * 0.5 + 0j) * np.ones((4, 1))
    zeta = (np.exp(-f / 30) * 0.5 + 0j) * np.ones((4, 1))
    tree = {
        "meta": {"reftype": "SIRSKERNEL", "instrument": {"name": "NIRCAM"}},
        "nrca1": {"gamma": gamma, "zeta": zeta},
    }
    path = tmp_path / "sirs.asdf"
    asdf.AsdfFile(tree).write_to(path)
    sirs = RefPixStep.call(m, refpix_algorithm="sirs", override_sirskernel=str(path))
    assert sirs.meta.ref_file.sirskernel.name == str(path)
    from jwcore.refpix import make_sirs_kernels, subtract_refpix_nir

    expected = subtract_refpix_nir(
        m.data, m.pixeldq, fastaxis=-1, slowaxis=2, sirs_kernels=make_sirs_kernels(gamma, zeta)
    )
    np.testing.assert_array_equal(sirs.data, expected)
    assert not np.array_equal(sirs.data, median.data)


def test_missing_subarray_metadata(rng):
    m = ramp_model(np.ones((16, 16)))
    m.meta.subarray.xstart = None
    with pytest.raises(InputError, match="subarray metadata"):
        RefPixStep.call(m)


def test_irs2_without_reference_file_flags_and_skips(rng):
    """IRS2 data: bad interleaved reference rows are flagged, then with REFPIX=N/A the
    correction is skipped and the data keep their 3200 rows."""
    m = dm.RampModel(rng.normal(1000, 5, (1, 2, 3200, 2048)).astype(np.float32))
    m.meta.instrument.name = "NIRSPEC"
    m.meta.instrument.detector = "NRS1"
    s = m.meta.subarray
    s.name, s.xstart, s.ystart, s.xsize, s.ysize = "FULL", 1, 1, 2048, 2048
    s.fastaxis, s.slowaxis = 2, 1
    m.meta.exposure.nrs_normal, m.meta.exposure.nrs_reference = 16, 4
    m.data[:, :, 648] += 500.0  # an interleaved reference row of output A gone bad
    out = RefPixStep.call(m, override_refpix="N/A")
    assert out.meta.cal_step.refpix == "SKIPPED"
    assert out.data.shape == (1, 2, 3200, 2048)
    bad = PIXEL["BAD_REF_PIXEL"] | PIXEL["DO_NOT_USE"]
    assert (out.pixeldq[648] & bad == bad).all()
    # replaced by its good neighbours one reference period away
    assert abs(float(np.median(out.data[0, 0, 648])) - 1000.0) < 5.0

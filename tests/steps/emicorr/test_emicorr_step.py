import numpy as np
from ramps_testdata import ramp

from jwcal import datamodels as dm
from jwcal.steps.emicorr import EmiCorrStep

FREQ = 390.625


def _miri(rng, ngroups=8, nints=2, amp=6.0):
    """MIRI SUB128-like ramps (136 columns, 128 rows) with a 390.625 Hz sine added at each
    pixel's read time."""
    m = ramp(rng, nints=nints, ngroups=ngroups, instrument="MIRI", detector="MIRIMAGE",
             readpatt="FAST", region=(1, 889, 136, 128))  # fmt: skip
    m.meta.subarray.name = "SUB128"
    ny, nx = 128, 136
    frametime = ny * 44 + (1024.0 - ny) * 7.0
    period = (1.0 / FREQ) / 10.0e-6
    t = np.arange(ny)[:, None] * 44 + np.arange(nx // 4)[None, :]
    for i in range(nints):
        for g in range(ngroups):
            emi = amp * np.sin(2 * np.pi * (t + (i * ngroups + g) * frametime) / period + 1.1)
            for k in range(4):
                m.data[i, g, :, k::4] += emi.astype(np.float32)
    return m


def _reference():
    nb = 256
    wave = np.sin(2 * np.pi * (np.arange(nb) + 0.5) / nb).astype(np.float32)
    ref = dm.EmiModel(
        frequencies={"Hz390": {"frequency": FREQ, "phase_amplitudes": wave}},
        subarray_cases={"SUB128": {"rowclocks": 44, "frameclocks": 11904,
                                   "freqs": {"FAST": ["Hz390"]}}},
    )  # fmt: skip
    ref.meta.reftype = "EMICORR"
    ref.meta.instrument.name = "MIRI"
    return ref


def _residual(out, clean):
    return float(np.std(out.data.astype(float) - clean.data))


def test_joint_fit_removes_the_interference(rng):
    noisy = _miri(rng)
    clean = _miri(np.random.default_rng(12345), amp=0.0)
    noisy = _miri(np.random.default_rng(12345))
    out = EmiCorrStep.call(noisy, override_emicorr=_reference())
    assert out.meta.cal_step.emicorr == "COMPLETE"
    assert _residual(noisy, clean) > 3.0
    assert _residual(out, clean) < 0.3


def test_sequential_on_the_fly_and_saved_reference(rng, tmp_path):
    clean = _miri(np.random.default_rng(7), ngroups=12, amp=0.0)
    noisy = _miri(np.random.default_rng(7), ngroups=12)
    out = EmiCorrStep.call(noisy, algorithm="sequential", onthefly_corr_freq=[FREQ],
                           save_intermediate_results=True, output_dir=str(tmp_path))  # fmt: skip
    assert _residual(out, clean) < 0.5 * _residual(noisy, clean)
    saved = dm.open(next(tmp_path.glob("*emi_ref_waves.asdf")))
    assert repr(FREQ) in saved.frequencies
    assert saved.subarray_cases["SUB128"]["freqs"] == {"FAST": [repr(FREQ)]}


def test_skips(rng):
    assert EmiCorrStep.call(ramp(rng), override_emicorr=_reference()).meta.cal_step.emicorr == (
        "SKIPPED"
    )
    m = _miri(rng)
    assert EmiCorrStep.call(m, override_emicorr="N/A").meta.cal_step.emicorr == "SKIPPED"
    short = _miri(rng, ngroups=2)
    assert EmiCorrStep.call(short, override_emicorr=_reference()).meta.cal_step.emicorr == (
        "SKIPPED"
    )
    m.meta.subarray.name = "SUB64"
    assert EmiCorrStep.call(m, override_emicorr=_reference()).meta.cal_step.emicorr == "SKIPPED"
    m.meta.exposure.readpatt = "FASTGRPAVG"
    assert EmiCorrStep.call(m, override_emicorr=_reference()).meta.cal_step.emicorr == "SKIPPED"
    assert EmiCorrStep().skip is True

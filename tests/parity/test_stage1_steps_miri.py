"""MIRI stage-1 steps against jwst 3.0.0: firstframe (on by request), lastframe, reset,
rscd (integration 1 and later ones, with the per-pixel back-off for early saturation),
linearity and dark_current with a 4-D (per-integration) dark.

Input: the simulator's MIRI imager SUB128 FAST exposure (8 groups, 3 integrations) after
jwcal's dq_init and saturation, with SATURATED flags added from groups 2, 3 and 4 of a few
pixels (the exposure is too short to saturate by itself), so that the saturation-dependent
branches of firstframe and rscd run; and emicorr (joint, joint per integration,
sequential with a reference waveform, sequential on the fly) on the same data with a
390.625 Hz sine added at each pixel's read time.  All bit-identical to jwst.
"""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jwst")

from stage1_parity import assert_dq_parity, assert_ramp_parity, run_jwst_jobs  # noqa: E402

from jwcal import datamodels as dm  # noqa: E402
from jwcal.simulate import simulate_exposure  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")

STEPS = {  # alias: (jwst class, reference types, jwcal parameters, file suffix)
    "firstframe": ("jwst.firstframe.FirstFrameStep", (), {}, "firstframestep"),
    "lastframe": ("jwst.lastframe.LastFrameStep", (), {}, "lastframestep"),
    "reset": ("jwst.reset.ResetStep", ("reset",), {}, "resetstep"),
    "rscd": ("jwst.rscd.RscdStep", ("rscd",), {}, "rscdstep"),
    "linearity": ("jwst.linearity.LinearityStep", ("linearity",), {}, "linearitystep"),
    "dark_current": ("jwst.dark_current.DarkCurrentStep", ("dark",), {}, "darkcurrentstep"),
}


def _prepare(sim, out: Path) -> Path:
    from jwcal.steps.dq_init import DQInitStep
    from jwcal.steps.saturation import SaturationStep

    refs = sim.refs_by_type()
    m = DQInitStep.call(str(sim.uncal), override_mask=refs["mask"])
    m = SaturationStep.call(m, override_saturation=refs["saturation"], override_superbias="N/A")
    sat = np.uint8(2)
    for (y, x), g in zip([(10, 10), (20, 30), (40, 41), (60, 70), (70, 90)], [1, 2, 3, 2, 0],
                         strict=True):  # fmt: skip
        m.groupdq[:2, g:, y, x] |= sat
    m.groupdq[2, 3:, 5, 6] |= sat
    path = out / sim.uncal.name.replace("_uncal", "_saturation")
    m.save(path)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_miri")
    sim = simulate_exposure(
        root / "sim", "miri", "mirimage", subarray="SUB128", readpatt="FAST", ngroups=8,
        nints=3, seed=4,
    )  # fmt: skip
    refs = sim.refs_by_type()
    inp = _prepare(sim, root)
    jw = root / "jwst"
    jobs = [
        (cls, inp, {f"override_{rt}": refs[rt] for rt in rts}, jw)
        for cls, rts, _, _ in STEPS.values()
    ]
    jobs.append(("jwst.firstframe.FirstFrameStep", inp, {"bright_use_group1": False}, jw / "ff"))
    run_jwst_jobs(jobs, root / "crds")
    return refs, inp, jw


@pytest.mark.parametrize("alias", list(STEPS))
def test_step(work, alias):
    from jwcal.stpipe.registry import resolve_class

    refs, inp, jw = work
    _, rts, params, suffix = STEPS[alias]
    cls, _ = resolve_class(alias)
    ours = cls.call(str(inp), **{f"override_{rt}": refs[rt] for rt in rts}, **params)
    theirs = sdm.RampModel(str(jw / Path(inp).name.replace("_saturation", f"_{suffix}")))
    st = assert_ramp_parity(ours, theirs)
    assert st["identical"] == 1.0, st
    assert_dq_parity(ours.groupdq, theirs.groupdq, min_match=1.0)
    assert_dq_parity(ours.pixeldq, theirs.pixeldq, min_match=1.0)
    key = "dark_sub" if alias == "dark_current" else alias
    assert ours.meta.cal_step.get(key) == theirs.meta.cal_step.instance[key] == "COMPLETE"
    before = dm.RampModel(inp)
    changed = not (
        np.array_equal(ours.data, before.data)
        and np.array_equal(ours.groupdq, before.groupdq)
        and np.array_equal(ours.pixeldq, before.pixeldq)
    )
    assert changed
    if alias == "rscd":
        for key in ("ngroups_skip_int1", "ngroups_skip_int2p", "keep_groups_saturation_int1",
                    "keep_groups_saturation_int2p", "keep_bright_firstgroup_int1",
                    "keep_bright_firstgroup_int2p"):  # fmt: skip
            assert ours.meta.rscd.get(key) == getattr(theirs.meta.rscd, key), key
        assert ours.meta.rscd.keep_groups_saturation_int1 > 0


def test_firstframe_without_bright_exception(work):
    from jwcal.steps.firstframe import FirstFrameStep

    refs, inp, jw = work
    ours = FirstFrameStep.call(str(inp), bright_use_group1=False)
    theirs = sdm.RampModel(
        str(jw / "ff" / Path(inp).name.replace("_saturation", "_firstframestep"))
    )
    assert_dq_parity(ours.groupdq, theirs.groupdq, min_match=1.0)
    assert_dq_parity(ours.pixeldq, theirs.pixeldq, min_match=1.0)


# ----- emicorr -----------------------------------------------------------------------------
EMI_FREQ = 390.625  # Hz: a period of 256 pixel clocks
EMI_AMP = 6.0  # DN


def _emi_reference(path):
    """An EMICORR file in jwst's format: one 390.625 Hz sine wave for SUB128 FAST."""
    nb = 256
    wave = np.sin(2 * np.pi * (np.arange(nb) + 0.5) / nb).astype(np.float32)
    ref = sdm.EmiModel()
    ref.frequencies = {"Hz390": {"frequency": EMI_FREQ, "phase_amplitudes": wave}}
    ref.subarray_cases = {
        "SUB128": {"rowclocks": 44, "frameclocks": 11904, "freqs": {"FAST": ["Hz390"]}},
    }
    ref.meta.reftype = "EMICORR"
    ref.meta.instrument.name = "MIRI"
    ref.meta.author = "jwcal tests"
    ref.meta.description = "390 Hz sine for the emicorr parity test"
    ref.meta.pedigree = "GROUND"
    ref.meta.useafter = "2022-01-01T00:00:00"
    ref.save(str(path))
    return str(path)


def _inject_emi(inp, out):
    """Add a 390.625 Hz sine at each pixel's read time (MIRI clocking of SUB128 FAST)."""
    m = dm.RampModel(inp)
    nints, ngroups, ny, nx = m.data.shape
    rowclocks = 44
    frametime = ny * rowclocks + (1024.0 - ny) * 7.0
    period = (1.0 / EMI_FREQ) / 10.0e-6
    t = np.arange(ny)[:, None] * rowclocks + np.arange(nx // 4)[None, :]
    for i in range(nints):
        for g in range(ngroups):
            tt = t + (i * ngroups + g) * frametime
            emi = EMI_AMP * np.sin(2 * np.pi * tt / period + 0.7)
            for k in range(4):
                m.data[i, g, :, k::4] += emi.astype(np.float32)
    m.save(out)
    return out


@pytest.fixture(scope="module")
def emi(work, tmp_path_factory):
    refs, inp, jw = work
    root = tmp_path_factory.mktemp("emicorr")
    ref = _emi_reference(root / "emi.asdf")
    src = _inject_emi(inp, root / Path(inp).name.replace("_saturation", "_dqinitstep"))
    cases = {
        "joint": {"override_emicorr": ref},
        "separate": {"override_emicorr": ref, "fit_ints_separately": True},
        "sequential": {"override_emicorr": ref, "algorithm": "sequential"},
        "onthefly": {"algorithm": "sequential", "onthefly_corr_freq": [EMI_FREQ],
                     "save_intermediate_results": True},
    }  # fmt: skip
    jobs = [("jwst.emicorr.EmiCorrStep", src, kw, root / "jwst" / name)
            for name, kw in cases.items()]  # fmt: skip
    run_jwst_jobs(jobs, root / "crds")
    return root, src, cases


@pytest.mark.parametrize("case", ["joint", "separate", "sequential", "onthefly"])
def test_emicorr(emi, case, tmp_path):
    from jwcal.steps.emicorr import EmiCorrStep

    root, src, cases = emi
    kw = dict(cases[case], output_dir=str(tmp_path), save_results=True)
    ours = EmiCorrStep.call(str(src), **kw)
    name = Path(src).name.replace("_dqinitstep", "_emicorrstep")
    theirs = sdm.RampModel(str(root / "jwst" / case / name))
    assert ours.meta.cal_step.emicorr == theirs.meta.cal_step.emicorr == "COMPLETE"
    st = assert_ramp_parity(ours, theirs)
    assert st["identical"] > 0.999, st
    # the injected signal is removed: residual scatter well below its amplitude
    before = dm.RampModel(src)
    removed = before.data.astype(float) - ours.data
    assert np.nanstd(removed) > 0.5 * EMI_AMP / np.sqrt(2), st
    if case == "onthefly":
        ours_ref = dm.open(next(tmp_path.glob("*emi_ref_waves.asdf")))
        theirs_ref = sdm.EmiModel(str(next((root / "jwst" / case).glob("*emi_ref_waves.asdf"))))
        key = repr(EMI_FREQ)
        np.testing.assert_allclose(
            ours_ref.frequencies[key]["phase_amplitudes"],
            theirs_ref.frequencies.instance[key]["phase_amplitudes"], rtol=1e-6, atol=1e-9,
        )  # fmt: skip

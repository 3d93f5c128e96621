"""group_scale, dq_init, saturation and gain_scale against jwst 3.0.0, run offline.

The same small exposure (a NIRCam subarray, BRIGHT2, zero frame, reference files covering
a larger region) goes through each jwst step in a fresh process and through jwcal's; the
outputs must be identical: same arrays bit for bit, same step status, same file names.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))

import jwcal_testdata as td  # noqa: E402

from jwcal.testing.forkserver import run_python  # noqa: E402
from jwcal.testing.oracle import offline_environment  # noqa: E402

pytestmark = pytest.mark.parity
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")

# Several jwst steps in one fresh process: starting jwst costs seconds each time.
_BATCH = r"""
import importlib, json, sys
for cls, inp, refs, outdir in json.loads(sys.argv[1]):
    mod, _, name = cls.rpartition(".")
    klass = getattr(importlib.import_module(mod), name)
    kw = {f"override_{rt}": refs.get(rt, "N/A") for rt in klass.reference_file_types}
    klass.call(inp, output_dir=outdir, save_results=True, **kw)
"""


def _run_jwst_batch(jobs, scratch):
    env = dict(os.environ)
    env.update(offline_environment(scratch))
    payload = json.dumps([[c, str(i), {k: str(v) for k, v in r.items()}, str(o)]
                          for c, i, r, o in jobs])  # fmt: skip
    run_python(_BATCH, [payload], env=env, check=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stpipe_parity")
    rng = np.random.default_rng(2024)
    refs = td.write_refs(root / "refs")
    gain = td.make_gain(gain_factor=1.6).save(root / "refs" / "gain_gainfact.fits")
    inputs = {
        "uncal": td.make_uncal(rng).save(root / "jw01_nrca1_uncal.fits"),
        "uncal5": td.make_uncal(rng, nframes=5, frame_divisor=4, readpatt="MEDIUM8").save(
            root / "jw02_nrca1_uncal.fits"
        ),
        "rate": td.make_rate(rng).save(root / "jw03_nrca1_rate.fits"),
        "rateints": td.make_rate(rng, ints=True).save(root / "jw04_nrca1_rateints.fits"),
    }
    # FGS guide-mode data: dq_init puts the mask in a GuiderRawModel's DQ
    fgs = td.make_uncal(rng, exp_type="FGS_TRACK", zero_frame=False, readpatt="FGS")
    fgs_mask = td.make_mask()
    for m in (fgs, fgs_mask):
        m.meta.instrument.name = "FGS"
        m.meta.instrument.detector = "GUIDER1"
        m.meta.instrument.module = None
        m.meta.instrument.channel = None
    fgs.meta.instrument.filter = None
    fgs.meta.instrument.pupil = None
    fgs_mask.meta.exposure.type = "FGS_TRACK"
    inputs["fgs"] = fgs.save(root / "jw05_guider1_uncal.fits")
    refs_fgs = {"mask": str(fgs_mask.save(root / "refs" / "fgs_mask.fits"))}
    # a jwcal product for jwst to continue from
    from jwcal.steps.dq_init import DQInitStep

    DQInitStep.call(
        str(inputs["uncal"]),
        override_mask=refs["mask"],
        save_results=True,
        output_dir=str(root / "ours"),
    )
    jw = root / "jwst"
    jobs = [
        (
            "jwst.saturation.SaturationStep",
            root / "ours" / "jw01_nrca1_dqinitstep.fits",
            refs,
            jw / "from_ours",
        ),
        ("jwst.group_scale.GroupScaleStep", inputs["uncal5"], refs, jw),
        ("jwst.dq_init.DQInitStep", inputs["uncal"], refs, jw),
        ("jwst.saturation.SaturationStep", jw / "jw01_nrca1_dqinitstep.fits", refs, jw),
        ("jwst.saturation.SaturationStep", inputs["uncal5"], refs, jw / "sat5"),
        ("jwst.gain_scale.GainScaleStep", inputs["rate"], {"gain": gain}, jw),
        ("jwst.dq_init.DQInitStep", inputs["fgs"], refs_fgs, jw),
        ("jwst.gain_scale.GainScaleStep", inputs["rateints"], {"gain": gain}, jw),
    ]
    _run_jwst_batch(jobs, root / "crds")
    refs = dict(refs, fgs_mask=refs_fgs["mask"])
    return root, refs, str(gain), inputs, jw


def _same(ours, theirs, names):
    for name in names:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_group_scale(work):
    from jwcal.steps.group_scale import GroupScaleStep

    root, refs, gain, inputs, jw = work
    out = GroupScaleStep.call(str(inputs["uncal5"]), save_results=True, output_dir=str(root))
    theirs = sdm.RampModel(str(jw / "jw02_nrca1_groupscalestep.fits"))
    assert (root / "jw02_nrca1_groupscalestep.fits").exists()
    _same(out, theirs, ["data", "pixeldq", "groupdq", "zeroframe"])
    assert out.meta.cal_step.group_scale == theirs.meta.cal_step.group_scale == "COMPLETE"


def test_dq_init_then_saturation(work):
    from jwcal.steps.dq_init import DQInitStep
    from jwcal.steps.saturation import SaturationStep

    root, refs, gain, inputs, jw = work
    dq = DQInitStep.call(str(inputs["uncal"]), override_mask=refs["mask"])
    theirs = sdm.RampModel(str(jw / "jw01_nrca1_dqinitstep.fits"))
    _same(dq, theirs, ["data", "pixeldq", "groupdq", "zeroframe"])
    assert dq.meta.cal_step.dq_init == theirs.meta.cal_step.dq_init
    assert dq.meta.ref_file.mask.name == theirs.meta.ref_file.mask.name

    sat = SaturationStep.call(
        dq, override_saturation=refs["saturation"], override_superbias=refs["superbias"]
    )
    theirs = sdm.RampModel(str(jw / "jw01_nrca1_saturationstep.fits"))
    assert (theirs.groupdq & 2).any() and (theirs.groupdq & 64).any()
    _same(sat, theirs, ["data", "pixeldq", "groupdq", "zeroframe"])
    assert sat.meta.cal_step.saturation == theirs.meta.cal_step.saturation == "COMPLETE"
    assert sat.meta.ref_file.saturation.name == theirs.meta.ref_file.saturation.name


def test_dq_init_of_guider_data(work):
    from jwcal.steps.dq_init import DQInitStep

    root, refs, gain, inputs, jw = work
    out = DQInitStep.call(str(inputs["fgs"]), override_mask=refs["fgs_mask"])
    theirs = sdm.GuiderRawModel(str(jw / "jw05_guider1_dqinitstep.fits"))
    assert type(out).__name__ == "GuiderRawModel"
    _same(out, theirs, ["data", "dq"])
    assert theirs.dq.any()


def test_saturation_on_a_raw_exposure_with_five_frame_groups(work):
    from jwcal.steps.saturation import SaturationStep

    root, refs, gain, inputs, jw = work
    sat = SaturationStep.call(
        str(inputs["uncal5"]),
        override_saturation=refs["saturation"],
        override_superbias=refs["superbias"],
        save_results=True,
        output_dir=str(root / "ours5"),
    )
    theirs = sdm.RampModel(str(jw / "sat5" / "jw02_nrca1_saturationstep.fits"))
    _same(sat, theirs, ["data", "pixeldq", "groupdq", "zeroframe"])
    assert (root / "ours5" / "jw02_nrca1_saturationstep.fits").exists()
    # and the file we wrote reads back as jwst wrote its own
    mine = sdm.RampModel(str(root / "ours5" / "jw02_nrca1_saturationstep.fits"))
    _same(mine, theirs, ["data", "pixeldq", "groupdq", "zeroframe"])


@pytest.mark.parametrize("key, model", [("rate", "ImageModel"), ("rateints", "CubeModel")])
def test_gain_scale(work, key, model):
    from jwcal.steps.gain_scale import GainScaleStep

    root, refs, gain, inputs, jw = work
    out = GainScaleStep.call(str(inputs[key]), override_gain=gain)
    stem = Path(inputs[key]).name.replace(f"_{key}.fits", "_gainscalestep.fits")
    theirs = getattr(sdm, model)(str(jw / stem))
    _same(out, theirs, ["data", "err", "var_poisson", "var_rnoise", "dq"])
    assert out.meta.exposure.gain_factor == theirs.meta.exposure.gain_factor == 1.6
    assert out.meta.cal_step.gain_scale == theirs.meta.cal_step.gain_scale == "COMPLETE"


def test_jwcal_outputs_are_readable_by_jwst_steps(work):
    """A jwcal dq_init product continues through jwst's saturation step as through ours."""
    from jwcal.steps.saturation import SaturationStep

    root, refs, gain, inputs, jw = work
    theirs = sdm.RampModel(str(jw / "from_ours" / "jw01_nrca1_saturationstep.fits"))
    sat = SaturationStep.call(
        str(root / "ours" / "jw01_nrca1_dqinitstep.fits"),
        override_saturation=refs["saturation"],
        override_superbias=refs["superbias"],
    )
    _same(sat, theirs, ["data", "groupdq", "pixeldq", "zeroframe"])

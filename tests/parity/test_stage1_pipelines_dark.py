"""calwebb_dark against jwst 3.0.0's DarkPipeline on simulated near-IR (NIRCam SUB64P
BRIGHT2) and MIRI (SUB128 FAST) dark-like exposures, every reference file given.

jwst 3.0.0 names the product ``_darkpipeline`` when run with its code defaults; the JWST
documentation (and issue 6) name it ``_dark``, which jwcal writes.  Until jwcal has its
refpix step, both are compared with refpix skipped.  Bit-identical.
"""

import numpy as np
import pytest

pytest.importorskip("jwst")

from stage1_parity import assert_ramp_parity, run_jwst_jobs  # noqa: E402

from jwcal.simulate import simulate_exposure  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")


def _steps(refs, ours=False):
    steps = {
        "dq_init": {"override_mask": refs["mask"]},
        "emicorr": {"override_emicorr": "N/A"},
        "saturation": {"override_saturation": refs["saturation"],
                       "override_superbias": refs.get("superbias", "N/A")},
        "ipc": {"override_ipc": refs.get("ipc", "N/A")},
        "superbias": {"override_superbias": refs.get("superbias", "N/A")},
        "refpix": {"skip": True},
        "reset": {"override_reset": refs.get("reset", "N/A")},
        "rscd": {"override_rscd": refs.get("rscd", "N/A")},
        "linearity": {"override_linearity": refs["linearity"]},
    }  # fmt: skip
    if ours:
        from jwcal.pipelines.dark import DarkPipeline

        if "refpix" not in DarkPipeline.step_defs:
            del steps["refpix"]
    else:
        steps["refpix"].update(override_refpix="N/A", override_sirskernel="N/A")
    return steps


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_dark")
    sims = {
        "nircam": simulate_exposure(root / "nrc", "nircam", "nrca1", subarray="SUB64P",
                                    readpatt="BRIGHT2", ngroups=5, nints=2, seed=21,
                                    exp_type="NRC_DARK", scene=False),
        "miri": simulate_exposure(root / "miri", "miri", "mirimage", subarray="SUB128",
                                  readpatt="FAST", ngroups=8, nints=2, seed=22,
                                  exp_type="MIR_DARKIMG", scene=False),
    }  # fmt: skip
    jobs = [
        ("jwst.pipeline.DarkPipeline", s.uncal, {"steps": _steps(s.refs_by_type())}, root / k)
        for k, s in sims.items()
    ]
    run_jwst_jobs(jobs, root / "crds")
    return root, sims


@pytest.mark.parametrize("which", ["nircam", "miri"])
def test_dark_pipeline(work, which, tmp_path):
    from jwcal.pipelines.dark import DarkPipeline

    root, sims = work
    sim = sims[which]
    ours = DarkPipeline.call(
        str(sim.uncal), steps=_steps(sim.refs_by_type(), ours=True), output_dir=str(tmp_path),
        save_results=True,
    )  # fmt: skip
    assert (tmp_path / sim.uncal.name.replace("_uncal", "_dark")).exists()
    theirs = sdm.RampModel(str(root / which / sim.uncal.name.replace("_uncal", "_darkpipeline")))
    st = assert_ramp_parity(ours, theirs, zeroframe=False)
    assert st["identical"] == 1.0, st
    run = ["dq_init", "saturation", "linearity"]
    run += ["ipc", "superbias"] if which == "nircam" else ["lastframe", "reset", "rscd"]
    for key in run:
        assert ours.meta.cal_step.get(key) == theirs.meta.cal_step.instance[key] == "COMPLETE"
    assert ours.meta.cal_step.get("dark_sub") is None
    assert not np.isnan(ours.data).all()

"""FGS guide modes and imaging flats against jwst 3.0.0: guider_cds for each mode,
flat_field (FGS count rates, a NIRCam rate image and rateints cube with a flat covering a
larger region, bad flat values and ``inverse``), and the whole calwebb_guider pipeline.

Inputs: the simulator's FGS GUIDER1 guide-mode exposures (TRACK, FINEGUIDE, ACQ1, and the
full-frame ID-IMAGE and ID-STACK, whose two integrations give one image) and their MASK,
GAIN, READNOISE and FLAT; a small NIRCam rate product.  All bit-identical to jwst.
"""

import numpy as np
import pytest

pytest.importorskip("jwst")

from stage1_parity import (  # noqa: E402
    assert_dq_parity,
    assert_sci_parity,
    good_pixels,
    run_jwst_jobs,
)

from jwcal import datamodels as dm  # noqa: E402
from jwcal.dqflags import pixel as PIXEL  # noqa: E402
from jwcal.simulate import simulate_exposure  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")

MODES = ("TRACK", "FINEGUIDE", "ACQ1", "ID-IMAGE", "ID-STACK")
FLAT_NA = {"override_fflat": "N/A", "override_sflat": "N/A", "override_dflat": "N/A"}


def _guider_steps(refs):
    return {
        "dq_init": {"override_mask": refs["mask"]},
        "guider_cds": {"override_gain": refs["gain"], "override_readnoise": refs["readnoise"]},
        "flat_field": {"override_flat": refs["flat"], **FLAT_NA},
    }


def _nircam_flat(path):
    """A flat over a 64 x 48 region around the rate product's 40 x 24 subarray, with a NaN,
    a zero, NO_FLAT_FIELD and UNRELIABLE_FLAT pixels and an error array."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))
    import jwcal_testdata as td

    rng = np.random.default_rng(5)
    flat = dm.FlatModel()
    flat.data = rng.uniform(0.8, 1.2, (48, 64)).astype(np.float32)
    flat.err = rng.uniform(0.001, 0.02, (48, 64)).astype(np.float32)
    flat.dq = np.zeros((48, 64), np.uint32)
    sy, sx = 16, 8  # the subarray's corner in the flat
    flat.data[sy + 3, sx + 4] = np.nan
    flat.data[sy + 5, sx + 6] = 0.0
    flat.dq[sy + 7, sx + 8] = PIXEL["NO_FLAT_FIELD"]
    flat.dq[sy + 9, sx + 10] = PIXEL["UNRELIABLE_FLAT"]
    flat.dq[sy + 1, sx + 1] = PIXEL["DO_NOT_USE"]
    td._meta_common(flat, td.REF_REGION, "FLAT")
    flat.meta.instrument.filter = "F150W"
    flat.meta.instrument.pupil = "CLEAR"
    return str(flat.save(path)), td


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_fgs")
    sims = {m: simulate_exposure(root / m, "fgs", "guider1", guide_mode=m, seed=3) for m in MODES}
    jw = root / "jwst"
    jobs = []
    for m, sim in sims.items():
        refs = sim.refs_by_type()
        jobs.append(("jwst.pipeline.GuiderPipeline", sim.uncal,
                     {"steps": _guider_steps(refs)}, jw / m))  # fmt: skip
        kw = {"override_gain": refs["gain"], "override_readnoise": refs["readnoise"]}
        jobs.append(("jwst.guider_cds.GuiderCdsStep", sim.uncal, kw, jw / m / "cds"))
    flat, td = _nircam_flat(root / "nrc_flat.fits")
    rng = np.random.default_rng(11)
    rates = {
        "rate": td.make_rate(rng).save(root / "jw07_nrca1_rate.fits"),
        "rateints": td.make_rate(rng, ints=True).save(root / "jw08_nrca1_rateints.fits"),
    }
    for key, path in rates.items():
        jobs.append(("jwst.flatfield.FlatFieldStep", path, {"override_flat": flat, **FLAT_NA},
                     jw / key))  # fmt: skip
        jobs.append(
            (
                "jwst.flatfield.FlatFieldStep",
                path,
                {"override_flat": flat, "inverse": True, **FLAT_NA},
                jw / key / "inverse",
            )
        )
    run_jwst_jobs(jobs, root / "crds")
    return root, sims, flat, rates, jw


@pytest.mark.parametrize("mode", MODES)
def test_guider_cds(work, mode):
    from jwcal.steps.guider_cds import GuiderCdsStep

    root, sims, flat, rates, jw = work
    refs = sims[mode].refs_by_type()
    ours = GuiderCdsStep.call(
        str(sims[mode].uncal), override_gain=refs["gain"], override_readnoise=refs["readnoise"]
    )
    name = sims[mode].uncal.name.replace("_uncal", "_guidercdsstep")
    theirs = sdm.GuiderCalModel(str(jw / mode / "cds" / name))
    assert type(ours).__name__ == "GuiderCalModel" and ours.data.shape == theirs.data.shape
    for arr in ("data", "err"):
        st = assert_sci_parity(getattr(ours, arr), getattr(theirs, arr), name=arr)
        assert st["identical"] == 1.0, st
    assert ours.meta.bunit_data == theirs.meta.bunit_data == "DN/s"
    assert ours.meta.cal_step.guider_cds == "COMPLETE"


@pytest.mark.parametrize("mode", MODES)
def test_guider_pipeline(work, mode, tmp_path):
    from jwcal.pipelines.guider import GuiderPipeline

    root, sims, flat, rates, jw = work
    refs = sims[mode].refs_by_type()
    ours = GuiderPipeline.call(
        str(sims[mode].uncal), steps=_guider_steps(refs), output_dir=str(tmp_path),
        save_results=True,
    )  # fmt: skip
    name = sims[mode].uncal.name.replace("_uncal", "_cal")
    assert (tmp_path / name).exists()
    theirs = sdm.GuiderCalModel(str(jw / mode / name))
    good = good_pixels(ours.dq, theirs.dq, ours.data.shape)
    for arr in ("data", "err"):
        st = assert_sci_parity(getattr(ours, arr), getattr(theirs, arr), good, name=arr)
        assert st["identical"] == 1.0, st
    assert_dq_parity(ours.dq, theirs.dq, min_match=1.0)
    for key in ("dq_init", "guider_cds", "flat_field"):
        assert ours.meta.cal_step.get(key) == theirs.meta.cal_step.instance[key] == "COMPLETE"
    # the saved product reads back the same
    back = dm.open(tmp_path / name)
    np.testing.assert_array_equal(back.data, ours.data)


@pytest.mark.parametrize("key", ["rate", "rateints"])
@pytest.mark.parametrize("inverse", [False, True])
def test_flat_field_imaging(work, key, inverse):
    from jwcal.steps.flat_field import FlatFieldStep

    root, sims, flat, rates, jw = work
    ours = FlatFieldStep.call(str(rates[key]), override_flat=flat, inverse=inverse)
    sub = jw / key / "inverse" if inverse else jw / key
    theirs = dm.open(sub / rates[key].name.replace(f"_{key}", "_flatfieldstep"))
    for arr in ("data", "err", "var_poisson", "var_rnoise", "var_flat"):
        st = assert_sci_parity(getattr(ours, arr), getattr(theirs, arr), name=arr)
        assert st["identical"] == 1.0, (arr, st)
    assert_dq_parity(ours.dq, theirs.dq, min_match=1.0)
    assert (ours.dq & PIXEL["NO_FLAT_FIELD"]).sum() >= 3
    assert (ours.dq & PIXEL["UNRELIABLE_FLAT"]).any()
    assert ours.meta.cal_step.flat_field == "COMPLETE"
    assert ours.meta.ref_file.flat.name == flat

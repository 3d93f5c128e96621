"""clean_flicker_noise and picture_frame (both off by default) against jwst 3.0.0.

Inputs: the simulator's NIRCam SUB64P BRIGHT2 ramps (2 integrations) after superbias and
linearity, and a draft rate image and rateints cube made from them; MIRI SUB128 FAST ramps
with a flat that marks non-science pixels; NIRSpec SUB2048 (NRS1 and NRS2) BOTS ramps and a
NIRSpec full frame (NRS1, fixed slit) ramp and rate, with a picture-frame pattern added.

jwst drafts its rate images with a RampFitStep that asks CRDS for GAIN and READNOISE; the
offline runs give it the simulator's files (the same ones jwcal's steps get through
``override_gain``/``override_readnoise``), and its internal FlatFieldStep gets the flat.
For median_image, jwst also assigns a WCS to the draft rate, which only NIRSpec's science
region masks use: offline (no distortion references) that step is made to return its input.
Cases: the median method with each background method (median, 2-D model, none,
median_image), a histogram fit, one mask per integration, a user mask, a flat applied
before fitting, the saved mask/background/noise, autoparam; the FFT (NSClean) method on
subarrays (the full-frame FFT path only adds size); picture_frame on ramps and rates.
All bit-identical.
"""

import numpy as np
import pytest

pytest.importorskip("jwst")

from stage1_parity import assert_ramp_parity, assert_sci_parity, run_jwst_jobs  # noqa: E402

from jwcal import datamodels as dm  # noqa: E402
from jwcal.dqflags import pixel as PIXEL  # noqa: E402
from jwcal.simulate import simulate_exposure  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")

JW_CFN = "jwst.clean_flicker_noise.CleanFlickerNoiseStep"
FLAT_NA = {"override_fflat": "N/A", "override_sflat": "N/A", "override_dflat": "N/A"}


def _corrected(sim, root, nrs=False):
    """The simulated ramps after dq_init, saturation, superbias and linearity (jwcal)."""
    from jwcal.steps.dq_init import DQInitStep
    from jwcal.steps.linearity import LinearityStep
    from jwcal.steps.saturation import SaturationStep
    from jwcal.steps.superbias import SuperBiasStep

    refs = sim.refs_by_type()
    m = DQInitStep.call(str(sim.uncal), override_mask=refs["mask"])
    m = SaturationStep.call(m, override_saturation=refs["saturation"],
                            override_superbias=refs.get("superbias", "N/A"))  # fmt: skip
    if "superbias" in refs:
        m = SuperBiasStep.call(m, override_superbias=refs["superbias"])
    m = LinearityStep.call(m, override_linearity=refs["linearity"])
    return m


def _flat(model, path, non_science=False):
    """A flat for the exposure's subarray, with a NaN, a zero and (for MIRI) a band of
    NON_SCIENCE | DO_NOT_USE pixels."""
    rng = np.random.default_rng(9)
    ny, nx = model.shape[-2:]
    flat = dm.FlatModel()
    flat.data = rng.uniform(0.9, 1.1, (ny, nx)).astype(np.float32)
    flat.data[5, 7] = np.nan
    flat.data[9, 11] = 0.0
    flat.err = np.full((ny, nx), 0.01, np.float32)
    flat.dq = np.zeros((ny, nx), np.uint32)
    if non_science:
        flat.dq[:, :12] = PIXEL["NON_SCIENCE"] | PIXEL["DO_NOT_USE"]
    m = flat.meta
    m.reftype = "FLAT"
    for key in ("instrument.name", "instrument.detector", "instrument.filter",
                "instrument.pupil", "exposure.type", "subarray.name", "subarray.xstart",
                "subarray.ystart", "subarray.xsize", "subarray.ysize", "subarray.fastaxis",
                "subarray.slowaxis"):  # fmt: skip
        value = model.meta.get(key)
        if value is not None:
            m.set(key, value)
    m.useafter, m.pedigree, m.author = "2022-01-01T00:00:00", "GROUND", "jwcal tests"
    m.description = "flat for the flicker-noise parity test"
    return str(flat.save(path))


def _pictureframe(model, path):
    """A picture-frame pattern: a warm band along the edges, falling off inwards."""
    y, x = np.mgrid[:2048, :2048]
    d = np.minimum(np.minimum(y, 2047 - y), np.minimum(x, 2047 - x)).astype(np.float32)
    ref = dm.PictureFrameModel()
    ref.data = (0.02 * np.exp(-d / 60.0) + 0.001).astype(np.float32)
    m = ref.meta
    m.reftype = "PICTUREFRAME"
    for key in ("instrument.name", "instrument.detector", "exposure.type", "subarray.name",
                "subarray.xstart", "subarray.ystart", "subarray.xsize", "subarray.ysize",
                "subarray.fastaxis", "subarray.slowaxis"):  # fmt: skip
        m.set(key, model.meta.get(key))
    m.useafter, m.pedigree, m.author = "2022-01-01T00:00:00", "GROUND", "jwcal tests"
    m.description = "picture frame for the parity test"
    return str(ref.save(path)), ref.data


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_flicker")
    inputs, refs, jobs = {}, {}, []

    def add(name, model, rf):
        path = root / f"jw{len(inputs) + 10:02d}_{name}_linearity.fits"
        model.save(path)
        inputs[name], refs[name] = path, rf

    nrc = simulate_exposure(root / "nrc", "nircam", "nrca1", subarray="SUB64P",
                            readpatt="BRIGHT2", ngroups=5, nints=2, seed=31)  # fmt: skip
    ramp = _corrected(nrc, root)
    add("nrc", ramp, nrc.refs_by_type())
    refs["nrc"]["flat"] = _flat(ramp, root / "nrc_flat.fits")
    from jwcal.steps.clean_flicker_noise import CleanFlickerNoiseStep
    from jwcal.steps.clean_flicker_noise.scene import draft_rate

    step = CleanFlickerNoiseStep(override_gain=refs["nrc"]["gain"],
                                 override_readnoise=refs["nrc"]["readnoise"])  # fmt: skip
    rate, rateints = draft_rate(step, ramp), draft_rate(step, ramp, return_cube=True)
    rate.save(root / "jw90_nrca1_rate.fits")
    rateints.save(root / "jw91_nrca1_rateints.fits")
    umask = dm.ImageModel((rate.data > np.nanmedian(rate.data)).astype(np.float32))
    umask.update(rate)
    umask.save(root / "user_mask.fits")

    miri = simulate_exposure(root / "miri", "miri", "mirimage", subarray="SUB128",
                             readpatt="FAST", ngroups=6, nints=1, seed=32)  # fmt: skip
    mramp = _corrected(miri, root)
    add("miri", mramp, miri.refs_by_type())
    refs["miri"]["flat"] = _flat(mramp, root / "miri_flat.fits", non_science=True)

    for det in ("nrs1", "nrs2"):
        s = simulate_exposure(root / det, "nirspec", det, subarray="SUB2048", readpatt="NRSRAPID",
                              ngroups=4, nints=1, seed=33, exp_type="NRS_BRIGHTOBJ")  # fmt: skip
        add(det, _corrected(s, root), s.refs_by_type())

    full = simulate_exposure(root / "nrsfull", "nirspec", "nrs1", subarray="FULL",
                             readpatt="NRSRAPID", ngroups=3, nints=1, seed=34,
                             exp_type="NRS_FIXEDSLIT")  # fmt: skip
    fm = _corrected(full, root)
    pf_path, pf = _pictureframe(fm, root / "pictureframe.fits")
    fm.data += (40.0 * pf * np.arange(1, 4)[:, None, None])[None]
    add("nrsfull", fm, full.refs_by_type())
    refs["nrsfull"]["pictureframe"] = pf_path
    frate = draft_rate(CleanFlickerNoiseStep(override_gain=refs["nrsfull"]["gain"],
                                             override_readnoise=refs["nrsfull"]["readnoise"]),
                       fm)  # fmt: skip
    frate.save(root / "jw92_nrs1_rate.fits")
    inputs.update(rate=root / "jw90_nrca1_rate.fits", rateints=root / "jw91_nrca1_rateints.fits",
                  nrsrate=root / "jw92_nrs1_rate.fits")  # fmt: skip
    refs.update(rate=refs["nrc"], rateints=refs["nrc"], nrsrate=refs["nrsfull"])

    for name, (src, kw) in CASES.items():
        r = refs[src]
        patch = {"jwst.ramp_fitting.RampFitStep": {"override_gain": r["gain"],
                                                    "override_readnoise": r["readnoise"]},
                 "jwst.flatfield.FlatFieldStep": {"override_flat": r.get("flat", "N/A"),
                                                  **FLAT_NA},
                 "jwst.assign_wcs.AssignWcsStep": "identity"}  # fmt: skip
        kw = {k: (str(root / v) if k == "user_mask" else v) for k, v in kw.items()}
        cls = JW_CFN if name.startswith("cfn") else "jwst.picture_frame.PictureFrameStep"
        over = (
            {"override_flat": r.get("flat", "N/A"), "override_pastasoss": "N/A"}
            if name.startswith("cfn")
            else {"override_pictureframe": r["pictureframe"]}
        )
        jobs.append((cls, inputs[src], {**over, **kw}, root / "jwst" / name, patch))
    run_jwst_jobs(jobs, root / "crds")
    return root, inputs, refs


CASES = {  # name: (input, parameters); jwcal gets the same plus GAIN/READNOISE
    "cfn_default": ("nrc", {}),
    "cfn_model": ("nrc", {"background_method": "model", "fit_histogram": True,
                          "single_mask": False, "save_mask": True, "save_background": True,
                          "save_noise": True}),
    "cfn_none": ("nrc", {"background_method": None, "n_sigma": 0}),
    "cfn_user_mask": ("nrc", {"user_mask": "user_mask.fits"}),
    "cfn_flat": ("nrc", {"apply_flat_field": True, "background_method": "model",
                         "background_box_size": [16, 16]}),
    "cfn_median_image": ("nrc", {"background_method": "median_image"}),
    "cfn_autoparam": ("nrc", {"autoparam": True}),
    "cfn_rate": ("rate", {"background_method": "model"}),
    "cfn_rateints": ("rateints", {"single_mask": False}),
    "cfn_miri": ("miri", {"mask_science_regions": True}),
    "cfn_fft_nrs1": ("nrs1", {"fit_method": "fft"}),
    "cfn_fft_nrs2": ("nrs2", {"fit_method": "fft", "background_method": None}),
    "pf_ramp": ("nrsfull", {"mask_science_regions": False, "save_mask": True,
                            "save_correction": True}),
    "pf_rate": ("nrsrate", {"mask_science_regions": False}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_against_jwst(work, name, tmp_path):
    from jwcal.steps.clean_flicker_noise import CleanFlickerNoiseStep
    from jwcal.steps.picture_frame import PictureFrameStep

    root, inputs, refs = work
    src, kw = CASES[name]
    r = refs[src]
    kw = {k: (str(root / v) if k == "user_mask" else v) for k, v in kw.items()}
    common = {"override_gain": r["gain"], "override_readnoise": r["readnoise"],
              "output_dir": str(tmp_path), "save_results": True}  # fmt: skip
    if name.startswith("cfn"):
        cls, key, stem = CleanFlickerNoiseStep, "clean_flicker_noise", "cleanflickernoisestep"
        kw.update(override_flat=r.get("flat", "N/A"), override_pastasoss="N/A")
    else:
        cls, key, stem = PictureFrameStep, "picture_frame", "pictureframestep"
        kw.update(override_pictureframe=r["pictureframe"])
    ours = cls.call(str(inputs[src]), **common, **kw)
    jdir = root / "jwst" / name
    theirs = dm.open(next(jdir.glob(f"*_{stem}.fits")))
    assert ours.meta.cal_step.get(key) == "COMPLETE"
    assert theirs.meta.cal_step.get(key) == "COMPLETE"
    before = dm.open(inputs[src])
    assert not np.array_equal(ours.data, before.data)
    if ours.data.ndim == 4:
        st = assert_ramp_parity(ours, theirs, zeroframe=False)
    else:
        st = assert_sci_parity(ours.data, theirs.data)
    assert st["identical"] > 0.999, st
    # intermediate products: same names, same contents
    for f in jdir.glob("*.fits"):
        if f.name.endswith(f"_{stem}.fits"):
            continue
        mine = dm.open(tmp_path / f.name)
        assert_sci_parity(mine.data, dm.open(f).data, name=f.name)

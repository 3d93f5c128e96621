"""Near-IR stage-1 steps against jwst 3.0.0: ipc, superbias, linearity (with and without
inverse coefficients), dark_current (frame averaging, extension of a short dark, a dark
already in the exposure's pattern, a dark cut from a larger one), charge_migration and
persistence (carried from one exposure to the next through a persistence file).

Input: the simulator's NIRCam SUB64P BRIGHT2 exposure (2 frames per group, 5 groups,
2 integrations, ZEROFRAME) after jwcal's dq_init and saturation; each jwst step and the
jwcal step run on that same file with the same reference files.  All of these come out
bit-identical to jwst; the assertions use the issue-6 tolerances and check that each step
had something to do.
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

# The short subarray exposure does not saturate: windows are opened by dn_threshold (raw DN,
# bias included, about the 99.9th percentile of the values); charge migration likewise.
PERS = {"persistence_time": 1000, "dn_threshold": 13300.0}
CHLO_THRESHOLD = 13250.0


def _prepare(sim, out: Path) -> Path:
    from jwcal.steps.dq_init import DQInitStep
    from jwcal.steps.saturation import SaturationStep

    refs = sim.refs_by_type()
    m = DQInitStep.call(str(sim.uncal), override_mask=refs["mask"])
    m = SaturationStep.call(
        m, override_saturation=refs["saturation"], override_superbias=refs["superbias"]
    )
    path = out / sim.uncal.name.replace("_uncal", "_saturation")
    m.save(path)
    return path


def _inverse_linearity(refs, path):
    """The simulator's LINEARITY with INV_COEFFS (the series inverse of its cubic)."""
    lin = dm.LinearityModel(refs["linearity"])
    c = lin.coeffs
    inv = np.zeros_like(c)
    inv[1] = 1.0
    inv[2] = -c[2]
    inv[3] = 2 * c[2] ** 2 - c[3]
    lin.inv_coeffs = inv.astype(np.float32)
    lin.save(path)
    return str(path)


def _dark_variants(refs, root):
    """A short dark (6 of its 10 frames), a group-averaged one (BRIGHT2) and a larger one
    (the subarray inside a 128 x 128 region) built from the simulator's dark."""
    dark = dm.DarkModel(refs["dark"])
    out = {}
    short = dark.copy()
    short.data = dark.data[:6]
    short.err = dark.err[:6]
    short.meta.exposure.ngroups = 6
    out["short"] = str(short.save(root / "dark_short.fits"))
    grouped = dark.copy()
    grouped.data = dark.data.reshape(5, 2, *dark.data.shape[1:]).mean(axis=1)
    grouped.err = np.zeros(grouped.data.shape, np.float32)
    grouped.meta.exposure.nframes = 2
    grouped.meta.exposure.ngroups = 5
    grouped.meta.exposure.readpatt = "BRIGHT2"
    out["grouped"] = str(grouped.save(root / "dark_grouped.fits"))
    big = dark.copy()
    n, ny, nx = dark.data.shape
    x0, y0 = dark.meta.subarray.xstart, dark.meta.subarray.ystart
    data = np.full((n, 128, 128), 7.0, np.float32)
    data[:, 32 : 32 + ny, 16 : 16 + nx] = dark.data
    big.data = data
    big.err = np.zeros(data.shape, np.float32)
    big.dq = np.zeros((128, 128), np.uint32)
    big.dq[32 : 32 + ny, 16 : 16 + nx] = dark.dq
    big.average_dark_current = np.zeros((128, 128), np.float32)
    big.meta.subarray.name = "GENERIC"
    big.meta.subarray.xstart, big.meta.subarray.ystart = x0 - 16, y0 - 32
    big.meta.subarray.xsize, big.meta.subarray.ysize = 128, 128
    out["big"] = str(big.save(root / "dark_big.fits"))
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_nir")
    sims = [
        simulate_exposure(
            root / f"sim{k}", "nircam", "nrca1", subarray="SUB64P", readpatt="BRIGHT2",
            ngroups=5, nints=2, seed=10 + k, zeroframe=True, exposure_number=k + 1,
            detector_seed=1, scene_seed=1,
        )
        for k in range(2)
    ]  # fmt: skip
    refs = sims[0].refs_by_type()
    inputs = [_prepare(s, root) for s in sims]
    refs["linearity_inv"] = _inverse_linearity(refs, root / "lin_inv.fits")
    darks = _dark_variants(refs, root)
    jw = root / "jwst"
    inp = inputs[0]
    jobs = [
        ("jwst.ipc.IPCStep", inp, {"override_ipc": refs["ipc"]}, jw),
        ("jwst.superbias.SuperBiasStep", inp, {"override_superbias": refs["superbias"]}, jw),
        ("jwst.linearity.LinearityStep", inp, {"override_linearity": refs["linearity"]}, jw),
        ("jwst.linearity.LinearityStep", inp,
         {"override_linearity": refs["linearity_inv"]}, jw / "lin_inv"),
        ("jwst.dark_current.DarkCurrentStep", inp, {"override_dark": refs["dark"]}, jw),
        ("jwst.dark_current.DarkCurrentStep", inp, {"override_dark": darks["short"]},
         jw / "dark_short"),
        ("jwst.dark_current.DarkCurrentStep", inp,
         {"override_dark": darks["grouped"], "average_dark_current": 0.01}, jw / "dark_grouped"),
        ("jwst.charge_migration.ChargeMigrationStep", inp, {"signal_threshold": CHLO_THRESHOLD}, jw),
    ]  # fmt: skip
    for k, path in enumerate(inputs):
        kw = dict(PERS, save_persistence=str(jw / "pers.asdf"))
        if k:
            kw["persistence_array_file"] = str(jw / "pers.asdf")
        jobs.append(("jwst.persistence.PersistenceStep", path, kw, jw))
    run_jwst_jobs(jobs, root / "crds")
    return root, refs, darks, inputs, jw


def _theirs(path):
    return sdm.RampModel(str(path))


def _stem(inp, suffix):
    return Path(inp).name.replace("_saturation.fits", f"_{suffix}.fits")


@pytest.mark.parametrize(
    "alias, reftype, suffix",
    [("ipc", "ipc", "ipcstep"), ("superbias", "superbias", "superbiasstep"),
     ("linearity", "linearity", "linearitystep")],
)  # fmt: skip
def test_simple_corrections(work, alias, reftype, suffix):
    from jwcal.stpipe.registry import resolve_class

    root, refs, darks, inputs, jw = work
    cls, _ = resolve_class(alias)
    ours = cls.call(str(inputs[0]), **{f"override_{reftype}": refs[reftype]})
    theirs = _theirs(jw / _stem(inputs[0], suffix))
    st = assert_ramp_parity(ours, theirs)
    assert st["identical"] == 1.0, st
    before = dm.RampModel(inputs[0])
    assert not np.array_equal(ours.data, before.data)
    assert ours.meta.cal_step.get(alias) == theirs.meta.cal_step.instance[alias] == "COMPLETE"
    assert ours.meta.get(f"ref_file.{reftype}.name") == refs[reftype]


def test_linearity_read_level(work):
    from jwcal.steps.linearity import LinearityStep

    root, refs, darks, inputs, jw = work
    ours = LinearityStep.call(str(inputs[0]), override_linearity=refs["linearity_inv"])
    theirs = _theirs(jw / "lin_inv" / _stem(inputs[0], "linearitystep"))
    plain = _theirs(jw / _stem(inputs[0], "linearitystep"))
    st = assert_ramp_parity(ours, theirs)
    assert st["identical"] > 0.999, st
    # the read-level path really ran: it differs from the group-by-group correction
    assert not np.array_equal(theirs.data, plain.data)


@pytest.mark.parametrize("variant", ["frames", "short", "grouped", "big"])
def test_dark_current(work, variant):
    from jwcal.steps.dark_current import DarkCurrentStep

    root, refs, darks, inputs, jw = work
    dark = refs["dark"] if variant == "frames" else darks[variant]
    kw = {"average_dark_current": 0.01} if variant == "grouped" else {}
    ours = DarkCurrentStep.call(str(inputs[0]), override_dark=dark, **kw)
    # jwst cannot cut a larger dark: the "big" one is compared with jwst on the original
    sub = {"frames": "", "big": "", "short": "dark_short", "grouped": "dark_grouped"}[variant]
    theirs = _theirs(jw / sub / _stem(inputs[0], "darkcurrentstep"))
    st = assert_ramp_parity(ours, theirs)
    assert st["identical"] == 1.0, st
    assert ours.meta.cal_step.dark_sub == "COMPLETE"
    if variant == "grouped":
        np.testing.assert_array_equal(ours.average_dark_current, theirs.average_dark_current)


def test_charge_migration(work):
    from jwcal.steps.charge_migration import ChargeMigrationStep

    root, refs, darks, inputs, jw = work
    ours = ChargeMigrationStep.call(str(inputs[0]), signal_threshold=CHLO_THRESHOLD)
    theirs = _theirs(jw / _stem(inputs[0], "chargemigrationstep"))
    assert (theirs.groupdq & 128).any()
    assert_dq_parity(ours.groupdq, theirs.groupdq, min_match=1.0)


def test_persistence_carried_between_exposures(work, tmp_path):
    from jwcal.steps.persistence import PersistenceStep

    root, refs, darks, inputs, jw = work
    pfile = tmp_path / "pers.asdf"
    outs = []
    for k, path in enumerate(inputs):
        kw = dict(PERS, save_persistence=str(pfile))
        if k:
            kw["persistence_array_file"] = str(pfile)
        outs.append(PersistenceStep.call(str(path), **kw))
    for k, path in enumerate(inputs):
        theirs = _theirs(jw / _stem(path, "persistencestep"))
        assert_dq_parity(outs[k].groupdq, theirs.groupdq, min_match=1.0)
    # the second exposure is flagged where nothing opened a window in it: carried over
    second = dm.RampModel(inputs[1])
    fresh = (second.data[0, 0] > PERS["dn_threshold"]) | ((second.groupdq[0, 0] & 2) != 0)
    carried = ((outs[1].groupdq[0, 0] & 32) != 0) & ~fresh
    assert carried.any()
    # and jwst reads the file jwcal wrote
    import asdf

    with asdf.open(pfile) as ours, asdf.open(jw / "pers.asdf") as theirs:
        for key in ("rows", "cols", "vals"):
            np.testing.assert_array_equal(ours["NRCA1"][key], theirs["NRCA1"][key])
        assert ours["NRCA1"]["pers_time"] == theirs["NRCA1"]["pers_time"]

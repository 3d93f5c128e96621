"""Detector1Pipeline: order of the steps, products and their names, the one-integration-at-a-
time path, the configurations (tso1, sloper) and the command line, on small simulated
exposures.  Agreement with jwst and with the simulator's truth is in tests/parity."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from jwcal import datamodels as dm
from jwcal.pipelines.detector1 import MIRI_ORDER, NEAR_IR_ORDER, Detector1Pipeline, SloperPipeline
from jwcal.simulate import simulate_exposure
from jwcal.stpipe import Step


def overrides(sim, pipeline=Detector1Pipeline) -> dict:
    """Every reference type of every step: the simulator's file, or N/A."""
    refs = sim.refs_by_type()
    steps = {}
    for name, cls in pipeline.step_defs.items():
        for rt in cls.reference_file_types:
            steps.setdefault(name, {})[f"override_{rt}"] = refs.get(rt, "N/A")
    return steps


@pytest.fixture(scope="module")
def nircam(tmp_path_factory):
    root = tmp_path_factory.mktemp("d1_nircam")
    return simulate_exposure(
        root / "sim", "nircam", "nrca1", subarray="SUB64P", ngroups=6, nints=2, seed=4
    )


@pytest.fixture(scope="module")
def miri(tmp_path_factory):
    root = tmp_path_factory.mktemp("d1_miri")
    return simulate_exposure(
        root / "sim", "miri", "mirimage", subarray="SUB64", ngroups=7, nints=2, seed=5
    )


def stem(sim) -> str:
    return sim.uncal.name.replace("_uncal.fits", "")


def run(sim, out, pipeline=Detector1Pipeline, extra_steps=None, **params):
    steps = overrides(sim, pipeline)
    for name, extra in (extra_steps or {}).items():
        steps.setdefault(name, {}).update(extra)
    return pipeline.call(
        str(sim.uncal), steps=steps, output_dir=str(out), save_results=True, **params
    )


def test_products_and_names(nircam, tmp_path):
    result = run(nircam, tmp_path, save_calibrated_ramp=True)
    assert isinstance(result, dm.ImageModel)
    names = sorted(p.name for p in tmp_path.iterdir())
    s = stem(nircam)
    assert names == [f"{s}_ramp.fits", f"{s}_rate.fits", f"{s}_rateints.fits"]
    rate = dm.open(tmp_path / f"{s}_rate.fits")
    ints = dm.open(tmp_path / f"{s}_rateints.fits")
    assert rate.data.shape == (64, 64) and ints.data.shape == (2, 64, 64)
    cal = rate.meta.cal_step
    for key in ("dq_init", "saturation", "ipc", "superbias", "refpix", "linearity", "jump"):
        assert getattr(cal, key) == "COMPLETE", key
    assert cal.dark_sub == "COMPLETE" and cal.ramp_fit == "COMPLETE"
    for key in ("charge_migration", "persistence", "picture_frame", "clean_flicker_noise"):
        assert getattr(cal, key) == "SKIPPED", key
    assert rate.meta.ref_file.gain.name.endswith("_gain.fits")
    assert ints.int_times is not None and len(ints.int_times) == 2
    ramp = dm.open(tmp_path / f"{s}_ramp.fits")
    assert ramp.data.shape == (2, 6, 64, 64) and ramp.meta.cal_step.jump == "COMPLETE"
    assert ramp.meta.cal_step.ramp_fit is None
    # the rate is the one ramp_fit makes of the saved ramps
    from jwcal.steps.ramp_fit import RampFitStep

    refs = nircam.refs_by_type()
    again, _ = RampFitStep.call(
        ramp, override_gain=refs["gain"], override_readnoise=refs["readnoise"]
    )
    np.testing.assert_array_equal(again.data, rate.data)


def test_one_integration_has_no_rateints(tmp_path):
    sim = simulate_exposure(tmp_path / "sim", "niriss", "nis", subarray="SUB64", ngroups=4, seed=6)
    run(sim, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"{stem(sim)}_rate.fits"]


def test_integration_at_a_time_gives_the_same_products(nircam, tmp_path, monkeypatch):
    whole = run(nircam, tmp_path / "whole")
    calls = []
    monkeypatch.setattr(Detector1Pipeline, "stream_min_bytes", 0)
    original = Step.run

    def spy(self, *args):
        if self.name == "dq_init":
            calls.append(args[0].shape)
        return original(self, *args)

    monkeypatch.setattr(Step, "run", spy)
    streamed = run(nircam, tmp_path / "streamed")
    assert calls == [(1, 6, 64, 64)] * 2
    for name in ("data", "dq", "err", "var_poisson", "var_rnoise"):
        np.testing.assert_array_equal(getattr(streamed, name), getattr(whole, name), name)
    s = stem(nircam)
    a = dm.open(tmp_path / "whole" / f"{s}_rateints.fits")
    b = dm.open(tmp_path / "streamed" / f"{s}_rateints.fits")
    np.testing.assert_array_equal(a.data, b.data)
    assert streamed.meta.cal_step.dark_sub == "COMPLETE"
    # each integration ran with its own INTSTART; the product has the exposure's again
    for key in ("integration_start", "integration_end"):
        assert streamed.meta.exposure.get(key) == whole.meta.exposure.get(key)


def test_step_order(nircam, miri, tmp_path, monkeypatch):
    order = []
    original = Step.run

    def spy(self, *args):
        if self.parent is not None:
            order.append(self.name)
        return original(self, *args)

    monkeypatch.setattr(Step, "run", spy)
    run(nircam, tmp_path / "nir")
    after = ["jump", "picture_frame", "clean_flicker_noise", "persistence", "ramp_fit"]
    assert order == [*NEAR_IR_ORDER, *after, "gain_scale", "gain_scale"]
    order.clear()
    run(miri, tmp_path / "miri")
    assert order == [*MIRI_ORDER, *after, "gain_scale", "gain_scale"]
    assert MIRI_ORDER.index("dark_current") < MIRI_ORDER.index("refpix")
    assert NEAR_IR_ORDER.index("refpix") < NEAR_IR_ORDER.index("linearity")


def test_ramp_fit_skipped_gives_the_ramp(nircam, tmp_path):
    result = run(nircam, tmp_path, extra_steps={"ramp_fit": {"skip": True}})
    assert isinstance(result, dm.RampModel)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"{stem(nircam)}_ramp.fits"]


def test_fitopt(nircam, tmp_path):
    run(nircam, tmp_path, extra_steps={"ramp_fit": {"save_opt": True}})
    opt = dm.open(tmp_path / f"{stem(nircam)}_fitopt.fits")
    assert opt.slope.shape[0] == 2 and opt.slope.shape[2:] == (64, 64)


def test_sloper_and_tso1_skip_their_steps(nircam, tmp_path):
    rate = run(nircam, tmp_path / "sloper", pipeline=SloperPipeline)
    assert rate.meta.cal_step.ipc == "SKIPPED"
    assert rate.meta.cal_step.superbias == "COMPLETE"
    from jwcal.stpipe.registry import PIPELINES

    cfg = PIPELINES["calwebb_tso1"].config
    pipe = Detector1Pipeline.from_config_file(cfg)
    assert pipe.ipc.skip and pipe.lastframe.skip and pipe.persistence.skip
    assert not pipe.jump.skip and not pipe.refpix.skip


def test_command_line(nircam, tmp_path):
    args = [sys.executable, "-m", "jwcal", "detector1", str(nircam.uncal)]
    for name, pars in overrides(nircam).items():
        args += [f"--steps.{name}.{k}={v}" for k, v in pars.items()]
    args += ["--output_dir", str(tmp_path)]
    proc = subprocess.run(args, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / f"{stem(nircam)}_rate.fits").exists()
    assert (tmp_path / f"{stem(nircam)}_rateints.fits").exists()


def test_a_segment_of_one_integration_still_gets_rateints(nircam, tmp_path):
    """NINTS counts the exposure's integrations: a segment file holding one of them (here
    the second, INTSTART = INTEND = 2) is a multi-integration product all the same."""
    raw = dm.open(nircam.uncal)
    seg = dm.Level1bModel(raw.data[1:2].copy())
    seg.update(raw)
    seg.meta.exposure.integration_start = 2
    seg.meta.exposure.integration_end = 2
    if raw.has("zeroframe"):
        seg.zeroframe = raw.zeroframe[1:2]
    seg.group = raw.group
    seg.int_times = raw.int_times[1:2]
    path = seg.save(tmp_path / f"{stem(nircam)}-seg002_uncal.fits")
    steps = overrides(nircam)
    Detector1Pipeline.call(
        str(path), steps=steps, output_dir=str(tmp_path / "out"), save_results=True
    )
    ints = dm.open(tmp_path / "out" / f"{stem(nircam)}-seg002_rateints.fits")
    assert ints.data.shape == (1, 64, 64)
    assert ints.meta.exposure.integration_start == 2

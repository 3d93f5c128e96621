import logging
import os

import numpy as np
import pytest

from jwcal import datamodels as dm
from jwcal.errors import ConfigError, ReferenceFileError
from jwcal.stpipe import Param, Pipeline, Step, get_threads, set_threads


class AddStep(Step):
    """Add a constant to the data."""

    class_alias = "add_const"
    cal_step = "add_const"
    params = {
        "value": Param(float, 1.0, "what to add"),
        "maximum_cores": Param(str, "1", "threads"),
        "tags": Param(list, None, "labels", allow_none=True),
    }
    reference_file_types = ("gain",)

    def process(self, input):
        model = self.prepare_output(input)
        model.data += self.value
        self.record_step_status(model, "COMPLETE")
        return model


class ScaleStep(Step):
    class_alias = "scale_it"
    params = {"factor": Param(float, 2.0, "multiplier", min=0)}

    def process(self, input):
        model = self.prepare_output(input)
        model.data *= self.factor
        return model


class TwoStepPipeline(Pipeline):
    class_alias = "calwebb_two"
    params = {"save_middle": Param(bool, False, "save after add")}
    step_defs = {"add": AddStep, "scale": ScaleStep}
    step_params = {"scale": {"factor": 3.0}}

    def process(self, input):
        model = self.prepare_output(input, dm.ImageModel)
        model = self.add.run(model)
        if self.save_middle:
            self.save_model(model, "middle")
        model = self.scale.run(model)
        self.suffix = "cal"
        return model


def image(path=None, value=1.0):
    m = dm.ImageModel(np.full((4, 5), value, np.float32))
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCA1"
    m.meta.exposure.type = "NRC_IMAGE"
    if path is not None:
        m.save(path)
    return m


def test_params_are_typed_attributes_with_defaults():
    s = AddStep()
    assert s.value == 1.0 and s.skip is False and s.suffix is None and s.pre_hooks == []
    assert s.override_gain is None and s.name == "AddStep"
    s = AddStep(value="2.5", skip="true")
    assert s.value == 2.5 and s.skip is True
    s.value = "7"
    assert s.value == 7.0
    with pytest.raises(ConfigError, match="AddStep.value: 'x' is not a number"):
        s.value = "x"
    with pytest.raises(ConfigError, match="unknown parameter bogus for AddStep"):
        AddStep(bogus=1)
    # defaults are not shared between instances
    a, b = AddStep(), AddStep()
    a.pre_hooks.append(print)
    assert b.pre_hooks == []


def test_universal_parameters_and_overrides_exist():
    specs = AddStep.param_specs()
    for name in (
        "skip save_results output_dir output_file suffix output_use_model pre_hooks "
        "post_hooks refdir override_gain"
    ).split():
        assert name in specs
    assert "override_gain" not in ScaleStep.param_specs()


def test_run_and_call_and_standalone_copy():
    m = image()
    out = AddStep(value=2).run(m)
    assert out is not m and np.all(m.data == 1) and np.all(out.data == 3)
    assert out.meta.cal_step.add_const == "COMPLETE"
    out = AddStep.call(m, value=5)
    assert np.all(out.data == 6)


def test_standalone_skip_is_ignored_like_jwst(caplog):
    with caplog.at_level(logging.INFO, "jwcal"):
        out = AddStep(skip=True).run(image())
    assert np.all(out.data == 2)
    assert "skip is set to False" in caplog.text


def test_outputs_follow_the_jwst_naming(tmp_path, monkeypatch):
    src = tmp_path / "jw01_nrca1_rate.fits"
    image(src)
    AddStep.call(str(src), save_results=True, output_dir=str(tmp_path / "out"))
    assert (tmp_path / "out" / "jw01_nrca1_addstep.fits").exists()
    AddStep.call(str(src), output_file="custom.fits", output_dir=str(tmp_path / "o2"))
    assert (tmp_path / "o2" / "custom_addstep.fits").exists()
    AddStep.call(str(src), suffix="special", save_results=True, output_dir=str(tmp_path / "o3"))
    assert (tmp_path / "o3" / "jw01_nrca1_special.fits").exists()
    # a model without a file name: jwst's "step_<name>" root
    monkeypatch.chdir(tmp_path)
    AddStep.call(image(), save_results=True)
    assert (tmp_path / "step_AddStep_addstep.fits").exists()


def test_pipeline_steps_are_configurable_and_skippable(tmp_path):
    src = tmp_path / "jw02_nrca1_rate.fits"
    image(src)
    p = TwoStepPipeline(steps={"add": {"value": 10}})
    assert p.add.value == 10 and p.scale.factor == 3.0  # pipeline default for scale
    assert p.add.name == "add" and p.add.parent is p
    out = p.run(str(src))
    np.testing.assert_array_equal(out.data, (1 + 10) * 3.0)
    out = TwoStepPipeline.call(str(src), steps={"add": {"skip": True}, "scale": {"factor": 1}})
    np.testing.assert_array_equal(out.data, 1.0)
    assert out.meta.cal_step.add_const == "SKIPPED"
    with pytest.raises(ConfigError, match="has no step nope"):
        TwoStepPipeline(steps={"nope": {}})
    with pytest.raises(ConfigError, match=r"unknown parameter steps.add.valu for AddStep"):
        TwoStepPipeline.call(str(src), steps={"add": {"valu": 1}})


def test_pipeline_saves_product_and_intermediates(tmp_path):
    src = tmp_path / "jw03_nrca1_rate.fits"
    image(src)
    TwoStepPipeline.call(
        str(src),
        output_dir=str(tmp_path / "out"),
        save_results=True,
        save_middle=True,
        steps={"scale": {"save_results": True}},
    )
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["jw03_nrca1_cal.fits", "jw03_nrca1_middle.fits", "jw03_nrca1_scale.fits"]
    cal = dm.open(tmp_path / "out" / "jw03_nrca1_cal.fits")
    np.testing.assert_array_equal(cal.data, 6.0)


def test_pipeline_logs_a_summary(tmp_path, caplog):
    with caplog.at_level(logging.INFO, "jwcal"):
        TwoStepPipeline.call(image())
    text = caplog.text
    assert "TwoStepPipeline summary" in text
    summary = text[text.index("summary") :]
    assert "add" in summary and "scale" in summary and "COMPLETE" in summary
    assert "peak RSS" in text


def test_hooks(tmp_path):
    seen = []

    def pre(model):
        seen.append("pre")

    def post(model):
        model.data[0, 0] = -1
        return model

    out = ScaleStep.call(image(), pre_hooks=[pre], post_hooks=[post, AddStep])
    assert seen == ["pre"]
    assert out.data[0, 0] == 0 and out.data[1, 1] == 3.0  # post hook step added 1
    m = image()
    m.meta.exposure.gain_factor = 2.0
    out = ScaleStep.call(m, post_hooks=["jwcal.steps.gain_scale.GainScaleStep"])
    np.testing.assert_array_equal(out.data, 4.0)
    assert out.meta.cal_step.gain_scale == "COMPLETE"
    with pytest.raises(ConfigError, match="cannot use 'no.such.thing' as a hook"):
        ScaleStep.call(image(), pre_hooks=["no.such.thing"])


def test_threads():
    assert get_threads() == 1
    old = set_threads(2)
    try:
        assert ScaleStep().n_threads == min(2, os.cpu_count())
        assert AddStep().n_threads == 1  # maximum_cores wins
        assert AddStep(maximum_cores="all").n_threads >= 1
    finally:
        set_threads(old)
    with pytest.raises(ConfigError, match="maximum_cores='lots'"):
        _ = AddStep(maximum_cores="lots").n_threads


def test_reference_lookup(tmp_path, monkeypatch):
    monkeypatch.delenv("JWCAL_REFDIR", raising=False)
    monkeypatch.delenv("CRDS_PATH", raising=False)
    m = image()
    s = AddStep()
    with pytest.raises(ReferenceFileError, match="no GAIN reference file"):
        s.get_reference_file(m, "gain")
    assert AddStep(override_gain="N/A").get_reference_file(m, "gain") == "N/A"
    assert m.meta.ref_file.gain.name == "N/A"
    g = dm.GainModel(np.full((4, 5), 2.0, np.float32))
    g.meta.reftype = "GAIN"
    g.meta.instrument.name = "NIRCAM"
    g.meta.instrument.detector = "NRCA1"
    g.meta.useafter = "2020-01-01T00:00:00"
    refdir = tmp_path / "refs"
    refdir.mkdir()
    path = g.save(refdir / "my_gain.fits")
    found = AddStep(refdir=str(refdir)).get_reference_file(m, "gain")
    assert found == str(path)
    ref = AddStep(override_gain=str(path)).load_reference(m, "gain")
    assert isinstance(ref, dm.GainModel) and m.meta.ref_file.gain.name == str(path)
    # the pipeline's refdir serves its steps
    p = TwoStepPipeline(refdir=str(refdir))
    assert p.add.get_reference_file(m, "gain") == str(path)
    # the reference files used are recorded in the result
    out = AddStep.call(image(), override_gain=str(path))
    assert out.meta.ref_file.gain.name is None  # AddStep does not look it up
    with pytest.raises(ReferenceFileError, match="does not exist"):
        AddStep(override_gain=str(tmp_path / "missing.fits")).get_reference_file(m, "gain")


def test_prepare_output_converts_raw_to_ramp(tmp_path):
    raw = dm.Level1bModel(np.arange(2 * 3 * 4 * 5, dtype=np.uint16).reshape(2, 3, 4, 5))
    raw.meta.exposure.type = "NRC_IMAGE"
    raw.zeroframe = np.ones((2, 4, 5), np.uint16)
    s = Step()
    ramp = s.prepare_output(raw, dm.RampModel)
    assert isinstance(ramp, dm.RampModel) and ramp.data.dtype == np.float32
    np.testing.assert_array_equal(ramp.data, raw.data)
    assert ramp.zeroframe.dtype == np.float32
    assert ramp.groupdq.shape == raw.data.shape and not ramp.groupdq.any()
    assert ramp.pixeldq.shape == (4, 5)
    raw.meta.exposure.type = "FGS_TRACK"
    assert isinstance(s.prepare_output(raw, dm.RampModel), dm.GuiderRawModel)
    path = tmp_path / "x_uncal.fits"
    raw.meta.exposure.type = "NRC_IMAGE"
    raw.save(path)
    ramp = s.prepare_output(str(path), dm.RampModel)
    assert isinstance(ramp, dm.RampModel) and ramp.data.dtype == np.float32
    # inside a pipeline the model is taken over, not copied
    p = TwoStepPipeline()
    assert p.add.prepare_output(ramp) is ramp
    assert s.prepare_output(ramp) is not ramp


def test_get_pars_and_update_pars():
    p = TwoStepPipeline(steps={"add": {"value": 4}})
    pars = p.get_pars()
    assert pars["steps"]["add"]["value"] == 4.0 and pars["save_middle"] is False
    assert "override_gain" not in pars["steps"]["add"]
    p.update_pars({"save_middle": True, "steps": {"scale": {"factor": 9}}})
    assert p.save_middle is True and p.scale.factor == 9.0


def test_association_id_in_output_names(tmp_path):
    from jwcal.associations import asn_from_list

    s = ScaleStep(output_dir=str(tmp_path))
    s._input_filename = "jw04_nrca1_cal.fits"
    asn = asn_from_list(["jw04_nrca1_cal.fits"], product_name="p", asn_id="o007")
    assert s.add_asn_id_to_output_name(asn) == "o007"
    assert s.make_output_path(suffix="crf") == str(tmp_path / "jw04_nrca1_o007_crf.fits")
    s.add_asn_id_to_output_name(None)
    assert s.make_output_path(suffix="crf") == str(tmp_path / "jw04_nrca1_crf.fits")


def test_a_single_exposure_step_refuses_an_association(tmp_path):
    from jwcal.associations import asn_from_list
    from jwcal.errors import InputError

    path = asn_from_list(["a_rate.fits"], rule="level2").save(tmp_path / "l2_asn.json")
    with pytest.raises(InputError, match="works on one exposure, not an association"):
        Step().prepare_output(str(path), dm.ImageModel)
    assert Step().prepare_output(str(path)).level == 2


def test_from_config_file_and_jwst_call_switches(tmp_path):
    f = tmp_path / "add.cfg"
    f.write_text("value = 4\n")
    s = AddStep.from_config_file(f)
    assert isinstance(s, AddStep) and s.value == 4.0 and s.name == "AddStep"
    out = AddStep.call(image(), config_file=str(f), configure_log=False, value=5)
    np.testing.assert_array_equal(out.data, 6.0)

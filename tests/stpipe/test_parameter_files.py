import logging

import asdf
import pytest
from jwcal_testdata import DqSatPipeline

from jwcal.errors import ConfigError
from jwcal.stpipe import config as cfgmod
from jwcal.stpipe.cli import build_step


class PrecedencePipeline(DqSatPipeline):
    step_params = {"saturation": {"n_pix_grow_sat": 3, "use_readpatt": False}}


def test_precedence_kwargs_over_file_over_variant_over_pipeline_defaults(tmp_path):
    variant = tmp_path / "variant.cfg"
    variant.write_text(
        "name = 'Variant'\n[steps]\n[[saturation]]\nn_pix_grow_sat = 4\n"
        "[[dq_init]]\nskip = true\nuser_supplied_dq = v.fits\n"
    )
    user = tmp_path / "user.cfg"
    user.write_text("[steps]\n[[saturation]]\nn_pix_grow_sat = 5\n[[dq_init]]\nskip = false\n")
    cls = PrecedencePipeline

    def build(**kw):
        config, name = cls.build_config(**kw)
        return cls.from_config(config, name=name)

    p = build()
    assert (p.saturation.n_pix_grow_sat, p.saturation.use_readpatt) == (3, False)  # pipeline
    assert p.saturation.skip is False and p.group_scale.n_threads == 1  # step defaults
    p = build(defaults_file=variant)
    assert p.saturation.n_pix_grow_sat == 4 and p.dq_init.skip is True and p.name == "Variant"
    assert p.saturation.use_readpatt is False
    p = build(defaults_file=variant, config_file=user)
    assert p.saturation.n_pix_grow_sat == 5 and p.dq_init.skip is False
    assert p.dq_init.user_supplied_dq == "v.fits"
    p = build(defaults_file=variant, config_file=user, steps={"saturation": {"n_pix_grow_sat": 6}})
    assert p.saturation.n_pix_grow_sat == 6 and p.dq_init.skip is False


def test_shipped_variant_configs_are_applied_by_alias(tmp_path):
    from jwcal import configs

    names = configs.names()
    for name in (
        "calwebb_detector1 calwebb_tso1 calwebb_dark calwebb_guider calwebb_image2 "
        "calwebb_tso-image2 calwebb_wfs-image2 calwebb_spec2 calwebb_tso-spec2 "
        "calwebb_nrslamp-spec2 calwebb_image3 calwebb_wfs-image3 calwebb_spec3 calwebb_ami3 "
        "calwebb_coron3 calwebb_tso3 calwebb_sloper"
    ).split():
        assert f"{name}.cfg" in names
        cfg = cfgmod.read_parameter_file(configs.path(f"{name}.cfg"))
        assert cfg["class"].startswith("jwcal.") and cfg["name"]
    tso1 = cfgmod.read_parameter_file(configs.path("calwebb_tso1.cfg"))
    assert {k for k, v in tso1["steps"].items() if v.get("skip") == "True"} == {
        "ipc",
        "lastframe",
        "persistence",
    }
    for name in ("calwebb_tso-image2.cfg", "calwebb_wfs-image2.cfg"):
        assert cfgmod.read_parameter_file(configs.path(name))["steps"]["resample"]["skip"] == "True"
    # a shipped configuration is found by name from Python too
    p = DqSatPipeline.from_config(DqSatPipeline.build_config(config_file="calwebb_sloper.cfg")[0])
    assert p.save_calibrated_ramp is False


def test_bad_values_in_files_name_the_file_and_entry(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[steps]\n[[saturation]]\nn_pix_grow_sat = lots\n")
    with pytest.raises(ConfigError, match=r"bad.cfg: steps.saturation.n_pix_grow_sat: 'lots'"):
        DqSatPipeline.build_config(config_file=bad)
    with pytest.raises(ConfigError, match="parameter file .*nothere.asdf does not exist"):
        DqSatPipeline.build_config(config_file=tmp_path / "nothere.asdf")
    junk = tmp_path / "junk.asdf"
    junk.write_bytes(b"#ASDF 1.0.0\nnot yaml at all: [")
    with pytest.raises(ConfigError, match="junk.asdf"):
        DqSatPipeline.build_config(config_file=junk)


def test_unknown_file_entries_are_reported_one_by_one(tmp_path, caplog):
    f = tmp_path / "extra.cfg"
    f.write_text(
        "mystery = 1\n[steps]\n[[jump]]\nrejection_threshold = 5\n"
        "[[saturation]]\nn_pix_grow_sat = 2\nfancy = yes\n"
    )
    with caplog.at_level(logging.WARNING, "jwcal"):
        config, _ = DqSatPipeline.build_config(config_file=f)
    p = DqSatPipeline.from_config(config)
    assert p.saturation.n_pix_grow_sat == 2
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for entry in ("mystery", "steps.jump", "steps.saturation.fancy"):
        assert any(f": {entry} is not known to jwcal's" in w for w in warned), entry
    assert len(warned) == 3


def test_save_parameters_round_trip_asdf_and_cfg(tmp_path):
    p = DqSatPipeline(
        save_calibrated_ramp=True, steps={"saturation": {"n_pix_grow_sat": 0}, "dq_init": {}}
    )
    for name in ("saved.asdf", "saved.cfg"):
        path = p.export_config(tmp_path / name)
        config, fname = DqSatPipeline.build_config(config_file=path)
        q = DqSatPipeline.from_config(config, name=fname)
        assert q.get_pars() == p.get_pars()
    with asdf.open(tmp_path / "saved.asdf") as af:
        tree = af.tree
        assert tree["class"] == "jwcal_testdata.DqSatPipeline" and tree["name"] == "DqSatPipeline"
        assert [s["name"] for s in tree["steps"]] == ["group_scale", "dq_init", "saturation"]
        assert tree["steps"][2]["parameters"]["n_pix_grow_sat"] == 0
        assert tree["parameters"]["save_calibrated_ramp"] is True


def test_step_config_files_inside_a_pipeline_file(tmp_path):
    (tmp_path / "sat.cfg").write_text("n_pix_grow_sat = 7\nuse_readpatt = False\n")
    (tmp_path / "pipe.cfg").write_text(
        "class = jwcal_testdata.DqSatPipeline\n[steps]\n[[saturation]]\n"
        "config_file = sat.cfg\nuse_readpatt = True\n"
    )
    p = build_step(tmp_path / "pipe.cfg")
    assert isinstance(p, DqSatPipeline)
    assert p.saturation.n_pix_grow_sat == 7 and p.saturation.use_readpatt is True


def test_strict_kwargs():
    with pytest.raises(ConfigError, match="unknown parameter steps.saturation.bogus"):
        DqSatPipeline.call(None, steps={"saturation": {"bogus": 1}})
    with pytest.raises(ConfigError, match="unknown parameter bogus for DqSatPipeline"):
        DqSatPipeline.build_config(bogus=1)

import subprocess
import sys

import pytest

from jwcal.errors import ConfigError
from jwcal.stpipe import registry

#: Every pipeline name the JWST documentation (the seeds) uses.
SEED_ALIASES = [
    "calwebb_sloper", "calwebb_detector1", "calwebb_tso1", "calwebb_dark", "calwebb_dark1",
    "calwebb_guider", "calwebb_image2", "calwebb_tso-image2", "calwebb_wfs-image2",
    "calwebb_spec2", "calwebb_tso-spec2", "calwebb_nrslamp-spec2", "calwebb_image3",
    "calwebb_wfs-image3", "calwebb_spec3", "calwebb_ami3", "calwebb_coron3", "calwebb_tso3",
]  # fmt: skip


def test_list_shows_every_seed_pipeline_alias_and_the_steps():
    out = subprocess.run(
        [sys.executable, "-m", "jwcal", "list"], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    for alias in SEED_ALIASES:
        assert alias in names, alias
    for alias in ("dq_init", "saturation", "jump", "ramp_fit", "resample", "white_light"):
        assert alias in names
    # one line each, with the availability
    line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["dq_init"])
    assert "DQInitStep" in line and "available" in line
    line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["calwebb_image3"])
    assert "image3" in line and "Image3Pipeline" in line


def test_every_jwst_pipeline_and_step_is_in_the_table():
    integration = pytest.importorskip("jwst.stpipe.integration")
    for cls_path, alias, _is_pipe in integration.get_steps():
        entry = registry.lookup(alias)
        assert entry is not None, alias
        assert entry.jwst_class == cls_path.rsplit(".", 1)[1], alias
        assert registry.lookup(cls_path).target == entry.target


@pytest.mark.parametrize(
    "name, alias",
    [
        ("detector1", "calwebb_detector1"),
        ("tso1", "calwebb_tso1"),
        ("calwebb_dark1", "calwebb_dark"),
        ("Image2Pipeline", "calwebb_image2"),
        ("jwst.pipeline.calwebb_image2.Image2Pipeline", "calwebb_image2"),
        ("jwst.pipeline.SloperPipeline", "calwebb_sloper"),
        ("jump", "jump"),
        ("JumpStep", "jump"),
        ("jwst.jump.jump_step.JumpStep", "jump"),
        ("jwcal.steps.jump.JumpStep", "jump"),
        ("imprint_subtract", "imprint"),
        ("Spec2NRSLamp", "calwebb_nrslamp-spec2"),
    ],
)
def test_lookup(name, alias):
    assert registry.lookup(name).alias == alias


def test_unknown_and_unavailable_names():
    assert registry.lookup("nonsense") is None
    assert registry.lookup("numpy.ndarray") is None
    with pytest.raises(ConfigError, match="is not a pipeline, a step or a parameter file"):
        registry.resolve_class("nonsense")
    with pytest.raises(ConfigError, match="is not a jwcal Step"):
        registry.resolve_class("collections.OrderedDict")
    missing = registry.Entry("fake_alias", "jwcal.steps.no_such_step:NoStep", "NoStep", "x")
    assert not registry.is_available(missing)
    with pytest.raises(ConfigError, match=r"^fake_alias is not available in jwcal \d"):
        registry.load_class(missing)


def test_available_steps_resolve_to_their_classes():
    from jwcal.steps.dq_init import DQInitStep

    cls, entry = registry.resolve_class("dq_init")
    assert cls is DQInitStep and entry.alias == "dq_init"
    assert registry.resolve_class("jwcal.steps.dq_init.DQInitStep")[0] is DQInitStep
    from jwcal.steps import SaturationStep

    assert SaturationStep.class_alias == "saturation"

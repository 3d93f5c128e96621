"""Parameter files written by jwst's ``strun --save-parameters`` work in jwcal, and back."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))

from jwcal_testdata import DqSatPipeline  # noqa: E402

from jwcal.stpipe import registry  # noqa: E402
from jwcal.testing.oracle import offline_environment  # noqa: E402

pytestmark = pytest.mark.parity
pytest.importorskip("jwst")


@pytest.fixture(scope="module")
def jwst_file(tmp_path_factory):
    """``strun calwebb_detector1 --save-parameters`` with two non-default values."""
    d = tmp_path_factory.mktemp("jwst_pars")
    env = dict(os.environ)
    env.update(offline_environment(d / "crds"))
    strun = Path(sys.executable).with_name("strun")
    path = d / "calwebb_detector1_pars.asdf"
    # With no input file strun saves the parameters, then fails to run: only the file matters.
    subprocess.run(
        [str(strun), "calwebb_detector1", "--save-parameters", str(path),
         "--steps.saturation.n_pix_grow_sat=2", "--steps.dq_init.skip=true",
         "--save_calibrated_ramp=true"],
        env=env, capture_output=True, text=True, cwd=d,
    )  # fmt: skip
    assert path.exists()
    return path


def test_jwst_detector1_parameter_file_is_accepted_and_unknown_entries_reported(jwst_file, caplog):
    with caplog.at_level(logging.WARNING, "jwcal"):
        config, name = DqSatPipeline.build_config(config_file=jwst_file)
    p = DqSatPipeline.from_config(config, name=name)
    assert p.name == "Detector1Pipeline"
    assert p.saturation.n_pix_grow_sat == 2 and p.saturation.use_readpatt is True
    assert p.dq_init.skip is True and p.save_calibrated_ramp is True
    assert p.group_scale.output_ext == ".fits" and p.group_scale.search_output_file is True
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # every step of jwst's detector1 that this pipeline lacks is named, each once
    for step in ("emicorr", "ipc", "superbias", "refpix", "jump", "ramp_fit", "gain_scale"):
        hits = [w for w in warned if f": steps.{step} is not known to jwcal's DqSatPipeline" in w]
        assert len(hits) == 1, step
    assert all(str(jwst_file) in w for w in warned)
    # the steps it has are fully understood: nothing else reported
    assert len(warned) == 20 - 3


def test_the_command_line_resolves_the_jwst_class_in_the_file(jwst_file, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "jwcal", str(jwst_file), "--help"], capture_output=True, text=True
    )
    entry = registry.PIPELINES["calwebb_detector1"]
    if registry.is_available(entry):
        assert out.returncode == 0 and "steps.jump" in out.stdout
    else:
        assert out.returncode != 0
        assert out.stderr.strip().splitlines() == [
            f"jwcal: error: calwebb_detector1 is not available in jwcal {_version()}"
        ]


def _version():
    import jwcal

    return jwcal.__version__


def test_jwst_reads_the_layout_jwcal_writes(tmp_path):
    from stpipe import config_parser

    path = DqSatPipeline(steps={"saturation": {"n_pix_grow_sat": 4}}).export_config(
        tmp_path / "ours.asdf"
    )
    cfg = config_parser.load_config_file(str(path))
    assert cfg["class"] == "jwcal_testdata.DqSatPipeline"
    assert cfg["steps"]["saturation"]["n_pix_grow_sat"] == 4
    assert cfg["steps"]["dq_init"]["skip"] is False

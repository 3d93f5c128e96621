"""The same run configured by command-line flags, a parameter file (.cfg, and the ASDF file
``--save-parameters`` wrote) and Python keyword arguments (``.call`` and ``.run``) gives
bit-identical products."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from jwcal_testdata import DqSatPipeline, make_uncal, write_refs

from jwcal import datamodels as dm

HERE = Path(__file__).resolve().parent
ARRAYS = ("data", "pixeldq", "groupdq", "zeroframe")


def _cli(*args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "jwcal", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("three_ways")
    refs = write_refs(d / "refs")
    uncal = make_uncal(np.random.default_rng(11), nframes=5, frame_divisor=4).save(
        d / "jw05_nrca1_uncal.fits"
    )
    steps = {
        "dq_init": {"override_mask": refs["mask"]},
        "saturation": {
            "override_saturation": refs["saturation"],
            "override_superbias": refs["superbias"],
            "n_pix_grow_sat": 2,
            "use_readpatt": False,
        },
    }
    return d, refs, uncal, steps


def _read(path):
    m = dm.open(path)
    return {n: getattr(m, n) for n in ARRAYS}, m.meta


def _assert_same(a, b):
    for n in ARRAYS:
        assert a[0][n].dtype == b[0][n].dtype
        np.testing.assert_array_equal(a[0][n], b[0][n], err_msg=n)
    for key in ("cal_step", "ref_file"):
        assert a[1].get(key) == b[1].get(key)


def test_flags_file_and_keywords_agree(setup):
    d, refs, uncal, steps = setup
    sat = steps["saturation"]
    flags = [
        f"--steps.dq_init.override_mask={refs['mask']}",
        f"--steps.saturation.override_saturation={sat['override_saturation']}",
        f"--steps.saturation.override_superbias={sat['override_superbias']}",
        "--steps.saturation.n_pix_grow_sat=2",
        "--steps.saturation.use_readpatt=false",
    ]
    # 1. command-line flags (saving the parameters on the way)
    run = _cli("jwcal_testdata.DqSatPipeline", uncal, *flags, "--output_dir=by_flags",
               "--save-parameters", "saved.asdf", cwd=d)  # fmt: skip
    assert run.returncode == 0, run.stderr
    name = "jw05_nrca1_ramp.fits"
    by_flags = _read(d / "by_flags" / name)
    assert by_flags[1].cal_step.group_scale == "COMPLETE"
    assert by_flags[1].cal_step.saturation == "COMPLETE"

    # 2a. the ASDF parameter file the first run wrote
    run = _cli(d / "saved.asdf", uncal, "--output_dir=by_asdf", cwd=d)
    assert run.returncode == 0, run.stderr
    _assert_same(by_flags, _read(d / "by_asdf" / name))

    # 2b. a .cfg file, from the command line and from Python
    cfg = d / "params.cfg"
    cfg.write_text(
        "class = jwcal_testdata.DqSatPipeline\n[steps]\n"
        f"[[dq_init]]\noverride_mask = {refs['mask']}\n"
        f"[[saturation]]\noverride_saturation = {sat['override_saturation']}\n"
        f"override_superbias = {sat['override_superbias']}\n"
        "n_pix_grow_sat = 2\nuse_readpatt = False\n"
    )
    run = _cli(cfg, uncal, "--output_dir=by_cfg", cwd=d)
    assert run.returncode == 0, run.stderr
    _assert_same(by_flags, _read(d / "by_cfg" / name))
    DqSatPipeline.call(
        str(uncal), config_file=str(cfg), output_dir=str(d / "by_cfg_py"), save_results=True
    )
    _assert_same(by_flags, _read(d / "by_cfg_py" / name))

    # 3. Python keyword arguments: .call on the file, .run on a model
    DqSatPipeline.call(str(uncal), steps=steps, output_dir=str(d / "by_call"), save_results=True)
    _assert_same(by_flags, _read(d / "by_call" / name))
    out = DqSatPipeline(steps=steps).run(dm.open(uncal))
    _assert_same(by_flags, ({n: getattr(out, n) for n in ARRAYS}, out.meta))

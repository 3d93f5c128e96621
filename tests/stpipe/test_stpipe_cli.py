"""The runner of ``python -m jwcal <pipeline|step|file> <input> [options]``."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from jwcal_testdata import make_uncal, write_refs

from jwcal import datamodels as dm
from jwcal.stpipe.cli import _nest, _parse

HERE = Path(__file__).resolve().parent


def _run(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    env.pop("JWCAL_REFDIR", None)
    return subprocess.run(
        [sys.executable, "-m", "jwcal", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    refs = write_refs(d / "refs")
    uncal = make_uncal(np.random.default_rng(5)).save(d / "jw06_nrca1_uncal.fits")
    return d, refs, uncal


def test_parse_strun_spellings():
    target, inputs, opts, params = _parse(
        ["detector1", "a_uncal.fits", "--steps.jump.rejection_threshold=5", "--output_dir", "o",
         "--save-parameters", "p.asdf", "--verbose", "--refdir=/r", "--threads", "2",
         "--override_mask=N/A", "--steps.ramp_fit.weighting", "-1"]
    )  # fmt: skip
    assert target == "detector1" and inputs == ["a_uncal.fits"]
    assert opts["save_parameters"] == "p.asdf" and opts["threads"] == "2"
    assert "--verbose" in opts["flags"]
    assert params == {
        "steps.jump.rejection_threshold": "5",
        "output_dir": "o",
        "refdir": "/r",
        "override_mask": "N/A",
        "steps.ramp_fit.weighting": "-1",
    }
    assert _nest(params)["steps"] == {
        "jump": {"rejection_threshold": "5"},
        "ramp_fit": {"weighting": "-1"},
    }


def test_a_step_by_alias_writes_its_product(data):
    d, refs, uncal = data
    run = _run("dq_init", uncal, f"--override_mask={refs['mask']}", "--output_dir", "out", cwd=d)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = dm.open(d / "out" / "jw06_nrca1_dqinitstep.fits")
    assert out.meta.cal_step.dq_init == "COMPLETE"
    assert "DQInitStep done: COMPLETE" in run.stdout and "peak RSS" in run.stdout


def test_refdir_threads_quiet_and_log_file(data):
    d, refs, uncal = data
    run = _run("saturation", uncal, "--refdir", Path(refs["mask"]).parent, "--threads", "2",
               "--quiet", "--log-file", "run.log", "--output_dir=q", cwd=d)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # --quiet: warnings only, on the terminal and in the file
    assert (d / "run.log").read_text() == ""
    out = dm.open(d / "q" / "jw06_nrca1_saturationstep.fits")
    assert out.meta.ref_file.saturation.name.endswith("jwcal_test_saturation.fits")
    run = _run("saturation", uncal, "--refdir", Path(refs["mask"]).parent, "--verbose",
               "--output_dir=v", "--log-file", "v.log", cwd=d)  # fmt: skip
    assert run.returncode == 0 and "DEBUG" in run.stdout
    assert "Detected" in (d / "v.log").read_text()


def test_help_lists_parameters():
    run = _run("saturation", "--help")
    assert run.returncode == 0
    for opt in ("--n_pix_grow_sat", "--use_readpatt", "--override_saturation", "--skip"):
        assert opt in run.stdout
    run = _run("jwcal_testdata.DqSatPipeline", "-h")
    assert "--steps.saturation.n_pix_grow_sat" in run.stdout


def test_save_parameters_without_input(tmp_path):
    run = _run("saturation", "--n_pix_grow_sat=3", "--save-parameters", "s.asdf", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    from jwcal.stpipe.config import read_parameter_file

    cfg = read_parameter_file(tmp_path / "s.asdf")
    assert cfg["n_pix_grow_sat"] == 3 and cfg["class"].endswith("SaturationStep")


@pytest.mark.parametrize(
    "args, message",
    [
        (["dq_init", "missing_uncal.fits"], "missing_uncal.fits: no such file"),
        (["dq_init", "junk_uncal.fits", "--override_mask=N/A"], "junk_uncal.fits"),
        (["dq_init", "{uncal}", "--bogus=1"], "unknown parameter bogus for DQInitStep"),
        (["saturation", "{uncal}", "--n_pix_grow_sat=abc"], "n_pix_grow_sat: 'abc' is not an"),
        (["dq_init", "{uncal}"], "no MASK reference file for NIRCAM NRCA1"),
        (["dq_init", "{uncal}", "--override_mask=nothere.fits"], "nothere.fits does not exist"),
        (["nonsense", "{uncal}"], "'nonsense' is not a pipeline, a step or a parameter file"),
        (["spec2", "{uncal}"], "calwebb_spec2 is not available in jwcal"),
        (["dq_init"], "no input file given"),
        (["dq_init", "{uncal}", "--output_dir"], "option --output_dir needs a value"),
        (["dq_init", "{uncal}", "-x"], "unknown option '-x'"),
        (["missing.cfg", "{uncal}"], "parameter file missing.cfg does not exist"),
        (["{asn}"], "bad_asn.json: products is missing"),
    ],
)
def test_bad_input_is_one_line_nonzero_no_output(
    data, args, message, tmp_path, monkeypatch, capsys, cli_logging
):
    d, refs, uncal = data
    (tmp_path / "junk_uncal.fits").write_bytes(b"\0" * 2880)
    (tmp_path / "bad_asn.json").write_text('{"asn_id": "x"}')
    args = [
        a.format(uncal=uncal, asn=tmp_path / "bad_asn.json") if isinstance(a, str) else a
        for a in args
    ]
    if args[0].endswith("bad_asn.json"):
        args = ["dq_init", args[0], "--override_mask=N/A"]
    # In this process (a fresh one per case costs seconds): the code path is the same.
    from jwcal.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JWCAL_REFDIR", raising=False)
    monkeypatch.delenv("CRDS_PATH", raising=False)
    code = main([*map(str, args), "--output_dir=out"])
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jwcal: error: "), err
    assert message in lines[0]
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())


@pytest.fixture
def cli_logging():
    """Remove the handlers the command line adds to the jwcal logger."""
    import logging

    yield
    logger = logging.getLogger("jwcal")
    for h in list(logger.handlers):
        if getattr(h, "_jwcal_cli", False):
            logger.removeHandler(h)
            h.close()
    logger.setLevel(logging.NOTSET)


def test_bad_input_in_a_fresh_process_has_no_traceback(data, tmp_path):
    d, refs, uncal = data
    (tmp_path / "junk_uncal.fits").write_bytes(b"\0" * 2880)
    for args in (["dq_init", "junk_uncal.fits", "--override_mask=N/A"], ["dq_init", uncal]):
        run = _run(*args, "--output_dir=out", cwd=tmp_path)
        assert run.returncode != 0 and "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_debug_shows_the_traceback(data, tmp_path):
    d, refs, uncal = data
    run = _run("dq_init", uncal, "--debug", "--output_dir=o", cwd=tmp_path)
    assert run.returncode != 0 and "Traceback" in run.stderr


def test_an_unexpected_failure_is_one_line_too(data, tmp_path):
    d, refs, uncal = data
    hook = tmp_path / "failing_hook.py"
    hook.write_text("def boom(model):\n    raise ZeroDivisionError('bad luck')\n")
    env_path = f"{tmp_path}{os.pathsep}"
    env = dict(os.environ, PYTHONPATH=env_path + str(HERE))
    run = subprocess.run(
        [sys.executable, "-m", "jwcal", "dq_init", str(uncal), "--override_mask=N/A",
         "--post_hooks=failing_hook.boom", "--output_dir=o"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"jwcal: error: DQInitStep failed on {uncal}: ZeroDivisionError: bad luck "
        "(--debug shows where)"
    ]

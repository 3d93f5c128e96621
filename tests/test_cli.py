import subprocess
import sys

import numpy as np

from jwcal import datamodels as dm


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "jwcal", *map(str, args)], capture_output=True, text=True
    )


def test_help_and_version():
    out = _run("--help")
    assert out.returncode == 0 and "commands:" in out.stdout and "info" in out.stdout
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.startswith("jwcal ")


def test_bad_input_is_one_line_nonzero_no_traceback(tmp_path):
    junk = tmp_path / "junk_uncal.fits"
    junk.write_bytes(b"\0" * 1000)
    for args in (["info", tmp_path / "missing.fits"], ["info", junk]):
        out = _run(*args)
        assert out.returncode != 0
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("jwcal: error: ")


def test_debug_shows_traceback(tmp_path):
    out = _run("info", tmp_path / "missing.fits", "--debug")
    assert out.returncode != 0 and "Traceback" in out.stderr


def test_info_summarises(tmp_path):
    m = dm.ImageModel(np.ones((8, 8), np.float32))
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCA1"
    m.meta.exposure.type = "NRC_IMAGE"
    m.dq[0, 0] = 1
    p = m.save(tmp_path / "x_rate.fits")
    out = _run("info", p)
    assert out.returncode == 0
    assert "ImageModel" in out.stdout and "NRC_IMAGE" in out.stdout and "DO_NOT_USE" in out.stdout


def test_missing_dependency_is_one_line(monkeypatch, capsys):
    import jwcal.demo
    from jwcal.cli import main

    def run(args):
        raise ModuleNotFoundError("No module named 'skimage'", name="skimage")

    monkeypatch.setattr(jwcal.demo, "run", run)
    assert main(["demo"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'skimage' is needed here" in err[0]

"""The jwst fork server behaves like ``python -c`` in a fresh process."""

import subprocess

import pytest

from jwcal.testing.forkserver import run_python

pytestmark = pytest.mark.parity
pytest.importorskip("jwst")


def test_output_status_arguments_and_environment(tmp_path):
    script = (
        "import os, sys\n"
        "print('out', sys.argv[1:], os.environ['JWCAL_T'], os.getcwd())\n"
        "print('err', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    proc = run_python(script, ["a", 2], env={"JWCAL_T": "x", "PATH": "/usr/bin"}, cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stdout.strip() == f"out ['a', '2'] x {tmp_path}"
    assert proc.stderr.strip() == "err"


def test_every_script_starts_from_the_same_state():
    patch = "import jwst.pipeline as p\np.Detector1Pipeline.jwcal_mark = 1\n"
    run_python(patch, check=True)
    probe = "import jwst.pipeline as p\nprint(hasattr(p.Detector1Pipeline, 'jwcal_mark'))\n"
    assert run_python(probe, check=True).stdout.strip() == "False"


def test_an_exception_is_a_failed_process():
    proc = run_python("raise ValueError('boom')")
    assert proc.returncode == 1
    assert "ValueError: boom" in proc.stderr
    with pytest.raises(subprocess.CalledProcessError):
        run_python("raise ValueError('boom')", check=True)


def test_crds_stays_offline(tmp_path):
    # whatever environment a script is given, it runs in the server's offline CRDS set-up
    proc = run_python("import os; print(os.environ['CRDS_MODE'])", env={"CRDS_MODE": "remote"})
    assert proc.stdout.strip() == "local"

"""Run short Python scripts under the official pipeline without paying its import each time.

Importing jwst (with stdatamodels, asdf's extensions, astropy's models and crds) takes five
to ten seconds, and the parity tests run jwst scripts some sixty times.  A fork server
pays it once per test process: a helper process starts in the offline CRDS environment,
imports jwst and warms its caches, then forks a fresh child for every script.  Each
child starts from the same pristine state (the server itself never runs a script), so
monkeypatches and global state do not leak from one script to the next, as with a new
process.

:func:`run_python` has the shape of ``subprocess.run([sys.executable, "-c", script,
*args], ...)``.  Set ``JWCAL_ORACLE_FORK=0`` to get exactly that instead.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

__all__ = ["run_python"]

# Runs in the server.  Protocol: one JSON request per line on stdin, one JSON reply per
# line on the file descriptor given as argv[1] (stdout itself goes to stderr, so that what
# libraries print cannot break the protocol).
_SERVER = r"""
import json, os, sys, traceback
reply = os.fdopen(int(sys.argv[1]), "w", buffering=1)
os.dup2(2, 1)
import numpy, astropy.modeling, asdf
asdf.get_config().extensions  # loads every extension's manifests (seconds of YAML)
import crds, stpipe, stdatamodels.jwst.datamodels as sdm
import jwst.pipeline, jwst.step, jwst.associations
sdm.ImageModel((2, 2)).validate()  # the schemas
base_env = dict(os.environ)
reply.write(json.dumps({"ready": os.getpid()}) + "\n")
for line in sys.stdin:
    req = json.loads(line)
    out, err = req["stdout"], req["stderr"]
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            os.environ.clear()
            os.environ.update(req["env"])
            os.environ.update({k: v for k, v in base_env.items() if k in req["keep"]})
            if req["cwd"]:
                os.chdir(req["cwd"])
            sys.argv = ["-c", *req["args"]]
            sys.stdin = open(os.devnull)
            try:
                exec(compile(req["script"], "<string>", "exec"), {"__name__": "__main__"})
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    reply.write(json.dumps({"returncode": code}) + "\n")
"""

# What the server's environment fixes for every script: the offline CRDS set-up it was
# imported under.
_KEEP = (
    "STPIPE_DISABLE_CRDS_STEPPARS",
    "CRDS_PATH",
    "CRDS_CONFIG_URI",
    "CRDS_SERVER_URL",
    "CRDS_CONTEXT",
    "CRDS_MODE",
)


class _Server:
    def __init__(self):
        from .oracle import offline_environment

        self.scratch = tempfile.mkdtemp(prefix="jwcal-forkserver-")
        env = dict(os.environ)
        env.update(offline_environment(Path(self.scratch) / "crds"))
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(w)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(self.scratch) / "server.log", "w"),
            env=env,
            pass_fds=(w,),
            text=True,
        )
        os.close(w)
        self.replies = os.fdopen(r, "r")
        self.lock = threading.Lock()
        first = self.replies.readline()
        if not first:
            log = (Path(self.scratch) / "server.log").read_text()[-4000:]
            raise RuntimeError(f"the jwst fork server did not start:\n{log}")

    def run(self, script, args, env, cwd, timeout):
        n = next(_COUNTER)
        out = Path(self.scratch) / f"{n}.out"
        err = Path(self.scratch) / f"{n}.err"
        req = {
            "script": script,
            "args": [str(a) for a in args],
            "env": dict(env if env is not None else os.environ),
            "keep": list(_KEEP),
            "cwd": str(cwd) if cwd else None,
            "stdout": str(out),
            "stderr": str(err),
        }
        with self.lock:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            reply = _readline(self.replies, timeout)
        if reply is None:
            self.close()
            raise subprocess.TimeoutExpired([sys.executable, "-c", "..."], timeout)
        if not reply:
            self.close()
            raise RuntimeError("the jwst fork server died")
        code = json.loads(reply)["returncode"]
        stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
        out.unlink()
        err.unlink()
        return code, stdout, stderr

    def close(self):
        try:
            self.proc.kill()
            self.proc.wait(5)
        except Exception:
            pass
        shutil.rmtree(self.scratch, ignore_errors=True)


def _readline(f, timeout):
    """A line from f, '' at end of file, None after `timeout` seconds."""
    if timeout is None:
        return f.readline()
    box = []
    t = threading.Thread(target=lambda: box.append(f.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return box[0] if box else None


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_COUNTER = _counter()
_server: _Server | None = None


def _get_server() -> _Server:
    global _server
    if _server is None or _server.proc.poll() is not None:
        _server = _Server()
        atexit.register(_server.close)
    return _server


def run_python(
    script: str,
    args=(),
    *,
    env: dict | None = None,
    cwd=None,
    timeout: float | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``script`` as ``python -c script *args`` would, in a forked jwst process.

    Parameters
    ----------
    script : str
        Python source; ``sys.argv[1:]`` holds ``args``.
    env : dict, optional
        The environment of the script (``os.environ`` when not given); the offline CRDS
        variables are always those of the server.
    cwd : path, optional
        Working directory of the script.
    timeout : float, optional
        Seconds to wait; the server is stopped and ``TimeoutExpired`` raised after that.
    check : bool
        Raise ``CalledProcessError`` on a non-zero exit status.

    Returns
    -------
    subprocess.CompletedProcess
        With ``returncode`` and the text of ``stdout`` and ``stderr``.
    """
    cmd = [sys.executable, "-c", script, *map(str, args)]
    if os.environ.get("JWCAL_ORACLE_FORK", "1") == "0" or not hasattr(os, "fork"):
        return subprocess.run(
            cmd, env=env, cwd=cwd, timeout=timeout, check=check, capture_output=True, text=True
        )
    code, out, err = _get_server().run(script, args, env, cwd, timeout)
    proc = subprocess.CompletedProcess(cmd, code, out, err)
    if check and code != 0:
        raise subprocess.CalledProcessError(code, cmd, out, err)
    return proc

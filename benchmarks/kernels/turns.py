"""Implementations that take turns: each in a live process of its own, timed run by run.

The host these benchmarks run on changes speed by up to 2x within minutes.  Timing one
implementation's runs and then the other's lets that drift into the ratio; processes that
take turns see the same state of the machine.  Each keeps its own peak RSS.

The parent starts a :class:`Worker` per implementation (:func:`started`) and runs them in
turns (:func:`take_turns`); the worker side calls :func:`serve` with its run function once
its inputs are loaded.

Memory that has been idle is slow to touch again on this VM: the guest reports free memory
to its host (free page reporting, in 8 MB blocks), which takes it back, so a process that
allocates after a pause of a second or more waits for the host to supply every page again.
Filling 336 MB took 0.04 s run after run and 0.4-0.8 s after 2-8 s of idling; a one-thread
LIKELY fit of the 5x3 frame (336 MB of new products) took 0.34 s back to back and
0.66-0.87 s after 3 s of idling.  A workstation has no such cost, and in turns every worker
idles while the others run, so :func:`serve` touches as much memory as a run takes, and
frees it, before each timed run (untimed, for every implementation alike): the run then
gets pages the host backs, as on bare metal, and still pays for faulting and zeroing them.

Handing memory back costs the guest CPU time too: about 2 s after a process frees some GB,
a kernel worker reports them to the host, page block by page block, on one of the two
CPUs.  A 5x3 jump run with two threads took 0.12-0.14 s run after run and 0.36 s when it
met the report of 3.3 GB (the official jump's footprint), 1.6 s after the free; in turns
the first runs of a round, within a second of the official code's, were the slow ones (a
5x3 two-thread round went 0.30 s then 0.16 s, 0.38 s then 0.15 s), so :func:`take_turns`
waits that out after the official code's run.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SETTLE_S = 3.0  # the pause after the official code's run (see take_turns)
_peak_floor_kb = 0  # the high-water mark before the last reset (see run_footprint)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peak_rss_mb() -> float:
    """This process's own peak resident set (MB): VmHWM, as ru_maxrss can carry the
    parent's across exec (and the peak before any reset of it by :func:`run_footprint`)."""
    try:
        return max(_peak_floor_kb, _status_kb("VmHWM")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_footprint(run) -> int:
    """Call ``run()`` once and return the memory (bytes) it took beyond what was resident:
    its peak resident set less the resident set before it (the high-water mark is reset
    for this on Linux; 0 where it cannot be)."""
    global _peak_floor_kb
    try:
        _peak_floor_kb = max(_peak_floor_kb, _status_kb("VmHWM"))
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_kb("VmHWM")  # the resident set at the reset
    except OSError:
        run()
        return 0
    run()
    return max(0, _status_kb("VmHWM") - before) * 1024


def warm(nbytes: int) -> None:
    """Touch ``nbytes`` of new memory and free it (see the module's docstring)."""
    if nbytes > 0:
        block = np.empty(nbytes, np.uint8)
        block.fill(1)
        del block


def serve(run, report=None, prepare=None) -> None:
    """Worker side: run twice untimed (to measure the memory a run takes: the larger of
    the two, as a pytest worker once measured nothing for a run that took 64 MB), then
    answer each line "run" with the wall time of ``run()``; before it, untimed,
    ``prepare()`` when given (to restore inputs a run overwrites) and the touch of that much
    memory (:func:`warm`).  Any other line ends, answered with the peak RSS, the memory
    touched before each run (``warm_mb``) and whatever ``report()`` returns (a dict)."""
    need = 0
    for _ in range(2):
        if prepare is not None:
            prepare()
        need = max(need, run_footprint(run))
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        if prepare is not None:
            prepare()
        warm(need)
        t = time.perf_counter()
        run()
        print(json.dumps({"t": time.perf_counter() - t}), flush=True)
    out = {"rss_mb": peak_rss_mb(), "warm_mb": need / 2**20}
    if report is not None:
        out.update(report())
    print(json.dumps(out), flush=True)


class Worker:
    """One implementation in its own process (``argv``, which calls :func:`serve`)."""

    def __init__(self, argv: list[str], name: str):
        # idle OpenBLAS threads spin and steal the cores from whichever implementation runs
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.name = name
        self.times: list[float] = []
        self.err = tempfile.TemporaryFile(mode="w+")  # a pipe could fill and block it
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True,
            env=env,
        )  # fmt: skip
        if self._reply() != "ready":
            raise RuntimeError(f"{self.name}: unexpected start")

    def _reply(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            self.err.seek(0)
            raise RuntimeError(f"{self.name} failed:\n{self.err.read()[-3000:]}")
        return line.strip()

    def _send(self, cmd: str) -> None:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def run(self) -> float:
        """Time one run (seconds)."""
        self._send("run")
        t = json.loads(self._reply())["t"]
        self.times.append(t)
        return t

    def close(self) -> dict:
        """Stop the process; its final report (``rss_mb`` and the worker's own entries)."""
        self._send("quit")
        out = json.loads(self._reply())
        self.proc.wait()
        self.err.close()
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


@contextlib.contextmanager
def started(specs: dict):
    """Workers started from ``{key: (argv, name)}``; any still running is killed on leaving."""
    ws = {}
    try:
        for key, (argv, name) in specs.items():
            ws[key] = Worker(argv, name)
        yield ws
    finally:
        for w in ws.values():
            w.kill()


def take_turns(
    ref: Worker, others: list[Worker], rounds: int, each: int = 2, settle: float = SETTLE_S
) -> None:
    """Each round: one run of ``ref`` (the official code), a pause of ``settle`` seconds,
    then ``each`` runs of every other worker, one worker after the other (their runs are
    short: more of them move the median less).  A worker's runs of a round follow each
    other (ref, a, a, b, b): its second run finds its threads and caches as the first left
    them.  The official code runs once a round anyway (3-45 s).

    The pause lets the guest hand back the gigabytes ``ref`` freed before anything else is
    timed (see the module's docstring): the kernel does that about 2 s after the memory is
    freed, on the CPUs the next runs use."""
    for _ in range(rounds):
        ref.run()
        time.sleep(settle)
        for w in others:
            for _ in range(each):
                w.run()

"""Implementations that take turns: each in a live process of its own, timed run by run.

The host these benchmarks run on changes speed by up to 2x within minutes.  Timing one
implementation's runs and then the other's lets that drift into the ratio; processes that
take turns see the same state of the machine.  Each keeps its own peak RSS.

The parent starts a :class:`Worker` per implementation (:func:`started`) and runs them in
turns (:func:`take_turns`); the worker side calls :func:`serve` with its run function once
its inputs are loaded.
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


def peak_rss_mb() -> float:
    """This process's own peak resident set (MB): VmHWM, as ru_maxrss can carry the
    parent's across exec."""
    with open("/proc/self/status") as f:
        hwm = [line for line in f if line.startswith("VmHWM")]
    if hwm:
        return int(hwm[0].split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(run, report=None, prepare=None) -> None:
    """Worker side: answer each line "run" with the wall time of ``run()`` (``prepare()``,
    when given, runs untimed before it: to restore inputs a run overwrites); any other line
    ends, answered with the peak RSS and whatever ``report()`` returns (a dict)."""
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        if prepare is not None:
            prepare()
        t = time.perf_counter()
        run()
        print(json.dumps({"t": time.perf_counter() - t}), flush=True)
    out = {"rss_mb": peak_rss_mb()}
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


def take_turns(ref: Worker, others: list[Worker], rounds: int, each: int = 2) -> None:
    """Each round: one run of ``ref`` (the official code), then ``each`` runs of every other
    worker, one worker after the other (their runs are short: more of them move the median
    less).  A worker's runs of a round follow each other: on this VM the first run after
    another process has run is slower, by up to 0.1 s for a 0.2-0.4 s kernel run (its idle
    memory and threads coming back), which with runs alternating between workers hit every
    run; the official code runs once a round anyway (3-45 s, of which that is a small part)."""
    for _ in range(rounds):
        ref.run()
        for w in others:
            for _ in range(each):
                w.run()

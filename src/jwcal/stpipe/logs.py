"""Logging for steps and pipelines: handlers, wall time, peak memory, the summary table.

Everything logs under the ``jwcal`` logger.  The library adds no handler of its own unless
nothing would show the messages (no handler on ``jwcal`` nor on the root logger), in which
case :func:`ensure_handler` adds one for the duration of a ``Step.call``, as jwst does.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import sys

__all__ = [
    "LOGGER_NAME",
    "configure",
    "ensure_handler",
    "peak_rss_mb",
    "format_summary",
]

LOGGER_NAME = "jwcal"
_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


class _Handler(logging.StreamHandler):
    """A stream handler that looks the stream up at each record (pytest swaps it)."""

    def __init__(self, name: str):
        super().__init__()
        self._stream_name = name

    @property
    def stream(self):
        return getattr(sys, self._stream_name)

    @stream.setter
    def stream(self, value):
        pass


def configure(level="INFO", log_file=None, stream="stdout") -> None:
    """Set up ``jwcal`` logging for the command line.

    Parameters
    ----------
    level : str or int
        Threshold (``DEBUG``, ``INFO``, ``WARNING``, ...).
    log_file : str, optional
        Also write every message at or above ``level`` to this file.
    stream : {"stdout", "stderr", "null"}
        Where terminal messages go.  stdout by default, so that an error stays the one
        line on stderr.
    """
    logger = logging.getLogger(LOGGER_NAME)
    # Python warnings (astropy, numpy, ...) are logged too, through the same handlers, so
    # that nothing but an error reaches stderr.
    pywarn = logging.getLogger("py.warnings")
    for lg in (logger, pywarn):
        for h in list(lg.handlers):
            if getattr(h, "_jwcal_cli", False):
                lg.removeHandler(h)
                h.close()
    if isinstance(level, str):
        lvl = logging.getLevelName(level.upper())
        if not isinstance(lvl, int):
            from ..errors import ConfigError

            raise ConfigError(f"--log-level {level!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        level = lvl
    logger.setLevel(level)
    fmt = logging.Formatter(_FORMAT)
    handlers = []
    if stream in ("stdout", "stderr"):
        h = _Handler(stream)
        h.setFormatter(fmt)
        handlers.append(h)
    elif stream not in ("null", "none", None):
        from ..errors import ConfigError

        raise ConfigError(f"--log-stream {stream!r}: use stdout, stderr or null")
    if log_file:
        fh = logging.FileHandler(log_file)
        fh.setFormatter(fmt)
        handlers.append(fh)
    for h in handlers:
        h._jwcal_cli = True
        logger.addHandler(h)
        pywarn.addHandler(h)
    pywarn.setLevel(level)
    pywarn.propagate = False
    logging.captureWarnings(True)


@contextlib.contextmanager
def ensure_handler():
    """Show INFO messages on stderr for the duration, unless logging is already set up."""
    logger = logging.getLogger(LOGGER_NAME)
    root = logging.getLogger()
    if logger.handlers or root.handlers:
        yield
        return
    h = _Handler("stderr")
    h.setFormatter(logging.Formatter(_FORMAT))
    old = logger.level
    logger.addHandler(h)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(h)
        logger.setLevel(old)


def format_summary(rows, total: float) -> str:
    """The table a pipeline logs at its end: step, status, seconds."""
    width = max([len("step")] + [len(r[0]) for r in rows])
    lines = [f"{'step':<{width}}  {'status':<9} {'seconds':>8}"]
    for name, status, secs in rows:
        lines.append(f"{name:<{width}}  {status:<9} {secs:8.2f}")
    lines.append(f"{'total':<{width}}  {'':<9} {total:8.2f}")
    return "\n".join(lines)

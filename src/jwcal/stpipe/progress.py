"""A progress bar for loops over integrations, groups or files that take a while.

It draws on stderr, and only when stderr is a terminal and the loop has already run for a
couple of seconds: short loops, pipes, log files and tests see nothing.  ``--quiet`` turns it
off (:func:`set_enabled`)::

    for i in progress(range(nints), desc="jump: integrations"):
        ...
"""

from __future__ import annotations

import sys
import time

__all__ = ["progress", "Progress", "set_enabled"]

_enabled = True


def set_enabled(flag: bool) -> None:
    """Turn all progress bars on or off (the command line's ``--quiet`` turns them off)."""
    global _enabled
    _enabled = bool(flag)


class Progress:
    """A progress bar: use as an iterator wrapper or call :meth:`update` by hand.

    Parameters
    ----------
    iterable : iterable, optional
        Items to yield.
    total : int, optional
        Number of items (``len(iterable)`` when it has one).
    desc : str
        Label in front of the bar.
    delay : float
        Seconds before the bar first appears.
    stream : file, optional
        Where to draw (stderr).
    """

    def __init__(self, iterable=None, total=None, desc="", delay=2.0, stream=None):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total = total
        self.desc = desc
        self.delay = delay
        self.stream = stream if stream is not None else sys.stderr
        self.n = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False
        try:
            self._active = _enabled and self.stream.isatty()
        except (AttributeError, ValueError):
            self._active = False

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done and redraw (at most ten times a second)."""
        self.n += n
        if not self._active:
            return
        now = time.perf_counter()
        if now - self.start < self.delay or now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self.start
        if self.total:
            frac = min(1.0, self.n / self.total)
            width = 30
            filled = int(frac * width)
            bar = "#" * filled + "-" * (width - filled)
            eta = elapsed * (1 - frac) / frac if frac > 0 else 0.0
            text = f"{self.desc} [{bar}] {self.n}/{self.total} {elapsed:5.1f}s eta {eta:5.1f}s"
        else:
            text = f"{self.desc} {self.n} {elapsed:5.1f}s"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Finish the line if the bar was drawn."""
        if self._drawn:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
        self._active = False


def progress(iterable=None, total=None, desc="", delay=2.0):
    """Wrap a loop in a :class:`Progress` bar (drawn only on a terminal, after ``delay`` s)."""
    return Progress(iterable, total=total, desc=desc, delay=delay)

"""How many threads the compiled kernels use.

The process-wide default is 1 (like jwst, which runs single-process unless told otherwise);
``--threads N`` or :func:`set_threads` changes it.  Steps that have jwst's ``maximum_cores``
parameter take their thread count from it instead.  The kernels never read the environment:
the count is always passed to them explicitly.
"""

from __future__ import annotations

import os

from ..errors import ConfigError

__all__ = ["set_threads", "get_threads", "available_cores", "resolve_maximum_cores"]

_threads = 1


def available_cores() -> int:
    """Cores this process may run on (the CPU affinity mask when the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def set_threads(n) -> int:
    """Set the process-wide default thread count.

    Parameters
    ----------
    n : int or str
        A positive number, or one of jwst's ``maximum_cores`` words (``'quarter'``,
        ``'half'``, ``'all'``, ``'none'``).

    Returns
    -------
    int
        The previous value.
    """
    global _threads
    old = _threads
    _threads = resolve_maximum_cores(n)
    return old


def get_threads() -> int:
    """The process-wide default thread count."""
    return _threads


def resolve_maximum_cores(value) -> int:
    """Turn a ``maximum_cores`` value into a thread count, as jwst does.

    ``'none'``/``'one'`` and ``'1'`` give 1; ``'quarter'``, ``'half'``, ``'all'`` give that
    fraction of the available cores (at least 1); an integer gives itself, capped at the
    available cores.
    """
    ncores = available_cores()
    if isinstance(value, bool):
        raise ConfigError(f"maximum_cores={value!r}: expected a number or quarter/half/all")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip().lower()
        if text in ("none", "one"):
            return 1
        if text == "quarter":
            return max(1, ncores // 4)
        if text == "half":
            return max(1, ncores // 2)
        if text == "all":
            return ncores
        try:
            n = int(text)
        except ValueError:
            raise ConfigError(
                f"maximum_cores={value!r}: expected a number or none/quarter/half/all"
            ) from None
    if n < 1:
        raise ConfigError(f"thread count must be at least 1, got {n}")
    return min(n, ncores)

"""Two-point difference jump detection on up-the-ramp data."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _twopoint

__all__ = ["detect_jumps_twopoint", "TwoPointResult", "MODES"]

#: Names of the detection modes the kernel chooses between.
MODES = {0: "skipped", 1: "iterative", 2: "single_pass", 3: "sigma_clip"}


class TwoPointResult(NamedTuple):
    """What :func:`detect_jumps_twopoint` did."""

    #: "iterative", "single_pass", "sigma_clip" or "skipped" (too few usable groups).
    mode: str
    #: Groups flagged JUMP_DET by the detection itself (before neighbour and after-jump
    #: flagging, pre-existing flags included), as stcal counts its primary cosmic rays.
    n_primary: int


def _ramp4(a, name):
    a = np.asarray(a)
    if a.ndim == 3:
        return a[np.newaxis]
    if a.ndim != 4:
        raise ValueError(f"{name} must be 3-D or 4-D, got {a.ndim}-D")
    return a


def after_jump_groups(time: float, group_time: float | None) -> int:
    """Groups flagged after a large jump: ``int(time // group_time)``, as the JWST step."""
    if time <= 0:
        return 0
    if group_time is None or not group_time > 0:
        raise ValueError("group_time must be positive when an after-jump flag time is set")
    return int(time // group_time)


def gain_median(gain: np.ndarray, n_threads: int = 1) -> np.float32:
    """``numpy.nanmedian`` of a float32 gain image (NaN if every value is NaN), computed
    by the C kernel with ``n_threads`` threads."""
    g = as_c(gain, np.float32, name="gain")
    return np.float32(_twopoint.nanmedian_f32(g.reshape(1, -1), n_threads))


def electrons_threshold(dn: float, gain: np.ndarray, median: np.float32 | None = None) -> float:
    """An after-jump DN threshold in electrons, with stcal's float32 arithmetic.

    ``median``: the gain's median when already known (see :func:`gain_median`)."""
    med = gain_median(gain) if median is None else np.float32(median)
    with np.errstate(all="ignore"):
        return float(np.float32(dn) * med)


def detect_jumps_twopoint(
    data: np.ndarray,
    groupdq: np.ndarray,
    gain: np.ndarray,
    readnoise: np.ndarray,
    *,
    nframes: int = 1,
    rejection_threshold: float = 4.0,
    three_group_rejection_threshold: float = 6.0,
    four_group_rejection_threshold: float = 5.0,
    flag_4_neighbors: bool = True,
    max_jump_to_flag_neighbors: float = 1000.0,
    min_jump_to_flag_neighbors: float = 10.0,
    after_jump_flag_dn1: float = 0.0,
    after_jump_flag_time1: float = 0.0,
    after_jump_flag_dn2: float = 0.0,
    after_jump_flag_time2: float = 0.0,
    group_time: float | None = None,
    min_diffs_single_pass: int = 10,
    minimum_groups: int = 3,
    minimum_sigclip_groups: int = 100,
    only_use_ints: bool = True,
    n_threads: int = 1,
) -> TwoPointResult:
    """Flag cosmic-ray jumps in place with the two-point difference method.

    This is the algorithm of the JWST jump step (Anderson & Gordon 2011, PASP 123, 1237) as
    stcal 1.20.0 implements it.  The ramps are converted to electrons with the gain.  For
    each pixel the first differences of all integrations are compared with their median in
    units of the expected noise, ``sqrt(|median| + (readnoise * gain)**2 / nframes)``
    (READNOISE holds correlated-double-sample noise).  Groups flagged SATURATED or
    DO_NOT_USE are left out.  Three detection modes, chosen as stcal chooses them:

    - iterative (fewer than ``min_diffs_single_pass`` usable differences per integration):
      the median of the absolute differences, without the largest one when 4 or more are
      usable, is the reference; the most significant difference above the threshold
      (``rejection_threshold``, or ``four_group_rejection_threshold`` with 3 usable
      differences, ``three_group_rejection_threshold`` with 2) is flagged and left out, and
      the search repeats;
    - single pass: every difference more than ``rejection_threshold`` sigma from the median;
    - sigma clipping (at least ``minimum_sigclip_groups`` integrations, or groups when
      ``only_use_ints`` is False): each difference is clipped against the same group of the
      other integrations (or against all differences) with astropy's ``sigma_clip``
      (median, standard deviation, 5 iterations).

    Detection is skipped when fewer than ``minimum_groups`` groups are usable and sigma
    clipping does not apply.  Then the four neighbours of a jump whose significance lies
    between ``min_jump_to_flag_neighbors`` and ``max_jump_to_flag_neighbors`` are flagged,
    and the groups within ``after_jump_flag_time1`` (``time2``) seconds after a jump of at
    least ``after_jump_flag_dn1`` (``dn2``) DN.  Finally JUMP_DET is removed from groups
    that are also SATURATED or DO_NOT_USE.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Group values in DN.
    groupdq : ndarray of the same shape, uint8
        Group DQ, updated in place (JUMP_DET).
    gain : ndarray of shape (ny, nx), float32
        Gain in electrons per DN.  Pixels with a NaN gain are never flagged.
    readnoise : ndarray of shape (ny, nx), float32
        Correlated-double-sample read noise in DN.
    nframes : int
        Frames averaged in each group (NFRAMES).
    rejection_threshold, three_group_rejection_threshold, four_group_rejection_threshold : float
        Detection thresholds in sigma (defaults of the JWST step: 4, 6, 5).
    flag_4_neighbors : bool
    max_jump_to_flag_neighbors, min_jump_to_flag_neighbors : float
        Significance range (sigma) of jumps whose neighbours are flagged.
    after_jump_flag_dn1, after_jump_flag_dn2 : float
        Jump amplitudes (DN) above which later groups are flagged.
    after_jump_flag_time1, after_jump_flag_time2 : float
        Seconds after such jumps to flag; ``group_time`` turns them into groups.
    group_time : float, optional
        Seconds per group (TGROUP); needed when a flag time is set.
    min_diffs_single_pass : int
    minimum_groups : int
    minimum_sigclip_groups : int
    only_use_ints : bool
    n_threads : int
        Threads to use; the flags do not depend on it.

    Returns
    -------
    TwoPointResult
        The mode used and the number of primary jumps.
    """
    n_threads = check_threads(n_threads)
    cube = _ramp4(data, "data")
    if not isinstance(groupdq, np.ndarray) or groupdq.shape != np.shape(data):
        raise ValueError(
            f"groupdq must be an array of shape {np.shape(data)}, got "
            f"{getattr(groupdq, 'shape', type(groupdq).__name__)}"
        )
    if groupdq.dtype != np.uint8 or not groupdq.flags.c_contiguous or not groupdq.flags.writeable:
        raise ValueError("groupdq must be a writeable C-contiguous uint8 array")
    gdq = groupdq[np.newaxis] if groupdq.ndim == 3 else groupdq
    ny, nx = cube.shape[-2:]
    g = as_c(gain, np.float32, (ny, nx), "gain")
    rn = as_c(readnoise, np.float32, (ny, nx), "readnoise")
    if not nframes >= 1:
        raise ValueError(f"nframes must be at least 1, got {nframes}")
    n1 = after_jump_groups(after_jump_flag_time1, group_time)
    n2 = after_jump_groups(after_jump_flag_time2, group_time)
    # The median of the gain is a pass over the whole image: taken once, in parallel, and
    # only when groups are flagged after jumps.
    med = gain_median(g, n_threads) if n1 > 0 or n2 > 0 else None
    mode, nprim = _twopoint.twopoint(
        as_c(cube, np.float32),
        gdq,
        g,
        rn,
        rejection_threshold=float(rejection_threshold),
        three_group_threshold=float(three_group_rejection_threshold),
        four_group_threshold=float(four_group_rejection_threshold),
        flag_4_neighbors=bool(flag_4_neighbors),
        max_jump_to_flag_neighbors=float(max_jump_to_flag_neighbors),
        min_jump_to_flag_neighbors=float(min_jump_to_flag_neighbors),
        after_jump_e1=electrons_threshold(after_jump_flag_dn1, g, med) if n1 > 0 else 0.0,
        after_jump_e2=electrons_threshold(after_jump_flag_dn2, g, med) if n2 > 0 else 0.0,
        after_jump_n1=n1,
        after_jump_n2=n2,
        min_diffs_single_pass=int(min_diffs_single_pass),
        minimum_groups=int(minimum_groups),
        minimum_sigclip_groups=int(minimum_sigclip_groups),
        only_use_ints=bool(only_use_ints),
        nframes=float(nframes),
        do_not_use=dqflags.group["DO_NOT_USE"],
        saturated=dqflags.group["SATURATED"],
        jump_det=dqflags.group["JUMP_DET"],
        n_threads=n_threads,
    )
    return TwoPointResult(MODES[mode], int(nprim))

"""Large jump events: near-IR snowballs and MIRI showers."""

from __future__ import annotations

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _events

__all__ = ["flag_snowballs", "flag_showers", "find_ellipses", "ellipse_mask"]


def _groups(time: float, group_time: float | None, name: str) -> int:
    if group_time is None or not group_time > 0:
        raise ValueError(f"group_time must be positive to convert {name} into groups")
    return int(time // group_time)


def _gdq4(groupdq, shape=None):
    if not isinstance(groupdq, np.ndarray) or groupdq.ndim not in (3, 4):
        raise ValueError("groupdq must be a 3-D or 4-D array")
    if groupdq.dtype != np.uint8 or not groupdq.flags.c_contiguous or not groupdq.flags.writeable:
        raise ValueError("groupdq must be a writeable C-contiguous uint8 array")
    if shape is not None and groupdq.shape != shape:
        raise ValueError(f"groupdq must have the shape of the data {shape}, got {groupdq.shape}")
    return groupdq[np.newaxis] if groupdq.ndim == 3 else groupdq


def flag_snowballs(
    groupdq: np.ndarray,
    *,
    min_jump_area: float = 5.0,
    min_sat_area: float = 1.0,
    expand_factor: float = 2.0,
    sat_required_snowball: bool = True,
    min_sat_radius_extend: float = 2.5,
    sat_expand: int = 2,
    edge_size: int = 25,
    max_extended_radius: int = 200,
    mask_snowball_core_next_int: bool = True,
    snowball_time_masked_next_int: float = 4000.0,
    group_time: float | None = None,
    n_threads: int = 1,
) -> int:
    """Find snowballs in near-IR ramps and flag them in place.

    The algorithm of the JWST jump step's ``expand_large_events`` (stcal 1.20.0).  In each
    group, 8-connected regions of JUMP_DET pixels of at least ``min_jump_area`` pixels (holes
    filled) are described by the ellipse of their second moments.  A region is a snowball
    when the centre of a core that becomes SATURATED in this group or the next lies inside
    its ellipse (``sat_required_snowball``), or when it lies within ``edge_size`` pixels of
    the detector edge.  The snowball's ellipse, its axes grown by ``expand_factor`` times the
    minor axis, is flagged JUMP_DET in that group except on saturated pixels.  New saturated
    cores whose minor axis exceeds ``min_sat_radius_extend`` are grown by ``sat_expand``
    pixels (radius) and set to SATURATED in this and all later groups, and, with
    ``mask_snowball_core_next_int``, flagged JUMP_DET in the next integration's groups within
    ``snowball_time_masked_next_int`` seconds.

    Parameters
    ----------
    groupdq : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), uint8
        Group DQ after two-point detection, updated in place.
    min_jump_area, min_sat_area : float
        Smallest jump region and saturated core, in pixels.
    expand_factor : float
    sat_required_snowball : bool
    min_sat_radius_extend : float
    sat_expand : int
        Pixels added to the radius of grown cores.
    edge_size : int
    max_extended_radius : int
        Largest radius of a grown ellipse.
    mask_snowball_core_next_int : bool
    snowball_time_masked_next_int : float
        Seconds; with ``group_time`` the number of groups flagged in the next integration.
    group_time : float, optional
        Seconds per group; needed with ``mask_snowball_core_next_int``.
    n_threads : int
        Accepted for a uniform interface: groups depend on each other, the work is serial.

    Returns
    -------
    int
        The number of snowballs.
    """
    check_threads(n_threads)
    gdq = _gdq4(groupdq)
    persist = 0
    if mask_snowball_core_next_int:
        persist = _groups(
            snowball_time_masked_next_int, group_time, "snowball_time_masked_next_int"
        )
    return int(
        _events.snowballs(
            gdq,
            min_jump_area=float(min_jump_area),
            min_sat_area=float(min_sat_area),
            expand_factor=float(expand_factor),
            sat_required_snowball=bool(sat_required_snowball),
            min_sat_radius_extend=float(min_sat_radius_extend),
            # the JWST step doubles both: they are radii, the kernel works on full axes
            sat_expand=2.0 * sat_expand,
            edge_size=int(edge_size),
            max_extended_width=2.0 * max_extended_radius,
            mask_persist_next_int=bool(mask_snowball_core_next_int),
            persist_grps_flagged=persist,
            saturated=dqflags.group["SATURATED"],
            jump_det=dqflags.group["JUMP_DET"],
            n_threads=n_threads,
        )
    )


def flag_showers(
    data: np.ndarray,
    groupdq: np.ndarray,
    pixeldq: np.ndarray,
    gain: np.ndarray,
    readnoise: np.ndarray,
    *,
    nframes: int = 1,
    extend_snr_threshold: float = 1.2,
    extend_min_area: float = 90,
    extend_inner_radius: float = 1.0,
    extend_outer_radius: float = 2.6,
    extend_ellipse_expand_ratio: float = 1.1,
    time_masked_after_shower: float = 15.0,
    max_shower_amplitude: float = 4.0,
    max_extended_radius: int = 200,
    minimum_sigclip_groups: int = 100,
    group_time: float | None = None,
    n_threads: int = 1,
) -> int:
    """Find MIRI showers (faint extended emission around cosmic rays) and flag them in place.

    The algorithm of the JWST jump step's ``find_showers`` (stcal 1.20.0).  Each first
    difference, in electrons, becomes a significance ``|d - median| / sigma`` (the median of
    all the pixel's differences and ``sigma = sqrt(|median| + (readnoise * gain)**2 /
    nframes)``; with at least ``minimum_sigclip_groups`` integrations, the 5-sigma clipped
    median and standard deviation of the same difference across integrations).  Flagged
    pixels (JUMP_DET, SATURATED, DO_NOT_USE in the group or the pixel DQ) and reference
    pixels are masked, and the map is averaged over a ring kernel (astropy ``Ring2DKernel``
    of inner radius ``extend_inner_radius`` and width ``extend_outer_radius``: masked pixels
    are interpolated over, the outside of the detector counts as zero).  8-connected regions
    above ``extend_snr_threshold`` with at least ``extend_min_area`` pixels are showers:
    their moment ellipses, grown by ``extend_ellipse_expand_ratio``, are flagged JUMP_DET in
    that group and the groups within ``time_masked_after_shower`` seconds (saturated pixels
    excepted).  A pixel keeps its old flags in an integration when the new ones change its
    mean group difference by more than ``max_shower_amplitude * group_time`` (compared, as
    stcal does, with the difference in electrons) or leave none.  Nothing is done when
    fewer than 10 differences are usable.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Group values in DN.
    groupdq : ndarray of the same shape, uint8
        Group DQ after two-point detection, updated in place.
    pixeldq : ndarray of shape (ny, nx), uint32
    gain : ndarray of shape (ny, nx), float32
        Electrons per DN.
    readnoise : ndarray of shape (ny, nx), float32
        Correlated-double-sample read noise in DN.
    nframes : int
    extend_snr_threshold, extend_min_area : float
    extend_inner_radius, extend_outer_radius : float
        Inner radius and width of the ring kernel.
    extend_ellipse_expand_ratio : float
    time_masked_after_shower : float
        Seconds of later groups flagged.
    max_shower_amplitude : float
        Per second.  Note that jwst 3.0.0's JumpStep passes stcal's built-in 6, not its own
        parameter (default 4): use 6 to reproduce its output.
    max_extended_radius : int
    minimum_sigclip_groups : int
    group_time : float
        Seconds per group (TGROUP).
    n_threads : int
        Threads to use; the flags do not depend on it.

    Returns
    -------
    int
        The number of showers.
    """
    n_threads = check_threads(n_threads)
    d = np.asarray(data)
    if d.ndim not in (3, 4):
        raise ValueError(f"data must be 3-D or 4-D, got {d.ndim}-D")
    gdq = _gdq4(groupdq, d.shape)
    cube = as_c(d[np.newaxis] if d.ndim == 3 else d, np.float32)
    ny, nx = cube.shape[-2:]
    if group_time is None or not group_time > 0:
        raise ValueError("group_time must be positive for shower flagging")
    if not nframes >= 1:
        raise ValueError(f"nframes must be at least 1, got {nframes}")
    return int(
        _events.showers(
            cube,
            gdq,
            as_c(pixeldq, np.uint32, (ny, nx), "pixeldq"),
            as_c(gain, np.float32, (ny, nx), "gain"),
            as_c(readnoise, np.float32, (ny, nx), "readnoise"),
            snr_threshold=float(extend_snr_threshold),
            min_area=float(extend_min_area),
            inner_radius=float(extend_inner_radius),
            outer_radius=float(extend_inner_radius) + float(extend_outer_radius),
            expand_ratio=float(extend_ellipse_expand_ratio),
            groups_masked_after=_groups(time_masked_after_shower, group_time, "time_masked"),
            max_amplitude=float(max_shower_amplitude) * float(group_time),
            max_extended_width=2.0 * max_extended_radius,
            minimum_sigclip_groups=int(minimum_sigclip_groups),
            min_diffs=10,
            nframes=float(nframes),
            do_not_use=dqflags.group["DO_NOT_USE"],
            saturated=dqflags.group["SATURATED"],
            jump_det=dqflags.group["JUMP_DET"],
            reference_pixel=dqflags.pixel["REFERENCE_PIXEL"],
            n_threads=n_threads,
        )
    )


def find_ellipses(mask: np.ndarray, min_area: float = 1.0) -> list[tuple]:
    """8-connected regions of a mask described as stcal describes them.

    Parameters
    ----------
    mask : ndarray of shape (ny, nx), bool
    min_area : float
        Smallest region kept, in pixels with holes filled.

    Returns
    -------
    list of tuple
        ``((cx, cy), (h, w), angle)`` per region, in raster order of their first pixel: the
        centroid (column, row), the minor and major axis lengths of the moment ellipse minus
        one, and its orientation in degrees (scikit-image conventions).
    """
    m = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D, got {m.ndim}-D")
    return [((r[0], r[1]), (r[2], r[3]), r[4]) for r in _events.find_regions(m, float(min_area))]


def ellipse_mask(
    shape: tuple[int, int], center: tuple[float, float], axes: tuple[float, float], angle: float
) -> np.ndarray:
    """The pixels stcal's ``ellipse_subim`` fills (scikit-image's ``draw.ellipse``).

    Parameters
    ----------
    shape : (ny, nx)
    center : (cx, cy)
        Column and row; rounded half to even, as stcal rounds.
    axes : (axis1, axis2)
        Full axes across and along the major axis.
    angle : float
        Orientation in degrees.

    Returns
    -------
    ndarray of shape (ny, nx), bool
    """
    ny, nx = (int(s) for s in shape)
    return _events.ellipse_mask(
        ny, nx, float(center[0]), float(center[1]), float(axes[0]), float(axes[1]), float(angle)
    )

import numpy as np
import numpy.typing as npt

def find_regions(
    mask: npt.NDArray[np.uint8], min_area: float
) -> list[tuple[float, float, float, float, float, int, int]]: ...
def ellipse_mask(
    ny: int, nx: int, cx: float, cy: float, axis1: float, axis2: float, alpha: float
) -> npt.NDArray[np.bool_]: ...
def snowballs(
    gdq: npt.NDArray[np.uint8],
    *,
    min_jump_area: float,
    min_sat_area: float,
    expand_factor: float,
    sat_required_snowball: bool,
    min_sat_radius_extend: float,
    sat_expand: float,
    edge_size: int,
    max_extended_width: float,
    mask_persist_next_int: bool,
    persist_grps_flagged: int,
    saturated: int,
    jump_det: int,
    n_threads: int = ...,
) -> int: ...
def showers(
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    pdq: npt.NDArray[np.uint32],
    gain: npt.NDArray[np.float32],
    rnoise: npt.NDArray[np.float32],
    *,
    snr_threshold: float,
    min_area: float,
    inner_radius: float,
    outer_radius: float,
    expand_ratio: float,
    groups_masked_after: int,
    max_amplitude: float,
    max_extended_width: float,
    minimum_sigclip_groups: int,
    min_diffs: int,
    nframes: float,
    do_not_use: int,
    saturated: int,
    jump_det: int,
    reference_pixel: int,
    n_threads: int = ...,
) -> int: ...

import numpy as np
import numpy.typing as npt

def twopoint(
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    gain: npt.NDArray[np.float32],
    rnoise: npt.NDArray[np.float32],
    *,
    rejection_threshold: float,
    three_group_threshold: float,
    four_group_threshold: float,
    flag_4_neighbors: bool,
    max_jump_to_flag_neighbors: float,
    min_jump_to_flag_neighbors: float,
    after_jump_e1: float,
    after_jump_e2: float,
    after_jump_n1: int,
    after_jump_n2: int,
    min_diffs_single_pass: int,
    minimum_groups: int,
    minimum_sigclip_groups: int,
    only_use_ints: bool,
    nframes: float,
    do_not_use: int,
    saturated: int,
    jump_det: int,
    n_threads: int = ...,
) -> tuple[int, int]: ...
def nanmedian_f32(a: npt.NDArray[np.float32], n_threads: int = ...) -> float: ...

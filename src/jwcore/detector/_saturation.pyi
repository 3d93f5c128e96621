import numpy as np
import numpy.typing as npt

def flag_integration(
    data: npt.NDArray[np.float32],
    thresh: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    nosat: npt.NDArray[np.uint8] | None = ...,
    bias: npt.NDArray[np.float32] | None = ...,
    frame_mean: npt.NDArray[np.float64] | None = ...,
    frame_last: npt.NDArray[np.float64] | None = ...,
    frame_count: npt.NDArray[np.float64] | None = ...,
    zframe: npt.NDArray[np.float32] | None = ...,
    n_grow: int = ...,
    saturated: int = ...,
    do_not_use: int = ...,
    ad_floor: int = ...,
    n_threads: int = ...,
) -> None: ...
def dilate_square(
    mask: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8], n: int, n_threads: int = ...
) -> None: ...

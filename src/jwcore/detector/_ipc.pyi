import numpy as np
import numpy.typing as npt

def convolve_planes(
    planes: npt.NDArray[np.float32],
    kernel: npt.NDArray[np.float32],
    ky: int,
    kx: int,
    kernel4d: bool,
    y0: int,
    y1: int,
    x0: int,
    x1: int,
    n_threads: int = ...,
) -> None: ...

import numpy as np
import numpy.typing as npt

def linearize_groups(
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8] | None,
    coeffs: npt.NDArray[np.float32],
    sat_flag: int,
    n_threads: int = ...,
) -> None: ...
def linearize_reads(
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    coeffs: npt.NDArray[np.float32],
    icoeffs: npt.NDArray[np.float32],
    reads: npt.NDArray[np.float64],
    read_start: npt.NDArray[np.uintp],
    sat_flag: int,
    n_threads: int = ...,
) -> None: ...

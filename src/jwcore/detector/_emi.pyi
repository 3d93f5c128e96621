import numpy as np
import numpy.typing as npt

def phase_sums(
    data: npt.NDArray[np.float32],
    ok: npt.NDArray[np.uint8],
    phase_index: npt.NDArray[np.int32],
    sum_y: npt.NDArray[np.float64],
    count: npt.NDArray[np.float64],
) -> None: ...

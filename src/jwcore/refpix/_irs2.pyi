from typing import Any

import numpy as np
import numpy.typing as npt

def fft(
    z: npt.NDArray[np.complex128],
    forward: bool,
    rows: npt.NDArray[np.uint8] | None = ...,
    n_threads: int = ...,
) -> None: ...
def correct_integration(
    data: npt.NDArray[np.float32], out: npt.NDArray[np.float32], plan: Any, n_threads: int = ...
) -> None: ...
def pair_stats(
    data: npt.NDArray[np.float32], rows: npt.NDArray[np.int64], n_threads: int = ...
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

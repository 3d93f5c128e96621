from typing import Any

import numpy as np
import numpy.typing as npt

def correct_groups(
    data: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    plan: Any,
    first_f32: bool,
    n_threads: int = ...,
) -> None: ...
def clipped_mean(
    values: npt.NDArray[np.floating], siglimit: float
) -> tuple[float | None, bool]: ...
def median(values: npt.NDArray[np.floating]) -> float: ...

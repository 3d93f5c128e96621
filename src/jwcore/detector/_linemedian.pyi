import numpy as np
import numpy.typing as npt

def masked_line_medians(
    img: npt.NDArray[np.float32],
    use: npt.NDArray[np.uint8],
    axis: int,
    fill_value: float,
    out: npt.NDArray[np.float32],
    n_threads: int = ...,
) -> None: ...

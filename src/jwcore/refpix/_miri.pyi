import numpy as np
import numpy.typing as npt

def correct(
    data: npt.NDArray[np.float32],
    out: npt.NDArray[np.float32],
    ref_ok: npt.NDArray[np.uint8],
    odd_even_rows: bool,
    siglimit: float,
    n_threads: int = ...,
) -> None: ...

import numpy as np
import numpy.typing as npt

class OlsSetup:
    def __init__(
        self,
        frame_time: float,
        group_time: float,
        nframes: int,
        groupgap: int,
        dropframes: int,
        suppress_one_group: bool,
        flags: tuple[int, int, int, int, int, int],
        bitwise: bool = ...,
    ) -> None: ...

def median_sum(
    setup: OlsSetup,
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    zeroframe: npt.NDArray[np.float32] | None,
    gain: npt.NDArray[np.float32],
    out: npt.NDArray[np.float64],
    n_threads: int = ...,
) -> None: ...
def fit(
    setup: OlsSetup,
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    pixeldq: npt.NDArray[np.uint32],
    readnoise: npt.NDArray[np.float32],
    gain: npt.NDArray[np.float32],
    dark: npt.NDArray[np.float32] | None,
    zeroframe: npt.NDArray[np.float32] | None,
    median_sum_in: npt.NDArray[np.float64] | None,
    median_nints: float,
    ints: tuple[np.ndarray, ...],
    acc: tuple[np.ndarray, ...] | None,
    rate: tuple[np.ndarray, ...] | None,
    opt: tuple[np.ndarray, ...] | None,
    n_threads: int = ...,
) -> None: ...
def accum_init(acc: tuple[np.ndarray, ...]) -> None: ...
def finish(
    setup: OlsSetup,
    pixeldq: npt.NDArray[np.uint32],
    gain: npt.NDArray[np.float32],
    acc: tuple[np.ndarray, ...],
    rate: tuple[np.ndarray, ...],
    ngroups: int,
    n_threads: int = ...,
) -> None: ...
def count(
    setup: OlsSetup,
    data: npt.NDArray[np.float32],
    gdq: npt.NDArray[np.uint8],
    zeroframe: npt.NDArray[np.float32] | None,
    n_threads: int = ...,
) -> tuple[int, int]: ...

import numpy as np
import numpy.typing as npt

def flag_persistence(
    gdq: npt.NDArray[np.uint8],
    data: npt.NDArray[np.float32] | None,
    window: npt.NDArray[np.float64],
    times: npt.NDArray[np.float64],
    duration: float,
    dn_threshold: float,
    sat_flag: int,
    flag: int,
    n_threads: int = ...,
) -> int: ...
def flag_charge_migration(
    gdq: npt.NDArray[np.uint8],
    data: npt.NDArray[np.float32],
    threshold: float,
    skip_dq: int,
    flag: int,
    n_threads: int = ...,
) -> None: ...

"""Layout checks shared by the ramp-fitting bridges (_ols, _likely)."""


cdef inline size_t plane_stride(tuple planes, Py_ssize_t nints, Py_ssize_t ny, Py_ssize_t nx,
                                str name) except? 0:
    """Elements between the planes of 3-D outputs of 4-byte items whose rows are contiguous
    (the same for all of them): ny * nx when contiguous, more when the planes sit apart
    (in the groups of the ramps, say)."""
    cdef size_t stride = 0, s
    for arr in planes:
        if arr.shape[0] != nints or arr.shape[1] != ny or arr.shape[2] != nx:
            raise ValueError(f"{name} output shape does not match the data")
        if arr.strides[2] != 4 or (ny > 1 and arr.strides[1] != 4 * nx):
            raise ValueError(f"{name} outputs need contiguous rows")
        if nints > 1 and (arr.strides[0] % 4 or arr.strides[0] < 4 * nx * ny):
            raise ValueError(f"{name} output planes overlap")
        s = <size_t>(arr.strides[0] // 4) if nints > 1 else <size_t>(nx * ny)
        if stride and s != stride:
            raise ValueError(f"{name} outputs must all have the same plane stride")
        stride = s
    return stride

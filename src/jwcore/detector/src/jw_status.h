/* Status codes shared by the detector kernels (the saturation kernel defines the same). */
#ifndef JWCORE_STATUS_H
#define JWCORE_STATUS_H

#ifndef JW_OK
#define JW_OK 0
#endif
#ifndef JW_ERR_ALLOC
#define JW_ERR_ALLOC 1
#endif
#ifndef JW_ERR_ARG
#define JW_ERR_ARG 2
#endif

#endif

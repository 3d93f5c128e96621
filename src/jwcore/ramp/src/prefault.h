/* Faulting in the pages of new products from every thread of a parallel region.
 *
 * The products of a fit are new memory: the kernel zeroes each page when it is first
 * written (a 2 MB huge page at a time, where numpy asked for them), which is a fifth of a
 * full-frame OLS fit.  When threads share rows, they write the same new pages at the same
 * moment and each zeroes its own copy of the page, of which the kernel keeps one: the work
 * is done twice instead of being shared.  Instead, each thread of the region faults in its
 * own share of the products' pages first (MADV_POPULATE_WRITE, Linux 5.14: the contents
 * are left as they are, so products that lie in the input's memory are safe), in 2 MB
 * steps.  Where the call is not available it does nothing and the pages fault as before.
 */
#ifndef JWCORE_RAMP_PREFAULT_H
#define JWCORE_RAMP_PREFAULT_H

#include <stddef.h>

/* Fault in thread `tid` of `nth`'s share of the pages of [p, p + nbytes). */
void ramp_prefault_share(void *p, size_t nbytes, int tid, int nth);

#endif

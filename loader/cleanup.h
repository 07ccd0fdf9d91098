/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ownership helpers of the loader (after bpfilter's helper.h): a variable
 * that owns a kernel object or an allocation is declared with a cleanup
 * attribute and starts at -1 / NULL; ownership leaves it only through
 * TAKE_FD / TAKE_PTR. Each function can then be checked on its own: any
 * return path releases exactly what was not handed over.
 */
#ifndef POLC_LOADER_CLEANUP_H
#define POLC_LOADER_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void polc_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void polc_freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(polc_closep)))
#define _cleanup_free_ __attribute__((cleanup(polc_freep)))

#define TAKE_FD(fd)                   \
	({                            \
		int _polc_fd = (fd);  \
		(fd) = -1;            \
		_polc_fd;             \
	})

#define TAKE_PTR(p)                            \
	({                                     \
		__typeof__(p) _polc_ptr = (p); \
		(p) = NULL;                    \
		_polc_ptr;                     \
	})

#define POLC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

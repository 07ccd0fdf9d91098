/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Arena-backed growable arrays. A VEC(T) is a plain struct {items, len,
 * cap}; growing it copies into a larger arena block (the old block is
 * reclaimed with the arena). vec_push() returns 0 or -ENOMEM.
 */
#ifndef POLC_UTIL_VEC_H
#define POLC_UTIL_VEC_H

#include <errno.h>
#include <stddef.h>

#include "arena.h"

#define VEC(T)              \
	struct {            \
		T *items;   \
		size_t len; \
		size_t cap; \
	}

int vec_grow_(struct arena *arena, void **items, size_t *cap, size_t len, size_t elem_size);

#define vec_push(arena, v, ...)                                                      \
	(((v)->len < (v)->cap ||                                                     \
	  vec_grow_((arena), (void **)&(v)->items, &(v)->cap, (v)->len,               \
		    sizeof(*(v)->items)) == 0)                                        \
		 ? ((v)->items[(v)->len++] = (__VA_ARGS__), 0)                        \
		 : -ENOMEM)

/* Reserve one zeroed slot and return a pointer to it, or NULL. */
#define vec_add(arena, v)                                                            \
	(((v)->len < (v)->cap ||                                                     \
	  vec_grow_((arena), (void **)&(v)->items, &(v)->cap, (v)->len,               \
		    sizeof(*(v)->items)) == 0)                                        \
		 ? &(v)->items[(v)->len++]                                            \
		 : NULL)

#define vec_foreach(v, it) for (__typeof__((v)->items) it = (v)->items; it && it < (v)->items + (v)->len; it++)

#endif

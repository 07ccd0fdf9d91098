/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "vec.h"

#include <stdint.h>
#include <string.h>

int vec_grow_(struct arena *arena, void **items, size_t *cap, size_t len, size_t elem_size)
{
	size_t new_cap = *cap ? *cap * 2 : 8;
	if (new_cap > SIZE_MAX / elem_size)
		return -ENOMEM;
	void *p = arena_alloc(arena, new_cap * elem_size);
	if (!p)
		return -ENOMEM;
	if (*items && len)
		memcpy(p, *items, len * elem_size);
	*items = p;
	*cap = new_cap;
	return 0;
}

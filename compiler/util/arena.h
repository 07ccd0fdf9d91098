/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Arena allocator: one per compilation. Everything the front end, the IR
 * and the passes allocate lives here and is released at once by
 * arena_free(), so no pass owns or frees individual objects.
 *
 * Allocation failure returns NULL (never aborts); callers propagate -ENOMEM.
 */
#ifndef POLC_UTIL_ARENA_H
#define POLC_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *arena);

/* Zeroed memory aligned to 16 bytes, or NULL. */
void *arena_alloc(struct arena *arena, size_t size);
/* Like arena_alloc(n * size) with overflow check. */
void *arena_calloc(struct arena *arena, size_t n, size_t size);
/* Grow an arena array (old contents copied; old block is not reclaimed). */
void *arena_realloc(struct arena *arena, void *old, size_t old_size, size_t new_size);

char *arena_strdup(struct arena *arena, const char *s);
char *arena_strndup(struct arena *arena, const char *s, size_t n);
char *arena_printf(struct arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *arena, const char *fmt, va_list ap);

/* Bytes handed out so far (for memory benchmarks and limits). */
size_t arena_used(const struct arena *arena);

#endif

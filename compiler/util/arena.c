/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Bump allocator over a list of chunks. Large requests get a chunk of
 * their own so a huge scalar never wastes the rest of a shared chunk.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_SIZE (64 * 1024)
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;
	size_t total;
};

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void arena_free(struct arena *arena)
{
	if (!arena)
		return;
	struct arena_chunk *c = arena->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(arena);
}

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *arena_alloc(struct arena *arena, size_t size)
{
	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

	struct arena_chunk *c = arena->head;
	if (!c || c->size - c->used < size) {
		if (size > ARENA_CHUNK_SIZE / 4) {
			/* Dedicated chunk, linked behind the current one. */
			struct arena_chunk *big = chunk_new(size);
			if (!big)
				return NULL;
			big->used = size;
			if (c) {
				big->next = c->next;
				c->next = big;
			} else {
				arena->head = big;
			}
			arena->total += size;
			memset(big->data, 0, size);
			return big->data;
		}
		c = chunk_new(ARENA_CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = arena->head;
		arena->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	arena->total += size;
	memset(p, 0, size);
	return p;
}

void *arena_calloc(struct arena *arena, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(arena, n * size);
}

void *arena_realloc(struct arena *arena, void *old, size_t old_size, size_t new_size)
{
	if (new_size <= old_size)
		return old;
	void *p = arena_alloc(arena, new_size);
	if (p && old && old_size)
		memcpy(p, old, old_size);
	return p;
}

char *arena_strndup(struct arena *arena, const char *s, size_t n)
{
	char *p = arena_alloc(arena, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *arena, const char *s)
{
	return arena_strndup(arena, s, strlen(s));
}

char *arena_vprintf(struct arena *arena, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(arena, (size_t)n + 1);
	if (!p)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return p;
}

size_t arena_used(const struct arena *arena)
{
	return arena->total;
}

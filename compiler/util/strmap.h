/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * String-keyed hash map in the arena (open addressing, linear probing).
 * Used where input size decides the number of keys: YAML anchors and
 * duplicate-key checks, duplicate objects, pod addresses. Keys are byte
 * strings (pointer + length) that must outlive the map; they are not
 * copied. Lookups never depend on iteration order, so nothing the
 * compiler emits depends on the hash.
 *
 * The hash is seeded per map (from the map's address) so that a crafted
 * input cannot precompute colliding keys for every run.
 */
#ifndef POLC_UTIL_STRMAP_H
#define POLC_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct strmap_slot {
	const char *key; /* NULL: empty slot */
	size_t len;
	uint64_t hash;
	void *value;
};

struct strmap {
	struct arena *arena;
	struct strmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
	uint64_t seed;
};

void strmap_init(struct strmap *map, struct arena *arena);

/* Value stored for key, or NULL when absent. */
void *strmap_get(const struct strmap *map, const char *key, size_t len);

/*
 * Insert key -> value unless key is present. Returns 1 when inserted,
 * 0 when the key was already there (*existing, if not NULL, gets its
 * value; the map is unchanged), -ENOMEM.
 */
int strmap_add(struct strmap *map, const char *key, size_t len, void *value, void **existing);

/* Insert or replace. 0 or -ENOMEM. */
int strmap_set(struct strmap *map, const char *key, size_t len, void *value);

#endif

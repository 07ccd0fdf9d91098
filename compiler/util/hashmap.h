/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Open-addressing hash table over fixed-size byte keys and values, in the
 * compilation arena. Used where the passes merge many candidate entries
 * (policy map entries, identities, deduplicated rule sets). No deletion.
 * Values are aligned as their size suggests (up to 8 bytes: pointers,
 * uint64_t), so callers use them in place.
 */
#ifndef POLC_UTIL_HASHMAP_H
#define POLC_UTIL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct hashmap {
	struct arena *arena;
	size_t key_size;
	size_t value_size;
	size_t value_off; /* key_size rounded up to the value's alignment */
	size_t entry;     /* value_off + value_size, likewise rounded: every value aligned */
	size_t n;         /* entries stored */
	size_t cap;       /* slots, a power of two */
	uint8_t *used;    /* cap flags */
	uint8_t *slots;   /* cap x entry */
};

int hashmap_init(struct hashmap *map, struct arena *arena, size_t key_size, size_t value_size);
/*
 * Find key; if absent insert it with a zeroed value. *value points at the
 * stored value, *inserted tells which happened. 0 or -ENOMEM.
 */
int hashmap_upsert(struct hashmap *map, const void *key, void **value, bool *inserted);
/* Stored value for key, or NULL. */
void *hashmap_find(const struct hashmap *map, const void *key);

/* Iterate: for (size_t i = 0; hashmap_next(map, &i, &k, &v);) */
bool hashmap_next(const struct hashmap *map, size_t *iter, const void **key, void **value);

uint64_t hash_bytes(const void *data, size_t size);

#endif

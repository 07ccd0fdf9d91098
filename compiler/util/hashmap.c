/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "hashmap.h"

#include <errno.h>
#include <string.h>

uint64_t hash_bytes(const void *data, size_t size)
{
	/* FNV-1a with a final avalanche: keys here are short and structured. */
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < size; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static int hashmap_alloc(struct hashmap *map, size_t cap)
{
	map->used = arena_calloc(map->arena, cap, 1);
	map->slots = arena_calloc(map->arena, cap, map->entry);
	if (!map->used || !map->slots)
		return -ENOMEM;
	map->cap = cap;
	return 0;
}

int hashmap_init(struct hashmap *map, struct arena *arena, size_t key_size, size_t value_size)
{
	memset(map, 0, sizeof(*map));
	map->arena = arena;
	map->key_size = key_size;
	map->value_size = value_size;
	/* The largest power of two dividing the value's size, at most 8, is enough for any value type. */
	size_t align = value_size ? 8 : 1;
	while (align > 1 && value_size % align)
		align /= 2;
	map->value_off = (key_size + align - 1) / align * align;
	map->entry = (map->value_off + value_size + align - 1) / align * align;
	return hashmap_alloc(map, 64);
}

static size_t probe(const struct hashmap *map, const void *key, bool *found)
{
	size_t entry = map->entry;
	size_t mask = map->cap - 1;
	size_t i = (size_t)hash_bytes(key, map->key_size) & mask;
	while (map->used[i]) {
		if (memcmp(map->slots + i * entry, key, map->key_size) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

static int grow(struct hashmap *map)
{
	struct hashmap old = *map;
	size_t entry = map->entry;
	int err = hashmap_alloc(map, old.cap * 2);
	if (err) {
		*map = old;
		return err;
	}
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.used[i])
			continue;
		bool found;
		size_t j = probe(map, old.slots + i * entry, &found);
		map->used[j] = 1;
		memcpy(map->slots + j * entry, old.slots + i * entry, entry);
	}
	return 0;
}

int hashmap_upsert(struct hashmap *map, const void *key, void **value, bool *inserted)
{
	if ((map->n + 1) * 4 > map->cap * 3) {
		int err = grow(map);
		if (err)
			return err;
	}
	size_t entry = map->entry;
	bool found;
	size_t i = probe(map, key, &found);
	if (!found) {
		map->used[i] = 1;
		memcpy(map->slots + i * entry, key, map->key_size);
		map->n++;
	}
	*value = map->slots + i * entry + map->value_off;
	if (inserted)
		*inserted = !found;
	return 0;
}

void *hashmap_find(const struct hashmap *map, const void *key)
{
	bool found;
	size_t i = probe(map, key, &found);
	return found ? map->slots + i * map->entry + map->value_off : NULL;
}

bool hashmap_next(const struct hashmap *map, size_t *iter, const void **key, void **value)
{
	size_t entry = map->entry;
	while (*iter < map->cap) {
		size_t i = (*iter)++;
		if (map->used[i]) {
			*key = map->slots + i * entry;
			*value = map->slots + i * entry + map->value_off;
			return true;
		}
	}
	return false;
}

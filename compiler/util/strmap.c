/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Arena-backed string hash map: see strmap.h. */
#include "strmap.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

void strmap_init(struct strmap *map, struct arena *arena)
{
	memset(map, 0, sizeof(*map));
	map->arena = arena;
	/* Different per map and per run (ASLR); never observable in output. */
	map->seed = (uint64_t)(uintptr_t)map * 0x9e3779b97f4a7c15ull ^ 0xcbf29ce484222325ull;
}

static uint64_t strmap_hash(const struct strmap *map, const char *key, size_t len)
{
	uint64_t h = map->seed;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	/* Final avalanche (splitmix64) so low bits depend on every byte. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static struct strmap_slot *strmap_find(const struct strmap *map, const char *key, size_t len, uint64_t hash)
{
	size_t mask = map->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &map->slots[i];
		if (!s->key)
			return s;
		if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
			return s;
	}
}

static int strmap_grow(struct strmap *map)
{
	size_t cap = map->cap ? map->cap * 2 : 16;
	struct strmap_slot *slots = arena_calloc(map->arena, cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	struct strmap_slot *old = map->slots;
	size_t old_cap = map->cap;
	map->slots = slots;
	map->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].key)
			continue;
		*strmap_find(map, old[i].key, old[i].len, old[i].hash) = old[i];
	}
	return 0;
}

void *strmap_get(const struct strmap *map, const char *key, size_t len)
{
	if (map->cap == 0)
		return NULL;
	struct strmap_slot *s = strmap_find(map, key, len, strmap_hash(map, key, len));
	return s->key ? s->value : NULL;
}

static int strmap_put(struct strmap *map, const char *key, size_t len, void *value, void **existing,
		      bool replace)
{
	/* Keep the load factor under 1/2 so probes stay short. */
	if ((map->len + 1) * 2 > map->cap) {
		int err = strmap_grow(map);
		if (err)
			return err;
	}
	uint64_t hash = strmap_hash(map, key, len);
	struct strmap_slot *s = strmap_find(map, key, len, hash);
	if (s->key) {
		if (existing)
			*existing = s->value;
		if (replace)
			s->value = value;
		return 0;
	}
	s->key = key;
	s->len = len;
	s->hash = hash;
	s->value = value;
	map->len++;
	return 1;
}

int strmap_add(struct strmap *map, const char *key, size_t len, void *value, void **existing)
{
	return strmap_put(map, key, len, value, existing, false);
}

int strmap_set(struct strmap *map, const char *key, size_t len, void *value)
{
	int ret = strmap_put(map, key, len, value, NULL, true);
	return ret < 0 ? ret : 0;
}

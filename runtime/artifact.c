/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Artifact container: writing (compiler) and validated reading (loader,
 * libpolc, polc inspect). See polc/artifact.h for the format.
 */
#include "polc/artifact.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "polc/layout.h"

struct pending_section {
	char name[POLC_ARTIFACT_NAME_MAX];
	void *data;
	size_t size;
};

struct polc_artifact_writer {
	struct pending_section *sections;
	size_t n, cap;
};

uint64_t polc_hash64(const void *data, size_t size, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed;
	for (size_t i = 0; i < size; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct polc_artifact_writer *polc_artifact_writer_new(void)
{
	return calloc(1, sizeof(struct polc_artifact_writer));
}

void polc_artifact_writer_free(struct polc_artifact_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->sections[i].data);
	free(w->sections);
	free(w);
}

int polc_artifact_add(struct polc_artifact_writer *w, const char *name, const void *data, size_t size)
{
	if (strlen(name) >= POLC_ARTIFACT_NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->sections[i].name, name) == 0)
			return -EEXIST;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct pending_section *p = realloc(w->sections, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		w->sections = p;
		w->cap = cap;
	}
	void *copy = malloc(size ? size : 1);
	if (!copy)
		return -ENOMEM;
	if (size)
		memcpy(copy, data, size);
	struct pending_section *s = &w->sections[w->n++];
	memset(s->name, 0, sizeof(s->name));
	strcpy(s->name, name);
	s->data = copy;
	s->size = size;
	return 0;
}

static int section_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pending_section *)a)->name, ((const struct pending_section *)b)->name);
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int polc_artifact_serialize(struct polc_artifact_writer *w, void **out, size_t *out_size)
{
	qsort(w->sections, w->n, sizeof(*w->sections), section_cmp);
	size_t off = align8(sizeof(struct polc_artifact_header) + w->n * sizeof(struct polc_artifact_section));
	size_t total = off;
	for (size_t i = 0; i < w->n; i++)
		total = align8(total + w->sections[i].size);
	uint8_t *buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	struct polc_artifact_header *h = (void *)buf;
	memcpy(h->magic, POLC_ARTIFACT_MAGIC, sizeof(POLC_ARTIFACT_MAGIC));
	h->format = POLC_ARTIFACT_FORMAT;
	h->layout = POLC_LAYOUT_VERSION;
	h->n_sections = (uint32_t)w->n;
	struct polc_artifact_section *table = (void *)(buf + sizeof(*h));
	for (size_t i = 0; i < w->n; i++) {
		memcpy(table[i].name, w->sections[i].name, POLC_ARTIFACT_NAME_MAX);
		table[i].offset = off;
		table[i].size = w->sections[i].size;
		if (w->sections[i].size)
			memcpy(buf + off, w->sections[i].data, w->sections[i].size);
		off = align8(off + w->sections[i].size);
	}
	*out = buf;
	*out_size = total;
	return 0;
}

static int fail(char *err, size_t err_size, int code, const char *fmt, ...)
{
	if (err && err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return code;
}

int polc_artifact_parse(const void *data, size_t size, struct polc_artifact **out, char *err, size_t err_size)
{
	if (size < sizeof(struct polc_artifact_header))
		return fail(err, err_size, -EINVAL, "not a polc artifact (file too short)");
	const struct polc_artifact_header *h = data;
	if (memcmp(h->magic, POLC_ARTIFACT_MAGIC, sizeof(POLC_ARTIFACT_MAGIC)) != 0)
		return fail(err, err_size, -EINVAL, "not a polc artifact (bad magic)");
	if (h->format != POLC_ARTIFACT_FORMAT)
		return fail(err, err_size, -EINVAL, "artifact format %u, this polc reads format %u",
			    h->format, POLC_ARTIFACT_FORMAT);
	if (h->layout != POLC_LAYOUT_VERSION)
		return fail(err, err_size, -EINVAL, "artifact map layout %u, this polc uses layout %u; recompile it",
			    h->layout, POLC_LAYOUT_VERSION);
	if (h->n_sections > 100000 ||
	    sizeof(*h) + (size_t)h->n_sections * sizeof(struct polc_artifact_section) > size)
		return fail(err, err_size, -EINVAL, "artifact section table out of bounds");
	const struct polc_artifact_section *table = (const void *)((const uint8_t *)data + sizeof(*h));
	for (uint32_t i = 0; i < h->n_sections; i++) {
		const struct polc_artifact_section *s = &table[i];
		if (memchr(s->name, '\0', sizeof(s->name)) == NULL)
			return fail(err, err_size, -EINVAL, "artifact section %u has no name", i);
		if (s->offset > size || s->size > size - s->offset)
			return fail(err, err_size, -EINVAL, "artifact section %s out of bounds", s->name);
		/* The writer sorts by name: a duplicate would make lookups depend on table order. */
		if (i > 0 && strcmp(table[i - 1].name, s->name) >= 0)
			return fail(err, err_size, -EINVAL, "artifact sections not sorted or duplicated at %s", s->name);
	}
	struct polc_artifact *a = calloc(1, sizeof(*a));
	uint8_t *copy = malloc(size);
	if (!a || !copy) {
		free(a);
		free(copy);
		return -ENOMEM;
	}
	memcpy(copy, data, size);
	a->data = copy;
	a->size = size;
	a->header = (const void *)copy;
	a->sections = (const void *)(copy + sizeof(*h));
	*out = a;
	return 0;
}

int polc_artifact_read(const char *path, struct polc_artifact **out, char *err, size_t err_size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(err, err_size, -EINVAL, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > POLC_ARTIFACT_MAX_SIZE) {
		fclose(f);
		return fail(err, err_size, -EFBIG, "%s: artifact too large", path);
	}
	size_t size = (size_t)st.st_size;
	void *buf = malloc(size ? size : 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	size_t got = fread(buf, 1, size, f);
	int read_err = ferror(f);
	fclose(f);
	if (read_err || got != size) {
		free(buf);
		return fail(err, err_size, -EIO, "%s: read error", path);
	}
	char inner[256] = "";
	int rc = polc_artifact_parse(buf, size, out, inner, sizeof(inner));
	free(buf);
	if (rc)
		return fail(err, err_size, rc, "%s: %s", path, inner[0] ? inner : strerror(-rc));
	return 0;
}

void polc_artifact_free(struct polc_artifact *a)
{
	if (!a)
		return;
	free(a->data);
	free(a);
}

const void *polc_artifact_section(const struct polc_artifact *a, const char *name, size_t *size)
{
	for (uint32_t i = 0; i < a->header->n_sections; i++) {
		if (strcmp(a->sections[i].name, name) == 0) {
			if (size)
				*size = a->sections[i].size;
			return a->data + a->sections[i].offset;
		}
	}
	return NULL;
}

int polc_artifact_map_view(const struct polc_artifact *a, const char *map, struct polc_map_view *out)
{
	char name[POLC_ARTIFACT_NAME_MAX];
	if ((size_t)snprintf(name, sizeof(name), "map/%s", map) >= sizeof(name))
		return -ENAMETOOLONG;
	size_t size;
	const uint8_t *p = polc_artifact_section(a, name, &size);
	if (!p)
		return -ENOENT;
	struct polc_artifact_map hdr;
	if (size < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, p, sizeof(hdr));
	uint64_t entry = (uint64_t)hdr.key_size + hdr.value_size;
	uint64_t body = size - sizeof(hdr);
	/* Divide, never multiply: entry * n_entries can wrap to match a tiny section. */
	if (hdr.key_size == 0 || hdr.value_size == 0 || body % entry != 0 || body / entry != hdr.n_entries ||
	    hdr.n_entries > hdr.max_entries)
		return -EINVAL;
	out->name = map;
	out->key_size = hdr.key_size;
	out->value_size = hdr.value_size;
	out->n_entries = hdr.n_entries;
	out->max_entries = hdr.max_entries;
	out->entries = p + sizeof(hdr);
	return 0;
}

int polc_artifact_info(const struct polc_artifact *a, const char *key, char *buf, size_t size)
{
	size_t len;
	const char *p = polc_artifact_section(a, "meta/info", &len);
	if (!p)
		return -ENOENT;
	size_t klen = strlen(key);
	const char *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		if ((size_t)(line_end - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = (size_t)(line_end - p) - klen - 1;
			if (vlen + 1 > size)
				return -ENOSPC;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = '\0';
			return 0;
		}
		p = line_end + 1;
	}
	return -ENOENT;
}

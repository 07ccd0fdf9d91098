/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Artifact container: a valid artifact round-trips, and every truncated,
 * corrupt or hostile one is refused with a message instead of being read
 * out of bounds (run under ASan to make the second half mean something).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "polc/artifact.h"
#include "polc/layout.h"

struct blob {
	uint8_t *data;
	size_t size;
};

static void map_section(uint8_t *buf, uint32_t key, uint32_t value, uint32_t n, uint32_t max)
{
	struct polc_artifact_map h = { key, value, n, max };
	memcpy(buf, &h, sizeof(h));
}

/* A small valid artifact: an ELF-ish blob, one map with 3 entries, meta/info. */
static struct blob make_valid(void)
{
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	assert_non_null(w);
	uint8_t map[sizeof(struct polc_artifact_map) + 3 * 8];
	map_section(map, 4, 4, 3, 10);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t kv[2] = { i, i * 100 };
		memcpy(map + sizeof(struct polc_artifact_map) + i * 8, kv, 8);
	}
	const char info[] = "revision=0123456789abcdef\nendpoints_max=8\nrevisionx=no\n";
	/* Added out of order: serialize sorts. */
	assert_int_equal(polc_artifact_add(w, "meta/info", info, sizeof(info) - 1), 0);
	assert_int_equal(polc_artifact_add(w, "map/m", map, sizeof(map)), 0);
	assert_int_equal(polc_artifact_add(w, "bpf/gen.o", "\177ELF....", 8), 0);
	assert_int_equal(polc_artifact_add(w, "empty", "", 0), 0);
	assert_int_equal(polc_artifact_add(w, "map/m", map, sizeof(map)), -EEXIST);
	assert_int_equal(polc_artifact_add(w, "a-name-that-is-far-too-long-for-the-table", "", 0), -ENAMETOOLONG);
	struct blob b;
	void *data;
	assert_int_equal(polc_artifact_serialize(w, &data, &b.size), 0);
	b.data = data;
	polc_artifact_writer_free(w);
	return b;
}

static int parse(const struct blob *b, char *err, size_t err_size)
{
	struct polc_artifact *a = NULL;
	int rc = polc_artifact_parse(b->data, b->size, &a, err, err_size);
	if (rc == 0) {
		assert_non_null(a);
		polc_artifact_free(a);
	} else {
		assert_null(a); /* *out untouched */
	}
	return rc;
}

static void test_round_trip(void **state)
{
	struct blob b = make_valid();
	struct polc_artifact *a = NULL;
	char err[256] = "";
	assert_int_equal(polc_artifact_parse(b.data, b.size, &a, err, sizeof(err)), 0);
	assert_int_equal(a->header->n_sections, 4);
	/* Sorted by name whatever the order of addition. */
	assert_string_equal(a->sections[0].name, "bpf/gen.o");
	assert_string_equal(a->sections[3].name, "meta/info");

	size_t size = 0;
	const char *elf = polc_artifact_section(a, "bpf/gen.o", &size);
	assert_non_null(elf);
	assert_int_equal(size, 8);
	assert_memory_equal(elf, "\177ELF", 4);
	assert_non_null(polc_artifact_section(a, "empty", &size));
	assert_int_equal(size, 0);
	assert_null(polc_artifact_section(a, "nope", NULL));

	struct polc_map_view v;
	assert_int_equal(polc_artifact_map_view(a, "m", &v), 0);
	assert_int_equal(v.n_entries, 3);
	assert_int_equal(v.max_entries, 10);
	uint32_t kv[2];
	memcpy(kv, v.entries + 2 * 8, 8);
	assert_int_equal(kv[0], 2);
	assert_int_equal(kv[1], 200);
	assert_int_equal(polc_artifact_map_view(a, "absent", &v), -ENOENT);

	char buf[32];
	assert_int_equal(polc_artifact_info(a, "revision", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0123456789abcdef");
	assert_int_equal(polc_artifact_info(a, "endpoints_max", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8");
	assert_int_equal(polc_artifact_info(a, "revisio", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(polc_artifact_info(a, "revision", buf, 4), -ENOSPC);
	polc_artifact_free(a);
	free(b.data);
}

static void test_deterministic(void **state)
{
	struct blob a = make_valid(), b = make_valid();
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.data, b.data, a.size);
	free(a.data);
	free(b.data);
}

static void test_too_short_and_magic(void **state)
{
	struct blob b = make_valid();
	char err[256] = "";
	struct blob s = { b.data, 10 };
	assert_int_equal(parse(&s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too short"));

	b.data[0] = 'X';
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad magic"));
	b.data[0] = 'P';

	struct polc_artifact_header *h = (void *)b.data;
	h->format = 99;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "format 99"));
	h->format = POLC_ARTIFACT_FORMAT;
	h->layout = POLC_LAYOUT_VERSION + 1;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "recompile"));
	h->layout = POLC_LAYOUT_VERSION;
	assert_int_equal(parse(&b, err, sizeof(err)), 0);
	free(b.data);
}

/* Every truncation that cuts into a section, or the table, is refused. */
static void test_every_truncation(void **state)
{
	struct blob b = make_valid();
	struct polc_artifact *a = NULL;
	assert_int_equal(polc_artifact_parse(b.data, b.size, &a, NULL, 0), 0);
	size_t data_end = 0;
	for (uint32_t i = 0; i < a->header->n_sections; i++) {
		size_t end = a->sections[i].offset + a->sections[i].size;
		if (end > data_end)
			data_end = end;
	}
	polc_artifact_free(a);
	for (size_t len = 0; len < b.size; len++) {
		/* A copy of exactly len bytes: ASan sees any read past it. */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, b.data, len);
		struct blob t = { copy, len };
		int rc = parse(&t, NULL, 0);
		if (len < data_end)
			assert_int_equal(rc, -EINVAL);
		free(copy);
	}
	free(b.data);
}

static void test_table_corruption(void **state)
{
	struct blob b = make_valid();
	struct polc_artifact_header *h = (void *)b.data;
	struct polc_artifact_section *table = (void *)(b.data + sizeof(*h));
	char err[256];

	uint32_t n = h->n_sections;
	h->n_sections = 0xffffffffu;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	h->n_sections = n + 1000;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "section table"));
	h->n_sections = n;

	uint64_t off = table[1].offset, size = table[1].size;
	table[1].offset = b.size;
	table[1].size = 1;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "out of bounds"));
	/* offset + size wrapping around 2^64 must not pass as small. */
	table[1].offset = 16;
	table[1].size = UINT64_MAX - 8;
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	table[1].offset = off;
	table[1].size = size;

	char name[POLC_ARTIFACT_NAME_MAX];
	memcpy(name, table[2].name, sizeof(name));
	memset(table[2].name, 'A', sizeof(table[2].name));
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no name"));
	/* Duplicate and unsorted names. */
	memcpy(table[2].name, table[1].name, sizeof(name));
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "sorted"));
	memcpy(table[2].name, "zzz", 4);
	assert_int_equal(parse(&b, err, sizeof(err)), -EINVAL);
	memcpy(table[2].name, name, sizeof(name));
	assert_int_equal(parse(&b, err, sizeof(err)), 0);
	free(b.data);
}

/* Map sections whose header disagrees with their size. */
static void test_bad_map_sections(void **state)
{
	struct {
		uint32_t key, value, n, max;
		size_t body;
		int want;
	} cases[] = {
		{ 4, 4, 3, 10, 24, 0 },
		{ 4, 4, 3, 10, 23, -EINVAL },	 /* short */
		{ 4, 4, 3, 10, 32, -EINVAL },	 /* long */
		{ 0, 4, 0, 10, 0, -EINVAL },	 /* zero key */
		{ 4, 0, 0, 10, 0, -EINVAL },	 /* zero value */
		{ 4, 4, 3, 2, 24, -EINVAL },	 /* more entries than max */
		{ 4, 4, 0, 0, 0, 0 },		 /* empty */
		/* (key + value) * n wraps 2^64 to exactly 64: a product check would pass it. */
		{ 4294705160u, 4294705160u, 2147614724u, 0xffffffffu, 64, -EINVAL },
		{ 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 64, -EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = sizeof(struct polc_artifact_map) + cases[i].body;
		uint8_t *sec = calloc(1, size);
		map_section(sec, cases[i].key, cases[i].value, cases[i].n, cases[i].max);
		struct polc_artifact_writer *w = polc_artifact_writer_new();
		assert_int_equal(polc_artifact_add(w, "map/x", sec, size), 0);
		assert_int_equal(polc_artifact_add(w, "map/short", sec, 3), 0);
		void *data;
		size_t dsize;
		assert_int_equal(polc_artifact_serialize(w, &data, &dsize), 0);
		struct polc_artifact *a = NULL;
		assert_int_equal(polc_artifact_parse(data, dsize, &a, NULL, 0), 0);
		struct polc_map_view v;
		int rc = polc_artifact_map_view(a, "x", &v);
		if (rc != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, rc, cases[i].want);
		assert_int_equal(polc_artifact_map_view(a, "short", &v), -EINVAL);
		polc_artifact_free(a);
		free(data);
		polc_artifact_writer_free(w);
		free(sec);
	}
}

/* Flip every byte of header and table: parse either refuses or yields in-bounds sections. */
static void test_byte_flips(void **state)
{
	struct blob b = make_valid();
	size_t table_end = sizeof(struct polc_artifact_header) + 4 * sizeof(struct polc_artifact_section);
	for (size_t i = 0; i < table_end; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b.data[i] ^= (uint8_t)(1u << bit);
			struct polc_artifact *a = NULL;
			if (polc_artifact_parse(b.data, b.size, &a, NULL, 0) == 0) {
				for (uint32_t s = 0; s < a->header->n_sections; s++) {
					assert_true(a->sections[s].offset <= a->size);
					assert_true(a->sections[s].size <= a->size - a->sections[s].offset);
					struct polc_map_view v;
					if (strncmp(a->sections[s].name, "map/", 4) == 0 &&
					    polc_artifact_map_view(a, a->sections[s].name + 4, &v) == 0) {
						/* Touch the last entry byte: ASan checks it is inside. */
						size_t n = (size_t)v.n_entries * (v.key_size + v.value_size);
						if (n)
							assert_true(v.entries[n - 1] < 256);
					}
				}
				polc_artifact_free(a);
			}
			b.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(b.data);
}

static void test_read_files(void **state)
{
	char err[512];
	struct polc_artifact *a = NULL;
	assert_int_equal(polc_artifact_read("/nonexistent/polc.art", &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/polc.art"));
	assert_int_equal(polc_artifact_read("/", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	char path[] = "/tmp/polc-test-artifact-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(polc_artifact_read(path, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too short"));
	struct blob b = make_valid();
	assert_int_equal(write(fd, b.data, b.size), (ssize_t)b.size);
	close(fd);
	assert_int_equal(polc_artifact_read(path, &a, err, sizeof(err)), 0);
	assert_non_null(polc_artifact_section(a, "bpf/gen.o", NULL));
	polc_artifact_free(a);
	unlink(path);
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),	 cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_too_short_and_magic), cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_table_corruption), cmocka_unit_test(test_bad_map_sections),
		cmocka_unit_test(test_byte_flips),	 cmocka_unit_test(test_read_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The artifact: what `polc compile` writes and `polc load` reads. One
 * file, byte-identical for identical input:
 *
 *   header   "POLCART\0", format version, layout version, section count
 *   table    n x {name[32], offset, size}, sorted by name
 *   data     the sections, each 8-byte aligned, zero padded
 *
 * Sections:
 *   bpf/gen.o        BPF ELF of the generation program
 *   map/<name>       initial contents of a generation map: a
 *                    polc_artifact_map header, then n_entries (key, value)
 *                    pairs sorted by key bytes (array maps: by index)
 *   meta/info        key=value lines (versions, revision, features)
 *   meta/endpoints   one line per local endpoint (tab separated)
 *   meta/rules       one line per rule id: where it came from
 *   meta/identities  one line per identity: its labels
 *   source/<n>       the input files, for re-resolution without clang
 *
 * Everything is little-endian (the only byte order BPF runs in here).
 */
#ifndef POLC_ARTIFACT_H
#define POLC_ARTIFACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLC_ARTIFACT_MAGIC "POLCART"
#define POLC_ARTIFACT_FORMAT 1
#define POLC_ARTIFACT_NAME_MAX 32
/* Sanity bound when reading: a hostile file cannot make us allocate more. */
#define POLC_ARTIFACT_MAX_SIZE (1024ull * 1024 * 1024)

struct polc_artifact_header {
	char magic[8];
	uint32_t format;
	uint32_t layout;
	uint32_t n_sections;
	uint32_t reserved;
};

struct polc_artifact_section {
	char name[POLC_ARTIFACT_NAME_MAX];
	uint64_t offset;
	uint64_t size;
};

struct polc_artifact_map {
	uint32_t key_size;
	uint32_t value_size;
	uint32_t n_entries;
	uint32_t max_entries; /* size the loader creates the map with */
};

_Static_assert(sizeof(struct polc_artifact_header) == 24, "artifact header");
_Static_assert(sizeof(struct polc_artifact_section) == 48, "artifact section");
_Static_assert(sizeof(struct polc_artifact_map) == 16, "artifact map");

/* ---- writing ---- */

struct polc_artifact_writer;

struct polc_artifact_writer *polc_artifact_writer_new(void);
void polc_artifact_writer_free(struct polc_artifact_writer *w);
/* Copy a section in; names must be unique. 0 or -errno. */
int polc_artifact_add(struct polc_artifact_writer *w, const char *name, const void *data, size_t size);
/* Serialize into a malloc'd buffer (caller frees). 0 or -errno. */
int polc_artifact_serialize(struct polc_artifact_writer *w, void **out, size_t *out_size);

/* ---- reading ---- */

struct polc_artifact {
	uint8_t *data;
	size_t size;
	const struct polc_artifact_header *header;
	const struct polc_artifact_section *sections;
};

struct polc_map_view {
	const char *name;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t n_entries;
	uint32_t max_entries;
	const uint8_t *entries; /* n_entries x (key_size + value_size) */
};

/*
 * Read and validate an artifact (magic, versions, every section in
 * bounds). On failure *out is untouched and a message is written to
 * err (if not NULL). Returns 0 or -errno (-EINVAL: not a valid artifact).
 */
int polc_artifact_read(const char *path, struct polc_artifact **out, char *err, size_t err_size);
int polc_artifact_parse(const void *data, size_t size, struct polc_artifact **out, char *err, size_t err_size);
void polc_artifact_free(struct polc_artifact *a);

/* Section contents or NULL. */
const void *polc_artifact_section(const struct polc_artifact *a, const char *name, size_t *size);
/* Map section "map/<map>"; -ENOENT if absent, -EINVAL if malformed. */
int polc_artifact_map_view(const struct polc_artifact *a, const char *map, struct polc_map_view *out);
/* meta/info value for key (copied into buf); -ENOENT if absent. */
int polc_artifact_info(const struct polc_artifact *a, const char *key, char *buf, size_t size);

/*
 * Metadata sections (meta/...): lines of tab-separated fields, with tab,
 * newline and backslash escaped as \t, \n, \\. polc_meta_parse() calls fn
 * for every non-empty line with its fields unescaped; they are valid
 * during the call only. Returns 0, fn's first non-zero return, or
 * -ENOMEM. A line with more than POLC_META_MAX_FIELDS fields keeps the
 * rest in its last field, unsplit.
 */
#define POLC_META_MAX_FIELDS 16

struct polc_meta_row {
	char *field[POLC_META_MAX_FIELDS]; /* the callback may modify them in place */
	size_t n;
	unsigned line; /* 1-based */
};

typedef int (*polc_meta_row_fn)(const struct polc_meta_row *row, void *ctx);

int polc_meta_parse(const char *text, size_t len, polc_meta_row_fn fn, void *ctx);
/* The same over an artifact section; an absent section has no rows. */
int polc_artifact_meta_rows(const struct polc_artifact *a, const char *section, polc_meta_row_fn fn, void *ctx);

/* 64-bit FNV-1a, used for revisions and content identity. */
uint64_t polc_hash64(const void *data, size_t size, uint64_t seed);
#define POLC_HASH_SEED 0xcbf29ce484222325ull

#endif

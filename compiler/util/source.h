/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The input files of one compilation, kept in memory so that diagnostics
 * found in any stage can quote the source line under a caret.
 */
#ifndef POLC_UTIL_SOURCE_H
#define POLC_UTIL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "vec.h"

/* Largest input file accepted (the API server's request limit is 3 MiB). */
#define SOURCE_MAX_FILE_SIZE (16u * 1024 * 1024)

/*
 * A position in an input file. file is an index into the source set plus
 * one (0 = no file); line and col are 1-based (0 = unknown); len is the
 * number of bytes of the token on that line (0 = unknown, 1 caret).
 */
struct src_loc {
	uint32_t file;
	uint32_t line;
	uint32_t col;
	uint32_t len;
};

struct src_file {
	const char *name; /* as the user spelled it */
	const char *data;
	size_t len;
	uint32_t *line_starts; /* byte offset of each line */
	size_t n_lines;
};

struct source_set {
	struct arena *arena;
	VEC(struct src_file) files;
};

void source_set_init(struct source_set *set, struct arena *arena);
/*
 * Read a whole file. Returns the file id (>= 1) or a negative errno:
 * -EFBIG past SOURCE_MAX_FILE_SIZE, -ENOMEM, or the open/read error.
 */
int source_add_file(struct source_set *set, const char *path);
/* Register an in-memory buffer (copied into the arena); id or -ENOMEM. */
int source_add_buffer(struct source_set *set, const char *name, const char *data, size_t len);

const struct src_file *source_get(const struct source_set *set, uint32_t file);
const char *source_name(const struct source_set *set, uint32_t file);
/* The text of line `line` (1-based) without its newline, or NULL. */
const char *source_line(const struct source_set *set, uint32_t file, uint32_t line, size_t *len);

#endif

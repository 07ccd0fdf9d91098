/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Typed decoding of YAML nodes with diagnostics: every object parser
 * (NetworkPolicy, inventory, Cilium) reads fields through these so that
 * a wrong type gets the same message, position and field path
 * everywhere, and nothing is coerced silently.
 *
 * The rules are the API server's JSON decoding after kubectl's YAML 1.1
 * conversion:
 *   - a plain scalar that resolves to a number, bool or null where a
 *     string is expected is an error (port names, labels: "on", 0110, ~);
 *   - an int32 is written in decimal; 0110 is refused as ambiguous
 *     (YAML 1.1: 72, YAML 1.2: 110), 0x1F and 1_000 as non-decimal;
 *   - a quoted "9100" where an integer is expected is a string, an error;
 *   - IntOrString: a plain integer is a number, anything else a string.
 *
 * Each decode_* returns true on success; on failure it has reported an
 * error (at the node, with the rendered path) and leaves *out untouched.
 */
#ifndef POLC_FRONTEND_DECODE_H
#define POLC_FRONTEND_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/diag.h"
#include "yaml.h"

struct decoder {
	struct arena *arena;
	struct diag_sink *diags;
};

struct int_or_string {
	bool is_string;
	int32_t num;     /* !is_string */
	const char *str; /* is_string */
};

void decoder_init(struct decoder *d, struct arena *arena, struct diag_sink *diags);

/* Rendered path ("" for the root; "" also when out of memory). */
const char *decode_path(struct decoder *d, const struct ypath *path);

/* Errors at a node or position; path may be NULL. Return -EINVAL or -ENOMEM. */
int decode_error_at(struct decoder *d, struct src_loc loc, const struct ypath *path, const char *code,
		    const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int decode_warning_at(struct decoder *d, struct src_loc loc, const struct ypath *path, const char *code,
		      const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Absent (NULL) or a plain null (~, null, empty): Go's nil for optional fields. */
bool ynode_is_null(const struct ynode *node);
/* Present and not null. */
bool ynode_is_set(const struct ynode *node);

/* Shape checks: "expected mapping, got sequence". */
bool decode_mapping(struct decoder *d, const struct ynode *node, const struct ypath *path);
bool decode_sequence(struct decoder *d, const struct ynode *node, const struct ypath *path);
bool decode_scalar(struct decoder *d, const struct ynode *node, const struct ypath *path);

bool decode_string(struct decoder *d, const struct ynode *node, const struct ypath *path, const char **out);
bool decode_int32(struct decoder *d, const struct ynode *node, const struct ypath *path, int32_t *out);
bool decode_int_or_string(struct decoder *d, const struct ynode *node, const struct ypath *path,
			  struct int_or_string *out);
bool decode_bool(struct decoder *d, const struct ynode *node, const struct ypath *path, bool *out);

/*
 * Strict field checking: every key of map must be in known (a NULL-
 * terminated list). Each other key is an "unknown field" error at the
 * key, path.key, with a "did you mean" hint. Returns true when all are
 * known.
 */
bool decode_known_fields(struct decoder *d, const struct ynode *map, const struct ypath *path,
			 const char *const *known);

/*
 * value as Go's %q writes it ("a\"b", control characters escaped), cut
 * to about 64 bytes with "..." so a huge value does not flood the output.
 */
const char *decode_quote(struct decoder *d, const char *value);

/* The candidate closest to word by edit distance, if close enough to suggest, or NULL. */
const char *decode_suggest(const char *word, const char *const *candidates);
/* Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
size_t decode_edit_distance(const char *a, const char *b);

#endif

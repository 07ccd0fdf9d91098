/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Positions inside a scalar's value. The YAML tree knows where a scalar
 * starts; an error found inside its value (a regex that does not parse,
 * a header written oddly) should point at the offending characters, not
 * at the opening quote. That needs the source text, since quoting and
 * escapes make value bytes and source columns differ.
 */
#ifndef POLC_FRONTEND_YAML_POS_H
#define POLC_FRONTEND_YAML_POS_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/source.h"
#include "yaml.h"

/*
 * cols[i]: the 1-based byte column, on the scalar's line, of the source
 * text that produced byte i of the value (for an escape such as \x41 or
 * '' in single quotes: the escape's first character). Only one-line
 * plain, single-quoted and double-quoted scalars map; block scalars,
 * folded multi-line ones, and a source that does not match the value
 * give false (callers then point at the whole scalar). On success
 * *cols_out has node->scalar.len entries (NULL for an empty value).
 */
bool yscalar_value_columns(struct arena *arena, const struct source_set *sources, const struct ynode *node,
			   uint32_t **cols_out);

/*
 * The position of value bytes [offset, offset + len) given the columns
 * above (NULL: the scalar itself). len 0 points at one character: the
 * one at offset, or just after the value when offset is its end.
 */
struct src_loc yscalar_span_loc(struct src_loc scalar, const uint32_t *cols, uint32_t n_cols, uint32_t offset,
				uint32_t len);

#endif

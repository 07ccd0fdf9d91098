/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Positions inside a scalar's value (yaml_pos.h): replay the scalar's
 * quoting over its source line and record, for every value byte, the
 * column it came from. Any disagreement between the replay and the value
 * libyaml produced means "cannot map", never a wrong column.
 */
#include "yaml_pos.h"

#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint32_t utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/*
 * A YAML double-quoted escape at line[i] (the backslash): how many source
 * bytes it takes and how many value bytes it produces. False for escapes
 * this mapping does not follow (line continuations end the line anyway).
 */
static bool dq_escape(const char *line, size_t n, size_t i, size_t *raw, uint32_t *bytes)
{
	if (i + 1 >= n)
		return false;
	char e = line[i + 1];
	size_t digits = 0;
	switch (e) {
	case '0': case 'a': case 'b': case 't': case '\t': case 'n': case 'v': case 'f': case 'r': case 'e':
	case ' ': case '"': case '/': case '\\':
		*raw = 2;
		*bytes = 1;
		return true;
	case 'N': case '_':
		*raw = 2;
		*bytes = 2;
		return true;
	case 'L': case 'P':
		*raw = 2;
		*bytes = 3;
		return true;
	case 'x':
		digits = 2;
		break;
	case 'u':
		digits = 4;
		break;
	case 'U':
		digits = 8;
		break;
	default:
		return false;
	}
	if (i + 2 + digits > n)
		return false;
	uint32_t cp = 0;
	for (size_t k = 0; k < digits; k++) {
		int h = hexval(line[i + 2 + k]);
		if (h < 0)
			return false;
		cp = cp * 16 + (uint32_t)h;
	}
	*raw = 2 + digits;
	*bytes = utf8_len(cp);
	return true;
}

bool yscalar_value_columns(struct arena *arena, const struct source_set *sources, const struct ynode *node,
			   uint32_t **cols_out)
{
	*cols_out = NULL;
	if (!node || node->kind != YNODE_SCALAR || node->loc.line == 0 || node->loc.col == 0)
		return false;
	size_t n = 0;
	const char *line = source_line(sources, node->loc.file, node->loc.line, &n);
	if (!line)
		return false;
	size_t vlen = node->scalar.len;
	const char *v = node->scalar.value;
	uint32_t *cols = vlen ? arena_calloc(arena, vlen, sizeof(*cols)) : NULL;
	if (vlen && !cols)
		return false;
	size_t i = node->loc.col - 1; /* source byte of the scalar's first character */
	size_t out = 0;

	switch (node->scalar.style) {
	case YSTYLE_PLAIN:
		if (i + vlen > n || memcmp(line + i, v, vlen) != 0)
			return false;
		for (out = 0; out < vlen; out++)
			cols[out] = (uint32_t)(i + out + 1);
		break;
	case YSTYLE_SINGLE_QUOTED:
		if (i >= n || line[i] != '\'')
			return false;
		i++;
		while (out < vlen) {
			if (i >= n)
				return false;
			if (line[i] == '\'') {
				if (i + 1 >= n || line[i + 1] != '\'' || v[out] != '\'')
					return false;
				cols[out++] = (uint32_t)(i + 1);
				i += 2;
				continue;
			}
			if (line[i] != v[out])
				return false;
			cols[out++] = (uint32_t)(i + 1);
			i++;
		}
		if (i >= n || line[i] != '\'')
			return false;
		break;
	case YSTYLE_DOUBLE_QUOTED:
		if (i >= n || line[i] != '"')
			return false;
		i++;
		while (out < vlen) {
			if (i >= n)
				return false;
			if (line[i] == '\\') {
				size_t raw;
				uint32_t bytes;
				if (!dq_escape(line, n, i, &raw, &bytes) || out + bytes > vlen)
					return false;
				for (uint32_t k = 0; k < bytes; k++)
					cols[out++] = (uint32_t)(i + 1);
				i += raw;
				continue;
			}
			if (line[i] == '"' || line[i] != v[out])
				return false;
			cols[out++] = (uint32_t)(i + 1);
			i++;
		}
		if (i >= n || line[i] != '"')
			return false;
		break;
	default:
		return false;
	}
	*cols_out = cols;
	return true;
}

struct src_loc yscalar_span_loc(struct src_loc scalar, const uint32_t *cols, uint32_t n_cols, uint32_t offset,
				uint32_t len)
{
	if (!cols || n_cols == 0)
		return scalar;
	struct src_loc loc = scalar;
	if (offset >= n_cols) {
		/* At the end of the value: just after its last character. */
		loc.col = cols[n_cols - 1] + 1;
		loc.len = 1;
		return loc;
	}
	loc.col = cols[offset];
	uint32_t last = len ? offset + len - 1 : offset;
	if (last >= n_cols)
		last = n_cols - 1;
	loc.len = cols[last] >= loc.col ? cols[last] - loc.col + 1 : 1;
	return loc;
}

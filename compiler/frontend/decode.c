/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Typed decoding of YAML nodes with diagnostics: see decode.h. */
#include "decode.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yresolve.h"

void decoder_init(struct decoder *d, struct arena *arena, struct diag_sink *diags)
{
	d->arena = arena;
	d->diags = diags;
}

const char *decode_path(struct decoder *d, const struct ypath *path)
{
	if (!path)
		return "";
	char *s = ypath_str(d->arena, path);
	return s ? s : "";
}

static int decode_report(struct decoder *d, enum diag_severity sev, struct src_loc loc, const struct ypath *path,
			 const char *code, const char *hint, const char *fmt, va_list ap)
{
	char *msg = arena_vprintf(d->arena, fmt, ap);
	if (!msg)
		return -ENOMEM;
	const char *p = path ? decode_path(d, path) : NULL;
	int err = diag_report(d->diags, sev, loc, p, code, hint, "%s", msg);
	return err ? err : -EINVAL;
}

int decode_error_at(struct decoder *d, struct src_loc loc, const struct ypath *path, const char *code,
		    const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = decode_report(d, DIAG_ERROR, loc, path, code, hint, fmt, ap);
	va_end(ap);
	return err;
}

int decode_warning_at(struct decoder *d, struct src_loc loc, const struct ypath *path, const char *code,
		      const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = decode_report(d, DIAG_WARNING, loc, path, code, hint, fmt, ap);
	va_end(ap);
	return err;
}

bool ynode_is_null(const struct ynode *node)
{
	return !node || (node->kind == YNODE_SCALAR && yscalar_type(node) == YTYPE_NULL);
}

bool ynode_is_set(const struct ynode *node)
{
	return !ynode_is_null(node);
}

static const char *article(const char *noun)
{
	return strchr("aeiou", noun[0]) ? "an" : "a";
}

static bool expect_kind(struct decoder *d, const struct ynode *node, const struct ypath *path,
			enum ynode_kind kind, const char *want)
{
	if (node && node->kind == kind)
		return true;
	const char *got = ynode_kind_name(node);
	struct src_loc loc = node ? node->loc : (struct src_loc){0};
	decode_error_at(d, loc, path, "wrong-type", NULL, "expected %s %s, got %s %s", article(want), want,
			article(got), got);
	return false;
}

bool decode_mapping(struct decoder *d, const struct ynode *node, const struct ypath *path)
{
	return expect_kind(d, node, path, YNODE_MAPPING, "mapping");
}

bool decode_sequence(struct decoder *d, const struct ynode *node, const struct ypath *path)
{
	return expect_kind(d, node, path, YNODE_SEQUENCE, "sequence");
}

bool decode_scalar(struct decoder *d, const struct ynode *node, const struct ypath *path)
{
	return expect_kind(d, node, path, YNODE_SCALAR, "scalar");
}

bool decode_string(struct decoder *d, const struct ynode *node, const struct ypath *path, const char **out)
{
	if (!node || node->kind != YNODE_SCALAR)
		return expect_kind(d, node, path, YNODE_SCALAR, "string");
	enum yscalar_type t = yscalar_type(node);
	if (t != YTYPE_STRING) {
		/* What the API server says after kubectl turned the scalar into JSON. */
		const char *json = t == YTYPE_INT || t == YTYPE_FLOAT ? "number" : t == YTYPE_BOOL ? "bool" : "null";
		const char *hint = node->scalar.len
					   ? arena_printf(d->arena, "YAML 1.1 (kubectl) reads %s as %s %s; quote it: \"%s\"",
							  node->scalar.value, article(yscalar_type_name(t)),
							  yscalar_type_name(t), node->scalar.value)
					   : "the value is empty (null); write a string or remove the field";
		decode_error_at(d, node->loc, path, "wrong-type", hint,
				"expected string, got %s %s (cannot unmarshal %s into string)",
				article(yscalar_type_name(t)), yscalar_type_name(t), json);
		return false;
	}
	*out = node->scalar.value;
	return true;
}

/* A plain integer in a decimal notation every YAML reader agrees on. */
static bool int_from_plain(struct decoder *d, const struct ynode *node, const struct ypath *path, int64_t *out)
{
	struct yresolved r;
	yresolve_plain(node->scalar.value, node->scalar.len, &r);
	const char *text = node->scalar.value;
	int64_t value12;
	if (r.notation == YINT_LEADING_ZERO) {
		/* 0110: go-yaml (kubectl) reads octal 72, YAML 1.2 reads 110. */
		const char *hint;
		if (yresolve_yaml12_decimal(text, node->scalar.len, &value12))
			hint = arena_printf(d->arena,
					    "YAML 1.1 (kubectl) reads %s as octal %s%llu, YAML 1.2 reads %lld; "
					    "write %s%llu or %lld without the leading zero",
					    text, r.negative ? "-" : "", (unsigned long long)r.magnitude,
					    (long long)value12, r.negative ? "-" : "", (unsigned long long)r.magnitude,
					    (long long)value12);
		else
			hint = "a leading zero makes the number octal in YAML 1.1; remove it";
		decode_error_at(d, node->loc, path, "ambiguous-integer", hint,
				"ambiguous integer %s: the leading zero reads as octal in YAML 1.1 and as decimal in "
				"YAML 1.2",
				text);
		return false;
	}
	if (r.notation != YINT_DECIMAL || r.underscores) {
		const char *how = r.underscores ? "with underscores"
				  : r.notation == YINT_HEX ? "in hexadecimal"
				  : r.notation == YINT_OCTAL ? "in octal"
							     : "in binary";
		decode_error_at(d, node->loc, path, "non-decimal-integer",
				arena_printf(d->arena, "kubectl reads %s%llu; write that", r.negative ? "-" : "",
					     (unsigned long long)r.magnitude),
				"integer %s is written %s; polc accepts decimal integers only", text, how);
		return false;
	}
	if (r.magnitude > (uint64_t)INT64_MAX) {
		decode_error_at(d, node->loc, path, "invalid-value", NULL, "integer %s is out of range", text);
		return false;
	}
	*out = r.negative ? -(int64_t)r.magnitude : (int64_t)r.magnitude;
	return true;
}

static bool int32_in_range(struct decoder *d, const struct ynode *node, const struct ypath *path, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		return true;
	decode_error_at(d, node->loc, path, "invalid-value", NULL,
			"integer %s is out of range for int32 (cannot unmarshal number %s into int32)",
			node->scalar.value, node->scalar.value);
	return false;
}

bool decode_int32(struct decoder *d, const struct ynode *node, const struct ypath *path, int32_t *out)
{
	if (!node || node->kind != YNODE_SCALAR)
		return expect_kind(d, node, path, YNODE_SCALAR, "integer");
	enum yscalar_type t = yscalar_type(node);
	if (t != YTYPE_INT) {
		const char *hint = NULL;
		int64_t v;
		if (t == YTYPE_STRING && yresolve_yaml12_decimal(node->scalar.value, node->scalar.len, &v))
			hint = arena_printf(d->arena,
					    "the API server refuses a quoted number here (cannot unmarshal string into "
					    "int32); write %s without quotes",
					    node->scalar.value);
		else if (t == YTYPE_STRING && strchr(node->scalar.value, ':'))
			hint = "YAML 1.1 would read this as a base-60 number, kubectl reads a string; write a decimal "
			       "integer";
		decode_error_at(d, node->loc, path, "wrong-type", hint, "expected integer, got %s",
				yscalar_type_name(t));
		return false;
	}
	int64_t v;
	if (!int_from_plain(d, node, path, &v) || !int32_in_range(d, node, path, v))
		return false;
	*out = (int32_t)v;
	return true;
}

bool decode_int_or_string(struct decoder *d, const struct ynode *node, const struct ypath *path,
			  struct int_or_string *out)
{
	if (!node || node->kind != YNODE_SCALAR)
		return expect_kind(d, node, path, YNODE_SCALAR, "integer or string");
	enum yscalar_type t = yscalar_type(node);
	if (t == YTYPE_STRING) {
		out->is_string = true;
		out->str = node->scalar.value;
		out->num = 0;
		return true;
	}
	if (t != YTYPE_INT) {
		decode_error_at(d, node->loc, path, "wrong-type",
				arena_printf(d->arena, "YAML 1.1 (kubectl) reads %s as %s %s; quote it for a name",
					     node->scalar.value, article(yscalar_type_name(t)), yscalar_type_name(t)),
				"expected integer or string, got %s", yscalar_type_name(t));
		return false;
	}
	int64_t v;
	if (!int_from_plain(d, node, path, &v) || !int32_in_range(d, node, path, v))
		return false;
	out->is_string = false;
	out->num = (int32_t)v;
	out->str = NULL;
	return true;
}

bool decode_bool(struct decoder *d, const struct ynode *node, const struct ypath *path, bool *out)
{
	if (!node || node->kind != YNODE_SCALAR)
		return expect_kind(d, node, path, YNODE_SCALAR, "boolean");
	enum yscalar_type t = yscalar_type(node);
	if (t != YTYPE_BOOL) {
		decode_error_at(d, node->loc, path, "wrong-type",
				t == YTYPE_STRING ? "write true or false without quotes" : NULL,
				"expected boolean, got %s", yscalar_type_name(t));
		return false;
	}
	struct yresolved r;
	yresolve_plain(node->scalar.value, node->scalar.len, &r);
	*out = r.boolean;
	return true;
}

size_t decode_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return n > m ? n : m; /* field names are short; do not spend on junk */
	size_t rows[3][65];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

static bool equal_ignoring_case(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

const char *decode_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; candidates[i]; i++) {
		if (equal_ignoring_case(word, candidates[i]))
			return candidates[i];
		size_t dist = decode_edit_distance(word, candidates[i]);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	/* Close enough to be a typo: at most 2 edits, and under half the word. */
	size_t len = strlen(word);
	if (best && best_d <= 2 && best_d * 2 < (len > 1 ? len : 2))
		return best;
	return NULL;
}

bool decode_known_fields(struct decoder *d, const struct ynode *map, const struct ypath *path,
			 const char *const *known)
{
	if (!map || map->kind != YNODE_MAPPING)
		return true;
	bool ok = true;
	for (size_t i = 0; i < map->map.len; i++) {
		const struct ynode *key = map->map.pairs[i].key;
		bool found = false;
		for (size_t k = 0; known[k] && !found; k++)
			found = strcmp(known[k], key->scalar.value) == 0;
		if (found)
			continue;
		ok = false;
		const char *suggestion = decode_suggest(key->scalar.value, known);
		const char *hint;
		if (suggestion) {
			hint = arena_printf(d->arena, "did you mean \"%s\"?", suggestion);
		} else {
			size_t n = 0;
			for (size_t k = 0; known[k]; k++)
				n += strlen(known[k]) + 2;
			char *list = arena_alloc(d->arena, n + 16);
			if (list) {
				strcpy(list, "known fields: ");
				for (size_t k = 0; known[k]; k++) {
					if (k)
						strcat(list, ", ");
					strcat(list, known[k]);
				}
			}
			hint = list;
		}
		struct ypath field = YPATH_KEY(path, key->scalar.value);
		decode_error_at(d, key->loc, &field, "unknown-field", hint, "unknown field \"%s\"",
				key->scalar.value);
	}
	return ok;
}

const char *decode_quote(struct decoder *d, const char *value)
{
	size_t len = strlen(value);
	size_t shown = len > 64 ? 61 : len;
	/* Do not cut a UTF-8 sequence in half. */
	while (shown < len && shown > 0 && ((unsigned char)value[shown] & 0xc0) == 0x80)
		shown--;
	char *out = arena_alloc(d->arena, shown * 4 + 8);
	if (!out)
		return "\"?\"";
	char *o = out;
	*o++ = '"';
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)value[i];
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		default:
			if (c < 0x20 || c == 0x7f)
				o += sprintf(o, "\\x%02x", c);
			else
				*o++ = (char)c;
		}
	}
	*o++ = '"';
	if (shown < len) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

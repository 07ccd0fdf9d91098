/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* YAML 1.1 plain scalar resolution as go-yaml v2 does it: see yresolve.h. */
#include "yresolve.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ytable_entry {
	const char *text;
	enum yscalar_type type;
	bool boolean;
};

/* go-yaml v2 resolveMapList: exact spellings only ("tRUE" is a string). */
static const struct ytable_entry ytable[] = {
	{"y", YTYPE_BOOL, true},      {"Y", YTYPE_BOOL, true},      {"yes", YTYPE_BOOL, true},
	{"Yes", YTYPE_BOOL, true},    {"YES", YTYPE_BOOL, true},    {"true", YTYPE_BOOL, true},
	{"True", YTYPE_BOOL, true},   {"TRUE", YTYPE_BOOL, true},   {"on", YTYPE_BOOL, true},
	{"On", YTYPE_BOOL, true},     {"ON", YTYPE_BOOL, true},     {"n", YTYPE_BOOL, false},
	{"N", YTYPE_BOOL, false},     {"no", YTYPE_BOOL, false},    {"No", YTYPE_BOOL, false},
	{"NO", YTYPE_BOOL, false},    {"false", YTYPE_BOOL, false}, {"False", YTYPE_BOOL, false},
	{"FALSE", YTYPE_BOOL, false}, {"off", YTYPE_BOOL, false},   {"Off", YTYPE_BOOL, false},
	{"OFF", YTYPE_BOOL, false},   {"~", YTYPE_NULL, false},     {"null", YTYPE_NULL, false},
	{"Null", YTYPE_NULL, false},  {"NULL", YTYPE_NULL, false},  {".nan", YTYPE_FLOAT, false},
	{".NaN", YTYPE_FLOAT, false}, {".NAN", YTYPE_FLOAT, false}, {".inf", YTYPE_FLOAT, false},
	{".Inf", YTYPE_FLOAT, false}, {".INF", YTYPE_FLOAT, false}, {"+.inf", YTYPE_FLOAT, false},
	{"+.Inf", YTYPE_FLOAT, false}, {"+.INF", YTYPE_FLOAT, false}, {"-.inf", YTYPE_FLOAT, false},
	{"-.Inf", YTYPE_FLOAT, false}, {"-.INF", YTYPE_FLOAT, false},
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64) as
 * go-yaml does. s has no underscores.
 */
static bool parse_go_int(const char *s, size_t len, struct yresolved *r)
{
	size_t i = 0;
	bool negative = false, sign = false;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		negative = s[0] == '-';
		sign = true;
		i = 1;
	}
	if (i >= len)
		return false;
	unsigned base = 10;
	enum yint_notation notation = YINT_DECIMAL;
	if (s[i] == '0' && len - i > 1) {
		char p = s[i + 1];
		if (len - i >= 3 && (p == 'x' || p == 'X')) {
			base = 16, notation = YINT_HEX, i += 2;
		} else if (len - i >= 3 && (p == 'o' || p == 'O')) {
			base = 8, notation = YINT_OCTAL, i += 2;
		} else if (len - i >= 3 && (p == 'b' || p == 'B')) {
			base = 2, notation = YINT_BINARY, i += 2;
		} else {
			base = 8, notation = YINT_LEADING_ZERO, i += 1;
		}
	}
	uint64_t mag = 0;
	for (; i < len; i++) {
		int d = digit_value(s[i]);
		if (d >= (int)base)
			return false;
		if (mag > (UINT64_MAX - (uint64_t)d) / base)
			return false; /* beyond uint64: go-yaml tries float next */
		mag = mag * base + (uint64_t)d;
	}
	/* ParseInt's range, then ParseUint's (which takes no sign at all). */
	bool fits_int = negative ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX;
	if (!fits_int && sign)
		return false;
	r->type = YTYPE_INT;
	r->negative = negative && mag != 0;
	r->magnitude = mag;
	r->notation = notation;
	return true;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool match_yaml_float(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		size_t start = i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return false;
	} else {
		size_t start = i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return false;
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && is_digit(s[i]))
				i++;
		}
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t start = i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return false;
	}
	return i == len;
}

/* strconv.ParseFloat on a string already matched: refuses overflow to ±Inf. */
static bool parse_float(const char *s, size_t len, double *out)
{
	char buf[128];
	if (len >= sizeof(buf)) {
		/* Long digit strings: only the magnitude matters for the type. */
		char *copy = strndup(s, len);
		if (!copy)
			return false;
		errno = 0;
		*out = strtod(copy, NULL);
		free(copy);
	} else {
		memcpy(buf, s, len);
		buf[len] = '\0';
		errno = 0;
		*out = strtod(buf, NULL);
	}
	return !isinf(*out);
}

enum yscalar_type yresolve_plain(const char *s, size_t len, struct yresolved *out)
{
	struct yresolved scratch;
	struct yresolved *r = out ? out : &scratch;
	memset(r, 0, sizeof(*r));
	r->type = YTYPE_STRING;
	if (len == 0) {
		r->type = YTYPE_NULL;
		return r->type;
	}

	/* go-yaml's resolveTable: the first byte decides what to try. */
	char c = s[0];
	char hint;
	if (c == '+' || c == '-')
		hint = 'S';
	else if (is_digit(c))
		hint = 'D';
	else if (strchr("yYnNtTfFoO~", c))
		hint = 'M';
	else if (c == '.')
		hint = '.';
	else
		return r->type;

	for (size_t i = 0; i < sizeof(ytable) / sizeof(ytable[0]); i++) {
		if (strlen(ytable[i].text) == len && memcmp(ytable[i].text, s, len) == 0) {
			r->type = ytable[i].type;
			r->boolean = ytable[i].boolean;
			if (r->type == YTYPE_FLOAT)
				r->real = s[len - 3] == 'n' || s[len - 3] == 'N' ? NAN : (s[0] == '-' ? -INFINITY : INFINITY);
			return r->type;
		}
	}

	if (hint == 'M')
		return r->type;
	if (hint == '.') {
		/* strconv.ParseFloat on ".5", ".5e3" (no '_' without a base prefix). */
		if (match_yaml_float(s, len) && parse_float(s, len, &r->real))
			r->type = YTYPE_FLOAT;
		return r->type;
	}

	/* 'D' or 'S': remove every '_', then int, then float. */
	char stack_buf[96];
	char *plain = len < sizeof(stack_buf) ? stack_buf : malloc(len + 1);
	if (!plain)
		return r->type;
	size_t n = 0;
	bool underscores = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			underscores = true;
		else
			plain[n++] = s[i];
	}
	plain[n] = '\0';
	if (parse_go_int(plain, n, r)) {
		r->underscores = underscores;
	} else if (match_yaml_float(plain, n) && parse_float(plain, n, &r->real)) {
		r->type = YTYPE_FLOAT;
		r->underscores = underscores;
	}
	if (plain != stack_buf)
		free(plain);
	return r->type;
}

bool yresolve_yaml12_decimal(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	bool negative = false;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		negative = s[0] == '-';
		i = 1;
	}
	if (i >= len)
		return false;
	int64_t v = 0;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = negative ? -v : v;
	return true;
}

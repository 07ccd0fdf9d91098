/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Growable heap string for output that outlives or exceeds the arena:
 * generated C, JSON, SARIF. Errors are sticky: after a failed append
 * every later append is a no-op and strbuf_error() reports -ENOMEM once,
 * so emitters check once at the end instead of after every line.
 */
#ifndef POLC_UTIL_STRBUF_H
#define POLC_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

#define STRBUF_INIT {0}

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void strbuf_json_string(struct strbuf *sb, const char *s);
void strbuf_json_stringn(struct strbuf *sb, const char *s, size_t n);
/* 0, or -ENOMEM if any append failed. */
int strbuf_error(const struct strbuf *sb);
/* NUL-terminated contents ("" when empty). */
const char *strbuf_cstr(struct strbuf *sb);
/* Write everything to f; 0 or -errno. */
int strbuf_write(const struct strbuf *sb, FILE *f);

#endif

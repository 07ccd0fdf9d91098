/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A small emitter for generated C: lines at the current indentation,
 * blocks that open and close braces, and comments. Kernel style (tabs).
 * Output accumulates in a strbuf whose error is checked once at the end.
 */
#ifndef POLC_CODEGEN_EMIT_H
#define POLC_CODEGEN_EMIT_H

#include "../util/strbuf.h"

struct emitter {
	struct strbuf out;
	int indent;
};

void emit_init(struct emitter *e);
void emit_free(struct emitter *e);
void emit_blank(struct emitter *e);
/* One line at the current indentation. */
void emit_line(struct emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "text {" and indent / dedent and "}" (suffix: ";" for struct initialisers). */
void emit_open(struct emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_close(struct emitter *e, const char *suffix);
/* A C comment; text may span lines. Block comments for multi-line text. */
void emit_comment(struct emitter *e, const char *text);

#endif

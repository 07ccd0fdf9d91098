/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "emit.h"

#include <stdarg.h>
#include <string.h>

void emit_init(struct emitter *e)
{
	e->out = (struct strbuf)STRBUF_INIT;
	e->indent = 0;
}

void emit_free(struct emitter *e)
{
	strbuf_free(&e->out);
}

static void indent(struct emitter *e)
{
	for (int i = 0; i < e->indent; i++)
		strbuf_putc(&e->out, '\t');
}

void emit_blank(struct emitter *e)
{
	strbuf_putc(&e->out, '\n');
}

void emit_line(struct emitter *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	indent(e);
	strbuf_vprintf(&e->out, fmt, ap);
	va_end(ap);
	strbuf_putc(&e->out, '\n');
}

void emit_open(struct emitter *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	indent(e);
	strbuf_vprintf(&e->out, fmt, ap);
	va_end(ap);
	strbuf_puts(&e->out, " {\n");
	e->indent++;
}

void emit_close(struct emitter *e, const char *suffix)
{
	if (e->indent > 0)
		e->indent--;
	indent(e);
	strbuf_printf(&e->out, "}%s\n", suffix ? suffix : "");
}

void emit_comment(struct emitter *e, const char *text)
{
	if (!strchr(text, '\n')) {
		emit_line(e, "/* %s */", text);
		return;
	}
	emit_line(e, "/*");
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		indent(e);
		strbuf_puts(&e->out, len ? " * " : " *");
		strbuf_append(&e->out, p, len);
		strbuf_putc(&e->out, '\n');
		p += len + (nl ? 1 : 0);
	}
	emit_line(e, " */");
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer target for the connectivity query language (grammar/query.y,
 * query.l): any bytes are an assertion file (or, by the first byte, a lone
 * endpoint or service, as polc trace parses its arguments). Parsing must
 * end in results or diagnostics with positions inside the text, never a
 * crash, leak or hang; and what parses must print back (query_*_str) as
 * text that parses to the same thing.
 *
 *   make fuzz && build/fuzz/fuzz_query -dict=tests/fuzz/query.dict tests/fuzz/corpus/query
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/query.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct arena *arena;
	struct source_set src;
	struct diag_sink diags;
};

static uint32_t add(struct ctx *c, const char *name, const void *text, size_t len)
{
	int id = source_add_buffer(&c->src, name, text, len);
	return id > 0 ? (uint32_t)id : 0;
}

/* Every diagnostic lies inside its text. */
static void check_positions(const struct ctx *c)
{
	for (size_t i = 0; i < c->diags.diags.len; i++) {
		const struct diag *d = &c->diags.diags.items[i];
		const struct src_file *f = source_get(&c->src, d->loc.file);
		if (!f || d->loc.line < 1 || d->loc.line > f->n_lines + 1 || d->loc.col < 1 || !d->message[0])
			abort();
	}
}

static const char *line_of(struct arena *a, const struct query_assertion *q)
{
	return arena_printf(a, "%s -> %s %s %s\n", query_endpoint_str(a, &q->from), query_endpoint_str(a, &q->to),
			    query_service_str(a, &q->service), q->verdict == QUERY_ALLOW ? "allow" : "deny");
}

static void round_trip(struct ctx *c, const struct query_file *f)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < f->n_items; i++)
		strbuf_puts(&sb, line_of(c->arena, &f->items[i]));
	if (strbuf_error(&sb)) {
		strbuf_free(&sb);
		return;
	}
	uint32_t id = add(c, "printed", sb.data ? sb.data : "", sb.len);
	struct query_input in = {.arena = c->arena, .diags = &c->diags, .sources = &c->src, .file = id};
	struct query_file again;
	if (id && query_parse_file(&in, &again) != -ENOMEM) {
		if (again.n_items != f->n_items) {
			fprintf(stderr, "printed text does not parse back:\n%s", sb.data);
			abort();
		}
		for (size_t i = 0; i < f->n_items; i++)
			if (strcmp(line_of(c->arena, &f->items[i]), line_of(c->arena, &again.items[i])) != 0)
				abort();
	}
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ctx c;
	c.arena = arena_new();
	if (!c.arena)
		return 0;
	source_set_init(&c.src, c.arena);
	diag_sink_init(&c.diags, c.arena, &c.src);
	uint8_t mode = data[0] % 8;
	uint32_t id = add(&c, "fuzz", data + 1, size - 1);
	struct query_input in = {.arena = c.arena, .diags = &c.diags, .sources = &c.src, .file = id};
	if (id) {
		if (mode == 1) {
			struct query_endpoint ep;
			if (query_parse_endpoint(&in, &ep) == 0)
				(void)query_endpoint_str(c.arena, &ep);
		} else if (mode == 2) {
			struct query_service svc;
			if (query_parse_service(&in, &svc) == 0)
				(void)query_service_str(c.arena, &svc);
		} else {
			struct query_file f;
			int rc = query_parse_file(&in, &f);
			check_positions(&c);
			if (rc == 0)
				round_trip(&c, &f);
		}
	}
	arena_free(c.arena);
	return 0;
}

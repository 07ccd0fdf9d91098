/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Driver of the query scanner and parser (query.l, query.y): runs them
 * over one text of a source set, turns errors into diagnostics at
 * file:line:col (the text printer puts the caret under the token), and
 * the helpers of the parser actions: values, ports, ICMP type names and
 * the canonical text of endpoints and services.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/query_int.h"
#include "grammar/query.tab.h"
#include "util/strbuf.h"

#define YYSTYPE QUERY_YYSTYPE
#define YYLTYPE struct query_loc
#include "grammar/query.lex.h"

/* ---- positions and errors ------------------------------------------------ */

struct src_loc query_src_loc(const struct source_set *sources, uint32_t file, struct query_loc loc)
{
	struct src_loc out = {.file = file, .line = 1, .col = 1};
	const struct src_file *f = source_get(sources, file);
	if (!f || !f->n_lines)
		return out;
	size_t lo = 0, hi = f->n_lines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->line_starts[mid] <= loc.begin)
			lo = mid;
		else
			hi = mid;
	}
	out.line = (uint32_t)lo + 1;
	out.col = loc.begin - f->line_starts[lo] + 1;
	/* The token's length on its line (a span across lines is cut at the newline). */
	uint32_t end = loc.end;
	for (uint32_t i = loc.begin; i < loc.end && i < f->len; i++) {
		if (f->data[i] == '\n') {
			end = i;
			break;
		}
	}
	out.len = end > loc.begin ? end - loc.begin : 1;
	return out;
}

void query_error_at(struct query_ctx *ctx, struct query_loc loc, const char *code, const char *hint, const char *fmt,
		    ...)
{
	/* One error per line: the parser skips the rest of it anyway. */
	if (ctx->n_errors && loc.begin < ctx->skip_until)
		return;
	ctx->n_errors++;
	const char *nl = loc.begin < ctx->len ? memchr(ctx->text + loc.begin, '\n', ctx->len - loc.begin) : NULL;
	ctx->skip_until = nl ? (uint32_t)(nl - ctx->text) : (uint32_t)ctx->len;
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(ctx->in->arena, fmt, ap);
	va_end(ap);
	struct src_loc at = query_src_loc(ctx->in->sources, ctx->in->file, loc);
	if (!msg || diag_report(ctx->in->diags, DIAG_ERROR, at, NULL, code, hint, "%s", msg))
		ctx->oom = true;
}

char *query_strndup(struct query_ctx *ctx, const char *s, size_t n)
{
	char *r = arena_strndup(ctx->in->arena, s, n);
	if (!r)
		ctx->oom = true;
	return r;
}

/* ---- helpers of the actions --------------------------------------------- */

bool query_port_number(struct query_ctx *ctx, const char *text, struct query_loc loc, uint32_t max, uint32_t *out)
{
	unsigned long v = 0;
	for (const char *p = text; *p; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			break;
	}
	if (v > max) {
		query_error_at(ctx, loc, "query-port", NULL, "%s is out of range (0-%u)", text, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static const struct icmp_name {
	uint8_t family;
	uint8_t type;
	const char *name;
} icmp_names[] = {
	{4, 0, "echo-reply"},
	{4, 3, "destination-unreachable"},
	{4, 4, "source-quench"},
	{4, 5, "redirect"},
	{4, 8, "echo-request"},
	{4, 9, "router-advertisement"},
	{4, 10, "router-solicitation"},
	{4, 11, "time-exceeded"},
	{4, 12, "parameter-problem"},
	{4, 13, "timestamp-request"},
	{4, 14, "timestamp-reply"},
	{6, 1, "destination-unreachable"},
	{6, 2, "packet-too-big"},
	{6, 3, "time-exceeded"},
	{6, 4, "parameter-problem"},
	{6, 128, "echo-request"},
	{6, 129, "echo-reply"},
	{6, 133, "router-solicitation"},
	{6, 134, "router-advertisement"},
	{6, 135, "neighbor-solicitation"},
	{6, 136, "neighbor-advertisement"},
	{6, 137, "redirect"},
};

int query_icmp_type(uint8_t family, const char *name)
{
	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (icmp_names[i].family == family && strcmp(icmp_names[i].name, name) == 0)
			return icmp_names[i].type;
	return -1;
}

const char *query_icmp_type_name(uint8_t family, uint8_t type)
{
	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (icmp_names[i].family == family && icmp_names[i].type == type)
			return icmp_names[i].name;
	return NULL;
}

/* A named port: an IANA service name, as Kubernetes requires of containers[].ports[].name. */
static bool port_name_ok(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;
	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

bool query_make_service(struct query_ctx *ctx, uint8_t proto, const char *port, bool numeric, struct query_loc loc,
			struct query_service *out)
{
	memset(out, 0, sizeof(*out));
	out->proto = proto;
	out->loc = loc;
	bool icmp = proto == IR_PROTO_ICMP || proto == IR_PROTO_ICMPV6;
	if (numeric) {
		uint32_t v;
		if (!query_port_number(ctx, port, loc, icmp ? 255 : 65535, &v))
			return false;
		if (!icmp && v == 0) {
			query_error_at(ctx, loc, "query-port", "name one port: a packet has one destination port",
				       "port 0 is not a port a packet can have");
			return false;
		}
		out->port = (uint16_t)v;
		return true;
	}
	if (icmp) {
		uint8_t family = proto == IR_PROTO_ICMP ? 4 : 6;
		int t = query_icmp_type(family, port);
		if (t < 0) {
			query_error_at(ctx, loc, "query-port",
				       family == 4 ? "ICMP types: echo-request, echo-reply, destination-unreachable, "
						     "time-exceeded, ... or a number"
						   : "ICMPv6 types: echo-request, echo-reply, packet-too-big, "
						     "neighbor-solicitation, ... or a number",
				       "unknown %s type \"%s\"", family == 4 ? "ICMP" : "ICMPv6", port);
			return false;
		}
		out->port = (uint16_t)t;
		return true;
	}
	if (!port_name_ok(port)) {
		query_error_at(ctx, loc, "query-port",
			       "a port is a number, or the name of a container port (lowercase letters, digits, '-', at "
			       "most 15)",
			       "invalid port name \"%s\"", port);
		return false;
	}
	out->port_name = port;
	return true;
}

bool query_add_req(struct query_ctx *ctx, struct query_selector *sel, const struct query_req *req)
{
	struct query_req *r = arena_realloc(ctx->in->arena, sel->reqs, sel->n_reqs * sizeof(*r),
					    (sel->n_reqs + 1) * sizeof(*r));
	if (!r) {
		ctx->oom = true;
		return false;
	}
	r[sel->n_reqs++] = *req;
	sel->reqs = r;
	return true;
}

bool query_add_value(struct query_ctx *ctx, struct query_req *req, const char *value)
{
	const char **v = arena_realloc(ctx->in->arena, req->values, req->n_values * sizeof(*v),
				       (req->n_values + 1) * sizeof(*v));
	if (!v) {
		ctx->oom = true;
		return false;
	}
	v[req->n_values++] = value;
	req->values = v;
	return true;
}

bool query_push(struct query_ctx *ctx, const struct query_assertion *a)
{
	struct query_assertion *slot = vec_add(ctx->in->arena, &ctx->items);
	if (!slot) {
		ctx->oom = true;
		return false;
	}
	*slot = *a;
	slot->src = query_src_loc(ctx->in->sources, ctx->in->file, a->loc);
	return true;
}

/* ---- running the parser -------------------------------------------------- */

static int run(const struct query_input *in, enum query_start start, struct query_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->in = in;
	ctx->start = start;
	const struct src_file *f = source_get(in->sources, in->file);
	if (!f)
		return -EINVAL;
	ctx->text = f->data;
	ctx->len = f->len;

	yyscan_t scanner;
	if (query_yylex_init_extra(ctx, &scanner))
		return -ENOMEM;
	int rc;
	if (setjmp(ctx->fatal) == 0) {
		YY_BUFFER_STATE buf = query_yy_scan_bytes(ctx->text, (int)ctx->len, scanner);
		rc = query_yyparse(scanner, ctx);
		query_yy_delete_buffer(buf, scanner);
	} else {
		rc = 2; /* flex ran out of memory; its buffers die with the scanner */
	}
	query_yylex_destroy(scanner);
	if (ctx->oom || rc == 2)
		return -ENOMEM;
	return rc || ctx->n_errors ? -EINVAL : 0;
}

int query_parse_file(const struct query_input *in, struct query_file *out)
{
	struct query_ctx ctx;
	int err = run(in, QUERY_START_FILE, &ctx);
	out->items = ctx.items.items;
	out->n_items = ctx.items.len;
	return err;
}

int query_parse_endpoint(const struct query_input *in, struct query_endpoint *out)
{
	struct query_ctx ctx;
	int err = run(in, QUERY_START_ENDPOINT, &ctx);
	if (!err && ctx.have_result)
		*out = ctx.endpoint;
	return err ? err : ctx.have_result ? 0 : -EINVAL;
}

int query_parse_service(const struct query_input *in, struct query_service *out)
{
	struct query_ctx ctx;
	int err = run(in, QUERY_START_SERVICE, &ctx);
	if (!err && ctx.have_result)
		*out = ctx.service;
	return err ? err : ctx.have_result ? 0 : -EINVAL;
}

/* ---- canonical text ------------------------------------------------------ */

const char *query_proto_name(uint8_t proto)
{
	switch (proto) {
	case IR_PROTO_TCP: return "tcp";
	case IR_PROTO_UDP: return "udp";
	case IR_PROTO_SCTP: return "sctp";
	case IR_PROTO_ICMP: return "icmp";
	case IR_PROTO_ICMPV6: return "icmpv6";
	}
	return "?";
}

/* The scanner's words: a name spelled like one must be quoted to stay a name. */
static const char *const keywords[] = {"pod", "ns", "in", "notin", "world", "world6", "allow", "deny",
				       "tcp", "udp", "sctp", "icmp", "icmpv6", NULL};

static bool plain_name(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	bool dots_digits = true; /* 1.2.3.4 would scan as an address */
	size_t dots = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
		dots += c == '.';
		if (!isdigit(c) && c != '.')
			dots_digits = false;
	}
	if (dots_digits && dots == 3)
		return false;
	for (size_t k = 0; keywords[k]; k++)
		if (strlen(keywords[k]) == n && memcmp(keywords[k], s, n) == 0)
			return false;
	return true;
}

/* A name as the scanner reads it back: bare when it can be, else in quotes. */
static void put_name(struct strbuf *sb, const char *s)
{
	if (plain_name(s, strlen(s))) {
		strbuf_puts(sb, s);
		return;
	}
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

/* prefix/name keys: each part bare when it can be. */
static void put_key(struct strbuf *sb, const char *key)
{
	const char *slash = strchr(key, '/');
	if (slash && slash != key && plain_name(key, (size_t)(slash - key)) && plain_name(slash + 1, strlen(slash + 1))) {
		strbuf_puts(sb, key);
		return;
	}
	put_name(sb, key);
}

static void selector_str(struct strbuf *sb, const struct query_selector *sel)
{
	if (!sel->n_reqs) {
		strbuf_putc(sb, '*');
		return;
	}
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct query_req *r = &sel->reqs[i];
		strbuf_puts(sb, i ? ", " : "");
		switch (r->op) {
		case IR_SEL_IN:
		case IR_SEL_NOT_IN:
			put_key(sb, r->key);
			if (r->n_values == 1) {
				strbuf_puts(sb, r->op == IR_SEL_IN ? "=" : "!=");
				put_name(sb, r->values[0]);
				break;
			}
			strbuf_puts(sb, r->op == IR_SEL_IN ? " in (" : " notin (");
			for (size_t v = 0; v < r->n_values; v++) {
				strbuf_puts(sb, v ? "," : "");
				put_name(sb, r->values[v]);
			}
			strbuf_putc(sb, ')');
			break;
		case IR_SEL_EXISTS:
			put_key(sb, r->key);
			break;
		case IR_SEL_NOT_EXISTS:
			strbuf_putc(sb, '!');
			put_key(sb, r->key);
			break;
		}
	}
}

static const char *finish(struct arena *arena, struct strbuf *sb)
{
	const char *s = strbuf_error(sb) ? NULL : arena_strdup(arena, strbuf_cstr(sb));
	strbuf_free(sb);
	return s ? s : "?";
}

const char *query_endpoint_str(struct arena *arena, const struct query_endpoint *ep)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[64];
	switch (ep->kind) {
	case QUERY_EP_POD:
		put_name(&sb, ep->ns);
		strbuf_putc(&sb, '/');
		put_name(&sb, ep->name);
		break;
	case QUERY_EP_NAMESPACE:
		put_name(&sb, ep->ns);
		strbuf_puts(&sb, "/*");
		break;
	case QUERY_EP_PODS:
		strbuf_puts(&sb, "pod ");
		selector_str(&sb, &ep->pods);
		if (ep->has_ns) {
			strbuf_puts(&sb, " in ns ");
			selector_str(&sb, &ep->nss);
		}
		break;
	case QUERY_EP_NS_PODS:
		strbuf_puts(&sb, "ns ");
		selector_str(&sb, &ep->nss);
		break;
	case QUERY_EP_ADDR:
		inet_ntop(ep->family == 4 ? AF_INET : AF_INET6, ep->addr, buf, sizeof(buf));
		strbuf_puts(&sb, buf);
		break;
	case QUERY_EP_WORLD:
		strbuf_puts(&sb, ep->family == 6 ? "world6" : "world");
		break;
	}
	return finish(arena, &sb);
}

const char *query_service_str(struct arena *arena, const struct query_service *s)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s/", query_proto_name(s->proto));
	const char *icmp = s->proto == IR_PROTO_ICMP || s->proto == IR_PROTO_ICMPV6
		? query_icmp_type_name(s->proto == IR_PROTO_ICMP ? 4 : 6, (uint8_t)s->port)
		: NULL;
	if (s->port_name)
		put_name(&sb, s->port_name);
	else if (icmp)
		strbuf_puts(&sb, icmp);
	else
		strbuf_printf(&sb, "%u", s->port);
	return finish(arena, &sb);
}

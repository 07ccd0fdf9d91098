/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The connectivity query language (grammar/query.y, query.l): what each
 * form of endpoint, selector and service parses to, and that every
 * error carries the line and column of the offending token, with one
 * error per bad line and the good lines kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/query.h"

struct qfx {
	struct arena *arena;
	struct source_set src;
	struct diag_sink diags;
	struct query_input in;
};

static struct qfx *qfx_new(const char *text)
{
	struct qfx *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	q->arena = arena_new();
	source_set_init(&q->src, q->arena);
	diag_sink_init(&q->diags, q->arena, &q->src);
	int id = source_add_buffer(&q->src, "t.assert", text, strlen(text));
	assert_true(id > 0);
	q->in = (struct query_input){.arena = q->arena, .diags = &q->diags, .sources = &q->src, .file = (uint32_t)id};
	return q;
}

static void qfx_free(struct qfx *q)
{
	arena_free(q->arena);
	free(q);
}

static void dump(struct qfx *q)
{
	diag_print(&q->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
}

/* The error at line:col whose message contains msg. */
static void expect_error(struct qfx *q, uint32_t line, uint32_t col, const char *msg)
{
	for (size_t i = 0; i < q->diags.diags.len; i++) {
		const struct diag *d = &q->diags.diags.items[i];
		if (d->severity == DIAG_ERROR && d->loc.line == line && d->loc.col == col && strstr(d->message, msg))
			return;
	}
	fprintf(stderr, "expected error at %u:%u containing \"%s\"; got:\n", line, col, msg);
	dump(q);
	fail();
}

static void test_forms(void **state)
{
	(void)state;
	struct qfx *q = qfx_new("# the examples of the issue\n"
				"x/a -> y/b tcp/80 allow\n"
				"pod app=web in ns team=a -> 198.51.100.7 udp/53 deny   # trailing comment\n"
				"x/a -> world tcp/443 allow\n"
				"\n"
				"pod app in (web, api), tier!=db, !legacy -> fd00::7 icmpv6/echo-request deny\n"
				"ns team=a -> x/* icmp/8 allow\n"
				"2001:db8::1 -> \"tcp\"/b sctp/9000 allow\n"
				"x/a -> pod app.kubernetes.io/name==web tcp/http deny\n"
				"pod * -> world6 udp/65535 allow"); /* no final newline */
	struct query_file f;
	int rc = query_parse_file(&q->in, &f);
	if (rc)
		dump(q);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n_items, 8);

	const struct query_assertion *a = &f.items[0];
	assert_int_equal(a->from.kind, QUERY_EP_POD);
	assert_string_equal(a->from.ns, "x");
	assert_string_equal(a->from.name, "a");
	assert_string_equal(a->to.name, "b");
	assert_int_equal(a->service.proto, IR_PROTO_TCP);
	assert_int_equal(a->service.port, 80);
	assert_int_equal(a->verdict, QUERY_ALLOW);
	assert_int_equal(a->src.line, 2);
	assert_int_equal(a->src.col, 1);

	a = &f.items[1];
	assert_int_equal(a->from.kind, QUERY_EP_PODS);
	assert_true(a->from.has_ns);
	assert_int_equal(a->from.pods.n_reqs, 1);
	assert_string_equal(a->from.pods.reqs[0].key, "app");
	assert_int_equal(a->from.pods.reqs[0].op, IR_SEL_IN);
	assert_string_equal(a->from.pods.reqs[0].values[0], "web");
	assert_string_equal(a->from.nss.reqs[0].key, "team");
	assert_int_equal(a->to.kind, QUERY_EP_ADDR);
	assert_int_equal(a->to.family, 4);
	assert_memory_equal(a->to.addr, ((uint8_t[]){198, 51, 100, 7}), 4);
	assert_int_equal(a->service.proto, IR_PROTO_UDP);
	assert_int_equal(a->verdict, QUERY_DENY);

	a = &f.items[2];
	assert_int_equal(a->to.kind, QUERY_EP_WORLD);
	assert_int_equal(a->to.family, 4);

	a = &f.items[3];
	assert_int_equal(a->from.pods.n_reqs, 3);
	assert_int_equal(a->from.pods.reqs[0].n_values, 2);
	assert_string_equal(a->from.pods.reqs[0].values[1], "api");
	assert_int_equal(a->from.pods.reqs[1].op, IR_SEL_NOT_IN);
	assert_int_equal(a->from.pods.reqs[2].op, IR_SEL_NOT_EXISTS);
	assert_string_equal(a->from.pods.reqs[2].key, "legacy");
	assert_int_equal(a->to.family, 6);
	assert_int_equal(a->service.proto, IR_PROTO_ICMPV6);
	assert_int_equal(a->service.port, 128);

	a = &f.items[4];
	assert_int_equal(a->from.kind, QUERY_EP_NS_PODS);
	assert_int_equal(a->to.kind, QUERY_EP_NAMESPACE);
	assert_string_equal(a->to.ns, "x");
	assert_int_equal(a->service.proto, IR_PROTO_ICMP);
	assert_int_equal(a->service.port, 8);

	a = &f.items[5];
	assert_int_equal(a->from.kind, QUERY_EP_ADDR);
	assert_string_equal(a->to.ns, "tcp"); /* a keyword, quoted */
	assert_int_equal(a->service.proto, IR_PROTO_SCTP);

	a = &f.items[6];
	assert_string_equal(a->to.pods.reqs[0].key, "app.kubernetes.io/name");
	assert_string_equal(a->service.port_name, "http");

	a = &f.items[7];
	assert_int_equal(a->from.pods.n_reqs, 0);
	assert_int_equal(a->to.family, 6);
	assert_int_equal(a->service.port, 65535);

	/* The canonical text reads back as written. */
	assert_string_equal(query_endpoint_str(q->arena, &f.items[3].from), "pod app in (web,api), tier!=db, !legacy");
	assert_string_equal(query_endpoint_str(q->arena, &f.items[1].from), "pod app=web in ns team=a");
	assert_string_equal(query_service_str(q->arena, &f.items[3].service), "icmpv6/echo-request");
	assert_string_equal(query_endpoint_str(q->arena, &f.items[3].to), "fd00::7");
	qfx_free(q);
}

static void test_errors_have_positions(void **state)
{
	(void)state;
	struct qfx *q = qfx_new("x/a -> y/b tcp/80 allow\n"
				"x/a -> y/b tcp/80\n"                 /* 2: no verdict */
				"x/a -> y/b tpc/80 allow\n"           /* 3: not a protocol */
				"x/a -> 198.51.100.300 tcp/80 allow\n" /* 4: bad IPv4 */
				"x/a -> y/b tcp/70000 allow\n"        /* 5: port range */
				"x/a -> fd00::g:1 tcp/80 allow\n"      /* 6: bad IPv6 */
				"x/a -> y/b icmp/echo allow\n"        /* 7: unknown ICMP type */
				"x/a => y/b tcp/80 allow\n"           /* 8: one error for the line */
				"pod app in (a,b -> y/b tcp/80 allow\n" /* 9 */
				"x/a -> y/b tcp/80 allow\x01\n"       /* 10: control character */
				"x/a -> y/b tcp/80 allow\n");
	struct query_file f;
	assert_int_equal(query_parse_file(&q->in, &f), -EINVAL);
	/* The good lines are kept. */
	assert_int_equal(f.n_items, 2);
	assert_int_equal(f.items[1].src.line, 11);
	expect_error(q, 2, 18, "unexpected end of line, expecting allow or deny");
	expect_error(q, 3, 12, "unexpected name");
	expect_error(q, 4, 8, "invalid IPv4 address 198.51.100.300");
	expect_error(q, 5, 12, "70000 is out of range");
	expect_error(q, 6, 8, "invalid IPv6 address fd00::g:1");
	expect_error(q, 7, 12, "unknown ICMP type \"echo\"");
	expect_error(q, 8, 5, "unexpected =, expecting ->");
	expect_error(q, 9, 17, "unexpected ->");
	expect_error(q, 10, 24, "control character 0x01");
	assert_int_equal(q->diags.count[DIAG_ERROR], 9);

	/* The text rendering puts the caret under the token. */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	diag_sort(&q->diags);
	diag_print(&q->diags, out, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
	fclose(out);
	assert_non_null(strstr(buf, "t.assert:4:8: error: invalid IPv4 address 198.51.100.300 [query-address]\n"
				    "     4 | x/a -> 198.51.100.300 tcp/80 allow\n"
				    "       |        ^~~~~~~~~~~~~~\n"));
	free(buf);
	qfx_free(q);
}

static void test_single_endpoint_and_service(void **state)
{
	(void)state;
	struct qfx *q = qfx_new("pod app=web in ns kubernetes.io/metadata.name=shop");
	struct query_endpoint ep;
	assert_int_equal(query_parse_endpoint(&q->in, &ep), 0);
	assert_int_equal(ep.kind, QUERY_EP_PODS);
	assert_string_equal(ep.nss.reqs[0].key, "kubernetes.io/metadata.name");
	qfx_free(q);

	q = qfx_new("udp/dns");
	struct query_service svc;
	assert_int_equal(query_parse_service(&q->in, &svc), 0);
	assert_string_equal(svc.port_name, "dns");
	qfx_free(q);

	/* An endpoint where a service is wanted, and trailing text. */
	q = qfx_new("x/a");
	assert_int_equal(query_parse_service(&q->in, &svc), -EINVAL);
	expect_error(q, 1, 1, "unexpected name, expecting protocol");
	qfx_free(q);
	q = qfx_new("x/a tcp/80");
	assert_int_equal(query_parse_endpoint(&q->in, &ep), -EINVAL);
	expect_error(q, 1, 5, "unexpected protocol, expecting end of file");
	qfx_free(q);
	q = qfx_new("");
	assert_int_equal(query_parse_endpoint(&q->in, &ep), -EINVAL);
	expect_error(q, 1, 1, "unexpected end of file");
	qfx_free(q);
}

/* Garbage of every kind: an error, never a crash, and bounded error counts. */
static void test_garbage(void **state)
{
	(void)state;
	char junk[4096];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof(junk) - 1; i++) {
		seed = seed * 1103515245 + 12345;
		junk[i] = (char)(seed >> 16);
	}
	junk[sizeof(junk) - 1] = '\0';
	struct qfx *q = qfx_new("");
	int id = source_add_buffer(&q->src, "junk", junk, sizeof(junk));
	q->in.file = (uint32_t)id;
	struct query_file f;
	assert_int_equal(query_parse_file(&q->in, &f), -EINVAL);
	assert_true(q->diags.count[DIAG_ERROR] >= 1);
	assert_true(q->diags.count[DIAG_ERROR] <= 50);
	qfx_free(q);

	/* A line of ten thousand commas. */
	char *commas = malloc(20010);
	strcpy(commas, "pod a");
	for (int i = 0; i < 10000; i++)
		memcpy(commas + 5 + 2 * i, ",a", 3);
	q = qfx_new(commas);
	assert_int_equal(query_parse_file(&q->in, &f), -EINVAL);
	assert_int_equal(q->diags.count[DIAG_ERROR], 1);
	free(commas);
	qfx_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors_have_positions),
		cmocka_unit_test(test_single_endpoint_and_service),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

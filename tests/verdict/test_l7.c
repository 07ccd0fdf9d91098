/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, L7 HTTP: policies with Cilium HTTP rules go through the
 * real decoder, passes, codegen, clang and loader; TCP conversations are
 * played segment by segment through the real entry programs
 * (BPF_PROG_TEST_RUN), and every answer the datapath makes is checked:
 * what passes, what is dropped, the reset that replaces a refused
 * segment on its way to the server (the test run's output packet), and
 * the 403 or reset sent back to the client (a clone, caught on the veth
 * it was redirected to), with valid IP and TCP checksums. The world and
 * the conversation helpers: l7_world.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include <bpf/bpf.h>

#include "l7_world.h"
#include "runner.h"
#include "verdict.h"

/* ---- tests --------------------------------------------------------------------- */

/* Method and path regex, egress rule: allowed requests pass untouched, a denied one gets a 403. */
static void test_method_and_path(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);
	/* The verifier's work for a generation with HTTP rules, within the budget of test_verifier.c. */
	uint32_t insns = prog_verified_insns(polc_private_prog_fd(w->priv, POLC_PROG_GEN));
	print_message("      generation with HTTP rules: %u instructions verified\n", insns);
	assert_in_range(insns, 1, 100000);

	conv_init(&c, w, 4, 40001);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 100);
	send_ok(&c, "GET /public/a/b?x=1&y=%20 HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 50);
	send_refused(&c, "POST /public HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n", true);

	conv_init(&c, w, 4, 40002);
	conv_open(&c);
	send_refused(&c, "GET /private HTTP/1.1\r\nHost: s\r\n\r\n", true);
	/* The query string is part of the path Cilium matches: /public?x is not /public(/.*)? */
	conv_init(&c, w, 4, 40003);
	conv_open(&c);
	send_refused(&c, "GET /public?x=1 HTTP/1.1\r\nHost: s\r\n\r\n", true);
}

/* The same on the server's ingress, and in IPv6. */
static void test_ingress_ipv6(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, false);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);

	conv_init(&c, w, 6, 40011);
	conv_open(&c);
	send_ok(&c, "GET /public/x HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);
	send_refused(&c, "DELETE /public/x HTTP/1.1\r\nHost: s\r\n\r\n", true);

	conv_init(&c, w, 4, 40012);
	conv_open(&c);
	send_refused(&c, "GET /admin HTTP/1.1\r\nHost: s\r\n\r\n", true);
}

/* Host regex, header presence and exact value (headers and headerMatches). */
static void test_host_and_headers(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, "- host: '^api\\.example\\.com(:80)?$'\n"
			"  headers: ['X-Token: s3cret', 'X-Trace']\n"
			"- path: /health\n"
			"  headerMatches: [{name: X-Env, value: prod}]\n");
	world_load(w);

	conv_init(&c, w, 4, 40021);
	conv_open(&c);
	send_ok(&c, "GET /anything HTTP/1.1\r\nHost: api.example.com\r\nx-token:   s3cret  \r\nX-TRACE:\r\n\r\n");
	answer(&c, 10);
	send_ok(&c, "GET /health HTTP/1.1\r\nHost: other\r\nX-Env: prod\r\n\r\n");
	answer(&c, 10);
	/* Wrong token value. */
	send_refused(&c, "GET /anything HTTP/1.1\r\nHost: api.example.com\r\nX-Token: s3cret2\r\nX-Trace: 1\r\n\r\n",
		     true);

	conv_init(&c, w, 4, 40022);
	conv_open(&c);
	/* X-Trace missing. */
	send_refused(&c, "GET / HTTP/1.1\r\nHost: api.example.com\r\nX-Token: s3cret\r\n\r\n", true);

	conv_init(&c, w, 4, 40023);
	conv_open(&c);
	/* Wrong host. */
	send_refused(&c, "GET / HTTP/1.1\r\nHost: evil.example.com\r\nX-Token: s3cret\r\nX-Trace: 1\r\n\r\n", true);

	conv_init(&c, w, 4, 40024);
	conv_open(&c);
	/* A repeated header is matched as its values joined with ',': "prod,prod" is not "prod". */
	send_refused(&c, "GET /health HTTP/1.1\r\nHost: a\r\nX-Env: prod\r\nX-Env: prod\r\n\r\n", true);
}

/* Keep-alive and pipelining: every request judged; a denied one behind allowed ones is not smuggled. */
static void test_pipelining_and_smuggling(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC "- method: POST\n  path: /public/upload\n");
	world_load(w);

	conv_init(&c, w, 4, 40031);
	conv_open(&c);
	/* Two allowed requests in one segment, then a body that looks like a request: it is a body. */
	send_ok(&c, "GET /public/1 HTTP/1.1\r\nHost: s\r\n\r\nGET /public/2 HTTP/1.1\r\nHost: s\r\n\r\n");
	send_ok(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nContent-Length: 32\r\n\r\n"
		    "GET /admin HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 60);
	/* An allowed request with a denied one right behind it, in one segment: refused (reset: pipelined). */
	send_refused(&c, "GET /public/3 HTTP/1.1\r\nHost: s\r\n\r\nGET /admin HTTP/1.1\r\nHost: s\r\n\r\n", false);

	/* A denied request in the segment after an unanswered allowed one: a reset, not a 403 it could misread. */
	conv_init(&c, w, 4, 40032);
	conv_open(&c);
	send_ok(&c, "GET /public/1 HTTP/1.1\r\nHost: s\r\n\r\n");
	send_refused(&c, "GET /admin HTTP/1.1\r\nHost: s\r\n\r\n", false);

	/* Body split over segments, then the next head: judged where the body ends. */
	conv_init(&c, w, 4, 40033);
	conv_open(&c);
	send_ok(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nContent-Length: 10\r\n\r\n12345");
	send_ok(&c, "67890");
	answer(&c, 10);
	send_refused(&c, "POST /private HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n", true);
}

/* Chunked bodies: framing followed across segments; smuggling through chunk sizes fails. */
static void test_chunked(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC "- method: POST\n  path: /public/upload\n");
	world_load(w);

	conv_init(&c, w, 4, 40041);
	conv_open(&c);
	send_ok(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1");
	send_ok(&c, "a;ext=1\r\n0123456789abcdef0123456789\r\n0\r\nTrailer: x\r\n\r\nGET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);
	send_refused(&c, "GET /admin HTTP/1.1\r\nHost: s\r\n\r\n", true);

	/* Content-Length and Transfer-Encoding together, or TE other than chunked: refused (reset). */
	conv_init(&c, w, 4, 40042);
	conv_open(&c);
	send_refused(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		     false);
	conv_init(&c, w, 4, 40043);
	conv_open(&c);
	send_refused(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", false);
	/* Bad chunk size. */
	conv_init(&c, w, 4, 40044);
	conv_open(&c);
	send_refused(&c, "POST /public/upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false);
}

/* What cannot be judged is refused with resets: split heads, long lines, HTTP/2, odd syntax. */
static void test_fail_closed(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, "- {}\n"); /* every request: only parsing can refuse */
	world_load(w);
	static const char *const bad[] = {
		"GET /public HTTP/1.1\r\nHost: s\r\n",                  /* head split: the rest would follow */
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",                     /* HTTP/2 preface */
		"GET /a//b HTTP/1.1\r\nHost: s\r\n\r\n",                 /* empty segment */
		"GET /a/../admin HTTP/1.1\r\nHost: s\r\n\r\n",           /* dot segment */
		"GET /a/%2e%2e/admin HTTP/1.1\r\nHost: s\r\n\r\n",       /* escaped dots */
		"GET /a%2Fb HTTP/1.1\r\nHost: s\r\n\r\n",                /* escaped slash */
		"GET /public HTTP/1.1\nHost: s\n\n",                     /* bare LF */
		"GET /public HTTP/1.1\r\nHost : s\r\n\r\n",              /* space before the colon */
		"GET /public HTTP/1.1\r\nX: a\r\n b\r\n\r\n",            /* obs-fold */
		"GET /public HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",    /* two hosts */
		"GET /public HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", /* two lengths */
		"GET /public HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",    /* upgrade */
		"GET http://s/public HTTP/1.1\r\n\r\n",                  /* absolute form */
		"GET /public HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", /* TE in 1.0 */
		"GET /pu\x01lic HTTP/1.1\r\n\r\n",                       /* control byte */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conv_init(&c, w, 4, (uint16_t)(40100 + i));
		conv_open(&c);
		send_refused(&c, bad[i], false);
	}
	/* A good request passes: the refusals above are the parser's. */
	conv_init(&c, w, 4, 40198);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
}

/* The parser's bounds (polc compile --http-limits): a request line or header count beyond them is refused. */
static void test_bounds(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	char big[1200];
	world_init(w, true);
	w->max_line = 600;
	w->max_headers = 3;
	add_rule(w, 80, "- {}\n");
	world_load(w);

	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', 580);
	strcpy(big + 585, " HTTP/1.1\r\nHost: s\r\n\r\n");
	conv_init(&c, w, 4, 40200);
	conv_open(&c);
	send_ok(&c, big); /* a line of 596 bytes */
	memset(big + 5, 'a', 1000);
	strcpy(big + 1005, " HTTP/1.1\r\nHost: s\r\n\r\n");
	conv_init(&c, w, 4, 40201);
	conv_open(&c);
	send_refused(&c, big, false);

	conv_init(&c, w, 4, 40202);
	conv_open(&c);
	send_ok(&c, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
	conv_init(&c, w, 4, 40203);
	conv_open(&c);
	send_refused(&c, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", false);
}

/* TCP: data before the SYN-ACK, gaps, repeats, and a repeat that changes what was judged. */
static void test_tcp_order(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	struct seen s;
	const char *ok1 = "GET /public/1 HTTP/1.1\r\nHost: s\r\n\r\n";
	const char *bad1 = "GET /admin/11 HTTP/1.1\r\nHost: s\r\n\r\n"; /* same length as ok1 */
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);

	conv_init(&c, w, 4, 40051);
	client_seg(&c, c.cseq, PKT_SYN, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	c.cseq++;
	/* Before the server's SYN-ACK nothing passes. */
	client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, ok1, strlen(ok1), &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
	server_seg(&c, c.sseq, PKT_SYN | PKT_ACK, NULL, 0, &s);
	c.sseq++;
	/* A gap: dropped, the client sends the missing bytes again. */
	client_seg(&c, c.cseq + 10, PKT_ACK | PKT_PSH, ok1, strlen(ok1), &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
	send_ok(&c, ok1);
	/* The same segment again (lost after the hook): judged again, passes. */
	client_seg(&c, c.cseq - (uint32_t)strlen(ok1), PKT_ACK | PKT_PSH, ok1, strlen(ok1), &s);
	assert_true(unchanged(&s, c.cseq - (uint32_t)strlen(ok1), PKT_ACK | PKT_PSH, strlen(ok1)));
	/* The same bytes with other content: judged again, and refused. */
	client_seg(&c, c.cseq - (uint32_t)strlen(bad1), PKT_ACK | PKT_PSH, bad1, strlen(bad1), &s);
	assert_int_equal(s.flags, PKT_ACK | PKT_RST);

	/* Once acknowledged by the server, a repeat cannot matter: it passes. */
	conv_init(&c, w, 4, 40052);
	conv_open(&c);
	send_ok(&c, ok1);
	answer(&c, 20); /* the server's ACK covers the request */
	client_seg(&c, c.cseq - (uint32_t)strlen(bad1), PKT_ACK | PKT_PSH, bad1, strlen(bad1), &s);
	assert_true(unchanged(&s, c.cseq - (uint32_t)strlen(bad1), PKT_ACK | PKT_PSH, strlen(bad1)));
	send_ok(&c, "GET /public/2 HTTP/1.1\r\nHost: s\r\n\r\n");
}

/*
 * What an attacker in the client pod could try at the TCP and IP level:
 * a SYN to restart the judged stream mid-connection, a packet with its
 * addresses turned around to pass for the server's, IP fragments (the
 * later ones would pass on the first one's verdict), data after FIN.
 */
static void test_tcp_tricks(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	struct seen s;
	struct pkt p;
	int ifindex, dir;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);

	conv_init(&c, w, 4, 40401);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	/* A new SYN on a live connection does not reset what polc follows. */
	client_seg(&c, c.cseq + 1000, PKT_SYN, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
	send_ok(&c, "GET /public/2 HTTP/1.1\r\nHost: s\r\n\r\n");

	/* The server's addresses on the client's hook and direction: not judged as the server's. */
	segment(&p, c.saddr, c.sport, c.caddr, c.cport, c.sseq, c.cseq + 5000, PKT_ACK, NULL, 0);
	client_hook(&c, &ifindex, &dir);
	run(w, ifindex, dir, &p, &s);
	assert_int_equal(s.verdict, VERDICT_DROP);

	/* A request in IP fragments: dropped whole. */
	{
		const char *req = "GET /public/3 HTTP/1.1\r\nHost: s\r\n\r\n";
		struct pkt_ip4_opts frag = {.frag_off = 0x2000};
		pkt_init(&p);
		pkt_eth(&p, ETH_P_IP);
		assert_int_equal(pkt_ipv4(&p, c.caddr, c.saddr, IPPROTO_TCP, &frag), 0);
		size_t l4 = p.len;
		pkt_tcp_hdr(&p, c.cport, c.sport, PKT_ACK | PKT_PSH);
		put32be(p.data + l4 + 4, c.cseq);
		put32be(p.data + l4 + 8, c.sseq);
		pkt_bytes(&p, req, 16);
		assert_int_equal(pkt_finish(&p), 0);
		run(w, ifindex, dir, &p, &s);
		assert_int_equal(s.verdict, VERDICT_DROP);
	}

	/* Data after the client's FIN. */
	client_seg(&c, c.cseq, PKT_ACK | PKT_FIN, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	client_seg(&c, c.cseq + 1, PKT_ACK | PKT_PSH, "GET /admin HTTP/1.1\r\n\r\n", 24, &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
}

/* After a refusal the connection is closed for good: later packets get resets, with their own numbers. */
static void test_denied_connection(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	struct seen s;
	world_init(w, false);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);

	conv_init(&c, w, 4, 40061);
	conv_open(&c);
	send_refused(&c, "GET /admin HTTP/1.1\r\nHost: s\r\n\r\n", true);
	c.cseq += 33;
	/* The client's acknowledgement of the 403: dropped quietly. */
	client_seg(&c, c.cseq, PKT_ACK, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
	/* More data: sent back as a reset at the client's own acknowledgement. */
	client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, "GET /public HTTP/1.1\r\n\r\n", 24, &s);
	assert_int_equal(s.verdict, TC_ACT_REDIRECT);
	assert_int_equal(s.flags, PKT_ACK | PKT_RST);
	assert_int_equal(s.seq, c.sseq);
	assert_true(s.csum_ok);
	/* The server speaking after the refusal (it missed our reset): reset with its own ack. */
	server_seg(&c, c.sseq, PKT_ACK | PKT_PSH, "late", 4, &s);
	assert_int_equal(s.verdict, TC_ACT_REDIRECT);
	assert_int_equal(s.flags, PKT_ACK | PKT_RST);
	assert_int_equal(s.seq, c.cseq);
}

/* Union semantics: a rule without HTTP rules for the same peer and port allows every request. */
static void test_union_with_l4_rule(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	add_rule(w, 80, NULL);
	add_rule(w, 8080, RULES_GET_PUBLIC);
	add_rule(w, 8080, "- method: PUT\n");
	world_load(w);

	conv_init(&c, w, 4, 40071);
	conv_open(&c);
	send_ok(&c, "DELETE /anything HTTP/1.1\r\nHost: s\r\n\r\n");

	/* Two HTTP rules on 8080: either may allow. */
	conv_init(&c, w, 4, 40072);
	c.sport = 8080;
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);
	send_ok(&c, "PUT /anything HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n");
	answer(&c, 10);
	send_refused(&c, "POST /public HTTP/1.1\r\nHost: s\r\n\r\n", true);
}

/* A connection without HTTP rules never enters the L7 path: its conntrack entry says so. */
static void test_l4_flows_untouched(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	struct seen s;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	add_rule(w, 22, NULL);
	world_load(w);

	conv_init(&c, w, 4, 40081);
	c.sport = 22;
	conv_open(&c);
	client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, "SSH-2.0-x\r\n", 11, &s);
	assert_true(unchanged(&s, c.cseq, PKT_ACK | PKT_PSH, 11));
	/* No HTTP state was made for it. */
	int fd = polc_private_map_fd(w->priv, POLC_MAP_L7);
	assert_true(fd >= 0);
	struct polc_ct_key k, next;
	assert_int_equal(bpf_map_get_next_key(fd, NULL, &k), -ENOENT);
	(void)next;
}

/* Audit mode (polc.io/audit): refusals are reported and pass; a stream polc cannot follow passes too. */
static void test_audit(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, false);
	add_rule(w, 80, RULES_GET_PUBLIC);
	w->prog.policies.items[0]->audit = true;
	world_load(w);

	conv_init(&c, w, 4, 40091);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	send_ok(&c, "DELETE /private HTTP/1.1\r\nHost: s\r\n\r\n");
	send_ok(&c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	send_ok(&c, "anything at all");
}

/*
 * Policy updates under live connections: HTTP rules dropped, every
 * request passes; added to a connection polc did not follow from its
 * start, it is reset (where would the next request start?); changed,
 * the next request is judged by the new rules.
 */
static void test_policy_updates(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	struct seen s;
	world_init(w, true);
	struct ir_rule *r = add_rule(w, 80, RULES_GET_PUBLIC);
	const struct ir_l7 *get_public = r->ports[0].l7;
	world_load(w);

	conv_init(&c, w, 4, 40301);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);

	/* Without HTTP rules: anything. */
	r->ports[0].l7 = NULL;
	world_swap(w);
	send_ok(&c, "DELETE /x HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);

	/* HTTP rules again: this connection was not followed meanwhile; it is reset. */
	r->ports[0].l7 = get_public;
	world_swap(w);
	client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, "GET /public HTTP/1.1\r\n\r\n", 25, &s);
	assert_int_equal(s.verdict, TC_ACT_REDIRECT);
	assert_int_equal(s.flags, PKT_ACK | PKT_RST);

	/* Other HTTP rules on a followed connection: the next request meets them. */
	conv_init(&c, w, 4, 40302);
	conv_open(&c);
	send_ok(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n");
	answer(&c, 10);
	r->ports[0].l7 = http_rules(w, "- {method: PUT}\n");
	world_swap(w);
	send_ok(&c, "PUT /x HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\n\r\n");
	answer(&c, 10);
	send_refused(&c, "GET /public HTTP/1.1\r\nHost: s\r\n\r\n", true);
}

int verdict_group_l7(struct topo *topo)
{
	if (l7_world_ifaces()) {
		fprintf(stderr, "verdict: cannot create %s and %s\n", CLIENT_IF, SERVER_IF);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_method_and_path, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_ingress_ipv6, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_host_and_headers, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_pipelining_and_smuggling, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_chunked, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_fail_closed, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_bounds, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_order, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_tricks, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_denied_connection, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_union_with_l4_rule, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_l4_flows_untouched, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_audit, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_policy_updates, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_l7_random_heads, l7_setup, l7_teardown),
		cmocka_unit_test_setup_teardown(test_l7_random_streams, l7_setup, l7_teardown),
	};
	return VT_RUN_GROUP("l7", tests, topo);
}

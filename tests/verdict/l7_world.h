/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the L7 verdict tests share (test_l7_world.c: linked into the verdict binary only, it uses cmocka): a policy built by hand
 * with HTTP rules decoded from YAML, compiled by the real passes, codegen
 * and clang, loaded as a private datapath; TCP conversations played
 * segment by segment through its entry programs (BPF_PROG_TEST_RUN), and
 * what the datapath did with each segment, parsed, answers to the client
 * (clones redirected onto a veth) caught and checked.
 *
 * Two pods: the client 198.18.0.10 / fd00::a on polc-h0, the server
 * 198.18.0.20 / fd00::b on polc-h1. An egress rule of the client is
 * judged on polc-h0 (its requests enter the host there: tc ingress), an
 * ingress rule of the server on polc-h1 (tc egress). l7_world_ifaces()
 * creates both veth pairs, up, in the test's namespace.
 */
#ifndef POLC_TEST_L7_WORLD_H
#define POLC_TEST_L7_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/datapath.h"
#include "ir/ir.h"
#include "loader/loader.h"
#include "pkt.h"
#include "polc/artifact.h"
#include "util/diag.h"

#define CLIENT_IF "polc-h0"
#define SERVER_IF "polc-h1"
#define C4 "198.18.0.10"
#define S4 "198.18.0.20"
#define C6 "fd00::a"
#define S6 "fd00::b"

struct l7w {
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp;
	struct polc_private *priv;
	int from_pod, to_pod;
	int ifc, ifs;        /* client's and server's host-side interfaces */
	int peer_c;          /* the client pod's end of its veth */
	int sock_c, sock_s;  /* packet sockets: the client pod's end, the server's host side */
	bool egress;         /* the rule is the client's egress (else the server's ingress) */
	uint32_t max_line, max_headers; /* the parser's bounds; 0: polc's defaults */
};

struct conv {
	struct l7w *w;
	int family;
	const char *caddr, *saddr;
	uint16_t cport, sport;
	uint32_t cseq, sseq; /* next sequence number of each side */
};

/* What the datapath did with a segment. */
struct seen {
	int verdict;
	uint8_t out[PKT_MAX];
	size_t out_len;
	/* The output (or a caught clone) parsed: */
	uint8_t flags;
	uint32_t seq, ack;
	const uint8_t *payload;
	size_t payload_len;
	bool csum_ok;
	char src[64], dst[64];
};

struct ir_l7 *http_rules(struct l7w *w, const char *yaml);
void world_init(struct l7w *w, bool egress);
struct ir_rule *add_rule(struct l7w *w, uint16_t port, const char *http_yaml);
int ifup(const char *name);
void drain(int fd);
struct polc_artifact *world_compile(struct l7w *w);
void world_load(struct l7w *w);
void world_swap(struct l7w *w);
void world_free(struct l7w *w);
void put32be(uint8_t *p, uint32_t v);
void segment(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t seq,
		    uint32_t ack, uint8_t flags, const void *data, size_t len);
void run(struct l7w *w, int ifindex, int dir, const struct pkt *p, struct seen *s);
void client_hook(const struct conv *c, int *ifindex, int *dir);
void server_hook(const struct conv *c, int *ifindex, int *dir);
void conv_init(struct conv *c, struct l7w *w, int family, uint16_t cport);
void client_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s);
void server_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s);
bool unchanged(const struct seen *s, uint32_t seq, uint8_t flags, size_t len);
void conv_open(struct conv *c);
void send_ok_at(struct conv *c, const char *text, const char *file, int line);
void answer(struct conv *c, size_t n);
bool caught(struct conv *c, struct seen *s);
void send_refused_at(struct conv *c, const char *text, bool want_403, const char *file, int line);
int l7_setup(void **state);
int l7_teardown(void **state);

#define send_ok(c, text) send_ok_at((c), (text), __FILE__, __LINE__)
#define send_refused(c, text, want_403) send_refused_at((c), (text), (want_403), __FILE__, __LINE__)

/* The rule most tests use. */
#define RULES_GET_PUBLIC "- method: GET\n  path: /public(/.*)?\n"

/* test_l7_random.c: random heads, the kernel against a reference parser. */
void test_l7_random_heads(void **state);
/* test_l7_random.c: random streams of requests and bodies, cut into random segments. */
void test_l7_random_streams(void **state);

/* Both veth pairs, up. 0 or -errno. */
int l7_world_ifaces(void);

#endif

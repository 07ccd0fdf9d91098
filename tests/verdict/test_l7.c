/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, L7 HTTP: policies with Cilium HTTP rules go through the
 * real decoder, passes, codegen, clang and loader; TCP conversations are
 * played segment by segment through the real entry programs
 * (BPF_PROG_TEST_RUN), and every answer the datapath makes is checked:
 * what passes, what is dropped, the reset that replaces a refused
 * segment on its way to the server (the test run's output packet), and
 * the 403 or reset sent back to the client (a clone, caught on the veth
 * it was redirected to), with valid IP and TCP checksums.
 *
 * Two pods: the client 198.18.0.10 / fd00::a on polc-h0, the server
 * 198.18.0.20 / fd00::b on polc-h1. An egress rule of the client is
 * judged on polc-h0 (its requests enter the host there: tc ingress), an
 * ingress rule of the server on polc-h1 (tc egress).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>

#include "../unit/ir_builder.h"
#include "codegen/codegen.h"
#include "frontend/cilium_http.h"
#include "frontend/yaml.h"
#include "ir/dump.h"
#include "loader/loader.h"
#include "netns.h"
#include "passes/passes.h"
#include "polc/artifact.h"
#include "verdict.h"

#define CLIENT_IF "polc-h0"
#define SERVER_IF "polc-h1"
#define C4 "198.18.0.10"
#define S4 "198.18.0.20"
#define C6 "fd00::a"
#define S6 "fd00::b"

/* ---- the policy: built by hand, HTTP rules from YAML through the decoder ---- */

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

static struct ir_l7 *http_rules(struct l7w *w, const char *yaml)
{
	int id = source_add_buffer(&w->sources, "http.yaml", yaml, strlen(yaml));
	struct ystream ys;
	struct decoder d;
	struct ir_l7 *l7 = NULL;
	struct ypath p = YPATH_KEY(NULL, "http");

	assert_true(id > 0);
	assert_int_equal(yaml_load(w->arena, &w->diags, &w->sources, (uint32_t)id, &yaml_default_limits, &ys), 0);
	decoder_init(&d, w->arena, &w->diags);
	if (!cilium_http_decode(&d, ys.docs[0].root, &p, (struct src_loc){0}, &l7)) {
		diag_print(&w->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
		fail_msg("http rules do not decode");
	}
	return l7;
}

static void world_init(struct l7w *w, bool egress)
{
	memset(w, 0, sizeof(*w));
	w->arena = arena_new();
	source_set_init(&w->sources, w->arena);
	diag_sink_init(&w->diags, w->arena, &w->sources);
	ir_program_init(&w->prog, w->arena);
	w->egress = egress;
	tb_namespace(&w->prog, "x");
	struct ir_pod *c = tb_pod(&w->prog, "x", "client", "app=client", C4, CLIENT_IF);
	c->addrs[c->n_addrs++] = tb_cidr(C6);
	struct ir_pod *s = tb_pod(&w->prog, "x", "server", "app=server", S4, SERVER_IF);
	s->addrs[s->n_addrs++] = tb_cidr(S6);
}

/* A rule of the client's egress (to app=server) or the server's ingress (from app=client) on TCP port. */
static struct ir_rule *add_rule(struct l7w *w, uint16_t port, const char *http_yaml)
{
	const char *subject = w->egress ? "k8s:app=client,k8s:io.kubernetes.pod.namespace=x"
					: "k8s:app=server,k8s:io.kubernetes.pod.namespace=x";
	struct ir_policy *pol = NULL;
	for (size_t i = 0; i < w->prog.policies.len; i++)
		pol = w->prog.policies.items[i];
	if (!pol)
		pol = tb_policy(&w->prog, IR_POLICY_CNP, "x", "l7", subject, !w->egress, w->egress);
	struct ir_rule *r = ir_rule_new(&w->prog, pol, w->egress ? IR_EGRESS : IR_INGRESS, IR_ALLOW);
	tb_peer_selector(&w->prog, r, w->egress ? "k8s:app=server" : "k8s:app=client");
	tb_port(&w->prog, r, IR_PROTO_TCP, port, port, NULL);
	if (http_yaml)
		r->ports[0].l7 = http_rules(w, http_yaml);
	return r;
}

static int ifup(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc ? -errno : 0;
}

static int packet_socket(int ifindex)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	assert_true(fd >= 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void drain(int fd)
{
	char buf[4096];
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

/* Passes, codegen, clang: the artifact of the world's IR as it is now. */
static struct polc_artifact *world_compile(struct l7w *w)
{
	struct pass_ctx ctx;
	memset(&w->dp, 0, sizeof(w->dp));
	int err = pass_ctx_init(&ctx, w->arena, &w->diags, &w->prog, &w->dp);
	if (!err)
		err = pass_identities(&ctx);
	if (!err)
		err = pass_endpoints(&ctx);
	if (!err)
		err = pass_port_classes(&ctx);
	if (!err)
		err = pass_cidr_classes(&ctx);
	if (!err)
		err = pass_entries(&ctx);
	if (!err)
		err = pass_l7(&ctx);
	if (err) {
		diag_print(&w->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
		fail_msg("passes: %s", strerror(-err));
	}
	struct codegen_sizes sizes;
	struct strbuf header = STRBUF_INIT;
	struct clang_options clang = {0};
	void *obj = NULL, *bytes = NULL;
	size_t obj_size = 0, size = 0;
	codegen_sizes(&w->prog, &w->dp, &sizes);
	if (w->max_line)
		sizes.http.max_line = w->max_line;
	if (w->max_headers)
		sizes.http.max_headers = w->max_headers;
	err = codegen_header(&header, &w->prog, &w->dp, &w->sources, &sizes);
	if (!err)
		err = codegen_build(&header, &clang, &w->diags, &obj, &obj_size);
	if (!err)
		err = codegen_artifact(&w->prog, &w->dp, &w->sources, &sizes, obj, obj_size, &bytes, &size);
	struct polc_artifact *art = NULL;
	char msg[256];
	if (!err)
		err = polc_artifact_parse(bytes, size, &art, msg, sizeof(msg));
	free(obj);
	free(bytes);
	strbuf_free(&header);
	if (err) {
		diag_print(&w->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
		fail_msg("compile: %s", strerror(-err));
	}
	return art;
}

static void world_load(struct l7w *w)
{
	struct polc_artifact *art = world_compile(w);
	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, opts);
	int err = polc_private_load(art, &opts, &w->priv, &perr);
	polc_artifact_free(art);
	if (err)
		fail_msg("load: %s", perr.message);
	w->from_pod = polc_private_prog_fd(w->priv, "polc_from_pod");
	w->to_pod = polc_private_prog_fd(w->priv, "polc_to_pod");
	w->ifc = (int)if_nametoindex(CLIENT_IF);
	w->ifs = (int)if_nametoindex(SERVER_IF);
	w->peer_c = (int)if_nametoindex(CLIENT_IF "p");
	assert_true(w->ifc > 0 && w->ifs > 0 && w->peer_c > 0);
	w->sock_c = packet_socket(w->peer_c);
	w->sock_s = packet_socket(w->ifs);
	drain(w->sock_c);
	drain(w->sock_s);
}

/* Swap in the world's IR as it is now, as a policy update does (conntrack and HTTP state kept). */
static void world_swap(struct l7w *w)
{
	struct polc_artifact *art = world_compile(w);
	struct polc_error perr = {0};
	int err = polc_private_swap(w->priv, art, &perr);
	polc_artifact_free(art);
	if (err)
		fail_msg("swap: %s", perr.message);
	w->from_pod = polc_private_prog_fd(w->priv, "polc_from_pod");
	w->to_pod = polc_private_prog_fd(w->priv, "polc_to_pod");
}

static void world_free(struct l7w *w)
{
	if (w->sock_c > 0)
		close(w->sock_c);
	if (w->sock_s > 0)
		close(w->sock_s);
	polc_private_free(w->priv);
	arena_free(w->arena);
}

/* ---- TCP conversations --------------------------------------------------------- */

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

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The TCP checksum of the segment at l4 in frame (v4 or v6), computed over everything. */
static uint16_t tcp_csum(const uint8_t *frame, size_t len, int family, size_t l4)
{
	uint32_t s = 0;
	size_t seg = len - l4;
	if (family == 4) {
		s = sum16(frame + 14 + 12, 8, 0);
	} else {
		s = sum16(frame + 14 + 8, 32, 0);
	}
	s += 6 + (uint32_t)seg;
	return fold(sum16(frame + l4, seg, s));
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A TCP segment src -> dst with payload, checksums computed. */
static void segment(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t seq,
		    uint32_t ack, uint8_t flags, const void *data, size_t len)
{
	uint8_t a[16];
	int family = pkt_addr(src, a);
	pkt_init(p);
	if (family == 4) {
		pkt_eth(p, ETH_P_IP);
		assert_int_equal(pkt_ipv4(p, src, dst, IPPROTO_TCP, NULL), 0);
	} else {
		pkt_eth(p, ETH_P_IPV6);
		assert_int_equal(pkt_ipv6(p, src, dst, IPPROTO_TCP), 0);
	}
	size_t l4 = p->len;
	pkt_tcp_hdr(p, sport, dport, flags);
	put32be(p->data + l4 + 4, seq);
	put32be(p->data + l4 + 8, ack);
	if (len)
		pkt_bytes(p, data, len);
	assert_int_equal(pkt_finish(p), 0);
	p->data[l4 + 16] = p->data[l4 + 17] = 0;
	uint16_t c = tcp_csum(p->data, p->len, family, l4);
	p->data[l4 + 16] = c >> 8;
	p->data[l4 + 17] = c & 0xff;
}

static void parse_seen(struct seen *s, const uint8_t *frame, size_t len)
{
	memcpy(s->out, frame, len < sizeof(s->out) ? len : sizeof(s->out));
	s->out_len = len;
	int family = (frame[12] == 0x86 && frame[13] == 0xdd) ? 6 : 4;
	size_t l4 = family == 4 ? 14 + (size_t)(frame[14] & 0xf) * 4 : 54;
	if (len < l4 + 20)
		return;
	const uint8_t *t = s->out + l4;
	s->flags = t[13];
	s->seq = get32be(t + 4);
	s->ack = get32be(t + 8);
	size_t doff = (size_t)(t[12] >> 4) * 4;
	s->payload = t + doff;
	s->payload_len = len - l4 - doff;
	s->csum_ok = tcp_csum(s->out, len, family, l4) == 0;
	if (family == 4) {
		s->csum_ok &= fold(sum16(s->out + 14, 20, 0)) == 0;
		inet_ntop(AF_INET, s->out + 26, s->src, sizeof(s->src));
		inet_ntop(AF_INET, s->out + 30, s->dst, sizeof(s->dst));
	} else {
		inet_ntop(AF_INET6, s->out + 22, s->src, sizeof(s->src));
		inet_ntop(AF_INET6, s->out + 38, s->dst, sizeof(s->dst));
	}
}

static void run(struct l7w *w, int ifindex, int dir, const struct pkt *p, struct seen *s)
{
	struct __sk_buff ctx = {.ifindex = (__u32)ifindex};
	memset(s, 0, sizeof(*s));
	uint8_t out[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = (__u32)p->len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int fd = dir == POLC_DIR_EGRESS ? w->from_pod : w->to_pod;
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	s->verdict = (int)opts.retval;
	parse_seen(s, out, opts.data_size_out);
}

/* Where the client's and the server's packets cross the hook of the rule. */
static void client_hook(const struct conv *c, int *ifindex, int *dir)
{
	*ifindex = c->w->egress ? c->w->ifc : c->w->ifs;
	*dir = c->w->egress ? POLC_DIR_EGRESS : POLC_DIR_INGRESS;
}

static void server_hook(const struct conv *c, int *ifindex, int *dir)
{
	*ifindex = c->w->egress ? c->w->ifc : c->w->ifs;
	*dir = c->w->egress ? POLC_DIR_INGRESS : POLC_DIR_EGRESS;
}

static void conv_init(struct conv *c, struct l7w *w, int family, uint16_t cport)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->family = family;
	c->caddr = family == 4 ? C4 : C6;
	c->saddr = family == 4 ? S4 : S6;
	c->cport = cport;
	c->sport = 80;
	c->cseq = 0x10000000u + cport * 7u;
	c->sseq = 0xfffff000u; /* wraps during the conversation */
}

/* The client sends; nothing is advanced. */
static void client_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s)
{
	struct pkt p;
	int ifindex, dir;
	segment(&p, c->caddr, c->cport, c->saddr, c->sport, seq, c->sseq, flags, data, len);
	client_hook(c, &ifindex, &dir);
	run(c->w, ifindex, dir, &p, s);
}

static void server_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s)
{
	struct pkt p;
	int ifindex, dir;
	segment(&p, c->saddr, c->sport, c->caddr, c->cport, seq, c->cseq, flags, data, len);
	server_hook(c, &ifindex, &dir);
	run(c->w, ifindex, dir, &p, s);
}

static bool unchanged(const struct seen *s, uint32_t seq, uint8_t flags, size_t len)
{
	return s->verdict == VERDICT_PASS && s->seq == seq && s->flags == flags && s->payload_len == len;
}

/* Handshake: SYN, SYN-ACK, ACK, all passing. */
static void conv_open(struct conv *c)
{
	struct seen s;
	client_seg(c, c->cseq, PKT_SYN, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	c->cseq++;
	server_seg(c, c->sseq, PKT_SYN | PKT_ACK, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	c->sseq++;
	client_seg(c, c->cseq, PKT_ACK, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
}

/* The client sends text: it must reach the server unchanged. */
static void send_ok_at(struct conv *c, const char *text, const char *file, int line)
{
	struct seen s;
	size_t n = strlen(text);
	client_seg(c, c->cseq, PKT_ACK | PKT_PSH, text, n, &s);
	if (!unchanged(&s, c->cseq, PKT_ACK | PKT_PSH, n))
		_fail(file, line);
	c->cseq += (uint32_t)n;
}
#define send_ok(c, text) send_ok_at((c), (text), __FILE__, __LINE__)

/* The server answers with n bytes; passes; the client acknowledges. */
static void answer(struct conv *c, size_t n)
{
	struct seen s;
	char body[256];
	memset(body, 'x', sizeof(body));
	assert_true(n <= sizeof(body));
	server_seg(c, c->sseq, PKT_ACK | PKT_PSH, body, n, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	c->sseq += (uint32_t)n;
	client_seg(c, c->cseq, PKT_ACK, NULL, 0, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
}

/* The clone the datapath sent back toward the client, if any (within 200 ms). */
static bool caught(struct conv *c, struct seen *s)
{
	int fd = c->w->egress ? c->w->sock_c : c->w->sock_s;
	uint8_t buf[4096];
	memset(s, 0, sizeof(*s));
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n > 0) {
			/* On the server's host side we also see what leaves it: only what comes in. */
			if (!c->w->egress && from.sll_pkttype == PACKET_OUTGOING)
				continue;
			parse_seen(s, buf, (size_t)n);
			return true;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		poll(&pfd, 1, 10);
	}
	return false;
}

/*
 * The client sends text and it is refused: the segment goes on as a
 * reset at its own sequence number, and the client gets the 403 (answer)
 * or a reset, acknowledging everything it sent.
 */
static void send_refused_at(struct conv *c, const char *text, bool want_403, const char *file, int line)
{
	struct seen s, back;
	size_t n = strlen(text);
	drain(c->w->egress ? c->w->sock_c : c->w->sock_s);
	client_seg(c, c->cseq, PKT_ACK | PKT_PSH, text, n, &s);
	if (s.verdict != VERDICT_PASS || s.flags != (PKT_ACK | PKT_RST) || s.seq != c->cseq || s.payload_len != 0 ||
	    !s.csum_ok || strcmp(s.src, c->caddr) != 0 || strcmp(s.dst, c->saddr) != 0) {
		fprintf(stderr, "refused segment: verdict %d flags 0x%x seq %u (want %u) len %zu csum %d %s -> %s\n",
			s.verdict, s.flags, s.seq, c->cseq, s.payload_len, s.csum_ok, s.src, s.dst);
		_fail(file, line);
	}
	if (!caught(c, &back)) {
		fprintf(stderr, "no answer to the client\n");
		_fail(file, line);
	}
	uint8_t want_flags = want_403 ? (PKT_ACK | PKT_PSH | PKT_FIN) : (PKT_ACK | PKT_RST);
	if (back.flags != want_flags || back.seq != c->sseq || back.ack != c->cseq + (uint32_t)n || !back.csum_ok ||
	    strcmp(back.src, c->saddr) != 0 || strcmp(back.dst, c->caddr) != 0 ||
	    (want_403 && (back.payload_len < 24 || memcmp(back.payload, "HTTP/1.1 403 Forbidden\r\n", 24) != 0))) {
		fprintf(stderr, "answer: flags 0x%x (want 0x%x) seq %u (want %u) ack %u (want %u) csum %d len %zu %s -> %s\n",
			back.flags, want_flags, back.seq, c->sseq, back.ack, c->cseq + (uint32_t)n, back.csum_ok,
			back.payload_len, back.src, back.dst);
		_fail(file, line);
	}
}
#define send_refused(c, text, want_403) send_refused_at((c), (text), (want_403), __FILE__, __LINE__)

/* ---- setup ------------------------------------------------------------------- */

static int l7_setup(void **state)
{
	struct l7w *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	*state = w;
	return 0;
}

static int l7_teardown(void **state)
{
	struct l7w *w = *state;
	world_free(w);
	free(w);
	return 0;
}

#define RULES_GET_PUBLIC "- method: GET\n  path: /public(/.*)?\n"

/* ---- tests --------------------------------------------------------------------- */

/* Method and path regex, egress rule: allowed requests pass untouched, a denied one gets a 403. */
static void test_method_and_path(void **state)
{
	struct l7w *w = *state;
	struct conv c;
	world_init(w, true);
	add_rule(w, 80, RULES_GET_PUBLIC);
	world_load(w);

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
	static const char *const ifs[] = {CLIENT_IF, SERVER_IF};
	for (size_t i = 0; i < 2; i++) {
		char peer[IFNAMSIZ];
		int a, b;
		snprintf(peer, sizeof(peer), "%sp", ifs[i]);
		if (netns_veth_add(ifs[i], peer, &a, &b) || ifup(ifs[i]) || ifup(peer)) {
			fprintf(stderr, "verdict: cannot create %s\n", ifs[i]);
			return 1;
		}
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
	};
	return VT_RUN_GROUP("l7", tests, topo);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The L7 verdict tests' world and conversations (see l7_world.h). */
#include "driver/driver.h"
#include "l7_world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../unit/ir_builder.h"
#include "codegen/codegen.h"
#include "frontend/cilium_http.h"
#include "frontend/yaml.h"
#include "netns.h"
#include "passes/passes.h"
#include "runner.h"

/* ---- the policy: built by hand, HTTP rules from YAML through the decoder ---- */


struct ir_l7 *http_rules(struct l7w *w, const char *yaml)
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

void world_init(struct l7w *w, bool egress)
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
struct ir_rule *add_rule(struct l7w *w, uint16_t port, const char *http_yaml)
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

int ifup(const char *name)
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

void drain(int fd)
{
	char buf[4096];
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

/* Passes, codegen, clang: the artifact of the world's IR as it is now. */
struct polc_artifact *world_compile(struct l7w *w)
{
	memset(&w->dp, 0, sizeof(w->dp));
	int err = driver_run_passes(w->arena, &w->diags, &w->prog, &w->dp);
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

void world_load(struct l7w *w)
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
void world_swap(struct l7w *w)
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

void world_free(struct l7w *w)
{
	if (w->sock_c > 0)
		close(w->sock_c);
	if (w->sock_s > 0)
		close(w->sock_s);
	polc_private_free(w->priv);
	arena_free(w->arena);
}

/* ---- TCP conversations --------------------------------------------------------- */



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

void put32be(uint8_t *p, uint32_t v)
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
void segment(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t seq,
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

void run(struct l7w *w, int ifindex, int dir, const struct pkt *p, struct seen *s)
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
void client_hook(const struct conv *c, int *ifindex, int *dir)
{
	*ifindex = c->w->egress ? c->w->ifc : c->w->ifs;
	*dir = c->w->egress ? POLC_DIR_EGRESS : POLC_DIR_INGRESS;
}

void server_hook(const struct conv *c, int *ifindex, int *dir)
{
	*ifindex = c->w->egress ? c->w->ifc : c->w->ifs;
	*dir = c->w->egress ? POLC_DIR_INGRESS : POLC_DIR_EGRESS;
}

void conv_init(struct conv *c, struct l7w *w, int family, uint16_t cport)
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
void client_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s)
{
	struct pkt p;
	int ifindex, dir;
	segment(&p, c->caddr, c->cport, c->saddr, c->sport, seq, c->sseq, flags, data, len);
	client_hook(c, &ifindex, &dir);
	run(c->w, ifindex, dir, &p, s);
}

void server_seg(struct conv *c, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s)
{
	struct pkt p;
	int ifindex, dir;
	segment(&p, c->saddr, c->sport, c->caddr, c->cport, seq, c->cseq, flags, data, len);
	server_hook(c, &ifindex, &dir);
	run(c->w, ifindex, dir, &p, s);
}

bool unchanged(const struct seen *s, uint32_t seq, uint8_t flags, size_t len)
{
	return s->verdict == VERDICT_PASS && s->seq == seq && s->flags == flags && s->payload_len == len;
}

/* Handshake: SYN, SYN-ACK, ACK, all passing. */
void conv_open(struct conv *c)
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
void send_ok_at(struct conv *c, const char *text, const char *file, int line)
{
	struct seen s;
	size_t n = strlen(text);
	client_seg(c, c->cseq, PKT_ACK | PKT_PSH, text, n, &s);
	if (!unchanged(&s, c->cseq, PKT_ACK | PKT_PSH, n))
		_fail(file, line);
	c->cseq += (uint32_t)n;
}

/* The server answers with n bytes; passes; the client acknowledges. */
void answer(struct conv *c, size_t n)
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
bool caught(struct conv *c, struct seen *s)
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
void send_refused_at(struct conv *c, const char *text, bool want_403, const char *file, int line)
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

/* ---- setup ------------------------------------------------------------------- */

int l7_setup(void **state)
{
	struct l7w *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	*state = w;
	return 0;
}

int l7_teardown(void **state)
{
	struct l7w *w = *state;
	world_free(w);
	free(w);
	return 0;
}



int l7_world_ifaces(void)
{
	static const char *const ifs[] = {CLIENT_IF, SERVER_IF};
	for (size_t i = 0; i < 2; i++) {
		char peer[IFNAMSIZ];
		int a, b, err;
		snprintf(peer, sizeof(peer), "%sp", ifs[i]);
		if ((err = netns_veth_add(ifs[i], peer, &a, &b)) || (err = ifup(ifs[i])) || (err = ifup(peer)))
			return err;
	}
	return 0;
}

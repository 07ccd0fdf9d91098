/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, DNS rules and toFQDNs: a policy with DNS rules and
 * toFQDNs selectors goes through the real passes, codegen, clang and
 * loader; crafted DNS messages (queries, answers, malformed ones) go
 * through the real entry programs (BPF_PROG_TEST_RUN), and what the
 * datapath does is checked: the verdict, the REFUSED answer it makes of
 * a refused query (the test run's output packet, checksums verified),
 * the resets of a refused TCP query, the addresses it learns from an
 * answer (polc_fqdn), and the verdict of the client's next connection.
 *
 * Two pods: the client 198.18.0.10 / fd00::a on polc-d0, the DNS server
 * 198.18.0.53 / fd00::35 on polc-d1. The client's egress policy:
 *   rule 0  to the DNS pod, UDP and TCP 53, DNS rules "*.example.com",
 *           www.example.org, "**.deep.example.net", "*.cdn.example.com"
 *   rule 1  toFQDNs api.example.com and "*.cdn.example.com", TCP 443
 *   rule 2  toFQDNs "*" (every well-formed name), TCP 8080
 * Queries and answers cross the client's interface (polc-d0): queries on
 * its tc ingress (the pod's egress), answers on its tc egress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>

#include "driver/driver.h"
#include "../unit/ir_builder.h"
#include "codegen/codegen.h"
#include "grammar/regex.h"
#include "loader/loader.h"
#include "netns.h"
#include "passes/passes.h"
#include "polc/artifact.h"
#include "verdict.h"

#define CLIENT_IF "polc-d0"
#define DNS_IF "polc-d1"
#define C4 "198.18.0.10"
#define D4 "198.18.0.53"
#define C6 "fd00::a"
#define D6 "fd00::35"
#define VERDICT_REDIRECT 7 /* TC_ACT_REDIRECT */

struct dw {
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp;
	struct polc_private *priv;
	int from_pod, to_pod;
	int ifc, ifd;
	int sock_c; /* packet socket on the client pod's end: what the datapath sends back */
	int fqdn;   /* polc_fqdn */
	uint32_t max_ttl;
};

/* ---- the policy ------------------------------------------------------------------ */

static struct ir_l7 *dns_rules(struct dw *w, const char *const *names, size_t n)
{
	struct ir_l7 *l7 = arena_calloc(w->arena, 1, sizeof(*l7));
	l7->dns = arena_calloc(w->arena, n, sizeof(*l7->dns));
	l7->n_dns = n;
	for (size_t i = 0; i < n; i++) {
		struct ir_dns_rule *r = &l7->dns[i];
		char *re;
		r->pattern = strchr(names[i], '*') != NULL;
		r->text = names[i];
		assert_int_equal(r->pattern ? regex_from_dns_pattern(w->arena, names[i], strlen(names[i]), &re, NULL)
					    : regex_from_dns_name(w->arena, names[i], strlen(names[i]), &re, NULL),
				 0);
		r->regex = re;
	}
	return l7;
}

static void peer_fqdn(struct dw *w, struct ir_rule *r, const char *text)
{
	struct ir_peer *p = tb_add_peer(&w->prog, r);
	char *re;
	p->kind = IR_PEER_FQDN;
	p->fqdn.text = text;
	p->fqdn.pattern = strchr(text, '*') != NULL;
	assert_int_equal(p->fqdn.pattern ? regex_from_dns_pattern(w->arena, text, strlen(text), &re, NULL)
					 : regex_from_dns_name(w->arena, text, strlen(text), &re, NULL),
			 0);
	p->fqdn.regex = re;
}

static void world_build(struct dw *w)
{
	static const char *const names[] = {"*.example.com", "www.example.org", "**.deep.example.net",
					    "*.cdn.example.com"};
	tb_namespace(&w->prog, "x");
	struct ir_pod *c = tb_pod(&w->prog, "x", "client", "app=client", C4, CLIENT_IF);
	c->addrs[c->n_addrs++] = tb_cidr(C6);
	struct ir_pod *d = tb_pod(&w->prog, "x", "dns", "app=dns", D4, DNS_IF);
	d->addrs[d->n_addrs++] = tb_cidr(D6);
	struct ir_policy *pol =
		tb_policy(&w->prog, IR_POLICY_CNP, "x", "dns", "k8s:app=client,k8s:io.kubernetes.pod.namespace=x", false, true);
	struct ir_rule *r = ir_rule_new(&w->prog, pol, IR_EGRESS, IR_ALLOW);
	tb_peer_selector(&w->prog, r, "k8s:app=dns");
	tb_port(&w->prog, r, IR_PROTO_UDP, 53, 53, NULL);
	tb_port(&w->prog, r, IR_PROTO_TCP, 53, 53, NULL);
	struct ir_l7 *l7 = dns_rules(w, names, 4);
	r->ports[0].l7 = l7;
	r->ports[1].l7 = l7;
	r = ir_rule_new(&w->prog, pol, IR_EGRESS, IR_ALLOW);
	peer_fqdn(w, r, "api.example.com");
	peer_fqdn(w, r, "*.cdn.example.com");
	tb_port(&w->prog, r, IR_PROTO_TCP, 443, 443, NULL);
	r = ir_rule_new(&w->prog, pol, IR_EGRESS, IR_ALLOW);
	peer_fqdn(w, r, "*");
	tb_port(&w->prog, r, IR_PROTO_TCP, 8080, 8080, NULL);
}

static struct polc_artifact *world_compile(struct dw *w)
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
	if (w->max_ttl)
		sizes.dns.max_ttl = w->max_ttl;
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

static void world_open(struct dw *w, uint32_t max_ttl)
{
	memset(w, 0, sizeof(*w));
	w->arena = arena_new();
	w->max_ttl = max_ttl;
	source_set_init(&w->sources, w->arena);
	diag_sink_init(&w->diags, w->arena, &w->sources);
	ir_program_init(&w->prog, w->arena);
	world_build(w);
	struct polc_artifact *art = world_compile(w);
	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, opts);
	int err = polc_private_load(art, &opts, &w->priv, &perr);
	polc_artifact_free(art);
	if (err)
		fail_msg("load: %s", perr.message);
	w->from_pod = polc_private_prog_fd(w->priv, "polc_from_pod");
	w->to_pod = polc_private_prog_fd(w->priv, "polc_to_pod");
	w->fqdn = polc_private_map_fd(w->priv, POLC_MAP_FQDN);
	w->ifc = (int)if_nametoindex(CLIENT_IF);
	w->ifd = (int)if_nametoindex(DNS_IF);
	int peer = (int)if_nametoindex(CLIENT_IF "p");
	assert_true(w->ifc > 0 && w->ifd > 0 && peer > 0 && w->fqdn >= 0);
	w->sock_c = packet_socket(peer);
	drain(w->sock_c);
}

static void world_free(struct dw *w)
{
	if (w->sock_c > 0)
		close(w->sock_c);
	polc_private_free(w->priv);
	arena_free(w->arena);
}

/* ---- DNS messages ------------------------------------------------------------------ */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void m_u8(struct msg *m, uint8_t v)
{
	if (m->n < sizeof(m->b))
		m->b[m->n++] = v;
}

static void m_u16(struct msg *m, uint16_t v)
{
	m_u8(m, v >> 8);
	m_u8(m, v & 0xff);
}

static void m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, v >> 16);
	m_u16(m, v & 0xffff);
}

static void m_bytes(struct msg *m, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m_u8(m, ((const uint8_t *)p)[i]);
}

/* A dotted name in wire form ("" is the root). */
static void m_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		m_u8(m, (uint8_t)len);
		m_bytes(m, name, len);
		name += len + (dot ? 1 : 0);
	}
	m_u8(m, 0);
}

static void m_header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	m->n = 0;
	m_u16(m, id);
	m_u16(m, flags);
	m_u16(m, qd);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, ar);
}

#define QTYPE_A 1
#define QTYPE_CNAME 5
#define QTYPE_AAAA 28

static void m_query(struct msg *m, uint16_t id, const char *name, uint16_t qtype)
{
	m_header(m, id, 0x0100, 1, 0, 0, 0);
	m_name(m, name);
	m_u16(m, qtype);
	m_u16(m, 1);
}

/* An answer to a query for name: header, question (at offset 12), then the caller adds records. */
static void m_answer(struct msg *m, uint16_t id, const char *name, uint16_t qtype, uint16_t an)
{
	m_header(m, id, 0x8180, 1, an, 0, 0);
	m_name(m, name);
	m_u16(m, qtype);
	m_u16(m, 1);
}

/* A record whose owner is a pointer to offset owner (0xc000 | owner). */
static void m_rr_ptr(struct msg *m, uint16_t owner, uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	m_u16(m, 0xc000 | owner);
	m_u16(m, type);
	m_u16(m, 1);
	m_u32(m, ttl);
	m_u16(m, rdlen);
	m_bytes(m, rdata, rdlen);
}

static void m_a(struct msg *m, uint16_t owner, uint32_t ttl, const char *addr)
{
	uint8_t a[16];
	int fam = pkt_addr(addr, a);
	m_rr_ptr(m, owner, fam == 4 ? QTYPE_A : QTYPE_AAAA, ttl, a, fam == 4 ? 4 : 16);
}

/* ---- packets ------------------------------------------------------------------------ */

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

/* The L4 checksum over the frame's pseudo-header and segment at l4 (0 when right). */
static uint16_t l4_csum(const uint8_t *frame, size_t len, int family, size_t l4, uint8_t proto)
{
	uint32_t s = family == 4 ? sum16(frame + 14 + 12, 8, 0) : sum16(frame + 14 + 8, 32, 0);
	s += proto + (uint32_t)(len - l4);
	return fold(sum16(frame + l4, len - l4, s));
}

static size_t l4_off(const uint8_t *frame)
{
	return frame[12] == 0x86 && frame[13] == 0xdd ? 54 : 14 + (size_t)(frame[14] & 0xf) * 4;
}

/* A UDP datagram src -> dst carrying m, lengths and checksum filled in. */
static void udp_msg(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, const struct msg *m)
{
	assert_int_equal(pkt_udp(p, src, sport, dst, dport), 0);
	size_t l4 = p->len - 8;
	pkt_bytes(p, m->b, m->n);
	assert_int_equal(pkt_finish(p), 0);
	uint16_t ulen = (uint16_t)(p->len - l4);
	p->data[l4 + 4] = ulen >> 8;
	p->data[l4 + 5] = ulen & 0xff;
	p->data[l4 + 6] = p->data[l4 + 7] = 0;
	uint16_t c = l4_csum(p->data, p->len, p->family, l4, IPPROTO_UDP);
	p->data[l4 + 6] = c >> 8;
	p->data[l4 + 7] = c & 0xff;
}

struct seen {
	int verdict;
	uint8_t out[PKT_MAX + 256];
	size_t out_len;
};

static void run(struct dw *w, int ifindex, int dir, const struct pkt *p, struct seen *s)
{
	struct __sk_buff ctx = {.ifindex = (__u32)ifindex};
	memset(s, 0, sizeof(*s));
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = (__u32)p->len, .data_out = s->out,
		    .data_size_out = sizeof(s->out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	int fd = dir == POLC_DIR_EGRESS ? w->from_pod : w->to_pod;
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	s->verdict = (int)opts.retval;
	s->out_len = opts.data_size_out;
}

static const char *client(int fam)
{
	return fam == 4 ? C4 : C6;
}

static const char *server(int fam)
{
	return fam == 4 ? D4 : D6;
}

/* A query from the client (port sport) through its egress hook. */
static int query(struct dw *w, int fam, uint16_t sport, const struct msg *m, struct seen *s)
{
	struct pkt p;
	struct seen local;
	udp_msg(&p, client(fam), sport, server(fam), 53, m);
	run(w, w->ifc, POLC_DIR_EGRESS, &p, s ? s : &local);
	return (s ? s : &local)->verdict;
}

/* The server's answer to the client's port sport, on its way in (the client's tc egress). */
static int answer(struct dw *w, int fam, uint16_t sport, const struct msg *m)
{
	struct pkt p;
	struct seen s;
	udp_msg(&p, server(fam), 53, client(fam), sport, m);
	run(w, w->ifc, POLC_DIR_INGRESS, &p, &s);
	return s.verdict;
}

/* A SYN from the client to addr:port: its verdict. */
static int connect_to(struct dw *w, const char *addr, uint16_t port, uint16_t sport)
{
	struct pkt p;
	struct seen s;
	assert_int_equal(pkt_tcp(&p, strchr(addr, ':') ? C6 : C4, sport, addr, port, PKT_SYN), 0);
	run(w, w->ifc, POLC_DIR_EGRESS, &p, &s);
	return s.verdict;
}

/* A lookup: allowed query, then its answer with the given records already in m. */
static void lookup(struct dw *w, int fam, uint16_t sport, const char *name, uint16_t qtype, const struct msg *ans)
{
	struct msg q;
	m_query(&q, 0x4242, name, qtype);
	assert_int_equal(query(w, fam, sport, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(w, fam, sport, ans), VERDICT_PASS);
}

static bool learned(struct dw *w, const char *addr, uint32_t *n_slots)
{
	struct polc_fqdn_key k;
	struct polc_fqdn_value v;
	memset(&k, 0, sizeof(k));
	k.ifindex = (uint32_t)w->ifc;
	k.family = pkt_addr(addr, k.addr) == 4 ? POLC_AF_INET : POLC_AF_INET6;
	if (bpf_map_lookup_elem(w->fqdn, &k, &v))
		return false;
	uint32_t n = 0;
	for (int i = 0; i < POLC_FQDN_SLOTS; i++)
		n += v.slot[i].sel != 0;
	if (n_slots)
		*n_slots = n;
	return n > 0;
}

/* ---- tests ---------------------------------------------------------------------------- */

#define WORLD(w, ttl)                                                                                            \
	struct dw w;                                                                                             \
	world_open(&w, ttl)

static void test_query_names(void **state)
{
	(void)state;
	WORLD(w, 0);
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		{"api.example.com", true},
		{"API.Example.COM", true},     /* case folded (RFC 4343) */
		{"a-b_c.example.com", true},
		{"example.com", false},        /* "*" needs a label: Cilium's pattern */
		{"a.b.example.com", false},    /* "*" stays within one label */
		{"www.example.org", true},
		{"www.example.org.evil", false},
		{"wwwXexample.org", false},
		{"x.deep.example.net", true},  /* "**." is one or more labels */
		{"x.y.z.deep.example.net", true},
		{"deep.example.net", false},
		{"", false},                   /* the root */
	};
	for (int fam = 4; fam <= 6; fam += 2) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct msg q;
			m_query(&q, (uint16_t)(0x100 + i), cases[i].name, QTYPE_A);
			int v = query(&w, fam, (uint16_t)(20000 + i), &q, NULL);
			if (v != (cases[i].ok ? VERDICT_PASS : VERDICT_REDIRECT))
				fail_msg("IPv%d query %s: verdict %d", fam, cases[i].name, v);
		}
	}
	/* A label with a '.' byte inside is not two labels (Cilium's library escapes it). */
	struct msg q;
	m_header(&q, 7, 0x0100, 1, 0, 0, 0);
	m_u8(&q, 7);
	m_bytes(&q, "api.exa", 7);
	m_name(&q, "mple.com");
	m_u16(&q, 1);
	m_u16(&q, 1);
	assert_int_equal(query(&w, 4, 21000, &q, NULL), VERDICT_REDIRECT);
	world_free(&w);
}

static void test_refused_answer(void **state)
{
	(void)state;
	WORLD(w, 0);
	for (int fam = 4; fam <= 6; fam += 2) {
		struct msg q;
		struct seen s;
		m_query(&q, 0xbeef, "denied.example.net", QTYPE_A);
		/* EDNS: an OPT record, echoed back. */
		q.b[11] = 1;
		m_u8(&q, 0);
		m_u16(&q, 41);
		m_u16(&q, 1232);
		m_u32(&q, 0);
		m_u16(&q, 0);
		assert_int_equal(query(&w, fam, 33000, &q, &s), VERDICT_REDIRECT);
		size_t l4 = l4_off(s.out);
		const uint8_t *u = s.out + l4, *dns = u + 8;
		char src[64], dst[64];
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, s.out + (fam == 4 ? 26 : 22), src, sizeof(src));
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, s.out + (fam == 4 ? 30 : 38), dst, sizeof(dst));
		assert_string_equal(src, server(fam));
		assert_string_equal(dst, client(fam));
		assert_int_equal(u[0] << 8 | u[1], 53);
		assert_int_equal(u[2] << 8 | u[3], 33000);
		assert_int_equal(dns[0] << 8 | dns[1], 0xbeef);
		/* QR, opcode 0, RD kept; RA clear; RCODE 5; one question, no answers. */
		assert_int_equal(dns[2], 0x81);
		assert_int_equal(dns[3], 0x05);
		assert_int_equal(dns[5], 1);
		assert_int_equal(dns[7], 0);
		assert_int_equal(s.out_len - l4 - 8, q.n);
		assert_memory_equal(dns + 12, q.b + 12, q.n - 12);
		assert_int_equal(l4_csum(s.out, s.out_len, fam, l4, IPPROTO_UDP), 0);
		if (fam == 4)
			assert_int_equal(fold(sum16(s.out + 14, 20, 0)), 0);
		/* The answer crosses the hook on its way to the client: a reply of the flow, it passes. */
		struct pkt p;
		pkt_init(&p);
		pkt_bytes(&p, s.out, s.out_len);
		struct seen back;
		run(&w, w.ifc, POLC_DIR_INGRESS, &p, &back);
		assert_int_equal(back.verdict, VERDICT_PASS);
	}
	world_free(&w);
}

static void test_malformed_queries(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg q;
	uint16_t port = 34000;

	/* The question name points at itself, forwards, into the header. */
	static const uint16_t ptrs[] = {12, 20, 4};
	for (size_t i = 0; i < 3; i++) {
		m_header(&q, 1, 0x0100, 1, 0, 0, 0);
		m_u16(&q, 0xc000 | ptrs[i]);
		m_u16(&q, 1);
		m_u16(&q, 1);
		m_bytes(&q, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
		assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	}
	/* Label types 0x40 and 0x80. */
	m_header(&q, 1, 0x0100, 1, 0, 0, 0);
	m_bytes(&q, "\x41" "abc\0\0\1\0\1", 9);
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	m_header(&q, 1, 0x0100, 1, 0, 0, 0);
	m_bytes(&q, "\x81" "abc\0\0\1\0\1", 9);
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	/* A name of 257 bytes (four 63-byte labels under example.com's rule). */
	m_header(&q, 1, 0x0100, 1, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		m_u8(&q, 63);
		for (int k = 0; k < 63; k++)
			m_u8(&q, 'a');
	}
	m_name(&q, "");
	m_u16(&q, 1);
	m_u16(&q, 1);
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	/* Truncated: in the name, before the type. */
	m_query(&q, 1, "api.example.com", QTYPE_A);
	q.n = 20;
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	m_query(&q, 1, "api.example.com", QTYPE_A);
	q.n -= 2;
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	q.n = 5;
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	/* Two questions; an answer record; QR set. */
	m_query(&q, 1, "api.example.com", QTYPE_A);
	q.b[5] = 2;
	m_name(&q, "api.example.com");
	m_u16(&q, 1);
	m_u16(&q, 1);
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	m_query(&q, 1, "api.example.com", QTYPE_A);
	q.b[7] = 1;
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	m_query(&q, 1, "api.example.com", QTYPE_A);
	q.b[2] |= 0x80;
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_DROP);
	/* A UDP length past the frame. */
	struct pkt p;
	struct seen s;
	m_query(&q, 1, "api.example.com", QTYPE_A);
	udp_msg(&p, C4, port, D4, 53, &q);
	p.data[14 + 20 + 5] += 10;
	run(&w, w.ifc, POLC_DIR_EGRESS, &p, &s);
	assert_int_equal(s.verdict, VERDICT_DROP);
	/* And a well-formed one after all that. */
	m_query(&q, 1, "api.example.com", QTYPE_A);
	assert_int_equal(query(&w, 4, port++, &q, NULL), VERDICT_PASS);
	world_free(&w);
}

static void test_learn_and_connect(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg a;

	/* Not resolved: closed. */
	assert_int_equal(connect_to(&w, "203.0.113.10", 443, 40000), VERDICT_DROP);
	m_answer(&a, 0x4242, "api.example.com", QTYPE_A, 2);
	m_a(&a, 12, 300, "203.0.113.10");
	m_a(&a, 12, 300, "203.0.113.11");
	lookup(&w, 4, 35000, "api.example.com", QTYPE_A, &a);
	assert_true(learned(&w, "203.0.113.10", NULL));
	assert_true(learned(&w, "203.0.113.11", NULL));
	/* The very next connection is allowed, on the rule's port only; rule 2 ("*") opens 8080. */
	assert_int_equal(connect_to(&w, "203.0.113.10", 443, 40001), VERDICT_PASS);
	assert_int_equal(connect_to(&w, "203.0.113.11", 443, 40002), VERDICT_PASS);
	assert_int_equal(connect_to(&w, "203.0.113.10", 80, 40003), VERDICT_DROP);
	assert_int_equal(connect_to(&w, "203.0.113.10", 8080, 40004), VERDICT_PASS);
	assert_int_equal(connect_to(&w, "203.0.113.12", 443, 40005), VERDICT_DROP);

	/* AAAA over IPv6. */
	m_answer(&a, 0x4242, "api.example.com", QTYPE_AAAA, 1);
	m_a(&a, 12, 300, "2001:db8::10");
	lookup(&w, 6, 35001, "api.example.com", QTYPE_AAAA, &a);
	assert_int_equal(connect_to(&w, "2001:db8::10", 443, 40006), VERDICT_PASS);
	assert_int_equal(connect_to(&w, "2001:db8::11", 443, 40007), VERDICT_DROP);

	/* A name only rule 2 ("*") selects: 8080 opens, 443 does not. */
	m_answer(&a, 0x4242, "other.example.com", QTYPE_A, 1);
	m_a(&a, 12, 300, "203.0.113.20");
	lookup(&w, 4, 35002, "other.example.com", QTYPE_A, &a);
	assert_int_equal(connect_to(&w, "203.0.113.20", 8080, 40008), VERDICT_PASS);
	assert_int_equal(connect_to(&w, "203.0.113.20", 443, 40009), VERDICT_DROP);
	world_free(&w);
}

static void test_cname_chain(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg a, rd = {0};
	/*
	 * x.cdn.example.com CNAME edge.provider.net; edge.provider.net CNAME
	 * last.edge.provider.net; that A 198.51.100.7: learned for the question.
	 */
	m_answer(&a, 1, "x.cdn.example.com", QTYPE_A, 3);
	uint16_t t1 = (uint16_t)(a.n + 12);
	m_name(&rd, "edge.provider.net");
	m_rr_ptr(&a, 12, QTYPE_CNAME, 300, rd.b, (uint16_t)rd.n);
	uint16_t t2 = (uint16_t)(a.n + 12);
	uint8_t last[7] = {4, 'l', 'a', 's', 't', (uint8_t)(0xc0 | t1 >> 8), (uint8_t)t1};
	m_rr_ptr(&a, t1, QTYPE_CNAME, 300, last, sizeof(last));
	m_a(&a, t2, 60, "198.51.100.7");
	lookup(&w, 4, 36000, "x.cdn.example.com", QTYPE_A, &a);
	assert_true(learned(&w, "198.51.100.7", NULL));
	assert_int_equal(connect_to(&w, "198.51.100.7", 443, 41000), VERDICT_PASS);

	/* A record that does not follow the chain: the answer is dropped, nothing learned. */
	struct msg b, q;
	m_answer(&b, 1, "y.cdn.example.com", QTYPE_A, 2);
	m_rr_ptr(&b, 12, QTYPE_CNAME, 300, rd.b, (uint16_t)rd.n);
	m_a(&b, 12, 60, "198.51.100.8"); /* owner: the question, not the CNAME target */
	m_query(&q, 1, "y.cdn.example.com", QTYPE_A);
	assert_int_equal(query(&w, 4, 36001, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, 36001, &b), VERDICT_DROP);
	assert_false(learned(&w, "198.51.100.8", NULL));
	world_free(&w);
}

static void test_many_answers(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg a;
	/* As many as a 2 KiB test frame holds: every one learned, none capped. */
	m_answer(&a, 1, "api.example.com", QTYPE_A, 120);
	for (int i = 0; i < 120; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 100, i % 100);
		m_a(&a, 12, 120, addr);
	}
	lookup(&w, 4, 37000, "api.example.com", QTYPE_A, &a);
	for (int i = 0; i < 120; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 100, i % 100);
		if (!learned(&w, addr, NULL))
			fail_msg("address %d of 120 (%s) not learned", i, addr);
	}
	assert_int_equal(connect_to(&w, "10.1.19.1", 443, 42000), VERDICT_PASS);
	/* More records than the walk takes (256): oversized, dropped before any is read. */
	m_answer(&a, 1, "api.example.com", QTYPE_A, 200);
	a.b[9] = 57; /* and 57 authority records: 257 */
	m_a(&a, 12, 120, "10.9.9.9");
	struct msg q;
	m_query(&q, 1, "api.example.com", QTYPE_A);
	assert_int_equal(query(&w, 4, 37001, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, 37001, &a), VERDICT_DROP);
	assert_false(learned(&w, "10.9.9.9", NULL));
	world_free(&w);
}

static void test_malformed_answers(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg a, q;
	uint16_t port = 38000;
	m_query(&q, 1, "api.example.com", QTYPE_A);

	/* A record owner pointing at itself (a loop), forwards, into the header. */
	static const int16_t owners[] = {0, 200, 4};
	for (size_t i = 0; i < 3; i++) {
		m_answer(&a, 1, "api.example.com", QTYPE_A, 1);
		uint16_t self = (uint16_t)a.n;
		m_a(&a, owners[i] ? (uint16_t)owners[i] : self, 60, "192.0.2.1");
		assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
		assert_int_equal(answer(&w, 4, port++, &a), VERDICT_DROP);
	}
	/* Data running past the message; an A record of 5 bytes; a count past the records. */
	m_answer(&a, 1, "api.example.com", QTYPE_A, 1);
	m_a(&a, 12, 60, "192.0.2.1");
	a.n -= 2;
	assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, port++, &a), VERDICT_DROP);
	m_answer(&a, 1, "api.example.com", QTYPE_A, 1);
	m_rr_ptr(&a, 12, QTYPE_A, 60, "\xc0\x00\x02\x01\x07", 5);
	assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, port++, &a), VERDICT_DROP);
	m_answer(&a, 1, "api.example.com", QTYPE_A, 2);
	m_a(&a, 12, 60, "192.0.2.1");
	assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, port++, &a), VERDICT_DROP);
	assert_false(learned(&w, "192.0.2.1", NULL));

	/* Answers for a question the flow's rules do not allow: a server that ignores the query. */
	m_answer(&a, 1, "evil.example.net", QTYPE_A, 1);
	m_a(&a, 12, 60, "192.0.2.66");
	assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, port++, &a), VERDICT_DROP);
	/* An answer without addresses (NXDOMAIN) for any name passes: nothing to learn. */
	m_header(&a, 1, 0x8183, 1, 0, 0, 0);
	m_name(&a, "nothing.example.com");
	m_u16(&a, 1);
	m_u16(&a, 1);
	assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
	assert_int_equal(answer(&w, 4, port++, &a), VERDICT_PASS);
	world_free(&w);
}

static void test_ttl_expiry(void **state)
{
	(void)state;
	/* Learned addresses live at most 1 s here (--fqdn-max-ttl 1). */
	WORLD(w, 1);
	struct msg a;
	m_answer(&a, 1, "api.example.com", QTYPE_A, 1);
	m_a(&a, 12, 3600, "203.0.113.30");
	lookup(&w, 4, 39000, "api.example.com", QTYPE_A, &a);
	assert_int_equal(connect_to(&w, "203.0.113.30", 443, 43000), VERDICT_PASS);
	struct timespec ts = {.tv_sec = 2, .tv_nsec = 200000000};
	nanosleep(&ts, NULL);
	/* A new connection now: closed. (The established one would go on: conntrack.) */
	assert_int_equal(connect_to(&w, "203.0.113.30", 443, 43001), VERDICT_DROP);
	lookup(&w, 4, 39001, "api.example.com", QTYPE_A, &a);
	assert_int_equal(connect_to(&w, "203.0.113.30", 443, 43002), VERDICT_PASS);
	world_free(&w);
}

/*
 * Random corruptions of a query and of an answer (bytes flipped, counts
 * changed, cut short, pointers aimed anywhere): every run ends in a
 * verdict, fast. (The verifier already proves that no read leaves its
 * buffer and that every loop ends; this checks the bounds in practice.)
 */
static void test_mutations(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg q, a, m;
	uint32_t seed = 7;
	uint64_t worst = 0;
	m_query(&q, 1, "x.cdn.example.com", QTYPE_A);
	m_answer(&a, 1, "x.cdn.example.com", QTYPE_A, 3);
	uint16_t t1 = (uint16_t)(a.n + 12);
	struct msg rd = {0};
	m_name(&rd, "edge.provider.net");
	m_rr_ptr(&a, 12, QTYPE_CNAME, 300, rd.b, (uint16_t)rd.n);
	m_a(&a, t1, 60, "198.51.100.70");
	m_a(&a, t1, 60, "198.51.100.71");
	for (int i = 0; i < 3000; i++) {
		bool answer_side = i & 1;
		m = answer_side ? a : q;
		int edits = 1 + (int)(seed % 4);
		for (int e = 0; e < edits; e++) {
			seed = seed * 1103515245u + 12345u;
			uint32_t r = seed >> 8;
			switch (r % 4) {
			case 0: /* a byte anywhere */
				m.b[r / 4 % m.n] = (uint8_t)(r >> 16);
				break;
			case 1: /* a compression pointer anywhere */
				m.b[r / 4 % m.n] = 0xc0 | (uint8_t)((r >> 12) & 0x3f);
				break;
			case 2: /* cut */
				m.n = 1 + r / 4 % m.n;
				break;
			default: /* a count */
				m.b[4 + 2 * (r / 4 % 4) + 1] = (uint8_t)(r >> 20);
				break;
			}
		}
		struct pkt p;
		struct seen s;
		uint16_t port = (uint16_t)(50000 + i % 10000);
		if (answer_side) {
			assert_int_equal(query(&w, 4, port, &q, NULL), VERDICT_PASS);
			udp_msg(&p, D4, 53, C4, port, &m);
		} else {
			udp_msg(&p, C4, port, D4, 53, &m);
		}
		struct __sk_buff ctx = {.ifindex = (__u32)w.ifc};
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p.data, .data_size_in = (__u32)p.len, .data_out = s.out,
			    .data_size_out = sizeof(s.out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
		assert_int_equal(bpf_prog_test_run_opts(answer_side ? w.to_pod : w.from_pod, &opts), 0);
		int v = (int)opts.retval;
		if (v != VERDICT_PASS && v != VERDICT_DROP && v != VERDICT_REDIRECT)
			fail_msg("mutation %d: verdict %d", i, v);
		if (opts.duration > worst)
			worst = opts.duration;
	}
	/* A run is a few microseconds; a loop the bounds let through would show here. */
	if (worst > 2000000)
		fail_msg("a corrupted message took %llu ns", (unsigned long long)worst);
	world_free(&w);
}

/* A new generation from the world's IR as it is now (conntrack and learned addresses kept). */
static void world_swap(struct dw *w)
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

static void test_swap(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct msg a;
	m_answer(&a, 1, "api.example.com", QTYPE_A, 1);
	m_a(&a, 12, 300, "203.0.113.50");
	lookup(&w, 4, 45000, "api.example.com", QTYPE_A, &a);
	struct pkt p;
	struct seen s;
	assert_int_equal(pkt_tcp(&p, C4, 46000, "203.0.113.50", 443, PKT_SYN), 0);
	run(&w, w.ifc, POLC_DIR_EGRESS, &p, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);

	/* A new generation with the same selector: what the old one learned still counts. */
	world_swap(&w);
	assert_int_equal(connect_to(&w, "203.0.113.50", 443, 46001), VERDICT_PASS);

	/* Without the selector: new connections refused; learned slots stay, ignored. */
	struct ir_rule *r = w.prog.rules.items[1];
	struct ir_peer api = r->peers[0];
	r->peers[0] = r->peers[1];
	r->n_peers = 1;
	world_swap(&w);
	assert_int_equal(connect_to(&w, "203.0.113.50", 443, 46002), VERDICT_DROP);
	assert_true(learned(&w, "203.0.113.50", NULL));
	/* Back again: allowed with no new lookup. */
	r->peers[1] = r->peers[0];
	r->peers[0] = api;
	r->n_peers = 2;
	world_swap(&w);
	assert_int_equal(connect_to(&w, "203.0.113.50", 443, 46003), VERDICT_PASS);

	/* Expired, then a swap: the established connection goes on (judged again, kept); a new one does not. */
	struct polc_fqdn_key k;
	struct polc_fqdn_value v;
	memset(&k, 0, sizeof(k));
	k.ifindex = (uint32_t)w.ifc;
	k.family = POLC_AF_INET;
	pkt_addr("203.0.113.50", k.addr);
	assert_int_equal(bpf_map_lookup_elem(w.fqdn, &k, &v), 0);
	for (int i = 0; i < POLC_FQDN_SLOTS; i++)
		if (v.slot[i].sel)
			v.slot[i].expires = 1;
	assert_int_equal(bpf_map_update_elem(w.fqdn, &k, &v, BPF_EXIST), 0);
	world_swap(&w);
	assert_int_equal(pkt_tcp(&p, C4, 46000, "203.0.113.50", 443, PKT_ACK), 0);
	run(&w, w.ifc, POLC_DIR_EGRESS, &p, &s);
	assert_int_equal(s.verdict, VERDICT_PASS);
	assert_int_equal(connect_to(&w, "203.0.113.50", 443, 46004), VERDICT_DROP);
	world_free(&w);
}

/* ---- DNS over TCP ---------------------------------------------------------------------- */

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

static void segment(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t seq,
		    uint32_t ack, uint8_t flags, const void *data, size_t len)
{
	assert_int_equal(pkt_tcp(p, src, sport, dst, dport, flags), 0);
	size_t l4 = p->len - 20;
	put32be(p->data + l4 + 4, seq);
	put32be(p->data + l4 + 8, ack);
	if (len)
		pkt_bytes(p, data, len);
	assert_int_equal(pkt_finish(p), 0);
	p->data[l4 + 16] = p->data[l4 + 17] = 0;
	uint16_t c = l4_csum(p->data, p->len, p->family, l4, IPPROTO_TCP);
	p->data[l4 + 16] = c >> 8;
	p->data[l4 + 17] = c & 0xff;
}

struct tconv {
	struct dw *w;
	uint16_t cport;
	uint32_t cseq, sseq;
};

static int tc_client(struct tconv *t, uint32_t seq, uint8_t flags, const void *data, size_t len, struct seen *s)
{
	struct pkt p;
	segment(&p, C4, t->cport, D4, 53, seq, t->sseq, flags, data, len);
	run(t->w, t->w->ifc, POLC_DIR_EGRESS, &p, s);
	return s->verdict;
}

static int tc_server(struct tconv *t, uint8_t flags, const void *data, size_t len)
{
	struct pkt p;
	struct seen s;
	segment(&p, D4, 53, C4, t->cport, t->sseq, t->cseq, flags, data, len);
	run(t->w, t->w->ifc, POLC_DIR_INGRESS, &p, &s);
	if (s.verdict == VERDICT_PASS)
		t->sseq += (uint32_t)len;
	return s.verdict;
}

static void tc_open(struct tconv *t, struct dw *w, uint16_t cport)
{
	struct seen s;
	memset(t, 0, sizeof(*t));
	t->w = w;
	t->cport = cport;
	t->cseq = 1000;
	t->sseq = 5000;
	assert_int_equal(tc_client(t, t->cseq, PKT_SYN, NULL, 0, &s), VERDICT_PASS);
	t->cseq++;
	assert_int_equal(tc_server(t, PKT_SYN | PKT_ACK, NULL, 0), VERDICT_PASS);
	t->sseq++;
	assert_int_equal(tc_client(t, t->cseq, PKT_ACK, NULL, 0, &s), VERDICT_PASS);
}

/* A query framed for TCP: length, message. */
static size_t tcp_query(uint8_t *out, const char *name)
{
	struct msg q;
	m_query(&q, 9, name, QTYPE_A);
	out[0] = (uint8_t)(q.n >> 8);
	out[1] = (uint8_t)q.n;
	memcpy(out + 2, q.b, q.n);
	return q.n + 2;
}

static void test_tcp(void **state)
{
	(void)state;
	WORLD(w, 0);
	struct tconv t;
	struct seen s;
	uint8_t buf[1024];

	tc_open(&t, &w, 44000);
	/* Two allowed queries in one segment, then one more. */
	size_t n = tcp_query(buf, "api.example.com");
	n += tcp_query(buf + n, "www.example.org");
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, n, &s), VERDICT_PASS);
	/* The same segment again (a retransmission): judged again, passes. */
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, n, &s), VERDICT_PASS);
	t.cseq += (uint32_t)n;
	/* A segment past a gap: dropped (the client sends the missing bytes again). */
	size_t m = tcp_query(buf, "api.example.com");
	assert_int_equal(tc_client(&t, t.cseq + 5, PKT_ACK | PKT_PSH, buf, m, &s), VERDICT_DROP);
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, m, &s), VERDICT_PASS);
	t.cseq += (uint32_t)m;

	/* The answer, in two segments: learned from where the message starts. */
	struct msg a;
	m_answer(&a, 9, "api.example.com", QTYPE_A, 1);
	m_a(&a, 12, 300, "203.0.113.40");
	uint8_t framed[600];
	framed[0] = (uint8_t)(a.n >> 8);
	framed[1] = (uint8_t)a.n;
	memcpy(framed + 2, a.b, a.n);
	/* Malformed first (an answer off the chain): dropped, and dropped again when sent again. */
	struct msg bad;
	m_answer(&bad, 9, "api.example.com", QTYPE_A, 1);
	m_rr_ptr(&bad, 12, QTYPE_A, 300, "\x01\x02\x03", 3);
	uint8_t framed_bad[600];
	framed_bad[0] = (uint8_t)(bad.n >> 8);
	framed_bad[1] = (uint8_t)bad.n;
	memcpy(framed_bad + 2, bad.b, bad.n);
	assert_int_equal(tc_server(&t, PKT_ACK | PKT_PSH, framed_bad, bad.n + 2), VERDICT_DROP);
	assert_int_equal(tc_server(&t, PKT_ACK | PKT_PSH, framed_bad, bad.n + 2), VERDICT_DROP);
	assert_int_equal(tc_server(&t, PKT_ACK | PKT_PSH, framed, a.n + 2), VERDICT_PASS);
	assert_true(learned(&w, "203.0.113.40", NULL));

	/* A refused name: the client gets REFUSED (and FIN), the server a reset; the connection ends. */
	m = tcp_query(buf, "denied.example.net");
	drain(w.sock_c);
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, m, &s), VERDICT_PASS);
	size_t l4 = l4_off(s.out);
	assert_int_equal(s.out[l4 + 13] & (PKT_RST | PKT_ACK), PKT_RST | PKT_ACK);
	assert_int_equal(get32be(s.out + l4 + 4), t.cseq);
	assert_int_equal(s.out[l4 + 3], 53); /* towards the server */
	uint8_t clone[2048];
	ssize_t got = recv(w.sock_c, clone, sizeof(clone), 0);
	assert_true(got > 0);
	assert_int_equal(clone[l4 + 13], PKT_ACK | PKT_PSH | PKT_FIN);
	assert_int_equal(clone[l4 + 12] >> 4, 5);
	assert_int_equal(get32be(clone + l4 + 4), t.sseq);
	assert_int_equal(get32be(clone + l4 + 8), t.cseq + (uint32_t)m);
	assert_int_equal((size_t)got, l4 + 20 + m);
	const uint8_t *ans = clone + l4 + 20;
	assert_int_equal(ans[0] << 8 | ans[1], m - 2);
	assert_int_equal(ans[2 + 2], 0x81); /* QR, RD */
	assert_int_equal(ans[2 + 3], 0x05); /* REFUSED */
	assert_memory_equal(ans + 2 + 12, buf + 2 + 12, m - 14);
	assert_int_equal(l4_csum(clone, (size_t)got, 4, l4, IPPROTO_TCP), 0);
	assert_int_equal(fold(sum16(clone + 14, 20, 0)), 0);
	/* The answer passes the hook on its way to the client; the server's data would not. */
	struct pkt back;
	struct seen bs;
	pkt_init(&back);
	pkt_bytes(&back, clone, (size_t)got);
	run(&w, w.ifc, POLC_DIR_INGRESS, &back, &bs);
	assert_int_equal(bs.verdict, VERDICT_PASS);
	t.sseq += 100;
	assert_int_equal(tc_server(&t, PKT_ACK | PKT_PSH, "\0\2ab", 4), VERDICT_DROP);
	/* Nothing more of this connection reaches the server: the client's next query gets a reset. */
	m = tcp_query(buf, "api.example.com");
	assert_int_equal(tc_client(&t, t.cseq + 40, PKT_ACK | PKT_PSH, buf, m, &s), VERDICT_REDIRECT);
	assert_int_equal(s.out[l4_off(s.out) + 13] & PKT_RST, PKT_RST);

	/* Two queries in one segment, one refused: resets both ways (no answer fits them both). */
	tc_open(&t, &w, 44002);
	n = tcp_query(buf, "api.example.com");
	n += tcp_query(buf + n, "denied.example.net");
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, n, &s), VERDICT_PASS);
	assert_int_equal(s.out[l4_off(s.out) + 13] & PKT_RST, PKT_RST);

	/* A message split across segments: refused (reset), never judged in part. */
	tc_open(&t, &w, 44001);
	m = tcp_query(buf, "api.example.com");
	assert_int_equal(tc_client(&t, t.cseq, PKT_ACK | PKT_PSH, buf, 10, &s), VERDICT_PASS);
	assert_int_equal(s.out[l4_off(s.out) + 13] & PKT_RST, PKT_RST);
	world_free(&w);
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

int verdict_group_dns(struct topo *topo)
{
	static const char *const ifs[] = {CLIENT_IF, DNS_IF};
	for (size_t i = 0; i < 2; i++) {
		char peer[IFNAMSIZ];
		int a, b;
		snprintf(peer, sizeof(peer), "%sp", ifs[i]);
		if (!if_nametoindex(ifs[i]) && netns_veth_add(ifs[i], peer, &a, &b)) {
			fprintf(stderr, "dns: cannot create %s\n", ifs[i]);
			return 1;
		}
		if (ifup(ifs[i]) || ifup(peer)) {
			fprintf(stderr, "dns: cannot bring %s up\n", ifs[i]);
			return 1;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_names),
		cmocka_unit_test(test_refused_answer),
		cmocka_unit_test(test_malformed_queries),
		cmocka_unit_test(test_learn_and_connect),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_many_answers),
		cmocka_unit_test(test_malformed_answers),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_tcp),
	};
	*topo->n_tests += sizeof(tests) / sizeof(tests[0]);
	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}

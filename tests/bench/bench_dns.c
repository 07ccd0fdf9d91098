/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * make bench: what DNS rules and toFQDNs cost in the datapath, and the
 * delay between a DNS answer and the connection it allows. Two policy
 * sets for one client pod, compiled by polc and loaded, measured in the
 * same run:
 *
 *   with DNS rules   egress to the DNS server on 53/ANY with DNS rules
 *                    (a matchName and two matchPatterns); toFQDNs
 *                    api.example.com on TCP 443
 *   without          the same DNS server and port, L4 only; toCIDR
 *                    203.0.113.0/24 on TCP 443 instead of the names
 *
 * Measured through the entry programs on the client's interface (queries
 * and SYNs on its tc ingress, answers on its tc egress), BPF_PROG_TEST_RUN:
 *
 *   DNS query            one allowed UDP query on an existing flow,
 *                        repeated (each run judges it again): median of
 *                        rounds; the difference is the cost a DNS rule
 *                        adds to a query
 *   DNS query, new flow  a query from a new source port (conntrack entry
 *                        created): median of one-run calls
 *   DNS query refused    the REFUSED answer built and sent back: median
 *   DNS answer           an answer with 1 and with 16 A records, parsed,
 *                        checked and learned (repeated: the entries exist
 *                        after the first run and are refreshed)
 *   new connection       a SYN to a learned address (the FQDN column) /
 *                        to an address of the CIDR rule
 *   answer -> connection each answer carries an address never seen; the
 *                        client's SYN to it follows at once: how many are
 *                        allowed at the first attempt (target: all, the
 *                        entry exists before the answer leaves the hook)
 *
 *   bench_dns [REPEAT]         (root: runs in a private network namespace)
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "measure.h"
#include "setup.h"
#include "netns.h"
#include "pkt.h"
#include "polc/artifact.h"
#include "polc/libpolc.h"

#define ROUNDS 7
#define CALLS 2000
#define CLIENT "198.18.100.2"
#define DNS "198.18.100.53"

static const char inventory[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: bench, labels: {app: client},\n"
	"  annotations: {polc.io/interface: bench0}}\nstatus: {podIPs: [{ip: " CLIENT "}]}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: dns, namespace: bench, labels: {app: dns}}\n"
	"status: {podIPs: [{ip: " DNS "}]}\n---\n";

static const char policy_head[] =
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: client, namespace: bench}\n"
	"spec:\n  endpointSelector: {matchLabels: {app: client}}\n  egress:\n"
	"  - toEndpoints: [{matchLabels: {app: dns}}]\n"
	"    toPorts:\n    - ports: [{port: \"53\", protocol: ANY}]\n";

static const char with_rules[] =
	"      rules:\n        dns:\n"
	"        - matchName: api.example.com\n"
	"        - matchPattern: \"*.svc.cluster.local\"\n"
	"        - matchPattern: \"**.cdn.example.net\"\n"
	"  - toFQDNs: [{matchName: api.example.com}]\n"
	"    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n";

static const char without_rules[] =
	"  - toCIDR: [203.0.113.0/24]\n"
	"    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n";

struct loaded {
	struct polc_private *priv;
	int to_pod, from_pod;
};

static int run_argv(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int compile_load(const char *polc, const char *tmp, bool dns, struct loaded *out)
{
	char src[PATH_MAX], art_path[PATH_MAX];
	snprintf(src, sizeof(src), "%s/%s.yaml", tmp, dns ? "dns" : "l4");
	snprintf(art_path, sizeof(art_path), "%s/%s.polc", tmp, dns ? "dns" : "l4");
	FILE *f = fopen(src, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s%s%s", inventory, policy_head, dns ? with_rules : without_rules);
	fclose(f);
	char *argv[] = {(char *)polc, "compile", "-o", art_path, src, NULL};
	int err = run_argv(argv);
	if (err) {
		fprintf(stderr, "bench_dns: polc compile %s failed\n", src);
		return err;
	}
	struct polc_artifact *art = NULL;
	char msg[512];
	if ((err = polc_artifact_read(art_path, &art, msg, sizeof(msg)))) {
		fprintf(stderr, "bench_dns: %s\n", msg);
		return err;
	}
	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, opts);
	err = polc_private_load(art, &opts, &out->priv, &perr);
	polc_artifact_free(art);
	if (err) {
		fprintf(stderr, "bench_dns: load: %s\n", perr.message);
		return err;
	}
	out->to_pod = polc_private_prog_fd(out->priv, "polc_to_pod");
	out->from_pod = polc_private_prog_fd(out->priv, "polc_from_pod");
	return 0;
}

/* ---- messages ---------------------------------------------------------------------- */

struct msg {
	uint8_t b[1500];
	size_t n;
};

static void m_u16(struct msg *m, uint16_t v)
{
	m->b[m->n++] = v >> 8;
	m->b[m->n++] = v & 0xff;
}

static void m_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		m->b[m->n++] = (uint8_t)len;
		memcpy(m->b + m->n, name, len);
		m->n += len;
		name += len + (dot ? 1 : 0);
	}
	m->b[m->n++] = 0;
}

static void m_head(struct msg *m, uint16_t flags, uint16_t an, const char *name)
{
	m->n = 0;
	m_u16(m, 0x1234);
	m_u16(m, flags);
	m_u16(m, 1);
	m_u16(m, an);
	m_u16(m, 0);
	m_u16(m, 0);
	m_name(m, name);
	m_u16(m, 1);
	m_u16(m, 1);
}

/* An answer for name with n A records 203.0.113.(base + i). */
static void m_answer(struct msg *m, const char *name, int n, uint32_t base)
{
	m_head(m, 0x8180, (uint16_t)n, name);
	for (int i = 0; i < n; i++) {
		m_u16(m, 0xc00c);
		m_u16(m, 1);
		m_u16(m, 1);
		m_u16(m, 0);
		m_u16(m, 300);
		m_u16(m, 4);
		uint32_t a = base + (uint32_t)i;
		m->b[m->n++] = 203;
		m->b[m->n++] = (uint8_t)(a >> 16);
		m->b[m->n++] = (uint8_t)(a >> 8);
		m->b[m->n++] = (uint8_t)a;
	}
}

static int udp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, const struct msg *m)
{
	int err = pkt_udp(p, src, sport, dst, dport);
	if (err)
		return err;
	size_t l4 = p->len - 8;
	pkt_bytes(p, m->b, m->n);
	err = pkt_finish(p);
	uint16_t ulen = (uint16_t)(p->len - l4);
	p->data[l4 + 4] = ulen >> 8;
	p->data[l4 + 5] = ulen & 0xff;
	p->data[l4 + 6] = p->data[l4 + 7] = 0; /* no checksum (IPv4) */
	return err;
}

static int once(int fd, const struct pkt *p, int ifindex, double *ns, int *retval)
{
	struct bench_opts one = {.ifindex = ifindex, .repeat = 1, .rounds = 1};
	struct bench_result res;
	int err = bench_measure(fd, p->data, p->len, &one, &res);
	if (!err) {
		*ns = res.ns_median;
		*retval = res.retval;
	}
	return err;
}

static int repeated(int fd, const struct pkt *p, int ifindex, uint32_t repeat, double *ns, int *retval)
{
	struct bench_opts opts = {.ifindex = ifindex, .repeat = repeat, .rounds = ROUNDS};
	struct bench_result res;
	int err = bench_measure(fd, p->data, p->len, &opts, &res);
	if (!err) {
		*ns = res.ns_median;
		*retval = res.retval;
	}
	return err;
}

struct figures {
	double query, query_new, refused, answer1, answer16, syn, first_ok_ns;
	int first_ok, first_tries;
};

static int measure(const struct loaded *l, bool dns, int ifindex, uint32_t repeat, struct figures *fig)
{
	struct pkt p;
	struct msg q, a;
	struct bench_samples calls;
	double ns, total;
	int rv, err;

	/* A query on an existing flow: the first run opens it, the measured ones judge it. */
	m_head(&q, 0x0100, 0, "api.example.com");
	if ((err = udp(&p, CLIENT, 5353, DNS, 53, &q)) || (err = once(l->from_pod, &p, ifindex, &ns, &rv)) ||
	    (err = repeated(l->from_pod, &p, ifindex, repeat, &fig->query, &rv)))
		return err;
	if (rv != TC_ACT_UNSPEC)
		return -EPERM;
	calls.n = 0;
	for (int i = 0; i < CALLS; i++) {
		if ((err = udp(&p, CLIENT, (uint16_t)(10000 + i), DNS, 53, &q)) ||
		    (err = once(l->from_pod, &p, ifindex, &ns, &rv)))
			return err;
		bench_sample(&calls, ns);
	}
	fig->query_new = bench_median(&calls);
	if (!dns)
		return 0;

	/* Refused queries: each run builds the REFUSED answer and redirects it. */
	m_head(&q, 0x0100, 0, "denied.example.org");
	calls.n = 0;
	for (int i = 0; i < CALLS; i++) {
		if ((err = udp(&p, CLIENT, 5353, DNS, 53, &q)) || (err = once(l->from_pod, &p, ifindex, &ns, &rv)))
			return err;
		if (rv != TC_ACT_REDIRECT)
			return -EPROTO;
		bench_sample(&calls, ns);
	}
	fig->refused = bench_median(&calls);

	/* Answers on the query's flow (port 5353). */
	m_answer(&a, "api.example.com", 1, 1);
	if ((err = udp(&p, DNS, 53, CLIENT, 5353, &a)) ||
	    (err = repeated(l->to_pod, &p, ifindex, repeat / 10, &fig->answer1, &rv)))
		return err;
	if (rv != TC_ACT_UNSPEC)
		return -EPROTO;
	m_answer(&a, "api.example.com", 16, 100);
	if ((err = udp(&p, DNS, 53, CLIENT, 5353, &a)) ||
	    (err = repeated(l->to_pod, &p, ifindex, repeat / 10, &fig->answer16, &rv)))
		return err;
	if (rv != TC_ACT_UNSPEC)
		return -EPROTO;

	/* Answer, then at once the SYN to the address it carried: a fresh address each time. */
	fig->first_ok = 0;
	fig->first_tries = CALLS;
	total = 0;
	for (int i = 0; i < CALLS; i++) {
		struct pkt syn;
		char addr[32];
		uint32_t x = 0x010000u + (uint32_t)i;
		struct timespec t0, t1;
		m_answer(&a, "api.example.com", 1, x);
		snprintf(addr, sizeof(addr), "203.%u.%u.%u", (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff);
		if ((err = udp(&p, DNS, 53, CLIENT, 5353, &a)) ||
		    (err = pkt_tcp(&syn, CLIENT, (uint16_t)(20000 + i), addr, 443, PKT_SYN)))
			return err;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((err = once(l->to_pod, &p, ifindex, &ns, &rv)) ||
		    (err = once(l->from_pod, &syn, ifindex, &ns, &rv)))
			return err;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rv == TC_ACT_UNSPEC)
			fig->first_ok++;
		total += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	}
	fig->first_ok_ns = total / CALLS;
	return 0;
}

/* New connections to an allowed address: learned (dns) or in the CIDR rule. */
static int measure_syn(const struct loaded *l, int ifindex, const char *addr, struct figures *fig)
{
	struct bench_samples calls = {.n = 0};
	double ns;
	int rv, err;
	for (int i = 0; i < CALLS; i++) {
		struct pkt syn;
		if ((err = pkt_tcp(&syn, CLIENT, (uint16_t)(30000 + i), addr, 443, PKT_SYN)) ||
		    (err = once(l->from_pod, &syn, ifindex, &ns, &rv)))
			return err;
		if (rv != TC_ACT_UNSPEC)
			return -EPERM;
		bench_sample(&calls, ns);
	}
	fig->syn = bench_median(&calls);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	char build[PATH_MAX], polc[PATH_MAX + 8], tmp[] = "/tmp/polc-bench-dns-XXXXXX";
	if (bench_build_dir(argv[0], build, sizeof(build))) {
		fprintf(stderr, "bench_dns: cannot find the build directory\n");
		return 2;
	}
	snprintf(polc, sizeof(polc), "%s/polc", build);
	if (!mkdtemp(tmp))
		return 2;
	int ifindex;
	if (bench_enter_netns("bench_dns", "bench0", "bench0-pod", &ifindex))
		return 2;

	struct loaded with = {0}, without = {0};
	struct figures w = {0}, wo = {0};
	int err = compile_load(polc, tmp, true, &with);
	if (!err)
		err = compile_load(polc, tmp, false, &without);
	if (!err)
		err = measure(&without, false, ifindex, repeat, &wo);
	if (!err)
		err = measure(&with, true, ifindex, repeat, &w);
	if (!err)
		err = measure_syn(&without, ifindex, "203.0.113.1", &wo);
	if (!err)
		err = measure_syn(&with, ifindex, "203.0.0.1", &w); /* learned from the 1-record answer */
	polc_private_free(with.priv);
	polc_private_free(without.priv);
	char *rm_argv[] = {"/bin/rm", "-rf", tmp, NULL};
	run_argv(rm_argv);
	if (err) {
		fprintf(stderr, "bench_dns: failed: %s\n", strerror(-err));
		return 1;
	}
	printf("polc: DNS rules and toFQDNs in the datapath (ns per packet through BPF_PROG_TEST_RUN; repeated:\n"
	       "median of %d rounds of %u; others: median of %d one-run calls)\n\n",
	       ROUNDS, repeat, CALLS);
	printf("%-56s %12s %12s\n", "", "L4 only", "DNS rules,");
	printf("%-56s %12s %12s\n", "", "(toCIDR)", "toFQDNs");
	printf("%-56s %12.1f %12.1f\n", "DNS query allowed (UDP, existing flow)", wo.query, w.query);
	printf("%-56s %12.1f %12.1f\n", "DNS query allowed, new flow", wo.query_new, w.query_new);
	printf("%-56s %12s %12.1f\n", "DNS query refused (REFUSED answer built, sent back)", "-", w.refused);
	printf("%-56s %12s %12.1f\n", "DNS answer, 1 A record (checked, learned)", "-", w.answer1);
	printf("%-56s %12s %12.1f\n", "DNS answer, 16 A records (checked, learned)", "-", w.answer16);
	printf("%-56s %12.1f %12.1f\n", "new connection to an allowed address (CIDR / learned)", wo.syn, w.syn);
	printf("\nadded to a DNS query by the DNS rules: %.1f ns (existing flow), %.1f ns (new flow)\n",
	       w.query - wo.query, w.query_new - wo.query_new);
	printf("answer -> first connection to its new address: %d of %d allowed at the first attempt;\n"
	       "the entry is written while the answer crosses the hook, so the delay is none: the SYN was\n"
	       "judged %.1f us after the answer's run started (two BPF_PROG_TEST_RUN calls back to back)\n",
	       w.first_ok, w.first_tries, w.first_ok_ns / 1000.0);
	return w.first_ok == w.first_tries ? 0 : 1;
}

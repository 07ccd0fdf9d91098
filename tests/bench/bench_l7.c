/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * make bench: the cost of L7 HTTP matching in the datapath, and proof
 * that L3/L4 flows do not pay for it. Two policy sets, compiled by polc
 * and loaded, measured in the same run:
 *
 *   with HTTP rules     port 80: three Cilium HTTP rules (method, path
 *                       regex, host, header); port 22: L4 only
 *   without             the same ports, no HTTP rules
 *
 * Measured through the entry program (tc egress of the server's
 * interface: its ingress rules), BPF_PROG_TEST_RUN:
 *
 *   L3/L4 established    a data segment of an allowed connection without
 *                        HTTP rules (port 22; port 80 in the set without):
 *                        repeated, median of rounds
 *   L3/L4 new flow       a SYN, one run per new connection, median
 *                        (both sets alternate, round by round and call by
 *                        call, so drift does not favour one)
 *   HTTP request         one allowed request per call on an established
 *                        connection (the judged stream advances, so each
 *                        call is a new request), median of many; three
 *                        head sizes
 *   HTTP new flow        a SYN on the port with HTTP rules (state created)
 *   HTTP refused         a refused request: the 403 and the reset built
 *                        and sent (a new connection per call)
 *   HTTP response        a server-to-client data segment on a connection
 *                        under HTTP rules (acknowledgement bookkeeping)
 *
 *   bench_l7 [REPEAT]          (root: runs in a private network namespace)
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
#define SERVER "198.18.100.1"
#define CLIENT "198.18.100.2"

static const char inventory[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: server, namespace: bench, labels: {app: server},\n"
	"  annotations: {polc.io/interface: bench0}}\nstatus: {podIPs: [{ip: " SERVER "}]}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: bench, labels: {app: client}}\n"
	"status: {podIPs: [{ip: " CLIENT "}]}\n---\n";

static const char policy_head[] =
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: server, namespace: bench}\n"
	"spec:\n  endpointSelector: {matchLabels: {app: server}}\n  ingress:\n"
	"  - fromEndpoints: [{matchLabels: {app: client}}]\n"
	"    toPorts: [{ports: [{port: \"22\", protocol: TCP}]}]\n"
	"  - fromEndpoints: [{matchLabels: {app: client}}]\n"
	"    toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n";

static const char http_rules[] =
	"      rules:\n        http:\n"
	"        - {method: GET, path: \"/api/v1/(items|orders)/[0-9]+\"}\n"
	"        - {method: POST, path: /api/v1/orders, headers: [\"Content-Type: application/json\"]}\n"
	"        - {method: GET, path: \"/static/.*\", host: \"^shop\\\\.example\\\\.com$\"}\n";

/* Requests of three sizes, all allowed. */
static const char *const requests[3] = {
	"GET /api/v1/items/42 HTTP/1.1\r\nHost: s\r\n\r\n",
	"GET /api/v1/orders/1234 HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
	"GET /static/css/site.css?v=20240101 HTTP/1.1\r\nHost: shop.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
	"Accept: text/css,*/*;q=0.1\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://shop.example.com/products/widgets?page=2&sort=price\r\n"
	"Cookie: session=3f9a7c2e1b8d4f6a9c0e2b4d6f8a1c3e; theme=dark; consent=granted; ab=variant-b\r\n"
	"Connection: keep-alive\r\nSec-Fetch-Dest: style\r\nSec-Fetch-Mode: no-cors\r\nCache-Control: no-cache\r\n\r\n",
};

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

static int compile_load(const char *polc, const char *tmp, bool with_http, struct loaded *out)
{
	char src[PATH_MAX], art_path[PATH_MAX];
	snprintf(src, sizeof(src), "%s/%s.yaml", tmp, with_http ? "http" : "l4");
	snprintf(art_path, sizeof(art_path), "%s/%s.polc", tmp, with_http ? "http" : "l4");
	FILE *f = fopen(src, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s%s%s", inventory, policy_head, with_http ? http_rules : "");
	fclose(f);
	char *argv[] = {(char *)polc, "compile", "-o", art_path, src, NULL};
	int err = run_argv(argv);
	if (err) {
		fprintf(stderr, "bench_l7: polc compile %s failed\n", src);
		return err;
	}
	struct polc_artifact *art = NULL;
	char msg[512];
	if ((err = polc_artifact_read(art_path, &art, msg, sizeof(msg)))) {
		fprintf(stderr, "bench_l7: %s\n", msg);
		return err;
	}
	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, opts);
	err = polc_private_load(art, &opts, &out->priv, &perr);
	polc_artifact_free(art);
	if (err) {
		fprintf(stderr, "bench_l7: load: %s\n", perr.message);
		return err;
	}
	out->to_pod = polc_private_prog_fd(out->priv, "polc_to_pod");
	out->from_pod = polc_private_prog_fd(out->priv, "polc_from_pod");
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static int segment(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, const char *data)
{
	int err = pkt_tcp(p, src, sport, dst, dport, flags);
	if (err)
		return err;
	size_t l4 = p->len - 20;
	put32(p->data + l4 + 4, seq);
	put32(p->data + l4 + 8, ack);
	if (data)
		pkt_bytes(p, data, strlen(data));
	return pkt_finish(p);
}

/* One run of p; its duration in ns and the verdict. */
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

/* A connection client:port -> server:dport, handshake done; the client's next sequence number. */
static int open_conn(const struct loaded *l, int ifindex, uint16_t port, uint16_t dport, uint32_t *cseq,
		     uint32_t *sseq)
{
	struct pkt p;
	double ns;
	int rv, err;
	*cseq = 1000u + port;
	*sseq = 900000u;
	if ((err = segment(&p, CLIENT, port, SERVER, dport, *cseq, 0, PKT_SYN, NULL)) ||
	    (err = once(l->to_pod, &p, ifindex, &ns, &rv)))
		return err;
	(*cseq)++;
	if ((err = segment(&p, SERVER, dport, CLIENT, port, *sseq, *cseq, PKT_SYN | PKT_ACK, NULL)) ||
	    (err = once(l->from_pod, &p, ifindex, &ns, &rv)))
		return err;
	(*sseq)++;
	if ((err = segment(&p, CLIENT, port, SERVER, dport, *cseq, *sseq, PKT_ACK, NULL)) ||
	    (err = once(l->to_pod, &p, ifindex, &ns, &rv)))
		return err;
	return rv == TC_ACT_SHOT ? -EPERM : 0;
}

struct figures {
	double est_l4, new_l4, new_http, req[3], refused, response;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * L3/L4 connections on both datapaths, alternating round by round and
 * call by call so that the machine's drift lands on both alike: port 80
 * of the set without HTTP rules, port 22 of the set with them.
 */
static int measure_l4(const struct loaded *l[2], const uint16_t dport[2], int ifindex, uint32_t repeat,
		      struct figures *fig[2])
{
	struct pkt est[2];
	double rounds[2][ROUNDS];
	struct bench_samples calls[2] = {{.n = 0}, {.n = 0}};
	int err = 0;
	for (int d = 0; d < 2; d++) {
		uint32_t cseq, sseq;
		if ((err = open_conn(l[d], ifindex, 10000, dport[d], &cseq, &sseq)) ||
		    (err = segment(&est[d], CLIENT, 10000, SERVER, dport[d], cseq, sseq, PKT_ACK | PKT_PSH,
				   "SSH-2.0-bench\r\n")))
			return err;
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int d = 0; d < 2; d++) {
			struct bench_opts opts = {.ifindex = ifindex, .repeat = repeat, .rounds = 1};
			struct bench_result res;
			if ((err = bench_measure(l[d]->to_pod, est[d].data, est[d].len, &opts, &res)))
				return err;
			if (res.retval == TC_ACT_SHOT)
				return -EPERM;
			rounds[d][r] = res.ns_median;
		}
	}
	for (int i = 0; i < CALLS; i++) {
		for (int d = 0; d < 2; d++) {
			struct pkt p;
			double ns;
			int rv;
			if ((err = segment(&p, CLIENT, (uint16_t)(10001 + i), SERVER, dport[d], 5000, 0, PKT_SYN, NULL)) ||
			    (err = once(l[d]->to_pod, &p, ifindex, &ns, &rv)))
				return err;
			if (rv == TC_ACT_SHOT)
				return -EPERM;
			bench_sample(&calls[d], ns);
		}
	}
	for (int d = 0; d < 2; d++) {
		qsort(rounds[d], ROUNDS, sizeof(double), cmp_double);
		fig[d]->est_l4 = rounds[d][ROUNDS / 2];
		fig[d]->new_l4 = bench_median(&calls[d]);
	}
	return 0;
}

static int measure_http(const struct loaded *l, int ifindex, uint32_t repeat, struct figures *fig)
{
	int err = 0;
	/* Allowed requests, each a new one on its connection. */
	for (int k = 0; k < 3; k++) {
		uint32_t cseq, sseq;
		uint16_t port = (uint16_t)(30000 + k);
		if ((err = open_conn(l, ifindex, port, 80, &cseq, &sseq)))
			return err;
		struct bench_samples calls = {.n = 0};
		for (int i = 0; i < CALLS; i++) {
			struct pkt p;
			double ns;
			int rv;
			if ((err = segment(&p, CLIENT, port, SERVER, 80, cseq, sseq, PKT_ACK | PKT_PSH, requests[k])) ||
			    (err = once(l->to_pod, &p, ifindex, &ns, &rv)))
				return err;
			if (rv != TC_ACT_UNSPEC) {
				fprintf(stderr, "bench_l7: request %d refused (%d)\n", k, rv);
				return -EPERM;
			}
			cseq += (uint32_t)strlen(requests[k]);
			bench_sample(&calls, ns);
		}
		fig->req[k] = bench_median(&calls);
	}
	/* New connections under HTTP rules: the SYN creates their HTTP state too. */
	struct bench_samples syns = {.n = 0};
	for (int i = 0; i < CALLS; i++) {
		struct pkt p;
		double ns;
		int rv;
		if ((err = segment(&p, CLIENT, (uint16_t)(50000 + i), SERVER, 80, 7000, 0, PKT_SYN, NULL)) ||
		    (err = once(l->to_pod, &p, ifindex, &ns, &rv)))
			return err;
		bench_sample(&syns, ns);
	}
	fig->new_http = bench_median(&syns);
	/* Server to client: an answer on an HTTP connection. */
	uint32_t cseq, sseq;
	if ((err = open_conn(l, ifindex, 31000, 80, &cseq, &sseq)))
		return err;
	struct pkt p;
	struct bench_opts opts = {.ifindex = ifindex, .repeat = repeat, .rounds = ROUNDS};
	struct bench_result res;
	if ((err = segment(&p, SERVER, 80, CLIENT, 31000, sseq, cseq, PKT_ACK | PKT_PSH,
			   "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")) ||
	    (err = bench_measure(l->from_pod, p.data, p.len, &opts, &res)))
		return err;
	fig->response = res.ns_median;
	/* Refused: a new connection each time (a refused connection is closed for good). */
	struct bench_samples refusals = {.n = 0};
	int n = CALLS / 4;
	for (int i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(40000 + i);
		double ns;
		int rv;
		if ((err = open_conn(l, ifindex, port, 80, &cseq, &sseq)) ||
		    (err = segment(&p, CLIENT, port, SERVER, 80, cseq, sseq, PKT_ACK | PKT_PSH,
				   "DELETE /api/v1/items/42 HTTP/1.1\r\nHost: s\r\n\r\n")) ||
		    (err = once(l->to_pod, &p, ifindex, &ns, &rv)))
			return err;
		bench_sample(&refusals, ns);
	}
	fig->refused = bench_median(&refusals);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	char build[PATH_MAX], polc[PATH_MAX + 8], tmp[] = "/tmp/polc-bench-l7-XXXXXX";
	if (bench_build_dir(argv[0], build, sizeof(build))) {
		fprintf(stderr, "bench_l7: cannot find the build directory\n");
		return 2;
	}
	snprintf(polc, sizeof(polc), "%s/polc", build);
	if (!mkdtemp(tmp))
		return 2;
	int ifindex;
	if (bench_enter_netns("bench_l7", "bench0", "bench0-pod", &ifindex))
		return 2;

	struct loaded with = {0}, without = {0};
	struct figures w = {0}, wo = {0};
	int err = compile_load(polc, tmp, true, &with);
	if (!err)
		err = compile_load(polc, tmp, false, &without);
	const struct loaded *both[2] = {&without, &with};
	const uint16_t ports[2] = {80, 22};
	struct figures *figs[2] = {&wo, &w};
	if (!err)
		err = measure_l4(both, ports, ifindex, repeat, figs);
	if (!err)
		err = measure_http(&with, ifindex, repeat, &w);
	polc_private_free(with.priv);
	polc_private_free(without.priv);
	char *rm_argv[] = {"/bin/rm", "-rf", tmp, NULL};
	run_argv(rm_argv);
	if (err) {
		fprintf(stderr, "bench_l7: failed: %s\n", strerror(-err));
		return 1;
	}
	printf("polc: L7 HTTP in the datapath (ns per packet through BPF_PROG_TEST_RUN; established: median of %d\n"
	       "rounds of %u; others: median of %d one-run calls)\n\n",
	       ROUNDS, repeat, CALLS);
	printf("%-52s %12s %12s\n", "", "without HTTP", "with HTTP");
	printf("%-52s %12s %12s\n", "", "rules", "rules");
	printf("%-52s %12.1f %12.1f\n", "L3/L4 connection, established data segment", wo.est_l4, w.est_l4);
	printf("%-52s %12.1f %12.1f\n", "L3/L4 connection, new (SYN)", wo.new_l4, w.new_l4);
	for (int k = 0; k < 3; k++) {
		char label[80];
		snprintf(label, sizeof(label), "HTTP request allowed, %zu-byte head", strlen(requests[k]));
		printf("%-52s %12s %12.1f\n", label, "-", w.req[k]);
	}
	printf("%-52s %12s %12.1f\n", "HTTP connection, new (SYN, HTTP state created)", "-", w.new_http);
	printf("%-52s %12s %12.1f\n", "HTTP request refused (403 + reset built and sent)", "-", w.refused);
	printf("%-52s %12s %12.1f\n", "HTTP connection, server-to-client segment", "-", w.response);
	return 0;
}

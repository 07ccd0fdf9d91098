/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Per-packet cost of the datapath templates, measured in the kernel with
 * BPF_PROG_TEST_RUN: the empty baseline, the entry program's tail call,
 * and the generation's paths (established, new flow allowed and denied,
 * conntrack insertion), for the "full" fixture and the worst case (129
 * IPv6 prefix lengths, all missed). Maps are filled by hand as in the
 * verdict tests; `make bench` wires compiled policy sets separately.
 *
 *   bench_datapath [REPEAT]     (root: creates a private network namespace)
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "measure.h"
#include "netns.h"
#include "setup.h"
#include "pkt.h"
#include "runner.h"

#define ROUNDS 7
#define ID_A 1000
#define ID_B 2000
#define P_B_IN 21

struct bench {
	struct runner r;
	int if_b;
	uint32_t repeat;
};

static int report(const char *what, int fd, const struct pkt *p, int ifindex, uint32_t cb0, uint32_t repeat)
{
	struct bench_opts opts = { .ifindex = ifindex, .cb0 = cb0, .repeat = repeat, .rounds = ROUNDS };
	struct bench_result res;
	int err = bench_measure(fd, p->data, p->len, &opts, &res);

	if (err) {
		fprintf(stderr, "bench: %s: %s\n", what, strerror(-err));
		return err;
	}
	printf("  %-52s %8.1f ns/pkt (best %6.1f)  %s\n", what, res.ns_median, res.ns_min,
	       res.retval == TC_ACT_SHOT ? "drop" : "pass");
	return 0;
}

/* Median kernel time of one-run BPF_PROG_TEST_RUNs, each a new connection (a new source port). */
static int report_new_connections(const char *what, struct bench *b, const char *src, const char *dst, int n)
{
	struct bench_opts opts = { .ifindex = b->if_b, .repeat = 1, .rounds = 1 };
	struct bench_samples new_conns = {.n = 0};
	int retval = 0;

	for (int i = 0; i < n; i++) {
		struct bench_result res;
		struct pkt p;

		if (pkt_tcp(&p, src, (uint16_t)(10000 + i), dst, 80, PKT_SYN))
			return -EINVAL;

		int err = bench_measure(b->r.to_pod, p.data, p.len, &opts, &res);

		if (err)
			return err;
		bench_sample(&new_conns, res.ns_median);
		retval = res.retval;
	}
	printf("  %-52s %8.1f ns/pkt (median of %d, repeat=1)  %s\n", what, bench_median(&new_conns), n,
	       retval == TC_ACT_SHOT ? "drop" : "pass");
	return 0;
}

/* B isolated for ingress, allowing TCP port 80 from A: the policy every figure below runs under. */
static int fill(struct gen *g, int if_b)
{
	int err;

	if ((err = gen_endpoint(g, if_b, 2, ID_B, P_B_IN, 0, POLC_EP_ENFORCE_INGRESS)) ||
	    (err = gen_ipcache(g, "198.18.0.10", ID_A, 0)) || (err = gen_ipcache(g, "198.18.0.20", ID_B, 0)) ||
	    (err = gen_ipcache(g, "fd00::a", ID_A, 0)) || (err = gen_ipcache(g, "fd00::b", ID_B, 0)) ||
	    (err = gen_port_class(g, POLC_PSLOT_TCP, 80, 80, 1)))
		return err;
	return gen_policy(g, P_B_IN, ID_A, IPPROTO_TCP, 1, POLC_ACT_ALLOW, 1);
}

static int bench_generation(struct bench *b, const char *gen_name)
{
	struct polc_gen_state state = { .revision = 1 };
	struct pkt syn, ack, reply, denied, denied6;
	int verdict, err;

	err = runner_open(&b->r, gen_name, &state);
	if (err) {
		fprintf(stderr, "bench: cannot load generation %s: %s\n", gen_name, strerror(-err));
		return err;
	}
	if ((err = fill(&b->r.gen, b->if_b)) ||
	    (err = pkt_tcp(&syn, "198.18.0.10", 40000, "198.18.0.20", 80, PKT_SYN)) ||
	    (err = pkt_tcp(&ack, "198.18.0.10", 40000, "198.18.0.20", 80, PKT_ACK)) ||
	    (err = pkt_tcp(&reply, "198.18.0.20", 80, "198.18.0.10", 40000, PKT_ACK)) ||
	    (err = pkt_tcp(&denied, "198.19.1.1", 40000, "198.18.0.20", 80, PKT_SYN)) ||
	    (err = pkt_tcp(&denied6, "fd01::1", 40000, "fd00::b", 80, PKT_SYN)) ||
	    (err = runner_run(&b->r, b->if_b, POLC_DIR_INGRESS, &syn, &verdict))) {
		fprintf(stderr, "bench: cannot set up generation %s: %s\n", gen_name, strerror(-err));
		runner_close(&b->r);
		return err;
	}

	printf("generation %s (%u instructions verified):\n", gen_name, prog_verified_insns(b->r.gen.prog));
	if ((err = report("established, from the opener (conntrack hit)", b->r.to_pod, &ack, b->if_b, 0,
			  b->repeat)) ||
	    (err = report("established, reply", b->r.from_pod, &reply, b->if_b, 0, b->repeat)) ||
	    (err = report("new flow denied, IPv4 world peer", b->r.to_pod, &denied, b->if_b, 0, b->repeat)) ||
	    (err = report("new flow denied, IPv6 world peer", b->r.to_pod, &denied6, b->if_b, 0, b->repeat)) ||
	    (err = report("same, generation run directly (no entry, no tail call)", b->r.gen.prog, &denied6,
			  b->if_b, POLC_DIR_INGRESS, b->repeat)))
		goto out;
	err = report_new_connections("new connection allowed (policy + conntrack insert)", b, "198.18.0.10",
				     "198.18.0.20", 2000);
out:
	runner_close(&b->r);
	return err;
}

static int bench_baseline(struct bench *b)
{
	const struct embedded_file *f = embedded_find(polc_test_objects, "bench_empty.bpf.o");
	struct polc_gen_state state = { .revision = 1 };
	struct bpf_object *obj;
	struct pkt ack;
	int err, fd;

	if (!f)
		return -ENOENT;
	obj = bpf_object__open_mem(f->data, f->size, NULL);
	if (!obj)
		return -errno;
	if ((err = bpf_object__load(obj)) || (err = pkt_tcp(&ack, "198.18.0.10", 40000, "198.18.0.20", 80, PKT_ACK)))
		goto out;
	fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "bench_empty"));

	printf("baseline:\n");
	if ((err = report("empty tc program", fd, &ack, b->if_b, 0, b->repeat)))
		goto out;

	/* One run per call: the fixed cost that the one-run figures below include. */
	struct bench_opts one = { .ifindex = b->if_b, .repeat = 1, .rounds = 1 };
	struct bench_result res;
	struct bench_samples calls = {.n = 0};

	for (int i = 0; i < 2000; i++) {
		if ((err = bench_measure(fd, ack.data, ack.len, &one, &res)))
			goto out;
		bench_sample(&calls, res.ns_median);
	}
	printf("  %-52s %8.1f ns/pkt (median of 2000, repeat=1)\n", "empty tc program, one run per call",
	       bench_median(&calls));

	/* The entry program tail-calling the empty program instead of a generation. */
	__u32 slot = 0;

	if ((err = runner_open(&b->r, "full", &state)))
		goto out;
	if (bpf_map_update_elem(b->r.gen_prog_map, &slot, &fd, BPF_ANY))
		err = -errno;
	else
		err = report("entry program + tail call to the empty program", b->r.to_pod, &ack, b->if_b, 0,
			     b->repeat);
	runner_close(&b->r);
out:
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	struct bench b = { .repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 200000 };

	if (b.repeat == 0) {
		fprintf(stderr, "usage: bench_datapath [REPEAT]\n");
		return 2;
	}
	if (bench_enter_netns("bench_datapath", "polc-bench", "polc-bench-pod", &b.if_b))
		return 2;

	printf("BPF_PROG_TEST_RUN, repeat=%u, median of %d rounds\n", b.repeat, ROUNDS);
	if (bench_baseline(&b) || bench_generation(&b, "full") || bench_generation(&b, "worst"))
		return 3;
	return 0;
}

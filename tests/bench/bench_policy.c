/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * make bench: per-packet verdict time of compiled policy sets of 10,
 * 1,000 and 100,000 rules (tests/bench/gen_policies.py: selectors, CIDRs
 * with excepts, single ports and ranges, four protocols), beside an
 * empty tc program measured in the same run, and the compile time of
 * each set. The packets go through the entry program, as on a real
 * interface: tail call, endpoint, parse, conntrack, ipcache, policy.
 *
 *   new flow, denied     a world peer no rule matches: every probe runs
 *   new flow, allowed    a peer in a /24 ipBlock, a port in a range; one
 *                        run per call, a new source port each (conntrack
 *                        insert included)
 *   established          the allowed flow again: conntrack hit
 *
 * All sets are loaded at once and measured in turn (see measure_sets).
 *
 *   bench_policy [REPEAT]        (root: runs in a private network namespace)
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "embedded.h"
#include "loader/loader.h"
#include "runner.h"
#include "measure.h"
#include "setup.h"
#include "netns.h"
#include "pkt.h"
#include "polc/artifact.h"
#include "polc/libpolc.h"

#define ROUNDS 7
#define NEW_FLOWS 2000

/* The measured endpoint: bench/target, interface bench0 (gen_policies.py). */
#define TARGET "198.18.100.1"
#define ALLOWED_PEER "10.0.1.5" /* rule 1: 10.0.1.0/24 except 10.0.1.128/28, TCP 2000-2100 */
#define ALLOWED_PORT 2050
#define DENIED_PEER "10.250.250.250"

struct row {
	const char *name;
	unsigned rules;
	double compile_s;
	unsigned long entries;
	double deny_ns, allow_ns, est_ns;
	struct polc_private *priv; /* the set, loaded */
	int to_pod;                /* its entry program, tc egress of bench0 */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(char *const argv[])
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

/* One BPF_PROG_TEST_RUN of `repeat` runs: the mean ns per run and the verdict. */
static int run_once(int fd, const struct pkt *p, int ifindex, uint32_t repeat, double *ns, int *retval)
{
	struct bench_opts opts = { .ifindex = ifindex, .repeat = repeat, .rounds = 1 };
	struct bench_result res;
	int err = bench_measure(fd, p->data, p->len, &opts, &res);
	if (!err) {
		*ns = res.ns_median;
		*retval = res.retval;
	}
	return err;
}

/* The baseline: tests/bench/bench_empty.bpf.c, loaded. */
static int load_empty(struct bpf_object **out)
{
	const struct embedded_file *f = embedded_find(polc_test_objects, "bench_empty.bpf.o");
	if (!f)
		return -ENOENT;
	struct bpf_object *obj = bpf_object__open_mem(f->data, f->size, NULL);
	if (!obj)
		return -errno;
	int err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		return err;
	}
	*out = obj;
	return 0;
}

/* Generates, compiles (timed) and privately loads the set; its entry program's fd in row->to_pod. */
static int prepare_set(const char *repo, const char *polc, const char *tmp, struct row *row)
{
	char dir[PATH_MAX], art_path[PATH_MAX], count[32], gen[PATH_MAX + 64];
	snprintf(dir, sizeof(dir), "%s/set-%u", tmp, row->rules);
	snprintf(art_path, sizeof(art_path), "%s/set-%u.polc", tmp, row->rules);
	snprintf(count, sizeof(count), "%u", row->rules);
	snprintf(gen, sizeof(gen), "%s/tests/bench/gen_policies.py", repo);

	char *gen_argv[] = {"/usr/bin/python3", gen, count, dir, NULL};
	char *compile_argv[] = {(char *)polc, "compile", "-o", art_path, dir, NULL};
	int err = run(gen_argv);
	if (err) {
		fprintf(stderr, "bench: cannot generate %u rules\n", row->rules);
		return err;
	}
	double t0 = now();
	err = run(compile_argv);
	row->compile_s = now() - t0;
	if (err) {
		fprintf(stderr, "bench: polc compile failed for %u rules\n", row->rules);
		return err;
	}

	struct polc_artifact *art = NULL;
	char msg[512];
	if ((err = polc_artifact_read(art_path, &art, msg, sizeof(msg)))) {
		fprintf(stderr, "bench: %s\n", msg);
		return err;
	}
	char entries[32] = "0";
	polc_artifact_info(art, "policy_entries", entries, sizeof(entries));
	row->entries = strtoul(entries, NULL, 10);

	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, popts);
	err = polc_private_load(art, &popts, &row->priv, &perr);
	polc_artifact_free(art);
	if (err) {
		fprintf(stderr, "bench: cannot load %u rules: %s\n", row->rules, perr.message);
		return err;
	}
	row->to_pod = polc_private_prog_fd(row->priv, "polc_to_pod");
	return 0;
}

/*
 * Every figure of every set, round by round and call by call in turn, so
 * that the machine's drift during the run (this VM's speed wanders by
 * tens of percent over minutes) moves all sets alike and the ratios hold.
 * Each set gets its own source ports: its conntrack is its own anyway.
 */
static int measure_sets(struct row *rows, size_t n, int empty_fd, double *empty_ns, int ifindex, uint32_t repeat)
{
	struct pkt ack_empty;
	int retval, err = pkt_tcp(&ack_empty, ALLOWED_PEER, 40000, TARGET, ALLOWED_PORT, PKT_ACK);
	double *deny = calloc(n * ROUNDS, sizeof(double)), *est = calloc(n * ROUNDS, sizeof(double));
	double empty[ROUNDS];
	struct bench_samples *allowed = calloc(n, sizeof(*allowed));
	if (!deny || !est || !allowed)
		err = -ENOMEM;
	for (size_t k = 0; !err && k < n; k++) {
		struct pkt syn;
		/* Opens the connection whose later segments are the established figure. */
		if (!(err = pkt_tcp(&syn, ALLOWED_PEER, (uint16_t)(40000 + k), TARGET, ALLOWED_PORT, PKT_SYN)))
			err = run_once(rows[k].to_pod, &syn, ifindex, 1, &rows[k].est_ns, &retval);
		if (!err && retval == TC_ACT_SHOT) {
			fprintf(stderr, "bench: %u rules: the allowed SYN was dropped\n", rows[k].rules);
			err = -EINVAL;
		}
	}
	for (int r = 0; !err && r < ROUNDS; r++) {
		err = run_once(empty_fd, &ack_empty, ifindex, repeat, &empty[r], &retval);
		for (size_t k = 0; !err && k < n; k++) {
			struct pkt denied, ack;
			if ((err = pkt_tcp(&denied, DENIED_PEER, 40000, TARGET, ALLOWED_PORT, PKT_SYN)) ||
			    (err = pkt_tcp(&ack, ALLOWED_PEER, (uint16_t)(40000 + k), TARGET, ALLOWED_PORT, PKT_ACK)) ||
			    (err = run_once(rows[k].to_pod, &denied, ifindex, repeat, &deny[k * ROUNDS + r], &retval)))
				break;
			if (retval != TC_ACT_SHOT) {
				fprintf(stderr, "bench: %u rules: the denied packet passed\n", rows[k].rules);
				err = -EINVAL;
				break;
			}
			if ((err = run_once(rows[k].to_pod, &ack, ifindex, repeat, &est[k * ROUNDS + r], &retval)))
				break;
		}
	}
	/* New connections: one run each, a fresh source port, so each inserts into conntrack. */
	for (int i = 0; !err && i < NEW_FLOWS; i++) {
		for (size_t k = 0; !err && k < n; k++) {
			struct pkt p;
			double ns;
			uint16_t sport = (uint16_t)(20000 + k * NEW_FLOWS + (size_t)i);
			if ((err = pkt_tcp(&p, ALLOWED_PEER, sport, TARGET, ALLOWED_PORT, PKT_SYN)) ||
			    (err = run_once(rows[k].to_pod, &p, ifindex, 1, &ns, &retval)))
				break;
			if (retval == TC_ACT_SHOT) {
				fprintf(stderr, "bench: %u rules: the allowed packet was dropped\n", rows[k].rules);
				err = -EINVAL;
				break;
			}
			bench_sample(&allowed[k], ns);
		}
	}
	if (!err) {
		struct bench_samples s = {.n = 0};
		for (int r = 0; r < ROUNDS; r++)
			bench_sample(&s, empty[r]);
		*empty_ns = bench_median(&s);
		for (size_t k = 0; k < n; k++) {
			struct bench_samples d = {.n = 0}, e = {.n = 0};
			for (int r = 0; r < ROUNDS; r++) {
				bench_sample(&d, deny[k * ROUNDS + r]);
				bench_sample(&e, est[k * ROUNDS + r]);
			}
			rows[k].deny_ns = bench_median(&d);
			rows[k].est_ns = bench_median(&e);
			rows[k].allow_ns = bench_median(&allowed[k]);
		}
	}
	free(deny);
	free(est);
	free(allowed);
	return err;
}

int main(int argc, char **argv)
{
	uint32_t repeat = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	char build[PATH_MAX], repo[PATH_MAX], polc[PATH_MAX + 8], tmp[] = "/tmp/polc-bench-XXXXXX";
	if (bench_build_dir(argv[0], build, sizeof(build)) || !realpath(build, repo)) {
		fprintf(stderr, "bench: cannot find the build directory\n");
		return 2;
	}
	snprintf(polc, sizeof(polc), "%s/polc", build);
	char *slash = strrchr(repo, '/');
	if (slash)
		*slash = '\0'; /* BUILD's parent: the repository */
	if (!mkdtemp(tmp))
		return 2;

	int ifindex;
	if (bench_enter_netns("bench", "bench0", "bench0-pod", &ifindex))
		return 2;

	double empty_ns = 0;
	struct row rows[] = {{.name = "10 rules", .rules = 10},
			     {.name = "1,000 rules", .rules = 1000},
			     {.name = "100,000 rules", .rules = 100000}};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	int err = 0;
	for (size_t i = 0; !err && i < n; i++)
		err = prepare_set(repo, polc, tmp, &rows[i]);
	struct bpf_object *empty = NULL;
	if (!err)
		err = load_empty(&empty);
	if (!err)
		err = measure_sets(rows, n, bpf_program__fd(bpf_object__find_program_by_name(empty, "bench_empty")),
				   &empty_ns, ifindex, repeat);
	bpf_object__close(empty);
	for (size_t i = 0; i < n; i++)
		polc_private_free(rows[i].priv);
	char *rm_argv[] = {"/bin/rm", "-rf", tmp, NULL};
	run(rm_argv);
	if (err) {
		fprintf(stderr, "bench: failed: %s\n", strerror(-err));
		return 1;
	}

	printf("polc: per-packet verdict time through BPF_PROG_TEST_RUN (ns/packet, median of %d rounds of %u;\n"
	       "new-flow allowed: median of %d one-run calls), and compile time (polc compile, wall clock)\n\n",
	       ROUNDS, repeat, NEW_FLOWS);
	printf("%-16s %9s %9s %15s %16s %13s\n", "policy set", "compile", "entries", "new flow denied",
	       "new flow allowed", "established");
	printf("%-16s %9s %9s %15.1f %16s %13s\n", "empty tc program", "-", "-", empty_ns, "-", "-");
	for (size_t i = 0; i < n; i++)
		printf("%-16s %8.2fs %9lu %15.1f %16.1f %13.1f\n", rows[i].name, rows[i].compile_s, rows[i].entries,
		       rows[i].deny_ns, rows[i].allow_ns, rows[i].est_ns);
	printf("\nratios\n");
	printf("%-26s %15.2fx %16.2fx %13.2fx\n", "100,000 rules / 10 rules", rows[2].deny_ns / rows[0].deny_ns,
	       rows[2].allow_ns / rows[0].allow_ns, rows[2].est_ns / rows[0].est_ns);
	printf("%-26s %15.2fx %16.2fx %13.2fx\n", "1,000 rules / 10 rules", rows[1].deny_ns / rows[0].deny_ns,
	       rows[1].allow_ns / rows[0].allow_ns, rows[1].est_ns / rows[0].est_ns);
	printf("%-26s %15.2fx %16s %13.2fx\n", "10 rules / empty program", rows[0].deny_ns / empty_ns, "-",
	       rows[0].est_ns / empty_ns);
	return 0;
}

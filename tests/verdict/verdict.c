/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * In-kernel verdict tests: the datapath templates, built per fixture
 * (tests/verdict/fixtures/NAME/polc_gen.h), judge real packets through
 * BPF_PROG_TEST_RUN, entered through the real entry programs. Runs as
 * root in a private network namespace it creates (test_run needs real
 * interfaces for the packets' ifindex).
 *
 *   verdict                   run every test
 *   verdict --verify OBJ...   load generation objects, print verified instructions
 *   verdict --group l7        one group only (l7, compiled)
 */
#include "verdict.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netns.h"

int vt_verdict_at(struct vt *t, int ifindex, int dir, const struct pkt *p, const char *file, int line)
{
	int verdict = 0;

	_assert_int_equal(cast_to_largest_integral_type(runner_run(&t->r, ifindex, dir, p, &verdict)), 0, file, line);
	return verdict;
}

void vt_endpoint_flags(struct vt *t, int ifindex, uint32_t flags)
{
	if (ifindex == t->topo.if_a)
		assert_ok(gen_endpoint(&t->r.gen, ifindex, 1, ID_A, P_A_IN, P_A_EG, flags));
	else
		assert_ok(gen_endpoint(&t->r.gen, ifindex, 2, ID_B, P_B_IN, P_B_EG, flags));
}

void vt_fill_standard(struct vt *t, struct gen *g)
{
	assert_ok(gen_endpoint(g, t->topo.if_a, 1, ID_A, P_A_IN, P_A_EG, 0));
	assert_ok(gen_endpoint(g, t->topo.if_b, 2, ID_B, P_B_IN, P_B_EG, 0));
	assert_ok(gen_ipcache(g, A4, ID_A, 0));
	assert_ok(gen_ipcache(g, B4, ID_B, 0));
	assert_ok(gen_ipcache(g, A6, ID_A, 0));
	assert_ok(gen_ipcache(g, B6, ID_B, 0));
}

void vt_reload(struct vt *t, const char *gen_name)
{
	struct polc_gen_state state = { .revision = 1 };

	runner_close(&t->r);
	assert_ok(runner_open(&t->r, gen_name, &state));
	vt_fill_standard(t, &t->r.gen);
}

int vt_setup(void **state)
{
	struct vt *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->topo = *(struct topo *)*state;

	struct polc_gen_state gs = { .revision = 1 };
	int err = runner_open(&t->r, t->topo.gen, &gs);

	if (err) {
		fprintf(stderr, "verdict: cannot load the entry and generation objects: %s\n", strerror(-err));
		free(t);
		return -1;
	}
	*state = t;
	vt_fill_standard(t, &t->r.gen);
	return 0;
}

int vt_teardown(void **state)
{
	struct vt *t = *state;

	runner_close(&t->r);
	free(t);
	return 0;
}

int vt_run_group(const char *group, const struct CMUnitTest *tests, size_t n_tests, const struct topo *topo)
{
	char name[64];

	snprintf(name, sizeof(name), strcmp(topo->gen, "full") ? "%s [%s]" : "%s", group, topo->gen);
	*topo->n_tests += n_tests;
	return _cmocka_run_group_tests(name, tests, n_tests, NULL, NULL);
}

static int verify_files(int argc, char **argv)
{
	int failed = 0;

	for (int i = 0; i < argc; i++) {
		uint32_t insns = 0;
		int err = gen_verify_file(argv[i], &insns);

		if (err) {
			printf("FAIL %s: %s\n", argv[i], strerror(-err));
			failed = 1;
		} else {
			printf("ok   %s: %u instructions verified\n", argv[i], insns);
		}
	}
	return failed;
}

/* The event token bucket is per CPU: keep the whole run on one. */
static int pin_to_one_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
		}
	}
	return -ESRCH;
}

int main(int argc, char **argv)
{
	size_t n_tests = 0;
	struct topo topo = { .gen = "full", .n_tests = &n_tests };
	struct timespec start, end;
	int peer, err;

	err = netns_enter_private();
	if (err) {
		fprintf(stderr, "verdict: cannot create a network namespace (root needed): %s\n", strerror(-err));
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "--verify") == 0)
		return verify_files(argc - 2, argv + 2);

	err = pin_to_one_cpu();
	if (!err)
		err = netns_veth_add("polc-a", "polc-a-pod", &topo.if_a, &peer);
	if (!err)
		err = netns_veth_add("polc-b", "polc-b-pod", &topo.if_b, &peer);
	if (!err)
		err = netns_veth_add("polc-x", "polc-x-pod", &topo.if_x, &peer);
	if (err) {
		fprintf(stderr, "verdict: cannot set up the test interfaces: %s\n", strerror(-err));
		return 2;
	}

	int failed = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (argc > 2 && strcmp(argv[1], "--group") == 0) {
		/* One group, for work on it: verdict --group l7 */
		if (strcmp(argv[2], "l7") == 0)
			failed += verdict_group_l7(&topo);
		else if (strcmp(argv[2], "compiled") == 0)
			failed += verdict_group_compiled(&topo);
		else if (strcmp(argv[2], "dns") == 0)
			failed += verdict_group_dns(&topo);
		else
			fprintf(stderr, "verdict: --group takes l7, dns or compiled\n");
		printf("SUMMARY verdict: %zu passed, %d failed (%zu tests)\n", n_tests - (size_t)failed, failed,
		       n_tests);
		return failed ? 1 : 0;
	}
	failed += verdict_group_basics(&topo);
	failed += verdict_group_policy(&topo);
	failed += verdict_group_conntrack(&topo);
	failed += verdict_group_fragments(&topo);
	failed += verdict_group_observe(&topo);
	failed += verdict_group_verifier(&topo);
	failed += verdict_group_compiled(&topo);
	failed += verdict_group_l7(&topo);
	failed += verdict_group_dns(&topo);

	/* Again, reading every header through bpf_skb_load_bytes() (a non-linear skb's path). */
	struct topo helper = topo;

	helper.gen = "helperreads";
	failed += verdict_group_basics(&helper);
	failed += verdict_group_conntrack(&helper);
	failed += verdict_group_fragments(&helper);

	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("SUMMARY verdict: %zu passed, %d failed (%zu tests) in %lds\n", n_tests - (size_t)failed, failed, n_tests,
	       (long)(end.tv_sec - start.tv_sec));
	return failed ? 1 : 0;
}

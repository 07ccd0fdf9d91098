/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the verdict tests share: the topology (veth interfaces in the
 * test's private netns), the standard endpoints, and assertions.
 *
 * Standard setup (vt_setup): generation topo->gen ("full", or
 * "helperreads": the same reading every header through the helper) live
 * at revision 1, no events; two endpoints, neither isolated yet:
 *   A  198.18.0.10  fd00::a  on if_a, identity ID_A, endpoint 1, policies P_A_IN / P_A_EG
 *   B  198.18.0.20  fd00::b  on if_b, identity ID_B, endpoint 2, policies P_B_IN / P_B_EG
 * if_x exists but is no endpoint. The ipcache knows A and B (/32, /128).
 */
#ifndef POLC_TEST_VERDICT_H
#define POLC_TEST_VERDICT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pkt.h"
#include "runner.h"

struct topo {
	int if_a;
	int if_b;
	int if_x;
	const char *gen;   /* the generation vt_setup loads: "full", or a variant of it */
	size_t *n_tests;   /* tests run so far, for the summary */
};

struct vt {
	struct topo topo;
	struct runner r;
};

#define A4 "198.18.0.10"
#define B4 "198.18.0.20"
#define A6 "fd00::a"
#define B6 "fd00::b"
#define ID_A 1000
#define ID_B 2000
#define P_A_IN 11
#define P_A_EG 12
#define P_B_IN 21
#define P_B_EG 22

#define IN POLC_DIR_INGRESS
#define EG POLC_DIR_EGRESS

#define ENFORCE_BOTH (POLC_EP_ENFORCE_INGRESS | POLC_EP_ENFORCE_EGRESS)

/* Per-test setup and teardown; initial state: the struct topo. */
int vt_setup(void **state);
int vt_teardown(void **state);
/* Replace the live generation by a fresh load of gen_name with the standard setup. */
void vt_reload(struct vt *t, const char *gen_name);
/* Standard endpoints and ipcache entries into g. */
void vt_fill_standard(struct vt *t, struct gen *g);
/* Set A's or B's endpoint flags (policies unchanged). */
void vt_endpoint_flags(struct vt *t, int ifindex, uint32_t flags);

/* Run p through ifindex in direction dir; fails the test (at the caller's line) if the run itself fails. */
int vt_verdict_at(struct vt *t, int ifindex, int dir, const struct pkt *p, const char *file, int line);
#define vt_verdict(t, ifindex, dir, p) vt_verdict_at((t), (ifindex), (dir), (p), __FILE__, __LINE__)

#define assert_pass(t, ifindex, dir, p) assert_int_equal(vt_verdict((t), (ifindex), (dir), (p)), VERDICT_PASS)
#define assert_drop(t, ifindex, dir, p) assert_int_equal(vt_verdict((t), (ifindex), (dir), (p)), VERDICT_DROP)
#define assert_ok(expr) assert_int_equal((expr), 0)

/* cmocka test entries with the standard setup. */
#define VT_TEST(fn, topo) cmocka_unit_test_prestate_setup_teardown(fn, vt_setup, vt_teardown, (void *)(topo))

/* Run a group of tests, named "basics" or "basics [helperreads]" after the generation; failures. */
int vt_run_group(const char *group, const struct CMUnitTest *tests, size_t n_tests, const struct topo *topo);
#define VT_RUN_GROUP(group, tests, topo) vt_run_group((group), (tests), sizeof(tests) / sizeof((tests)[0]), (topo))

/* The groups, one per test file: how many tests failed. */
int verdict_group_basics(struct topo *topo);
int verdict_group_policy(struct topo *topo);
int verdict_group_conntrack(struct topo *topo);
int verdict_group_fragments(struct topo *topo);
int verdict_group_observe(struct topo *topo);
int verdict_group_verifier(struct topo *topo);
/* Random policy sets through the whole compiler, judged in the kernel (test_compiled.c). */
int verdict_group_compiled(struct topo *topo);
/* DNS rules and toFQDNs through the whole compiler (test_dns.c). */
int verdict_group_dns(struct topo *topo);
/* L7 HTTP rules through the whole compiler, TCP conversations played through the kernel (test_l7.c). */
int verdict_group_l7(struct topo *topo);

#endif

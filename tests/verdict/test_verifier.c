/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, verifier and specialisation: every fixture generation
 * loads (the worst case uses all 33 IPv4 and 129 IPv6 prefix lengths),
 * with the verifier's work printed, and the ipcache masks are right at
 * every prefix length.
 */
#include "verdict.h"

#include <stdio.h>
#include <netinet/in.h>

/*
 * A tenth of the kernel's 1M processed-instruction limit: the worst case
 * needs about 26k today (verifier.h, lesson 7), leaving the templates
 * room to grow and a clear alarm when a change multiplies paths.
 */
#define VERIFIED_INSNS_BUDGET 100000

/* Each fixture generation passes the verifier; the instructions it processed are reported. */
static void test_fixtures_verify(void **state)
{
	struct vt *t = *state;
	static const char *const names[] = { "minimal", "firsthit", "full", "worst" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct gen g;

		assert_ok(gen_load(&t->r, names[i], NULL, &g));

		uint32_t insns = prog_verified_insns(g.prog);

		print_message("      gen_%s: %u instructions verified\n", names[i], insns);
		assert_in_range(insns, 1, VERIFIED_INSNS_BUDGET);
		gen_close(&g);
	}
}

/*
 * Worst case, IPv4: with one ipcache entry at a time at every length
 * 0..32, the peer resolves to that entry's identity (masks are right
 * at every length, and a /0 entry is found last).
 */
static void test_worst_case_every_v4_length(void **state)
{
	struct vt *t = *state;
	struct polc_rule_stats st;
	char cidr[64];
	struct pkt p;

	vt_reload(t, "worst");
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	for (uint32_t plen = 0; plen <= 32; plen++)
		assert_ok(gen_policy(&t->r.gen, P_B_IN, 3000 + plen, IPPROTO_UDP, 0, POLC_ACT_ALLOW, plen));

	for (uint32_t plen = 0; plen <= 32; plen++) {
		snprintf(cidr, sizeof(cidr), "198.19.255.255/%u", plen);
		assert_ok(gen_ipcache(&t->r.gen, cidr, 3000 + plen, 0));
		assert_ok(pkt_udp(&p, "198.19.255.255", (uint16_t)(1000 + plen), B4, 53));
		assert_pass(t, t->topo.if_b, IN, &p);
		assert_ok(gen_rule_stats(&t->r.gen, plen, &st));
		assert_int_equal(st.packets, 1);
	}
	/* With every length present, the longest wins. */
	assert_ok(pkt_udp(&p, "198.19.255.255", 999, B4, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(gen_rule_stats(&t->r.gen, 32, &st));
	assert_int_equal(st.packets, 2);
}

/*
 * Worst case, IPv6: entries added at every length 0..128 in turn, each
 * longer than the ones before, so each packet must resolve to the entry
 * just added (masks right at every length, the longest prefix wins).
 */
static void test_worst_case_every_v6_length(void **state)
{
	struct vt *t = *state;
	struct polc_rule_stats st;
	const char *addr = "fd01:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	char cidr[80];
	struct pkt p;

	vt_reload(t, "worst");
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	for (uint32_t plen = 0; plen <= 128; plen++) {
		snprintf(cidr, sizeof(cidr), "%s/%u", addr, plen);
		assert_ok(gen_ipcache(&t->r.gen, cidr, 4000 + plen, 0));
		/* Rule ids: the generation has 64 counters; plen 0, 64 and 128 share rule 0. */
		assert_ok(gen_policy(&t->r.gen, P_B_IN, 4000 + plen, IPPROTO_UDP, 0, POLC_ACT_ALLOW, plen % 64));
		assert_ok(pkt_udp(&p, addr, (uint16_t)(1000 + plen), B6, 53));
		assert_pass(t, t->topo.if_b, IN, &p);
		/* The previous length's identity is no longer allowed: the packet above took the new entry. */
		if (plen)
			assert_ok(gen_policy_del(&t->r.gen, P_B_IN, 4000 + plen - 1, IPPROTO_UDP, 0));
	}
	for (uint32_t rule = 0; rule < 64; rule++) {
		assert_ok(gen_rule_stats(&t->r.gen, rule, &st));
		assert_int_equal(st.packets, rule == 0 ? 3 : 2);
	}
}

int verdict_group_verifier(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_fixtures_verify, topo),
		VT_TEST(test_worst_case_every_v4_length, topo),
		VT_TEST(test_worst_case_every_v6_length, topo),
	};

	return VT_RUN_GROUP("verifier", tests, topo);
}

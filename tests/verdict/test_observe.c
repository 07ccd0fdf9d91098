/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, observability: audit mode, verdict events (content,
 * which verdicts, rate limit) and per-rule counters.
 */
#include "verdict.h"

#include <netinet/in.h>
#include <string.h>

#define W4 "198.19.1.1"

/*
 * Audit (the compiler sets AUDIT instead of ENFORCE for an audited
 * direction): what the policy would drop passes, reported as AUDIT with
 * the reason it would have been dropped for; the connection is marked
 * audited and its replies pass. An enforcing direction still drops.
 */
static void test_audit_mode(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_AUDIT_INGRESS | POLC_EP_ENFORCE_EGRESS);
	assert_ok(gen_policy(&t->r.gen, P_A_IN, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_DENY, 8));

	assert_ok(pkt_tcp(&p, W4, 40000, A4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, W4, 40000, A4, 80, IPPROTO_TCP, &e));
	assert_true(e.flags & POLC_CT_F_AUDITED);
	assert_ok(pkt_tcp(&p, A4, 80, W4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);

	assert_ok(pkt_udp(&p, W4, 40000, A4, 53));
	assert_pass(t, t->topo.if_a, IN, &p);

	assert_ok(pkt_udp(&p, A4, 40000, W4, 53));
	assert_drop(t, t->topo.if_a, EG, &p);

	assert_int_equal(runner_events(&t->r), 3);
	assert_int_equal(t->r.ev[0].verdict, POLC_VERDICT_AUDIT);
	assert_int_equal(t->r.ev[0].reason, POLC_REASON_DEFAULT_DENY);
	assert_int_equal(t->r.ev[1].verdict, POLC_VERDICT_AUDIT);
	assert_int_equal(t->r.ev[1].reason, POLC_REASON_POLICY);
	assert_int_equal(t->r.ev[1].rule, 8);
	assert_int_equal(t->r.ev[2].verdict, POLC_VERDICT_DROP);
	assert_int_equal(t->r.ev[2].dir, POLC_DIR_EGRESS);
}

/* An allow event per new flow, with everything a reader needs; none for the flow's later packets. */
static void test_allow_events_for_new_flows(void **state)
{
	struct vt *t = *state;
	struct pkt p;
	uint8_t a[16], b[16];

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_ALLOW));
	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_EGRESS);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 3));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	size_t syn_len = p.len;

	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);
	/* A new flow allowed by default (A's ingress is open). */
	assert_ok(pkt_udp(&p, W4, 1000, A4, 53));
	assert_pass(t, t->topo.if_a, IN, &p);

	assert_int_equal(runner_events(&t->r), 2);
	const struct polc_event *e = &t->r.ev[0];

	pkt_addr(A4, a);
	pkt_addr(B4, b);
	assert_int_equal(e->verdict, POLC_VERDICT_ALLOW);
	assert_int_equal(e->reason, POLC_REASON_POLICY);
	assert_int_equal(e->rule, 3);
	assert_int_equal(e->ifindex, t->topo.if_a);
	assert_int_equal(e->endpoint_id, 1);
	assert_int_equal(e->src_identity, ID_A);
	assert_int_equal(e->dst_identity, ID_B);
	assert_memory_equal(e->saddr, a, 16);
	assert_memory_equal(e->daddr, b, 16);
	assert_int_equal(e->sport, 40000);
	assert_int_equal(e->dport, 80);
	assert_int_equal(e->proto, IPPROTO_TCP);
	assert_int_equal(e->family, POLC_AF_INET);
	assert_int_equal(e->dir, POLC_DIR_EGRESS);
	assert_int_equal(e->len, syn_len);
	assert_true(e->timestamp_ns > 0);

	e = &t->r.ev[1];
	assert_int_equal(e->reason, POLC_REASON_DEFAULT_ALLOW);
	assert_int_equal(e->rule, POLC_RULE_NONE);
	assert_int_equal(e->src_identity, POLC_ID_WORLD_IPV4);
	assert_int_equal(e->dst_identity, ID_A);
}

/* Without the flags, nothing is reported; each flag enables its own kind only. */
static void test_events_follow_flags(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_INGRESS);
	assert_ok(pkt_udp(&p, W4, 1000, A4, 53));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_udp(&p, A4, 1000, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_events(&t->r), 0);

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	assert_ok(pkt_udp(&p, W4, 1001, A4, 53));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_udp(&p, A4, 1001, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_events(&t->r), 1);
	assert_int_equal(t->r.ev[0].verdict, POLC_VERDICT_DROP);
}

/*
 * A flood of drops on one CPU yields POLC_EV_BURST events, plus what the
 * bucket refills meanwhile (POLC_EV_RATE_PER_SEC): not one per packet.
 */
static void test_events_rate_limited(void **state)
{
	struct vt *t = *state;
	struct pkt p;
	int verdict;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_INGRESS);
	assert_ok(pkt_udp(&p, W4, 1000, A4, 53));
	assert_ok(runner_run_repeat(&t->r, t->topo.if_a, IN, &p, 2000, &verdict));
	assert_int_equal(verdict, VERDICT_DROP);

	int n = runner_events(&t->r);

	print_message("      %d events for 2000 drops\n", n);
	assert_in_range(n, POLC_EV_BURST, POLC_EV_BURST + 20);
}

/* Counters: every packet of a connection counts on the rule that allowed it, replies included. */
static void test_rule_counters(void **state)
{
	struct vt *t = *state;
	struct polc_rule_stats st;
	struct pkt p;
	uint64_t bytes = 0;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 3));

	for (int i = 0; i < 6; i++) {
		bool reply = i % 2;

		if (reply)
			assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_ACK));
		else
			assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, i ? PKT_ACK : PKT_SYN));
		pkt_zeros(&p, (size_t)i * 100);
		assert_ok(pkt_finish(&p));
		assert_pass(t, t->topo.if_a, reply ? IN : EG, &p);
		bytes += p.len;
	}
	assert_ok(gen_rule_stats(&t->r.gen, 3, &st));
	assert_int_equal(st.packets, 6);
	assert_int_equal(st.bytes, bytes);

	/* A drop by default counts nowhere; other rules stay at zero. */
	assert_ok(pkt_udp(&p, W4, 1, A4, 1));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(gen_rule_stats(&t->r.gen, 0, &st));
	assert_int_equal(st.packets, 0);
}

/* A generation built without audit support fails closed on an audit flag: it drops. */
static void test_audit_flag_without_audit_support(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_reload(t, "firsthit"); /* POLC_GEN_HAVE_AUDIT 0 */
	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_AUDIT_INGRESS);
	assert_ok(pkt_tcp(&p, W4, 40000, A4, 80, PKT_SYN));
	assert_drop(t, t->topo.if_a, IN, &p);
}

int verdict_group_observe(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_audit_mode, topo),
		VT_TEST(test_audit_flag_without_audit_support, topo),
		VT_TEST(test_allow_events_for_new_flows, topo),
		VT_TEST(test_events_follow_flags, topo),
		VT_TEST(test_events_rate_limited, topo),
		VT_TEST(test_rule_counters, topo),
	};

	return VT_RUN_GROUP("observe", tests, topo);
}

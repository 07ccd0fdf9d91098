/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, policy: the new-flow verdict from ipcache and
 * polc_policy (peer by identity, CIDR class or ANY; port class, any
 * port, any protocol; deny over allow; the rule reported), and what the
 * polc_gen.h switches change.
 */
#include "verdict.h"

#include <netinet/in.h>

#define WORLD4 "198.19.1.1"
#define WORLD6 "fd01::1"

static uint64_t rule_packets(struct vt *t, uint32_t rule)
{
	struct polc_rule_stats st;

	assert_ok(gen_rule_stats(&t->r.gen, rule, &st));
	return st.packets;
}

/* B isolated for ingress allows TCP from A's identity (any port): A passes, the world and UDP do not. */
static void test_allow_by_identity(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 3));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, WORLD4, 40000, B4, 80, PKT_SYN));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, A4, 40000, B4, 80));
	assert_drop(t, t->topo.if_b, IN, &p);

	assert_ok(pkt_tcp(&p, A6, 40000, B6, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, WORLD6, 40000, B6, 80, PKT_SYN));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* Egress judges the destination: A isolated for egress reaches B only. */
static void test_egress_judges_destination(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_EGRESS);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 4));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 443, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, WORLD4, 443, PKT_SYN));
	assert_drop(t, t->topo.if_a, EG, &p);
	/* The policy of the other direction is not consulted. */
	assert_ok(pkt_tcp(&p, B4, 40000, A4, 443, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
}

/* The ipcache is a longest-prefix match: /24 wins over /16, for IPv4 and IPv6. */
static void test_longest_prefix_wins(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_ipcache(&t->r.gen, "198.19.0.0/16", 500, 0));
	assert_ok(gen_ipcache(&t->r.gen, "198.19.5.0/24", 501, 0));
	assert_ok(gen_ipcache(&t->r.gen, "fd01::/48", 600, 0));
	assert_ok(gen_ipcache(&t->r.gen, "fd01:0:0:5::/64", 601, 0));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, 501, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 1));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, 601, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 2));

	assert_ok(pkt_udp(&p, "198.19.5.7", 1000, B4, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, "198.19.6.7", 1000, B4, 53));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, "fd01:0:0:5::7", 1000, B6, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, "fd01:0:0:6::7", 1000, B6, 53));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* A CIDR class matches every address whose longest prefix carries it; /0 is a prefix like any other. */
static void test_allow_by_cidr_class(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_ipcache(&t->r.gen, "198.19.0.0/16", POLC_ID_WORLD_IPV4, 7));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_CIDR | 7, 0, 0, POLC_ACT_ALLOW, 5));

	assert_ok(pkt_udp(&p, "198.19.200.1", 1000, B4, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, "198.19.200.1", 1000, B4, 22, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, "198.20.0.1", 1000, B4, 53));
	assert_drop(t, t->topo.if_b, IN, &p);

	assert_ok(gen_ipcache(&t->r.gen, "0.0.0.0/0", POLC_ID_WORLD_IPV4, 9));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_CIDR | 9, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 6));
	assert_ok(pkt_udp(&p, "198.20.0.1", 1001, B4, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, "198.20.0.1", 1001, B4, 22, PKT_SYN));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_int_equal(rule_packets(t, 5), 2);
	assert_int_equal(rule_packets(t, 6), 1);
}

/* Peer ANY matches every source, known or not. */
static void test_allow_any_peer(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_UDP, 53, 53, 1));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_ANY, IPPROTO_UDP, 1, POLC_ACT_ALLOW, 1));

	assert_ok(pkt_udp(&p, WORLD4, 1000, B4, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, A6, 1000, B6, 53));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, WORLD4, 1000, B4, 54));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* A port range is one class: both ends and the middle match, the neighbours do not. */
static void test_port_class(void **state)
{
	struct vt *t = *state;
	static const uint16_t inside[] = { 8000, 8001, 8050, 8099 }, outside[] = { 7999, 8100, 80, 0 };
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_TCP, 8000, 8099, 4));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 4, POLC_ACT_ALLOW, 1));

	for (size_t i = 0; i < 4; i++) {
		assert_ok(pkt_tcp(&p, A4, 40000, B4, inside[i], PKT_SYN));
		assert_pass(t, t->topo.if_b, IN, &p);
		assert_ok(pkt_tcp(&p, A4, 40000, B4, outside[i], PKT_SYN));
		assert_drop(t, t->topo.if_b, IN, &p);
	}
	/* The same range of UDP is another slot: no class there. */
	assert_ok(pkt_udp(&p, A4, 40000, B4, 8000));
	assert_drop(t, t->topo.if_b, IN, &p);
	/* SCTP has its own slot too. */
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_SCTP, 9000, 9000, 5));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_SCTP, 5, POLC_ACT_ALLOW, 2));
	assert_ok(pkt_sctp(&p, A4, 40000, B4, 9000));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_sctp(&p, A4, 40000, B4, 9001));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* For ICMP the "port" is the message type: echo allowed, timestamp not (IPv4 and IPv6 slots). */
static void test_icmp_type_as_port(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_ICMP, 8, 8, 2));
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_ICMPV6, 128, 128, 3));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_ICMP, 2, POLC_ACT_ALLOW, 1));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_ICMPV6, 3, POLC_ACT_ALLOW, 2));

	assert_ok(pkt_icmp(&p, A4, B4, 8, 77));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_icmp(&p, A4, B4, 13, 77));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_icmp(&p, A6, B6, 128, 77));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_icmp(&p, A6, B6, 8, 77));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* (proto, 0) is any port of one protocol; (0, 0) any protocol, ICMP included. */
static void test_any_port_any_proto(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 1));
	assert_ok(pkt_udp(&p, A4, 1000, B4, 1));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, A4, 1000, B4, 65535));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 1000, B4, 1, PKT_SYN));
	assert_drop(t, t->topo.if_b, IN, &p);

	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, 0, 0, POLC_ACT_ALLOW, 2));
	assert_ok(pkt_tcp(&p, A4, 1001, B4, 1, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_sctp(&p, A4, 1000, B4, 7));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_icmp(&p, A4, B4, 13, 1));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_icmp(&p, WORLD4, B4, 13, 1));
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* A deny entry wins over any allow, and reports its own rule; it also bites on a non-isolated endpoint. */
static void test_deny_beats_allow(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_TCP, 80, 80, 3));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_ANY, 0, 0, POLC_ACT_ALLOW, 1));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 3, POLC_ACT_DENY, 7));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 81, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, WORLD4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_int_equal(runner_events(&t->r), 1);
	assert_int_equal(t->r.ev[0].reason, POLC_REASON_POLICY);
	assert_int_equal(t->r.ev[0].rule, 7);
	assert_int_equal(rule_packets(t, 7), 1);
	assert_int_equal(rule_packets(t, 1), 2);

	/* A's egress is not isolated, yet a deny on it drops. */
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_DENY, 8));
	assert_ok(pkt_udp(&p, A4, 40000, WORLD4, 53));
	assert_drop(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, WORLD4, 53, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
}

/* Several allow entries match: the lowest rule id is the one reported and counted. */
static void test_lowest_rule_reported(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_ALLOW));
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_TCP, 80, 80, 3));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 3, POLC_ACT_ALLOW, 9));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_ANY, 0, 0, POLC_ACT_ALLOW, 2));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_int_equal(rule_packets(t, 2), 1);
	assert_int_equal(rule_packets(t, 9), 0);
	assert_int_equal(runner_events(&t->r), 1);
	assert_int_equal(t->r.ev[0].rule, 2);
}

/*
 * POLC_GEN_ALLOW_FIRST_HIT: the same entries in a generation built with
 * it stop at the most specific allow (rule 9): the compiler is trusted
 * to have put the lowest rule there.
 */
static void test_first_hit_generation(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_reload(t, "firsthit");
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_port_class(&t->r.gen, POLC_PSLOT_TCP, 80, 80, 3));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 3, POLC_ACT_ALLOW, 9));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_ANY, 0, 0, POLC_ACT_ALLOW, 2));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_int_equal(rule_packets(t, 9), 1);
	assert_int_equal(rule_packets(t, 2), 0);
	assert_ok(pkt_udp(&p, WORLD4, 40000, B4, 80));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_int_equal(rule_packets(t, 2), 1);
}

/*
 * A generation only probes what its switches allow: "minimal" probes
 * (identity, proto, 0) alone, so entries of other shapes are never seen.
 */
static void test_minimal_generation(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_reload(t, "minimal");
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 1));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 2));
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, 0, 0, POLC_ACT_ALLOW, 3));

	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_udp(&p, A4, 40000, B4, 53));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(pkt_tcp(&p, A6, 40000, B6, 80, PKT_SYN));
	assert_pass(t, t->topo.if_b, IN, &p);
}

int verdict_group_policy(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_allow_by_identity, topo),
		VT_TEST(test_egress_judges_destination, topo),
		VT_TEST(test_longest_prefix_wins, topo),
		VT_TEST(test_allow_by_cidr_class, topo),
		VT_TEST(test_allow_any_peer, topo),
		VT_TEST(test_port_class, topo),
		VT_TEST(test_icmp_type_as_port, topo),
		VT_TEST(test_any_port_any_proto, topo),
		VT_TEST(test_deny_beats_allow, topo),
		VT_TEST(test_lowest_rule_reported, topo),
		VT_TEST(test_first_hit_generation, topo),
		VT_TEST(test_minimal_generation, topo),
	};

	return VT_RUN_GROUP("policy", tests, topo);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, basics: what passes or drops before any policy is
 * consulted (non-IP, VLAN, neighbour discovery, unknown interface,
 * malformed headers) and the default verdicts of an endpoint.
 */
#include "verdict.h"

#include <netinet/in.h>
#include <linux/if_ether.h>

/* ARP (and any non-IP ethertype) passes, even on an endpoint isolated both ways. */
static void test_non_ip_passes(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(pkt_arp(&p));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_pass(t, t->topo.if_a, EG, &p);
}

/* 802.1Q, 802.1ad and the old QinQ tag are dropped: they could carry IP past the policy. */
static void test_vlan_dropped(void **state)
{
	struct vt *t = *state;
	static const uint16_t tpids[] = { ETH_P_8021Q, ETH_P_8021AD, 0x9100 };
	struct pkt p;

	for (size_t i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		pkt_init(&p);
		pkt_vlan(&p, tpids[i], 7, ETH_P_IP);
		assert_ok(pkt_ipv4(&p, A4, B4, IPPROTO_UDP, NULL));
		pkt_udp_hdr(&p, 1000, 53);
		assert_ok(pkt_finish(&p));
		assert_drop(t, t->topo.if_a, EG, &p);
		assert_drop(t, t->topo.if_a, IN, &p);
	}
}

/*
 * IPv6 neighbour discovery (ICMPv6 133..137) and multicast listener
 * discovery (130..132, 143: the link needs them for ND) pass on an
 * isolated endpoint; other ICMPv6 (here 139, node information) does not.
 */
static void test_nd_passes(void **state)
{
	static const uint8_t link_control[] = {130, 131, 132, 133, 134, 135, 136, 137, 143};
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	for (size_t i = 0; i < sizeof(link_control); i++) {
		assert_ok(pkt_icmp(&p, "fe80::1", "ff02::1:ff00:a", link_control[i], 0));
		assert_pass(t, t->topo.if_a, IN, &p);
		assert_pass(t, t->topo.if_a, EG, &p);
	}
	assert_ok(pkt_icmp(&p, "fe80::1", "ff02::16", 139, 0));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* An interface that is not in polc_endpoints drops everything (IP or not), with reason NO_ENDPOINT. */
static void test_unknown_interface_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	assert_ok(pkt_udp(&p, A4, 1000, B4, 53));
	assert_drop(t, t->topo.if_x, EG, &p);
	assert_ok(pkt_arp(&p));
	assert_drop(t, t->topo.if_x, IN, &p);
	assert_int_equal(runner_events(&t->r), 2);
	assert_int_equal(t->r.ev[0].reason, POLC_REASON_NO_ENDPOINT);
	assert_int_equal(t->r.ev[0].ifindex, t->topo.if_x);
}

/* A generation run without the entry program's direction in cb[0] drops (fail closed). */
static void test_bad_direction_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;
	int verdict;

	assert_ok(pkt_udp(&p, A4, 1000, B4, 53));
	assert_ok(gen_run(&t->r.gen, t->topo.if_a, POLC_DIR_EGRESS, &p, &verdict));
	assert_int_equal(verdict, VERDICT_PASS);
	assert_ok(gen_run(&t->r.gen, t->topo.if_a, 7, &p, &verdict));
	assert_int_equal(verdict, VERDICT_DROP);
}

/* No policy selects the endpoint: everything passes both ways (Kubernetes default allow). */
static void test_default_allow(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(pkt_tcp(&p, "198.19.1.1", 40000, A4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_udp(&p, A4, 40000, "198.19.1.1", 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, "fd01::1", 40000, A6, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
}

/* Isolated for ingress only: new flows to the pod drop (DEFAULT_DENY), from the pod pass. */
static void test_enforce_per_direction(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	assert_ok(pkt_tcp(&p, "198.19.1.1", 40000, A4, 80, PKT_SYN));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 40001, "198.19.1.1", 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_events(&t->r), 1);
	assert_int_equal(t->r.ev[0].reason, POLC_REASON_DEFAULT_DENY);
	assert_int_equal(t->r.ev[0].rule, POLC_RULE_NONE);

	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_EGRESS);
	assert_ok(pkt_tcp(&p, A4, 40002, "198.19.1.1", 80, PKT_SYN));
	assert_drop(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, "198.19.1.1", 40003, A4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
}

/* Builds an IPv4 UDP packet from A to B with the given header knobs. */
static void udp4_with(struct pkt *p, const struct pkt_ip4_opts *o)
{
	pkt_init(p);
	pkt_eth(p, ETH_P_IP);
	assert_ok(pkt_ipv4(p, A4, B4, IPPROTO_UDP, o));
	pkt_udp_hdr(p, 1000, 53);
	assert_ok(pkt_finish(p));
}

/*
 * Malformed headers drop with reason MALFORMED, on a default-allow
 * endpoint (so nothing else could explain the drop).
 */
static void test_malformed_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));

	/*
	 * (A frame cut inside its IP header cannot be tested: test_run
	 * refuses it with EINVAL before any program runs.)
	 * Header length (60 bytes) beyond the datagram (28 bytes).
	 */
	udp4_with(&p, &(struct pkt_ip4_opts){ .ihl = 15 });
	assert_drop(t, t->topo.if_a, EG, &p);

	/* Header length below 20 bytes. */
	udp4_with(&p, &(struct pkt_ip4_opts){ .ihl = 4 });
	assert_drop(t, t->topo.if_a, EG, &p);

	/* Total length beyond the frame. */
	udp4_with(&p, &(struct pkt_ip4_opts){ .tot_len = 200 });
	assert_drop(t, t->topo.if_a, EG, &p);

	/* Total length shorter than the header. */
	udp4_with(&p, &(struct pkt_ip4_opts){ .tot_len = 16 });
	assert_drop(t, t->topo.if_a, EG, &p);

	/* Version 6 in an IPv4 ethertype. */
	udp4_with(&p, NULL);
	p.data[14] = 0x65;
	assert_drop(t, t->topo.if_a, EG, &p);

	/* UDP header missing. */
	pkt_init(&p);
	pkt_eth(&p, ETH_P_IP);
	assert_ok(pkt_ipv4(&p, A4, B4, IPPROTO_UDP, NULL));
	pkt_zeros(&p, 2);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_a, EG, &p);

	/* TCP data offset below 5. */
	assert_ok(pkt_tcp(&p, A4, 1000, B4, 80, PKT_SYN));
	p.data[14 + 20 + 12] = 4 << 4;
	assert_drop(t, t->topo.if_a, EG, &p);

	/* IPv6 payload length beyond the frame. */
	assert_ok(pkt_udp(&p, A6, 1000, B6, 53));
	p.data[14 + 4] = 0x10;
	assert_drop(t, t->topo.if_a, EG, &p);

	/* More IPv6 extension headers than the walk allows (9 destination options). */
	pkt_init(&p);
	pkt_eth(&p, ETH_P_IPV6);
	assert_ok(pkt_ipv6(&p, A6, B6, IPPROTO_DSTOPTS));
	for (int i = 0; i < 9; i++)
		pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, i < 8 ? IPPROTO_DSTOPTS : IPPROTO_UDP, 8);
	pkt_udp_hdr(&p, 1000, 53);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_a, EG, &p);

	/* An extension header running past the end. */
	pkt_init(&p);
	pkt_eth(&p, ETH_P_IPV6);
	assert_ok(pkt_ipv6(&p, A6, B6, IPPROTO_HOPOPTS));
	pkt_ipv6_ext(&p, IPPROTO_HOPOPTS, IPPROTO_UDP, 8);
	p.data[14 + 40 + 1] = 200;
	pkt_udp_hdr(&p, 1000, 53);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_a, EG, &p);

	assert_int_equal(runner_events(&t->r), 10);
	for (size_t i = 0; i < t->r.n_ev; i++)
		assert_int_equal(t->r.ev[i].reason, POLC_REASON_MALFORMED);
}

/* Well-formed but unusual headers are judged normally: IPv4 options, IPv6 extension chains, AH. */
static void test_unusual_headers_judged(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	/* B isolated for ingress, allows UDP 53 from A: the port must be found behind the options. */
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 1));

	udp4_with(&p, &(struct pkt_ip4_opts){ .options_len = 12 });
	assert_pass(t, t->topo.if_b, IN, &p);

	pkt_init(&p);
	pkt_eth(&p, ETH_P_IPV6);
	assert_ok(pkt_ipv6(&p, A6, B6, IPPROTO_HOPOPTS));
	pkt_ipv6_ext(&p, IPPROTO_HOPOPTS, IPPROTO_ROUTING, 8);
	pkt_ipv6_ext(&p, IPPROTO_ROUTING, IPPROTO_AH, 24);
	pkt_ipv6_ext(&p, IPPROTO_AH, IPPROTO_DSTOPTS, 24);
	pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, IPPROTO_UDP, 16);
	pkt_udp_hdr(&p, 1000, 53);
	assert_ok(pkt_finish(&p));
	assert_pass(t, t->topo.if_b, IN, &p);

	/* The same chain ending in TCP: no rule for it. */
	pkt_init(&p);
	pkt_eth(&p, ETH_P_IPV6);
	assert_ok(pkt_ipv6(&p, A6, B6, IPPROTO_HOPOPTS));
	pkt_ipv6_ext(&p, IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, 8);
	pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, IPPROTO_TCP, 16);
	pkt_tcp_hdr(&p, 1000, 53, PKT_SYN);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_b, IN, &p);

	/* A protocol without ports (GRE) is judged by protocol alone. */
	pkt_init(&p);
	pkt_eth(&p, ETH_P_IP);
	assert_ok(pkt_ipv4(&p, A4, B4, 47, NULL));
	pkt_zeros(&p, 8);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, 47, 0, POLC_ACT_ALLOW, 2));
	assert_pass(t, t->topo.if_b, IN, &p);
}

int verdict_group_basics(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_non_ip_passes, topo),
		VT_TEST(test_vlan_dropped, topo),
		VT_TEST(test_nd_passes, topo),
		VT_TEST(test_unknown_interface_dropped, topo),
		VT_TEST(test_bad_direction_dropped, topo),
		VT_TEST(test_default_allow, topo),
		VT_TEST(test_enforce_per_direction, topo),
		VT_TEST(test_malformed_dropped, topo),
		VT_TEST(test_unusual_headers_judged, topo),
	};

	return VT_RUN_GROUP("basics", tests, topo);
}

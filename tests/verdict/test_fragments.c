/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, fragments: the first fragment is judged, the later
 * ones take its verdict; a later fragment without one is dropped.
 */
#include "verdict.h"

#include <netinet/in.h>
#include <linux/if_ether.h>

#define MF 0x2000

/* IPv4 fragment src -> dst of datagram id: offset 0 carries a UDP header, later ones payload only. */
static void frag4(struct pkt *p, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t offset,
		  bool more)
{
	pkt_init(p);
	pkt_eth(p, ETH_P_IP);
	assert_ok(pkt_ipv4(p, src, dst, proto,
			   &(struct pkt_ip4_opts){ .id = id, .frag_off = (uint16_t)(offset | (more ? MF : 0)) }));
	if (offset == 0 && proto == IPPROTO_UDP)
		pkt_udp_hdr(p, 5000, 53);
	else if (offset == 0 && proto == IPPROTO_TCP)
		pkt_tcp_hdr(p, 5000, 80, PKT_ACK);
	pkt_zeros(p, 64);
	assert_ok(pkt_finish(p));
}

static void frag6(struct pkt *p, const char *src, const char *dst, uint32_t id, uint16_t offset, bool more)
{
	pkt_init(p);
	pkt_eth(p, ETH_P_IPV6);
	assert_ok(pkt_ipv6(p, src, dst, IPPROTO_FRAGMENT));
	pkt_ipv6_frag(p, IPPROTO_UDP, offset, more, id);
	if (offset == 0)
		pkt_udp_hdr(p, 5000, 53);
	pkt_zeros(p, 64);
	assert_ok(pkt_finish(p));
}

/* B accepts UDP from A only. */
static void b_accepts_udp_from_a(struct vt *t)
{
	vt_endpoint_flags(t, t->topo.if_b, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_B_IN, ID_A, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 3));
	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
}

/* An allowed first fragment lets the rest of its datagram through, counted on its rule. */
static void test_fragments_follow_first_v4(void **state)
{
	struct vt *t = *state;
	struct polc_rule_stats st;
	struct pkt p;

	b_accepts_udp_from_a(t);
	frag4(&p, A4, B4, IPPROTO_UDP, 7, 0, true);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 7, 9, true);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 7, 18, false);
	assert_pass(t, t->topo.if_b, IN, &p);
	assert_ok(gen_rule_stats(&t->r.gen, 3, &st));
	assert_int_equal(st.packets, 3);
}

/* A later fragment whose first was never seen is dropped (reason FRAGMENT), even on a default-allow endpoint. */
static void test_orphan_fragment_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	assert_ok(gen_state(&t->r.gen, 1, POLC_GEN_F_EVENTS_DROP));
	frag4(&p, A4, B4, IPPROTO_UDP, 8, 9, false);
	assert_drop(t, t->topo.if_b, IN, &p);
	frag6(&p, A6, B6, 8, 9, false);
	assert_drop(t, t->topo.if_b, IN, &p);
	assert_int_equal(runner_events(&t->r), 2);
	assert_int_equal(t->r.ev[0].reason, POLC_REASON_FRAGMENT);
	assert_int_equal(t->r.ev[1].reason, POLC_REASON_FRAGMENT);
}

/* A dropped first fragment takes the rest of its datagram with it. */
static void test_fragments_of_denied_first_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	b_accepts_udp_from_a(t);
	frag4(&p, "198.19.1.1", B4, IPPROTO_UDP, 9, 0, true);
	assert_drop(t, t->topo.if_b, IN, &p);
	frag4(&p, "198.19.1.1", B4, IPPROTO_UDP, 9, 9, false);
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* A kept verdict belongs to its interface, direction, addresses and id. */
static void test_fragment_verdict_is_keyed(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	b_accepts_udp_from_a(t);
	frag4(&p, A4, B4, IPPROTO_UDP, 10, 0, true);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 11, 9, false); /* other id */
	assert_drop(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 10, 9, false); /* other interface */
	assert_drop(t, t->topo.if_a, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 10, 9, false); /* other direction */
	assert_drop(t, t->topo.if_b, EG, &p);
	frag4(&p, A4, "198.18.0.21", IPPROTO_UDP, 10, 9, false); /* other destination */
	assert_drop(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_UDP, 10, 9, false);
	assert_pass(t, t->topo.if_b, IN, &p);
}

/* IPv6: the fragment header's offset and id work as IPv4's. */
static void test_fragments_follow_first_v6(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	b_accepts_udp_from_a(t);
	frag6(&p, A6, B6, 0x12345678, 0, true);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag6(&p, A6, B6, 0x12345678, 9, false);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag6(&p, "fd01::1", B6, 0x12345679, 0, true);
	assert_drop(t, t->topo.if_b, IN, &p);
	frag6(&p, "fd01::1", B6, 0x12345679, 9, false);
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* RFC 1858: a TCP fragment at offset 8 bytes can only rewrite the first one's flags; malformed. */
static void test_tcp_tiny_offset_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	frag4(&p, A4, B4, IPPROTO_TCP, 12, 0, true);
	assert_pass(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_TCP, 12, 1, false);
	assert_drop(t, t->topo.if_b, IN, &p);
	frag4(&p, A4, B4, IPPROTO_TCP, 12, 3, false);
	assert_pass(t, t->topo.if_b, IN, &p);
}

/* A first fragment too short for the L4 header cannot be judged: malformed. */
static void test_short_first_fragment_dropped(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, ETH_P_IP);
	assert_ok(pkt_ipv4(&p, A4, B4, IPPROTO_UDP, &(struct pkt_ip4_opts){ .id = 13, .frag_off = MF }));
	pkt_zeros(&p, 2);
	assert_ok(pkt_finish(&p));
	assert_drop(t, t->topo.if_b, IN, &p);
}

int verdict_group_fragments(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_fragments_follow_first_v4, topo),
		VT_TEST(test_orphan_fragment_dropped, topo),
		VT_TEST(test_fragments_of_denied_first_dropped, topo),
		VT_TEST(test_fragment_verdict_is_keyed, topo),
		VT_TEST(test_fragments_follow_first_v6, topo),
		VT_TEST(test_tcp_tiny_offset_dropped, topo),
		VT_TEST(test_short_first_fragment_dropped, topo),
	};

	return VT_RUN_GROUP("fragments", tests, topo);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict tests, conntrack: replies of allowed connections pass in both
 * directions (TCP, UDP, ICMP echo), ICMP errors about known connections
 * pass, and connections allowed under an older policy revision are
 * judged again.
 */
#include "verdict.h"

#include <errno.h>
#include <time.h>
#include <netinet/in.h>

#define W4 "198.19.1.1"
#define W6 "fd01::1"
#define ROUTER4 "198.19.255.1"
#define ROUTER6 "fd02::1"

/* A isolated both ways; its egress allows TCP to B. */
static void a_isolated_egress_to_b(struct vt *t)
{
	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 3));
}

/* The answer of a connection A opened passes A's isolated ingress; a new one from B does not. */
static void test_tcp_reply_to_egress_connection(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_ACK | PKT_PSH));
	assert_pass(t, t->topo.if_a, IN, &p);

	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40000, B4, 80, IPPROTO_TCP, &e));
	assert_int_equal(e.orig_dir, POLC_DIR_EGRESS);
	assert_int_equal(e.rule, 3);
	assert_int_equal(e.revision, 1);
	assert_true(e.flags & POLC_CT_F_SEEN_REPLY);

	/* Same hosts, another connection: judged, and A's ingress is closed. */
	assert_ok(pkt_tcp(&p, B4, 5555, A4, 80, PKT_SYN));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* The answer of a connection the pod accepted passes its isolated egress (IPv6 this time). */
static void test_tcp_reply_to_ingress_connection(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_IN, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 4));
	assert_ok(pkt_tcp(&p, B6, 50000, A6, 22, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, A6, 22, B6, 50000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);
	/* A cannot open its own connection to B. */
	assert_ok(pkt_tcp(&p, A6, 22, B6, 50001, PKT_SYN));
	assert_drop(t, t->topo.if_a, EG, &p);
}

/* UDP: the answer from the port asked passes; from another port it does not. */
static void test_udp_reply(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 5));
	assert_ok(pkt_udp(&p, A4, 4000, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_udp(&p, W4, 53, A4, 4000));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_udp(&p, W4, 54, A4, 4000));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_udp(&p, "198.19.1.2", 53, A4, 4000));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/*
 * ICMP echo: the reply with the request's identifier passes; another
 * identifier does not, nor does a request sent the other way round with
 * the same identifier. IPv4 and IPv6.
 */
static void test_icmp_echo_reply(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_ICMP, 0, POLC_ACT_ALLOW, 6));
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_ICMPV6, 0, POLC_ACT_ALLOW, 7));

	assert_ok(pkt_icmp(&p, A4, W4, 8, 42));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_icmp(&p, W4, A4, 0, 42));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_icmp(&p, W4, A4, 0, 43));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_icmp(&p, W4, A4, 8, 42));
	assert_drop(t, t->topo.if_a, IN, &p);

	assert_ok(pkt_icmp(&p, A6, W6, 128, 42));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_icmp(&p, W6, A6, 129, 42));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_icmp(&p, W6, A6, 128, 42));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* Other ICMP messages own no connection: an allowed timestamp request does not open the way for its reply. */
static void test_icmp_other_not_tracked(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_ICMP, 0, POLC_ACT_ALLOW, 6));
	int before = runner_ct_count(&t->r);

	assert_ok(pkt_icmp(&p, A4, W4, 13, 42));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_ct_count(&t->r), before);
	assert_ok(pkt_icmp(&p, W4, A4, 14, 42));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* An ICMP error to from quoting the packet q (q went from A to the world). */
static void icmp_error(struct pkt *p, const char *from, const char *to, uint8_t type, uint8_t code,
		       const struct pkt *q)
{
	uint8_t addr[16];
	bool v6 = pkt_addr(from, addr) == 6;

	pkt_init(p);
	pkt_eth(p, v6 ? 0x86dd : 0x0800);
	if (v6)
		assert_ok(pkt_ipv6(p, from, to, IPPROTO_ICMPV6));
	else
		assert_ok(pkt_ipv4(p, from, to, IPPROTO_ICMP, NULL));
	pkt_icmp_hdr(p, type, code, 0, 0);
	pkt_quote(p, q);
	assert_ok(pkt_finish(p));
}

/*
 * ICMP errors about a known connection pass ("related"), whoever sends
 * them; errors about unknown connections, or whose quote did not come
 * from the error's destination, are judged (and dropped here).
 */
static void test_icmp_error_related(void **state)
{
	struct vt *t = *state;
	struct pkt q, p;

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 5));
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 6));

	assert_ok(pkt_udp(&q, A4, 4000, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &q);
	icmp_error(&p, ROUTER4, A4, 3, 3, &q); /* port unreachable */
	assert_pass(t, t->topo.if_a, IN, &p);
	icmp_error(&p, ROUTER4, A4, 11, 0, &q); /* time exceeded */
	assert_pass(t, t->topo.if_a, IN, &p);

	assert_ok(pkt_udp(&q, A4, 4001, W4, 53)); /* never sent */
	icmp_error(&p, ROUTER4, A4, 3, 3, &q);
	assert_drop(t, t->topo.if_a, IN, &p);

	assert_ok(pkt_udp(&q, A4, 4000, W4, 53)); /* known, but the error goes to B */
	icmp_error(&p, ROUTER4, B4, 3, 3, &q);
	assert_drop(t, t->topo.if_a, IN, &p);

	/* IPv6: packet too big for a TCP connection. */
	assert_ok(pkt_tcp(&q, A6, 40000, W6, 443, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &q);
	icmp_error(&p, ROUTER6, A6, 2, 0, &q);
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&q, A6, 40001, W6, 443, PKT_SYN));
	icmp_error(&p, ROUTER6, A6, 2, 0, &q);
	assert_drop(t, t->topo.if_a, IN, &p);

	/* An error about an echo request finds the echo's entry. */
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_ICMP, 0, POLC_ACT_ALLOW, 7));
	assert_ok(pkt_icmp(&q, A4, W4, 8, 99));
	assert_pass(t, t->topo.if_a, EG, &q);
	icmp_error(&p, ROUTER4, A4, 3, 1, &q);
	assert_pass(t, t->topo.if_a, IN, &p);
}

/*
 * A new policy revision with the same policy: the connection is judged
 * again on its next packet (a reply here), stays, and carries the new
 * revision.
 */
static void test_revision_change_keeps_allowed(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(gen_state(&t->r.gen, 2, 0));
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40000, B4, 80, IPPROTO_TCP, &e));
	assert_int_equal(e.revision, 2);
	assert_int_equal(e.orig_dir, POLC_DIR_EGRESS);
	assert_int_equal(e.rule, 3);
}

/*
 * The policy no longer allows the connection: its next packet from the
 * opener drops and the entry is gone; so do its replies.
 */
static void test_revision_change_revokes(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, A4, 40001, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);

	assert_ok(gen_policy_del(&t->r.gen, P_A_EG, ID_B, IPPROTO_TCP, 0));
	assert_ok(gen_state(&t->r.gen, 2, 0));

	/* From the opener: dropped, entry deleted. */
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_ACK));
	assert_drop(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_ct_get(&t->r, t->topo.if_a, A4, 40000, B4, 80, IPPROTO_TCP, &e), -ENOENT);

	/* A reply: the opener's direction is judged (revoked), then the reply as a new flow (A's ingress is isolated). */
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40001, PKT_ACK));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_int_equal(runner_ct_get(&t->r, t->topo.if_a, A4, 40001, B4, 80, IPPROTO_TCP, &e), -ENOENT);
}

/* A revoked connection's reply that the new policy allows on its own becomes a connection of its own. */
static void test_revoked_reply_judged_as_new(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_a, POLC_EP_ENFORCE_INGRESS);
	assert_ok(gen_policy(&t->r.gen, P_A_IN, ID_B, IPPROTO_TCP, 0, POLC_ACT_ALLOW, 3));
	assert_ok(pkt_tcp(&p, B4, 50000, A4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, IN, &p);

	assert_ok(gen_policy_del(&t->r.gen, P_A_IN, ID_B, IPPROTO_TCP, 0));
	assert_ok(gen_state(&t->r.gen, 2, 0));
	/* A's egress is open: the reply passes as a new flow, opened by A. */
	assert_ok(pkt_tcp(&p, A4, 80, B4, 50000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 80, B4, 50000, IPPROTO_TCP, &e));
	assert_int_equal(e.orig_dir, POLC_DIR_EGRESS);
	assert_int_equal(e.revision, 2);
	assert_int_equal(e.rule, POLC_RULE_NONE);
}

/*
 * A generation swap (new program, new maps, slot 0 replaced) keeps the
 * shared conntrack: the reply passes under the new generation when its
 * policy still allows the connection, and not when it does not.
 */
static void test_conntrack_survives_swap(void **state)
{
	struct vt *t = *state;
	struct polc_gen_state next_state = { .revision = 2 };
	struct gen next;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, A4, 40001, B4, 81, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_int_equal(runner_ct_count(&t->r), 2);

	/* Revision 2 allows TCP to B port 80 only (class 1). */
	assert_ok(gen_load(&t->r, "full", &next_state, &next));
	vt_fill_standard(t, &next);
	assert_ok(gen_endpoint(&next, t->topo.if_a, 1, ID_A, P_A_IN, P_A_EG, ENFORCE_BOTH));
	assert_ok(gen_port_class(&next, POLC_PSLOT_TCP, 80, 80, 1));
	assert_ok(gen_policy(&next, P_A_EG, ID_B, IPPROTO_TCP, 1, POLC_ACT_ALLOW, 3));
	assert_ok(runner_install(&t->r, &next));

	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, B4, 81, A4, 40001, PKT_SYN | PKT_ACK));
	assert_drop(t, t->topo.if_a, IN, &p);
	assert_int_equal(runner_ct_count(&t->r), 1);
}

/* An expired entry is no connection: its "reply" is judged as new. */
static void test_expired_entry_not_a_reply(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct timespec now;
	struct pkt p;

	assert_ok(clock_gettime(CLOCK_MONOTONIC_COARSE, &now));
	uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;

	if (now_ns < POLC_CT_LIFETIME_OTHER_NS + 1000000000ull)
		skip(); /* the machine booted less than a lifetime ago */

	vt_endpoint_flags(t, t->topo.if_a, ENFORCE_BOTH);
	assert_ok(gen_policy(&t->r.gen, P_A_EG, POLC_PEER_ANY, IPPROTO_UDP, 0, POLC_ACT_ALLOW, 5));
	assert_ok(pkt_udp(&p, A4, 4000, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 4000, W4, 53, IPPROTO_UDP, &e));
	e.last_seen_ns = now_ns - POLC_CT_LIFETIME_OTHER_NS - 1000000000ull;
	assert_ok(runner_ct_put(&t->r, t->topo.if_a, A4, 4000, W4, 53, IPPROTO_UDP, &e));

	assert_ok(pkt_udp(&p, W4, 53, A4, 4000));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* A SYN without ACK from the responder's side opens a new connection and is judged as one. */
static void test_responder_syn_is_new(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN));
	assert_drop(t, t->topo.if_a, IN, &p);
}

/* Entries belong to one interface: A's connection is no reply on B's interface. */
static void test_conntrack_per_interface(void **state)
{
	struct vt *t = *state;
	struct pkt p;

	vt_endpoint_flags(t, t->topo.if_b, ENFORCE_BOTH);
	assert_ok(pkt_udp(&p, A4, 4000, W4, 53));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_udp(&p, W4, 53, A4, 4000));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_drop(t, t->topo.if_b, IN, &p);
}

/* FIN from both ends, or a RST, mark the entry closing (its lifetime drops to POLC_CT_LIFETIME_CLOSE_NS). */
static void test_tcp_close_tracked(void **state)
{
	struct vt *t = *state;
	struct polc_ct_entry e;
	struct pkt p;

	a_isolated_egress_to_b(t);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_SYN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(pkt_tcp(&p, A4, 40000, B4, 80, PKT_FIN | PKT_ACK));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40000, B4, 80, IPPROTO_TCP, &e));
	assert_int_equal(e.flags & (POLC_CT_F_FIN_ORIG | POLC_CT_F_FIN_REPLY), POLC_CT_F_FIN_ORIG);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40000, PKT_FIN | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40000, B4, 80, IPPROTO_TCP, &e));
	assert_int_equal(e.flags & (POLC_CT_F_FIN_ORIG | POLC_CT_F_FIN_REPLY), POLC_CT_F_FIN_ORIG | POLC_CT_F_FIN_REPLY);

	assert_ok(pkt_tcp(&p, A4, 40001, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(pkt_tcp(&p, B4, 80, A4, 40001, PKT_RST | PKT_ACK));
	assert_pass(t, t->topo.if_a, IN, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40001, B4, 80, IPPROTO_TCP, &e));
	assert_true(e.flags & POLC_CT_F_RST);

	/* The ports reused for a new connection: a fresh SYN clears the closing state. */
	assert_ok(pkt_tcp(&p, A4, 40001, B4, 80, PKT_SYN));
	assert_pass(t, t->topo.if_a, EG, &p);
	assert_ok(runner_ct_get(&t->r, t->topo.if_a, A4, 40001, B4, 80, IPPROTO_TCP, &e));
	assert_int_equal(e.flags & (POLC_CT_F_RST | POLC_CT_F_SEEN_REPLY), 0);
}

int verdict_group_conntrack(struct topo *topo)
{
	const struct CMUnitTest tests[] = {
		VT_TEST(test_tcp_reply_to_egress_connection, topo),
		VT_TEST(test_tcp_reply_to_ingress_connection, topo),
		VT_TEST(test_udp_reply, topo),
		VT_TEST(test_icmp_echo_reply, topo),
		VT_TEST(test_icmp_other_not_tracked, topo),
		VT_TEST(test_icmp_error_related, topo),
		VT_TEST(test_revision_change_keeps_allowed, topo),
		VT_TEST(test_revision_change_revokes, topo),
		VT_TEST(test_revoked_reply_judged_as_new, topo),
		VT_TEST(test_conntrack_survives_swap, topo),
		VT_TEST(test_expired_entry_not_a_reply, topo),
		VT_TEST(test_responder_syn_is_new, topo),
		VT_TEST(test_conntrack_per_interface, topo),
		VT_TEST(test_tcp_close_tracked, topo),
	};

	return VT_RUN_GROUP("conntrack", tests, topo);
}

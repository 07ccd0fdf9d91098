/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The policy verdict of a new flow: (endpoint, direction, peer identity
 * and CIDR class, protocol, port) to allow or drop, and the rule that
 * decided.
 *
 * The endpoint's policy id for the direction selects the entries of
 * polc_policy. A packet can match up to 3 x 4 keys (see polc/layout.h):
 *
 *   peer:  identity              CIDR | class            ANY
 *   port:  (proto, EXACT, port)  (proto, RANGE, class)   (proto, ANY)   (0, ANY)
 *
 * probed most specific first, each combination only when polc_gen.h says
 * some rule can produce it. In egress, a world peer has a fourth column:
 * the toFQDNs selectors the endpoint learned its address under (fqdn.h),
 * up to POLC_FQDN_SLOTS of them, each probed like an identity. Any deny wins; otherwise any allow; otherwise
 * the endpoint's default for the direction: deny when a policy isolates
 * it (ENFORCE) or audits it (AUDIT: the drop is reported, as AUDIT, and
 * the packet passes), allow when none does. The lowest rule id among the deciding
 * entries is reported. At most twelve hash lookups plus one array lookup,
 * whatever the number of rules.
 */
#ifndef POLC_BPF_POLICY_H
#define POLC_BPF_POLICY_H

#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "context.h"
#include "maps_gen.h"
#include "verifier.h"
#if POLC_GEN_HAVE_FQDN
#include "fqdn.h"
#endif

/* polc_policy_decide(): dir | KEEP judges an existing connection again: expired FQDN selectors still count. */
#define POLC_DECIDE_KEEP 0x100u

struct polc_verdict {
	__u32 rule;    /* deciding rule, POLC_RULE_NONE for a default */
	__u8 verdict;  /* POLC_VERDICT_ALLOW / DROP / AUDIT */
	__u8 reason;   /* POLC_REASON_* */
	__u16 l7;      /* L7 rule set requests must match, 0: none (polc/layout.h) */
};

/*
 * Without deny entries, and when the compiler promises that the first
 * allow entry found (in probe order) carries the lowest rule id the
 * packet can match, probing stops at that entry.
 */
#define POLC_STOP_AT_FIRST_ALLOW (!POLC_GEN_HAVE_DENY && POLC_GEN_ALLOW_FIRST_HIT)

static __always_inline int polc_port_slot(__u8 family, __u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return POLC_PSLOT_TCP;
	case IPPROTO_UDP:
		return POLC_PSLOT_UDP;
	case IPPROTO_SCTP:
		return POLC_PSLOT_SCTP;
	case IPPROTO_ICMP:
		return family == POLC_AF_INET ? POLC_PSLOT_ICMP : -1;
	case IPPROTO_ICMPV6:
		return family == POLC_AF_INET6 ? POLC_PSLOT_ICMPV6 : -1;
	}
	return -1;
}

/* The class of (protocol, port): one array lookup, four classes per slot. */
static __always_inline __u16 polc_port_class(__u8 family, __u8 proto, __u32 port)
{
	int slot = polc_port_slot(family, proto);

	if (slot < 0)
		return 0;

	__u32 index = slot * POLC_PORT_SLOT_SIZE + (port & 0xffff) / 4;
	const struct polc_port_classes *pc = bpf_map_lookup_elem(&polc_ports, &index);

	return pc ? pc->cls[port & 3] : 0;
}

/*
 * Lowest rule id per action among the entries hit so far (verifier.h,
 * lesson 6), and what the allow entries say about HTTP: open, if one of
 * them has no L7 set; else the first (most specific) L7 set of each peer
 * column.
 */
#define POLC_COL_IDENTITY 0
#define POLC_COL_CIDR 1
#define POLC_COL_ANY 2
#define POLC_COL_FQDN 3

struct polc_match {
	__u32 deny_rule;
	__u32 allow_rule;
	__u16 l7[4]; /* per column (POLC_COL_*) */
	__u8 open;
	__u8 fqdn_conflict; /* two learned selectors gave different L7 sets */
	__u16 pad;
};

/*
 * One key; true when the search may stop there (an allow entry, when the
 * compiler promises first-hit order, and no L7 set that other columns
 * could widen). An action other than ALLOW counts as a deny: fail closed.
 */
static __always_inline bool polc_policy_probe(__u32 policy, __u32 peer, __u8 proto, __u8 port_kind, __u16 port,
					      struct polc_match *m, const int col)
{
	struct polc_policy_key key;

	polc_zero(&key);
	key.policy = policy;
	key.peer = peer;
	key.proto = proto;
	key.port_kind = port_kind;
	key.port = port;

	const struct polc_policy_value *val = bpf_map_lookup_elem(&polc_policy, &key);

	if (!val)
		return false;
	if (val->action != POLC_ACT_ALLOW) {
		m->deny_rule = polc_min(m->deny_rule, val->rule);
		return POLC_STOP_AT_FIRST_ALLOW;
	}
	m->allow_rule = polc_min(m->allow_rule, val->rule);
	if (!POLC_GEN_HAVE_L7)
		return POLC_STOP_AT_FIRST_ALLOW;

	__u16 l7 = val->l7;

	if (l7 == 0) {
		m->open = 1;
		return POLC_STOP_AT_FIRST_ALLOW;
	}
	if (m->l7[col] == 0)
		m->l7[col] = l7;
	return false;
}

/* The packet's port in the forms entries take. */
struct polc_port_key {
	__u16 port;       /* the port (ICMP: the type) */
	__u16 port_class; /* its range class, 0: in no range */
	bool has_port;    /* the protocol has ports (or ICMP types) */
};

/* The port column for one peer; true when the search may stop. */
static __always_inline bool polc_policy_probe_ports(__u32 policy, __u32 peer, __u8 proto,
						    const struct polc_port_key *pk, struct polc_match *m, const int col)
{
	if (POLC_GEN_PROBE_PORT_EXACT && pk->has_port &&
	    polc_policy_probe(policy, peer, proto, POLC_PORT_EXACT, pk->port, m, col))
		return true;
	if (POLC_GEN_PROBE_PORT_CLASS && pk->port_class != 0 &&
	    polc_policy_probe(policy, peer, proto, POLC_PORT_RANGE, pk->port_class, m, col))
		return true;
	if (POLC_GEN_PROBE_PORT_ANY && polc_policy_probe(policy, peer, proto, POLC_PORT_ANY, 0, m, col))
		return true;
	if (POLC_GEN_PROBE_PROTO_ANY && polc_policy_probe(policy, peer, 0, POLC_PORT_ANY, 0, m, col))
		return true;
	return false;
}

static __always_inline void polc_policy_match(__u32 policy, const struct polc_peer *peer, __u8 proto,
					      const struct polc_port_key *pk, struct polc_match *m)
{
	if (polc_policy_probe_ports(policy, peer->identity, proto, pk, m, POLC_COL_IDENTITY))
		return;
	if (POLC_GEN_PROBE_CIDR && peer->cidr_class != 0 &&
	    polc_policy_probe_ports(policy, POLC_PEER_CIDR | peer->cidr_class, proto, pk, m, POLC_COL_CIDR))
		return;
	if (POLC_GEN_PROBE_PEER_ANY)
		polc_policy_probe_ports(policy, POLC_PEER_ANY, proto, pk, m, POLC_COL_ANY);
}

#if POLC_GEN_HAVE_FQDN
/*
 * The FQDN column: each selector the peer's address was learned under.
 * Each slot's most specific L7 set is its own; slots that disagree fail
 * closed (the compiler has no union for them).
 */
static __always_inline void polc_policy_match_fqdn(const struct polc_ctx *c, __u32 policy, bool keep, __u8 proto,
						   const struct polc_port_key *pk, struct polc_match *m)
{
	__u32 sel[POLC_FQDN_SLOTS];

	polc_fqdn_slots(c, keep, sel);
#pragma clang loop unroll(full)
	for (int i = 0; i < POLC_FQDN_SLOTS; i++) {
		if (!sel[i])
			continue;

		__u16 prev = m->l7[POLC_COL_FQDN];

		m->l7[POLC_COL_FQDN] = 0;
		polc_policy_probe_ports(policy, POLC_PEER_FQDN | (sel[i] & ~POLC_PEER_KIND_MASK), proto, pk, m,
					POLC_COL_FQDN);

		__u16 cur = m->l7[POLC_COL_FQDN];

		if (prev && cur && prev != cur)
			m->fqdn_conflict = 1;
		if (!cur)
			m->l7[POLC_COL_FQDN] = prev;
	}
}
#endif

/*
 * The HTTP rule set of an allowed flow (polc/layout.h): none when an
 * allow entry without one was hit; else the identity's and the CIDR
 * class's (their union when both), else the peer-any column's.
 */
static __always_inline __u16 polc_policy_l7(const struct polc_match *m)
{
#if POLC_GEN_HAVE_L7
	if (m->open)
		return 0;

	__u16 a = m->l7[POLC_COL_IDENTITY], b = m->l7[POLC_COL_CIDR], f = m->l7[POLC_COL_FQDN];

	if (a && b && a != b)
		a = polc_l7_union(a, b);
	else if (!a)
		a = b;
	/* A learned address's set with another column's: the union table has no such pairs. */
	if (f && (m->fqdn_conflict || (a && a != f)))
		return POLC_L7_SET_NONE;
	if (f)
		return f;
	if (a)
		return a;
	return m->l7[POLC_COL_ANY];
#else
	return 0;
#endif
}

/*
 * Judge a flow in direction dir with policy port `port`: the packet's
 * own for a new flow, the opener's when a connection is judged again.
 * The peer must have been looked up. Fills v, returns v->verdict.
 * Global (lesson 7): probing is verified once, whatever path leads here.
 */
POLC_GLOBAL int polc_policy_decide(const struct polc_ctx *c, __u32 dir, __u32 port, struct polc_verdict *v)
{
	/* Lesson 8 (verifier.h): without port classes, port would be unused. */
	polc_keep(port);
	if (!c || !v)
		return POLC_VERDICT_DROP;

	/* Lesson 4 (verifier.h): dir is an argument, any value as far as the verifier knows. */
	bool keep = dir & POLC_DECIDE_KEEP;
	bool egress = (dir & ~POLC_DECIDE_KEEP) == POLC_DIR_EGRESS;
	__u32 policy = egress ? c->ep.policy[POLC_DIR_EGRESS] : c->ep.policy[POLC_DIR_INGRESS];
	__u32 audit = egress ? POLC_EP_AUDIT_EGRESS : POLC_EP_AUDIT_INGRESS;
	/* An audited direction is isolated too, for reporting: its would-be drops pass as AUDIT. */
	__u32 isolated = audit | (egress ? POLC_EP_ENFORCE_EGRESS : POLC_EP_ENFORCE_INGRESS);
	struct polc_match m = { .deny_rule = POLC_RULE_NONE, .allow_rule = POLC_RULE_NONE };

	v->l7 = 0;

	if (policy != 0) {
		struct polc_port_key pk = {
			.port = port & 0xffff,
			.has_port = polc_port_slot(c->pkt.family, c->pkt.proto) >= 0,
		};

		if (POLC_GEN_PROBE_PORT_CLASS)
			pk.port_class = polc_port_class(c->pkt.family, c->pkt.proto, port);
		polc_policy_match(policy, &c->peer, c->pkt.proto, &pk, &m);
#if POLC_GEN_HAVE_FQDN
		if (egress && polc_fqdn_world(c->peer.identity) && polc_fqdn_policy(policy))
			polc_policy_match_fqdn(c, policy, keep, c->pkt.proto, &pk, &m);
#else
		(void)keep;
#endif
	}

	if (m.deny_rule != POLC_RULE_NONE) {
		v->verdict = POLC_VERDICT_DROP;
		v->reason = POLC_REASON_POLICY;
		v->rule = m.deny_rule;
	} else if (m.allow_rule != POLC_RULE_NONE) {
		v->verdict = POLC_VERDICT_ALLOW;
		v->reason = POLC_REASON_POLICY;
		v->rule = m.allow_rule;
		v->l7 = polc_policy_l7(&m);
	} else if (c->ep.flags & isolated) {
		v->verdict = POLC_VERDICT_DROP;
		v->reason = POLC_REASON_DEFAULT_DENY;
		v->rule = POLC_RULE_NONE;
	} else {
		v->verdict = POLC_VERDICT_ALLOW;
		v->reason = POLC_REASON_DEFAULT_ALLOW;
		v->rule = POLC_RULE_NONE;
	}

	/*
	 * Audit: report what would be dropped, drop nothing. (A generation
	 * built without audit drops instead: an audit flag it was not
	 * compiled for fails closed.)
	 */
	if (POLC_GEN_HAVE_AUDIT && v->verdict == POLC_VERDICT_DROP && (c->ep.flags & audit))
		v->verdict = POLC_VERDICT_AUDIT;
	return v->verdict;
}

static __always_inline bool polc_verdict_passes(const struct polc_verdict *v)
{
	return v->verdict != POLC_VERDICT_DROP;
}

#endif

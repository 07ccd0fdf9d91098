/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The generation program: polc's datapath for one policy set. The entry
 * programs on every endpoint interface tail-call it (slot 0 of
 * polc_gen_prog) with the direction in skb->cb[0]; it returns
 * TC_ACT_UNSPEC to let the packet go on (to the next tc/tcx program,
 * if any) or TC_ACT_SHOT to drop it.
 *
 * One template, specialised per policy set by a header of #defines that
 * polc's codegen writes next to a copy of the templates, then
 * `clang -target bpf -O2 -g`. The contract, every macro required:
 *
 *   polc_gen.h
 *   #define POLC_GEN_PROBE_CIDR        0|1   probe peer POLC_PEER_CIDR | class
 *   #define POLC_GEN_PROBE_PEER_ANY    0|1   probe peer POLC_PEER_ANY
 *   #define POLC_GEN_PROBE_PORT_EXACT  0|1   probe (proto, EXACT, port)
 *   #define POLC_GEN_PROBE_PORT_CLASS  0|1   probe (proto, RANGE, class); 0: no lookup in polc_ports
 *   #define POLC_GEN_PROBE_PORT_ANY    0|1   probe (proto, ANY)
 *   #define POLC_GEN_PROBE_PROTO_ANY   0|1   probe (0, ANY): any protocol
 *   #define POLC_GEN_HAVE_DENY         0|1   deny entries exist: probe all, deny wins
 *   #define POLC_GEN_HAVE_AUDIT        0|1   0: endpoint audit flags are ignored
 *   #define POLC_GEN_V4_PREFIXLENS     32, 24, 8   ipcache lengths in use, longest first,
 *   #define POLC_GEN_V4_NR_PREFIXLENS  3           32 always (0..32 allowed)
 *   #define POLC_GEN_V6_PREFIXLENS     128, 64     the same for IPv6, 128 always
 *   #define POLC_GEN_V6_NR_PREFIXLENS  2
 *   #define POLC_GEN_ENDPOINTS_MAX     n     max_entries of polc_endpoints
 *   #define POLC_GEN_IPCACHE_MAX       n     ... of polc_ipcache
 *   #define POLC_GEN_POLICY_MAX        n     ... of polc_policy
 *   #define POLC_GEN_RULES_MAX         n     ... of polc_rule_stats (rule ids 0..n-1), n >= 1
 *
 * Optional:
 *   #define POLC_GEN_ALLOW_FIRST_HIT   0|1   (default 0) the compiler guarantees that, without
 *                                            deny, the first allow entry found in probe order
 *                                            (peer: identity, CIDR, ANY; for each,
 *                                            (proto, class), (proto, 0), (0, 0)) has the lowest
 *                                            rule id the packet matches: probing stops there
 *   #define POLC_GEN_DIRECT_READS      0|1   (default 1) read headers from the skb's linear
 *                                            part when they are there; 0: always through
 *                                            bpf_skb_load_bytes() (what a non-linear skb gets;
 *                                            the verdict tests use it to cover that path)
 *   #define POLC_GEN_HAVE_L7_HTTP      0|1   (default 0) policy entries carry HTTP rule sets:
 *                                            the tables of http_tables.h follow, and the
 *                                            request parser's bounds (http_parse.h):
 *   #define POLC_GEN_HTTP_MAX_HEAD     n     (8192) bytes of a request head
 *   #define POLC_GEN_HTTP_MAX_LINE     n     (4096) bytes of the request line
 *   #define POLC_GEN_HTTP_MAX_HEADERS  n     (100) header lines of a request
 *   #define POLC_GEN_HTTP_MAX_STEPS    n     (64) parse steps per TCP segment (a head, a
 *                                            body, a 512-byte window each)
 *   #define POLC_GEN_HAVE_L7_DNS       0|1   (default 0) policy entries carry DNS rule sets,
 *   #define POLC_GEN_DNS_SET_FIRST     n     whose ids start here (after the HTTP sets'); with
 *                                            either L7 protocol, the union table of l7_sets.h
 *   #define POLC_GEN_HAVE_FQDN         0|1   (default 0) policy entries have toFQDNs peers: the
 *                                            FQDN column (fqdn.h); with DNS rules or toFQDNs the
 *                                            tables of dns_tables.h follow, and the DNS bounds:
 *   #define POLC_GEN_DNS_MAX_MSG       n     (4096) bytes of a DNS message parsed (power of two)
 *   #define POLC_GEN_DNS_MAX_RECORDS   n     (256) records of an answer
 *   #define POLC_GEN_DNS_MAX_ADDRS     n     (256) addresses learned from an answer
 *   #define POLC_GEN_FQDN_MIN_TTL      s     (1) seconds a learned address lives at least
 *   #define POLC_GEN_FQDN_MAX_TTL      s     (86400) ... at most
 *
 * The program is polc_gen (SEC "tc"). Its maps: the generation's own
 * (maps_gen.h) and the shared ones (maps_shared.h, which the loader
 * replaces by the pinned maps with bpf_map__reuse_fd()). Its only global
 * is polc_gen_state, alone in .data (see polc/layout.h).
 *
 * Per packet, in order:
 *   1. endpoint of skb->ifindex (missing: drop, NO_ENDPOINT)
 *   2. parse (parse.h): non-IP and IPv6 neighbour discovery pass, VLAN
 *      frames and malformed headers drop
 *   3. a later fragment takes its first fragment's verdict (fragments.h)
 *   4. conntrack (conntrack.h): established and reply packets pass; a
 *      connection allowed by an older policy revision is judged again
 *   5. new flow: ipcache (ipcache.h), then policy (policy.h)
 *   6. TCP connections under an HTTP rule set: every request judged (http.h);
 *      UDP and TCP flows under a DNS rule set: every query judged, every
 *      answer learned from for toFQDNs (dns.h)
 *   7. events for drops and new flows (events.h), rule counters (counters.h)
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "polc_gen.h"

#if !defined(POLC_GEN_PROBE_CIDR) || !defined(POLC_GEN_PROBE_PEER_ANY) ||                              \
	!defined(POLC_GEN_PROBE_PORT_CLASS) || !defined(POLC_GEN_PROBE_PORT_EXACT) || !defined(POLC_GEN_PROBE_PORT_ANY) ||                    \
	!defined(POLC_GEN_PROBE_PROTO_ANY) || !defined(POLC_GEN_HAVE_DENY) || !defined(POLC_GEN_HAVE_AUDIT)
#error "polc_gen.h: a POLC_GEN_PROBE_* / POLC_GEN_HAVE_* switch is missing"
#endif
#ifndef POLC_GEN_ALLOW_FIRST_HIT
#define POLC_GEN_ALLOW_FIRST_HIT 0
#endif
#ifndef POLC_GEN_DIRECT_READS
#define POLC_GEN_DIRECT_READS 1
#endif
#ifndef POLC_GEN_HAVE_L7_HTTP
#define POLC_GEN_HAVE_L7_HTTP 0
#endif
#ifndef POLC_GEN_HAVE_L7_DNS
#define POLC_GEN_HAVE_L7_DNS 0
#endif
#ifndef POLC_GEN_HAVE_FQDN
#define POLC_GEN_HAVE_FQDN 0
#endif
#define POLC_GEN_HAVE_L7 (POLC_GEN_HAVE_L7_HTTP || POLC_GEN_HAVE_L7_DNS)
#if !defined(POLC_GEN_V4_PREFIXLENS) || !defined(POLC_GEN_V4_NR_PREFIXLENS) || \
	!defined(POLC_GEN_V6_PREFIXLENS) || !defined(POLC_GEN_V6_NR_PREFIXLENS)
#error "polc_gen.h: the ipcache prefix lengths are missing"
#endif
#if !defined(POLC_GEN_ENDPOINTS_MAX) || !defined(POLC_GEN_IPCACHE_MAX) || !defined(POLC_GEN_POLICY_MAX) || \
	!defined(POLC_GEN_RULES_MAX)
#error "polc_gen.h: a map size is missing"
#endif

#define POLC_FIRST_(first, ...) (first)
#define POLC_FIRST(...) POLC_FIRST_(__VA_ARGS__)
_Static_assert(POLC_FIRST(POLC_GEN_V4_PREFIXLENS) == 32, "the IPv4 prefix lengths start with 32");
_Static_assert(POLC_FIRST(POLC_GEN_V6_PREFIXLENS) == 128, "the IPv6 prefix lengths start with 128");
_Static_assert(sizeof((unsigned char[]){ POLC_GEN_V4_PREFIXLENS }) == POLC_GEN_V4_NR_PREFIXLENS,
	       "POLC_GEN_V4_NR_PREFIXLENS counts POLC_GEN_V4_PREFIXLENS");
_Static_assert(sizeof((unsigned char[]){ POLC_GEN_V6_PREFIXLENS }) == POLC_GEN_V6_NR_PREFIXLENS,
	       "POLC_GEN_V6_NR_PREFIXLENS counts POLC_GEN_V6_PREFIXLENS");
_Static_assert(POLC_GEN_V4_NR_PREFIXLENS <= 33 && POLC_GEN_V6_NR_PREFIXLENS <= 129, "too many prefix lengths");
_Static_assert(POLC_GEN_RULES_MAX >= 1 && POLC_GEN_ENDPOINTS_MAX >= 1 && POLC_GEN_IPCACHE_MAX >= 1 &&
		       POLC_GEN_POLICY_MAX >= 1,
	       "maps have at least one entry");

#include "polc/layout.h"
#include "maps_shared.h"
#include "maps_gen.h"
#include "verifier.h"
#include "context.h"
#include "parse.h"
#include "ipcache.h"
#if POLC_GEN_HAVE_L7
#include "l7_sets.h"
#endif
#if POLC_GEN_HAVE_L7_HTTP
#include "http_match.h"
#endif
#include "policy.h"
#include "conntrack.h"
#include "fragments.h"
#include "counters.h"
#include "events.h"
#if POLC_GEN_HAVE_L7_HTTP
#include "http.h"
#endif
#if POLC_GEN_HAVE_L7_DNS
#include "dns.h"
#endif

/* The loader writes it before load and whenever policy data changes (polc/layout.h). */
struct polc_gen_state polc_gen_state SEC(".data") = {
	.revision = 0,
	.flags = 0,
};

static __always_inline int polc_drop(const struct polc_ctx *c, __u8 reason, __u32 rule)
{
	polc_count(rule, c->pkt.len);
	polc_event(c, POLC_VERDICT_DROP, reason, rule);
	return TC_ACT_SHOT;
}

static __always_inline int polc_pass(const struct polc_ctx *c, __u32 rule)
{
	polc_count(rule, c->pkt.len);
	return TC_ACT_UNSPEC;
}

#if POLC_GEN_HAVE_L7
/*
 * A packet of a connection under L7 rule set `set` (conntrack says which
 * end opened it): judged by http.h or dns.h, whichever protocol the set
 * is, counted under the flow's rule.
 */
static __always_inline int polc_judge_l7(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_ct_key *key,
				 const struct polc_ct_entry *ct, __u16 set, bool reply, bool src_is_lo, __u32 rule)
{
	__u32 orig_dir = reply ? !c->dir : c->dir;
	__u32 audit = orig_dir == POLC_DIR_EGRESS ? POLC_EP_AUDIT_EGRESS : POLC_EP_AUDIT_INGRESS;
	__u32 args = (__u32)set << POLC_L7_A_SET_SHIFT;

	if (reply)
		args |= POLC_L7_A_REPLY;
	/* By its addresses the packet goes the other way than its hook says: not ours to judge. */
	if (ct && (src_is_lo != ct->orig_is_lo) != reply)
		args |= POLC_L7_A_SPOOFED;
	if (ct && polc_ct_closed(ct->flags))
		args |= POLC_L7_A_CT_CLOSED;
	if (POLC_GEN_HAVE_AUDIT && (c->ep.flags & audit))
		args |= POLC_L7_A_AUDIT;
	polc_count(rule, c->pkt.len);
#if POLC_GEN_HAVE_L7_DNS
	if (polc_l7_is_dns(set))
		return polc_dns_packet(skb, c, key, args, rule);
#endif
#if POLC_GEN_HAVE_L7_HTTP
	return polc_http_packet(skb, c, key, args, rule);
#else
	return TC_ACT_SHOT;
#endif
}
#endif

/*
 * A verdict reached by the policy for this packet's own flow: drop it, or
 * pass it, remember the connection and report the new flow.
 */
static __always_inline int polc_apply(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_verdict *v,
				      const struct polc_ct_key *key, bool src_is_lo)
{
	if (!polc_verdict_passes(v))
		return polc_drop(c, v->reason, v->rule);
#if POLC_GEN_HAVE_L7
	/* L7 rules on a protocol they cannot judge (DNS rules on SCTP): nothing passes. */
	if (polc_l7_unjudgeable(c, v))
		return polc_drop(c, POLC_REASON_L7_MALFORMED, v->rule);
#endif
	if (polc_ct_opens(&c->pkt))
		polc_ct_create(key, src_is_lo, c, v);
	polc_event(c, v->verdict, v->reason, v->rule);
#if POLC_GEN_HAVE_L7
	if (polc_ct_l7(c, v)) {
		/* State of an earlier connection on these ports must not judge this one (TCP keeps state). */
		if (c->pkt.proto == IPPROTO_TCP)
			bpf_map_delete_elem(&polc_l7, key);
		return polc_judge_l7(skb, c, key, NULL, v->l7, false, src_is_lo, v->rule);
	}
#endif
	return polc_pass(c, v->rule);
}

/*
 * Steps 4 and 5 for a whole datagram or a first fragment. *rule is the
 * rule the packet passed by, for the fragments that follow.
 */
static __always_inline int polc_judge(struct __sk_buff *skb, struct polc_ctx *c, __u32 *rule)
{
	struct polc_pkt *pkt = &c->pkt;
	struct polc_ct_entry *ct = NULL;
	struct polc_verdict v;
	struct polc_ct_key key;
	bool src_is_lo;

	/* Lesson 7 (verifier.h): memory handed to a global function must be initialised. */
	polc_zero(&v);
	if (polc_is_icmp_error(pkt) && polc_ct_related(skb, c, rule))
		return polc_pass(c, *rule);

	src_is_lo = polc_ct_key_init(&key, c->ifindex, pkt->family, pkt->proto, pkt->saddr, pkt->sport, pkt->daddr,
				     pkt->dport);
	if (polc_ct_tracks(pkt))
		ct = polc_ct_find(&key, c);

	/* Established or reply, allowed under the live policy: the fast path. */
	if (ct && ct->revision == c->revision) {
		bool reply = polc_ct_is_reply(ct, c);

		polc_ct_touch(ct, c, reply);
		*rule = ct->rule;
#if POLC_GEN_HAVE_L7
		__u16 set = ct->l7;

		if (set)
			return polc_judge_l7(skb, c, &key, ct, set, reply, src_is_lo, *rule);
#endif
		return polc_pass(c, *rule);
	}

	/* The peer is the same for both directions of a connection: one lookup. */
	polc_peer_lookup(c);

	if (ct) {
		/* Allowed by an older revision: judge the opener's direction again, once. */
		bool reply = polc_ct_is_reply(ct, c);
		__u32 orig_dir = reply ? !c->dir : c->dir;

		/* KEEP: an established connection outlives the TTL of the name it was opened to. */
		polc_policy_decide(c, orig_dir | POLC_DECIDE_KEEP, reply ? pkt->rport : pkt->port, &v);
#if POLC_GEN_HAVE_L7
		if (polc_l7_unjudgeable(c, &v))
			v.verdict = POLC_VERDICT_DROP;
#endif
		if (polc_verdict_passes(&v)) {
#if POLC_GEN_HAVE_L7
			__u16 old_set = ct->l7;
#endif
			polc_ct_revalidate(ct, c, &v);
			polc_ct_touch(ct, c, reply);
			*rule = v.rule;
#if POLC_GEN_HAVE_L7
			__u16 set = ct->l7;

			if (set) {
				/*
				 * Under L7 rules now but not followed from its start: with no
				 * state, a TCP judge resets it (where would a request start?).
				 */
				if (!old_set && c->pkt.proto == IPPROTO_TCP)
					bpf_map_delete_elem(&polc_l7, &key);
				return polc_judge_l7(skb, c, &key, ct, set, reply, src_is_lo, *rule);
			}
#endif
			return polc_pass(c, *rule);
		}
		/* Revoked: forget it, and judge the packet as the start of a new flow. */
		bpf_map_delete_elem(&polc_ct, &key);
		if (!reply)
			return polc_drop(c, v.reason, v.rule);
	}

	polc_policy_decide(c, c->dir, pkt->port, &v);
	*rule = v.rule;
	return polc_apply(skb, c, &v, &key, src_is_lo);
}

SEC("tc")
int polc_gen(struct __sk_buff *skb)
{
	const struct polc_endpoint *ep;
	struct polc_endpoint_key ep_key;
	struct polc_ctx c;
	__u32 rule = POLC_RULE_NONE;
	int ret;

	polc_zero(&c);
	c.pkt.len = skb->len;
	c.ifindex = skb->ifindex;
	c.dir = skb->cb[0];
	c.revision = POLC_READ_ONCE(polc_gen_state.revision);
	c.gen_flags = POLC_READ_ONCE(polc_gen_state.flags);
	/* Lesson 3 (verifier.h): only the entry programs set cb[0]. */
	if (c.dir >= POLC_NR_DIRS)
		return TC_ACT_SHOT;

	polc_zero(&ep_key);
	ep_key.ifindex = c.ifindex;
	ep = bpf_map_lookup_elem(&polc_endpoints, &ep_key);
	if (!ep)
		return polc_drop(&c, POLC_REASON_NO_ENDPOINT, POLC_RULE_NONE);
	/* A copy: user space may update the entry while we judge. */
	c.ep = *ep;

	switch (polc_parse(skb, &c.pkt)) {
	case POLC_PARSE_IP:
		break;
	case POLC_PARSE_PASS:
		return TC_ACT_UNSPEC;
	case POLC_PARSE_VLAN:
		return polc_drop(&c, POLC_REASON_VLAN, POLC_RULE_NONE);
	default:
		return polc_drop(&c, POLC_REASON_MALFORMED, POLC_RULE_NONE);
	}

	c.now = bpf_ktime_get_coarse_ns();
	if (c.pkt.frag == POLC_FRAG_LATER) {
		const struct polc_frag_value *fv = polc_frag_find(&c);

		if (!fv)
			return polc_drop(&c, POLC_REASON_FRAGMENT, POLC_RULE_NONE);
		return polc_pass(&c, fv->rule);
	}

	ret = polc_judge(skb, &c, &rule);
	if (c.pkt.frag == POLC_FRAG_FIRST && ret == TC_ACT_UNSPEC)
		polc_frag_remember(&c, rule);
	return ret;
}

char _license[] SEC("license") = "Dual BSD/GPL";

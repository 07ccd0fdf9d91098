/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Conntrack: replies of allowed connections pass, and established
 * packets skip the policy (one lookup instead of up to a dozen).
 *
 * polc_ct is shared by all generations and outlives every swap. An entry
 * remembers the policy revision that allowed it: when the live revision
 * differs, the connection is judged again, once, in the direction that
 * opened it, and is forgotten if the new policy no longer allows it.
 *
 * Which packets own an entry: TCP, UDP, SCTP and any other non-ICMP
 * protocol (by addresses and ports, ports 0 when the protocol has none),
 * and ICMP echo. The requester's end of an echo carries the identifier,
 * the responder's end 0, so an echo reply finds its request's entry but
 * an echo request sent the other way does not. Other ICMP messages are
 * judged one by one; ICMP errors pass when the packet they quote belongs
 * to a known connection ("related").
 *
 * TCP is tracked loosely, as Cilium does: no sequence numbers, only
 * enough state to pick a lifetime (unanswered, established, closing).
 * A SYN without ACK from the responder's side is not a reply: it opens
 * a new connection and is judged as such (simultaneous open is thereby
 * judged twice, which a policy that allows one side and not the other
 * turns into a drop).
 *
 * Flag updates are plain stores, not atomic: two CPUs updating one entry
 * at once can lose a FIN flag, which only keeps a closing connection in
 * the table longer.
 */
#ifndef POLC_BPF_CONNTRACK_H
#define POLC_BPF_CONNTRACK_H

#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "maps_shared.h"
#include "context.h"
#include "parse.h"
#include "policy.h"
#include "verifier.h"

/* Does this packet belong to a connection that owns an entry? */
static __always_inline bool polc_ct_tracks(const struct polc_pkt *pkt)
{
	if (!polc_is_icmp(pkt))
		return true;
	return polc_is_echo_request(pkt->family, pkt->icmp_type) || polc_is_echo_reply(pkt->family, pkt->icmp_type);
}

/* Only an echo request opens an ICMP entry; a lone reply is judged but not tracked. */
static __always_inline bool polc_ct_opens(const struct polc_pkt *pkt)
{
	return !polc_is_icmp(pkt) || polc_is_echo_request(pkt->family, pkt->icmp_type);
}

/* (a, ap) < (b, bp): addresses compared as numbers, then ports. */
static __always_inline bool polc_ct_end_lt(const __be32 *a, __u16 ap, const __be32 *b, __u16 bp)
{
#pragma clang loop unroll(full)
	for (int w = 0; w < 4; w++) {
		__u32 x = bpf_ntohl(a[w]), y = bpf_ntohl(b[w]);

		if (x != y)
			return x < y;
	}
	return ap < bp;
}

/*
 * The canonical key of a connection end pair: lower end first, so both
 * directions compute the same key. Returns whether the source end is the
 * lower one.
 */
static __always_inline bool polc_ct_key_init(struct polc_ct_key *key, __u32 ifindex, __u8 family, __u8 proto,
					     const __be32 *saddr, __u16 sport, const __be32 *daddr, __u16 dport)
{
	bool src_is_lo = polc_ct_end_lt(saddr, sport, daddr, dport);

	polc_zero(key);
	key->ifindex = ifindex;
	key->family = family;
	key->proto = proto;
	if (src_is_lo) {
		__builtin_memcpy(key->addr_lo, saddr, 16);
		__builtin_memcpy(key->addr_hi, daddr, 16);
		key->port_lo = sport;
		key->port_hi = dport;
	} else {
		__builtin_memcpy(key->addr_lo, daddr, 16);
		__builtin_memcpy(key->addr_hi, saddr, 16);
		key->port_lo = dport;
		key->port_hi = sport;
	}
	return src_is_lo;
}

/* A TCP connection reset, or closed from both ends. */
static __always_inline bool polc_ct_closed(__u8 flags)
{
	const __u8 both_fin = POLC_CT_F_FIN_ORIG | POLC_CT_F_FIN_REPLY;

	return (flags & POLC_CT_F_RST) || (flags & both_fin) == both_fin;
}

static __always_inline __u64 polc_ct_lifetime(const struct polc_ct_entry *e, __u8 proto)
{
	__u8 flags = e->flags;

	if (proto != IPPROTO_TCP)
		return POLC_CT_LIFETIME_OTHER_NS;
	if (polc_ct_closed(flags))
		return POLC_CT_LIFETIME_CLOSE_NS;
	if (!(flags & POLC_CT_F_SEEN_REPLY))
		return POLC_CT_LIFETIME_SYN_NS;
	return POLC_CT_LIFETIME_TCP_NS;
}

static __always_inline bool polc_ct_expired(const struct polc_ct_entry *e, __u8 proto, __u64 now)
{
	__u64 last = e->last_seen_ns;

	/* Another CPU may have stored a slightly later time than ours. */
	return now > last && now - last > polc_ct_lifetime(e, proto);
}

static __always_inline bool polc_tcp_syn_only(const struct polc_pkt *pkt)
{
	return pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == POLC_TCP_SYN;
}

/*
 * The live entry of the packet's connection, or NULL: missing, expired,
 * or about to be replaced by a new connection (a SYN from the responder).
 */
static __always_inline struct polc_ct_entry *polc_ct_find(const struct polc_ct_key *key, const struct polc_ctx *c)
{
	struct polc_ct_entry *e = bpf_map_lookup_elem(&polc_ct, key);

	if (!e || polc_ct_expired(e, c->pkt.proto, c->now))
		return NULL;
	if (polc_tcp_syn_only(&c->pkt) && e->orig_dir != c->dir)
		return NULL;
	return e;
}

static __always_inline bool polc_ct_is_reply(const struct polc_ct_entry *e, const struct polc_ctx *c)
{
	return e->orig_dir != c->dir;
}

static __always_inline __u8 polc_ct_tcp_flags(__u8 flags, const struct polc_pkt *pkt, bool reply)
{
	if (pkt->proto != IPPROTO_TCP)
		return flags;
	/* A new SYN on a closed entry: the ends reuse their ports for a new connection. */
	if (!reply && polc_tcp_syn_only(pkt))
		flags &= POLC_CT_F_AUDITED;
	if (pkt->tcp_flags & POLC_TCP_RST)
		flags |= POLC_CT_F_RST;
	if (pkt->tcp_flags & POLC_TCP_FIN)
		flags |= reply ? POLC_CT_F_FIN_REPLY : POLC_CT_F_FIN_ORIG;
	return flags;
}

/*
 * Established fast path: record what the packet says about the
 * connection's state, and the time at most once per POLC_CT_REFRESH_NS
 * (writing it on every packet would bounce the entry's cache line
 * between CPUs). Nothing is written when nothing changed.
 */
static __always_inline void polc_ct_touch(struct polc_ct_entry *e, const struct polc_ctx *c, bool reply)
{
	__u8 flags = e->flags;
	__u8 new_flags = polc_ct_tcp_flags(reply ? flags | POLC_CT_F_SEEN_REPLY : flags, &c->pkt, reply);

	if (new_flags != flags)
		e->flags = new_flags;
	if (c->now > e->last_seen_ns + POLC_CT_REFRESH_NS)
		e->last_seen_ns = c->now;
}

/*
 * The L7 rule set a verdict gives a connection: HTTP sets on TCP, DNS
 * sets on TCP and UDP. A set on any other protocol gives none, and the
 * caller drops the packet (polc_l7_unjudgeable()).
 */
static __always_inline __u16 polc_ct_l7(const struct polc_ctx *c, const struct polc_verdict *v)
{
#if POLC_GEN_HAVE_L7
	if (!v->l7)
		return 0;
	if (c->pkt.proto == IPPROTO_TCP)
		return v->l7;
	if (c->pkt.proto == IPPROTO_UDP && polc_l7_is_dns(v->l7))
		return v->l7;
#endif
	return 0;
}

/* An allowed verdict whose L7 rules no judge can apply to this packet's protocol: fail closed. */
static __always_inline bool polc_l7_unjudgeable(const struct polc_ctx *c, const struct polc_verdict *v)
{
	return POLC_GEN_HAVE_L7 && v->verdict != POLC_VERDICT_DROP && v->l7 && !polc_ct_l7(c, v);
}

/* A connection that the current revision allows again, possibly for another reason. */
static __always_inline void polc_ct_revalidate(struct polc_ct_entry *e, const struct polc_ctx *c,
					       const struct polc_verdict *v)
{
	e->revision = c->revision;
	e->rule = v->rule;
	e->l7 = polc_ct_l7(c, v);
	if (v->verdict == POLC_VERDICT_AUDIT)
		e->flags |= POLC_CT_F_AUDITED;
	else
		e->flags &= ~POLC_CT_F_AUDITED;
}

static __always_inline void polc_ct_create(const struct polc_ct_key *key, bool src_is_lo, const struct polc_ctx *c,
					   const struct polc_verdict *v)
{
	struct polc_ct_entry e;

	polc_zero(&e);
	e.last_seen_ns = c->now;
	e.revision = c->revision;
	e.rule = v->rule;
	e.orig_dir = c->dir;
	e.orig_is_lo = src_is_lo;
	e.l7 = polc_ct_l7(c, v);
	e.flags = polc_ct_tcp_flags(v->verdict == POLC_VERDICT_AUDIT ? POLC_CT_F_AUDITED : 0, &c->pkt, false);
	/* On failure the packet still passes: it was allowed, only its replies are judged too. */
	bpf_map_update_elem(&polc_ct, key, &e, BPF_ANY);
}

/* The start of the packet an ICMP error quotes: its addresses, and ports or echo identifier. */
struct polc_quoted {
	__be32 saddr[4];
	__be32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
};

/*
 * Parse the quoted packet behind the 8-byte ICMP header. IPv6 extension
 * headers in the quote are not walked: such an error is judged as new.
 */
static __always_inline bool polc_ct_parse_quoted(struct __sk_buff *skb, const struct polc_pkt *pkt,
						 struct polc_quoted *q)
{
	__u32 off = pkt->l4_off + sizeof(struct polc_icmp_hdr);

	if (pkt->family == POLC_AF_INET) {
		struct iphdr ip;

		if (polc_load(skb, off, &ip, sizeof(ip)) || ip.version != 4 || ip.ihl < 5)
			return false;
		/* A later fragment quotes no ports. */
		if (bpf_ntohs(ip.frag_off) & POLC_IP_OFFSET)
			return false;
		q->proto = ip.protocol;
		q->saddr[0] = ip.saddr;
		q->daddr[0] = ip.daddr;
		off += ip.ihl * 4;
	} else {
		struct ipv6hdr ip6;

		if (polc_load(skb, off, &ip6, sizeof(ip6)) || ip6.version != 6)
			return false;
		q->proto = ip6.nexthdr;
		__builtin_memcpy(q->saddr, &ip6.saddr, 16);
		__builtin_memcpy(q->daddr, &ip6.daddr, 16);
		off += sizeof(ip6);
	}

	if (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP || q->proto == IPPROTO_SCTP) {
		struct polc_l4_ports ports;

		if (polc_load(skb, off, &ports, sizeof(ports)))
			return false;
		q->sport = bpf_ntohs(ports.source);
		q->dport = bpf_ntohs(ports.dest);
		return true;
	}
	if ((pkt->family == POLC_AF_INET && q->proto == IPPROTO_ICMP) ||
	    (pkt->family == POLC_AF_INET6 && q->proto == IPPROTO_ICMPV6)) {
		struct polc_icmp_hdr icmp;

		if (polc_load(skb, off, &icmp, sizeof(icmp)))
			return false;
		/* Only an echo has a connection; an error about an error has none. */
		if (polc_is_echo_request(pkt->family, icmp.type))
			q->sport = bpf_ntohs(icmp.id);
		else if (polc_is_echo_reply(pkt->family, icmp.type))
			q->dport = bpf_ntohs(icmp.id);
		else
			return false;
		return true;
	}
	return false;
}

/*
 * Is this ICMP error about a connection we know? The error goes back to
 * the sender of the packet it quotes, so the quote's source must be the
 * error's destination; any router on the path may be the error's source.
 * On success *rule is the connection's rule, for the counters.
 * Global (verifier.h, lesson 7), like polc_parse().
 */
POLC_GLOBAL bool polc_ct_related(struct __sk_buff *skb, const struct polc_ctx *c, __u32 *rule)
{
	struct polc_quoted q;
	struct polc_ct_key key;

	if (!c || !rule)
		return false;
	polc_zero(&q);
	if (!polc_ct_parse_quoted(skb, &c->pkt, &q))
		return false;
#pragma clang loop unroll(full)
	for (int w = 0; w < 4; w++)
		if (q.saddr[w] != c->pkt.daddr[w])
			return false;

	polc_ct_key_init(&key, c->ifindex, c->pkt.family, q.proto, q.saddr, q.sport, q.daddr, q.dport);

	const struct polc_ct_entry *e = bpf_map_lookup_elem(&polc_ct, &key);

	if (!e || polc_ct_expired(e, q.proto, c->now))
		return false;
	*rule = e->rule;
	return true;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * DNS rules and toFQDN learning on the flows a DNS rule set covers (a
 * pod's egress to a DNS server on a port with rules.dns), with no
 * proxy. Only compiled when the generation has DNS rules; flows without
 * a DNS set never get here (their conntrack entry has l7 0).
 *
 * Where: the pod's host-side interface. Its queries arrive on tc
 * ingress (the pod's egress), the answers leave on tc egress towards
 * the pod: both cross the same hook, as for HTTP (http.h).
 *
 * Queries (dns_parse.h polc_dns_query): the question name is matched
 * against the flow's DNS set. Allowed: the query goes on. Refused: it
 * never reaches the server, and the client gets a REFUSED answer at
 * once, made from the query itself (dns_reply.h), which is what
 * Cilium's proxy sends. Malformed: dropped. In audit mode refusals pass,
 * reported.
 *
 * Answers (polc_dns_answer): checked (malformed ones are dropped), and
 * their A and AAAA addresses learned for the toFQDNs selectors of the
 * pod's egress policy that the question name matches (fqdn.h), before
 * the answer goes on to the pod. An answer carrying addresses for a
 * question name the flow's DNS rules do not allow (which only a server
 * that ignores the query can send) is dropped: nothing is learned from
 * names the pod may not look up.
 *
 * UDP: each datagram is one message. A first IP fragment of an answer
 * (a large EDNS answer) is learned from as far as it goes; later
 * fragments follow its verdict (fragments.h). Queries must not be
 * fragmented.
 *
 * TCP (RFC 7766): each message is a 2-byte length and the message. The
 * client's segments are judged in sequence order (state in polc_l7, mode
 * POLC_L7_M_DNS): a segment must start at the next unjudged byte and
 * hold whole messages (DNS clients write each query whole; one split
 * across segments is refused). A segment that repeats bytes passes when
 * the server acknowledged them, or when it repeats the last judged
 * segment exactly (judged again, whole, the same way). Everything else
 * is dropped. A refused query alone in its segment gets a REFUSED answer
 * with FIN (the server never saw the query, so the connection cannot go
 * on) and the server a reset; a refused segment of several messages, or
 * a malformed one, resets both ends. The server's segments are learned
 * from where a message starts in them (its length prefix), as far as
 * the segment goes; a malformed answer is dropped, every time it is sent.
 */
#ifndef POLC_BPF_DNS_H
#define POLC_BPF_DNS_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "context.h"
#include "counters.h"
#include "dns_parse.h"
#include "dns_reply.h"
#include "events.h"
#include "fqdn.h"
#include "l7_sets.h"
#include "maps_shared.h"
#include "tcp_reply.h"
#include "tcp_seg.h"
#include "verifier.h"

#define POLC_DNS_PASS TC_ACT_UNSPEC
#define POLC_DNS_DROP TC_ACT_SHOT

/* Messages judged per TCP segment (a client pipelining queries). */
#define POLC_DNS_TCP_MAX_MSGS 8

/* ---- learning --------------------------------------------------------------------- */

/* bpf_loop callback: address i of the answer, under the selectors of s->list. */
static long polc_dns_learn_cb(__u32 i, void *ctx)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s || i >= s->n_addrs || i >= POLC_GEN_DNS_MAX_ADDRS)
		return 1;
	polc_barrier_var(i);

	__u32 a = s->addr[i];
	bool v6 = a & 0x8000;
	struct polc_fqdn_key *k = &s->fkey;

	polc_fqdn_key_init(k, s->ifindex, v6 ? POLC_AF_INET6 : POLC_AF_INET);
	__builtin_memcpy(k->addr, s->msg + (a & POLC_DNS_MASK), 16);
	if (!v6)
		__builtin_memset(k->addr + 4, 0, 12);

	__u32 list = s->list;

	if (list >= POLC_FQDN_LISTS_LEN)
		return 1;
	polc_barrier_var(list);

	__u32 n = polc_fqdn_lists[list];

	polc_barrier_var(n);

#pragma clang loop unroll(full)
	for (__u32 j = 0; j < POLC_FQDN_SLOTS; j++) {
		__u32 idx = list + 1 + j;

		if (j >= n || idx >= POLC_FQDN_LISTS_LEN)
			break;
		polc_fqdn_learn(k, &s->fval, polc_fqdn_lists[idx], s->expires, s->now_s);
	}
	return 0;
}

/* polc_dns_answer(): the frame holds only the start of the message (a bit no POLC_L7_A_* uses). */
#define POLC_DNS_ANS_PARTIAL (1u << 8)

/*
 * The answer at frame [off, off + len), to a query judged by the DNS set
 * in args (<< POLC_L7_A_SET_SHIFT), on its way to c's endpoint: checked,
 * and its addresses learned. 0: pass it; -1: drop it. Global (lesson 7).
 */
POLC_GLOBAL int polc_dns_answer(struct __sk_buff *skb, const struct polc_ctx *c, __u32 off, __u32 len, __u32 args)
{
	struct polc_dns_scratch *s = polc_dns_scratch();
	bool partial = args & POLC_DNS_ANS_PARTIAL;

	if (!s || !c)
		return -1;
	if (polc_dns_load(skb, s, off, len, partial))
		return partial ? 0 : -1;
	if (partial)
		s->partial = 1;

	__u32 flags = polc_dns_u16(s, 2);

	if (!(flags & POLC_DNS_F_QR) || polc_dns_u16(s, 4) != 1)
		return -1;

	const struct polc_dns_dfa *group = NULL;

	if (POLC_GEN_HAVE_FQDN)
		group = polc_fqdn_group_dfa(c->ep.policy[POLC_DIR_EGRESS]);

	int q = polc_dns_question(s, polc_dns_set_dfa(args >> POLC_L7_A_SET_SHIFT), group);

	if (q < 0)
		return s->partial && s->err == POLC_DNS_E_SHORT ? 0 : -1;
	if (polc_dns_records(s, (__u32)q))
		return -1;
	if (!s->n_addrs)
		return 0;
	if (!polc_dns_accept_of(&s->w[0], s->st[0]))
		return -1;

	__u32 list = polc_dns_accept_of(&s->w[1], s->st[1]);

	polc_barrier_var(list);
	if (!list)
		return 0;

	__u32 ttl = s->ttl;

	if (ttl < POLC_GEN_FQDN_MIN_TTL)
		ttl = POLC_GEN_FQDN_MIN_TTL;
	if (ttl > POLC_GEN_FQDN_MAX_TTL)
		ttl = POLC_GEN_FQDN_MAX_TTL;
	s->now_s = polc_now_s(c->now);
	s->expires = s->now_s + ttl;
	s->list = list;
	s->ifindex = c->ifindex;
	bpf_loop(POLC_GEN_DNS_MAX_ADDRS, polc_dns_learn_cb, NULL, 0);
	return 0;
}

/* ---- UDP ------------------------------------------------------------------------------ */

/* A UDP datagram of the flow. Global (lesson 7): its frame stays off the caller's. */
POLC_GLOBAL int polc_dns_udp(struct __sk_buff *skb, const struct polc_ctx *c, __u32 args, __u32 rule)
{
	if (!c)
		return POLC_DNS_DROP;

	struct udphdr udp;

	if (polc_load(skb, c->pkt.l4_off, &udp, sizeof(udp)))
		return POLC_DNS_DROP;

	__u32 off = c->pkt.l4_off + sizeof(udp), ulen = bpf_ntohs(udp.len);

	if (ulen < sizeof(udp))
		return POLC_DNS_DROP;

	__u32 len = ulen - sizeof(udp);
	bool audit = args & POLC_L7_A_AUDIT;

	if (args & POLC_L7_A_REPLY) {
		/* A first fragment: the datagram's start only. */
		if (c->pkt.frag == POLC_FRAG_FIRST) {
			__u32 have = skb->len > off ? skb->len - off : 0;

			if (have < len)
				return polc_dns_answer(skb, c, off, have, args | POLC_DNS_ANS_PARTIAL) ? POLC_DNS_DROP
													  : POLC_DNS_PASS;
		} else if (off + len > skb->len) {
			return POLC_DNS_DROP;
		}
		if (!polc_dns_answer(skb, c, off, len, args))
			return POLC_DNS_PASS;
		polc_event(c, POLC_VERDICT_DROP, POLC_REASON_DNS_MALFORMED, rule);
		return POLC_DNS_DROP;
	}

	__u32 allow_rule = rule;
	int r = POLC_DNS_BAD;

	if (c->pkt.frag == POLC_FRAG_NONE && off + len <= skb->len)
		r = polc_dns_query(skb, off, len, args >> POLC_L7_A_SET_SHIFT, &allow_rule);
	if (r == POLC_DNS_ALLOW) {
		polc_event(c, POLC_VERDICT_ALLOW, POLC_REASON_DNS, allow_rule);
		return POLC_DNS_PASS;
	}
	if (audit) {
		polc_event(c, POLC_VERDICT_AUDIT, r == POLC_DNS_REFUSE ? POLC_REASON_DNS : POLC_REASON_DNS_MALFORMED, rule);
		return POLC_DNS_PASS;
	}
	polc_event(c, POLC_VERDICT_DROP, r == POLC_DNS_REFUSE ? POLC_REASON_DNS : POLC_REASON_DNS_MALFORMED, rule);
	if (r != POLC_DNS_REFUSE || polc_dns_refuse_udp(skb, &c->pkt, off))
		return POLC_DNS_DROP;
	return bpf_redirect(c->ifindex, polc_back_flags(c));
}

/* ---- TCP ------------------------------------------------------------------------------ */

/*
 * Judge the client's messages in frame [off, end): POLC_DNS_ALLOW when
 * every one is allowed (*rule: the first one's rule), else why not.
 * Global (lesson 7): its frame is not on the TCP path's.
 */
POLC_GLOBAL int polc_dns_tcp_queries(struct __sk_buff *skb, __u32 off, __u32 end, __u32 set, __u32 *rule)
{
	if (!rule)
		return POLC_DNS_BAD;

	int verdict = POLC_DNS_ALLOW;

	/* Lesson 14 (verifier.h): a loop, not 8 copies on the frame. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < POLC_DNS_TCP_MAX_MSGS; i++) {
		if (off >= end)
			return verdict;

		__be16 len_be;

		if (off + 2 > end || polc_load(skb, off, &len_be, sizeof(len_be)))
			return POLC_DNS_BAD; /* a message split across segments */

		__u32 len = bpf_ntohs(len_be);

		if (off + 2 + len > end)
			return POLC_DNS_BAD;

		__u32 r = *rule;
		int v = polc_dns_query(skb, off + 2, len, set, &r);

		if (v != POLC_DNS_ALLOW)
			return v;
		if (i == 0)
			*rule = r;
		off += 2 + len;
	}
	return off >= end ? verdict : POLC_DNS_BAD;
}

/*
 * The server's segment: acknowledgements, and the answers that start in
 * it. Global (lesson 7): its frame stays off the caller's.
 */
POLC_GLOBAL int polc_dns_tcp_server(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_ct_key *key,
				    __u32 args)
{
	struct polc_dns_scratch *scr = polc_dns_scratch();

	if (!c || !key || !scr)
		return POLC_DNS_DROP;

	struct polc_tcp_seg *t = &scr->seg;
	struct polc_l7_flow *f = bpf_map_lookup_elem(&polc_l7, key);

	polc_zero(t);
	if (c->pkt.frag != POLC_FRAG_NONE || (args & POLC_L7_A_SPOOFED) || polc_tcp_seg_load(skb, &c->pkt, t))
		return POLC_DNS_DROP;
	if (!f)
		return t->flags & POLC_TCP_RST ? POLC_DNS_PASS : POLC_DNS_DROP;

	__u8 flags = t->flags;

	/* Refused: resets pass, and the REFUSED answer polc sent (it starts at inj_seq). */
	if (POLC_READ_ONCE(f->mode) == POLC_L7_M_DENIED)
		return (flags & POLC_TCP_RST) || t->seq == POLC_READ_ONCE(f->inj_seq) ? POLC_DNS_PASS : POLC_DNS_DROP;
	if ((flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == (POLC_TCP_SYN | POLC_TCP_ACK)) {
		if (POLC_READ_ONCE(f->mode) == POLC_L7_M_SYN && t->ack == POLC_READ_ONCE(f->next_seq)) {
			f->srv_nxt = t->seq + 1;
			f->srv_flags |= POLC_L7_F_SYNACK;
		}
		return POLC_DNS_PASS;
	}
	if (flags & POLC_TCP_ACK) {
		__u32 ack = t->ack, cur = POLC_READ_ONCE(f->srv_ack);

		if ((__s32)(cur - ack) < 0 && (__s32)(ack - POLC_READ_ONCE(f->next_seq)) <= 0)
			f->srv_ack = ack;
	}

	__u32 n = t->payload_len, at = POLC_READ_ONCE(f->srv_nxt) - t->seq;

	/* Learn from the message whose length prefix is in this segment, if any. */
	if (!n || !(f->srv_flags & POLC_L7_F_SYNACK) || at >= n)
		return POLC_DNS_PASS;

	__u32 off = t->payload_off + at, end = t->payload_off + n;

#pragma clang loop unroll(disable)
	for (int i = 0; i < POLC_DNS_TCP_MAX_MSGS; i++) {
		__be16 len_be;

		if (off + 2 > end || polc_load(skb, off, &len_be, sizeof(len_be)))
			break;

		__u32 len = bpf_ntohs(len_be), have = end - (off + 2);
		bool cut = have < len;

		/*
		 * A malformed answer is dropped, and the start of the next message
		 * stays where it was: the retransmission is judged, and dropped,
		 * again.
		 */
		if (polc_dns_answer(skb, c, off + 2, cut ? have : len, cut ? args | POLC_DNS_ANS_PARTIAL : args)) {
			polc_event(c, POLC_VERDICT_DROP, POLC_REASON_DNS_MALFORMED, f->rule);
			return POLC_DNS_DROP;
		}
		f->srv_nxt = t->seq + (off - t->payload_off) + 2 + len;
		if (cut)
			break;
		off += 2 + len;
	}
	return POLC_DNS_PASS;
}

/* A new connection (the client's SYN): its state. */
static __always_inline int polc_dns_tcp_new(const struct polc_ct_key *key, __u32 isn_next, __u32 set, __u32 rule)
{
	struct polc_l7_flow f;

	polc_zero(&f);
	f.next_seq = isn_next;
	f.chk_seq = isn_next;
	f.srv_ack = isn_next;
	f.set = set;
	f.rule = rule;
	f.mode = POLC_L7_M_SYN;
	return bpf_map_update_elem(&polc_l7, key, &f, BPF_ANY) ? POLC_DNS_DROP : POLC_DNS_PASS;
}

/* polc_dns_tcp_client(): the segment's messages are to be judged ([tj_off, tj_end) in the scratch map). */
#define POLC_DNS_TCP_JUDGE 0x10000

/*
 * A client's TCP segment of the flow: the state machine. Returns a tc action,
 * or POLC_DNS_TCP_JUDGE for a client segment whose messages the caller
 * judges (polc_dns_tcp_queries) and then settles (polc_dns_tcp_settle).
 * Three calls instead of one because the stack of the deepest call
 * chain is 512 bytes: the judging chain (query, name, labels) must not
 * start below this function's frame. Global (lesson 7).
 */
POLC_GLOBAL int polc_dns_tcp_client(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_ct_key *key,
				    __u32 args, __u32 rule)
{
	struct polc_dns_scratch *scr = polc_dns_scratch();

	if (!c || !key || !scr)
		return POLC_DNS_DROP;

	/* In the scratch map, as everything of this path that can be. */
	struct polc_tcp_seg *t = &scr->seg;

	polc_zero(t);
	if (c->pkt.frag != POLC_FRAG_NONE || (args & POLC_L7_A_SPOOFED))
		return POLC_DNS_DROP;
	if (polc_tcp_seg_load(skb, &c->pkt, t))
		return POLC_DNS_DROP;

	struct polc_l7_flow *f = bpf_map_lookup_elem(&polc_l7, key);
	__u32 set = args >> POLC_L7_A_SET_SHIFT;
	__u8 flags = t->flags;

	if (!f) {
		if ((flags & (POLC_TCP_SYN | POLC_TCP_ACK | POLC_TCP_RST | POLC_TCP_FIN)) == POLC_TCP_SYN && !t->payload_len)
			return polc_dns_tcp_new(key, t->seq + 1, set, rule);
		/* A connection polc did not see start: where would a message start? */
		if (flags & POLC_TCP_RST)
			return POLC_DNS_PASS;
		polc_event(c, POLC_VERDICT_DROP, POLC_REASON_DNS_MALFORMED, rule);
		return polc_tcp_reset_back(skb, c, t, t->seq + t->payload_len);
	}
	if (flags & POLC_TCP_RST)
		return POLC_DNS_PASS;

	__u8 mode = POLC_READ_ONCE(f->mode);

	if (mode == POLC_L7_M_DENIED) {
		/* Nothing more reaches the server; what the client still sends gets a reset. */
		if (!t->payload_len && !(flags & (POLC_TCP_FIN | POLC_TCP_SYN)))
			return POLC_DNS_DROP;
		return polc_tcp_reset_back(skb, c, t, t->seq + t->payload_len + (flags & POLC_TCP_FIN ? 1 : 0));
	}
	if ((flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == POLC_TCP_SYN) {
		/* A new SYN: before any data, or after the connection closed. */
		if ((mode != POLC_L7_M_SYN && !(args & POLC_L7_A_CT_CLOSED)) || t->payload_len)
			return POLC_DNS_DROP;
		return polc_dns_tcp_new(key, t->seq + 1, set, rule);
	}
	if (flags & POLC_TCP_SYN)
		return POLC_DNS_DROP;
	if (mode == POLC_L7_M_SYN) {
		if (!(POLC_READ_ONCE(f->srv_flags) & POLC_L7_F_SYNACK))
			return t->payload_len || (flags & POLC_TCP_FIN) ? POLC_DNS_DROP : POLC_DNS_PASS;
		f->mode = POLC_L7_M_DNS; /* racing CPUs store the same */
	}
	if (!t->payload_len)
		return POLC_DNS_PASS;

	__u32 next = POLC_READ_ONCE(f->next_seq), s = t->seq, e = s + t->payload_len;

	if ((__s32)(next - s) < 0)
		return POLC_DNS_DROP; /* a gap: the client sends the missing bytes again */
	if (s != next) {
		if ((__s32)(e - POLC_READ_ONCE(f->srv_ack)) <= 0)
			return POLC_DNS_PASS; /* the server has these bytes: it drops the copy */
		if (s != POLC_READ_ONCE(f->chk_seq) || t->payload_len != POLC_READ_ONCE(f->aux))
			return POLC_DNS_DROP;
	}
	scr->tj_next = next;
	scr->tj_off = t->payload_off;
	scr->tj_end = t->payload_off + t->payload_len;

	__be16 mlen;

	scr->tj_single = !polc_load(skb, t->payload_off, &mlen, sizeof(mlen)) && bpf_ntohs(mlen) + 2 == t->payload_len;
	return POLC_DNS_TCP_JUDGE;
}

/*
 * Settle a judged client segment (scratch: the segment, and tj_next, the
 * stream position when it was judged): r is polc_dns_tcp_queries()'s
 * verdict, allow_rule the rule it found. A fresh segment moves the
 * stream on, a repeat only passes; a refusal resets both ends and closes
 * the connection for good. Global (lesson 7).
 */
POLC_GLOBAL int polc_dns_tcp_settle(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_ct_key *key,
				    __u32 args, __u32 r_rule)
{
	struct polc_dns_scratch *scr = polc_dns_scratch();

	if (!c || !key || !scr)
		return POLC_DNS_DROP;

	struct polc_l7_flow *f = bpf_map_lookup_elem(&polc_l7, key);

	if (!f)
		return POLC_DNS_DROP;

	struct polc_tcp_seg *t = &scr->seg;
	__u32 r = r_rule >> 30, allow_rule = r_rule & 0x3fffffff, rule = f->rule;
	__u32 next = scr->tj_next, s = t->seq, e = s + t->payload_len;
	bool fresh = s == next;

	if (r == POLC_DNS_ALLOW || (args & POLC_L7_A_AUDIT)) {
		if (r != POLC_DNS_ALLOW)
			polc_event(c, POLC_VERDICT_AUDIT, r == POLC_DNS_REFUSE ? POLC_REASON_DNS : POLC_REASON_DNS_MALFORMED,
				   rule);
		if (!fresh)
			return POLC_DNS_PASS;
		/* One CPU moves the stream on; a racing copy of the same segment is dropped. */
		if (__sync_val_compare_and_swap(&f->next_seq, next, e) != next)
			return POLC_DNS_DROP;
		f->chk_seq = s;
		f->aux = t->payload_len;
		if (r == POLC_DNS_ALLOW)
			polc_event(c, POLC_VERDICT_ALLOW, POLC_REASON_DNS, allow_rule);
		return POLC_DNS_PASS;
	}
	if (!fresh)
		return POLC_DNS_DROP;
	polc_event(c, POLC_VERDICT_DROP, r == POLC_DNS_REFUSE ? POLC_REASON_DNS : POLC_REASON_DNS_MALFORMED, rule);

	struct polc_ct_entry *ct = bpf_map_lookup_elem(&polc_ct, key);

	if (ct)
		ct->flags |= POLC_CT_F_RST;
	/*
	 * One refused query in the segment: the client gets its REFUSED answer
	 * (with FIN, acknowledging the query), the server a reset. Else
	 * (malformed, several messages) resets both ways (tcp_reply.h).
	 */
	bool single = scr->tj_single && r == POLC_DNS_REFUSE && (t->flags & POLC_TCP_ACK);
	__u32 to_client = POLC_TCP_ACK | POLC_TCP_RST, ack = e + (t->flags & POLC_TCP_FIN ? 1 : 0);

	f->inj_seq = t->ack;
	f->mode = POLC_L7_M_DENIED;
	if (single) {
		int len = polc_dns_refused_payload(skb, t->payload_off);

		if (len < 0)
			return POLC_DNS_DROP;
		to_client = POLC_TCP_ACK | POLC_TCP_PSH | POLC_TCP_FIN | POLC_TCP_REPLY_PAYLOAD(len);
		ack = s + (__u32)len;
	}
	return polc_tcp_refuse(skb, c, t, ack, to_client);
}

/*
 * One packet of a flow under DNS set (args >> POLC_L7_A_SET_SHIFT); rule
 * is the flow's. Returns the tc action. Inlined into the caller: every
 * frame counts against the 512 bytes of the deepest call chain.
 */
static __always_inline int polc_dns_packet(struct __sk_buff *skb, const struct polc_ctx *c,
					   const struct polc_ct_key *key, __u32 args, __u32 rule)
{
	if (c->pkt.proto == IPPROTO_UDP)
		return polc_dns_udp(skb, c, args, rule);
	if (c->pkt.proto != IPPROTO_TCP)
		return POLC_DNS_DROP; /* DNS rules on a protocol that carries no DNS polc reads (SCTP) */
	if (args & POLC_L7_A_REPLY)
		return polc_dns_tcp_server(skb, c, key, args);

	int a = polc_dns_tcp_client(skb, c, key, args, rule);

	if (a != POLC_DNS_TCP_JUDGE)
		return a;

	struct polc_dns_scratch *scr = polc_dns_scratch();

	if (!scr)
		return POLC_DNS_DROP;

	__u32 allow_rule = rule;
	int r = polc_dns_tcp_queries(skb, scr->tj_off, scr->tj_end, args >> POLC_L7_A_SET_SHIFT, &allow_rule);

	return polc_dns_tcp_settle(skb, c, key, args, (__u32)r << 30 | (allow_rule & 0x3fffffff));
}

#endif

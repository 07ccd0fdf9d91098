/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * TCP answers to a refused segment, for HTTP (a 403 or a reset) and DNS
 * over TCP (REFUSED or a reset): the segment's frame rewritten into a
 * segment from the other end (polc_tcp_reply()), sent back to the
 * sender (polc_tcp_reset_back()), or cloned back to it and then turned
 * around again into a reset for the receiver (polc_tcp_refuse()). What
 * the answer says (its payload) is the caller's: http_reply.h,
 * dns_reply.h. Where "back" is: reply.h.
 *
 * Numbers. An answer to the sender starts at the sender's
 * acknowledgement (the next byte it expects from the other end) and
 * acknowledges what the caller says (the whole refused segment, so the
 * sender takes the answer at once and retransmits nothing). The
 * receiver's reset carries the refused segment's sequence number: the
 * next byte the receiver expects, which is what RFC 5961 makes it
 * accept. A segment without ACK tells nothing the sender would accept:
 * it is dropped unanswered.
 *
 * Segments are 20-byte headers without options; Linux accepts segments
 * without the timestamp option on a connection that negotiated it (RFC
 * 7323 lets a receiver drop them: a stack that does sees only the reset
 * that follows). bpf_skb_change_tail() also drops GSO state: a refused
 * super-packet becomes one small segment.
 *
 * Checksums. Packets a pod sends over veth usually carry
 * CHECKSUM_PARTIAL: the TCP checksum field holds only the pseudo-header
 * sum, completed later (by the NIC, or in software on the way out);
 * others carry a full checksum. A tc program cannot read ip_summed, so
 * the change goes through bpf_l4_csum_replace() in two calls built so
 * that both cases end right: one without BPF_F_PSEUDO_HDR, which the
 * kernel applies only to full checksums, carrying the difference between
 * the new full sum and what the second call will add; and one with it,
 * which both cases apply, carrying the pseudo-header's change (length,
 * addresses' order).
 */
#ifndef POLC_BPF_TCP_REPLY_H
#define POLC_BPF_TCP_REPLY_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "context.h"
#include "parse.h"
#include "reply.h"
#include "tcp_seg.h"
#include "verifier.h"

/* Payload bytes an answer can carry: bpf_csum_diff() sums at most 512 bytes at once. */
#define POLC_TCP_REPLY_MAX 512

/* polc_tcp_reply()'s flags: the answer carries the first len bytes of polc_tcp_tx()->payload. */
#define POLC_TCP_REPLY_PAYLOAD(len) ((__u32)(len) << 16)

/*
 * An answer being made, in a per-CPU map (the stack is short). A clone
 * sent back may run our egress program again, nested on this CPU, and
 * that run may make answers of its own here: nothing in it outlives a
 * polc_tcp_reply() call but the payload, which the caller writes just
 * before the call that sends it.
 */
struct polc_tcp_tx {
	struct polc_reply_hdrs hdrs;
	struct tcphdr tcp, tcp_out;
	__u8 payload[POLC_TCP_REPLY_MAX] __attribute__((aligned(8))); /* zero padded to 4 bytes by polc_tcp_reply() */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct polc_tcp_tx);
} polc_tcp_txs SEC(".maps");

static __always_inline struct polc_tcp_tx *polc_tcp_tx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&polc_tcp_txs, &zero);
}

/* The answer's TCP header: ports swapped, no options, the checksum zero (summed later). */
static __always_inline void polc_reply_tcp(struct tcphdr *out, const struct tcphdr *in, __u32 seq, __u32 ack,
					   __u8 flags)
{
	polc_zero(out);
	out->source = in->dest;
	out->dest = in->source;
	out->seq = bpf_htonl(seq);
	out->ack_seq = bpf_htonl(ack);
	out->doff = 5;
	((__u8 *)out)[13] = flags;
	out->window = bpf_htons(flags & POLC_TCP_RST ? 0 : 65535);
}

/*
 * Rewrite the frame into a TCP segment from the other end: MACs,
 * addresses and ports swapped, seq and ack, the TCP flags in the low
 * byte of flags and, with POLC_TCP_REPLY_PAYLOAD(len), that payload.
 * 0, or -1 when the frame cannot be rewritten (the caller drops it: it
 * may be half rewritten). Global (lesson 7): every answer, one
 * verification.
 */
POLC_GLOBAL int polc_tcp_reply(struct __sk_buff *skb, const struct polc_pkt *pkt, __u32 seq, __u32 ack, __u32 flags)
{
	struct polc_tcp_tx *x = polc_tcp_tx();

	if (!x || !pkt)
		return -1;

	__u32 len = flags >> 16, padded = (len + 3) & ~3u;

	if (len > POLC_TCP_REPLY_MAX || padded > POLC_TCP_REPLY_MAX)
		return -1;
	/* Lesson 12 (verifier.h): the sizes the helpers get are the checked registers. */
	polc_barrier_var(len);
	polc_barrier_var(padded);
	if (len > POLC_TCP_REPLY_MAX || padded > POLC_TCP_REPLY_MAX)
		return -1;
	/* The payload is summed in 4-byte words: zero the bytes up to the next one. */
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < 3; i++)
		if (len + i < padded)
			x->payload[(len + i) & (POLC_TCP_REPLY_MAX - 1)] = 0;

	__u32 l4 = pkt->l4_off, new_l4 = sizeof(struct tcphdr) + len;
	__sum16 old_check;

	if (polc_load(skb, l4, &x->tcp, sizeof(x->tcp)))
		return -1;
	old_check = x->tcp.check;
	polc_reply_tcp(&x->tcp_out, &x->tcp, seq, ack, flags & 0xff);
	if (polc_reply_hdrs(skb, pkt, &x->hdrs, new_l4))
		return -1;

	/* The new segment's full sum: pseudo-header, header with a zero checksum, payload. */
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)&x->tcp_out, sizeof(x->tcp_out), x->hdrs.ph_sum);

	if (s >= 0 && padded)
		s = bpf_csum_diff(NULL, 0, (__be32 *)x->payload, padded, (__u32)s);
	if (s < 0)
		return -1;

	__u32 full = (__u32)s, d_pseudo = x->hdrs.ph_diff;

	if (bpf_skb_change_tail(skb, l4 + new_l4, 0) || polc_reply_hdrs_store(skb, pkt, &x->hdrs))
		return -1;
	/* The old checksum stays in the field for the two replace calls below. */
	x->tcp_out.check = old_check;
	if (bpf_skb_store_bytes(skb, l4, &x->tcp_out, sizeof(x->tcp_out), 0))
		return -1;
	if (len && bpf_skb_store_bytes(skb, l4 + sizeof(struct tcphdr), x->payload, len, 0))
		return -1;

	/*
	 * Full checksum: final = ~fold(d1 + d2 - old), so d1 = full - d2 + old.
	 * CHECKSUM_PARTIAL: only the pseudo-header call applies: old + d2.
	 */
	__u32 csum_off = l4 + __builtin_offsetof(struct tcphdr, check);
	__u32 d1 = polc_csum_add(polc_csum_sub(full, d_pseudo), (__u32)old_check);

	if (bpf_l4_csum_replace(skb, csum_off, 0, d1, 0) ||
	    bpf_l4_csum_replace(skb, csum_off, 0, d_pseudo, BPF_F_PSEUDO_HDR))
		return -1;
	return 0;
}

/*
 * Answer t with a reset back to its sender: it starts at t's
 * acknowledgement and acknowledges up to ack. Returns the tc action.
 */
static __always_inline int polc_tcp_reset_back(struct __sk_buff *skb, const struct polc_ctx *c,
					       const struct polc_tcp_seg *t, __u32 ack)
{
	if (!(t->flags & POLC_TCP_ACK) || polc_tcp_reply(skb, &c->pkt, t->ack, ack, POLC_TCP_ACK | POLC_TCP_RST))
		return TC_ACT_SHOT;
	return bpf_redirect(c->ifindex, polc_back_flags(c));
}

/*
 * Refuse t both ways: its sender gets an answer with flags (see
 * polc_tcp_reply()) that acknowledges up to ack, cloned back; the skb,
 * turned around again, goes on as a reset for the receiver at t's start.
 * Returns the tc action.
 */
static __always_inline int polc_tcp_refuse(struct __sk_buff *skb, const struct polc_ctx *c,
					   const struct polc_tcp_seg *t, __u32 ack, __u32 flags)
{
	/*
	 * Copied first: the clone sent back crosses our egress hook at once,
	 * nested on this CPU, and that run may reuse the memory t lives in
	 * (DNS keeps it in its scratch map).
	 */
	__u32 t_seq = t->seq, t_ack = t->ack;

	if (!(t->flags & POLC_TCP_ACK) || polc_tcp_reply(skb, &c->pkt, t_ack, ack, flags))
		return TC_ACT_SHOT;
	bpf_clone_redirect(skb, c->ifindex, polc_back_flags(c));
	/* Turned around again: the original direction, a reset at the refused segment's start. */
	if (polc_tcp_reply(skb, &c->pkt, t_seq, t_ack, POLC_TCP_ACK | POLC_TCP_RST))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * L7 HTTP enforcement on the TCP connections that an HTTP rule set
 * covers: every request head the client sends is judged before it
 * reaches the server, with no proxy. Only compiled when the generation
 * has HTTP rules (POLC_GEN_HAVE_L7_HTTP); connections without a rule
 * set never get here (their conntrack entry has l7 0).
 *
 * Where: the hook of the endpoint whose policy holds the rule. A pod's
 * egress rule is judged on tc ingress of its host-side interface (the
 * client's requests arrive there from the pod), a pod's ingress rule on
 * tc egress (requests leave there for the pod). Both directions of the
 * connection cross that hook, so one state per (interface, connection)
 * sees the client's bytes and the server's acknowledgements.
 *
 * How (polc/layout.h, struct polc_l7_flow): the client's byte stream is
 * judged in sequence order, segment by segment (http_parse.h). No data
 * passes before the server's SYN-ACK. A segment that starts past the
 * next byte to judge is dropped (the client sends the missing bytes
 * again); one that repeats bytes already judged passes only where that
 * cannot change what the server reads: bytes the server acknowledged,
 * body bytes, or a repeat of the last segment with framing judged again
 * to the same state. Everything else fails closed.
 *
 * A refused request never reaches the server: the segment that carries
 * it is turned into the client's answer (tcp_reply.h, http_reply.h) and
 * a reset for the server, and the connection is closed for good. The
 * client gets "HTTP/1.1 403 Forbidden" when that cannot be mistaken for
 * the answer to an earlier request (the server has answered every
 * request passed so far and sent nothing the client has not
 * acknowledged), else a reset. A request polc cannot judge gets resets.
 * Later packets of the connection get resets too, with sequence numbers
 * taken from them, so neither end can stay half-open.
 *
 * Concurrency: the client side writes its fields under a sequence lock
 * (compare-and-swap), so two CPUs judging segments of one connection
 * cannot both pass theirs from the same state: the loser drops its
 * segment. The server side only writes its own fields (srv_*, answered).
 */
#ifndef POLC_BPF_HTTP_H
#define POLC_BPF_HTTP_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "context.h"
#include "counters.h"
#include "events.h"
#include "http_parse.h"
#include "http_reply.h"
#include "maps_shared.h"
#include "verifier.h"

/* Sequence number comparisons, modulo 2^32. */
static __always_inline bool polc_seq_lt(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline bool polc_seq_le(__u32 a, __u32 b)
{
	return (__s32)(a - b) <= 0;
}

/* polc_http_packet() arguments packed into one scalar: every L7 judge's (l7_sets.h). */
#define POLC_HTTP_A_REPLY POLC_L7_A_REPLY
#define POLC_HTTP_A_SPOOFED POLC_L7_A_SPOOFED
#define POLC_HTTP_A_CT_CLOSED POLC_L7_A_CT_CLOSED
#define POLC_HTTP_A_AUDIT POLC_L7_A_AUDIT
#define POLC_HTTP_A_SET_SHIFT POLC_L7_A_SET_SHIFT

/* What the caller does with the packet. */
#define POLC_HTTP_PASS TC_ACT_UNSPEC
#define POLC_HTTP_DROP TC_ACT_SHOT

/*
 * A new connection under an HTTP rule set (its SYN passed): its state,
 * built in the scratch map (the stack is short, verifier.h lesson 7).
 */
static __always_inline int polc_http_flow_new(const struct polc_ct_key *key, __u32 isn_next, __u16 set, __u32 rule)
{
	struct polc_http_scratch *scr = polc_http_scratch();

	if (!scr)
		return POLC_HTTP_DROP;

	struct polc_l7_flow *f = &scr->st;

	polc_zero(f);
	f->next_seq = isn_next;
	f->chk_seq = isn_next;
	f->opaque_seq = isn_next;
	f->srv_ack = isn_next;
	f->set = set;
	f->rule = rule;
	f->mode = POLC_L7_M_SYN;
	/* Fails only with the map full of locked entries: the SYN is dropped and sent again. */
	return bpf_map_update_elem(&polc_l7, key, f, BPF_ANY) ? POLC_HTTP_DROP : POLC_HTTP_PASS;
}

/* Client-owned fields of st into f, under the lock taken at generation g. False: someone else wrote. */
static __always_inline bool polc_http_commit(struct polc_l7_flow *f, const struct polc_l7_flow *st, __u32 g)
{
	if (__sync_val_compare_and_swap(&f->lock, g, g + 1) != g)
		return false;
	f->next_seq = st->next_seq;
	f->remaining = st->remaining;
	f->chk_remaining = st->chk_remaining;
	f->chk_seq = st->chk_seq;
	f->opaque_seq = st->opaque_seq;
	f->aux = st->aux;
	f->chk_aux = st->chk_aux;
	f->rule = st->rule;
	f->reqs = st->reqs;
	f->inj_seq = st->inj_seq;
	f->set = st->set;
	f->mode = st->mode;
	f->chk_mode = st->chk_mode;
	f->flags = st->flags;
	__sync_fetch_and_add(&f->lock, 1);
	return true;
}

/*
 * Refuse: the client gets a 403 (answer) or a reset, the server a reset,
 * the connection is DENIED from now on (committed first: our own answer
 * crosses this hook again). t is the refused segment; it travels from
 * the client to the server, so the client is "back" (tcp_reply.h).
 */
static __always_inline int polc_http_refuse(struct __sk_buff *skb, const struct polc_ctx *c, struct polc_l7_flow *f,
					    struct polc_l7_flow *st, __u32 g, const struct polc_tcp_seg *t, bool answer)
{
	__u32 fin = t->flags & POLC_TCP_FIN ? 1 : 0;

	st->mode = POLC_L7_M_DENIED;
	st->inj_seq = t->ack;
	st->flags = answer ? st->flags | POLC_L7_F_ANSWERED : st->flags & ~POLC_L7_F_ANSWERED;
	if (!polc_http_commit(f, st, g))
		return POLC_HTTP_DROP;

	__u32 to_client = answer ? polc_http_403_answer() : POLC_TCP_ACK | POLC_TCP_RST;

	if (!to_client)
		return POLC_HTTP_DROP;
	return polc_tcp_refuse(skb, c, t, t->seq + t->payload_len + fin, to_client);
}

/*
 * A DENIED connection: resets answer everything but resets and our own
 * answer, with the sequence number the receiver expects (the ack of the
 * packet being answered).
 */
static __always_inline int polc_http_denied(struct __sk_buff *skb, const struct polc_ctx *c,
					    const struct polc_l7_flow *f, const struct polc_tcp_seg *t, bool reply)
{
	if (t->flags & POLC_TCP_RST)
		return POLC_HTTP_PASS;
	if (reply) {
		/* Our 403 on its way to the client (a reset passed above): inj_seq, FIN, the 403's length. */
		if (t->seq == POLC_READ_ONCE(f->inj_seq) && (t->flags & POLC_TCP_FIN) &&
		    t->payload_len == POLC_HTTP_403_LEN)
			return POLC_HTTP_PASS;
	} else if (t->payload_len == 0 && !(t->flags & (POLC_TCP_FIN | POLC_TCP_SYN))) {
		/* The client acknowledging our answer: nothing to say. */
		return POLC_HTTP_DROP;
	}

	__u32 fin = t->flags & (POLC_TCP_FIN | POLC_TCP_SYN) ? 1 : 0;

	return polc_tcp_reset_back(skb, c, t, t->seq + t->payload_len + fin);
}

/* Server to client: acknowledgements and what the server sent. Never touches the scratch map. */
static __always_inline int polc_http_server(struct __sk_buff *skb, const struct polc_ctx *c, struct polc_l7_flow *f,
					    const struct polc_tcp_seg *t)
{
	if (POLC_READ_ONCE(f->mode) == POLC_L7_M_DENIED)
		return polc_http_denied(skb, c, f, t, true);

	__u8 flags = t->flags;

	if ((flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == (POLC_TCP_SYN | POLC_TCP_ACK)) {
		/* The handshake of the connection whose SYN we saw, not a challenge ACK of an older one. */
		if (POLC_READ_ONCE(f->mode) == POLC_L7_M_SYN && t->ack == POLC_READ_ONCE(f->next_seq)) {
			f->srv_nxt = t->seq + 1;
			f->srv_flags |= POLC_L7_F_SYNACK;
		}
		return POLC_HTTP_PASS;
	}
	if (flags & POLC_TCP_ACK) {
		__u32 ack = t->ack, cur = POLC_READ_ONCE(f->srv_ack);

		/* Forward only, and never past what the client sent and polc passed. */
		if (polc_seq_lt(cur, ack) && polc_seq_le(ack, POLC_READ_ONCE(f->next_seq)))
			f->srv_ack = ack;
	}
	if (t->payload_len || (flags & POLC_TCP_FIN)) {
		__u32 end = t->seq + t->payload_len + (flags & POLC_TCP_FIN ? 1 : 0);

		if (polc_seq_lt(POLC_READ_ONCE(f->srv_nxt), end))
			f->srv_nxt = end;
		if (t->payload_len) {
			__u32 reqs = POLC_READ_ONCE(f->reqs);

			if (POLC_READ_ONCE(f->answered) != reqs)
				f->answered = reqs;
		}
	}
	return POLC_HTTP_PASS;
}

/*
 * Judge the client's segment t against the state in scr->st (a copy of
 * f at lock generation g): POLC_HTTP_OK with scr->st advanced, or why
 * not. Re-judging a repeated segment starts from the checkpoint and must
 * meet the current state at next_seq.
 */
static __always_inline int polc_http_judge(struct __sk_buff *skb, const struct polc_ctx *c,
					   struct polc_http_scratch *scr, const struct polc_tcp_seg *t, __u32 audit)
{
	struct polc_l7_flow *st = &scr->st;
	__u32 n = t->payload_len, s = t->seq, e = s + n, next = st->next_seq;
	__u32 off = t->payload_off, end = t->payload_off + n;

	if (polc_seq_lt(next, s))
		return -1; /* a gap: drop, the client sends the missing bytes again */
	if (s == next) {
		st->chk_seq = s;
		st->chk_mode = st->mode;
		st->chk_remaining = st->remaining;
		st->chk_aux = st->aux;
		return polc_http_run(skb, c, off, end, audit);
	}
	/* A repeat of bytes already judged. */
	if (polc_seq_le(e, st->srv_ack))
		return POLC_HTTP_OK; /* the server has them: it drops the copy */

	__u32 lo = polc_seq_lt(s, st->srv_ack) ? st->srv_ack : s;
	__u32 hi = polc_seq_lt(e, next) ? e : next;

	if (!polc_seq_lt(lo, hi) || !polc_seq_lt(lo, st->opaque_seq)) {
		/* What the server may not have yet is body bytes, which only count: judge what is new. */
		if (polc_seq_le(e, next))
			return POLC_HTTP_OK;
		return polc_http_run(skb, c, off + (next - s), end, audit);
	}
	if (s != st->chk_seq)
		return POLC_HTTP_BAD;

	/* The last segment with framing, again: judged again from its checkpoint. */
	__u8 cur_mode = st->mode;
	__u64 cur_remaining = st->remaining;
	__u32 cur_aux = st->aux;
	int r;

	st->mode = st->chk_mode;
	st->remaining = st->chk_remaining;
	st->aux = st->chk_aux;
	st->next_seq = s;
	if (polc_seq_le(next, e)) {
		r = polc_http_run(skb, c, off, off + (next - s), audit);
		if (r != POLC_HTTP_OK)
			return r;
		if (st->next_seq != next || st->mode != cur_mode || st->remaining != cur_remaining || st->aux != cur_aux)
			return POLC_HTTP_BAD;
		if (e == next)
			return POLC_HTTP_OK;
		return polc_http_run(skb, c, off + (next - s), end, audit);
	}
	/* A shorter repeat: it must end inside the same body as the original. */
	r = polc_http_run(skb, c, off, end, audit);
	if (r != POLC_HTTP_OK)
		return r;
	if (st->mode != POLC_L7_M_BODY || cur_mode != POLC_L7_M_BODY ||
	    st->remaining - cur_remaining != (__u64)(next - e))
		return POLC_HTTP_BAD;
	st->mode = cur_mode;
	st->remaining = cur_remaining;
	st->aux = cur_aux;
	st->next_seq = next;
	return POLC_HTTP_OK;
}

/*
 * One packet of a connection under the HTTP rule set in args (see
 * POLC_HTTP_A_*); rule is the connection's rule. Returns the tc action.
 * Global (verifier.h, lesson 7).
 */
POLC_GLOBAL int polc_http_packet(struct __sk_buff *skb, const struct polc_ctx *c, const struct polc_ct_key *key,
				 __u32 args, __u32 rule)
{
	struct polc_tcp_seg t;

	if (!c || !key)
		return POLC_HTTP_DROP;
	polc_zero(&t);
	/* Later fragments would pass on the first one's verdict, unjudged: none on these connections. */
	if (c->pkt.frag != POLC_FRAG_NONE || (args & POLC_HTTP_A_SPOOFED))
		return POLC_HTTP_DROP;
	if (polc_tcp_seg_load(skb, &c->pkt, &t))
		return POLC_HTTP_DROP;

	struct polc_l7_flow *f = bpf_map_lookup_elem(&polc_l7, key);
	bool reply = args & POLC_HTTP_A_REPLY;

	if (!f) {
		/* The client's SYN starts the connection's state; its data waits for the SYN-ACK. */
		if (!reply && (t.flags & (POLC_TCP_SYN | POLC_TCP_ACK | POLC_TCP_RST | POLC_TCP_FIN)) == POLC_TCP_SYN &&
		    !t.payload_len) {
			return polc_http_flow_new(key, t.seq + 1, args >> POLC_HTTP_A_SET_SHIFT, rule);
		}
		/* No state (evicted, or a connection polc did not see start): nothing can be judged. */
		if (t.flags & POLC_TCP_RST)
			return POLC_HTTP_PASS;
		polc_event(c, POLC_VERDICT_DROP, POLC_REASON_L7_MALFORMED, rule);
		return polc_tcp_reset_back(skb, c, &t, t.seq + t.payload_len);
	}
	if (reply)
		return polc_http_server(skb, c, f, &t);
	if (t.flags & POLC_TCP_RST)
		return POLC_HTTP_PASS;

	struct polc_http_scratch *scr = polc_http_scratch();

	if (!scr)
		return POLC_HTTP_DROP;

	__u32 g = POLC_READ_ONCE(f->lock);

	if (g & 1)
		return POLC_HTTP_DROP; /* another CPU is writing: the client sends it again */
	__builtin_memcpy(&scr->st, f, sizeof(scr->st));
	/* An atomic read: a full barrier, so the copy is not read after it. */
	if (__sync_fetch_and_or(&f->lock, 0) != g)
		return POLC_HTTP_DROP;

	struct polc_l7_flow *st = &scr->st;
	__u8 flags = t.flags;
	bool audit = args & POLC_HTTP_A_AUDIT;

	if (st->mode == POLC_L7_M_DENIED)
		return polc_http_denied(skb, c, f, &t, false);

	if ((flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == POLC_TCP_SYN) {
		/* A new SYN: before any data, or after the connection closed (its SYN-ACK decides). */
		if (st->mode != POLC_L7_M_SYN && !(args & POLC_HTTP_A_CT_CLOSED))
			return POLC_HTTP_DROP;
		if (t.payload_len)
			return POLC_HTTP_DROP; /* TCP Fast Open data: polc would judge it blind */
		return polc_http_flow_new(key, t.seq + 1, args >> POLC_HTTP_A_SET_SHIFT, rule);
	}
	if (flags & POLC_TCP_SYN)
		return POLC_HTTP_DROP;
	st->set = args >> POLC_HTTP_A_SET_SHIFT;
	scr->deny_rule = rule;

	bool dirty = false;

	if (st->mode == POLC_L7_M_SYN) {
		if (!(st->srv_flags & POLC_L7_F_SYNACK))
			return t.payload_len || (flags & POLC_TCP_FIN) ? POLC_HTTP_DROP : POLC_HTTP_PASS;
		st->mode = POLC_L7_M_HEAD;
		dirty = true;
	}

	__u32 fin = flags & POLC_TCP_FIN ? 1 : 0;

	if (t.payload_len == 0 && !fin) {
		if (dirty && !polc_http_commit(f, st, g))
			return POLC_HTTP_DROP;
		return POLC_HTTP_PASS;
	}
	if (st->flags & POLC_L7_F_FIN) {
		/* After the client's FIN only repeats: nothing new to judge. */
		if (polc_seq_lt(st->next_seq, t.seq + t.payload_len + fin))
			return POLC_HTTP_DROP;
		return POLC_HTTP_PASS;
	}

	int r = t.payload_len ? polc_http_judge(skb, c, scr, &t, audit) : POLC_HTTP_OK;

	if (r < 0)
		return POLC_HTTP_DROP;
	if (r != POLC_HTTP_OK && audit) {
		/* Audit: nothing is refused; a stream polc lost passes unjudged from here, reported once. */
		st->mode = POLC_L7_M_BLIND;
		st->flags |= POLC_L7_F_AUDITED;
		polc_event(c, POLC_VERDICT_AUDIT, r == POLC_HTTP_DENY ? POLC_REASON_L7 : POLC_REASON_L7_MALFORMED,
			   rule);
		return polc_http_commit(f, st, g) ? POLC_HTTP_PASS : POLC_HTTP_DROP;
	}
	if (r == POLC_HTTP_OK) {
		if (fin) {
			if (t.seq + t.payload_len != st->next_seq)
				return POLC_HTTP_DROP; /* a FIN that is not at the end of the judged stream */
			st->next_seq++;
			st->flags |= POLC_L7_F_FIN;
		}
		if (!polc_http_commit(f, st, g))
			return POLC_HTTP_DROP;
		return POLC_HTTP_PASS;
	}
	/*
	 * Refused. A 403 only when it cannot be taken for the answer to an
	 * earlier request: every request passed so far answered, and the
	 * client has everything the server sent.
	 */
	bool answer = r == POLC_HTTP_DENY && st->reqs == st->answered && t.ack == st->srv_nxt &&
		      (st->srv_flags & POLC_L7_F_SYNACK);

	polc_event(c, POLC_VERDICT_DROP, r == POLC_HTTP_DENY ? POLC_REASON_L7 : POLC_REASON_L7_MALFORMED, rule);

	/* Conntrack forgets a reset connection sooner. */
	struct polc_ct_entry *ct = bpf_map_lookup_elem(&polc_ct, key);

	if (ct)
		ct->flags |= POLC_CT_F_RST;
	return polc_http_refuse(skb, c, f, st, g, &t, answer);
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict events: one polc_events ring-buffer record per drop and per
 * newly allowed flow, each kind only when the generation's flags ask for
 * it (POLC_GEN_F_EVENTS_*; audit events count as drops), and never more
 * than the per-CPU token bucket allows: a flood of denied packets must
 * not turn into a flood of events.
 */
#ifndef POLC_BPF_EVENTS_H
#define POLC_BPF_EVENTS_H

#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "maps_shared.h"
#include "context.h"
#include "verifier.h"

#define POLC_NSEC_PER_SEC 1000000000ull
/* The bucket counts in nano-events: refill is elapsed_ns * rate, exactly. */
#define POLC_EV_TOKEN POLC_NSEC_PER_SEC
#define POLC_EV_BUCKET_MAX ((__u64)POLC_EV_BURST * POLC_EV_TOKEN)
/* Beyond this gap the bucket is full anyway; capping it keeps the product in 64 bits. */
#define POLC_EV_MAX_GAP_NS (POLC_EV_BUCKET_MAX / POLC_EV_RATE_PER_SEC)

/*
 * Per CPU and without atomics: a program runs to completion on its CPU,
 * and a lost update only misjudges the budget by one event. What the
 * budget refuses is counted, so that user space can say how much it
 * did not see (polc status).
 */
static __always_inline bool polc_ev_budget_take(struct polc_ev_budget *b, __u64 now)
{
	__u64 gap = now > b->last_ns ? now - b->last_ns : 0;
	__u64 tokens = b->tokens;

	gap = polc_min(gap, POLC_EV_MAX_GAP_NS);
	tokens = polc_min(tokens + gap * POLC_EV_RATE_PER_SEC, POLC_EV_BUCKET_MAX);
	b->last_ns = now;
	if (tokens < POLC_EV_TOKEN) {
		b->tokens = tokens;
		b->suppressed++;
		return false;
	}
	b->tokens = tokens - POLC_EV_TOKEN;
	return true;
}

static __always_inline bool polc_event_wanted(const struct polc_ctx *c, __u32 verdict)
{
	__u32 flag = verdict == POLC_VERDICT_ALLOW ? POLC_GEN_F_EVENTS_ALLOW : POLC_GEN_F_EVENTS_DROP;

	return c->gen_flags & flag;
}

/*
 * Report a verdict. What is not known yet when the packet is dropped
 * (endpoint, identities, ports of a malformed packet) is reported as 0.
 * Global (lesson 7): one verification for every place that reports.
 */
POLC_GLOBAL int polc_event(const struct polc_ctx *c, __u32 verdict, __u32 reason, __u32 rule)
{
	__u32 zero = 0;

	if (!c || !polc_event_wanted(c, verdict))
		return 0;

	struct polc_ev_budget *b = bpf_map_lookup_elem(&polc_ev_budget, &zero);

	if (!b || !polc_ev_budget_take(b, bpf_ktime_get_coarse_ns()))
		return 0;

	struct polc_event *e = bpf_ringbuf_reserve(&polc_events, sizeof(*e), 0);

	if (!e) {
		b->lost++;
		return 0;
	}

	bool ingress = c->dir == POLC_DIR_INGRESS;

	polc_zero(e);
	e->timestamp_ns = bpf_ktime_get_ns();
	e->ifindex = c->ifindex;
	e->endpoint_id = c->ep.endpoint_id;
	e->rule = rule;
	e->src_identity = ingress ? c->peer.identity : c->ep.identity;
	e->dst_identity = ingress ? c->ep.identity : c->peer.identity;
	e->len = c->pkt.len;
	__builtin_memcpy(e->saddr, c->pkt.saddr, 16);
	__builtin_memcpy(e->daddr, c->pkt.daddr, 16);
	if (polc_is_icmp(&c->pkt)) {
		/* ICMP: the echo identifier, if any, and the message type. */
		e->sport = c->pkt.sport | c->pkt.dport;
		e->dport = c->pkt.icmp_type;
	} else {
		e->sport = c->pkt.sport;
		e->dport = c->pkt.dport;
	}
	e->proto = c->pkt.proto;
	e->family = c->pkt.family;
	e->dir = c->dir;
	e->verdict = verdict;
	e->reason = reason;
	e->revision = c->revision;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#endif

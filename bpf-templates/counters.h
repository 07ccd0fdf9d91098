/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Per-rule packet and byte counters: the rule that decided a packet, or
 * for an established connection the rule its conntrack entry remembers,
 * so every packet of a flow is counted, not only the first.
 */
#ifndef POLC_BPF_COUNTERS_H
#define POLC_BPF_COUNTERS_H

#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "maps_gen.h"

/* A default verdict (POLC_RULE_NONE) has no counter: it is out of the array's range. */
static __always_inline void polc_count(__u32 rule, __u32 len)
{
	struct polc_rule_stats *st = bpf_map_lookup_elem(&polc_rule_stats, &rule);

	if (st) {
		st->packets++;
		st->bytes += len;
	}
}

#endif

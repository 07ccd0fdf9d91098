/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Maps shared by the entry programs and every policy generation. Both
 * objects declare them identically; the loader creates them once, pins
 * them, and makes each new generation reuse the pinned maps, which is
 * how conntrack and in-flight fragment verdicts survive a swap.
 *
 * Changing anything here changes what a running node has pinned: bump
 * POLC_LAYOUT_VERSION in polc/layout.h.
 */
#ifndef POLC_BPF_MAPS_SHARED_H
#define POLC_BPF_MAPS_SHARED_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"

/* Slot 0: the live generation's program. One update swaps every endpoint at once. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} polc_gen_prog SEC(".maps");

/* LRU: a full table evicts the coldest connection instead of refusing a new one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLC_CT_MAX_ENTRIES);
	__type(key, struct polc_ct_key);
	__type(value, struct polc_ct_entry);
} polc_ct SEC(".maps");

/* HTTP state of connections under L7 rules, beside their conntrack entries (same key). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLC_L7_MAX_ENTRIES);
	__type(key, struct polc_ct_key);
	__type(value, struct polc_l7_flow);
} polc_l7 SEC(".maps");

/* Addresses endpoints learned from DNS answers (toFQDNs), kept across swaps like conntrack. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLC_FQDN_MAX_ENTRIES);
	__type(key, struct polc_fqdn_key);
	__type(value, struct polc_fqdn_value);
} polc_fqdn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLC_FRAG_MAX_ENTRIES);
	__type(key, struct polc_frag_key);
	__type(value, struct polc_frag_value);
} polc_frag SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, POLC_EVENTS_BYTES);
} polc_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct polc_ev_budget);
} polc_ev_budget SEC(".maps");

#endif

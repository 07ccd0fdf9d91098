/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Maps of one policy generation. A swap builds a complete new set,
 * fills it, loads the program that uses it, and only then makes that
 * program live (slot 0 of polc_gen_prog): no packet ever sees new maps
 * with an old program or the reverse. Sizes come from polc_gen.h.
 *
 * The program only reads these maps (BPF_F_RDONLY_PROG), except the
 * rule counters; the loader fills and updates them from user space.
 * Key and value layouts, and how they are looked up: polc/layout.h.
 */
#ifndef POLC_BPF_MAPS_GEN_H
#define POLC_BPF_MAPS_GEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLC_GEN_ENDPOINTS_MAX);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, struct polc_endpoint_key);
	__type(value, struct polc_endpoint);
} polc_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLC_GEN_IPCACHE_MAX);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, struct polc_ipcache_key);
	__type(value, struct polc_ipcache_value);
} polc_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, POLC_PORTS_ENTRIES);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, __u32);
	__type(value, struct polc_port_classes);
} polc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLC_GEN_POLICY_MAX);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__type(key, struct polc_policy_key);
	__type(value, struct polc_policy_value);
} polc_policy SEC(".maps");

/* Per CPU: counting needs no atomics; user space sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, POLC_GEN_RULES_MAX);
	__type(key, __u32);
	__type(value, struct polc_rule_stats);
} polc_rule_stats SEC(".maps");

#endif

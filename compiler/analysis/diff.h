/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc diff: the flows whose verdict changes between two policy sets
 * over one inventory. The flows are enumerated, not sampled:
 *
 *   ends      every pod both sets know (same namespace/name) with an
 *             address, and representative outside addresses: one address
 *             of every CIDR and except either set names that no narrower
 *             prefix of them covers, and one "world" address outside all
 *   services  every port a rule of either set names (both ends of a
 *             range), the numbers the pods give to named ports the rules
 *             use, the ICMP types rules name, and per protocol one port
 *             that no rule names ("any other port")
 *   flows     pod -> pod, pod -> outside address, outside address -> pod,
 *             for each service and each address family both ends have
 *
 * Two flows that no rule tells apart get the same verdict, so within
 * these classes the enumeration sees every change a rule can make.
 */
#ifndef POLC_ANALYSIS_DIFF_H
#define POLC_ANALYSIS_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct diff_change {
	/* The ends in each set (same pod, or same address). */
	struct flow_end old_src, old_dst, new_src, new_dst;
	uint8_t proto;
	uint16_t port;
	bool other_ports;         /* port stands for every port of proto that no rule names */
	unsigned families;        /* bit 0: IPv4, bit 1: IPv6 (the change is the same in both) */
	struct flow_result old;   /* with details, in the old set */
	struct flow_result new;
};

struct diff_result {
	struct diff_change *changes; /* sorted by source, destination, protocol, port */
	size_t n_changes;
	size_t n_flows;              /* flows judged (per family) */
	size_t n_pods, n_outside, n_services;
	size_t only_old, only_new;   /* pods in one inventory only: not compared */
	bool truncated;              /* stopped at the flow budget */
};

/* Flows judged at most (per set); beyond it the result says truncated. */
#define DIFF_MAX_FLOWS 4000000u

/* Compare; allocations in new_fc's arena. 0 or -ENOMEM. */
int diff_flows(const struct flow_ctx *old_fc, const struct flow_ctx *new_fc, struct diff_result *out);

#endif

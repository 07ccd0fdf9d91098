/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Flows between endpoints of the query language, judged on a resolved
 * program: what polc trace explains, polc test asserts and polc diff
 * compares.
 *
 * A flow from a pod to a pod passes when the sender's egress and the
 * receiver's ingress both allow it (Kubernetes and Cilium alike); a flow
 * from or to an address outside the inventory has one side only. Each
 * side is judged twice: by eval_verdict() on the policy IR (what the
 * policies say, with every matching rule) and, for a pod that is a local
 * endpoint, by dp_sim_verdict() on the datapath tables (what the
 * compiled program will do). The two must agree; a disagreement is a
 * polc bug and is reported as one.
 */
#ifndef POLC_ANALYSIS_FLOW_H
#define POLC_ANALYSIS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/datapath.h"
#include "../ir/ir.h"
#include "../util/diag.h"
#include "grammar/query.h"
#include "verdict.h"

struct flow_ctx {
	struct arena *arena;
	struct diag_sink *diags;
	const struct source_set *sources;
	const struct ir_program *prog;
	const struct ir_datapath *dp;
};

/* One end of a flow: a pod of the inventory, or an address outside it. */
struct flow_end {
	const struct ir_pod *pod; /* NULL: an address */
	size_t pod_index;
	uint8_t family;           /* address: 4 or 6; a pod named by an address: that family only */
	uint8_t addr[16];
	const char *label;        /* "x/a", "198.51.100.7", "world (192.0.2.1)" */
};

/*
 * The ends an endpoint expression stands for. A name that matches
 * nothing, or a selector that matches no pod, is an error at where
 * (the expression's position in the query text). 0, -EINVAL or -ENOMEM.
 */
int flow_resolve(const struct flow_ctx *fc, const struct query_endpoint *ep, struct src_loc where,
		 struct flow_end **out, size_t *n_out);

/* One direction of one pod: the IR's verdict and, for a local endpoint, the datapath's. */
struct flow_side {
	bool present;             /* this end is a pod with policies to consult */
	const struct ir_pod *pod;
	enum ir_dir dir;          /* egress of the sender, ingress of the receiver */
	struct sim_verdict ir;
	uint32_t *matched;        /* every rule that matches, by id */
	size_t n_matched;
	bool have_dp;             /* a local endpoint: dp is the datapath's verdict */
	struct sim_verdict dp;
};

struct flow_result {
	uint8_t family;
	uint8_t src[16], dst[16];
	uint8_t proto;
	uint16_t port;            /* resolved: a named port is the destination pod's number */
	struct flow_side egress, ingress;
	bool allow;               /* what the policies say: both sides allow */
	bool dp_checked;          /* at least one side had a datapath verdict */
	bool dp_agrees;           /* every datapath verdict equals the IR's */
};

/*
 * Judge src -> dst on svc for every address family both ends have (one
 * or two results). Problems of the question itself (a named port the
 * destination lacks, ICMPv6 to an IPv4 address, ends without a common
 * family) are errors at where. 0, -EINVAL or -ENOMEM.
 */
int flow_eval(const struct flow_ctx *fc, const struct flow_end *src, const struct flow_end *dst,
	      const struct query_service *svc, struct src_loc where, struct flow_result out[2], size_t *n_out);

/*
 * Judge a flow on a numeric port (polc diff's enumeration); no
 * diagnostics. Without details the matched lists are not filled (and
 * nothing is allocated).
 */
void flow_eval_numeric(const struct flow_ctx *fc, const struct flow_end *src, const struct flow_end *dst,
		       uint8_t family, uint8_t proto, uint16_t port, bool details, struct flow_result *out);

/* A representative address outside every pod, node and CIDR class (world), or false. */
bool flow_world_addr(const struct flow_ctx *fc, uint8_t family, uint8_t addr[16]);

/* The local endpoint of a pod, or NULL. */
const struct dp_endpoint *flow_endpoint(const struct ir_datapath *dp, const struct ir_pod *pod);

/* "policy x/name spec.ingress[0] (file:line)" for a rule id. */
const char *flow_rule_ref(const struct flow_ctx *fc, uint32_t rule);
/* The policies that make a pod default-deny in a direction, "a (f:1), b (f:9)"; "" if none. */
const char *flow_isolators(const struct flow_ctx *fc, const struct ir_pod *pod, enum ir_dir dir);

const char *flow_addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t size);

#endif

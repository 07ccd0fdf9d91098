/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Two ways to decide a packet's verdict without a kernel:
 *
 *   dp_sim_verdict  replays what the BPF program does on the datapath IR
 *                   tables (ipcache walk, port class, the 3 x 3 probes):
 *                   what will actually be enforced.
 *   eval_verdict    evaluates the policy IR directly with Kubernetes and
 *                   Cilium semantics (selectors, CIDR containment, port
 *                   ranges, named ports): what the policies say.
 *
 * Tests compare the two on random policy sets; polc trace explains a
 * verdict with the second and checks it against the first.
 */
#ifndef POLC_ANALYSIS_VERDICT_H
#define POLC_ANALYSIS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/datapath.h"
#include "../ir/ir.h"

/* A new flow as one endpoint's hook sees it. */
struct sim_packet {
	uint8_t family;  /* 4 or 6 */
	uint8_t peer[16]; /* the other end: source for ingress, destination for egress */
	uint8_t proto;
	uint16_t port; /* destination port, or ICMP type */
	/*
	 * toFQDNs: the DNS names (dotted, any case, final dot optional) whose
	 * answers gave the endpoint this address, still within their TTL: what
	 * the datapath learned (bpf-templates/fqdn.h). NULL: none.
	 */
	const char *const *names;
	size_t n_names;
};

enum sim_reason {
	SIM_NOT_ISOLATED, /* no policy isolates this direction: allowed */
	SIM_ALLOWED,      /* an allow rule matched */
	SIM_DENIED,       /* a deny rule matched */
	SIM_DEFAULT_DENY, /* isolated, no rule matched */
};

struct sim_verdict {
	bool allow;
	bool audit; /* would drop, allowed by audit mode */
	enum sim_reason reason;
	uint32_t rule; /* deciding rule id when reason is ALLOWED or DENIED */
};

void dp_sim_verdict(const struct ir_datapath *dp, const struct dp_endpoint *ep, enum ir_dir dir,
		    const struct sim_packet *pkt, struct sim_verdict *out);

/*
 * The toFQDNs selectors (hashes) the datapath learns pkt's names under
 * for an endpoint of egress policy `policy`: its group's DFA over each
 * name (bpf-templates/fqdn.h). At most max; the number written.
 */
size_t dp_sim_fqdn_selectors(const struct ir_datapath *dp, uint32_t policy, const struct sim_packet *pkt, uint32_t *out,
			     size_t max);

/* The identity and CIDR class the ipcache gives an address. */
void dp_sim_ipcache(const struct ir_datapath *dp, uint8_t family, const uint8_t *addr, uint32_t *identity,
		    uint32_t *cidr_class);

/*
 * Policy-level evaluation for a local pod. matched (optional, room for
 * prog->rules.len ids) receives every rule that matches, in id order.
 */
void eval_verdict(const struct ir_program *prog, const struct ir_datapath *dp, const struct ir_pod *pod,
		  enum ir_dir dir, const struct sim_packet *pkt, struct sim_verdict *out, uint32_t *matched,
		  size_t *n_matched);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The passes that resolve the policy IR against the inventory into the
 * datapath IR. The driver runs them in this order, each reading what the
 * previous ones produced:
 *
 *   identities     label sets of pods (and reserved ones) -> identity ids
 *   endpoints      local pods -> the rules that apply to them per
 *                  direction, named ports resolved, deduplicated into
 *                  policy ids
 *   port_classes   protocol port space -> classes no rule boundary splits
 *   cidr_classes   CIDR prefixes -> classes; the ipcache
 *   entries        (policy, peer, protocol, port class) -> verdict,
 *                  merged (deny wins); the features codegen keeps
 *   l7             the L7 HTTP and DNS rules of each allow entry, unioned
 *                  over every entry a packet can hit, as rule sets with DFAs
 *   dns            toFQDNs: the selectors of each egress policy and the
 *                  DFA that learns addresses under them from DNS answers
 *
 * Each returns 0, -EINVAL after reporting diagnostics, or -ENOMEM.
 */
#ifndef POLC_PASSES_H
#define POLC_PASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/datapath.h"
#include "../ir/ir.h"
#include "../util/diag.h"
#include "../util/hashmap.h"

struct cidr_trie;
struct port_index;

struct pass_limits {
	size_t max_policy_entries;
	size_t max_ipcache_entries;
};

/* 4 Mi policy entries (~100 MiB of kernel memory), 1 Mi ipcache entries. */
extern const struct pass_limits pass_default_limits;

struct pass_ctx {
	struct arena *arena;
	struct diag_sink *diags;
	struct ir_program *prog;
	struct ir_datapath *dp;
	struct pass_limits limits;

	/* Scratch shared between passes. */
	struct cidr_trie *trie[2]; /* IPv4, IPv6 */
	struct port_index *port_index; /* intervals of each port slot */
	struct hashmap peer_sets;  /* const struct ir_peer * -> struct id_set */
	struct hashmap l7_contrib; /* polc_policy_key -> L7 rules of its allow entries (l7.c) */
};

int pass_ctx_init(struct pass_ctx *ctx, struct arena *arena, struct diag_sink *diags,
		  struct ir_program *prog, struct ir_datapath *dp);

int pass_identities(struct pass_ctx *ctx);
int pass_endpoints(struct pass_ctx *ctx);
int pass_port_classes(struct pass_ctx *ctx);
int pass_cidr_classes(struct pass_ctx *ctx);
int pass_entries(struct pass_ctx *ctx);
int pass_l7(struct pass_ctx *ctx);
int pass_dns(struct pass_ctx *ctx);

/* ---- shared helpers ---- */

/* Does an identity with these (source-qualified, sorted) labels match sel? */
bool selector_matches(const struct ir_selector *sel, const struct ir_labels *labels);

/* Sorted identity ids. */
struct id_set {
	uint32_t *ids;
	size_t n;
};

/* Identities a SELECTOR or ENTITY peer stands for (cached per peer). */
int peer_identities(struct pass_ctx *ctx, const struct ir_peer *peer, const struct id_set **out);

/* Port slot (POLC_PSLOT_*) of an IP protocol, or -1 if it has no ports. */
int port_slot(uint8_t proto);

/* Classes of ports lo..hi of slot: appended to out (distinct, unsorted). */
int port_classes_in_range(struct pass_ctx *ctx, int slot, uint16_t lo, uint16_t hi,
			  uint16_t **out, size_t *n_out, size_t *cap_out);

/*
 * An allow entry was emitted for key by rule, from a port whose L7 rules
 * are l7 (NULL: every request). pass_entries reports each; pass_l7 turns
 * them into rule sets. 0 or -ENOMEM.
 */
int l7_contribute(struct pass_ctx *ctx, const struct polc_policy_key *key, const struct ir_l7 *l7, uint32_t rule);

/*
 * The rule set of these HTTP rules, DFAs built, as pass_l7 builds each
 * set (rule_ids may be NULL). 0, -EINVAL after diagnostics at the rules
 * (a regex too complex, too many rules), -ENOMEM. For checks that want
 * to know whether rules compile without an inventory (tests, lint).
 */
int l7_build_rules(struct pass_ctx *ctx, const struct ir_http_rule *const *rules, const uint32_t *rule_ids, size_t n,
		   struct dp_http_set **out);
/* passes/dns.c: the DNS rule set with this id (called by pass_l7 for sets of DNS rules). */
int dns_build_set(struct pass_ctx *ctx, uint32_t id, const struct ir_dns_rule **rules, const uint32_t *rule_ids,
		  size_t n, struct dp_dns_set **out);
/* The stable 30-bit identity of an FQDN selector's regex (never 0). */
uint32_t dns_fqdn_hash(const char *regex);

/* Longest endpoint-class prefix containing addr (0: none). */
uint32_t cidr_endpoint_class(struct pass_ctx *ctx, const struct ir_cidr *addr);

/* passes/apiserver.c: is addr one of the API server's (Service default/kubernetes)? */
bool apiserver_address(const struct ir_program *prog, const struct ir_cidr *addr);
/*
 * The identity API server address addr gets (host, remote-node or world
 * combined with kube-apiserver), or 0 when it keeps its own (a pod's).
 */
uint32_t apiserver_identity(const struct ir_program *prog, const struct ir_cidr *addr);

/* Visit the CIDR classes a CIDR peer matches (world classes; endpoint ones too if it may). */
typedef int (*cidr_class_visit_fn)(void *arg, uint32_t class_id);
int cidr_peer_classes(struct pass_ctx *ctx, const struct ir_peer *peer, cidr_class_visit_fn fn, void *arg);

#endif

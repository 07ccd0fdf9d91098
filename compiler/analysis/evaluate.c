/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The reference evaluator: the verdict straight from the policy IR, with
 * no classes, no tables and no shortcuts. A peer address is a pod's, a
 * node's (the local node is the host, others remote nodes), in a Node's
 * pod CIDR (unmanaged: cluster, not world), or the world's; an API server
 * address (Service default/kubernetes) is also kube-apiserver, which one
 * reserved identity per combination carries. It is deliberately naive (a
 * linear scan of every rule) so that it is easy to check against the
 * Kubernetes and Cilium documentation, and the datapath IR is tested
 * against it.
 */
#include <string.h>

#include "grammar/regex.h"

#include "../passes/passes.h"
#include "verdict.h"

static const struct ir_pod *pod_with_addr(const struct ir_program *prog, const struct ir_datapath *dp,
					  const struct sim_packet *pkt, size_t *index)
{
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		if (!dp->pod_identity[i])
			continue;
		for (size_t a = 0; a < pod->n_addrs; a++) {
			const struct ir_cidr *c = &pod->addrs[a];
			if (c->family == pkt->family && memcmp(c->addr, pkt->peer, c->family == 4 ? 4 : 16) == 0) {
				*index = i;
				return pod;
			}
		}
	}
	return NULL;
}

static bool addr_in(const struct ir_cidr *c, const struct sim_packet *pkt)
{
	struct ir_cidr a = {.family = pkt->family, .prefixlen = pkt->family == 4 ? 32 : 128};
	memcpy(a.addr, pkt->peer, 16);
	return ir_cidr_contains(c, &a);
}

/*
 * The identity of an address that is not a pod's: the inventory's nodes
 * (the local one is the host) and pod ranges, else the world.
 * *cluster says whether the address belongs to the cluster (so that no
 * Cilium CIDR rule matches it).
 */
static uint32_t other_identity(const struct ir_program *prog, const struct sim_packet *pkt, bool *cluster)
{
	bool apiserver = false;
	for (size_t i = 0; i < prog->apiserver.len; i++)
		apiserver |= addr_in(&prog->apiserver.items[i].addr, pkt);
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t a = 0; a < node->n_addrs; a++) {
			if (addr_in(&node->addrs[a], pkt)) {
				*cluster = true;
				if (apiserver)
					return node->local ? POLC_ID_HOST_APISERVER : POLC_ID_KUBE_APISERVER;
				return node->local ? POLC_ID_HOST : POLC_ID_REMOTE_NODE;
			}
		}
	}
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t k = 0; k < node->n_pod_cidrs; k++) {
			if (addr_in(&node->pod_cidrs[k], pkt)) {
				*cluster = true;
				return POLC_ID_UNMANAGED;
			}
		}
	}
	*cluster = false;
	if (apiserver)
		return pkt->family == 4 ? POLC_ID_WORLD_IPV4_APISERVER : POLC_ID_WORLD_IPV6_APISERVER;
	return pkt->family == 4 ? POLC_ID_WORLD_IPV4 : POLC_ID_WORLD_IPV6;
}

/* An API server's identity as what the address is besides (*apiserver set), else identity itself. */
static uint32_t without_apiserver(uint32_t identity, bool *apiserver)
{
	static const struct {
		uint32_t combined, base;
	} split[] = {
		{POLC_ID_HOST_APISERVER, POLC_ID_HOST},
		{POLC_ID_KUBE_APISERVER, POLC_ID_REMOTE_NODE},
		{POLC_ID_WORLD_IPV4_APISERVER, POLC_ID_WORLD_IPV4},
		{POLC_ID_WORLD_IPV6_APISERVER, POLC_ID_WORLD_IPV6},
	};
	*apiserver = false;
	for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		if (identity == split[i].combined) {
			*apiserver = true;
			return split[i].base;
		}
	}
	return identity;
}

static const struct ir_labels *identity_labels(const struct ir_datapath *dp, uint32_t id)
{
	for (size_t i = 0; i < dp->identities.len; i++)
		if (dp->identities.items[i].id == id)
			return &dp->identities.items[i].labels;
	return NULL;
}

static bool entity_matches(uint32_t entities, uint32_t identity, bool in_cluster, uint8_t family)
{
	if (entities & IR_ENTITY_ALL)
		return true;
	bool apiserver;
	identity = without_apiserver(identity, &apiserver);
	if ((entities & IR_ENTITY_KUBE_APISERVER) && apiserver)
		return true;
	bool world = !in_cluster && (identity == POLC_ID_WORLD_IPV4 || identity == POLC_ID_WORLD_IPV6);
	if ((entities & IR_ENTITY_WORLD) && world)
		return true;
	if ((entities & IR_ENTITY_WORLD_IPV4) && world && family == 4)
		return true;
	if ((entities & IR_ENTITY_WORLD_IPV6) && world && family == 6)
		return true;
	if ((entities & IR_ENTITY_CLUSTER) && !world)
		return true;
	static const struct {
		uint32_t entity, id;
	} one[] = {
		{IR_ENTITY_HOST, POLC_ID_HOST}, {IR_ENTITY_REMOTE_NODE, POLC_ID_REMOTE_NODE},
		{IR_ENTITY_HEALTH, POLC_ID_HEALTH},
		{IR_ENTITY_INIT, POLC_ID_INIT}, {IR_ENTITY_INGRESS, POLC_ID_INGRESS},
		{IR_ENTITY_UNMANAGED, POLC_ID_UNMANAGED},
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if ((entities & one[i].entity) && identity == one[i].id)
			return true;
	return false;
}

/*
 * A toFQDNs selector: one of the names the endpoint resolved to this
 * address matches its regex (the name lower-cased, with its final dot,
 * as Cilium matches it). Only world addresses: Cilium gives a pod's or
 * a node's address its own identity, never the selector's.
 */
static bool fqdn_matches(const struct ir_peer *peer, const struct sim_packet *pkt, bool world)
{
	if (!world || pkt->n_names == 0)
		return false;
	struct arena *arena = arena_new();
	struct dfa *dfa;
	bool match = false;
	if (arena && regex_compile(arena, peer->fqdn.regex, strlen(peer->fqdn.regex), REGEX_ICASE_ASCII, NULL, &dfa,
				   NULL) == 0) {
		for (size_t i = 0; i < pkt->n_names && !match; i++) {
			const char *name = pkt->names[i];
			size_t n = strlen(name);
			char *fq = arena_printf(arena, "%s%s", name, n && name[n - 1] == '.' ? "" : ".");
			match = fq && dfa_match(dfa, (const uint8_t *)fq, strlen(fq)) != 0;
		}
	}
	arena_free(arena);
	return match;
}

/* in_cluster: the peer is a pod, a node or in a pod range: Cilium CIDR rules do not match it. */
static bool peer_matches(const struct ir_peer *peer, const struct sim_packet *pkt, const struct ir_labels *labels,
			 uint32_t identity, bool in_cluster)
{
	switch (peer->kind) {
	case IR_PEER_ALL:
		return true;
	case IR_PEER_SELECTOR:
		return labels && selector_matches(&peer->sel, labels);
	case IR_PEER_CIDR:
		if (in_cluster && !peer->matches_endpoints)
			return false;
		if (!addr_in(&peer->cidr, pkt))
			return false;
		for (size_t i = 0; i < peer->n_except; i++)
			if (addr_in(&peer->except[i], pkt))
				return false;
		return true;
	case IR_PEER_ENTITY:
		return entity_matches(peer->entities, identity, in_cluster, pkt->family);
	case IR_PEER_FQDN:
		return fqdn_matches(peer, pkt, !in_cluster);
	}
	return false;
}

static bool named_port(const struct ir_pod *pod, const char *name, uint8_t proto, uint16_t *port)
{
	for (size_t i = 0; pod && i < pod->n_ports; i++) {
		if (pod->ports[i].proto == proto && strcmp(pod->ports[i].name, name) == 0) {
			*port = pod->ports[i].port;
			return true;
		}
	}
	return false;
}

static bool port_matches(const struct ir_rule *rule, const struct sim_packet *pkt, const struct ir_pod *local,
			 const struct ir_pod *remote)
{
	if (rule->n_ports == 0)
		return true;
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct ir_port *p = &rule->ports[i];
		if (p->proto != pkt->proto)
			continue;
		if (p->name) {
			uint16_t port;
			const struct ir_pod *dst = rule->dir == IR_INGRESS ? local : remote;
			if (named_port(dst, p->name, p->proto, &port) && port == pkt->port)
				return true;
			continue;
		}
		if (ir_port_is_wildcard(p->proto, p->lo, p->hi) || (pkt->port >= p->lo && pkt->port <= p->hi))
			return true;
	}
	return false;
}

void eval_verdict(const struct ir_program *prog, const struct ir_datapath *dp, const struct ir_pod *pod,
		  enum ir_dir dir, const struct sim_packet *pkt, struct sim_verdict *out, uint32_t *matched,
		  size_t *n_matched)
{
	size_t local_index = (size_t)(pod - prog->pods.items);
	const struct ir_labels *local_labels = identity_labels(dp, dp->pod_identity[local_index]);
	size_t remote_index;
	const struct ir_pod *remote = pod_with_addr(prog, dp, pkt, &remote_index);
	bool in_cluster = remote != NULL;
	uint32_t identity = remote ? dp->pod_identity[remote_index] : other_identity(prog, pkt, &in_cluster);
	const struct ir_labels *labels = identity_labels(dp, identity);

	bool isolates = false, audits = false;
	const struct ir_rule *allow = NULL, *deny = NULL;
	if (n_matched)
		*n_matched = 0;
	for (size_t p = 0; p < prog->policies.len; p++) {
		const struct ir_policy *pol = prog->policies.items[p];
		if (!local_labels || !selector_matches(&pol->subject, local_labels))
			continue;
		if (pol->enforce[dir]) {
			if (pol->audit)
				audits = true;
			else
				isolates = true;
		}
		for (size_t r = 0; r < pol->rules.len; r++) {
			const struct ir_rule *rule = pol->rules.items[r];
			if (rule->dir != dir || !port_matches(rule, pkt, pod, remote))
				continue;
			bool hit = false;
			for (size_t k = 0; k < rule->n_peers && !hit; k++)
				hit = peer_matches(&rule->peers[k], pkt, labels, identity, in_cluster);
			if (!hit)
				continue;
			if (matched)
				matched[(*n_matched)++] = rule->id;
			const struct ir_rule **best = rule->action == IR_DENY ? &deny : &allow;
			if (!*best || rule->id < (*best)->id)
				*best = rule;
		}
	}
	if (pod->audit && isolates) {
		isolates = false;
		audits = true;
	}
	memset(out, 0, sizeof(*out));
	if (deny) {
		out->reason = SIM_DENIED;
		out->rule = deny->id;
	} else if (allow) {
		out->reason = SIM_ALLOWED;
		out->rule = allow->id;
		out->allow = true;
	} else if (isolates || audits) {
		out->reason = SIM_DEFAULT_DENY;
	} else {
		out->reason = SIM_NOT_ISOLATED;
		out->allow = true;
	}
	if (!out->allow && audits && !isolates)
		out->allow = out->audit = true;
}

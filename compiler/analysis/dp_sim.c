/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath's new-flow decision, replayed in C on the datapath IR.
 * Keep it step for step with bpf-templates/datapath.bpf.c: it is the
 * specification the in-kernel verdict tests and polc test check against.
 */
#include <stdlib.h>
#include <string.h>

#include "grammar/regex.h"

#include "../passes/passes.h"
#include "verdict.h"

static int ipcache_cmp(const void *key, const void *entry)
{
	return memcmp(key, &((const struct dp_ipcache_entry *)entry)->key, sizeof(struct polc_ipcache_key));
}

static int policy_cmp(const void *key, const void *entry)
{
	return memcmp(key, &((const struct dp_policy_entry *)entry)->key, sizeof(struct polc_policy_key));
}

void dp_sim_ipcache(const struct ir_datapath *dp, uint8_t family, const uint8_t *addr, uint32_t *identity,
		    uint32_t *cidr_class)
{
	const uint8_t *plens = family == 4 ? dp->features.v4_prefixlens : dp->features.v6_prefixlens;
	size_t n = family == 4 ? dp->features.n_v4_prefixlens : dp->features.n_v6_prefixlens;
	for (size_t i = 0; i < n; i++) {
		struct polc_ipcache_key key;
		memset(&key, 0, sizeof(key));
		key.family = family == 4 ? POLC_AF_INET : POLC_AF_INET6;
		key.prefixlen = plens[i];
		for (unsigned b = 0; b < plens[i]; b++)
			key.addr[b / 8] |= addr[b / 8] & (0x80 >> (b % 8));
		const struct dp_ipcache_entry *e =
			dp->ipcache.len ? bsearch(&key, dp->ipcache.items, dp->ipcache.len, sizeof(*e), ipcache_cmp)
					: NULL;
		if (e) {
			*identity = e->value.identity;
			*cidr_class = e->value.cidr_class;
			return;
		}
	}
	*identity = family == 4 ? POLC_ID_WORLD_IPV4 : POLC_ID_WORLD_IPV6;
	*cidr_class = 0;
}

static const struct polc_policy_value *probe(const struct ir_datapath *dp, uint32_t policy, uint32_t peer,
					     uint8_t proto, uint8_t kind, uint16_t port)
{
	struct polc_policy_key key;
	memset(&key, 0, sizeof(key));
	key.policy = policy;
	key.peer = peer;
	key.proto = proto;
	key.port_kind = kind;
	key.port = port;
	if (dp->entries.len == 0)
		return NULL;
	const struct dp_policy_entry *e = bsearch(&key, dp->entries.items, dp->entries.len, sizeof(*e), policy_cmp);
	return e ? &e->value : NULL;
}

size_t dp_sim_fqdn_selectors(const struct ir_datapath *dp, uint32_t policy, const struct sim_packet *pkt, uint32_t *out,
			     size_t max)
{
	if (!dp->policy_fqdn_group || !dp->policy_fqdn_group[policy])
		return 0;
	const struct dp_fqdn_group *g = dp->fqdn_groups.items[dp->policy_fqdn_group[policy] - 1];
	size_t n = 0;
	for (size_t i = 0; i < pkt->n_names; i++) {
		const char *name = pkt->names[i];
		size_t len = strlen(name);
		uint32_t st = dfa_walk(g->dfa, g->dfa->start, (const uint8_t *)name, len);
		if (!len || name[len - 1] != '.')
			st = dfa_walk(g->dfa, st, (const uint8_t *)".", 1);
		uint32_t set = g->dfa->accept_of[st];
		for (size_t k = 0; k < g->n; k++) {
			if (!dfa_set_has(g->dfa, set, (uint32_t)k))
				continue;
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = out[j] == g->hashes[k];
			if (!seen && n < max)
				out[n++] = g->hashes[k];
		}
	}
	return n;
}

void dp_sim_verdict(const struct ir_datapath *dp, const struct dp_endpoint *ep, enum ir_dir dir,
		    const struct sim_packet *pkt, struct sim_verdict *out)
{
	uint32_t identity, cls;
	dp_sim_ipcache(dp, pkt->family, pkt->peer, &identity, &cls);
	int slot = port_slot(pkt->proto);
	uint16_t pclass = slot >= 0 ? dp->ports->cls[slot][pkt->port] : 0;

	uint32_t peers[3 + POLC_FQDN_SLOTS];
	size_t n_peers = 0;
	peers[n_peers++] = identity;
	if (cls)
		peers[n_peers++] = POLC_PEER_CIDR | cls;
	peers[n_peers++] = POLC_PEER_ANY;
	/* Learned addresses count for world peers only, in egress (fqdn.h). */
	bool world = identity == POLC_ID_WORLD_IPV4 || identity == POLC_ID_WORLD_IPV6 ||
		     identity == POLC_ID_WORLD_IPV4_APISERVER || identity == POLC_ID_WORLD_IPV6_APISERVER;
	if (dir == IR_EGRESS && ep->policy[dir] && world) {
		size_t n = dp_sim_fqdn_selectors(dp, ep->policy[dir], pkt, peers + n_peers, POLC_FQDN_SLOTS);
		for (size_t i = 0; i < n; i++)
			peers[n_peers++] |= POLC_PEER_FQDN;
	}
	struct port_probe {
		uint8_t proto, kind;
		uint16_t port;
	} ports[4];
	size_t n_ports = 0;
	if (slot >= 0)
		ports[n_ports++] = (struct port_probe){pkt->proto, POLC_PORT_EXACT, pkt->port};
	if (pclass)
		ports[n_ports++] = (struct port_probe){pkt->proto, POLC_PORT_RANGE, pclass};
	ports[n_ports++] = (struct port_probe){pkt->proto, POLC_PORT_ANY, 0};
	ports[n_ports++] = (struct port_probe){0, POLC_PORT_ANY, 0};

	const struct polc_policy_value *allow = NULL, *deny = NULL;
	if (ep->policy[dir]) {
		for (size_t i = 0; i < n_peers; i++) {
			for (size_t j = 0; j < n_ports; j++) {
				const struct polc_policy_value *v = probe(dp, ep->policy[dir], peers[i], ports[j].proto,
									  ports[j].kind, ports[j].port);
				if (!v)
					continue;
				const struct polc_policy_value **best = v->action == POLC_ACT_DENY ? &deny : &allow;
				if (!*best || v->rule < (*best)->rule)
					*best = v;
			}
		}
	}
	memset(out, 0, sizeof(*out));
	if (deny) {
		out->reason = SIM_DENIED;
		out->rule = deny->rule;
	} else if (allow) {
		out->reason = SIM_ALLOWED;
		out->rule = allow->rule;
		out->allow = true;
	} else if (ep->flags & (POLC_EP_ENFORCE(dir) | POLC_EP_AUDIT(dir))) {
		out->reason = SIM_DEFAULT_DENY;
	} else {
		out->reason = SIM_NOT_ISOLATED;
		out->allow = true;
	}
	/* Audit mode turns every drop into a reported allow. */
	if (!out->allow && (ep->flags & POLC_EP_AUDIT(dir)))
		out->allow = out->audit = true;
}

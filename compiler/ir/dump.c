/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "dump.h"

#include <inttypes.h>

static const char *op_name(enum ir_sel_op op)
{
	switch (op) {
	case IR_SEL_IN: return "in";
	case IR_SEL_NOT_IN: return "notin";
	case IR_SEL_EXISTS: return "exists";
	case IR_SEL_NOT_EXISTS: return "!exists";
	}
	return "?";
}

void ir_dump_selector(struct strbuf *out, const struct ir_selector *sel)
{
	if (sel->n_reqs == 0) {
		strbuf_puts(out, "{}");
		return;
	}
	strbuf_putc(out, '{');
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct ir_requirement *r = &sel->reqs[i];
		strbuf_printf(out, "%s%s %s", i ? ", " : "", r->key, op_name(r->op));
		if (r->op == IR_SEL_IN || r->op == IR_SEL_NOT_IN) {
			strbuf_puts(out, " (");
			for (size_t v = 0; v < r->n_values; v++)
				strbuf_printf(out, "%s%s", v ? "," : "", r->values[v]);
			strbuf_putc(out, ')');
		}
	}
	strbuf_putc(out, '}');
}

static const char *entity_names[] = {
	"all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node",
	"kube-apiserver", "health", "init", "ingress", "unmanaged", "none",
};

void ir_dump_peer(struct strbuf *out, const struct ir_peer *peer)
{
	char buf[64];
	switch (peer->kind) {
	case IR_PEER_ALL:
		strbuf_puts(out, "all");
		break;
	case IR_PEER_SELECTOR:
		strbuf_puts(out, "selector ");
		ir_dump_selector(out, &peer->sel);
		break;
	case IR_PEER_CIDR:
		strbuf_printf(out, "cidr %s", ir_cidr_str(&peer->cidr, buf, sizeof(buf)));
		for (size_t i = 0; i < peer->n_except; i++)
			strbuf_printf(out, "%s%s", i ? "," : " except ", ir_cidr_str(&peer->except[i], buf, sizeof(buf)));
		if (!peer->matches_endpoints)
			strbuf_puts(out, " (not endpoints)");
		break;
	case IR_PEER_ENTITY:
		strbuf_puts(out, "entities");
		for (size_t i = 0; i < sizeof(entity_names) / sizeof(entity_names[0]); i++)
			if (peer->entities & (1u << i))
				strbuf_printf(out, " %s", entity_names[i]);
		break;
	}
}

void ir_dump_port(struct strbuf *out, const struct ir_port *port)
{
	strbuf_printf(out, "%s/", ir_proto_name(port->proto));
	if (port->name)
		strbuf_printf(out, "%s", port->name);
	else if (ir_port_is_wildcard(port->proto, port->lo, port->hi))
		strbuf_puts(out, "*");
	else if (port->lo == port->hi)
		strbuf_printf(out, "%u", port->lo);
	else
		strbuf_printf(out, "%u-%u", port->lo, port->hi);
}

void ir_dump_program(struct strbuf *out, const struct ir_program *prog, const struct source_set *sources)
{
	strbuf_printf(out, "# policy IR: %zu policies, %zu rules, %zu namespaces, %zu pods, %zu nodes\n",
		      prog->policies.len, prog->rules.len, prog->namespaces.len, prog->pods.len, prog->nodes.len);
	for (size_t i = 0; i < prog->policies.len; i++) {
		const struct ir_policy *p = prog->policies.items[i];
		strbuf_printf(out, "policy %s %s%s%s  # %s:%u\n", ir_policy_kind_name(p->kind),
			      p->namespace ? p->namespace : "", p->namespace ? "/" : "", p->name,
			      source_name(sources, p->loc.file), p->loc.line);
		strbuf_puts(out, "  subject ");
		ir_dump_selector(out, &p->subject);
		strbuf_printf(out, "\n  enforce ingress=%s egress=%s%s\n", p->enforce[0] ? "yes" : "no",
			      p->enforce[1] ? "yes" : "no", p->audit ? " (audit)" : "");
		for (size_t r = 0; r < p->rules.len; r++) {
			const struct ir_rule *rule = p->rules.items[r];
			strbuf_printf(out, "  rule %u %s %s  # %s:%u %s\n", rule->id, ir_dir_name(rule->dir),
				      rule->action == IR_DENY ? "deny" : "allow", source_name(sources, rule->loc.file),
				      rule->loc.line, rule->path ? rule->path : "");
			for (size_t k = 0; k < rule->n_peers; k++) {
				strbuf_puts(out, "    peer ");
				ir_dump_peer(out, &rule->peers[k]);
				strbuf_putc(out, '\n');
			}
			if (rule->n_peers == 0)
				strbuf_puts(out, "    peer (none)\n");
			strbuf_puts(out, "    ports");
			for (size_t k = 0; k < rule->n_ports; k++) {
				strbuf_putc(out, ' ');
				ir_dump_port(out, &rule->ports[k]);
			}
			strbuf_puts(out, rule->n_ports ? "\n" : " (all)\n");
		}
	}
	for (size_t i = 0; i < prog->namespaces.len; i++) {
		const struct ir_namespace *ns = &prog->namespaces.items[i];
		strbuf_printf(out, "namespace %s", ns->name);
		for (size_t l = 0; l < ns->labels.len; l++)
			strbuf_printf(out, " %s=%s", ns->labels.items[l].key, ns->labels.items[l].value);
		strbuf_putc(out, '\n');
	}
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		char buf[64];
		strbuf_printf(out, "pod %s/%s", pod->namespace, pod->name);
		for (size_t a = 0; a < pod->n_addrs; a++)
			strbuf_printf(out, " %s", ir_cidr_str(&pod->addrs[a], buf, sizeof(buf)));
		if (pod->interface)
			strbuf_printf(out, " if=%s", pod->interface);
		for (size_t l = 0; l < pod->labels.len; l++)
			strbuf_printf(out, " %s=%s", pod->labels.items[l].key, pod->labels.items[l].value);
		for (size_t p = 0; p < pod->n_ports; p++)
			strbuf_printf(out, " port:%s=%s/%u", pod->ports[p].name, ir_proto_name(pod->ports[p].proto),
				      pod->ports[p].port);
		strbuf_putc(out, '\n');
	}
}

static const char *pslot_name(int slot)
{
	static const char *names[] = {"tcp", "udp", "sctp", "icmp", "icmpv6"};
	return slot >= 0 && slot < POLC_NR_PSLOTS ? names[slot] : "?";
}

static void dump_addr(struct strbuf *out, uint8_t family, uint8_t plen, const uint8_t *addr)
{
	struct ir_cidr c = {.family = family == POLC_AF_INET ? 4 : 6, .prefixlen = plen};
	char buf[64];
	for (int i = 0; i < 16; i++)
		c.addr[i] = addr[i];
	strbuf_puts(out, ir_cidr_str(&c, buf, sizeof(buf)));
}

void ir_dump_datapath(struct strbuf *out, const struct ir_datapath *dp, const struct ir_program *prog)
{
	strbuf_printf(out, "# datapath IR: %zu identities, %zu endpoints, %zu policies, %zu ipcache, %zu entries\n",
		      dp->identities.len, dp->endpoints.len, dp->policies.len, dp->ipcache.len, dp->entries.len);
	for (size_t i = 0; i < dp->identities.len; i++) {
		const struct dp_identity *id = &dp->identities.items[i];
		if (id->reserved)
			continue;
		strbuf_printf(out, "identity %u pods=%zu %s\n", id->id, id->n_pods, id->key);
	}
	for (size_t i = 0; i < dp->endpoints.len; i++) {
		const struct dp_endpoint *ep = &dp->endpoints.items[i];
		strbuf_printf(out, "endpoint %u %s/%s if=%s identity=%u policy ingress=%u egress=%u flags=%s%s%s%s\n",
			      ep->endpoint_id, ep->pod->namespace, ep->pod->name, ep->pod->interface, ep->identity,
			      ep->policy[0], ep->policy[1],
			      ep->flags & POLC_EP_ENFORCE_INGRESS ? " enforce-ingress" : "",
			      ep->flags & POLC_EP_ENFORCE_EGRESS ? " enforce-egress" : "",
			      ep->flags & POLC_EP_AUDIT_INGRESS ? " audit-ingress" : "",
			      ep->flags & POLC_EP_AUDIT_EGRESS ? " audit-egress" : "");
	}
	for (size_t i = 0; i < dp->policies.len; i++) {
		const struct dp_policy *pol = dp->policies.items[i];
		strbuf_printf(out, "policy %u %s endpoints=%zu rules", pol->id, ir_dir_name(pol->dir), pol->n_endpoints);
		for (size_t r = 0; r < pol->n_rules; r++) {
			strbuf_printf(out, " %u", pol->rules[r].rule->id);
			if (pol->rules[r].n_ports) {
				strbuf_putc(out, '[');
				for (size_t k = 0; k < pol->rules[r].n_ports; k++) {
					const struct dp_port *p = &pol->rules[r].ports[k];
					struct ir_port ip = {.proto = p->proto, .lo = p->lo, .hi = p->hi, .name = p->dst_name};
					if (k)
						strbuf_putc(out, ',');
					ir_dump_port(out, &ip);
				}
				strbuf_putc(out, ']');
			}
		}
		strbuf_putc(out, '\n');
	}
	for (int s = 0; dp->ports && s < POLC_NR_PSLOTS; s++) {
		if (dp->ports->n_classes[s] <= 1)
			continue;
		strbuf_printf(out, "ports %s:", pslot_name(s));
		uint32_t start = 0;
		for (uint32_t p = 1; p <= 65536; p++) {
			if (p < 65536 && dp->ports->cls[s][p] == dp->ports->cls[s][start])
				continue;
			if (dp->ports->cls[s][start])
				strbuf_printf(out, start == p - 1 ? " %u=c%u" : " %u-%u=c%u", start,
					      start == p - 1 ? dp->ports->cls[s][start] : p - 1, dp->ports->cls[s][start]);
			start = p;
		}
		strbuf_putc(out, '\n');
	}
	for (size_t i = 0; i < dp->cidr_classes.len; i++) {
		char buf[64];
		const struct dp_cidr_class *c = &dp->cidr_classes.items[i];
		strbuf_printf(out, "cidr-class %u %s%s\n", c->id, ir_cidr_str(&c->prefix, buf, sizeof(buf)),
			      c->endpoint_class ? " (endpoints)" : "");
	}
	strbuf_puts(out, "prefixlens v4");
	for (size_t i = 0; i < dp->features.n_v4_prefixlens; i++)
		strbuf_printf(out, " %u", dp->features.v4_prefixlens[i]);
	strbuf_puts(out, " v6");
	for (size_t i = 0; i < dp->features.n_v6_prefixlens; i++)
		strbuf_printf(out, " %u", dp->features.v6_prefixlens[i]);
	strbuf_putc(out, '\n');
	for (size_t i = 0; i < dp->ipcache.len; i++) {
		const struct dp_ipcache_entry *e = &dp->ipcache.items[i];
		strbuf_puts(out, "ipcache ");
		dump_addr(out, e->key.family, e->key.prefixlen, e->key.addr);
		strbuf_printf(out, " identity=%u class=%u\n", e->value.identity, e->value.cidr_class);
	}
	for (size_t i = 0; i < dp->entries.len; i++) {
		const struct dp_policy_entry *e = &dp->entries.items[i];
		strbuf_printf(out, "entry policy=%u peer=", e->key.policy);
		if (e->key.peer == POLC_PEER_ANY)
			strbuf_puts(out, "any");
		else if (e->key.peer & POLC_PEER_CIDR)
			strbuf_printf(out, "cidr:%u", e->key.peer & ~POLC_PEER_CIDR);
		else
			strbuf_printf(out, "%u", e->key.peer);
		if (e->key.proto == 0)
			strbuf_puts(out, " proto=any");
		else if (e->key.port_kind == POLC_PORT_EXACT)
			strbuf_printf(out, " proto=%s port=%u", ir_proto_name(e->key.proto), e->key.port);
		else if (e->key.port_kind == POLC_PORT_RANGE)
			strbuf_printf(out, " proto=%s port=c%u", ir_proto_name(e->key.proto), e->key.port);
		else
			strbuf_printf(out, " proto=%s port=any", ir_proto_name(e->key.proto));
		const struct ir_rule *rule = e->value.rule < prog->rules.len ? prog->rules.items[e->value.rule] : NULL;
		strbuf_printf(out, " -> %s rule=%u%s%s\n", e->value.action == POLC_ACT_DENY ? "deny" : "allow",
			      e->value.rule, rule && rule->path ? " " : "", rule && rule->path ? rule->path : "");
	}
}

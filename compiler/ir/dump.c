/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "dump.h"

#include <inttypes.h>
#include <string.h>

#include "grammar/regex.h"

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
	case IR_PEER_FQDN:
		strbuf_printf(out, "fqdn %s %s", peer->fqdn.pattern ? "matchPattern" : "matchName", peer->fqdn.text);
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

static void dump_http_rule(struct strbuf *out, const char *indent, const struct ir_http_rule *h)
{
	strbuf_printf(out, "%shttp", indent);
	if (h->method.text)
		strbuf_printf(out, " method=\"%s\"", h->method.text);
	if (h->path.text)
		strbuf_printf(out, " path=\"%s\"", h->path.text);
	if (h->host.text)
		strbuf_printf(out, " host=\"%s\"", h->host.text);
	for (size_t i = 0; i < h->n_headers; i++) {
		strbuf_printf(out, " header=%s", h->headers[i].name);
		if (h->headers[i].value)
			strbuf_printf(out, ":\"%s\"", h->headers[i].value);
	}
	if (!h->method.text && !h->path.text && !h->host.text && !h->n_headers)
		strbuf_puts(out, " (any request)");
	if (h->never)
		strbuf_puts(out, " (matches nothing)");
	strbuf_putc(out, '\n');
}

/* The L7 rules of a rule's ports, once per toPorts item. */
static void dump_rule_l7(struct strbuf *out, const struct ir_rule *rule)
{
	for (size_t k = 0; k < rule->n_ports; k++) {
		const struct ir_l7 *l7 = rule->ports[k].l7;
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = rule->ports[j].l7 == l7;
		if (!l7 || seen)
			continue;
		strbuf_puts(out, "    l7 on");
		for (size_t j = k; j < rule->n_ports; j++) {
			if (rule->ports[j].l7 != l7)
				continue;
			strbuf_putc(out, ' ');
			ir_dump_port(out, &rule->ports[j]);
		}
		strbuf_putc(out, '\n');
		for (size_t i = 0; i < l7->n_http; i++)
			dump_http_rule(out, "      ", &l7->http[i]);
		for (size_t i = 0; i < l7->n_dns; i++)
			strbuf_printf(out, "      dns %s %s\n", l7->dns[i].pattern ? "matchPattern" : "matchName",
				      l7->dns[i].text);
	}
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
			dump_rule_l7(out, rule);
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
	if (prog->apiserver.len) {
		char buf[64];
		strbuf_printf(out, "kube-apiserver");
		for (size_t i = 0; i < prog->apiserver.len; i++)
			strbuf_printf(out, " %s", ir_cidr_str(&prog->apiserver.items[i].addr, buf, sizeof(buf)));
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
		else if ((e->key.peer & POLC_PEER_KIND_MASK) == POLC_PEER_CIDR)
			strbuf_printf(out, "cidr:%u", e->key.peer & ~POLC_PEER_CIDR);
		else if ((e->key.peer & POLC_PEER_KIND_MASK) == POLC_PEER_FQDN)
			strbuf_printf(out, "fqdn:%08x", e->key.peer & ~POLC_PEER_KIND_MASK);
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
		strbuf_printf(out, " -> %s rule=%u", e->value.action == POLC_ACT_DENY ? "deny" : "allow", e->value.rule);
		if (e->value.l7)
			strbuf_printf(out, " %s=%u",
				      dp->features.have_l7_dns && e->value.l7 >= dp->features.dns_set_first ? "dns" : "http",
				      e->value.l7);
		strbuf_printf(out, "%s%s\n", rule && rule->path ? " " : "", rule && rule->path ? rule->path : "");
	}
	for (size_t i = 0; i < dp->http_unions.len; i++) {
		const struct dp_http_union *u = &dp->http_unions.items[i];
		strbuf_printf(out, "http-union %u+%u -> %u\n", u->a, u->b, u->u);
	}
	for (size_t i = 0; i < dp->fqdn_selectors.len; i++) {
		const struct dp_fqdn_selector *f = &dp->fqdn_selectors.items[i];
		strbuf_printf(out, "fqdn %08x %s %s\n", f->hash, f->peer->fqdn.pattern ? "matchPattern" : "matchName",
			      f->peer->fqdn.text);
	}
	for (size_t i = 0; i < dp->fqdn_groups.len; i++) {
		const struct dp_fqdn_group *g = dp->fqdn_groups.items[i];
		strbuf_printf(out, "fqdn-group %u:", g->id);
		for (size_t k = 0; k < g->n; k++)
			strbuf_printf(out, " %08x", g->hashes[k]);
		strbuf_puts(out, " policies");
		for (size_t p = 0; p < dp->policies.len; p++)
			if (dp->policy_fqdn_group[dp->policies.items[p]->id] == g->id)
				strbuf_printf(out, " %u", dp->policies.items[p]->id);
		strbuf_putc(out, '\n');
	}
}

static void dump_dfa_field(struct strbuf *out, const char *name, const struct dfa *dfa)
{
	if (!dfa) {
		strbuf_printf(out, "  %s: any\n", name);
		return;
	}
	strbuf_printf(out, "  %s:\n", name);
	struct strbuf sb = STRBUF_INIT;
	dfa_dump(dfa, &sb);
	/* Indent the DFA's own lines under the field. */
	const char *p = sb.data ? sb.data : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		strbuf_printf(out, "    %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
	strbuf_free(&sb);
}

void ir_dump_http_sets(struct strbuf *out, const struct ir_datapath *dp, const struct source_set *sources)
{
	strbuf_printf(out, "# L7 HTTP rule sets: %zu\n", dp->http_sets.len);
	for (size_t i = 0; i < dp->http_sets.len; i++) {
		const struct dp_http_set *s = dp->http_sets.items[i];
		strbuf_printf(out, "http-set %u: %zu rules\n", s->id, s->n_rules);
		for (size_t r = 0; r < s->n_rules; r++) {
			const struct ir_http_rule *h = s->rules[r];
			strbuf_printf(out, "  bit %zu: rule %u  # %s:%u %s\n", r, s->rule_ids[r],
				      source_name(sources, h->loc.file), h->loc.line, h->yaml_path ? h->yaml_path : "");
			dump_http_rule(out, "    ", h);
		}
		for (size_t c = 0; c < s->n_cons; c++)
			strbuf_printf(out, "  constraint %zu: header %s %s%s%s rules=0x%" PRIx64 "\n", c,
				      s->names_lc[s->cons[c].name], s->cons[c].value ? "= \"" : "present",
				      s->cons[c].value ? s->cons[c].value : "", s->cons[c].value ? "\"" : "",
				      s->cons[c].rules);
		dump_dfa_field(out, "method", s->method);
		dump_dfa_field(out, "path", s->path);
		dump_dfa_field(out, "host", s->host);
		dump_dfa_field(out, "header names", s->names);
		if (s->values)
			dump_dfa_field(out, "header values", s->values);
	}
}

void ir_dump_dns_sets(struct strbuf *out, const struct ir_datapath *dp, const struct source_set *sources)
{
	if (!dp->dns_sets.len && !dp->fqdn_groups.len)
		return;
	strbuf_printf(out, "# DNS rule sets: %zu\n", dp->dns_sets.len);
	for (size_t i = 0; i < dp->dns_sets.len; i++) {
		const struct dp_dns_set *s = dp->dns_sets.items[i];
		strbuf_printf(out, "dns-set %u: %zu rules\n", s->id, s->n_rules);
		for (size_t r = 0; r < s->n_rules; r++) {
			const struct ir_dns_rule *d = s->rules[r];
			strbuf_printf(out, "  bit %zu: rule %u %s %s  # %s:%u %s\n", r, s->rule_ids[r],
				      d->pattern ? "matchPattern" : "matchName", d->text, source_name(sources, d->loc.file),
				      d->loc.line, d->path ? d->path : "");
		}
		dump_dfa_field(out, "names", s->dfa);
	}
	strbuf_printf(out, "# toFQDNs groups: %zu\n", dp->fqdn_groups.len);
	for (size_t i = 0; i < dp->fqdn_groups.len; i++) {
		const struct dp_fqdn_group *g = dp->fqdn_groups.items[i];
		strbuf_printf(out, "fqdn-group %u: %zu selectors\n", g->id, g->n);
		for (size_t k = 0; k < g->n; k++)
			strbuf_printf(out, "  bit %zu: %08x\n", k, g->hashes[k]);
		dump_dfa_field(out, "names", g->dfa);
	}
}

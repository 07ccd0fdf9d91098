/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Endpoints: for each local pod (one with an interface on this node),
 * which policies select it, whether each direction is isolated (default
 * deny), and which rules apply, with the pod's own named ports resolved
 * for ingress (Kubernetes resolves a named port at the destination, and
 * for ingress that is this pod). Egress named ports stay names: they
 * resolve per destination when entries are built.
 *
 * Endpoints whose applied rules are identical share one policy id, so
 * the policy map grows with distinct rule sets, not with pods.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static const struct dp_identity *find_identity(const struct ir_datapath *dp, uint32_t id)
{
	size_t lo = 0, hi = dp->identities.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = dp->identities.items[mid].id;
		if (v == id)
			return &dp->identities.items[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool resolve_named_port(const struct ir_pod *pod, const char *name, uint8_t proto, uint16_t *port)
{
	for (size_t i = 0; i < pod->n_ports; i++) {
		if (pod->ports[i].proto == proto && strcmp(pod->ports[i].name, name) == 0) {
			*port = pod->ports[i].port;
			return true;
		}
	}
	return false;
}

/* One rule as it applies to this pod in its direction. */
static int apply_rule(struct pass_ctx *ctx, const struct ir_pod *pod, const struct ir_rule *rule,
		      struct dp_applied_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->rule = rule;
	if (rule->n_ports == 0)
		return 0;
	out->ports = arena_calloc(ctx->arena, rule->n_ports, sizeof(*out->ports));
	if (!out->ports)
		return -ENOMEM;
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct ir_port *p = &rule->ports[i];
		struct dp_port dpp = {.proto = p->proto, .lo = p->lo, .hi = p->hi, .l7 = p->l7};
		if (p->name) {
			if (rule->dir == IR_EGRESS) {
				dpp.dst_name = p->name;
			} else {
				uint16_t port;
				if (!resolve_named_port(pod, p->name, p->proto, &port))
					continue; /* this pod has no such port: the entry matches nothing */
				dpp.lo = dpp.hi = port;
			}
		}
		out->ports[out->n_ports++] = dpp;
	}
	/* Every port was a name this pod lacks: the rule matches nothing here. */
	out->inert = out->n_ports == 0;
	return 0;
}

static uint64_t applied_hash(enum ir_dir dir, const struct dp_applied_rule *rules, size_t n)
{
	struct hashable {
		uint32_t rule;
		uint32_t n_ports;
	};
	uint64_t h = hash_bytes(&dir, sizeof(dir));
	for (size_t i = 0; i < n; i++) {
		struct hashable x = {rules[i].rule->id, (uint32_t)rules[i].n_ports};
		h = h * 31 + hash_bytes(&x, sizeof(x));
		for (size_t j = 0; j < rules[i].n_ports; j++) {
			const struct dp_port *p = &rules[i].ports[j];
			uint64_t pv = ((uint64_t)p->proto << 32) | ((uint64_t)p->lo << 16) | p->hi;
			h = h * 31 + hash_bytes(&pv, sizeof(pv));
			if (p->dst_name)
				h = h * 31 + hash_bytes(p->dst_name, strlen(p->dst_name));
		}
	}
	return h;
}

static bool applied_equal(const struct dp_policy *pol, enum ir_dir dir, const struct dp_applied_rule *rules,
			  size_t n)
{
	if (pol->dir != dir || pol->n_rules != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct dp_applied_rule *a = &pol->rules[i], *b = &rules[i];
		if (a->rule != b->rule || a->n_ports != b->n_ports)
			return false;
		for (size_t j = 0; j < a->n_ports; j++) {
			const struct dp_port *x = &a->ports[j], *y = &b->ports[j];
			if (x->proto != y->proto || x->lo != y->lo || x->hi != y->hi || x->l7 != y->l7 ||
			    (x->dst_name == NULL) != (y->dst_name == NULL) ||
			    (x->dst_name && strcmp(x->dst_name, y->dst_name) != 0))
				return false;
		}
	}
	return true;
}

/* Policy id for this rule set: an existing one if identical, else a new one. */
static int intern_policy(struct pass_ctx *ctx, struct hashmap *by_hash, enum ir_dir dir,
			 struct dp_applied_rule *rules, size_t n, uint32_t *id_out)
{
	struct ir_datapath *dp = ctx->dp;
	uint64_t h = applied_hash(dir, rules, n);
	for (;;) {
		void *slot;
		bool inserted;
		if (hashmap_upsert(by_hash, &h, &slot, &inserted))
			return -ENOMEM;
		uint32_t *idx = slot;
		if (inserted) {
			struct dp_policy *pol = arena_alloc(ctx->arena, sizeof(*pol));
			if (!pol || vec_push(ctx->arena, &dp->policies, pol))
				return -ENOMEM;
			pol->id = (uint32_t)dp->policies.len;
			pol->dir = dir;
			pol->rules = rules;
			pol->n_rules = n;
			pol->hash = h;
			pol->n_endpoints = 1;
			*idx = pol->id;
			*id_out = pol->id;
			return 0;
		}
		struct dp_policy *pol = dp->policies.items[*idx - 1];
		if (applied_equal(pol, dir, rules, n)) {
			pol->n_endpoints++;
			*id_out = pol->id;
			return 0;
		}
		h++; /* a real collision: probe the next hash value */
	}
}

static int pod_cmp(const void *a, const void *b)
{
	const struct ir_pod *x = *(const struct ir_pod *const *)a, *y = *(const struct ir_pod *const *)b;
	int c = strcmp(x->namespace, y->namespace);
	return c ? c : strcmp(x->name, y->name);
}

int pass_endpoints(struct pass_ctx *ctx)
{
	struct ir_program *prog = ctx->prog;
	struct ir_datapath *dp = ctx->dp;
	struct arena *a = ctx->arena;

	const struct ir_pod **local = arena_calloc(a, prog->pods.len + 1, sizeof(*local));
	if (!local)
		return -ENOMEM;
	size_t n_local = 0;
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		if (pod->interface && !pod->host_network)
			local[n_local++] = pod;
	}
	qsort(local, n_local, sizeof(*local), pod_cmp);

	struct hashmap by_hash;
	if (hashmap_init(&by_hash, a, sizeof(uint64_t), sizeof(uint32_t)))
		return -ENOMEM;
	bool *selects = arena_calloc(a, prog->policies.len + 1, sizeof(bool));
	if (!selects)
		return -ENOMEM;

	for (size_t e = 0; e < n_local; e++) {
		const struct ir_pod *pod = local[e];
		size_t pod_index = (size_t)(pod - prog->pods.items);
		uint32_t identity = dp->pod_identity[pod_index];
		const struct dp_identity *ident = find_identity(dp, identity);
		if (!ident)
			return -EINVAL;

		struct dp_endpoint *ep = vec_add(a, &dp->endpoints);
		if (!ep)
			return -ENOMEM;
		ep->endpoint_id = (uint32_t)dp->endpoints.len;
		ep->pod = pod;
		ep->identity = identity;

		size_t n_rules[2] = {0, 0};
		bool isolates[2] = {false, false}, audits[2] = {false, false};
		for (size_t p = 0; p < prog->policies.len; p++) {
			const struct ir_policy *pol = prog->policies.items[p];
			selects[p] = selector_matches(&pol->subject, &ident->labels);
			if (!selects[p])
				continue;
			for (int d = 0; d < 2; d++) {
				if (pol->enforce[d] && pol->audit)
					audits[d] = true;
				else if (pol->enforce[d])
					isolates[d] = true;
			}
			for (size_t r = 0; r < pol->rules.len; r++)
				n_rules[pol->rules.items[r]->dir]++;
		}
		/*
		 * An audit policy reports what it would drop and never
		 * isolates; its allow rules still count. One policy in
		 * enforcing mode isolates the direction for real. An audited
		 * pod audits everything.
		 */
		for (int d = 0; d < 2; d++) {
			if (pod->audit && (isolates[d] || audits[d]))
				ep->flags |= POLC_EP_AUDIT(d);
			else if (isolates[d])
				ep->flags |= POLC_EP_ENFORCE(d);
			else if (audits[d])
				ep->flags |= POLC_EP_AUDIT(d);
		}

		for (int d = 0; d < 2; d++) {
			if (n_rules[d] == 0)
				continue;
			struct dp_applied_rule *rules = arena_calloc(a, n_rules[d], sizeof(*rules));
			if (!rules)
				return -ENOMEM;
			size_t n = 0;
			for (size_t p = 0; p < prog->policies.len; p++) {
				if (!selects[p])
					continue;
				const struct ir_policy *pol = prog->policies.items[p];
				for (size_t r = 0; r < pol->rules.len; r++) {
					const struct ir_rule *rule = pol->rules.items[r];
					if ((int)rule->dir != d)
						continue;
					int err = apply_rule(ctx, pod, rule, &rules[n]);
					if (err)
						return err;
					if (!rules[n].inert)
						n++;
				}
			}
			if (n == 0)
				continue;
			int err = intern_policy(ctx, &by_hash, (enum ir_dir)d, rules, n, &ep->policy[d]);
			if (err)
				return err;
		}
	}
	return 0;
}

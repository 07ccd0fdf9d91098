/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Policy entries: every applied rule becomes the product of its peer keys
 * (identities, CIDR classes, or ANY) and its port keys ((protocol, port
 * class), (protocol, any port), or any protocol). Entries from different
 * rules that land on the same key merge: deny wins over allow, then the
 * lowest rule id is kept for reporting. Identical rules (YAML aliases
 * repeating one rule forty times) therefore cost nothing extra.
 *
 * Egress named ports resolve at the destination, as Kubernetes says: for
 * each destination pod the peer covers, the port that pod gives the name.
 * Pods sharing an identity but naming a port differently get the union.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static const struct {
	uint32_t entity;
	uint32_t ids[4];
} entity_identities[] = {
	{IR_ENTITY_WORLD, {POLC_ID_WORLD, POLC_ID_WORLD_IPV4, POLC_ID_WORLD_IPV6}},
	{IR_ENTITY_WORLD_IPV4, {POLC_ID_WORLD_IPV4}},
	{IR_ENTITY_WORLD_IPV6, {POLC_ID_WORLD_IPV6}},
	{IR_ENTITY_HOST, {POLC_ID_HOST}},
	{IR_ENTITY_REMOTE_NODE, {POLC_ID_REMOTE_NODE}},
	{IR_ENTITY_KUBE_APISERVER, {POLC_ID_KUBE_APISERVER}},
	{IR_ENTITY_HEALTH, {POLC_ID_HEALTH}},
	{IR_ENTITY_INIT, {POLC_ID_INIT}},
	{IR_ENTITY_INGRESS, {POLC_ID_INGRESS}},
	{IR_ENTITY_UNMANAGED, {POLC_ID_UNMANAGED}},
};

/* Reserved identities inside the cluster (Cilium's "cluster" entity), besides every pod. */
static const uint32_t cluster_reserved[] = {
	POLC_ID_HOST, POLC_ID_UNMANAGED, POLC_ID_HEALTH, POLC_ID_INIT,
	POLC_ID_REMOTE_NODE, POLC_ID_KUBE_APISERVER, POLC_ID_INGRESS,
};

/*
 * Entities by label, for the API server's combined identities (apiserver.c),
 * which exist only when an address has them and carry both labels: the
 * local host that serves the API is still host, an external API server
 * still world (and so outside cluster).
 */
static const struct {
	uint32_t entities;
	const char *label;
} entity_labels[] = {
	{IR_ENTITY_HOST | IR_ENTITY_CLUSTER, "reserved:host"},
	{IR_ENTITY_REMOTE_NODE | IR_ENTITY_CLUSTER, "reserved:remote-node"},
	{IR_ENTITY_WORLD | IR_ENTITY_WORLD_IPV4, "reserved:world-ipv4"},
	{IR_ENTITY_WORLD | IR_ENTITY_WORLD_IPV6, "reserved:world-ipv6"},
	{IR_ENTITY_KUBE_APISERVER, "reserved:kube-apiserver"},
};

static bool combined_matches(const struct dp_identity *id, uint32_t entities)
{
	for (size_t i = 0; i < sizeof(entity_labels) / sizeof(entity_labels[0]); i++)
		if ((entities & entity_labels[i].entities) && ir_labels_get(&id->labels, entity_labels[i].label))
			return true;
	return false;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int entity_ids(struct pass_ctx *ctx, uint32_t entities, struct id_set *set)
{
	const struct ir_datapath *dp = ctx->dp;
	size_t cap = dp->identities.len + 16;
	set->ids = arena_calloc(ctx->arena, cap, sizeof(uint32_t));
	if (!set->ids)
		return -ENOMEM;
	set->n = 0;
	for (size_t i = 0; i < sizeof(entity_identities) / sizeof(entity_identities[0]); i++) {
		if (!(entities & entity_identities[i].entity))
			continue;
		for (size_t j = 0; j < 4 && entity_identities[i].ids[j]; j++)
			set->ids[set->n++] = entity_identities[i].ids[j];
	}
	for (size_t i = 0; i < dp->identities.len; i++) {
		const struct dp_identity *id = &dp->identities.items[i];
		if (id->reserved && id->labels.len > 1 && combined_matches(id, entities))
			set->ids[set->n++] = id->id;
	}
	if (entities & IR_ENTITY_CLUSTER) {
		for (size_t i = 0; i < sizeof(cluster_reserved) / sizeof(cluster_reserved[0]); i++)
			set->ids[set->n++] = cluster_reserved[i];
		for (size_t i = 0; i < dp->identities.len; i++)
			if (!dp->identities.items[i].reserved)
				set->ids[set->n++] = dp->identities.items[i].id;
	}
	qsort(set->ids, set->n, sizeof(uint32_t), id_cmp);
	size_t n = 0;
	for (size_t i = 0; i < set->n; i++)
		if (n == 0 || set->ids[i] != set->ids[n - 1])
			set->ids[n++] = set->ids[i];
	set->n = n;
	return 0;
}

int peer_identities(struct pass_ctx *ctx, const struct ir_peer *peer, const struct id_set **out)
{
	void *slot;
	bool inserted;
	if (hashmap_upsert(&ctx->peer_sets, &peer, &slot, &inserted))
		return -ENOMEM;
	struct id_set *set = slot;
	if (!inserted) {
		*out = set;
		return 0;
	}
	if (peer->kind == IR_PEER_ENTITY) {
		int err = entity_ids(ctx, peer->entities, set);
		if (err)
			return err;
	} else {
		const struct ir_datapath *dp = ctx->dp;
		set->ids = arena_calloc(ctx->arena, dp->identities.len + 1, sizeof(uint32_t));
		if (!set->ids)
			return -ENOMEM;
		for (size_t i = 0; i < dp->identities.len; i++)
			if (selector_matches(&peer->sel, &dp->identities.items[i].labels))
				set->ids[set->n++] = dp->identities.items[i].id;
	}
	*out = set;
	return 0;
}

/* ---- entry merging ---- */

struct entry_sink {
	struct pass_ctx *ctx;
	struct hashmap entries;
	uint32_t policy;
	const struct ir_rule *rule;
	uint8_t action;
	size_t *per_rule; /* entries emitted per rule id, for the limit diagnostic */
	bool l7;          /* the policy has L7 rules: report its allow entries to pass_l7 */
};

struct port_key {
	uint8_t proto;
	uint8_t kind; /* POLC_PORT_* */
	uint16_t port;
	const struct ir_l7 *l7; /* the port's L7 rules (passes/l7.c) */
};

static int emit(struct entry_sink *s, uint32_t peer, struct port_key pk)
{
	struct polc_policy_key key;
	memset(&key, 0, sizeof(key));
	key.policy = s->policy;
	key.peer = peer;
	key.proto = pk.proto;
	key.port_kind = pk.kind;
	key.port = pk.port;
	void *slot;
	bool inserted;
	if (hashmap_upsert(&s->entries, &key, &slot, &inserted))
		return -ENOMEM;
	struct polc_policy_value *v = slot;
	s->per_rule[s->rule->id]++;
	if (s->l7 && s->action == POLC_ACT_ALLOW && l7_contribute(s->ctx, &key, pk.l7, s->rule->id))
		return -ENOMEM;
	if (inserted || (s->action == POLC_ACT_DENY && v->action != POLC_ACT_DENY) ||
	    (s->action == v->action && s->rule->id < v->rule)) {
		v->rule = s->rule->id;
		v->action = s->action;
	}
	return 0;
}

typedef VEC(struct port_key) port_key_vec;
typedef VEC(uint32_t) peer_key_vec;

static int port_keys_of(struct pass_ctx *ctx, const struct dp_applied_rule *ar, port_key_vec *out)
{
	if (ar->n_ports == 0)
		return vec_push(ctx->arena, out, (struct port_key){0, POLC_PORT_ANY, 0, NULL});
	uint16_t *cls = NULL;
	size_t n_cls = 0, cap = 0;
	for (size_t i = 0; i < ar->n_ports; i++) {
		const struct dp_port *p = &ar->ports[i];
		if (p->dst_name)
			continue;
		int slot = port_slot(p->proto);
		if (slot < 0 || ir_port_is_wildcard(p->proto, p->lo, p->hi)) {
			if (vec_push(ctx->arena, out, (struct port_key){p->proto, POLC_PORT_ANY, 0, p->l7}))
				return -ENOMEM;
			continue;
		}
		if (p->lo == p->hi) {
			if (vec_push(ctx->arena, out, (struct port_key){p->proto, POLC_PORT_EXACT, p->lo, p->l7}))
				return -ENOMEM;
			continue;
		}
		n_cls = 0;
		int err = port_classes_in_range(ctx, slot, p->lo, p->hi, &cls, &n_cls, &cap);
		if (err)
			return err;
		for (size_t c = 0; c < n_cls; c++)
			if (vec_push(ctx->arena, out, (struct port_key){p->proto, POLC_PORT_RANGE, cls[c], p->l7}))
				return -ENOMEM;
	}
	return 0;
}

static int push_class(void *arg, uint32_t cls)
{
	struct {
		struct arena *arena;
		peer_key_vec *keys;
	} *a = arg;
	return vec_push(a->arena, a->keys, POLC_PEER_CIDR | cls);
}

static int peer_keys_of(struct pass_ctx *ctx, const struct ir_peer *peer, peer_key_vec *out)
{
	switch (peer->kind) {
	case IR_PEER_ALL:
		return vec_push(ctx->arena, out, POLC_PEER_ANY);
	case IR_PEER_CIDR: {
		struct {
			struct arena *arena;
			peer_key_vec *keys;
		} arg = {ctx->arena, out};
		return cidr_peer_classes(ctx, peer, push_class, &arg);
	}
	case IR_PEER_FQDN:
		/* Addresses learned at run time (bpf-templates/fqdn.h), keyed by the selector. */
		return vec_push(ctx->arena, out, POLC_PEER_FQDN | dns_fqdn_hash(peer->fqdn.regex));
	case IR_PEER_SELECTOR:
	case IR_PEER_ENTITY: {
		if (peer->kind == IR_PEER_ENTITY && (peer->entities & IR_ENTITY_ALL))
			return vec_push(ctx->arena, out, POLC_PEER_ANY);
		const struct id_set *set;
		int err = peer_identities(ctx, peer, &set);
		for (size_t i = 0; !err && i < set->n; i++)
			err = vec_push(ctx->arena, out, set->ids[i]);
		return err;
	}
	}
	return -EINVAL;
}

static bool id_in(const struct id_set *set, uint32_t id)
{
	return bsearch(&id, set->ids, set->n, sizeof(uint32_t), id_cmp) != NULL;
}

static bool cidr_peer_covers(const struct ir_peer *peer, const struct ir_cidr *addr)
{
	if (!ir_cidr_contains(&peer->cidr, addr))
		return false;
	for (size_t i = 0; i < peer->n_except; i++)
		if (ir_cidr_contains(&peer->except[i], addr))
			return false;
	return true;
}

/* Egress port `name`: one entry per destination pod the peer covers that names it. */
static int emit_named(struct entry_sink *s, const struct ir_peer *peer, const struct dp_port *port)
{
	struct pass_ctx *ctx = s->ctx;
	const struct ir_program *prog = ctx->prog;
	const struct id_set *set = NULL;
	/* A named port is a pod's: learned FQDN addresses are the world's. */
	if (port_slot(port->proto) < 0 || peer->kind == IR_PEER_FQDN)
		return 0;
	if (peer->kind == IR_PEER_SELECTOR || (peer->kind == IR_PEER_ENTITY && !(peer->entities & IR_ENTITY_ALL))) {
		int err = peer_identities(ctx, peer, &set);
		if (err)
			return err;
	}
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		uint32_t identity = ctx->dp->pod_identity[i];
		if (!identity)
			continue;
		for (size_t np = 0; np < pod->n_ports; np++) {
			const struct ir_named_port *nport = &pod->ports[np];
			if (nport->proto != port->proto || strcmp(nport->name, port->dst_name) != 0)
				continue;
			struct port_key pk = {port->proto, POLC_PORT_EXACT, nport->port, port->l7};
			int err = 0;
			if (peer->kind == IR_PEER_CIDR) {
				for (size_t a = 0; !err && a < pod->n_addrs; a++) {
					if (!peer->matches_endpoints || !cidr_peer_covers(peer, &pod->addrs[a]))
						continue;
					uint32_t ep_cls = cidr_endpoint_class(ctx, &pod->addrs[a]);
					if (ep_cls)
						err = emit(s, POLC_PEER_CIDR | ep_cls, pk);
				}
			} else if (!set || id_in(set, identity)) {
				err = emit(s, identity, pk);
			}
			if (err)
				return err;
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct polc_policy_key));
}

static int report_limit(struct entry_sink *s)
{
	struct pass_ctx *ctx = s->ctx;
	size_t worst = 0;
	for (size_t i = 1; i < ctx->prog->rules.len; i++)
		if (s->per_rule[i] > s->per_rule[worst])
			worst = i;
	const struct ir_rule *rule = ctx->prog->rules.items[worst];
	int err = diag_error(ctx->diags, rule->loc, rule->path, "too-many-entries",
			     "split the policy, use fewer port ranges, or select peers by label instead of by CIDR",
			     "the policy set needs %zu policy map entries, over the limit of %zu; this rule alone expands to %zu",
			     s->entries.n, ctx->limits.max_policy_entries, s->per_rule[worst]);
	return err ? err : -EINVAL;
}

/*
 * The probes any pod could need, from the rules alone: a pod created
 * later (libpolc's endpoint operations, which never run clang) may be
 * selected by a rule that selects nobody today, or be the first peer of
 * one. Probing for keys no entry has yet costs a hash miss; not probing
 * for keys a new pod brings would leave the program unable to enforce
 * it. Audit by pod annotation is the one thing rules cannot foresee.
 */
static void potential_features(const struct ir_program *prog, struct dp_features *f)
{
	for (size_t i = 0; i < prog->rules.len; i++) {
		const struct ir_rule *r = prog->rules.items[i];
		if (r->action == IR_DENY)
			f->have_deny = true;
		if (r->policy->audit)
			f->have_audit = true;
		for (size_t p = 0; p < r->n_peers; p++) {
			const struct ir_peer *peer = &r->peers[p];
			if (peer->kind == IR_PEER_ALL || (peer->kind == IR_PEER_ENTITY && (peer->entities & IR_ENTITY_ALL)))
				f->probe_peer_any = true;
			else if (peer->kind == IR_PEER_CIDR)
				f->probe_cidr = true;
		}
		if (r->n_peers == 0)
			continue; /* matches no peer: no entry, whoever comes */
		if (r->n_ports == 0)
			f->probe_proto_any = true;
		for (size_t k = 0; k < r->n_ports; k++) {
			const struct ir_port *port = &r->ports[k];
			if (port->name || (port_slot(port->proto) >= 0 && !ir_port_is_wildcard(port->proto, port->lo, port->hi) &&
					   port->lo == port->hi))
				f->probe_port_exact = true;
			else if (port_slot(port->proto) < 0 || ir_port_is_wildcard(port->proto, port->lo, port->hi))
				f->probe_port_any = true;
			else
				f->probe_port_class = true;
		}
	}
}

int pass_entries(struct pass_ctx *ctx)
{
	struct ir_datapath *dp = ctx->dp;
	struct arena *a = ctx->arena;
	struct entry_sink s = {.ctx = ctx};
	s.per_rule = arena_calloc(a, ctx->prog->rules.len + 1, sizeof(size_t));
	if (!s.per_rule || hashmap_init(&s.entries, a, sizeof(struct polc_policy_key), sizeof(struct polc_policy_value)))
		return -ENOMEM;

	for (size_t i = 0; i < dp->policies.len; i++) {
		const struct dp_policy *pol = dp->policies.items[i];
		s.policy = pol->id;
		s.l7 = false;
		for (size_t r = 0; r < pol->n_rules && !s.l7; r++)
			for (size_t k = 0; k < pol->rules[r].n_ports && !s.l7; k++)
				s.l7 = pol->rules[r].ports[k].l7 != NULL;
		for (size_t r = 0; r < pol->n_rules; r++) {
			const struct dp_applied_rule *ar = &pol->rules[r];
			s.rule = ar->rule;
			s.action = ar->rule->action == IR_DENY ? POLC_ACT_DENY : POLC_ACT_ALLOW;
			port_key_vec ports = {0};
			int err = port_keys_of(ctx, ar, &ports);
			if (err)
				return err;
			for (size_t p = 0; p < ar->rule->n_peers; p++) {
				const struct ir_peer *peer = &ar->rule->peers[p];
				peer_key_vec peers = {0};
				err = peer_keys_of(ctx, peer, &peers);
				for (size_t x = 0; !err && x < peers.len; x++)
					for (size_t y = 0; !err && y < ports.len; y++)
						err = emit(&s, peers.items[x], ports.items[y]);
				for (size_t k = 0; !err && k < ar->n_ports; k++)
					if (ar->ports[k].dst_name)
						err = emit_named(&s, peer, &ar->ports[k]);
				if (err)
					return err;
				if (s.entries.n > ctx->limits.max_policy_entries)
					return report_limit(&s);
			}
		}
	}

	size_t iter = 0;
	const void *k;
	void *v;
	struct dp_features *f = &dp->features;
	while (hashmap_next(&s.entries, &iter, &k, &v)) {
		struct dp_policy_entry *e = vec_add(a, &dp->entries);
		if (!e)
			return -ENOMEM;
		memcpy(&e->key, k, sizeof(e->key));
		memcpy(&e->value, v, sizeof(e->value));
		if (e->key.peer == POLC_PEER_ANY)
			f->probe_peer_any = true;
		else if ((e->key.peer & POLC_PEER_KIND_MASK) == POLC_PEER_CIDR)
			f->probe_cidr = true;
		else if ((e->key.peer & POLC_PEER_KIND_MASK) == POLC_PEER_FQDN)
			f->have_fqdn = true;
		if (e->key.proto == 0)
			f->probe_proto_any = true;
		else if (e->key.port_kind == POLC_PORT_EXACT)
			f->probe_port_exact = true;
		else if (e->key.port_kind == POLC_PORT_RANGE)
			f->probe_port_class = true;
		else
			f->probe_port_any = true;
		if (e->value.action == POLC_ACT_DENY)
			f->have_deny = true;
	}
	if (dp->entries.len > 1)
		qsort(dp->entries.items, dp->entries.len, sizeof(*dp->entries.items), entry_cmp);
	for (size_t i = 0; i < dp->endpoints.len; i++)
		if (dp->endpoints.items[i].flags & (POLC_EP_AUDIT_INGRESS | POLC_EP_AUDIT_EGRESS))
			f->have_audit = true;
	potential_features(ctx->prog, f);
	return 0;
}

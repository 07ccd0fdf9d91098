/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Conservative set relations on the policy IR (see cover.h). Selectors
 * are conjunctions of requirements, so "outer covers inner" holds when
 * each requirement of outer follows from one requirement of inner; peers
 * and ports are unions, covered item by item. Unions that only cover
 * together (80-85 and 86-90 covering 80-90) are not recognised: that
 * costs a missed warning, never a false one.
 */
#include "cover.h"

#include <string.h>

static bool value_in(const char *v, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, values[i]) == 0)
			return true;
	return false;
}

/* Every value of a is in b. */
static bool values_subset(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!value_in(a[i], b, nb))
			return false;
	return true;
}

static bool values_disjoint(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (value_in(a[i], b, nb))
			return false;
	return true;
}

/* A key's label name: after the source ("k8s:app" -> "app"; "app" has source any). */
static const char *key_name(const char *key, bool *any_source)
{
	const char *colon = strchr(key, ':');
	*any_source = !colon || (colon - key == 3 && strncmp(key, IR_LABEL_SOURCE_ANY, 3) == 0);
	return colon ? colon + 1 : key;
}

/*
 * Do the keys of s and r name the same label for this pair of operators?
 * The same key always does. A requirement on "any:app" is also met by a
 * label app of any one source, so a positive requirement on "k8s:app"
 * implies a positive one on "any:app" (a Cilium selector written without
 * source against NetworkPolicy's k8s: keys). Negative ones do not carry
 * over: another source could hold the label.
 */
static bool same_label(const struct ir_requirement *s, const struct ir_requirement *r)
{
	if (strcmp(s->key, r->key) == 0)
		return true;
	bool s_any, r_any;
	const char *sn = key_name(s->key, &s_any), *rn = key_name(r->key, &r_any);
	bool positive = (r->op == IR_SEL_IN || r->op == IR_SEL_EXISTS) && (s->op == IR_SEL_IN || s->op == IR_SEL_EXISTS);
	return r_any && !s_any && positive && strcmp(sn, rn) == 0;
}

/* Does requirement s (of the inner selector) imply requirement r (of the outer one)? */
static bool implies(const struct ir_requirement *s, const struct ir_requirement *r)
{
	if (!same_label(s, r))
		return false;
	switch (r->op) {
	case IR_SEL_IN:
		return s->op == IR_SEL_IN && s->n_values > 0 &&
		       values_subset(s->values, s->n_values, r->values, r->n_values);
	case IR_SEL_EXISTS:
		return (s->op == IR_SEL_IN && s->n_values > 0) || s->op == IR_SEL_EXISTS;
	case IR_SEL_NOT_IN:
		if (s->op == IR_SEL_IN)
			return values_disjoint(s->values, s->n_values, r->values, r->n_values);
		if (s->op == IR_SEL_NOT_IN)
			return values_subset(r->values, r->n_values, s->values, s->n_values);
		return s->op == IR_SEL_NOT_EXISTS;
	case IR_SEL_NOT_EXISTS:
		return s->op == IR_SEL_NOT_EXISTS;
	}
	return false;
}

bool cover_selector(const struct ir_selector *outer, const struct ir_selector *inner)
{
	for (size_t i = 0; i < outer->n_reqs; i++) {
		bool ok = false;
		for (size_t j = 0; j < inner->n_reqs && !ok; j++)
			ok = implies(&inner->reqs[j], &outer->reqs[i]);
		if (!ok)
			return false;
	}
	return true;
}

/* A selector that can only match pods: it requires the pod namespace label. */
static bool selects_pods_only(const struct ir_selector *sel)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct ir_requirement *r = &sel->reqs[i];
		if (strcmp(r->key, IR_LABEL_SOURCE_K8S ":" IR_LABEL_NAMESPACE) == 0 &&
		    (r->op == IR_SEL_EXISTS || (r->op == IR_SEL_IN && r->n_values > 0)))
			return true;
	}
	return false;
}

static uint32_t entity_closure(uint32_t e)
{
	if (e & IR_ENTITY_WORLD)
		e |= IR_ENTITY_WORLD_IPV4 | IR_ENTITY_WORLD_IPV6;
	if ((e & IR_ENTITY_WORLD_IPV4) && (e & IR_ENTITY_WORLD_IPV6))
		e |= IR_ENTITY_WORLD;
	return e;
}

bool cidr_overlap(const struct ir_cidr *a, const struct ir_cidr *b)
{
	return a->family == b->family && (ir_cidr_contains(a, b) || ir_cidr_contains(b, a));
}

static bool cover_cidr_peer(const struct ir_peer *outer, const struct ir_peer *inner)
{
	if (inner->matches_endpoints && !outer->matches_endpoints)
		return false;
	if (!ir_cidr_contains(&outer->cidr, &inner->cidr))
		return false;
	/* What outer's excepts remove from inner's range, inner must have removed too. */
	for (size_t i = 0; i < outer->n_except; i++) {
		const struct ir_cidr *e = &outer->except[i];
		if (!cidr_overlap(e, &inner->cidr))
			continue;
		bool removed = false;
		for (size_t j = 0; j < inner->n_except && !removed; j++)
			removed = ir_cidr_contains(&inner->except[j], e);
		if (!removed)
			return false;
	}
	return true;
}

bool cover_peer(const struct ir_peer *outer, const struct ir_peer *inner)
{
	if (outer->kind == IR_PEER_ALL || (outer->kind == IR_PEER_ENTITY && (outer->entities & IR_ENTITY_ALL)))
		return true;
	switch (inner->kind) {
	case IR_PEER_ALL:
		return false;
	case IR_PEER_SELECTOR:
		if (outer->kind == IR_PEER_SELECTOR)
			return cover_selector(&outer->sel, &inner->sel);
		if (outer->kind == IR_PEER_ENTITY && (outer->entities & IR_ENTITY_CLUSTER))
			return selects_pods_only(&inner->sel);
		return false;
	case IR_PEER_CIDR:
		return outer->kind == IR_PEER_CIDR && cover_cidr_peer(outer, inner);
	case IR_PEER_ENTITY:
		if (outer->kind != IR_PEER_ENTITY)
			return false;
		if (inner->entities & IR_ENTITY_ALL)
			return false;
		return (entity_closure(inner->entities) & ~entity_closure(outer->entities)) == 0;
	}
	return false;
}

bool cover_peers(const struct ir_rule *outer, const struct ir_rule *inner)
{
	for (size_t i = 0; i < inner->n_peers; i++) {
		bool ok = false;
		for (size_t j = 0; j < outer->n_peers && !ok; j++)
			ok = cover_peer(&outer->peers[j], &inner->peers[i]);
		if (!ok)
			return false;
	}
	return true;
}

static bool port_wildcard(const struct ir_port *p)
{
	return !p->name && ir_port_is_wildcard(p->proto, p->lo, p->hi);
}

static bool cover_port(const struct ir_port *outer, const struct ir_port *inner)
{
	if (outer->proto != inner->proto)
		return false;
	if (port_wildcard(outer))
		return true;
	if (outer->name || inner->name)
		return outer->name && inner->name && strcmp(outer->name, inner->name) == 0;
	if (port_wildcard(inner))
		return false;
	return outer->lo <= inner->lo && inner->hi <= outer->hi;
}

bool cover_ports(const struct ir_rule *outer, const struct ir_rule *inner)
{
	if (outer->n_ports == 0)
		return true;
	if (inner->n_ports == 0)
		return false;
	for (size_t i = 0; i < inner->n_ports; i++) {
		bool ok = false;
		for (size_t j = 0; j < outer->n_ports && !ok; j++)
			ok = cover_port(&outer->ports[j], &inner->ports[i]);
		if (!ok)
			return false;
	}
	return true;
}

static bool cover_subject(const struct ir_rule *outer, const struct ir_rule *inner)
{
	if (outer->policy == inner->policy)
		return true;
	return cover_selector(&outer->policy->subject, &inner->policy->subject);
}

bool cover_rule(const struct ir_rule *outer, const struct ir_rule *inner)
{
	return outer->dir == inner->dir && cover_subject(outer, inner) && cover_ports(outer, inner) &&
	       cover_peers(outer, inner);
}

bool rules_equivalent(const struct ir_rule *a, const struct ir_rule *b)
{
	return cover_rule(a, b) && cover_rule(b, a);
}

static bool port_pair_overlap(const struct ir_port *a, const struct ir_port *b)
{
	if (a->proto != b->proto)
		return false;
	if (port_wildcard(a) || port_wildcard(b))
		return true;
	if (a->name || b->name)
		return a->name && b->name && strcmp(a->name, b->name) == 0;
	return a->lo <= b->hi && b->lo <= a->hi;
}

bool ports_overlap(const struct ir_rule *a, const struct ir_rule *b)
{
	if (a->n_ports == 0 || b->n_ports == 0)
		return true;
	for (size_t i = 0; i < a->n_ports; i++)
		for (size_t j = 0; j < b->n_ports; j++)
			if (port_pair_overlap(&a->ports[i], &b->ports[j]))
				return true;
	return false;
}

bool rule_matches_port(const struct ir_rule *rule, uint8_t proto, uint16_t port)
{
	if (rule->n_ports == 0)
		return true;
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct ir_port *p = &rule->ports[i];
		if (p->proto != proto || p->name)
			continue;
		if (port_wildcard(p) || (port >= p->lo && port <= p->hi))
			return true;
	}
	return false;
}

bool rule_allows_all(const struct ir_rule *rule)
{
	if (rule->n_ports != 0)
		return false;
	for (size_t i = 0; i < rule->n_peers; i++) {
		const struct ir_peer *p = &rule->peers[i];
		if (p->kind == IR_PEER_ALL || (p->kind == IR_PEER_ENTITY && (p->entities & IR_ENTITY_ALL)))
			return true;
	}
	return false;
}

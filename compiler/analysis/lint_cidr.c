/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * CIDR peers (NetworkPolicy ipBlock, Cilium toCIDR/toCIDRSet) that
 * overlap:
 *
 *   cidr-overlap      a CIDR peer inside another CIDR peer that already
 *                     allows (denies) it for the same pods and ports: in
 *                     the same rule, or in another rule that is not
 *                     redundant as a whole (that one gets redundant-rule).
 *   except-reallowed  an except that a CIDR (or allow-all) peer of an
 *                     allow rule for the same pods and overlapping ports
 *                     allows again: the except does not keep that traffic
 *                     out, which is what an except is written for.
 *
 * Prefixes nest or are disjoint, so "overlap" is containment.
 */
#include <string.h>

#include "cover.h"
#include "lint_int.h"

static bool policies_meet(const struct lint *l, const struct ir_policy *a, const struct ir_policy *b)
{
	if (a == b || cover_selector(&b->subject, &a->subject))
		return true;
	if (!l->have_pods)
		return false;
	for (size_t i = 0; i < l->prog->pods.len; i++)
		if (lint_selects_pod(l, a, i) && lint_selects_pod(l, b, i))
			return true;
	return false;
}

static const char *cidr_text(struct lint *l, const struct ir_cidr *c)
{
	char buf[64];
	return lint_fmt(l, "%s", ir_cidr_str(c, buf, sizeof(buf)));
}

static const char *peer_ref(struct lint *l, const struct ir_rule *r, const struct ir_peer *q, const struct ir_rule *from)
{
	if (r == from)
		return q->path ? q->path : "this rule";
	if (r->policy == from->policy)
		return q->path ? q->path : lint_rule_ref(l, r, from);
	return lint_fmt(l, "%s of %s %s (%s:%u)", q->path ? q->path : "a rule", ir_policy_kind_name(r->policy->kind),
			lint_policy_name(l, r->policy), source_name(l->in->sources, q->loc.file), q->loc.line);
}

/* ---- cidr-overlap -------------------------------------------------------- */

static void report_overlap(struct lint *l, const struct ir_rule *a, const struct ir_peer *p, const struct ir_rule *b,
			   const struct ir_peer *q)
{
	const char *verb = a->action == IR_ALLOW ? "allows" : "denies";
	const char *inner = cidr_text(l, &p->cidr), *outer = cidr_text(l, &q->cidr);
	const char *ref = peer_ref(l, b, q, a);
	if (cover_peer(p, q)) {
		lint_warn(l, p->loc, p->path, "cidr-overlap", "delete one of the two", "%s repeats %s (%s)%s", inner,
			  outer, ref, a == b ? " in this rule" : "");
		return;
	}
	const char *hint = "delete the inner prefix, or put it in the outer one's except if it was meant to be "
			   "treated differently";
	if (a == b)
		lint_warn(l, p->loc, p->path, "cidr-overlap", hint, "%s is inside %s (%s), which this rule already %s",
			  inner, outer, ref, verb);
	else
		lint_warn(l, p->loc, p->path, "cidr-overlap", hint, "%s is inside %s, which %s already %s on these ports",
			  inner, outer, ref, verb);
}

static void check_overlap(struct lint *l)
{
	const struct ir_program *prog = l->prog;
	for (size_t i = 0; i < prog->rules.len; i++) {
		const struct ir_rule *a = prog->rules.items[i];
		for (size_t k = 0; k < a->n_peers; k++) {
			const struct ir_peer *p = &a->peers[k];
			if (p->kind != IR_PEER_CIDR)
				continue;
			bool done = false;
			/* The same rule: the peers are a union. */
			for (size_t m = 0; m < a->n_peers && !done; m++) {
				const struct ir_peer *q = &a->peers[m];
				if (m == k || q->kind != IR_PEER_CIDR || !cover_peer(q, p))
					continue;
				/* Two equal peers: report the second only. */
				if (cover_peer(p, q) && m > k)
					continue;
				report_overlap(l, a, p, a, q);
				done = true;
			}
			/* Other rules of the same action that cover a's ports and pods, unless they cover a whole. */
			for (size_t j = 0; j < prog->rules.len && !done; j++) {
				const struct ir_rule *b = prog->rules.items[j];
				if (b == a || b->dir != a->dir || b->action != a->action || !cover_ports(b, a) ||
				    cover_rule(b, a))
					continue;
				if (b->policy != a->policy && !cover_selector(&b->policy->subject, &a->policy->subject))
					continue;
				for (size_t m = 0; m < b->n_peers && !done; m++) {
					const struct ir_peer *q = &b->peers[m];
					if (q->kind != IR_PEER_CIDR || !cover_peer(q, p))
						continue;
					/* Mutual cover between rules: only the later rule's peer is reported. */
					if (cover_peer(p, q) && cover_ports(a, b) && b->id > a->id)
						continue;
					report_overlap(l, a, p, b, q);
					done = true;
				}
			}
		}
	}
}

/* ---- except-reallowed ---------------------------------------------------- */

/* The except's own node: ipBlock.except[x] (NetworkPolicy) or except[x] (Cilium CIDR sets). */
static void except_position(struct lint *l, const struct ir_peer *p, size_t x, struct src_loc *loc, const char **path)
{
	static const char *const forms[] = {".ipBlock.except", ".except"};
	*loc = p->loc;
	*path = p->path;
	if (!p->path)
		return;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *try = lint_fmt(l, "%s%s[%zu]", p->path, forms[i], x);
		const struct ynode *n = lint_yaml_node(l, p->loc, try, NULL);
		if (n) {
			*loc = n->loc;
			*path = try;
			return;
		}
	}
}

static bool excepted_by(const struct ir_peer *q, const struct ir_cidr *range)
{
	for (size_t i = 0; i < q->n_except; i++)
		if (ir_cidr_contains(&q->except[i], range))
			return true;
	return false;
}

/* Does peer q (of an allow rule) allow some address of except e again? Sets *whole if all of it. */
static bool reallows(const struct ir_peer *q, const struct ir_cidr *e, bool *whole)
{
	*whole = false;
	switch (q->kind) {
	case IR_PEER_ALL:
		*whole = true;
		return true;
	case IR_PEER_ENTITY:
		if (q->entities & (IR_ENTITY_ALL | IR_ENTITY_WORLD) ||
		    (q->entities & IR_ENTITY_WORLD_IPV4 && e->family == 4) ||
		    (q->entities & IR_ENTITY_WORLD_IPV6 && e->family == 6)) {
			*whole = true;
			return true;
		}
		return false;
	case IR_PEER_CIDR: {
		if (!cidr_overlap(&q->cidr, e))
			return false;
		const struct ir_cidr *common = ir_cidr_contains(&q->cidr, e) ? e : &q->cidr;
		if (excepted_by(q, common))
			return false;
		*whole = common == e && q->n_except == 0;
		return true;
	}
	case IR_PEER_SELECTOR:
		return false;
	}
	return false;
}

static void check_except(struct lint *l, const struct ir_rule *a, const struct ir_peer *p, size_t x)
{
	const struct ir_cidr *e = &p->except[x];
	const struct ir_program *prog = l->prog;
	for (size_t j = 0; j < prog->rules.len; j++) {
		const struct ir_rule *b = prog->rules.items[j];
		if (b->dir != a->dir || b->action != IR_ALLOW || !ports_overlap(a, b) || !policies_meet(l, a->policy, b->policy))
			continue;
		for (size_t m = 0; m < b->n_peers; m++) {
			const struct ir_peer *q = &b->peers[m];
			bool whole;
			if (q == p || !reallows(q, e, &whole))
				continue;
			struct src_loc loc;
			const char *path;
			except_position(l, p, x, &loc, &path);
			const char *what = q->kind == IR_PEER_CIDR ? cidr_text(l, &q->cidr)
				: q->kind == IR_PEER_ALL ? "every address" : "an entity";
			bool all_ports = b == a || cover_ports(b, a);
			lint_warn(l, loc, path, "except-reallowed",
				  "add the same except to the other peer, or drop this except if the traffic may pass",
				  "except %s is allowed again by %s (%s)%s: %s", cidr_text(l, e), what,
				  peer_ref(l, b, q, a), all_ports ? "" : " on some of the ports",
				  whole && all_ports ? "the except keeps nothing out"
				  : whole ? "the except does not keep it out on those ports" : "part of it still passes");
			return;
		}
	}
}

static void check_excepts(struct lint *l)
{
	for (size_t i = 0; i < l->prog->rules.len; i++) {
		const struct ir_rule *a = l->prog->rules.items[i];
		if (a->action != IR_ALLOW)
			continue;
		for (size_t k = 0; k < a->n_peers; k++) {
			const struct ir_peer *p = &a->peers[k];
			if (p->kind != IR_PEER_CIDR)
				continue;
			for (size_t x = 0; x < p->n_except; x++)
				check_except(l, a, p, x);
		}
	}
}

void lint_check_cidr(struct lint *l)
{
	check_overlap(l);
	check_excepts(l);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Rules that add nothing, or that another rule cancels:
 *
 *   allow-all-rule        an allow rule for every peer and port (an empty
 *                         NetworkPolicy rule, entity all): the direction is
 *                         not isolated at all and every other allow rule of
 *                         the policy in that direction is redundant. One
 *                         warning on it, naming those rules.
 *   duplicate-rule        two rules that match exactly the same traffic for
 *                         the same pods with the same action (written twice,
 *                         or repeated through a YAML alias): on the later one.
 *   redundant-rule        another rule with the same action covers this one
 *                         (peers, ports and the pods it applies to).
 *   deny-overrides-allow  a deny covers an allow: deny takes precedence, the
 *                         allow has no effect. Reported on the deny, at its
 *                         section (ingressDeny:, egressDeny:). A deny that
 *                         covers only some peers of an allow is reported at
 *                         each of those peers.
 *
 * Rules of different policies are compared when the outer policy's
 * subject provably covers the inner one's, so a CiliumNetworkPolicy deny
 * is found to cancel a NetworkPolicy allow. Coverage is cover.h's:
 * proven for every inventory, never a guess.
 */
#include <errno.h>
#include <string.h>

#include "cover.h"
#include "lint_int.h"

/* Rule pairs compared at most; beyond it the check stops with a note. */
#define MAX_COMPARISONS 20000000ull

struct redundant {
	struct lint *l;
	bool *reported; /* by rule id: already said to be redundant or dead */
	unsigned long long comparisons;
	bool stopped;
};

static const char *dir_word(enum ir_dir dir)
{
	return dir == IR_INGRESS ? "ingress" : "egress";
}

/* Path of the list that holds a rule: spec.ingressDeny of spec.ingressDeny[0]. */
static const char *section_path(struct lint *l, const char *path)
{
	if (!path)
		return NULL;
	const char *br = strrchr(path, '[');
	return br ? lint_fmt(l, "%.*s", (int)(br - path), path) : path;
}

static void check_allow_all(struct redundant *rd)
{
	struct lint *l = rd->l;
	for (size_t p = 0; p < l->prog->policies.len; p++) {
		const struct ir_policy *pol = l->prog->policies.items[p];
		for (size_t i = 0; i < pol->rules.len; i++) {
			const struct ir_rule *a = pol->rules.items[i];
			if (a->action != IR_ALLOW || !rule_allows_all(a))
				continue;
			const char *list = "";
			size_t n = 0;
			for (size_t j = 0; j < pol->rules.len; j++) {
				const struct ir_rule *b = pol->rules.items[j];
				if (b == a || b->dir != a->dir || b->action != IR_ALLOW || rd->reported[b->id])
					continue;
				rd->reported[b->id] = true;
				list = lint_fmt(l, "%s%s%s", list, n ? ", " : "", b->path ? b->path : "a rule");
				n++;
			}
			const char *tail = n ? lint_fmt(l, "; %s %s redundant", list, n == 1 ? "is" : "are") : "";
			rd->reported[a->id] = true;
			lint_warn(l, a->loc, a->path, "allow-all-rule",
				  "an empty rule matches every peer and port; give it from/to and ports, or, if "
				  "everything is meant, drop the other rules",
				  "empty rule allows all %s (every %s, in or outside the cluster, on every port): "
				  "the policy isolates nothing in this direction%s",
				  dir_word(a->dir), a->dir == IR_INGRESS ? "source" : "destination", tail);
		}
	}
}

static bool same_loc(struct src_loc a, struct src_loc b)
{
	return a.file == b.file && a.line == b.line && a.col == b.col;
}

/*
 * A deny that covers some peers of an allow (on all of its ports) but not
 * the whole rule: those peers allow nothing. Reported at each such peer,
 * once (peers of one rule are a union: the others still count).
 */
static void dead_peers(struct redundant *rd, const struct ir_rule *allow, const struct ir_rule *deny)
{
	struct lint *l = rd->l;
	for (size_t i = 0; i < allow->n_peers; i++) {
		const struct ir_peer *p = &allow->peers[i];
		bool covered = false;
		for (size_t j = 0; j < deny->n_peers && !covered; j++)
			covered = cover_peer(&deny->peers[j], p);
		if (!covered || lint_reported(l, p->loc, "deny-overrides-allow"))
			continue;
		const char *who = allow->dir == IR_INGRESS ? "source" : "destination";
		lint_warn(l, p->loc, p->path, "deny-overrides-allow",
			  "remove this peer, or narrow the deny if it was meant to pass",
			  "%s denies every %s this peer allows, on every port of %s; deny takes precedence, so the "
			  "peer has no effect",
			  lint_rule_ref(l, deny, allow), who, allow->path ? allow->path : "the rule");
	}
}

/* inner and outer: different rules of the same direction, outer's policy covering inner's. */
static void compare(struct redundant *rd, const struct ir_rule *inner, const struct ir_rule *outer)
{
	struct lint *l = rd->l;
	if (rd->reported[inner->id])
		return;
	rd->comparisons++;
	if (!cover_ports(outer, inner))
		return;
	if (!cover_peers(outer, inner)) {
		if (outer->action == IR_DENY && inner->action == IR_ALLOW)
			dead_peers(rd, inner, outer);
		return;
	}
	if (outer->action == inner->action) {
		bool equal = cover_rule(inner, outer);
		/* Equal rules: the later one repeats the earlier one. */
		if (equal && inner->id < outer->id)
			return;
		rd->reported[inner->id] = true;
		const char *ref = lint_rule_ref(l, outer, inner);
		if (equal) {
			const char *how = same_loc(inner->loc, outer->loc) ? " through a YAML alias" : "";
			lint_warn(l, inner->loc, inner->path, "duplicate-rule",
				  "delete the repeated rule; the union of identical rules is the rule itself",
				  "repeats %s%s", ref, how);
		} else {
			const char *verb = inner->action == IR_ALLOW ? "allows" : "denies";
			lint_warn(l, inner->loc, inner->path, "redundant-rule",
				  "delete it, or narrow the broader rule if this one was meant to be the limit",
				  "%s nothing that %s does not already %s", verb, ref,
				  inner->action == IR_ALLOW ? "allow" : "deny");
		}
		return;
	}
	if (outer->action != IR_DENY)
		return;
	/* An allow under a deny that covers it: dead. */
	rd->reported[inner->id] = true;
	bool exact = cover_peers(inner, outer) && cover_ports(inner, outer);
	const char *ref = lint_rule_ref(l, inner, outer);
	struct src_loc loc = lint_yaml_key_loc(l, outer->loc, section_path(l, outer->path), outer->loc);
	lint_warn(l, loc, outer->path, "deny-overrides-allow",
		  "remove the allow rule, or narrow the deny if the allow was meant to pass",
		  "denies %s %s allows; deny takes precedence, %s has no effect", exact ? "exactly what" : "everything",
		  ref, inner->policy == outer->policy ? inner->path : "that rule");
}

static void compare_policies(struct redundant *rd, const struct ir_policy *inner, const struct ir_policy *outer)
{
	for (size_t i = 0; i < inner->rules.len && !rd->stopped; i++) {
		const struct ir_rule *a = inner->rules.items[i];
		for (size_t j = 0; j < outer->rules.len; j++) {
			const struct ir_rule *b = outer->rules.items[j];
			if (a == b || a->dir != b->dir)
				continue;
			compare(rd, a, b);
		}
		if (rd->comparisons > MAX_COMPARISONS)
			rd->stopped = true;
	}
}

static bool may_cover(const struct ir_policy *outer, const struct ir_policy *inner)
{
	if (outer == inner)
		return true;
	/* Namespaced policies only select pods of their namespace. */
	if (outer->namespace && (!inner->namespace || strcmp(outer->namespace, inner->namespace) != 0))
		return false;
	return cover_selector(&outer->subject, &inner->subject);
}

void lint_check_redundant(struct lint *l)
{
	struct redundant rd = {.l = l};
	rd.reported = arena_calloc(l->arena, l->prog->rules.len + 1, sizeof(*rd.reported));
	if (!rd.reported) {
		l->err = -ENOMEM;
		return;
	}
	check_allow_all(&rd);
	/* The policies that may cover each one, found once (same namespace, or cluster-wide). */
	size_t n = l->prog->policies.len;
	const struct ir_policy ***outers = arena_calloc(l->arena, n + 1, sizeof(*outers));
	size_t *n_outers = arena_calloc(l->arena, n + 1, sizeof(*n_outers));
	if (!outers || !n_outers) {
		l->err = -ENOMEM;
		return;
	}
	for (size_t p = 0; p < n; p++) {
		const struct ir_policy *inner = l->prog->policies.items[p];
		VEC(const struct ir_policy *) v = {0};
		for (size_t q = 0; q < n; q++) {
			const struct ir_policy *outer = l->prog->policies.items[q];
			if (may_cover(outer, inner) && vec_push(l->arena, &v, outer)) {
				l->err = -ENOMEM;
				return;
			}
		}
		outers[p] = v.items;
		n_outers[p] = v.len;
	}
	/* Denies first: a dead allow is worth more than "redundant" (which it also is). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t p = 0; p < n && !rd.stopped; p++) {
			const struct ir_policy *inner = l->prog->policies.items[p];
			for (size_t q = 0; q < n_outers[p] && !rd.stopped; q++) {
				const struct ir_policy *outer = outers[p][q];
				if (pass == 0) {
					/* Only deny rules of outer against allow rules of inner. */
					for (size_t i = 0; i < inner->rules.len; i++) {
						const struct ir_rule *a = inner->rules.items[i];
						if (a->action != IR_ALLOW)
							continue;
						for (size_t j = 0; j < outer->rules.len; j++) {
							const struct ir_rule *b = outer->rules.items[j];
							if (b->action == IR_DENY && a->dir == b->dir)
								compare(&rd, a, b);
						}
					}
				} else {
					compare_policies(&rd, inner, outer);
				}
			}
		}
	}
	if (rd.stopped)
		diag_note(l->diags, (struct src_loc){0}, NULL, "lint-budget", NULL,
			  "redundancy checks stopped after %llu rule comparisons", rd.comparisons);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * egress-no-dns: a policy puts its pods into egress default deny and no
 * rule lets them reach DNS (UDP port 53, to any peer). The pods can
 * still connect to addresses, but names stop resolving: the most common
 * way an egress policy breaks an application.
 *
 * With an inventory the answer is per pod: a pod is fine when any allow
 * rule of any policy that selects it opens UDP 53. Without one, the
 * rules of the policy itself and of policies whose subject provably
 * covers it are considered.
 */
#include <errno.h>
#include <string.h>

#include "cover.h"
#include "lint_int.h"

#define DNS_PORT 53
#define MAX_NAMED 4

static bool named_dns(const struct lint *l, const struct ir_port *p)
{
	if (!l->have_pods)
		return true; /* cannot tell: do not warn */
	for (size_t i = 0; i < l->prog->pods.len; i++) {
		const struct ir_pod *pod = &l->prog->pods.items[i];
		for (size_t k = 0; k < pod->n_ports; k++)
			if (pod->ports[k].proto == p->proto && pod->ports[k].port == DNS_PORT &&
			    strcmp(pod->ports[k].name, p->name) == 0)
				return true;
	}
	return false;
}

static bool allows_dns(const struct lint *l, const struct ir_rule *r)
{
	if (r->dir != IR_EGRESS || r->action != IR_ALLOW || r->n_peers == 0)
		return false;
	if (rule_matches_port(r, IR_PROTO_UDP, DNS_PORT))
		return true;
	for (size_t i = 0; i < r->n_ports; i++)
		if (r->ports[i].name && r->ports[i].proto == IR_PROTO_UDP && named_dns(l, &r->ports[i]))
			return true;
	return false;
}

static bool policy_allows_dns(const struct lint *l, const struct ir_policy *p)
{
	for (size_t i = 0; i < p->rules.len; i++)
		if (allows_dns(l, p->rules.items[i]))
			return true;
	return false;
}

/* Per pod, computed once: 0 unknown, 1 reaches DNS, 2 does not. */
static bool pod_has_dns(const struct lint *l, uint8_t *memo, size_t pod)
{
	if (!memo[pod]) {
		memo[pod] = 2;
		for (size_t q = 0; q < l->prog->policies.len && memo[pod] == 2; q++) {
			const struct ir_policy *pol = l->prog->policies.items[q];
			if (lint_selects_pod(l, pol, pod) && policy_allows_dns(l, pol))
				memo[pod] = 1;
		}
	}
	return memo[pod] == 1;
}

/* Where to point: the Egress of policyTypes, else the egress section, else the policy. */
static void position(struct lint *l, const struct ir_policy *p, struct src_loc *loc, const char **path)
{
	const struct ynode *types = lint_yaml_node(l, p->loc, "spec.policyTypes", NULL);
	if (types && types->kind == YNODE_SEQUENCE) {
		for (size_t i = 0; i < types->seq.len; i++) {
			const struct ynode *t = types->seq.items[i];
			if (t->kind == YNODE_SCALAR && strcmp(t->scalar.value, "Egress") == 0) {
				*loc = t->loc;
				*path = lint_fmt(l, "spec.policyTypes[%zu]", i);
				return;
			}
		}
	}
	for (size_t i = 0; i < p->rules.len; i++) {
		const struct ir_rule *r = p->rules.items[i];
		const char *br = r->dir == IR_EGRESS && r->path ? strrchr(r->path, '[') : NULL;
		if (!br)
			continue;
		*path = lint_fmt(l, "%.*s", (int)(br - r->path), r->path);
		*loc = lint_yaml_key_loc(l, r->loc, *path, r->loc);
		return;
	}
	*loc = p->subject.loc.line ? p->subject.loc : p->loc;
	*path = p->subject.path;
}

static void check_policy(struct lint *l, const struct ir_policy *p, uint8_t *memo)
{
	size_t selected = 0, without = 0;
	const char *names = "";
	for (size_t i = 0; l->have_pods && i < l->prog->pods.len; i++) {
		if (!lint_selects_pod(l, p, i))
			continue;
		selected++;
		if (pod_has_dns(l, memo, i))
			continue;
		if (without < MAX_NAMED)
			names = lint_fmt(l, "%s%s%s", names, without ? ", " : "", lint_pod_name(l, i));
		else if (without == MAX_NAMED)
			names = lint_fmt(l, "%s, ...", names);
		without++;
	}
	const char *who;
	if (l->have_pods && !selected)
		return; /* it selects no pod: selects-no-pods says so, and nothing breaks */
	if (selected) {
		if (!without)
			return;
		who = lint_fmt(l, "pod%s %s", without == 1 ? "" : "s", names);
	} else {
		if (policy_allows_dns(l, p))
			return;
		for (size_t q = 0; q < l->prog->policies.len; q++) {
			const struct ir_policy *o = l->prog->policies.items[q];
			if (o != p && cover_selector(&o->subject, &p->subject) && policy_allows_dns(l, o))
				return;
		}
		who = "the pods it selects";
	}
	struct src_loc loc;
	const char *path;
	position(l, p, &loc, &path);
	lint_warn(l, loc, path, "egress-no-dns",
		  "allow UDP and TCP port 53 to the cluster DNS, e.g. to: [{namespaceSelector: {matchLabels: "
		  "{kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]",
		  "egress is default-deny and no rule allows DNS (UDP port 53): %s cannot resolve names", who);
}

void lint_check_dns(struct lint *l)
{
	uint8_t *memo = arena_calloc(l->arena, l->prog->pods.len + 1, 1);
	if (!memo) {
		l->err = -ENOMEM;
		return;
	}
	for (size_t p = 0; p < l->prog->policies.len; p++) {
		const struct ir_policy *pol = l->prog->policies.items[p];
		if (pol->enforce[IR_EGRESS])
			check_policy(l, pol, memo);
	}
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Selections checked against the inventory (only when the input holds
 * pods: without an inventory nothing can be said):
 *
 *   selects-no-pods        a policy whose subject matches no pod: it
 *                          changes nothing. The warning points at the
 *                          requirement that no pod of the namespace meets.
 *   peer-selects-no-pods   a from/to selector that can only match pods and
 *                          matches none: the rule allows (denies) nothing.
 *   named-port-undeclared  a named port that no pod the rule applies to
 *                          declares (ingress: the selected pods; egress:
 *                          the destination pods): it matches nothing.
 *
 * Pods are matched through their identity labels, exactly as the passes
 * and the datapath match them.
 */
#include <string.h>

#include "../passes/passes.h"
#include "../util/strbuf.h"
#include "lint_int.h"

#define NS_KEY IR_LABEL_SOURCE_K8S ":" IR_LABEL_NAMESPACE
#define NS_LABELS_KEY IR_LABEL_SOURCE_K8S ":" IR_LABEL_NS_LABELS_PREFIX
#define MAX_NAMED 4 /* pods named in one message */

/* A requirement as the user wrote it: app=web, team in (a,b), !legacy, namespace label team=a. */
static const char *req_text(struct lint *l, const struct ir_requirement *r)
{
	const char *key = r->key;
	const char *what = "";
	if (strncmp(key, NS_LABELS_KEY, strlen(NS_LABELS_KEY)) == 0) {
		key += strlen(NS_LABELS_KEY);
		what = "namespace label ";
	} else if (strncmp(key, IR_LABEL_SOURCE_K8S ":", 4) == 0) {
		key += 4;
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, what);
	switch (r->op) {
	case IR_SEL_IN:
	case IR_SEL_NOT_IN:
		if (r->n_values == 1) {
			strbuf_printf(&sb, "%s%s%s", key, r->op == IR_SEL_IN ? "=" : "!=", r->values[0]);
			break;
		}
		strbuf_printf(&sb, "%s %s (", key, r->op == IR_SEL_IN ? "in" : "notin");
		for (size_t i = 0; i < r->n_values; i++)
			strbuf_printf(&sb, "%s%s", i ? "," : "", r->values[i]);
		strbuf_putc(&sb, ')');
		break;
	case IR_SEL_EXISTS:
		strbuf_printf(&sb, "%s", key);
		break;
	case IR_SEL_NOT_EXISTS:
		strbuf_printf(&sb, "!%s", key);
		break;
	}
	const char *s = strbuf_error(&sb) ? "" : lint_fmt(l, "%s", strbuf_cstr(&sb));
	strbuf_free(&sb);
	return s;
}

static const struct ir_requirement *namespace_req(const struct ir_selector *sel)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (strcmp(sel->reqs[i].key, NS_KEY) == 0 && sel->reqs[i].op == IR_SEL_IN && sel->reqs[i].n_values == 1)
			return &sel->reqs[i];
	return NULL;
}

static size_t count_matches(const struct lint *l, const struct ir_selector *sel)
{
	size_t n = 0;
	for (size_t i = 0; i < l->prog->pods.len; i++)
		n += lint_selector_matches_pod(l, sel, i);
	return n;
}

/* Pods of a namespace (all pods for NULL), "a, b, c, ..." */
static const char *pods_in(struct lint *l, const char *ns, size_t *count)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < l->prog->pods.len; i++) {
		const struct ir_pod *p = &l->prog->pods.items[i];
		if (ns && strcmp(p->namespace, ns) != 0)
			continue;
		if (n < MAX_NAMED)
			strbuf_printf(&sb, "%s%s", n ? ", " : "", ns ? p->name : lint_pod_name(l, i));
		else if (n == MAX_NAMED)
			strbuf_puts(&sb, ", ...");
		n++;
	}
	*count = n;
	const char *s = strbuf_error(&sb) ? "" : lint_fmt(l, "%s", n ? strbuf_cstr(&sb) : "");
	strbuf_free(&sb);
	return s;
}

/*
 * The first requirement that no pod in reach meets on its own (with the
 * namespace requirement, if any): the one to point at.
 */
static const struct ir_requirement *culprit(const struct lint *l, const struct ir_selector *sel,
					    const struct ir_requirement *ns)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct ir_requirement *r = &sel->reqs[i];
		if (r == ns)
			continue;
		struct ir_requirement pair[2] = {*r};
		struct ir_selector one = {.reqs = pair, .n_reqs = 1};
		if (ns)
			pair[one.n_reqs++] = *ns;
		if (count_matches(l, &one) == 0)
			return r;
	}
	return NULL;
}

static void check_subjects(struct lint *l)
{
	for (size_t p = 0; p < l->prog->policies.len; p++) {
		const struct ir_policy *pol = l->prog->policies.items[p];
		const struct ir_selector *sel = &pol->subject;
		if (count_matches(l, sel) > 0)
			continue;
		const struct ir_requirement *ns = namespace_req(sel);
		const char *ns_name = ns ? ns->values[0] : NULL;
		size_t n_there;
		const char *there = pods_in(l, ns_name, &n_there);
		const struct ir_requirement *r = n_there ? culprit(l, sel, ns) : NULL;
		struct src_loc loc = r && r->loc.line ? r->loc : sel->loc.line ? sel->loc : pol->loc;
		const char *where = ns_name ? lint_fmt(l, " in namespace %s", ns_name) : "";
		const char *hint = ns_name ? lint_fmt(l, "compare the selector with the pods' labels (kubectl get pods -n %s "
						      "--show-labels); a policy that selects no pod changes nothing",
						      ns_name)
					   : "compare the selector with the pods' labels (kubectl get pods -A "
					     "--show-labels); a policy that selects no pod changes nothing";
		if (!n_there)
			lint_warn(l, loc, sel->path, "selects-no-pods", hint,
				  "selects 0 pods%s: the inventory has no pod there", where);
		else if (r)
			lint_warn(l, loc, sel->path, "selects-no-pods", hint,
				  "selects 0 pods%s: no pod there has %s (pods there: %s)", where, req_text(l, r), there);
		else
			lint_warn(l, loc, sel->path, "selects-no-pods", hint,
				  "selects 0 pods%s: no pod there meets every requirement together (pods there: %s)",
				  where, there);
	}
}

/* A selector that can match only pods (it names their namespace). */
static bool pods_only(const struct ir_selector *sel)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (strcmp(sel->reqs[i].key, NS_KEY) == 0 &&
		    (sel->reqs[i].op == IR_SEL_EXISTS || sel->reqs[i].op == IR_SEL_IN))
			return true;
	return false;
}

static void check_peers(struct lint *l)
{
	for (size_t i = 0; i < l->prog->rules.len; i++) {
		const struct ir_rule *r = l->prog->rules.items[i];
		for (size_t k = 0; k < r->n_peers; k++) {
			const struct ir_peer *peer = &r->peers[k];
			if (peer->kind != IR_PEER_SELECTOR || !pods_only(&peer->sel) || count_matches(l, &peer->sel))
				continue;
			/* The same selector object reached twice (an alias): one warning. */
			bool repeat = false;
			for (size_t j = 0; j < k && !repeat; j++)
				repeat = r->peers[j].kind == IR_PEER_SELECTOR && r->peers[j].sel.reqs == peer->sel.reqs;
			if (repeat)
				continue;
			const struct ir_requirement *ns = namespace_req(&peer->sel);
			const struct ir_requirement *c = culprit(l, &peer->sel, ns);
			struct src_loc loc = c && c->loc.line ? c->loc : peer->sel.loc.line ? peer->sel.loc : peer->loc;
			const char *why = c ? lint_fmt(l, ": no pod%s has %s", ns ? lint_fmt(l, " in namespace %s",
											ns->values[0])
										   : "",
						       req_text(l, c))
					    : "";
			lint_warn(l, loc, peer->sel.path ? peer->sel.path : peer->path, "peer-selects-no-pods",
				  "check the labels against the inventory; a peer that matches nothing "
				  "allows nothing",
				  "%s %s matches 0 pods of the inventory%s", r->dir == IR_INGRESS ? "source" : "destination",
				  r->action == IR_DENY ? "of a deny rule" : "selector", why);
		}
	}
}

static bool declares(const struct ir_pod *pod, const char *name, uint8_t proto, bool *other_proto)
{
	for (size_t i = 0; i < pod->n_ports; i++) {
		if (strcmp(pod->ports[i].name, name) != 0)
			continue;
		if (pod->ports[i].proto == proto)
			return true;
		*other_proto = true;
	}
	return false;
}

static bool in_cidr_peer(const struct ir_peer *peer, const struct ir_pod *pod)
{
	for (size_t a = 0; a < pod->n_addrs; a++) {
		if (!ir_cidr_contains(&peer->cidr, &pod->addrs[a]))
			continue;
		bool excepted = false;
		for (size_t e = 0; e < peer->n_except && !excepted; e++)
			excepted = ir_cidr_contains(&peer->except[e], &pod->addrs[a]);
		if (!excepted)
			return true;
	}
	return false;
}

/* Is pod a destination of egress rule r? */
static bool egress_reaches(const struct lint *l, const struct ir_rule *r, size_t pod)
{
	for (size_t k = 0; k < r->n_peers; k++) {
		const struct ir_peer *peer = &r->peers[k];
		switch (peer->kind) {
		case IR_PEER_ALL:
			return true;
		case IR_PEER_SELECTOR:
			if (lint_selector_matches_pod(l, &peer->sel, pod))
				return true;
			break;
		case IR_PEER_CIDR:
			if (peer->matches_endpoints && in_cidr_peer(peer, &l->prog->pods.items[pod]))
				return true;
			break;
		case IR_PEER_ENTITY:
			if (peer->entities & (IR_ENTITY_ALL | IR_ENTITY_CLUSTER))
				return true;
			break;
		}
	}
	return false;
}

static void check_named_ports(struct lint *l)
{
	for (size_t i = 0; i < l->prog->rules.len; i++) {
		const struct ir_rule *r = l->prog->rules.items[i];
		for (size_t k = 0; k < r->n_ports; k++) {
			const struct ir_port *p = &r->ports[k];
			if (!p->name)
				continue;
			size_t targets = 0;
			bool found = false, other_proto = false;
			const char *first = NULL;
			for (size_t pod = 0; pod < l->prog->pods.len && !found; pod++) {
				bool reached = r->dir == IR_INGRESS ? lint_selects_pod(l, r->policy, pod)
								    : egress_reaches(l, r, pod);
				if (!reached)
					continue;
				if (!targets++)
					first = lint_pod_name(l, pod);
				found = declares(&l->prog->pods.items[pod], p->name, p->proto, &other_proto);
			}
			if (found || !targets)
				continue;
			size_t n = p->path ? strlen(p->path) : 0;
			const char *path = !p->path ? NULL
				: n >= 5 && strcmp(p->path + n - 5, ".port") == 0 ? p->path
										   : lint_fmt(l, "%s.port", p->path);
			struct src_loc loc = lint_yaml_loc(l, p->loc, path, p->loc);
			const char *proto = ir_proto_name(p->proto);
			const char *who = r->dir == IR_INGRESS
				? targets == 1 ? "the only pod the policy selects"
					       : lint_fmt(l, "any of the %zu pods the policy selects", targets)
				: targets == 1 ? "the only destination pod"
					       : lint_fmt(l, "any of the %zu destination pods", targets);
			lint_warn(l, loc, path, "named-port-undeclared",
				  other_proto ? lint_fmt(l, "a pod declares \"%s\" for another protocol: set protocol to "
							    "match it",
							 p->name)
					      : "named ports resolve to containers[].ports[].name of the destination "
						"pod; check the name against the pods",
				  "no %s port named \"%s\" on %s (%s%s): the port matches nothing", proto, p->name, who,
				  first, targets > 1 ? ", ..." : "");
		}
	}
}

void lint_check_select(struct lint *l)
{
	if (!l->have_pods)
		return;
	check_subjects(l);
	check_peers(l);
	check_named_ports(l);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Rules that look like they do something and do not, or do much more
 * than they say:
 *
 *   inert-rules          spec.ingress with policyTypes: [Egress] (and the
 *                        reverse): the API server keeps the rules, nothing
 *                        enforces them. The front end records them
 *                        (frontend.inert), since they are never lowered.
 *   port-zero            a Cilium port "0": Cilium reads it as every port
 *                        of the protocol, usually a placeholder or typo.
 *                        The IR has only "every port" for it, so the
 *                        spelling is read back from the YAML. The Cilium
 *                        front end says the same while it decodes the
 *                        port (same code); this check stays silent then,
 *                        and covers any front end that does not.
 */
#include <string.h>

#include "../util/strmap.h"
#include "lint_int.h"

static void check_inert(struct lint *l)
{
	for (size_t i = 0; i < l->in->n_inert; i++) {
		const struct frontend_inert_rules *in = &l->in->inert[i];
		const char *dir = in->dir == IR_INGRESS ? "Ingress" : "Egress";
		const char *key = in->dir == IR_INGRESS ? "ingress" : "egress";
		lint_warn(l, in->loc, in->path, "inert-rules",
			  lint_fmt(l, "add %s to spec.policyTypes to enforce %s, or delete %s", dir,
				   in->n_rules == 1 ? "the rule" : "the rules", in->path),
			  "ignored because policyTypes does not include %s: %zu %s rule%s of %s %s %s no effect, and "
			  "this policy leaves %s of the pods it selects unrestricted",
			  dir, in->n_rules, key, in->n_rules == 1 ? "" : "s", ir_policy_kind_name(in->policy->kind),
			  lint_policy_name(l, in->policy), in->n_rules == 1 ? "has" : "have", key);
	}
}

static bool is_zero(const struct ynode *n)
{
	if (!n || n->kind != YNODE_SCALAR || n->scalar.len == 0)
		return false;
	return strspn(n->scalar.value, "0") == n->scalar.len;
}

static void check_port_zero(struct lint *l)
{
	struct strmap seen; /* a protocol ANY port becomes three IR ports: one warning */
	strmap_init(&seen, l->arena);
	for (size_t i = 0; i < l->prog->rules.len; i++) {
		const struct ir_rule *r = l->prog->rules.items[i];
		if (r->policy->kind == IR_POLICY_K8S)
			continue; /* NetworkPolicy refuses port 0 (k8s validation) */
		for (size_t k = 0; k < r->n_ports; k++) {
			const struct ir_port *p = &r->ports[k];
			if (p->name || !p->path || !ir_port_is_wildcard(p->proto, p->lo, p->hi))
				continue;
			size_t n = strlen(p->path);
			bool has_suffix = n >= 5 && strcmp(p->path + n - 5, ".port") == 0;
			const char *path = has_suffix ? p->path : lint_fmt(l, "%s.port", p->path);
			const struct ynode *node = lint_yaml_node(l, p->loc, path, NULL);
			if (!is_zero(node))
				continue;
			if (strmap_add(&seen, path, strlen(path), (void *)path, NULL) != 1 ||
			    lint_reported(l, node->loc, "port-zero"))
				continue;
			const char *proto = ir_proto_name(p->proto);
			lint_warn(l, node->loc, path, "port-zero",
				  "write the port you mean; if every port is meant, leave the ports list out of toPorts",
				  "port 0 means every %s port", proto);
		}
	}
}

void lint_check_inert(struct lint *l)
{
	check_inert(l);
	check_port_zero(l);
}

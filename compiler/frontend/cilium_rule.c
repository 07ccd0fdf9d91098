/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One Cilium api.Rule (a spec, an item of specs, or of a bare rule list)
 * -> its subject, default-deny switches and lowered entries.
 *
 * Shape (pkg/policy/api/rule.go, ingress.go, egress.go; the CRD schema):
 *   {description, labels: [{key, value, source}],
 *    endpointSelector | nodeSelector,
 *    enableDefaultDeny: {ingress: bool, egress: bool},
 *    ingress:     [{fromEndpoints | fromCIDR | fromCIDRSet | fromEntities |
 *                   fromNodes | fromGroups, fromRequires,
 *                   toPorts | icmps, authentication}],
 *    ingressDeny: [{same, without authentication; toPorts: [{ports}]}],
 *    egress:      [{toEndpoints | toCIDR | toCIDRSet | toEntities | toServices |
 *                   toFQDNs | toGroups | toNodes, toRequires,
 *                   toPorts | icmps, authentication}],
 *    egressDeny:  [{same, without toFQDNs and authentication; toPorts: [{ports}]}]}
 *
 * Semantics of an entry (pkg/policy/rule.go mergeIngress/mergeEgress,
 * GetSourceEndpointSelectorsWithRequirements):
 *   - at most one L3 peer kind per entry (rule_validation.go: "combining
 *     X and Y is not supported yet"); its items are a union;
 *   - L3 only: every protocol and port of those peers;
 *   - toPorts or icmps without any L3 field: those ports from/to every
 *     peer (the wildcard endpoint selector: every identity, world too);
 *   - an L3 field given as an empty list selects no peer, even beside
 *     toPorts (the CRD's documentation of toEndpoints; Cilium 1.17 and
 *     older read it as the wildcard there; polc takes the reading that
 *     never opens more, and warns);
 *   - no L3 field and no L4 field ({}): matches nothing.
 *
 * Default deny (rule_validation.go Rule.Sanitize): a direction is
 * enforced when enableDefaultDeny says so, else when the rule has at
 * least one entry in that direction's allow or deny list: `ingress: [{}]`
 * switches ingress default deny on and allows nothing, `ingress: []`
 * does not, `ingressDeny: [...]` does.
 *
 * A rule with no entry in any of the four lists is refused as Cilium
 * 1.18 and later refuse it ("rule must have at least one of Ingress,
 * IngressDeny, Egress, EgressDeny"; 1.17 accepted it and did nothing).
 */
#include <errno.h>
#include <string.h>

#include "cilium.h"

static const char *const rule_fields[] = {"description", "egress", "egressDeny", "enableDefaultDeny",
					  "endpointSelector", "ingress", "ingressDeny", "labels", "nodeSelector",
					  NULL};
static const char *const ingress_fields[] = {"fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet",
					     "fromEntities", "fromNodes", "fromGroups", "toPorts", "icmps",
					     "authentication", NULL};
static const char *const ingress_deny_fields[] = {"fromEndpoints", "fromRequires", "fromCIDR", "fromCIDRSet",
						  "fromEntities", "fromNodes", "fromGroups", "toPorts", "icmps", NULL};
static const char *const egress_fields[] = {"toEndpoints", "toRequires", "toCIDR", "toCIDRSet", "toEntities",
					    "toServices", "toFQDNs", "toGroups", "toNodes", "toPorts", "icmps",
					    "authentication", NULL};
static const char *const egress_deny_fields[] = {"toEndpoints", "toRequires", "toCIDR", "toCIDRSet",
						 "toEntities", "toServices", "toGroups", "toNodes", "toPorts", "icmps",
						 NULL};
static const char *const ingress_l3[] = {"fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes",
					 "fromGroups", NULL};
static const char *const egress_l3[] = {"toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toFQDNs",
					"toGroups", "toNodes", NULL};
static const char *const default_deny_fields[] = {"ingress", "egress", NULL};
static const char *const label_fields[] = {"key", "value", "source", NULL};
static const char *const auth_fields[] = {"mode", NULL};
static const char *const group_fields[] = {"aws", NULL};
static const char *const aws_fields[] = {"labels", "region", "securityGroupsIds", "securityGroupsNames", NULL};
static const char *const service_fields[] = {"k8sService", "k8sServiceSelector", NULL};

/* pkg/policy/api/entity.go EntitySelectorMapping (world-ipv4/-ipv6 since 1.15). */
static const struct {
	const char *name;
	uint32_t bit;
} entities[] = {
	{"all", IR_ENTITY_ALL},
	{"world", IR_ENTITY_WORLD},
	{"world-ipv4", IR_ENTITY_WORLD_IPV4},
	{"world-ipv6", IR_ENTITY_WORLD_IPV6},
	{"cluster", IR_ENTITY_CLUSTER},
	{"host", IR_ENTITY_HOST},
	{"remote-node", IR_ENTITY_REMOTE_NODE},
	{"kube-apiserver", IR_ENTITY_KUBE_APISERVER},
	{"health", IR_ENTITY_HEALTH},
	{"init", IR_ENTITY_INIT},
	{"ingress", IR_ENTITY_INGRESS},
	{"unmanaged", IR_ENTITY_UNMANAGED},
	{"none", IR_ENTITY_NONE},
};

#define N_ENTITIES (sizeof(entities) / sizeof(entities[0]))

static bool in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

static bool push_peer(struct cil *c, struct cil_rule *rule, struct ir_peer peer)
{
	if (vec_push(c->arena, &rule->peers, peer)) {
		c->oom = true;
		return false;
	}
	return true;
}

static void parse_entities(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule)
{
	struct decoder *d = &c->d;
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *item = list->seq.items[i];
		const char *name;
		if (!decode_string(d, item, &ip, &name))
			continue;
		uint32_t bit = 0;
		for (size_t k = 0; k < N_ENTITIES && !bit; k++)
			if (strcmp(entities[k].name, name) == 0)
				bit = entities[k].bit;
		if (!bit) {
			const char *names[N_ENTITIES + 1];
			for (size_t k = 0; k < N_ENTITIES; k++)
				names[k] = entities[k].name;
			names[N_ENTITIES] = NULL;
			const char *sug = decode_suggest(name, names);
			const char *hint = sug ? arena_printf(c->arena, "did you mean \"%s\"?", sug)
				: strcmp(name, "internet") == 0 || strcmp(name, "external") == 0
					? "outside the cluster is the entity \"world\""
					: "entities: all, world, world-ipv4, world-ipv6, cluster, host, remote-node, "
					  "kube-apiserver, health, init, ingress, unmanaged, none";
			/* The CRD enum and rule_validation.go ("unsupported entity: %s"). */
			decode_error_at(d, item->loc, &ip, "unsupported-value", hint,
					"Unsupported value: %s: not a Cilium entity (unsupported entity: %s)",
					decode_quote(d, name), name);
			continue;
		}
		if (cil_crd(c) && (bit & (IR_ENTITY_WORLD_IPV4 | IR_ENTITY_WORLD_IPV6)))
			decode_warning_at(d, item->loc, &ip, "entity-not-in-crd",
					  "kubectl may refuse it; a bare rule list (cilium-dbg policy import) takes it",
					  "entity %s is known to the Cilium agent but missing from the enum of some "
					  "CiliumNetworkPolicy CRD schemas",
					  decode_quote(d, name));
		struct ir_peer peer = {.kind = IR_PEER_ENTITY, .loc = item->loc, .path = cil_path(c, &ip),
				       .entities = bit};
		if (!push_peer(c, rule, peer))
			return;
	}
}

static void parse_endpoints(struct cil *c, const struct ynode *list, const struct ypath *path, bool subject_init,
			    struct cil_rule *rule)
{
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *item = list->seq.items[i];
		struct cil_selector sel;
		if (!cil_decode_selector(c, item, &ip, &sel))
			continue;
		struct ir_peer peer = {.kind = IR_PEER_SELECTOR, .loc = item->loc, .path = cil_path(c, &ip)};
		if (!cil_peer_selector(c, &sel, subject_init, &peer.sel))
			return;
		peer.sel.path = peer.path;
		if (!push_peer(c, rule, peer))
			return;
	}
}

static void parse_cidrs(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule)
{
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		struct ir_peer peer = {.kind = IR_PEER_CIDR, .loc = list->seq.items[i]->loc, .path = cil_path(c, &ip)};
		/* api.CIDR: the agent takes a bare address, the CRD's format: cidr does not. */
		if (cil_parse_cidr(c, list->seq.items[i], &ip, !cil_crd(c), &peer.cidr) && !push_peer(c, rule, peer))
			return;
	}
}

/* Selectors that are validated but not lowered (fromNodes, fromRequires, ...). */
static void check_selectors(struct cil *c, const struct ynode *list, const struct ypath *path)
{
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		struct cil_selector sel;
		cil_decode_selector(c, list->seq.items[i], &ip, &sel);
	}
}

static void check_groups(struct cil *c, const struct ynode *list, const struct ypath *path)
{
	struct decoder *d = &c->d;
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *g = list->seq.items[i];
		if (!decode_mapping(d, g, &ip))
			continue;
		decode_known_fields(d, g, &ip, group_fields);
		struct ypath ap = YPATH_KEY(&ip, "aws");
		const struct ynode *aws = ymap_get(g, "aws");
		if (ynode_is_set(aws) && decode_mapping(d, aws, &ap))
			decode_known_fields(d, aws, &ap, aws_fields);
	}
}

static void check_services(struct cil *c, const struct ynode *list, const struct ypath *path)
{
	struct decoder *d = &c->d;
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *s = list->seq.items[i];
		if (decode_mapping(d, s, &ip))
			decode_known_fields(d, s, &ip, service_fields);
	}
}

static void parse_authentication(struct cil *c, const struct ynode *node, const struct ypath *path)
{
	struct decoder *d = &c->d;
	if (!decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, auth_fields);
	struct ypath mp = YPATH_KEY(path, "mode");
	const struct ynode *mn = ymap_get(node, "mode");
	const char *mode;
	if (!ynode_is_set(mn)) {
		decode_error_at(d, node->loc, &mp, "required-field", "mode: disabled, required or test-always-fail",
				"Required value");
		return;
	}
	if (!decode_string(d, mn, &mp, &mode))
		return;
	if (strcmp(mode, "disabled") == 0)
		return; /* no authentication: nothing to enforce */
	if (strcmp(mode, "required") == 0 || strcmp(mode, "test-always-fail") == 0) {
		cil_unsupported(c, mn->loc, &mp, "polc enforces identities, not mutual authentication",
				"authentication mode %s (mutual authentication) is not supported by polc",
				decode_quote(d, mode));
		return;
	}
	decode_error_at(d, mn->loc, &mp, "unsupported-value", NULL,
			"Unsupported value: %s: supported values: \"disabled\", \"required\", \"test-always-fail\"",
			decode_quote(d, mode));
}

/* One entry of ingress, ingressDeny, egress or egressDeny. */
static void parse_entry(struct cil *c, const struct ynode *node, const struct ypath *path, enum ir_dir dir,
			enum ir_action action, bool subject_init, struct cil_spec *spec)
{
	struct decoder *d = &c->d;
	struct cil_rule *rule = vec_add(c->arena, &spec->rules);
	if (!rule) {
		c->oom = true;
		return;
	}
	rule->dir = dir;
	rule->action = action;
	rule->loc = node->loc;
	rule->path = cil_path(c, path);
	if (ynode_is_null(node))
		return; /* "- " : the empty entry, {} */
	if (!decode_mapping(d, node, path))
		return;
	bool deny = action == IR_DENY;
	const char *const *fields = dir == IR_INGRESS ? (deny ? ingress_deny_fields : ingress_fields)
						      : (deny ? egress_deny_fields : egress_fields);
	decode_known_fields(d, node, path, fields);
	const char *const *l3 = dir == IR_INGRESS ? ingress_l3 : egress_l3;

	/* One L3 peer kind per entry, in document order for the message. */
	const char *l3_used = NULL, *l3_empty = NULL;
	bool l3_given = false;
	for (size_t i = 0; i < node->map.len; i++) {
		const char *key = node->map.pairs[i].key->scalar.value;
		const struct ynode *v = node->map.pairs[i].value;
		if (!in_list(key, l3) || !ynode_is_set(v) || (deny && strcmp(key, "toFQDNs") == 0))
			continue;
		l3_given = true;
		if (v->kind == YNODE_SEQUENCE && v->seq.len == 0 && !l3_empty)
			l3_empty = key;
		if (v->kind != YNODE_SEQUENCE || v->seq.len == 0)
			continue;
		if (l3_used) {
			decode_error_at(d, node->map.pairs[i].key->loc, path, "forbidden",
					"write one entry per peer kind: entries of a list are a union",
					"combining %s and %s is not supported yet", l3_used, key);
			continue;
		}
		l3_used = key;
	}

	for (size_t i = 0; i < node->map.len; i++) {
		const char *key = node->map.pairs[i].key->scalar.value;
		const struct ynode *v = node->map.pairs[i].value;
		struct src_loc kloc = node->map.pairs[i].key->loc;
		struct ypath kp = YPATH_KEY(path, key);
		if (!ynode_is_set(v) || !in_list(key, fields))
			continue;
		if (strcmp(key, "authentication") == 0) {
			parse_authentication(c, v, &kp);
			continue;
		}
		if (!decode_sequence(d, v, &kp))
			continue;
		if (strcmp(key, "fromEndpoints") == 0 || strcmp(key, "toEndpoints") == 0) {
			parse_endpoints(c, v, &kp, subject_init, rule);
		} else if (strcmp(key, "fromEntities") == 0 || strcmp(key, "toEntities") == 0) {
			parse_entities(c, v, &kp, rule);
		} else if (strcmp(key, "fromCIDR") == 0 || strcmp(key, "toCIDR") == 0) {
			parse_cidrs(c, v, &kp, rule);
		} else if (strcmp(key, "fromCIDRSet") == 0 || strcmp(key, "toCIDRSet") == 0) {
			for (size_t k = 0; k < v->seq.len; k++) {
				struct ypath ip = YPATH_INDEX(&kp, k);
				cil_parse_cidr_rule(c, v->seq.items[k], &ip, rule);
			}
		} else if (strcmp(key, "fromNodes") == 0 || strcmp(key, "toNodes") == 0) {
			check_selectors(c, v, &kp);
			if (v->seq.len)
				cil_unsupported(c, kloc, &kp,
						"Cilium needs --enable-node-selector-labels for it; select nodes with "
						"the host or remote-node entity instead",
						"%s (selecting nodes by label) is not supported by polc yet", key);
		} else if (strcmp(key, "fromRequires") == 0 || strcmp(key, "toRequires") == 0) {
			check_selectors(c, v, &kp);
			if (v->seq.len)
				cil_unsupported(c, kloc, &kp,
						"deprecated in Cilium 1.17 and removed in 1.18: add the requirement to "
						"each fromEndpoints/toEndpoints selector instead",
						"%s is not supported by polc", key);
		} else if (strcmp(key, "fromGroups") == 0 || strcmp(key, "toGroups") == 0) {
			check_groups(c, v, &kp);
			if (v->seq.len)
				cil_unsupported(c, kloc, &kp, "list the group's addresses with toCIDRSet",
						"%s (cloud provider groups) is not supported by polc", key);
		} else if (strcmp(key, "toServices") == 0) {
			check_services(c, v, &kp);
			if (v->seq.len)
				cil_unsupported(c, kloc, &kp, "select the service's pods with toEndpoints",
						"toServices is not supported by polc yet");
		} else if (strcmp(key, "toFQDNs") == 0) {
			cil_parse_fqdns(c, v, &kp);
			if (v->seq.len)
				cil_unsupported(c, kloc, &kp, "DNS-based egress is its own issue",
						"toFQDNs (DNS names) is not supported by polc yet");
		}
	}

	struct ypath tp = YPATH_KEY(path, "toPorts");
	struct ypath ip = YPATH_KEY(path, "icmps");
	const struct ynode *to_ports = ymap_get(node, "toPorts");
	const struct ynode *icmps = ymap_get(node, "icmps");
	bool have_ports = ynode_is_set(to_ports) && to_ports->kind == YNODE_SEQUENCE && to_ports->seq.len > 0;
	bool have_icmps = ynode_is_set(icmps) && icmps->kind == YNODE_SEQUENCE && icmps->seq.len > 0;
	if (have_ports && have_icmps) {
		/* rule_validation.go: errUnsupportedICMPWithToPorts */
		decode_error_at(d, ymap_get_key(node, "icmps")->loc, path, "forbidden",
				"move icmps into an entry of its own (entries are a union)",
				"the ICMPs block may only be present without ToPorts. Define a separate rule to use "
				"ToPorts");
	}
	if (ynode_is_set(to_ports) && decode_sequence(d, to_ports, &tp))
		cil_parse_to_ports(c, to_ports, &tp, rule);
	if (ynode_is_set(icmps) && decode_sequence(d, icmps, &ip))
		cil_parse_icmps(c, icmps, &ip, rule);
	rule->has_l4 = have_ports || have_icmps;

	if (!l3_given && rule->has_l4) {
		/* No L3 field: the wildcard endpoint selector (rule.go mergeIngress). */
		struct ir_peer all = {.kind = IR_PEER_ALL, .loc = node->loc, .path = rule->path};
		push_peer(c, rule, all);
	}
	bool peers = rule->peers.len > 0 || rule->groups.len > 0;
	rule->emitted = peers && (!rule->has_l4 || rule->ports.len > 0);
	if (rule->emitted || !(l3_given || rule->has_l4))
		return;
	if (l3_empty && !l3_used)
		decode_warning_at(d, node->loc, path, "matches-nothing",
				  rule->has_l4 ? "leave the L3 field out to match every peer on these ports"
					       : "remove the entry, or list the peers",
				  "an empty %s list selects no peer: this entry matches nothing%s", l3_empty,
				  rule->has_l4 ? " (Cilium 1.17 and older read it as every peer beside toPorts)" : "");
	else if (rule->has_l4 && rule->ports.len == 0)
		decode_warning_at(d, node->loc, path, "matches-nothing", "list the ports in toPorts[].ports",
				  "no port is listed: this entry matches nothing");
}

static size_t parse_section(struct cil *c, const struct ynode *spec, const struct ypath *sp, const char *key,
			    enum ir_dir dir, enum ir_action action, bool subject_init, struct cil_spec *out)
{
	struct ypath lp = YPATH_KEY(sp, key);
	const struct ynode *list = ymap_get(spec, key);
	if (!ynode_is_set(list) || !decode_sequence(&c->d, list, &lp))
		return 0;
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&lp, i);
		const struct ynode *item = list->seq.items[i];
		/* An alias repeating an entry is the same entry: lowered once. */
		size_t j = 0;
		while (j < i && list->seq.items[j] != item)
			j++;
		if (j < i && item->kind != YNODE_SCALAR)
			continue;
		parse_entry(c, item, &ip, dir, action, subject_init, out);
	}
	return list->seq.len;
}

static void parse_labels(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_spec *out)
{
	struct decoder *d = &c->d;
	if (!ynode_is_set(node) || !decode_sequence(d, node, path))
		return;
	for (size_t i = 0; i < node->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *l = node->seq.items[i];
		if (!decode_mapping(d, l, &ip))
			continue;
		decode_known_fields(d, l, &ip, label_fields);
		const char *key = NULL, *value = NULL, *source = NULL;
		struct ypath kp = YPATH_KEY(&ip, "key");
		struct ypath vp = YPATH_KEY(&ip, "value");
		struct ypath srcp = YPATH_KEY(&ip, "source");
		const struct ynode *kn = ymap_get(l, "key");
		if (!ynode_is_set(kn)) {
			decode_error_at(d, l->loc, &kp, "required-field", NULL, "Required value");
			continue;
		}
		if (!decode_string(d, kn, &kp, &key))
			continue;
		if (ynode_is_set(ymap_get(l, "value")) && !decode_string(d, ymap_get(l, "value"), &vp, &value))
			continue;
		if (ynode_is_set(ymap_get(l, "source")) && !decode_string(d, ymap_get(l, "source"), &srcp, &source))
			continue;
		if (strcmp(key, "name") == 0 && value && *value)
			out->name_label = value;
	}
}

static bool parse_default_deny(struct cil *c, const struct ynode *node, const struct ypath *path, int set[2])
{
	struct decoder *d = &c->d;
	set[0] = set[1] = -1;
	if (!ynode_is_set(node))
		return true;
	if (!decode_mapping(d, node, path))
		return false;
	bool ok = decode_known_fields(d, node, path, default_deny_fields);
	for (int dir = 0; dir < 2; dir++) {
		const char *key = dir == IR_INGRESS ? "ingress" : "egress";
		struct ypath kp = YPATH_KEY(path, key);
		const struct ynode *v = ymap_get(node, key);
		bool b;
		if (!ynode_is_set(v))
			continue;
		if (decode_bool(d, v, &kp, &b))
			set[dir] = b;
		else
			ok = false;
	}
	return ok;
}

bool cil_parse_rule(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_spec *out)
{
	struct decoder *d = &c->d;
	memset(out, 0, sizeof(*out));
	out->loc = node->loc;
	out->path = cil_path(c, path);
	size_t errors_before = c->fe->diags->count[DIAG_ERROR];
	if (!decode_mapping(d, node, path))
		return false;
	decode_known_fields(d, node, path, rule_fields);

	const struct ynode *es = ymap_get(node, "endpointSelector");
	const struct ynode *ns = ymap_get(node, "nodeSelector");
	struct ypath esp = YPATH_KEY(path, "endpointSelector");
	struct ypath nsp = YPATH_KEY(path, "nodeSelector");
	struct cil_selector subject = {0};
	bool have_subject = false;
	if (ynode_is_set(es) && ynode_is_set(ns)) {
		decode_error_at(d, ymap_get_key(node, "nodeSelector")->loc, path, "forbidden",
				"endpointSelector selects pods, nodeSelector nodes (a host policy): write two rules",
				"rule cannot have both endpointSelector and nodeSelector (must validate one and only one "
				"schema (oneOf))");
	} else if (!ynode_is_set(es) && !ynode_is_set(ns)) {
		decode_error_at(d, node->loc, path, "required-field",
				"add endpointSelector: {} to select every pod, or a label selector",
				"rule must have one of endpointSelector or nodeSelector");
	} else if (ynode_is_set(ns)) {
		struct cil_selector nsel;
		cil_decode_selector(c, ns, &nsp, &nsel);
		if (c->form == CIL_CNP)
			/* cnp_types.go Validate */
			decode_error_at(d, ymap_get_key(node, "nodeSelector")->loc, &nsp, "forbidden",
					"host policies are CiliumClusterwideNetworkPolicies",
					"Invalid CiliumNetworkPolicy spec: rule cannot have NodeSelector");
		else
			cil_unsupported(c, ymap_get_key(node, "nodeSelector")->loc, &nsp,
					"polc enforces policy on pod interfaces, not on the node itself",
					"host policies (nodeSelector) are not supported by polc yet");
	} else {
		have_subject = cil_decode_selector(c, es, &esp, &subject);
	}

	int dd[2];
	struct ypath ddp = YPATH_KEY(path, "enableDefaultDeny");
	parse_default_deny(c, ymap_get(node, "enableDefaultDeny"), &ddp, dd);
	struct ypath lp = YPATH_KEY(path, "labels");
	parse_labels(c, ymap_get(node, "labels"), &lp, out);
	struct ypath dp = YPATH_KEY(path, "description");
	const struct ynode *desc = ymap_get(node, "description");
	const char *text;
	if (ynode_is_set(desc))
		decode_string(d, desc, &dp, &text);

	bool init = subject.names_init;
	size_t n[4];
	n[0] = parse_section(c, node, path, "ingress", IR_INGRESS, IR_ALLOW, init, out);
	n[1] = parse_section(c, node, path, "ingressDeny", IR_INGRESS, IR_DENY, init, out);
	n[2] = parse_section(c, node, path, "egress", IR_EGRESS, IR_ALLOW, init, out);
	n[3] = parse_section(c, node, path, "egressDeny", IR_EGRESS, IR_DENY, init, out);
	if (n[0] + n[1] + n[2] + n[3] == 0)
		decode_error_at(d, node->loc, path, "required-field",
				"`ingress: [{}]` puts the selected pods in ingress default deny; `egress: [{}]` likewise",
				"rule must have at least one of ingress, ingressDeny, egress, egressDeny (an empty "
				"rule has no effect)");
	out->enforce[IR_INGRESS] = dd[IR_INGRESS] >= 0 ? dd[IR_INGRESS] : n[0] + n[1] > 0;
	out->enforce[IR_EGRESS] = dd[IR_EGRESS] >= 0 ? dd[IR_EGRESS] : n[2] + n[3] > 0;

	if (have_subject && !cil_subject(c, &subject, &esp, &out->subject))
		return false;
	return !c->oom && c->fe->diags->count[DIAG_ERROR] == errors_before;
}

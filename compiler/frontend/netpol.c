/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * networking.k8s.io/v1 NetworkPolicy -> ir_policy. Validation is the API
 * server's (pkg/apis/networking/validation: ValidateNetworkPolicy,
 * ...Spec, ...Port, ...Peer, ValidateIPBlock; ObjectMeta; LabelSelector)
 * with strict field checking, then defaulting (policyTypes), then
 * lowering:
 *
 *   subject    podSelector reqs as k8s:<key>, AND
 *              k8s:io.kubernetes.pod.namespace In [<namespace>]
 *   from/to    absent or empty: one IR_PEER_ALL peer
 *     podSelector only         k8s:<key> reqs AND namespace In [<namespace>]
 *     namespaceSelector only   k8s:io.cilium.k8s.namespace.labels.<key> reqs AND
 *                              k8s:io.kubernetes.pod.namespace Exists (pods only)
 *     both                     the union of both sets of reqs (AND)
 *     ipBlock                  IR_PEER_CIDR with except, matches_endpoints
 *   ports      absent or empty: none (every protocol and port); protocol
 *              defaults to TCP; no port: every port of it; a named port
 *              keeps its name; endPort is the range's upper bound
 *
 * Shape accepted (unknown fields are errors):
 *   apiVersion, kind, metadata (ObjectMeta),
 *   spec: {podSelector, policyTypes: [Ingress|Egress],
 *          ingress: [{from: [peer], ports: [port]}],
 *          egress:  [{to: [peer], ports: [port]}]}
 *   peer: {podSelector, namespaceSelector, ipBlock: {cidr, except: [cidr]}}
 *   port: {protocol, port: int|string, endPort: int}
 */
#include <errno.h>
#include <string.h>

#include "decode.h"
#include "frontend.h"
#include "k8s_meta.h"
#include "k8s_validate.h"

static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec", NULL};
static const char *const spec_fields[] = {"podSelector", "policyTypes", "ingress", "egress", NULL};
static const char *const ingress_fields[] = {"from", "ports", NULL};
static const char *const egress_fields[] = {"to", "ports", NULL};
static const char *const peer_fields[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
static const char *const ipblock_fields[] = {"cidr", "except", NULL};
static const char *const port_fields[] = {"protocol", "port", "endPort", NULL};

typedef VEC(struct ir_requirement) req_vec;

struct np_rule {
	enum ir_dir dir;
	struct src_loc loc;
	const char *path;
	VEC(struct ir_peer) peers;
	VEC(struct ir_port) ports;
};

struct np {
	struct frontend *fe;
	struct decoder d;
	struct arena *arena;
	const char *ns;
	struct src_loc ns_loc;
	bool oom;
	VEC(struct np_rule) rules;
};

static const char *k8s_key(struct np *np, const char *prefix, const char *key)
{
	const char *s = arena_printf(np->arena, "%s%s", prefix, key);
	if (!s)
		np->oom = true;
	return s;
}

/* Requirements of a validated selector, keys prefixed for the identity label space. */
static void add_reqs(struct np *np, req_vec *out, const struct k8s_selector *sel,
		     const char *prefix)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct k8s_requirement *r = &sel->reqs[i];
		struct ir_requirement req = {
			.key = k8s_key(np, prefix, r->key),
			.op = r->op,
			.values = r->values,
			.n_values = r->n_values,
			.loc = r->loc,
		};
		if (vec_push(np->arena, out, req))
			np->oom = true;
	}
}

static void add_namespace_req(struct np *np, req_vec *out, bool exists)
{
	struct ir_requirement req = {
		.key = IR_LABEL_SOURCE_K8S ":" IR_LABEL_NAMESPACE,
		.op = exists ? IR_SEL_EXISTS : IR_SEL_IN,
		.loc = np->ns_loc,
	};
	if (!exists) {
		req.values = arena_alloc(np->arena, sizeof(*req.values));
		if (!req.values) {
			np->oom = true;
			return;
		}
		req.values[0] = np->ns;
		req.n_values = 1;
	}
	if (vec_push(np->arena, out, req))
		np->oom = true;
}

static const char *path_str(struct np *np, const struct ypath *p)
{
	return decode_path(&np->d, p);
}

/* ---- ports --------------------------------------------------------------- */

static void parse_port(struct np *np, const struct ynode *node, const struct ypath *path, struct np_rule *rule)
{
	struct decoder *d = &np->d;
	if (!decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, port_fields);
	struct ir_port port = {.proto = IR_PROTO_TCP, .loc = node->loc, .path = path_str(np, path)};
	bool ok = true;

	struct ypath prp = YPATH_KEY(path, "protocol");
	const struct ynode *proto = ymap_get(node, "protocol");
	const char *proto_s;
	if (ynode_is_set(proto)) {
		if (!decode_string(d, proto, &prp, &proto_s)) {
			ok = false;
		} else if (strcmp(proto_s, "TCP") == 0) {
			port.proto = IR_PROTO_TCP;
		} else if (strcmp(proto_s, "UDP") == 0) {
			port.proto = IR_PROTO_UDP;
		} else if (strcmp(proto_s, "SCTP") == 0) {
			port.proto = IR_PROTO_SCTP;
		} else {
			static const char *const protos[] = {"TCP", "UDP", "SCTP", NULL};
			const char *s = decode_suggest(proto_s, protos);
			decode_error_at(d, proto->loc, &prp, "unsupported-value",
					s ? arena_printf(np->arena, "values are case-sensitive: did you mean \"%s\"?", s)
					  : "NetworkPolicy matches TCP, UDP and SCTP; leave ports out to match every "
					    "protocol",
					"Unsupported value: %s: supported values: \"TCP\", \"UDP\", \"SCTP\"",
					decode_quote(d, proto_s));
			ok = false;
		}
	}

	struct ypath pp = YPATH_KEY(path, "port");
	struct ypath ep = YPATH_KEY(path, "endPort");
	const struct ynode *pn = ymap_get(node, "port");
	const struct ynode *en = ymap_get(node, "endPort");
	struct int_or_string p = {0};
	bool have_port = ynode_is_set(pn), have_end = ynode_is_set(en);
	int32_t end = 0;
	if (have_port && !decode_int_or_string(d, pn, &pp, &p))
		return;
	if (have_end && !decode_int32(d, en, &ep, &end))
		return;

	if (have_port && !p.is_string) {
		if (!k8s_is_port_num(p.num)) {
			decode_error_at(d, pn->loc, &pp, "invalid-value",
					p.num == 0 ? "to match every port, leave port out" : NULL, "Invalid value: %d: %s",
					p.num, k8s_port_range_msg);
			ok = false;
		}
		if (have_end) {
			if (end < p.num) {
				decode_error_at(d, en->loc, &ep, "invalid-value",
						arena_printf(np->arena, "the range is port..endPort: %d..%d is empty", p.num,
							     end),
						"Invalid value: %d: must be greater than or equal to `port`", end);
				ok = false;
			}
			if (!k8s_is_port_num(end)) {
				decode_error_at(d, en->loc, &ep, "invalid-value", NULL, "Invalid value: %d: %s", end,
						k8s_port_range_msg);
				ok = false;
			}
		}
		port.lo = (uint16_t)p.num;
		port.hi = (uint16_t)(have_end ? end : p.num);
	} else if (have_port) {
		if (have_end) {
			decode_error_at(d, en->loc, &ep, "invalid-value",
					"a named port resolves to one number per pod; use numeric port and endPort for a "
					"range",
					"Invalid value: %d: may not be specified when `port` is non-numeric", end);
			ok = false;
		}
		struct k8s_errs e = {0};
		k8s_is_port_name(p.str, &e);
		for (size_t i = 0; i < e.n; i++) {
			const char *hint = "a port name is an IANA service name: at most 15 lowercase letters, digits "
					   "and '-', with at least one letter";
			if (pn->scalar.style != YSTYLE_PLAIN && strspn(p.str, "0123456789") == strlen(p.str) &&
			    *p.str)
				hint = arena_printf(np->arena,
						    "the quotes make \"%s\" a port name; write port: %s for the number",
						    p.str, p.str);
			decode_error_at(d, pn->loc, &pp, "invalid-value", hint, "Invalid value: %s: %s",
					decode_quote(d, p.str), e.msg[i]);
		}
		if (e.n)
			ok = false;
		port.name = p.str;
	} else if (have_end) {
		decode_error_at(d, en->loc, &ep, "invalid-value", "set port to the start of the range",
				"Invalid value: %d: may not be specified when `port` is not specified", end);
		ok = false;
	}
	if (ok && vec_push(np->arena, &rule->ports, port))
		np->oom = true;
}

/* ---- peers --------------------------------------------------------------- */

static bool parse_cidr_field(struct np *np, const struct ynode *node, const struct ypath *path,
			     struct k8s_cidr *out)
{
	struct decoder *d = &np->d;
	const char *s;
	if (!decode_string(d, node, path, &s))
		return false;
	const char *msg = k8s_parse_cidr(s, out);
	if (msg) {
		decode_error_at(d, node->loc, path, "invalid-cidr", k8s_cidr_hint(s), "Invalid value: %s: %s",
				decode_quote(d, s), msg);
		return false;
	}
	char net[64], host[64];
	if (out->mapped4 && out->net.family == 6) {
		decode_error_at(d, node->loc, path, "invalid-cidr",
				"an IPv4-mapped prefix shorter than /96 covers IPv6 addresses too; write the IPv4 CIDR",
				"Invalid value: %s: must not have an IPv4-mapped IPv6 address", decode_quote(d, s));
		return false;
	}
	if (out->host_bits) {
		struct ir_cidr one = out->ip;
		one.prefixlen = one.family == 4 ? 32 : 128;
		ir_cidr_str(&out->net, net, sizeof(net));
		ir_cidr_str(&one, host, sizeof(host));
		decode_error_at(d, node->loc, path, "invalid-cidr",
				arena_printf(np->arena,
					     "polc refuses it as the API server does with StrictIPCIDRValidation; by "
					     "default the API server only warns and uses %s. Write %s for the network or "
					     "%s for the one address",
					     net, net, host),
				"Invalid value: %s: must not have bits set beyond the prefix length (ambiguous: \"%s\" "
				"or \"%s\"?)",
				decode_quote(d, s), net, host);
		return false;
	}
	if (out->mapped4) {
		ir_cidr_str(&out->net, net, sizeof(net));
		decode_warning_at(d, node->loc, path, "non-standard-cidr",
				  "IPv4-mapped IPv6 CIDRs will be invalid in a future Kubernetes release",
				  "non-standard CIDR value %s: read as %s", decode_quote(d, s), net);
	}
	return true;
}

static void parse_ipblock(struct np *np, const struct ynode *node, const struct ypath *path,
			  struct src_loc key_loc, struct ir_peer *peer, bool *ok)
{
	struct decoder *d = &np->d;
	if (!decode_mapping(d, node, path)) {
		*ok = false;
		return;
	}
	if (!decode_known_fields(d, node, path, ipblock_fields))
		*ok = false;
	struct ypath cp = YPATH_KEY(path, "cidr");
	const struct ynode *cn = ymap_get(node, "cidr");
	if (!ynode_is_set(cn) || (cn->kind == YNODE_SCALAR && cn->scalar.len == 0 && yscalar_type(cn) == YTYPE_STRING)) {
		decode_error_at(d, cn ? cn->loc : key_loc, &cp, "required-field",
				"an ipBlock needs a cidr; 0.0.0.0/0 and ::/0 are written out, never implied",
				"Required value");
		*ok = false;
		return;
	}
	struct k8s_cidr cidr;
	if (!parse_cidr_field(np, cn, &cp, &cidr)) {
		*ok = false;
		return;
	}
	peer->kind = IR_PEER_CIDR;
	peer->cidr = cidr.net;
	peer->matches_endpoints = true;

	struct ypath xp = YPATH_KEY(path, "except");
	const struct ynode *xn = ymap_get(node, "except");
	if (!ynode_is_set(xn))
		return;
	if (!decode_sequence(d, xn, &xp)) {
		*ok = false;
		return;
	}
	peer->except = arena_calloc(np->arena, xn->seq.len ? xn->seq.len : 1, sizeof(*peer->except));
	if (!peer->except) {
		np->oom = true;
		return;
	}
	for (size_t i = 0; i < xn->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&xp, i);
		const struct ynode *en = xn->seq.items[i];
		struct k8s_cidr ex;
		if (!parse_cidr_field(np, en, &ip, &ex)) {
			*ok = false;
			continue;
		}
		/* !cidr.Contains(except.IP) || cidrMaskLen >= exceptMaskLen */
		if (!ir_cidr_contains(&cidr.net, &ex.net) || cidr.net.prefixlen >= ex.net.prefixlen) {
			char net[64];
			ir_cidr_str(&cidr.net, net, sizeof(net));
			decode_error_at(d, en->loc, &ip, "invalid-value",
					arena_printf(np->arena,
						     "except removes addresses from %s; it must be a longer prefix inside it%s",
						     net,
						     ir_cidr_contains(&cidr.net, &ex.net) ? " (an equal except would leave "
											 "nothing)"
										       : ""),
					"Invalid value: %s: must be a strict subset of `cidr`",
					decode_quote(d, en->scalar.value));
			*ok = false;
			continue;
		}
		peer->except[peer->n_except++] = ex.net;
	}
}

static void parse_peer(struct np *np, const struct ynode *node, const struct ypath *path, struct np_rule *rule)
{
	struct decoder *d = &np->d;
	if (!decode_mapping(d, node, path))
		return;
	bool ok = decode_known_fields(d, node, path, peer_fields);
	const struct ynode *ps = ymap_get(node, "podSelector");
	const struct ynode *nss = ymap_get(node, "namespaceSelector");
	const struct ynode *ib = ymap_get(node, "ipBlock");
	/* Pointer fields in Go: null is the same as absent. */
	bool has_ps = ynode_is_set(ps);
	bool has_ns = ynode_is_set(nss);
	bool has_ib = ynode_is_set(ib);
	int n = has_ps + has_ns + has_ib;

	struct ir_peer peer = {.loc = node->loc, .path = path_str(np, path)};
	struct ypath psp = YPATH_KEY(path, "podSelector");
	struct ypath nsp = YPATH_KEY(path, "namespaceSelector");
	struct ypath ibp = YPATH_KEY(path, "ipBlock");
	struct k8s_selector pod_sel = {0}, ns_sel = {0};
	if (has_ps && !k8s_decode_selector(d, ps, &psp, &pod_sel))
		ok = false;
	if (has_ns && !k8s_decode_selector(d, nss, &nsp, &ns_sel))
		ok = false;
	if (has_ib)
		parse_ipblock(np, ib, &ibp, ymap_get_key(node, "ipBlock")->loc, &peer, &ok);

	if (n == 0) {
		decode_error_at(d, node->loc, path, "required-field",
				"set podSelector, namespaceSelector or ipBlock; to allow everything, leave the "
				"from/to list out",
				"Required value: must specify a peer");
		return;
	}
	if (n > 1 && has_ib) {
		decode_error_at(d, node->loc, path, "forbidden",
				"ipBlock and selectors do not combine in one peer; write them as two list items "
				"(which allows either)",
				"Forbidden: may not specify both ipBlock and another peer");
		return;
	}
	if (!ok)
		return;
	if (!has_ib) {
		req_vec reqs = {0};
		peer.kind = IR_PEER_SELECTOR;
		add_reqs(np, &reqs, &pod_sel, IR_LABEL_SOURCE_K8S ":");
		if (has_ns) {
			add_reqs(np, &reqs, &ns_sel, IR_LABEL_SOURCE_K8S ":" IR_LABEL_NS_LABELS_PREFIX);
			add_namespace_req(np, &reqs, true);
		} else {
			add_namespace_req(np, &reqs, false);
		}
		peer.sel.reqs = reqs.items;
		peer.sel.n_reqs = reqs.len;
		peer.sel.loc = has_ns && !has_ps ? nss->loc : has_ps && !has_ns ? ps->loc : node->loc;
		peer.sel.path = has_ns && has_ps ? peer.path : path_str(np, has_ns ? &nsp : &psp);
	}
	if (vec_push(np->arena, &rule->peers, peer))
		np->oom = true;
}

/* ---- rules --------------------------------------------------------------- */

static void parse_rule(struct np *np, const struct ynode *node, const struct ypath *path, enum ir_dir dir)
{
	struct decoder *d = &np->d;
	struct np_rule *rule = vec_add(np->arena, &np->rules);
	if (!rule) {
		np->oom = true;
		return;
	}
	rule->dir = dir;
	rule->loc = node->loc;
	rule->path = path_str(np, path);
	if (ynode_is_null(node))
		node = NULL; /* "- " in a list: an empty rule */
	else if (!decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, dir == IR_INGRESS ? ingress_fields : egress_fields);

	const char *peers_key = dir == IR_INGRESS ? "from" : "to";
	struct ypath pp = YPATH_KEY(path, peers_key);
	const struct ynode *peers = ymap_get(node, peers_key);
	if (ynode_is_set(peers) && decode_sequence(d, peers, &pp)) {
		for (size_t i = 0; i < peers->seq.len; i++) {
			struct ypath ip = YPATH_INDEX(&pp, i);
			parse_peer(np, peers->seq.items[i], &ip, rule);
		}
	}
	if (!ynode_is_set(peers) || (peers->kind == YNODE_SEQUENCE && peers->seq.len == 0)) {
		/* No from/to: every source or destination, in or out of the cluster. */
		struct ir_peer all = {.kind = IR_PEER_ALL, .loc = peers ? peers->loc : rule->loc};
		all.path = peers ? path_str(np, &pp) : rule->path;
		if (vec_push(np->arena, &rule->peers, all))
			np->oom = true;
	}

	struct ypath portp = YPATH_KEY(path, "ports");
	const struct ynode *ports = ymap_get(node, "ports");
	if (ynode_is_set(ports) && decode_sequence(d, ports, &portp)) {
		for (size_t i = 0; i < ports->seq.len; i++) {
			struct ypath ip = YPATH_INDEX(&portp, i);
			parse_port(np, ports->seq.items[i], &ip, rule);
		}
	}
}

/* spec.ingress / spec.egress. Aliased repeats of one rule are lowered once. */
static size_t parse_rules(struct np *np, const struct ynode *spec, const struct ypath *sp, enum ir_dir dir)
{
	struct decoder *d = &np->d;
	const char *key = dir == IR_INGRESS ? "ingress" : "egress";
	struct ypath lp = YPATH_KEY(sp, key);
	const struct ynode *list = ymap_get(spec, key);
	if (!ynode_is_set(list) || !decode_sequence(d, list, &lp))
		return 0;
	size_t repeats = 0, first_repeated = 0;
	for (size_t i = 0; i < list->seq.len; i++) {
		const struct ynode *item = list->seq.items[i];
		size_t j = 0;
		while (j < i && list->seq.items[j] != item)
			j++;
		if (j < i && item->kind != YNODE_SCALAR) {
			if (!repeats++)
				first_repeated = j;
			continue;
		}
		struct ypath ip = YPATH_INDEX(&lp, i);
		parse_rule(np, item, &ip, dir);
	}
	if (repeats)
		decode_warning_at(d, ymap_get_key(spec, key)->loc, &lp, "duplicate-rule",
				  "a YAML alias repeats a rule; the union of identical rules is the rule itself",
				  "%zu rule%s repeat%s %s[%zu] through YAML aliases; lowered once", repeats,
				  repeats == 1 ? "" : "s", repeats == 1 ? "s" : "", decode_path(d, &lp),
				  first_repeated);
	return list->seq.len;
}

/* policyTypes, or nothing (ok == false) after an error. */
static void parse_policy_types(struct np *np, const struct ynode *spec, const struct ypath *sp, bool types[2],
			       bool *set, bool *ok)
{
	struct decoder *d = &np->d;
	struct ypath tp = YPATH_KEY(sp, "policyTypes");
	const struct ynode *list = ymap_get(spec, "policyTypes");
	*set = false;
	if (!ynode_is_set(list))
		return;
	if (!decode_sequence(d, list, &tp)) {
		*ok = false;
		return;
	}
	if (list->seq.len > 2) {
		char shown[160] = "";
		size_t used = 0;
		for (size_t i = 0; i < list->seq.len && used < sizeof(shown) - 8; i++) {
			const struct ynode *it = list->seq.items[i];
			used += (size_t)snprintf(shown + used, sizeof(shown) - used, "%s%s", i ? ", " : "",
						 it->kind == YNODE_SCALAR ? decode_quote(d, it->scalar.value) : "?");
		}
		decode_error_at(d, list->loc, &tp, "invalid-value", "list Ingress, Egress or both, once each",
				"Invalid value: [%s]: may not specify more than two policyTypes", shown);
		*ok = false;
		return;
	}
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&tp, i);
		const char *t;
		if (!decode_string(d, list->seq.items[i], &ip, &t)) {
			*ok = false;
			continue;
		}
		if (strcmp(t, "Ingress") == 0) {
			types[IR_INGRESS] = true;
		} else if (strcmp(t, "Egress") == 0) {
			types[IR_EGRESS] = true;
		} else {
			static const char *const names[] = {"Ingress", "Egress", NULL};
			const char *s = decode_suggest(t, names);
			decode_error_at(d, list->seq.items[i]->loc, &ip, "unsupported-value",
					s ? arena_printf(np->arena, "values are case-sensitive: did you mean \"%s\"?", s)
					  : NULL,
					"Unsupported value: %s: supported values: \"Ingress\", \"Egress\"",
					decode_quote(d, t));
			*ok = false;
		}
	}
	*set = list->seq.len > 0;
}

static const char *annotation(const struct k8s_meta *meta, const char *key, struct src_loc *loc)
{
	const struct k8s_label *a = k8s_labels_find(&meta->annotations, key);
	if (a && loc)
		*loc = a->loc;
	return a ? a->value : NULL;
}

int frontend_load_netpol(struct frontend *fe, const struct frontend_object *obj)
{
	struct np np = {.fe = fe, .arena = fe->arena};
	decoder_init(&np.d, fe->arena, fe->diags);
	struct decoder *d = &np.d;
	size_t errors_before = fe->diags->count[DIAG_ERROR];

	const struct ynode *root = obj->root;
	decode_known_fields(d, root, NULL, top_fields);

	struct k8s_meta meta;
	k8s_decode_meta(d, root, obj->loc, K8S_META_STRICT | K8S_META_NAMESPACED, &meta);
	np.ns = meta.namespace;
	np.ns_loc = meta.namespace_loc;
	if (!np.ns && meta.namespace_invalid) {
		np.ns = FRONTEND_DEFAULT_NAMESPACE; /* invalid: reported, and the policy is dropped */
		np.ns_loc = meta.loc;
	} else if (!np.ns) {
		np.ns = FRONTEND_DEFAULT_NAMESPACE;
		np.ns_loc = meta.loc;
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath nsp = YPATH_KEY(&mp, "namespace");
		diag_note(fe->diags, meta.loc, decode_path(d, &nsp), "default-namespace",
			  "kubectl would use the namespace of the current context; polc has no context",
			  "metadata.namespace is not set; the policy applies in namespace \"default\"");
	}
	if (meta.generate_name && !meta.name) {
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath gp = YPATH_KEY(&mp, "generateName");
		decode_error_at(d, meta.loc, &gp, "unsupported", "give the policy a fixed metadata.name",
				"generateName is not supported: a policy needs a stable name");
	}
	if (meta.name)
		frontend_register_object(fe, "NetworkPolicy", np.ns, meta.name, meta.name_loc);

	bool audit = false;
	struct src_loc audit_loc;
	const char *audit_s = annotation(&meta, "polc.io/audit", &audit_loc);
	if (audit_s) {
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath ap = YPATH_KEY(&mp, "annotations");
		if (strcmp(audit_s, "true") == 0)
			audit = true;
		else if (strcmp(audit_s, "false") != 0)
			decode_error_at(d, audit_loc, &ap, "invalid-value", "write \"true\" or \"false\"",
					"Invalid value: %s: polc.io/audit must be \"true\" or \"false\"",
					decode_quote(d, audit_s));
	}

	/* spec */
	struct ypath sp = YPATH_KEY(NULL, "spec");
	const struct ynode *spec = ymap_get(root, "spec");
	bool spec_ok = true;
	if (ynode_is_set(spec)) {
		if (!decode_mapping(d, spec, &sp)) {
			spec = NULL;
			spec_ok = false;
		} else {
			decode_known_fields(d, spec, &sp, spec_fields);
		}
	} else {
		spec = NULL;
		/* Valid, and the API server takes it: podSelector {} and policyTypes [Ingress]. */
		decode_warning_at(d, obj->kind_loc, &sp, "empty-spec",
				  "write spec: {podSelector: {}, policyTypes: [Ingress]} if default-deny is meant",
				  "the policy has no spec: it denies all ingress to every pod of namespace %s",
				  np.ns ? np.ns : FRONTEND_DEFAULT_NAMESPACE);
	}

	struct ypath psp = YPATH_KEY(&sp, "podSelector");
	const struct ynode *ps = ymap_get(spec, "podSelector");
	struct k8s_selector subject_sel = {0};
	k8s_decode_selector(d, ps, &psp, &subject_sel);

	size_t n_ingress = 0, n_egress = 0;
	if (spec) {
		n_ingress = parse_rules(&np, spec, &sp, IR_INGRESS);
		n_egress = parse_rules(&np, spec, &sp, IR_EGRESS);
	}
	bool types[2] = {false, false}, types_set = false;
	if (spec)
		parse_policy_types(&np, spec, &sp, types, &types_set, &spec_ok);
	if (!types_set) {
		/* SetDefaults_NetworkPolicy: Ingress always, Egress if there are egress rules. */
		types[IR_INGRESS] = true;
		types[IR_EGRESS] = n_egress > 0;
	}

	if (np.oom)
		return -ENOMEM;
	if (fe->diags->count[DIAG_ERROR] > errors_before || !spec_ok)
		return -EINVAL;

	/* Lowering: everything was valid. */
	struct ir_policy *p = ir_policy_new(fe->prog, IR_POLICY_K8S);
	if (!p)
		return -ENOMEM;
	p->name = meta.name;
	p->namespace = np.ns;
	p->loc = obj->kind_loc;
	p->enforce[IR_INGRESS] = types[IR_INGRESS];
	p->enforce[IR_EGRESS] = types[IR_EGRESS];
	p->audit = audit;
	req_vec subj = {0};
	add_reqs(&np, &subj, &subject_sel, IR_LABEL_SOURCE_K8S ":");
	add_namespace_req(&np, &subj, false);
	p->subject.reqs = subj.items;
	p->subject.n_reqs = subj.len;
	p->subject.loc = ps ? ps->loc : spec ? spec->loc : obj->kind_loc;
	p->subject.path = "spec.podSelector";

	for (size_t i = 0; i < np.rules.len; i++) {
		struct np_rule *nr = &np.rules.items[i];
		if (!types[nr->dir])
			continue;
		struct ir_rule *r = ir_rule_new(fe->prog, p, nr->dir, IR_ALLOW);
		if (!r)
			return -ENOMEM;
		r->loc = nr->loc;
		r->path = nr->path;
		r->peers = nr->peers.items;
		r->n_peers = nr->peers.len;
		r->ports = nr->ports.items;
		r->n_ports = nr->ports.len;
	}
	size_t counts[2] = {n_ingress, n_egress};
	for (int dir = 0; dir < 2; dir++) {
		if (types[dir] || counts[dir] == 0)
			continue;
		const char *key = dir == IR_INGRESS ? "ingress" : "egress";
		struct frontend_inert_rules *in = vec_add(fe->arena, &fe->inert);
		if (!in)
			return -ENOMEM;
		in->policy = p;
		in->dir = (enum ir_dir)dir;
		in->n_rules = counts[dir];
		in->loc = ymap_get_key(spec, key)->loc;
		in->path = dir == IR_INGRESS ? "spec.ingress" : "spec.egress";
	}
	return np.oom ? -ENOMEM : 0;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * CIDRs in Cilium policies, and CiliumCIDRGroup objects.
 *
 * fromCIDR/toCIDR items are api.CIDR: the CRD schema says format: cidr
 * (an address, '/', a prefix length); the agent (api.CIDR.sanitize) also
 * takes a bare address. fromCIDRSet/toCIDRSet items are api.CIDRRule
 * (pkg/policy/api/rule_validation.go CIDRRule.sanitize):
 *
 *   {cidr: PREFIX, except: [PREFIX]}   except inside cidr, and at least as
 *                                      long (prefix.Bits() > except.Bits()
 *                                      or !prefix.Contains(except.Addr()) is
 *                                      an error), same family
 *   {cidrGroupRef: NAME}               the CIDRs of CiliumCIDRGroup NAME
 *
 * exactly one of cidr and cidrGroupRef (the CRD's oneOf). Host bits are
 * masked (netip.Prefix.Masked(), as Cilium's CIDR labels do), with a
 * warning. Cilium CIDR peers never match pods or nodes: the IR peers have
 * matches_endpoints false.
 *
 * CiliumCIDRGroup (cilium.io/v2alpha1, or v2): metadata.name and
 * spec.externalCIDRs. A cidrGroupRef is resolved once every input is
 * read (frontend_cilium_finish()); a group that is not in the input is
 * refused as unsupported: polc has no API server to ask.
 */
#include <errno.h>
#include <string.h>

#include "cilium.h"
#include "k8s_meta.h"
#include "k8s_validate.h"

static void mapped4_to_v6(struct ir_cidr *c)
{
	/* netip keeps ::ffff:a.b.c.d/N an IPv6 prefix: it never matches an IPv4 packet. */
	struct ir_cidr v6 = {.family = 6, .prefixlen = (uint8_t)(c->prefixlen + 96)};
	v6.addr[10] = v6.addr[11] = 0xff;
	memcpy(v6.addr + 12, c->addr, 4);
	*c = v6;
}

bool cil_parse_cidr(struct cil *c, const struct ynode *node, const struct ypath *path, bool bare_ip,
		    struct ir_cidr *out)
{
	struct decoder *d = &c->d;
	const char *s;
	if (!decode_string(d, node, path, &s))
		return false;
	if (!*s) {
		decode_error_at(d, node->loc, path, "required-field", NULL, "Required value: IP must be specified");
		return false;
	}
	if (bare_ip && !strchr(s, '/')) {
		const char *msg = k8s_parse_ip(s, out);
		if (!msg)
			return true;
		decode_error_at(d, node->loc, path, "invalid-cidr", k8s_cidr_hint(s),
				"Invalid value: %s: unable to parse CIDR: %s", decode_quote(d, s), msg);
		return false;
	}
	struct k8s_cidr k;
	const char *msg = k8s_parse_cidr(s, &k);
	if (msg) {
		decode_error_at(d, node->loc, path, "invalid-cidr", k8s_cidr_hint(s),
				"Invalid value: %s: unable to parse CIDR: %s", decode_quote(d, s), msg);
		return false;
	}
	*out = k.net;
	if (k.mapped4) {
		if (out->family == 4)
			mapped4_to_v6(out);
		decode_warning_at(d, node->loc, path, "ipv4-mapped-cidr", "write the IPv4 prefix to match IPv4 traffic",
				  "%s is an IPv6 prefix to Cilium: it matches no IPv4 packet", decode_quote(d, s));
	}
	if (k.host_bits) {
		char net[64];
		ir_cidr_str(out, net, sizeof(net));
		decode_warning_at(d, node->loc, path, "cidr-host-bits",
				  arena_printf(c->arena, "write %s, or the address with its full prefix length", net),
				  "%s has bits set beyond the prefix length: Cilium masks it to %s", decode_quote(d, s),
				  net);
	}
	return true;
}

static const char *const cidr_rule_fields[] = {"cidr", "cidrGroupRef", "cidrGroupSelector", "except", NULL};

static bool push_peer(struct cil *c, struct cil_rule *rule, struct ir_peer peer)
{
	if (vec_push(c->arena, &rule->peers, peer)) {
		c->oom = true;
		return false;
	}
	return true;
}

static void parse_excepts(struct cil *c, const struct ynode *node, const struct ypath *path, struct ir_peer *peer,
			  const char *cidr_text)
{
	struct decoder *d = &c->d;
	struct ypath xp = YPATH_KEY(path, "except");
	const struct ynode *xn = ymap_get(node, "except");
	if (!ynode_is_set(xn) || !decode_sequence(d, xn, &xp))
		return;
	peer->except = arena_calloc(c->arena, xn->seq.len + 1, sizeof(*peer->except));
	if (!peer->except) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < xn->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&xp, i);
		const struct ynode *en = xn->seq.items[i];
		struct ir_cidr ex;
		if (!cil_parse_cidr(c, en, &ip, false, &ex))
			continue;
		char net[64];
		ir_cidr_str(&peer->cidr, net, sizeof(net));
		if (!ir_cidr_contains(&peer->cidr, &ex)) {
			decode_error_at(d, en->loc, &ip, "invalid-value",
					arena_printf(c->arena,
						     "except removes addresses from %s: it must be a prefix inside it, at "
						     "least as long",
						     net),
					"Invalid value: %s: allow CIDR prefix %s does not contain exclude CIDR prefix %s",
					decode_quote(d, en->scalar.value), cidr_text, en->scalar.value);
			continue;
		}
		if (ex.prefixlen == peer->cidr.prefixlen)
			decode_warning_at(d, en->loc, &ip, "except-whole-cidr", "remove the entry if it is not meant",
					  "except %s removes all of %s: this entry matches nothing",
					  decode_quote(d, en->scalar.value), net);
		peer->except[peer->n_except++] = ex;
	}
}

/*
 * Shape: {cidr: PREFIX, except: [PREFIX]} | {cidrGroupRef: NAME}
 */
void cil_parse_cidr_rule(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_rule *rule)
{
	struct decoder *d = &c->d;
	if (!decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, cidr_rule_fields);
	const struct ynode *cn = ymap_get(node, "cidr");
	const struct ynode *gn = ymap_get(node, "cidrGroupRef");
	const struct ynode *sn = ymap_get(node, "cidrGroupSelector");
	/* omitempty strings: "" is the same as absent. */
	bool has_cidr = ynode_is_set(cn) && !(cn->kind == YNODE_SCALAR && cn->scalar.len == 0);
	bool has_group = ynode_is_set(gn) && !(gn->kind == YNODE_SCALAR && gn->scalar.len == 0);
	bool has_sel = ynode_is_set(sn);
	int n = has_cidr + has_group + has_sel;
	if (n == 0) {
		decode_error_at(d, node->loc, path, "required-field",
				"give cidr (a prefix) or cidrGroupRef (the name of a CiliumCIDRGroup)",
				"Required value: one of cidr, cidrGroupRef is required");
		return;
	}
	if (n > 1) {
		const char *second = has_cidr && has_group ? "cidrGroupRef" : "cidrGroupSelector";
		decode_error_at(d, ymap_get_key(node, second)->loc, path, "forbidden",
				"write each as its own fromCIDRSet/toCIDRSet item",
				"Forbidden: only one of cidr, cidrGroupRef and cidrGroupSelector may be set (must validate "
				"one and only one schema (oneOf))");
		return;
	}
	if (has_sel) {
		struct ypath sp = YPATH_KEY(path, "cidrGroupSelector");
		struct cil_selector sel;
		cil_decode_selector(c, sn, &sp, &sel);
		cil_unsupported(c, ymap_get_key(node, "cidrGroupSelector")->loc, &sp,
				"name the group with cidrGroupRef",
				"cidrGroupSelector is not supported by polc yet");
		return;
	}
	if (has_group) {
		struct ypath gp = YPATH_KEY(path, "cidrGroupRef");
		const char *name;
		if (!decode_string(d, gn, &gp, &name))
			return;
		struct k8s_errs e = {0};
		k8s_is_dns1123_subdomain(name, &e);
		for (size_t i = 0; i < e.n; i++)
			decode_error_at(d, gn->loc, &gp, "invalid-value", "CiliumCIDRGroup names are DNS subdomains",
					"Invalid value: %s: %s", decode_quote(d, name), e.msg[i]);
		if (e.n)
			return;
		if (ynode_is_set(ymap_get(node, "except"))) {
			/* CIDRRule.sanitize returns before looking at except: it would be ignored. */
			struct ypath xp = YPATH_KEY(path, "except");
			cil_unsupported(c, ymap_get_key(node, "except")->loc, &xp,
					"list the group's CIDRs with cidr and except instead",
					"except together with cidrGroupRef is not supported (Cilium ignores it)");
			return;
		}
		struct cil_group_ref ref = {.name = name, .loc = gn->loc, .path = cil_path(c, &gp)};
		if (vec_push(c->arena, &rule->groups, ref))
			c->oom = true;
		return;
	}
	struct ypath cp = YPATH_KEY(path, "cidr");
	struct ir_peer peer = {.kind = IR_PEER_CIDR, .loc = node->loc, .path = cil_path(c, path)};
	if (!cil_parse_cidr(c, cn, &cp, false, &peer.cidr))
		return;
	parse_excepts(c, node, path, &peer, cn->scalar.value);
	push_peer(c, rule, peer);
}

/* ---- CiliumCIDRGroup ----------------------------------------------------- */

struct cidr_group {
	const char *name;
	struct src_loc loc;
	struct ir_cidr *cidrs;
	size_t n_cidrs;
};

static const char *const group_top_fields[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
static const char *const group_spec_fields[] = {"externalCIDRs", NULL};

/*
 * Shape: {apiVersion: cilium.io/v2alpha1, kind: CiliumCIDRGroup,
 *         metadata: {name}, spec: {externalCIDRs: [PREFIX]}}
 */
int frontend_load_cidr_group(struct frontend *fe, const struct frontend_object *obj)
{
	struct cil c = {.fe = fe, .arena = fe->arena, .form = CIL_CCNP};
	decoder_init(&c.d, fe->arena, fe->diags);
	size_t errors_before = fe->diags->count[DIAG_ERROR];
	decode_known_fields(&c.d, obj->root, NULL, group_top_fields);
	struct k8s_meta meta;
	k8s_decode_meta(&c.d, obj->root, obj->loc, K8S_META_STRICT, &meta);
	if (meta.name)
		frontend_register_object(fe, "CiliumCIDRGroup", NULL, meta.name, meta.name_loc);

	struct cidr_group *g = arena_alloc(fe->arena, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->name = meta.name;
	g->loc = obj->kind_loc;
	struct ypath sp = YPATH_KEY(NULL, "spec");
	const struct ynode *spec = ymap_get(obj->root, "spec");
	if (ynode_is_set(spec) && decode_mapping(&c.d, spec, &sp)) {
		decode_known_fields(&c.d, spec, &sp, group_spec_fields);
		struct ypath lp = YPATH_KEY(&sp, "externalCIDRs");
		const struct ynode *list = ymap_get(spec, "externalCIDRs");
		if (ynode_is_set(list) && decode_sequence(&c.d, list, &lp)) {
			g->cidrs = arena_calloc(fe->arena, list->seq.len + 1, sizeof(*g->cidrs));
			if (!g->cidrs)
				return -ENOMEM;
			for (size_t i = 0; i < list->seq.len; i++) {
				struct ypath ip = YPATH_INDEX(&lp, i);
				if (cil_parse_cidr(&c, list->seq.items[i], &ip, false, &g->cidrs[g->n_cidrs]))
					g->n_cidrs++;
			}
		}
	}
	if (c.oom)
		return -ENOMEM;
	if (fe->diags->count[DIAG_ERROR] > errors_before || !meta.name)
		return -EINVAL;
	return strmap_set(&fe->cidr_groups, g->name, strlen(g->name), g);
}

int frontend_cilium_finish(struct frontend *fe)
{
	int ret = 0;
	for (size_t i = 0; i < fe->cidr_group_refs.len; i++) {
		const struct frontend_cidr_group_ref *ref = &fe->cidr_group_refs.items[i];
		const struct cidr_group *g = strmap_get(&fe->cidr_groups, ref->name, strlen(ref->name));
		if (!g) {
			diag_error(fe->diags, ref->loc, ref->path, "unsupported",
				   "add the CiliumCIDRGroup object (kubectl get ciliumcidrgroup NAME -o yaml) to the input",
				   "cidrGroupRef \"%s\": CiliumCIDRGroup %s is not in the input; polc does not resolve "
				   "CIDR groups without their object",
				   ref->name, ref->name);
			ret = -EINVAL;
			continue;
		}
		struct ir_rule *rule = ref->rule;
		struct ir_peer *peers = arena_realloc(fe->arena, rule->peers, rule->n_peers * sizeof(*peers),
						      (rule->n_peers + g->n_cidrs) * sizeof(*peers));
		if (!peers && g->n_cidrs)
			return -ENOMEM;
		for (size_t k = 0; k < g->n_cidrs; k++) {
			peers[rule->n_peers++] = (struct ir_peer){
				.kind = IR_PEER_CIDR,
				.loc = ref->loc,
				.path = ref->path,
				.cidr = g->cidrs[k],
			};
		}
		if (g->n_cidrs)
			rule->peers = peers;
	}
	return ret;
}

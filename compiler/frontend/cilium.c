/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy,
 * and bare Cilium rule lists, -> ir_policy (one per rule).
 *
 * Objects (cilium/cilium pkg/k8s/apis/cilium.io/v2/cnp_types.go Parse,
 * the CRD schema):
 *   {apiVersion, kind, metadata (ObjectMeta, strict), spec: Rule,
 *    specs: [Rule], status (ignored)}
 *   - metadata.name is required ("CiliumNetworkPolicy must have name");
 *   - neither spec nor specs: "Invalid CiliumNetworkPolicy spec(s): empty
 *     policy" (ErrEmptyCNP; the CRD's "spec or specs must be provided");
 *   - a CiliumNetworkPolicy lives in metadata.namespace (default:
 *     "default", as kubectl would without a context); a cluster-scoped
 *     policy's metadata.namespace is dropped by the API server (a warning);
 *   - each rule is lowered to its own ir_policy: spec is named after the
 *     object, specs[i] "<name>/specs[i]";
 *   - annotation polc.io/audit: "true" reports instead of dropping, as
 *     for NetworkPolicy.
 *
 * Bare rule lists: a JSON (or YAML) document that is a list of rules, as
 * `cilium-dbg policy import` takes them. No envelope, no CRD schema, no
 * namespace scoping: selectors apply as written. Each rule is named by
 * its "name" label, else "<file>[i]".
 */
#include "cilium.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "k8s_meta.h"

static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec", "specs", "status", NULL};

const char *cil_path(struct cil *c, const struct ypath *path)
{
	return decode_path(&c->d, path);
}

void cil_unsupported(struct cil *c, struct src_loc loc, const struct ypath *path, const char *hint,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(c->arena, fmt, ap);
	va_end(ap);
	if (!msg) {
		c->oom = true;
		return;
	}
	decode_error_at(&c->d, loc, path, "unsupported", hint, "%s", msg);
}

static int lower_spec(struct cil *c, const struct cil_spec *s, enum ir_policy_kind kind, const char *name,
		      struct src_loc loc, bool audit)
{
	struct frontend *fe = c->fe;
	struct ir_policy *p = ir_policy_new(fe->prog, kind);
	if (!p)
		return -ENOMEM;
	p->name = name;
	p->namespace = kind == IR_POLICY_CNP ? c->ns : NULL;
	p->loc = loc;
	p->subject = s->subject;
	p->enforce[IR_INGRESS] = s->enforce[IR_INGRESS];
	p->enforce[IR_EGRESS] = s->enforce[IR_EGRESS];
	p->audit = audit;
	for (size_t i = 0; i < s->rules.len; i++) {
		const struct cil_rule *cr = &s->rules.items[i];
		if (!cr->emitted)
			continue;
		struct ir_rule *r = ir_rule_new(fe->prog, p, cr->dir, cr->action);
		if (!r)
			return -ENOMEM;
		r->loc = cr->loc;
		r->path = cr->path;
		r->peers = cr->peers.items;
		r->n_peers = cr->peers.len;
		r->ports = cr->ports.items;
		r->n_ports = cr->ports.len;
		for (size_t g = 0; g < cr->groups.len; g++) {
			struct frontend_cidr_group_ref ref = {
				.rule = r,
				.name = cr->groups.items[g].name,
				.loc = cr->groups.items[g].loc,
				.path = cr->groups.items[g].path,
			};
			if (vec_push(fe->arena, &fe->cidr_group_refs, ref))
				return -ENOMEM;
		}
	}
	return 0;
}

static bool parse_audit(struct cil *c, const struct k8s_meta *meta)
{
	const struct k8s_label *a = k8s_labels_find(&meta->annotations, "polc.io/audit");
	if (!a)
		return false;
	if (strcmp(a->value, "true") == 0)
		return true;
	if (strcmp(a->value, "false") != 0) {
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath ap = YPATH_KEY(&mp, "annotations");
		decode_error_at(&c->d, a->loc, &ap, "invalid-value", "write \"true\" or \"false\"",
				"Invalid value: %s: polc.io/audit must be \"true\" or \"false\"",
				decode_quote(&c->d, a->value));
	}
	return false;
}

typedef VEC(struct cil_spec) spec_vec;

int frontend_load_cilium(struct frontend *fe, const struct frontend_object *obj)
{
	bool clusterwide = strcmp(obj->kind, "CiliumClusterwideNetworkPolicy") == 0;
	struct cil c = {.fe = fe, .arena = fe->arena, .form = clusterwide ? CIL_CCNP : CIL_CNP};
	decoder_init(&c.d, fe->arena, fe->diags);
	struct decoder *d = &c.d;
	size_t errors_before = fe->diags->count[DIAG_ERROR];
	const struct ynode *root = obj->root;
	decode_known_fields(d, root, NULL, top_fields);

	struct k8s_meta meta;
	k8s_decode_meta(d, root, obj->loc, K8S_META_STRICT | K8S_META_NAMESPACED, &meta);
	struct ypath mp = YPATH_KEY(NULL, "metadata");
	struct ypath nsp = YPATH_KEY(&mp, "namespace");
	if (clusterwide) {
		if (meta.namespace)
			/* rest.BeforeCreate clears the namespace of a cluster-scoped object. */
			decode_warning_at(d, meta.namespace_loc, &nsp, "namespace-ignored",
					  "remove metadata.namespace; to scope peers to a namespace, select "
					  "k8s:io.kubernetes.pod.namespace",
					  "a CiliumClusterwideNetworkPolicy is cluster-scoped: the API server drops "
					  "metadata.namespace %s",
					  decode_quote(d, meta.namespace));
	} else {
		c.ns = meta.namespace;
		c.ns_loc = meta.namespace_loc;
		if (!c.ns) {
			c.ns = FRONTEND_DEFAULT_NAMESPACE;
			c.ns_loc = meta.loc;
			if (!meta.namespace_invalid)
				diag_note(fe->diags, meta.loc, decode_path(d, &nsp), "default-namespace",
					  "kubectl would use the namespace of the current context; polc has no context",
					  "metadata.namespace is not set; the policy applies in namespace \"default\"");
		}
	}
	if (meta.generate_name && !meta.name) {
		struct ypath gp = YPATH_KEY(&mp, "generateName");
		decode_error_at(d, meta.loc, &gp, "unsupported", "give the policy a fixed metadata.name",
				"generateName is not supported: a policy needs a stable name");
	}
	if (meta.name)
		frontend_register_object(fe, obj->kind, clusterwide ? NULL : c.ns, meta.name, meta.name_loc);
	bool audit = parse_audit(&c, &meta);

	const struct ynode *spec = ymap_get(root, "spec");
	const struct ynode *specs = ymap_get(root, "specs");
	struct ypath sp = YPATH_KEY(NULL, "spec");
	struct ypath ssp = YPATH_KEY(NULL, "specs");
	spec_vec rules = {0};
	if (!ynode_is_set(spec) && !ynode_is_set(specs)) {
		decode_error_at(d, obj->kind_loc, &sp, "required-field",
				"add spec: {endpointSelector: ..., ingress: [...]} (or specs: a list of such rules)",
				"Invalid %s spec(s): empty policy (spec or specs must be provided)", obj->kind);
	}
	if (ynode_is_set(spec)) {
		struct cil_spec *s = vec_add(fe->arena, &rules);
		if (!s)
			return -ENOMEM;
		cil_parse_rule(&c, spec, &sp, s);
	}
	size_t n_specs = 0;
	if (ynode_is_set(specs) && decode_sequence(d, specs, &ssp)) {
		n_specs = specs->seq.len;
		if (n_specs == 0)
			decode_warning_at(d, specs->loc, &ssp, "empty-policy", "add rules, or remove the policy",
					  "specs is empty: the policy has no rule");
		for (size_t i = 0; i < n_specs; i++) {
			struct ypath ip = YPATH_INDEX(&ssp, i);
			struct cil_spec *s = vec_add(fe->arena, &rules);
			if (!s)
				return -ENOMEM;
			cil_parse_rule(&c, specs->seq.items[i], &ip, s);
		}
	}
	if (c.oom)
		return -ENOMEM;
	if (fe->diags->count[DIAG_ERROR] > errors_before || !meta.name)
		return -EINVAL;

	enum ir_policy_kind kind = clusterwide ? IR_POLICY_CCNP : IR_POLICY_CNP;
	size_t first_specs = ynode_is_set(spec) ? 1 : 0;
	for (size_t i = 0; i < rules.len; i++) {
		const char *name = meta.name;
		struct src_loc loc = obj->kind_loc;
		if (i >= first_specs) {
			name = arena_printf(fe->arena, "%s/specs[%zu]", meta.name, i - first_specs);
			loc = rules.items[i].loc;
			if (!name)
				return -ENOMEM;
		}
		int err = lower_spec(&c, &rules.items[i], kind, name, loc, audit);
		if (err)
			return err;
	}
	return 0;
}

int frontend_load_cilium_rules(struct frontend *fe, const struct ynode *root, uint32_t file)
{
	struct cil c = {.fe = fe, .arena = fe->arena, .form = CIL_RULES};
	decoder_init(&c.d, fe->arena, fe->diags);
	size_t errors_before = fe->diags->count[DIAG_ERROR];
	fe->n_policies++;
	if (root->seq.len == 0)
		decode_warning_at(&c.d, root->loc, NULL, "empty-policy", NULL, "the rule list is empty");
	spec_vec rules = {0};
	for (size_t i = 0; i < root->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(NULL, i);
		const struct ynode *item = root->seq.items[i];
		if (item->kind == YNODE_MAPPING && (ymap_get_key(item, "kind") || ymap_get_key(item, "apiVersion"))) {
			decode_error_at(&c.d, item->loc, &ip, "not-a-rule",
					"several Kubernetes objects go in a multi-document stream (---) or a kind: List",
					"a top-level list is a Cilium rule list (cilium-dbg policy import); this item is "
					"a Kubernetes object");
			continue;
		}
		struct cil_spec *s = vec_add(fe->arena, &rules);
		if (!s)
			return -ENOMEM;
		cil_parse_rule(&c, item, &ip, s);
	}
	if (c.oom)
		return -ENOMEM;
	if (fe->diags->count[DIAG_ERROR] > errors_before)
		return -EINVAL;
	const char *file_name = source_name(fe->sources, file);
	const char *slash = file_name ? strrchr(file_name, '/') : NULL;
	const char *base = slash ? slash + 1 : file_name ? file_name : "rules";
	for (size_t i = 0; i < rules.len; i++) {
		const struct cil_spec *s = &rules.items[i];
		const char *name = s->name_label ? arena_printf(fe->arena, "%s[%zu]", s->name_label, i)
						 : arena_printf(fe->arena, "%s[%zu]", base, i);
		if (!name)
			return -ENOMEM;
		int err = lower_spec(&c, s, IR_POLICY_CILIUM_RULE, name, s->loc, false);
		if (err)
			return err;
	}
	return 0;
}

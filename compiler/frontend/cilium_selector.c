/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium EndpointSelectors: a metav1 LabelSelector whose keys carry a
 * label source, lowered to IR requirements over identity labels, then
 * scoped to namespaces as Cilium scopes them.
 *
 * Keys (cilium/cilium pkg/labels ParseSource, GetExtendedKeyFrom):
 *   "k8s:app"           source k8s, name app (the text before the first ':')
 *   "app"               no source: any (matches a label of any source)
 *   "$host"             reserved:host
 *   "reserved.world"    reserved:world (the legacy spelling, only without ':')
 * Validation (pkg/policy/api/selector.go EndpointSelector.sanitize): the
 * apimachinery ValidateLabelSelector over the extended key
 * "source.name", so "k8s:io.kubernetes.pod.namespace" is the qualified
 * name "k8s.io.kubernetes.pod.namespace"; values are label values (also
 * the CRD schema's pattern and maxLength 63).
 *
 * Namespace scoping (pkg/k8s/apis/cilium.io/utils/utils.go,
 * ParseToCiliumRule and getEndpointSelector):
 *   subject of a CiliumNetworkPolicy   AND k8s:io.kubernetes.pod.namespace=<ns>
 *                                      (replacing a matchLabels entry of that key)
 *   subject of a clusterwide policy    as written
 *   peer with a reserved: key          as written (reserved identities have no namespace)
 *   peer naming the namespace key      as written (k8s: or any: io.kubernetes.pod.namespace,
 *                                      in matchLabels or matchExpressions)
 *   CiliumNetworkPolicy peer           AND namespace=<ns>, unless a key names
 *                                      namespace labels (k8s:/any:
 *                                      io.cilium.k8s.namespace.labels.*): then as written
 *   clusterwide peer                   AND k8s:io.kubernetes.pod.namespace Exists (pods of
 *                                      every namespace, no reserved identity), unless the
 *                                      subject selects reserved:init
 *   bare rule list                     as written: {} matches every identity
 */
#include <errno.h>
#include <string.h>

#include "cilium.h"
#include "k8s_meta.h"
#include "k8s_validate.h"

#define NS_KEY IR_LABEL_NAMESPACE
#define NS_LABELS IR_LABEL_NS_LABELS_PREFIX

static const char *const selector_fields[] = {"matchLabels", "matchExpressions", NULL};
static const char *const requirement_fields[] = {"key", "operator", "values", NULL};

static const char key_hint[] =
	"a selector key is an optional source and ':' (k8s:, any:, reserved:), then a label key: an optional DNS "
	"subdomain prefix and '/', and a name of at most 63 letters, digits, '-', '_' or '.'";
static const char value_hint[] =
	"a label value is empty, or at most 63 letters, digits, '-', '_' or '.' that start and end with a letter "
	"or digit";

void cil_label_source(const char *key, const char **source, size_t *source_len, const char **name)
{
	const char *colon = strchr(key, ':');
	if (key[0] == '$') {
		*source = IR_LABEL_SOURCE_RESERVED;
		*source_len = strlen(IR_LABEL_SOURCE_RESERVED);
		*name = key + 1;
	} else if (colon) {
		*source = key;
		*source_len = (size_t)(colon - key);
		*name = colon + 1;
		if (*source_len == 0) { /* ":app": an empty source is "any" */
			*source = IR_LABEL_SOURCE_ANY;
			*source_len = strlen(IR_LABEL_SOURCE_ANY);
		}
	} else if (strncmp(key, "reserved.", 9) == 0) {
		*source = IR_LABEL_SOURCE_RESERVED;
		*source_len = strlen(IR_LABEL_SOURCE_RESERVED);
		*name = key + 9;
	} else {
		*source = IR_LABEL_SOURCE_ANY;
		*source_len = strlen(IR_LABEL_SOURCE_ANY);
		*name = key;
	}
}

static bool source_is(const char *source, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(source, want, len) == 0;
}

/*
 * The IR key ("source:name") of a selector key, after validating its
 * extended form; NULL after an error.
 */
static const char *normalize_key(struct cil *c, const char *key, struct src_loc loc, const struct ypath *path,
				 struct cil_selector *out)
{
	const char *source, *name;
	size_t slen;
	cil_label_source(key, &source, &slen, &name);
	char *ext = arena_printf(c->arena, "%.*s.%s", (int)slen, source, name);
	if (!ext) {
		c->oom = true;
		return NULL;
	}
	struct k8s_errs e = {0};
	if (strchr(name, '=')) {
		/* GetExtendedKeyFrom drops "=..." from a key: refuse it rather than guess. */
		decode_error_at(&c->d, loc, path, "invalid-value", "a key holds no '='; write the value as the value",
				"Invalid value: %s: a selector key must not contain '='", decode_quote(&c->d, key));
		return NULL;
	}
	k8s_is_qualified_name(ext, &e);
	for (size_t i = 0; i < e.n; i++)
		decode_error_at(&c->d, loc, path, "invalid-value", key_hint, "Invalid value: %s: %s",
				decode_quote(&c->d, key), e.msg[i]);
	if (e.n)
		return NULL;
	if (source_is(source, slen, IR_LABEL_SOURCE_RESERVED))
		out->names_reserved = true;
	bool k8s_or_any = source_is(source, slen, IR_LABEL_SOURCE_K8S) || source_is(source, slen, IR_LABEL_SOURCE_ANY);
	if (k8s_or_any && strcmp(name, NS_KEY) == 0)
		out->names_namespace = true;
	if (k8s_or_any && strncmp(name, NS_LABELS, strlen(NS_LABELS)) == 0)
		out->names_ns_labels = true;
	if (source_is(source, slen, IR_LABEL_SOURCE_RESERVED) && strcmp(name, "init") == 0)
		out->names_init = true;
	if (source_is(source, slen, IR_LABEL_SOURCE_RESERVED) && strcmp(name, "world") == 0)
		/* labels.AddWorldLabel: dual-stack world identities are world-ipv4 and world-ipv6 only. */
		decode_warning_at(&c->d, loc, path, "selects-no-world",
				  "select outside the cluster with fromEntities/toEntities: [world]",
				  "%s selects the identity reserved:world alone: in a dual-stack cluster world traffic "
				  "has reserved:world-ipv4 or reserved:world-ipv6, so this matches no packet",
				  decode_quote(&c->d, key));
	const char *ir_key = arena_printf(c->arena, "%.*s:%s", (int)slen, source, name);
	if (!ir_key)
		c->oom = true;
	return ir_key;
}

static bool valid_value(struct cil *c, const char *value, struct src_loc loc, const struct ypath *path)
{
	struct k8s_errs e = {0};
	k8s_is_label_value(value, &e);
	for (size_t i = 0; i < e.n; i++)
		decode_error_at(&c->d, loc, path, "invalid-value", value_hint, "Invalid value: %s: %s",
				decode_quote(&c->d, value), e.msg[i]);
	return e.n == 0;
}

static bool push_req(struct cil *c, struct cil_selector *out, struct ir_requirement req)
{
	if (vec_push(c->arena, &out->reqs, req)) {
		c->oom = true;
		return false;
	}
	return true;
}

static bool decode_match_labels(struct cil *c, const struct ynode *node, const struct ypath *path,
				struct cil_selector *out)
{
	struct k8s_labels labels;
	if (!k8s_decode_labels(&c->d, node, path, false, &labels))
		return false;
	bool ok = true;
	for (size_t i = 0; i < labels.len; i++) {
		const struct k8s_label *l = &labels.items[i];
		const char *key = normalize_key(c, l->key, l->loc, path, out);
		const struct ynode *v = ymap_get(node, l->key);
		bool vok = valid_value(c, l->value, v && v->loc.line ? v->loc : l->loc, path);
		if (!key || !vok) {
			ok = false;
			continue;
		}
		const char **values = arena_alloc(c->arena, sizeof(*values));
		if (!values) {
			c->oom = true;
			return false;
		}
		values[0] = l->value;
		if (!push_req(c, out, (struct ir_requirement){key, IR_SEL_IN, values, 1, l->loc}))
			return false;
	}
	return ok;
}

/* One matchExpressions item (LabelSelectorRequirement). */
static bool decode_requirement(struct cil *c, const struct ynode *item, const struct ypath *path,
			       struct cil_selector *out)
{
	struct decoder *d = &c->d;
	if (!decode_mapping(d, item, path))
		return false;
	bool ok = decode_known_fields(d, item, path, requirement_fields);
	struct ypath kp = YPATH_KEY(path, "key");
	struct ypath op = YPATH_KEY(path, "operator");
	struct ypath vp = YPATH_KEY(path, "values");
	const struct ynode *k = ymap_get(item, "key");
	const struct ynode *o = ymap_get(item, "operator");
	const struct ynode *v = ymap_get(item, "values");
	const char *key = NULL, *oper = NULL;
	if (!ynode_is_set(k)) {
		decode_error_at(d, item->loc, &kp, "required-field", NULL, "Required value");
		ok = false;
	} else if (!decode_string(d, k, &kp, &key)) {
		ok = false;
	}
	if (!ynode_is_set(o)) {
		decode_error_at(d, item->loc, &op, "required-field", "operators: In, NotIn, Exists, DoesNotExist",
				"Required value");
		return false;
	}
	if (!decode_string(d, o, &op, &oper))
		return false;
	size_t n_values = 0;
	if (ynode_is_set(v)) {
		if (!decode_sequence(d, v, &vp))
			return false;
		n_values = v->seq.len;
	}

	struct ir_requirement req = {.loc = item->loc};
	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
	if (strcmp(oper, "In") == 0 || strcmp(oper, "NotIn") == 0) {
		req.op = oper[0] == 'I' ? IR_SEL_IN : IR_SEL_NOT_IN;
		if (n_values == 0) {
			decode_error_at(d, v ? v->loc : item->loc, &vp, "required-field", "list the label values to match",
					"Required value: must be specified when `operator` is 'In' or 'NotIn'");
			ok = false;
		}
	} else if (strcmp(oper, "Exists") == 0 || strcmp(oper, "DoesNotExist") == 0) {
		req.op = oper[0] == 'E' ? IR_SEL_EXISTS : IR_SEL_NOT_EXISTS;
		if (n_values > 0) {
			decode_error_at(d, ymap_get_key(item, "values")->loc, &vp, "forbidden",
					arena_printf(c->arena, "%s tests the key only; remove values", oper),
					"Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
			ok = false;
		}
	} else {
		const char *s = decode_suggest(oper, ops);
		decode_error_at(d, o->loc, &op, "unsupported-value",
				s ? arena_printf(c->arena, "did you mean \"%s\"? (operators are case-sensitive)", s)
				  : "operators: In, NotIn, Exists, DoesNotExist",
				"Unsupported value: %s: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"",
				decode_quote(d, oper));
		ok = false;
	}
	if (key) {
		req.key = normalize_key(c, key, k->loc, &kp, out);
		if (!req.key)
			ok = false;
	}
	req.values = arena_calloc(c->arena, n_values ? n_values : 1, sizeof(*req.values));
	if (!req.values) {
		c->oom = true;
		return false;
	}
	for (size_t i = 0; i < n_values; i++) {
		struct ypath ip = YPATH_INDEX(&vp, i);
		const char *value;
		if (!decode_string(d, v->seq.items[i], &ip, &value) ||
		    !valid_value(c, value, v->seq.items[i]->loc, &ip)) {
			ok = false;
			continue;
		}
		req.values[req.n_values++] = value;
	}
	return ok && push_req(c, out, req);
}

/*
 * Shape: {matchLabels: {key: value}, matchExpressions: [{key, operator, values}]};
 * null or {} selects everything (before scoping).
 */
bool cil_decode_selector(struct cil *c, const struct ynode *node, const struct ypath *path,
			 struct cil_selector *out)
{
	memset(out, 0, sizeof(*out));
	if (node)
		out->loc = node->loc;
	if (ynode_is_null(node))
		return true;
	if (!decode_mapping(&c->d, node, path))
		return false;
	bool ok = decode_known_fields(&c->d, node, path, selector_fields);
	struct ypath lp = YPATH_KEY(path, "matchLabels");
	if (!decode_match_labels(c, ymap_get(node, "matchLabels"), &lp, out))
		ok = false;
	struct ypath ep = YPATH_KEY(path, "matchExpressions");
	const struct ynode *exprs = ymap_get(node, "matchExpressions");
	if (ynode_is_set(exprs)) {
		if (!decode_sequence(&c->d, exprs, &ep))
			return false;
		for (size_t i = 0; i < exprs->seq.len; i++) {
			struct ypath ip = YPATH_INDEX(&ep, i);
			if (!decode_requirement(c, exprs->seq.items[i], &ip, out))
				ok = false;
		}
	}
	return ok && !c->oom;
}

static bool copy_reqs(struct cil *c, const struct cil_selector *sel, size_t extra, struct ir_selector *out)
{
	memset(out, 0, sizeof(*out));
	out->loc = sel->loc;
	out->reqs = arena_calloc(c->arena, sel->reqs.len + extra + 1, sizeof(*out->reqs));
	if (!out->reqs) {
		c->oom = true;
		return false;
	}
	return true;
}

static bool add_namespace_req(struct cil *c, struct ir_selector *out, bool exists)
{
	struct ir_requirement *r = &out->reqs[out->n_reqs++];
	r->key = IR_LABEL_SOURCE_K8S ":" NS_KEY;
	r->loc = c->ns_loc;
	if (exists) {
		r->op = IR_SEL_EXISTS;
		return true;
	}
	r->op = IR_SEL_IN;
	r->values = arena_alloc(c->arena, sizeof(*r->values));
	if (!r->values) {
		c->oom = true;
		return false;
	}
	r->values[0] = c->ns;
	r->n_values = 1;
	return true;
}

bool cil_subject(struct cil *c, const struct cil_selector *sel, const struct ypath *path, struct ir_selector *out)
{
	if (!copy_reqs(c, sel, 1, out))
		return false;
	out->path = cil_path(c, path);
	for (size_t i = 0; i < sel->reqs.len; i++) {
		const struct ir_requirement *r = &sel->reqs.items[i];
		/*
		 * AddMatch(k8s:io.kubernetes.pod.namespace, <ns>) replaces the
		 * matchLabels entry of that key: the subject always lives in
		 * the policy's namespace (utils.go ParseToCiliumRule).
		 */
		if (c->form == CIL_CNP && r->op == IR_SEL_IN && r->n_values == 1 &&
		    strcmp(r->key, IR_LABEL_SOURCE_K8S ":" NS_KEY) == 0) {
			if (strcmp(r->values[0], c->ns) != 0)
				decode_warning_at(&c->d, r->loc, path, "namespace-overridden",
						  "use a CiliumClusterwideNetworkPolicy to select pods of another namespace",
						  "the endpointSelector of a CiliumNetworkPolicy always selects in the "
						  "policy's namespace %s; Cilium replaces %s=%s",
						  decode_quote(&c->d, c->ns), r->key, r->values[0]);
			continue;
		}
		out->reqs[out->n_reqs++] = *r;
	}
	if (sel->names_reserved)
		decode_warning_at(&c->d, sel->loc, path, "selects-no-pod",
				  "polc enforces policy on pods; reserved identities (host, init, ...) are no endpoints here",
				  "an endpointSelector on a reserved: label selects no pod");
	if (c->form == CIL_CNP)
		return add_namespace_req(c, out, false);
	return true;
}

bool cil_peer_selector(struct cil *c, const struct cil_selector *sel, bool subject_init, struct ir_selector *out)
{
	if (!copy_reqs(c, sel, 1, out))
		return false;
	for (size_t i = 0; i < sel->reqs.len; i++)
		out->reqs[out->n_reqs++] = sel->reqs.items[i];
	if (c->form == CIL_RULES || sel->names_reserved || sel->names_namespace)
		return true;
	if (c->form == CIL_CCNP)
		return subject_init ? true : add_namespace_req(c, out, true);
	if (sel->names_ns_labels)
		return true;
	return add_namespace_req(c, out, false);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* ObjectMeta, label maps and LabelSelector: see k8s_meta.h. */
#include "k8s_meta.h"

#include <errno.h>
#include <string.h>

#include "k8s_validate.h"
#include "yresolve.h"

static const char *const meta_fields[] = {
	"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
	"ownerReferences", "finalizers", "managedFields", NULL,
};

static const char label_key_hint[] =
	"a label key is an optional DNS subdomain prefix and '/' (example.com/), then a name of at most 63 "
	"letters, digits, '-', '_' or '.' that starts and ends with a letter or digit";
static const char label_value_hint[] =
	"a label value is empty, or at most 63 letters, digits, '-', '_' or '.' that start and end with a "
	"letter or digit";

/* Report every message of e as `Invalid value: "v": msg` at loc. */
static void report_invalid(struct decoder *d, struct src_loc loc, const struct ypath *path, const char *value,
			   const struct k8s_errs *e, const char *hint)
{
	for (size_t i = 0; i < e->n; i++)
		decode_error_at(d, loc, path, "invalid-value", hint, "Invalid value: %s: %s", decode_quote(d, value),
				e->msg[i]);
}

/*
 * A YAML key becomes a JSON object key through kubectl: plain keys that
 * YAML 1.1 reads as booleans or null change their text ("yes" -> "true").
 */
static bool key_text_is_stable(struct decoder *d, const struct ynode *key, const struct ypath *path)
{
	enum yscalar_type t = yscalar_type(key);
	if (t == YTYPE_STRING)
		return true;
	struct yresolved r;
	yresolve_plain(key->scalar.value, key->scalar.len, &r);
	if (t == YTYPE_INT && r.notation == YINT_DECIMAL && !r.underscores)
		return true;
	decode_error_at(d, key->loc, path, "wrong-type",
			arena_printf(d->arena, "quote it: \"%s\"", key->scalar.value),
			"key %s reads as %s under YAML 1.1 (kubectl sends a different key)", key->scalar.value,
			yscalar_type_name(t));
	return false;
}

bool k8s_decode_labels(struct decoder *d, const struct ynode *node, const struct ypath *path, bool validate,
		       struct k8s_labels *out)
{
	memset(out, 0, sizeof(*out));
	if (ynode_is_null(node))
		return true;
	if (!decode_mapping(d, node, path))
		return false;
	bool ok = true;
	out->items = arena_calloc(d->arena, node->map.len ? node->map.len : 1, sizeof(*out->items));
	if (!out->items)
		return false;
	for (size_t i = 0; i < node->map.len; i++) {
		const struct ynode *k = node->map.pairs[i].key, *v = node->map.pairs[i].value;
		if (!key_text_is_stable(d, k, path)) {
			ok = false;
			continue;
		}
		const char *value = "";
		if (ynode_is_null(v)) {
			decode_warning_at(d, v->loc.line ? v->loc : k->loc, path, "empty-label-value",
					  arena_printf(d->arena, "write %s: \"\" if the empty value is meant",
						       k->scalar.value),
					  "%s has no value: it means the empty string", k->scalar.value);
		} else if (!decode_string(d, v, path, &value)) {
			ok = false;
			continue;
		}
		if (validate) {
			struct k8s_errs e = {0};
			k8s_is_qualified_name(k->scalar.value, &e);
			report_invalid(d, k->loc, path, k->scalar.value, &e, label_key_hint);
			struct k8s_errs ev = {0};
			k8s_is_label_value(value, &ev);
			report_invalid(d, v->loc.line ? v->loc : k->loc, path, value, &ev, label_value_hint);
			if (e.n || ev.n)
				ok = false;
		}
		struct k8s_label *l = &out->items[out->len++];
		l->key = k->scalar.value;
		l->value = value;
		l->loc = k->loc;
	}
	return ok;
}

const struct k8s_label *k8s_labels_find(const struct k8s_labels *labels, const char *key)
{
	for (size_t i = 0; i < labels->len; i++)
		if (strcmp(labels->items[i].key, key) == 0)
			return &labels->items[i];
	return NULL;
}

int k8s_labels_to_ir(struct arena *arena, const struct k8s_labels *in, struct ir_labels *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < in->len; i++)
		if (ir_labels_set(arena, out, in->items[i].key, in->items[i].value))
			return -ENOMEM;
	ir_labels_sort(out);
	return 0;
}

static bool validate_annotations(struct decoder *d, const struct k8s_labels *ann, const struct ypath *path)
{
	bool ok = true;
	size_t total = 0;
	bool too_long = false;
	for (size_t i = 0; i < ann->len; i++) {
		const struct k8s_label *a = &ann->items[i];
		/* QualifiedName, except that case does not matter. */
		char *lower = arena_strdup(d->arena, a->key);
		if (!lower)
			return false;
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		struct k8s_errs e = {0};
		k8s_is_qualified_name(lower, &e);
		report_invalid(d, a->loc, path, a->key, &e, label_key_hint);
		if (e.n)
			ok = false;
		total += strlen(a->key) + strlen(a->value);
		if (total > K8S_TOTAL_ANNOTATION_SIZE && !too_long) {
			/* Point at the entry that crosses the limit. */
			decode_error_at(d, a->loc, path, "too-long",
					arena_printf(d->arena,
						     "all annotations together are %zu bytes or more; the API server stores "
						     "objects in etcd and caps annotations at 256 KiB",
						     total),
					"Too long: must have at most %d bytes", K8S_TOTAL_ANNOTATION_SIZE);
			too_long = true;
			ok = false;
		}
	}
	return ok;
}

/* generateName validates as a name with its trailing '-' masked (maskTrailingDash). */
static void validate_name(const char *name, bool label, bool prefix, struct k8s_errs *e)
{
	char buf[K8S_DNS1123_SUBDOMAIN_MAX + 2];
	size_t len = strlen(name);
	if (prefix && len > 1 && name[len - 1] == '-' && len - 1 < sizeof(buf)) {
		memcpy(buf, name, len - 1);
		buf[len - 2] = 'a';
		buf[len - 1] = '\0';
		name = buf;
	}
	if (label)
		k8s_is_dns1123_label(name, e);
	else
		k8s_is_dns1123_subdomain(name, e);
}

bool k8s_decode_meta(struct decoder *d, const struct ynode *obj, struct src_loc obj_loc, unsigned flags,
		     struct k8s_meta *out)
{
	memset(out, 0, sizeof(*out));
	struct ypath mp = YPATH_KEY(NULL, "metadata");
	const struct ynode *key = ymap_get_key(obj, "metadata");
	const struct ynode *meta = ymap_get(obj, "metadata");
	out->loc = key ? key->loc : obj_loc;
	bool ok = true;
	if (ynode_is_set(meta)) {
		if (!decode_mapping(d, meta, &mp))
			return false;
		out->node = meta;
		if ((flags & K8S_META_STRICT) && !decode_known_fields(d, meta, &mp, meta_fields))
			ok = false;
	}

	struct ypath np = YPATH_KEY(&mp, "name");
	const struct ynode *n = ymap_get(meta, "name");
	bool name_bad = false;
	if (ynode_is_set(n)) {
		if (decode_string(d, n, &np, &out->name)) {
			out->name_loc = n->loc;
			if (!*out->name)
				out->name = NULL;
		} else {
			ok = false;
			name_bad = true;
		}
	}
	struct ypath gp = YPATH_KEY(&mp, "generateName");
	const struct ynode *g = ymap_get(meta, "generateName");
	if (ynode_is_set(g) && !decode_string(d, g, &gp, &out->generate_name))
		ok = false;
	if (out->generate_name && !*out->generate_name)
		out->generate_name = NULL;

	bool label = flags & K8S_META_NAME_LABEL;
	if (out->generate_name) {
		struct k8s_errs e = {0};
		validate_name(out->generate_name, label, true, &e);
		report_invalid(d, g->loc, &gp, out->generate_name, &e, NULL);
		ok = ok && e.n == 0;
	}
	if (!out->name && !out->generate_name && !ynode_is_set(n)) {
		decode_error_at(d, out->loc, &np, "required-field", "every object needs metadata.name",
				"Required value: name or generateName is required");
		ok = false;
	} else if (out->name) {
		struct k8s_errs e = {0};
		validate_name(out->name, label, false, &e);
		const char *hint = e.n ? "names are lowercase letters, digits, '-' and '.'" : NULL;
		report_invalid(d, out->name_loc, &np, out->name, &e, hint);
		ok = ok && e.n == 0;
	} else if (ynode_is_set(n) && !name_bad) {
		/* name: "" */
		decode_error_at(d, n->loc, &np, "required-field", NULL,
				"Required value: name or generateName is required");
		ok = false;
	}

	struct ypath nsp = YPATH_KEY(&mp, "namespace");
	const struct ynode *ns = ymap_get(meta, "namespace");
	if (ynode_is_set(ns)) {
		if (decode_string(d, ns, &nsp, &out->namespace)) {
			out->namespace_loc = ns->loc;
			if (!*out->namespace)
				out->namespace = NULL;
		} else {
			ok = false;
			out->namespace_invalid = true;
		}
		if (out->namespace && !(flags & K8S_META_NAMESPACED)) {
			decode_error_at(d, ns->loc, &nsp, "forbidden", "this kind is cluster-scoped; remove the namespace",
					"Forbidden: not allowed on this type");
			ok = false;
		} else if (out->namespace) {
			struct k8s_errs e = {0};
			k8s_is_dns1123_label(out->namespace, &e);
			report_invalid(d, ns->loc, &nsp, out->namespace, &e,
				       "namespace names are at most 63 lowercase letters, digits and '-'");
			ok = ok && e.n == 0;
			out->namespace_invalid = e.n != 0;
		}
	}

	struct ypath lp = YPATH_KEY(&mp, "labels");
	if (!k8s_decode_labels(d, ymap_get(meta, "labels"), &lp, true, &out->labels))
		ok = false;
	struct ypath ap = YPATH_KEY(&mp, "annotations");
	if (!k8s_decode_labels(d, ymap_get(meta, "annotations"), &ap, false, &out->annotations))
		ok = false;
	else if (!validate_annotations(d, &out->annotations, &ap))
		ok = false;
	return ok;
}

/* ---- LabelSelector ------------------------------------------------------- */

static const char *const selector_fields[] = {"matchLabels", "matchExpressions", NULL};
static const char *const requirement_fields[] = {"key", "operator", "values", NULL};

static bool decode_requirement(struct decoder *d, const struct ynode *item, const struct ypath *path,
			       struct k8s_requirement *out)
{
	if (!decode_mapping(d, item, path))
		return false;
	bool ok = decode_known_fields(d, item, path, requirement_fields);
	memset(out, 0, sizeof(*out));
	out->loc = item->loc;

	struct ypath kp = YPATH_KEY(path, "key");
	const struct ynode *k = ymap_get(item, "key");
	const char *key = "";
	if (ynode_is_set(k) && !decode_string(d, k, &kp, &key))
		ok = false;

	struct ypath op = YPATH_KEY(path, "operator");
	const struct ynode *o = ymap_get(item, "operator");
	const char *oper = "";
	if (ynode_is_set(o) && !decode_string(d, o, &op, &oper))
		return false;

	struct ypath vp = YPATH_KEY(path, "values");
	const struct ynode *v = ymap_get(item, "values");
	size_t n_values = 0;
	if (ynode_is_set(v)) {
		if (!decode_sequence(d, v, &vp))
			return false;
		n_values = v->seq.len;
	}

	static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
	if (strcmp(oper, "In") == 0 || strcmp(oper, "NotIn") == 0) {
		out->op = oper[0] == 'I' ? IR_SEL_IN : IR_SEL_NOT_IN;
		if (n_values == 0) {
			decode_error_at(d, v ? v->loc : item->loc, &vp, "required-field",
					"list the label values to match",
					"Required value: must be specified when `operator` is 'In' or 'NotIn'");
			ok = false;
		}
	} else if (strcmp(oper, "Exists") == 0 || strcmp(oper, "DoesNotExist") == 0) {
		out->op = oper[0] == 'E' ? IR_SEL_EXISTS : IR_SEL_NOT_EXISTS;
		if (n_values > 0) {
			const struct ynode *vk = ymap_get_key(item, "values");
			decode_error_at(d, vk->loc, &vp, "forbidden",
					arena_printf(d->arena, "%s tests the key only; remove values", oper),
					"Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
			ok = false;
		}
	} else {
		const char *s = decode_suggest(oper, ops);
		decode_error_at(d, o ? o->loc : item->loc, &op, "invalid-value",
				s ? arena_printf(d->arena, "did you mean \"%s\"? (operators are case-sensitive)", s)
				  : "operators: In, NotIn, Exists, DoesNotExist",
				"Invalid value: %s: not a valid selector operator", decode_quote(d, oper));
		ok = false;
	}

	struct k8s_errs e = {0};
	k8s_is_qualified_name(key, &e);
	report_invalid(d, k ? k->loc : item->loc, &kp, key, &e, label_key_hint);
	if (e.n)
		ok = false;
	out->key = key;

	out->values = arena_calloc(d->arena, n_values ? n_values : 1, sizeof(*out->values));
	if (!out->values)
		return false;
	for (size_t i = 0; i < n_values; i++) {
		struct ypath ip = YPATH_INDEX(&vp, i);
		const char *value;
		if (!decode_string(d, v->seq.items[i], &ip, &value)) {
			ok = false;
			continue;
		}
		struct k8s_errs ev = {0};
		k8s_is_label_value(value, &ev);
		report_invalid(d, v->seq.items[i]->loc, &ip, value, &ev, label_value_hint);
		if (ev.n)
			ok = false;
		out->values[out->n_values++] = value;
	}
	return ok;
}

bool k8s_decode_selector(struct decoder *d, const struct ynode *node, const struct ypath *path,
			 struct k8s_selector *out)
{
	memset(out, 0, sizeof(*out));
	if (node)
		out->loc = node->loc;
	if (ynode_is_null(node))
		return true;
	if (!decode_mapping(d, node, path))
		return false;
	bool ok = decode_known_fields(d, node, path, selector_fields);

	struct ypath lp = YPATH_KEY(path, "matchLabels");
	struct k8s_labels labels;
	if (!k8s_decode_labels(d, ymap_get(node, "matchLabels"), &lp, true, &labels))
		ok = false;

	struct ypath ep = YPATH_KEY(path, "matchExpressions");
	const struct ynode *exprs = ymap_get(node, "matchExpressions");
	size_t n_exprs = 0;
	if (ynode_is_set(exprs)) {
		if (!decode_sequence(d, exprs, &ep))
			return false;
		n_exprs = exprs->seq.len;
	}

	out->reqs = arena_calloc(d->arena, labels.len + n_exprs + 1, sizeof(*out->reqs));
	if (!out->reqs)
		return false;
	for (size_t i = 0; i < labels.len; i++) {
		struct k8s_requirement *r = &out->reqs[out->n_reqs++];
		r->key = labels.items[i].key;
		r->op = IR_SEL_IN;
		r->values = arena_alloc(d->arena, sizeof(*r->values));
		if (!r->values)
			return false;
		r->values[0] = labels.items[i].value;
		r->n_values = 1;
		r->loc = labels.items[i].loc;
	}
	for (size_t i = 0; i < n_exprs; i++) {
		struct ypath ip = YPATH_INDEX(&ep, i);
		if (decode_requirement(d, exprs->seq.items[i], &ip, &out->reqs[out->n_reqs]))
			out->n_reqs++;
		else
			ok = false;
	}
	return ok;
}

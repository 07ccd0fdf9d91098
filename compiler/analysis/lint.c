/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc lint's semantic checks: the context every family shares, the
 * helpers they report with, and lint_run(), which calls the families in
 * a fixed order (so the output order does not depend on anything but
 * the input; the driver sorts by position anyway).
 *
 * Positions: the IR keeps a position per rule, peer, port and selector.
 * Some findings deserve a finer one (the "0" of a Cilium port, one entry
 * of an except list); for those the file is read again as YAML (it
 * parsed before, or lint would not run) and the field path is walked in
 * the object that holds the IR node's position.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../passes/passes.h"
#include "lint_int.h"

struct lint_file {
	bool loaded;
	const struct ynode **objects; /* every object mapping, in document order */
	size_t n_objects;
};

void lint_warn(struct lint *l, struct src_loc loc, const char *path, const char *code, const char *hint,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(l->arena, fmt, ap);
	va_end(ap);
	if (!msg || diag_report(l->diags, DIAG_WARNING, loc, path, code, hint, "%s", msg))
		l->err = -ENOMEM;
}

bool lint_reported(const struct lint *l, struct src_loc loc, const char *code)
{
	for (size_t i = 0; i < l->diags->diags.len; i++) {
		const struct diag *d = &l->diags->diags.items[i];
		if (d->loc.file == loc.file && d->loc.line == loc.line && d->loc.col == loc.col &&
		    strcmp(d->code, code) == 0)
			return true;
	}
	return false;
}

const char *lint_fmt(struct lint *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = arena_vprintf(l->arena, fmt, ap);
	va_end(ap);
	if (!s) {
		l->err = -ENOMEM;
		return "";
	}
	return s;
}

bool lint_selector_matches_pod(const struct lint *l, const struct ir_selector *sel, size_t pod)
{
	return l->pod_labels[pod] && selector_matches(sel, l->pod_labels[pod]);
}

bool lint_selects_pod(const struct lint *l, const struct ir_policy *p, size_t pod)
{
	return lint_selector_matches_pod(l, &p->subject, pod);
}

const char *lint_pod_name(struct lint *l, size_t pod)
{
	const struct ir_pod *p = &l->prog->pods.items[pod];
	return lint_fmt(l, "%s/%s", p->namespace, p->name);
}

const char *lint_policy_name(struct lint *l, const struct ir_policy *p)
{
	if (!p->namespace)
		return p->name ? p->name : "?";
	return lint_fmt(l, "%s/%s", p->namespace, p->name ? p->name : "?");
}

const char *lint_rule_ref(struct lint *l, const struct ir_rule *r, const struct ir_rule *from)
{
	const char *path = r->path ? r->path : "a rule";
	if (from && from->policy == r->policy)
		return path;
	return lint_fmt(l, "%s of %s %s (%s:%u)", path, ir_policy_kind_name(r->policy->kind),
			lint_policy_name(l, r->policy), source_name(l->in->sources, r->loc.file), r->loc.line);
}

/* ---- positions from the YAML ------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

typedef VEC(const struct ynode *) node_vec;

static int add_objects(struct lint *l, const struct ynode *node, node_vec *out, unsigned depth)
{
	if (!node || node->kind != YNODE_MAPPING || depth > 8)
		return 0;
	const struct ynode *kind = ymap_get(node, "kind");
	const struct ynode *items = ymap_get(node, "items");
	if (kind && kind->kind == YNODE_SCALAR && ends_with(kind->scalar.value, "List") && items &&
	    items->kind == YNODE_SEQUENCE) {
		for (size_t i = 0; i < items->seq.len; i++)
			if (add_objects(l, items->seq.items[i], out, depth + 1))
				return -ENOMEM;
		return 0;
	}
	return vec_push(l->arena, out, node);
}

static struct lint_file *load_file(struct lint *l, uint32_t file)
{
	if (!file || file > l->n_files)
		return NULL;
	struct lint_file *f = &l->files[file - 1];
	if (f->loaded)
		return f;
	f->loaded = true;
	/* The file parsed once already; a second parse reports nothing anyone reads. */
	struct diag_sink quiet;
	diag_sink_init(&quiet, l->arena, l->in->sources);
	struct ystream stream;
	if (yaml_load(l->arena, &quiet, l->in->sources, file, NULL, &stream))
		return f;
	node_vec objs = {0};
	for (size_t i = 0; i < stream.n_docs; i++) {
		if (add_objects(l, stream.docs[i].root, &objs, 0)) {
			l->err = -ENOMEM;
			return f;
		}
	}
	f->objects = objs.items;
	f->n_objects = objs.len;
	return f;
}

static bool before_or_at(struct src_loc a, struct src_loc b)
{
	return a.line < b.line || (a.line == b.line && a.col <= b.col);
}

/* Walk "spec.egress[0].toPorts[0].ports[0].port" from an object's mapping. */
static const struct ynode *walk(const struct ynode *node, const char *path, const struct ynode **key_out)
{
	const char *p = path;
	const struct ynode *key = NULL;
	while (node && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (*end != ']' || node->kind != YNODE_SEQUENCE || idx >= node->seq.len)
				return NULL;
			node = node->seq.items[idx];
			key = NULL;
			p = end + 1;
			continue;
		}
		size_t n = strcspn(p, ".[");
		if (node->kind != YNODE_MAPPING)
			return NULL;
		const struct ynode *next = NULL;
		for (size_t i = 0; i < node->map.len && !next; i++) {
			const struct ynode *k = node->map.pairs[i].key;
			if (k->scalar.len == n && memcmp(k->scalar.value, p, n) == 0) {
				next = node->map.pairs[i].value;
				key = k;
			}
		}
		node = next;
		p += n;
	}
	if (key_out)
		*key_out = key;
	return node;
}

const struct ynode *lint_yaml_node(struct lint *l, struct src_loc near, const char *path, const struct ynode **key)
{
	if (!path)
		return NULL;
	struct lint_file *f = load_file(l, near.file);
	if (!f || !f->n_objects)
		return NULL;
	/* Objects follow each other: the last one that starts before near holds it. */
	const struct ynode *obj = NULL;
	for (size_t i = 0; i < f->n_objects; i++)
		if (before_or_at(f->objects[i]->loc, near))
			obj = f->objects[i];
	return obj ? walk(obj, path, key) : NULL;
}

struct src_loc lint_yaml_loc(struct lint *l, struct src_loc near, const char *path, struct src_loc fallback)
{
	const struct ynode *n = lint_yaml_node(l, near, path, NULL);
	return n ? n->loc : fallback;
}

struct src_loc lint_yaml_key_loc(struct lint *l, struct src_loc near, const char *path, struct src_loc fallback)
{
	const struct ynode *key = NULL;
	const struct ynode *n = lint_yaml_node(l, near, path, &key);
	return n && key ? key->loc : fallback;
}

/* ---- the run ------------------------------------------------------------- */

static const struct ir_labels *identity_labels(const struct ir_datapath *dp, uint32_t id)
{
	size_t lo = 0, hi = dp->identities.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = dp->identities.items[mid].id;
		if (v == id)
			return &dp->identities.items[mid].labels;
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int lint_run(const struct lint_input *in)
{
	struct lint l = {
		.in = in,
		.arena = in->arena,
		.diags = in->diags,
		.prog = in->prog,
		.dp = in->dp,
		.n_files = in->sources->files.len,
	};
	l.pod_labels = arena_calloc(l.arena, in->prog->pods.len + 1, sizeof(*l.pod_labels));
	l.files = arena_calloc(l.arena, l.n_files + 1, sizeof(*l.files));
	if (!l.pod_labels || !l.files)
		return -ENOMEM;
	for (size_t i = 0; i < in->prog->pods.len; i++) {
		uint32_t id = in->dp && in->dp->pod_identity ? in->dp->pod_identity[i] : 0;
		l.pod_labels[i] = id ? identity_labels(in->dp, id) : NULL;
	}
	l.have_pods = in->prog->pods.len > 0;

	lint_check_inert(&l);
	lint_check_select(&l);
	lint_check_redundant(&l);
	lint_check_cidr(&l);
	lint_check_dns(&l);
	return l.err;
}

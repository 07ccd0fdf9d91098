/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Label selector matching over identity labels, with Cilium's sources:
 * a requirement on "k8s:app" needs a k8s-sourced label, one on "any:app"
 * (or a key without source) accepts the label from any source.
 * Kubernetes semantics for the operators: NotIn and DoesNotExist match
 * identities that lack the key.
 */
#include <string.h>

#include "passes.h"

/* "k8s:app" -> source "k8s" (len 3), name "app". No colon: source any. */
static void split_key(const char *key, const char **source, size_t *source_len, const char **name)
{
	const char *colon = strchr(key, ':');
	if (!colon) {
		*source = IR_LABEL_SOURCE_ANY;
		*source_len = strlen(IR_LABEL_SOURCE_ANY);
		*name = key;
		return;
	}
	*source = key;
	*source_len = (size_t)(colon - key);
	*name = colon + 1;
}

/* Value of the label the requirement names, or NULL when the identity lacks it. */
static const char *lookup(const struct ir_labels *labels, const char *req_key)
{
	const char *source, *name;
	size_t source_len;
	split_key(req_key, &source, &source_len, &name);
	bool any = source_len == 3 && memcmp(source, IR_LABEL_SOURCE_ANY, 3) == 0;
	if (!any) {
		/* Sorted keys: binary search on the full key. */
		size_t lo = 0, hi = labels->len;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(labels->items[mid].key, req_key);
			if (c == 0)
				return labels->items[mid].value;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	for (size_t i = 0; i < labels->len; i++) {
		const char *ls, *ln;
		size_t ls_len;
		split_key(labels->items[i].key, &ls, &ls_len, &ln);
		if (strcmp(ln, name) == 0)
			return labels->items[i].value;
	}
	return NULL;
}

static bool value_in(const char *value, const struct ir_requirement *req)
{
	for (size_t i = 0; i < req->n_values; i++)
		if (strcmp(value, req->values[i]) == 0)
			return true;
	return false;
}

bool selector_matches(const struct ir_selector *sel, const struct ir_labels *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct ir_requirement *req = &sel->reqs[i];
		const char *value = lookup(labels, req->key);
		bool ok;
		switch (req->op) {
		case IR_SEL_IN: ok = value && value_in(value, req); break;
		case IR_SEL_NOT_IN: ok = !value || !value_in(value, req); break;
		case IR_SEL_EXISTS: ok = value != NULL; break;
		case IR_SEL_NOT_EXISTS: ok = value == NULL; break;
		default: ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

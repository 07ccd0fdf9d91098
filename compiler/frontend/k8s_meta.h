/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The parts every Kubernetes object shares, decoded and validated as the
 * API server does: ObjectMeta (ValidateObjectMeta: name, namespace,
 * labels, annotations), label maps (ValidateLabels) and metav1
 * LabelSelector (ValidateLabelSelector). Used by the NetworkPolicy and
 * inventory loaders, and by any front end whose objects carry metadata.
 *
 * Errors on label maps name the map itself (metadata.labels,
 * spec.podSelector.matchLabels), as the API server does, at the line of
 * the offending entry.
 */
#ifndef POLC_FRONTEND_K8S_META_H
#define POLC_FRONTEND_K8S_META_H

#include <stdbool.h>
#include <stddef.h>

#include "../ir/ir.h"
#include "decode.h"

struct k8s_label {
	const char *key;
	const char *value;
	struct src_loc loc; /* the key */
};

struct k8s_labels {
	struct k8s_label *items; /* document order, keys unique (the YAML loader refuses duplicates) */
	size_t len;
};

struct k8s_meta {
	const struct ynode *node;  /* the metadata mapping, or NULL */
	struct src_loc loc;        /* metadata: key, or the object when absent */
	const char *name;          /* NULL when absent */
	struct src_loc name_loc;
	const char *namespace;     /* NULL when absent, empty or invalid */
	struct src_loc namespace_loc;
	bool namespace_invalid;    /* set but wrong (reported): do not default it with a note */
	const char *generate_name; /* NULL when absent */
	struct k8s_labels labels;
	struct k8s_labels annotations;
};

enum k8s_meta_flags {
	K8S_META_STRICT = 1u << 0,     /* unknown metadata fields are errors */
	K8S_META_NAMESPACED = 1u << 1, /* else metadata.namespace is forbidden */
	K8S_META_NAME_LABEL = 1u << 2, /* name is a DNS-1123 label (Namespace), else a subdomain */
};

/*
 * Decode obj.metadata with ValidateObjectMeta's rules. obj_key_loc is
 * where missing-field errors point when metadata itself is missing.
 * Returns false if an error was reported (out is still filled as far as
 * it could be, for duplicate detection).
 */
bool k8s_decode_meta(struct decoder *d, const struct ynode *obj, struct src_loc obj_loc, unsigned flags,
		     struct k8s_meta *out);

/*
 * A map[string]string. validate: label keys (IsQualifiedName) and values
 * (IsValidLabelValue); otherwise only types are checked (annotations).
 * A null value is the empty string (a warning: usually a forgotten value).
 */
bool k8s_decode_labels(struct decoder *d, const struct ynode *node, const struct ypath *path, bool validate,
		       struct k8s_labels *out);

/* Value of key in labels, or NULL. */
const struct k8s_label *k8s_labels_find(const struct k8s_labels *labels, const char *key);

/* Copy into IR labels (sorted). 0 or -ENOMEM. */
int k8s_labels_to_ir(struct arena *arena, const struct k8s_labels *in, struct ir_labels *out);

struct k8s_requirement {
	const char *key; /* plain Kubernetes label key */
	enum ir_sel_op op;
	const char **values;
	size_t n_values;
	struct src_loc loc;
};

struct k8s_selector {
	struct k8s_requirement *reqs; /* matchLabels first (as In [v]), then matchExpressions */
	size_t n_reqs;
	struct src_loc loc;
};

/* metav1.LabelSelector; node may be a null scalar (the empty selector). */
bool k8s_decode_selector(struct decoder *d, const struct ynode *node, const struct ypath *path,
			 struct k8s_selector *out);

#endif

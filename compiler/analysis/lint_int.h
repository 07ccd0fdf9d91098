/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internals shared by the lint check families (lint_*.c): the context,
 * the inventory as the checks see it (identity labels per pod), finer
 * positions re-read from the YAML, and the reporting helper.
 */
#ifndef POLC_ANALYSIS_LINT_INT_H
#define POLC_ANALYSIS_LINT_INT_H

#include <stdbool.h>

#include "../frontend/yaml.h"
#include "lint.h"

struct lint_file; /* a source file re-read as YAML (lint.c) */

struct lint {
	const struct lint_input *in;
	struct arena *arena;
	struct diag_sink *diags;
	const struct ir_program *prog;
	const struct ir_datapath *dp;
	/* Identity labels of each pod (index in prog->pods), NULL without identity (hostNetwork). */
	const struct ir_labels **pod_labels;
	bool have_pods; /* an inventory to check selections against */
	struct lint_file *files; /* by file id - 1, parsed on demand */
	size_t n_files;
	int err; /* first allocation failure */
};

/* ---- the families, in the order lint_run() calls them ---- */
void lint_check_inert(struct lint *l);
void lint_check_select(struct lint *l);
void lint_check_redundant(struct lint *l);
void lint_check_cidr(struct lint *l);
void lint_check_dns(struct lint *l);

/* ---- helpers (lint.c) ---- */

void lint_warn(struct lint *l, struct src_loc loc, const char *path, const char *code, const char *hint,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A diagnostic with this code is already recorded at loc (a front end said it first). */
bool lint_reported(const struct lint *l, struct src_loc loc, const char *code);
/* arena_printf that records an allocation failure; never NULL (returns ""). */
const char *lint_fmt(struct lint *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool lint_selects_pod(const struct lint *l, const struct ir_policy *p, size_t pod);
bool lint_selector_matches_pod(const struct lint *l, const struct ir_selector *sel, size_t pod);
/* "ns/name" of a pod or policy (cluster-wide: the name). */
const char *lint_pod_name(struct lint *l, size_t pod);
const char *lint_policy_name(struct lint *l, const struct ir_policy *p);

/*
 * How to name rule r in a message about rule from: its field path when
 * both are in the same policy, else "spec.ingress[1] of NetworkPolicy
 * ns/name (file:line)".
 */
const char *lint_rule_ref(struct lint *l, const struct ir_rule *r, const struct ir_rule *from);

/*
 * The YAML node at field path `path` of the object that contains
 * position near (same file), or NULL. key (optional) receives the
 * mapping key of the last path segment when it is a key.
 */
const struct ynode *lint_yaml_node(struct lint *l, struct src_loc near, const char *path, const struct ynode **key);
/* The node's position, or fallback when path does not resolve. */
struct src_loc lint_yaml_loc(struct lint *l, struct src_loc near, const char *path, struct src_loc fallback);
/* Position of the key of the last segment (the "ingressDeny:" of spec.ingressDeny), or fallback. */
struct src_loc lint_yaml_key_loc(struct lint *l, struct src_loc near, const char *path, struct src_loc fallback);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc lint's semantic checks. The driver runs them in lint mode after
 * the passes, on the resolved program; everything the front ends and
 * passes reject is reported before, by them. Each check reports a
 * warning with a stable code, the field path, the position and a hint;
 * the checks work on the policy IR, so they apply to every policy kind
 * the front ends lower (NetworkPolicy, CiliumNetworkPolicy, CCNP).
 *
 *   code                   file              what
 *   selects-no-pods        lint_select.c     a policy selects no pod of the inventory
 *   peer-selects-no-pods   lint_select.c     a from/to selector matches no pod of the inventory
 *   named-port-undeclared  lint_select.c     no pod the rule applies to declares the named port
 *   duplicate-rule         lint_redundant.c  a rule repeats another (also through YAML aliases)
 *   redundant-rule         lint_redundant.c  another rule already allows (denies) all of it
 *   allow-all-rule         lint_redundant.c  an empty rule allows everything; the others are moot
 *   deny-overrides-allow   lint_redundant.c  a deny covers an allow: the allow has no effect
 *   cidr-overlap           lint_cidr.c       a CIDR inside another one that already allows it
 *   except-reallowed       lint_cidr.c       an except that another rule allows again
 *   egress-no-dns          lint_dns.c        egress default deny and no rule allows DNS
 *   inert-rules            lint_inert.c      rules that policyTypes makes inert
 *   port-zero              lint_inert.c      Cilium port "0": every port of the protocol
 *
 * Checks against the inventory (the first three, and egress-no-dns per
 * pod) run only when the input holds at least one Pod.
 */
#ifndef POLC_ANALYSIS_LINT_H
#define POLC_ANALYSIS_LINT_H

#include <stddef.h>

#include "../frontend/frontend.h"
#include "../ir/datapath.h"
#include "../ir/ir.h"
#include "../util/diag.h"

struct lint_input {
	struct arena *arena;
	struct diag_sink *diags;
	const struct source_set *sources;
	const struct ir_program *prog;
	const struct ir_datapath *dp; /* resolved (identities of every pod) */
	const struct frontend_inert_rules *inert;
	size_t n_inert;
};

/* Run every check. 0 (findings are diagnostics) or -ENOMEM. */
int lint_run(const struct lint_input *in);

#endif

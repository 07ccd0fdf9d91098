/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium's L7 HTTP rules (toPorts[].rules.http) -> IR L7 rules. Called
 * by the Cilium front end for each toPorts item that has rules.http; it
 * does not know about the rest of the rule, so the caller keeps the
 * checks that involve ports (TCP only, no port 0: cilium_l4.c).
 */
#ifndef POLC_FRONTEND_CILIUM_HTTP_H
#define POLC_FRONTEND_CILIUM_HTTP_H

#include <stdbool.h>

#include "../ir/ir.h"
#include "decode.h"
#include "yaml.h"

/*
 * http: the value of rules.http (any node: a non-sequence is reported),
 * path its field path, rules_loc where the rules: key is. Validates as
 * Cilium does (PortRuleHTTP.Sanitize, the CRD schema), then as polc
 * must: every regex in the subset grammar/regex.h compiles, errors at
 * the offending characters of the YAML scalar. Returns true when
 * nothing was wrong; *out is the rules, or NULL for an empty list
 * (`http: []` is no L7 rule: Cilium's L7Rules.IsEmpty()). On false,
 * diagnostics say why and *out is NULL.
 */
bool cilium_http_decode(struct decoder *d, const struct ynode *http, const struct ypath *path,
			struct src_loc rules_loc, struct ir_l7 **out);

/* A header name as HTTP/1.1 allows it (RFC 9110 token): what a request can carry. */
bool cilium_http_is_token(const char *s);

#endif

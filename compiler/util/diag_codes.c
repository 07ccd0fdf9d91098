/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The catalogue of diagnostic codes: one line of text per stable code,
 * for SARIF rule descriptions and `polc lint --list-checks`. A code
 * missing here still works everywhere; it only has no description.
 * Codes are never renamed: CI configurations filter on them.
 */
#include <string.h>

#include "diag.h"

static const struct diag_code_info codes[] = {
	/* polc lint's semantic checks (compiler/analysis/lint.h) */
	{"selects-no-pods", DIAG_WARNING, "policy selects no pod of the inventory"},
	{"peer-selects-no-pods", DIAG_WARNING, "from/to selector matches no pod of the inventory"},
	{"named-port-undeclared", DIAG_WARNING, "named port that no pod the rule applies to declares"},
	{"duplicate-rule", DIAG_WARNING, "rule repeats another rule (written twice or through a YAML alias)"},
	{"redundant-rule", DIAG_WARNING, "rule adds nothing: another rule already allows (denies) all of it"},
	{"allow-all-rule", DIAG_WARNING, "empty rule allows everything and makes the other rules redundant"},
	{"deny-overrides-allow", DIAG_WARNING, "deny covers an allow rule: deny wins, the allow has no effect"},
	{"cidr-overlap", DIAG_WARNING, "CIDR inside another CIDR that already allows (denies) it"},
	{"except-reallowed", DIAG_WARNING, "except of a CIDR that another rule allows again"},
	{"egress-no-dns", DIAG_WARNING, "egress default-deny and no rule allows DNS (UDP port 53)"},
	{"inert-rules", DIAG_WARNING, "rules of a direction that policyTypes leaves out: no effect"},
	{"port-zero", DIAG_WARNING, "Cilium port \"0\" means every port of the protocol"},
	/* input: YAML */
	{"yaml-syntax", DIAG_ERROR, "the input is not valid YAML"},
	{"yaml-depth", DIAG_ERROR, "collections nested deeper than the limit"},
	{"yaml-alias-budget", DIAG_ERROR, "aliases expand to more nodes than the limit (alias bomb)"},
	{"yaml-scalar-size", DIAG_ERROR, "scalar larger than the limit"},
	{"yaml-control-character", DIAG_ERROR, "control character (NUL, ...) in the input"},
	{"yaml-invalid-utf8", DIAG_ERROR, "the input is not valid UTF-8"},
	{"yaml-encoding", DIAG_ERROR, "unsupported text encoding"},
	{"yaml-merge-key", DIAG_ERROR, "YAML merge keys (<<) are refused"},
	{"yaml-undefined-alias", DIAG_ERROR, "alias to an anchor that is not defined"},
	{"yaml-recursive-alias", DIAG_ERROR, "alias inside its own anchor"},
	{"yaml-tag", DIAG_ERROR, "explicit YAML tag"},
	{"yaml-non-scalar-key", DIAG_ERROR, "mapping key that is not a scalar"},
	{"duplicate-key", DIAG_ERROR, "mapping key given twice"},
	{"ambiguous-integer", DIAG_ERROR, "integer whose value depends on the YAML version"},
	{"non-decimal-integer", DIAG_ERROR, "integer written in octal, hexadecimal or binary"},
	{"empty-document", DIAG_WARNING, "empty document in a stream, skipped"},
	/* input: objects and validation */
	{"no-policy", DIAG_ERROR, "the input holds no policy"},
	{"not-an-object", DIAG_ERROR, "document is not a Kubernetes object"},
	{"unknown-kind", DIAG_ERROR, "kind that looks like a misspelt policy kind"},
	{"skipped-kind", DIAG_NOTE, "kind that is neither a policy nor inventory, skipped"},
	{"unsupported-api-version", DIAG_ERROR, "apiVersion polc does not read for this kind"},
	{"unknown-field", DIAG_ERROR, "field the API does not define"},
	{"required-field", DIAG_ERROR, "required field missing"},
	{"wrong-type", DIAG_ERROR, "value of the wrong type"},
	{"invalid-value", DIAG_ERROR, "value the API server refuses"},
	{"unsupported-value", DIAG_ERROR, "value outside the allowed set"},
	{"invalid-cidr", DIAG_ERROR, "CIDR the API server refuses"},
	{"non-standard-cidr", DIAG_WARNING, "CIDR in a form that future Kubernetes releases refuse"},
	{"too-long", DIAG_ERROR, "value longer than the API allows"},
	{"too-many", DIAG_ERROR, "list longer than the API allows"},
	{"duplicate-object", DIAG_ERROR, "object given twice"},
	{"duplicate-value", DIAG_ERROR, "value given twice in a list"},
	{"unsupported", DIAG_ERROR, "feature polc does not support (yet)"},
	{"empty-spec", DIAG_WARNING, "policy without spec: default deny of all ingress"},
	{"default-namespace", DIAG_NOTE, "policy without namespace: \"default\" assumed"},
	/* inventory */
	{"duplicate-pod-ip", DIAG_ERROR, "two pods with one address"},
	{"duplicate-interface", DIAG_ERROR, "two pods with one interface"},
	{"invalid-interface", DIAG_ERROR, "polc.io/interface is not an interface name"},
	{"ambiguous-named-port", DIAG_WARNING, "pod declares one port name for two ports"},
	{"multiple-local-nodes", DIAG_ERROR, "more than one node marked local"},
	/* polc itself */
	{"io-error", DIAG_ERROR, "a file could not be read"},
	{"internal", DIAG_ERROR, "internal failure of polc"},
	{"lint-skipped", DIAG_NOTE, "semantic checks skipped because the input has errors"},
};

const struct diag_code_info *diag_code_info(const char *code)
{
	for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, code) == 0)
			return &codes[i];
	return NULL;
}

const struct diag_code_info *diag_code_list(size_t *n)
{
	*n = sizeof(codes) / sizeof(codes[0]);
	return codes;
}

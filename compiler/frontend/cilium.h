/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The Cilium front end, split by idea; this header is what its parts
 * share (it is not an interface for the rest of polc, which calls the
 * loaders declared in frontend.h):
 *
 *   cilium.c           objects: CiliumNetworkPolicy and
 *                      CiliumClusterwideNetworkPolicy envelopes, bare rule
 *                      lists (`cilium-dbg policy import`), lowering to the IR
 *   cilium_rule.c      one api.Rule: subject, sections, L3 peers, default deny
 *   cilium_selector.c  EndpointSelector: label sources, validation, namespace scoping
 *   cilium_l4.c        toPorts and icmps
 *   cilium_http.c      L7 HTTP rules (rules.http) -> IR L7 rules
 *   cilium_dns.c       DNS rules (rules.dns) and toFQDNs -> the IR
 *   cilium_l7.c        L7 rules (HTTP: cilium_http.c; DNS: cilium_dns.c), FQDNs, TLS,
 *                      listeners: validated, and the rest refused as unsupported
 *   cilium_cidr.c      CIDRs as Cilium parses them, CIDR sets, CiliumCIDRGroup
 *
 * Semantics and validation follow Cilium's own code; each rule cites the
 * file it comes from (cilium/cilium pkg/policy/api/rule_validation.go,
 * pkg/k8s/apis/cilium.io/utils/utils.go, pkg/policy/rule.go, the CRD
 * schema ciliumnetworkpolicies.yaml). Where Cilium versions disagree polc
 * follows the newest behaviour that never opens more than the older one,
 * and says so in a comment.
 *
 * Diagnostics: an input Cilium refuses is an error with a code other than
 * "unsupported"; a valid input that uses a feature polc does not compile
 * yet is an error with code "unsupported" that names the field. Both drop
 * the whole object: a policy is lowered whole or not at all.
 */
#ifndef POLC_FRONTEND_CILIUM_H
#define POLC_FRONTEND_CILIUM_H

#include <stdbool.h>
#include <stddef.h>

#include "../ir/ir.h"
#include "decode.h"
#include "frontend.h"

enum cil_form {
	CIL_CNP,   /* CiliumNetworkPolicy: CRD schema and agent validation, namespace scoping */
	CIL_CCNP,  /* CiliumClusterwideNetworkPolicy: cluster scoping */
	CIL_RULES, /* a bare rule list: the agent's validation only, selectors as written */
};

/* One object (or one bare rule list) being loaded. */
struct cil {
	struct frontend *fe;
	struct decoder d;
	struct arena *arena;
	enum cil_form form;
	const char *ns; /* CiliumNetworkPolicy: its namespace */
	struct src_loc ns_loc;
	bool oom;
};

/* The CRD schema applies (kubectl apply), besides the agent's checks. */
static inline bool cil_crd(const struct cil *c)
{
	return c->form != CIL_RULES;
}

/* A cidrGroupRef: resolved against CiliumCIDRGroup objects once all input is read. */
struct cil_group_ref {
	const char *name;
	struct src_loc loc;
	const char *path;
};

/* One ingress, ingressDeny, egress or egressDeny entry, lowered. */
struct cil_rule {
	enum ir_dir dir;
	enum ir_action action;
	struct src_loc loc;
	const char *path;
	VEC(struct ir_peer) peers;
	VEC(struct ir_port) ports; /* empty with has_l4 false: every protocol and port */
	VEC(struct cil_group_ref) groups;
	bool has_l4;   /* toPorts or icmps given */
	bool emitted;  /* false: the entry matches no packet, nothing to lower */
};

/* One api.Rule (spec, specs[i], or an item of a bare rule list). */
struct cil_spec {
	struct src_loc loc;
	const char *path;
	struct ir_selector subject;
	bool enforce[2];
	const char *name_label; /* labels: [{key: name, value: ...}] */
	VEC(struct cil_rule) rules;
};

/* Diagnostics. */
const char *cil_path(struct cil *c, const struct ypath *path);
/* A valid construct polc does not compile yet: code "unsupported", naming the field. */
void cil_unsupported(struct cil *c, struct src_loc loc, const struct ypath *path, const char *hint,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* cilium_rule.c: one api.Rule. False after errors (out is then unusable). */
bool cil_parse_rule(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_spec *out);

/* cilium_selector.c */
struct cil_selector {
	VEC(struct ir_requirement) reqs; /* keys "source:name" */
	struct src_loc loc;
	bool names_namespace; /* a k8s: or any: io.kubernetes.pod.namespace key */
	bool names_ns_labels; /* a k8s: or any: io.cilium.k8s.namespace.labels.* key */
	bool names_reserved;  /* a key of source reserved */
	bool names_init;      /* reserved:init */
};
bool cil_decode_selector(struct cil *c, const struct ynode *node, const struct ypath *path,
			 struct cil_selector *out);
/* endpointSelector -> the policy's subject (CiliumNetworkPolicy: its namespace added). */
bool cil_subject(struct cil *c, const struct cil_selector *sel, const struct ypath *path, struct ir_selector *out);
/* fromEndpoints/toEndpoints item -> a peer selector, scoped as ParseToCiliumRule does. */
bool cil_peer_selector(struct cil *c, const struct cil_selector *sel, bool subject_init, struct ir_selector *out);
/* A Cilium label key: source ("k8s", "any", "reserved", ...) and name. */
void cil_label_source(const char *key, const char **source, size_t *source_len, const char **name);

/* cilium_l4.c: toPorts and icmps of one entry. */
void cil_parse_to_ports(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule);
void cil_parse_icmps(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule);

/* cilium_l7.c */
struct cil_l7 {
	bool present; /* rules non-empty (Cilium's !Rules.IsEmpty()) */
	bool dns;
	struct src_loc dns_loc;
	struct ir_l7 *http; /* rules.http decoded, for every port of the item; NULL: none */
	const struct ir_l7 *dns_rules; /* rules.dns lowered (cilium_dns.c), for every port; NULL: none */
};
/* rules: of a toPorts item: HTTP decoded; the rest validated, and refused as unsupported when valid. */
void cil_parse_l7(struct cil *c, const struct ynode *rules, const struct ypath *path, enum ir_dir dir,
		  size_t n_ports, struct cil_l7 *out);
/*
 * A DNS rule or toFQDNs item: {matchName} | {matchPattern}, validated as
 * Cilium does. True with *text and *pattern set; false after a diagnostic.
 */
bool cil_dns_selector(struct cil *c, const struct ynode *node, const struct ypath *path, const char **text,
		      bool *pattern);

/* cilium_dns.c */
/* rules.dns (a sequence) -> IR DNS rules; NULL for an empty list or after errors (reported). */
const struct ir_l7 *cil_dns_rules(struct cil *c, const struct ynode *dns, const struct ypath *path,
				  struct src_loc rules_loc);
/* toFQDNs (a sequence): one FQDN peer of rule per item. */
void cil_parse_fqdns(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule);
/* listener, originatingTLS, terminatingTLS, serverNames of a toPorts item. */
void cil_parse_port_extras(struct cil *c, const struct ynode *port_rule, const struct ypath *path, enum ir_dir dir,
			   const struct cil_l7 *l7);

/* cilium_cidr.c */
/*
 * A CIDR as Cilium reads it: netip.ParsePrefix (the CRD's format: cidr);
 * bare_ip also takes an address alone as its full-length prefix (the
 * agent's api.CIDR, where the CRD schema does not apply). Host bits are
 * masked with a warning, as Cilium masks them.
 */
bool cil_parse_cidr(struct cil *c, const struct ynode *node, const struct ypath *path, bool bare_ip,
		    struct ir_cidr *out);
/* fromCIDRSet/toCIDRSet item. */
void cil_parse_cidr_rule(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_rule *rule);

#endif

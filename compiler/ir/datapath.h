/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath IR: the policy IR resolved against one inventory. This is
 * what the BPF program will look up, one table per map, plus the
 * features that decide which matchers codegen keeps. Passes fill it in
 * order (identities, endpoints, named ports, port classes, CIDR classes,
 * policy entries); codegen and the artifact writer only read it.
 *
 * Everything is sorted before codegen sees it, so identical input gives
 * identical tables.
 */
#ifndef POLC_IR_DATAPATH_H
#define POLC_IR_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "polc/layout.h"

#include "ir.h"

struct dfa;

/* A label set: the unit of policy, as a Cilium security identity. */
struct dp_identity {
	uint32_t id;
	struct ir_labels labels; /* source-qualified, sorted */
	const char *key;         /* canonical "k=v,k=v" form, for sorting and dumps */
	bool reserved;
	size_t n_pods;
};

/* A local endpoint: a pod with an interface on this node. */
struct dp_endpoint {
	uint32_t endpoint_id;  /* 1-based, by namespace/name */
	const struct ir_pod *pod;
	uint32_t identity;
	uint32_t policy[2];    /* dp_policy id per direction, 0 = no rule applies */
	uint32_t flags;        /* POLC_EP_* */
};

/*
 * One rule as it applies to one endpoint and direction, after named
 * ports were resolved for that endpoint: the unit that dp_policy ids are
 * deduplicated over.
 */
struct dp_port {
	uint8_t proto; /* 0: every protocol */
	uint16_t lo, hi; /* 0, 0: every port of proto */
	const char *dst_name; /* egress named port, resolved per destination */
	const struct ir_l7 *l7; /* the port's L7 rules, NULL: none */
};

struct dp_applied_rule {
	const struct ir_rule *rule;
	struct dp_port *ports; /* NULL with n_ports 0: every protocol */
	size_t n_ports;
	bool inert; /* a named port that resolved to nothing: matches no packet */
};

/* A distinct set of applied rules for one direction; shared by endpoints. */
struct dp_policy {
	uint32_t id; /* 1-based */
	enum ir_dir dir;
	struct dp_applied_rule *rules;
	size_t n_rules;
	uint64_t hash;
	size_t n_endpoints;
};

/* A CIDR class: the prefix it stands for and whether endpoints may carry it. */
struct dp_cidr_class {
	uint32_t id;
	struct ir_cidr prefix;
	bool endpoint_class; /* computed from rules that match endpoints only */
};

struct dp_ipcache_entry {
	struct polc_ipcache_key key;
	struct polc_ipcache_value value;
};

struct dp_policy_entry {
	struct polc_policy_key key;
	struct polc_policy_value value;
};

/*
 * L7 HTTP rule sets (passes/l7.c): the HTTP rules that apply to one
 * (policy, peer, port) key, unioned over every rule that covers it, and
 * the DFAs that decide them in one walk per request field. A policy
 * entry's value.l7 is the set's id. Bit i of every accept mask is
 * rules[i]; a NULL DFA means that no rule of the set constrains the
 * field (every value, and an absent field, matches).
 */
#define DP_HTTP_MAX_RULES 64       /* bits of a rule mask */
#define DP_HTTP_MAX_NAMES 16       /* header names a set constrains */
#define DP_HTTP_MAX_CONSTRAINTS 64 /* distinct (name, value) constraints of a set */

/* Header names the parser must recognise whatever the rules say: bits of the name DFA's accept sets. */
enum dp_http_special_name {
	DP_HTTP_NAME_CONTENT_LENGTH = 0,
	DP_HTTP_NAME_TRANSFER_ENCODING = 1,
	DP_HTTP_NAME_HOST = 2,
	DP_HTTP_NAME_UPGRADE = 3,
	DP_HTTP_NAME_FIRST_RULE = 4, /* constrained names: bit 4 + index */
};

struct dp_http_constraint {
	uint32_t name;     /* index into names */
	const char *value; /* NULL: presence */
	uint64_t rules;    /* rules that need it */
};

struct dp_http_set {
	uint32_t id; /* 1-based: polc_policy_value.l7 */
	const struct ir_http_rule **rules;
	uint32_t *rule_ids; /* the ir_rule of each, reported for its requests */
	size_t n_rules;
	const struct dfa *method, *path, *host;
	uint64_t host_optional; /* rules that accept a request without Host */
	const struct dfa *names; /* special names, then names[] (ASCII case folded) */
	const char **names_lc;
	size_t n_names;
	const struct dfa *values; /* exact values of the constraints that have one; NULL: none */
	struct dp_http_constraint *cons;
	size_t n_cons;
};

/*
 * A packet whose identity and CIDR class both hit L7 entries gets the
 * union of both sets: one entry per (identity set, CIDR set) pair that
 * the ipcache can produce. A pair missing at run time (an endpoint added
 * since) denies every request: fail closed.
 */
struct dp_http_union {
	uint16_t a, b; /* identity column's set, CIDR column's set */
	uint16_t u;    /* their union */
};

/*
 * A DNS rule set (passes/dns.c): the query names one (policy, peer,
 * port) allows, the union of the DNS rules covering it. Its id follows
 * the HTTP sets' (polc_policy_value.l7 >= features.dns_set_first). One
 * DFA over the rules' regexes (REGEX_ICASE_ASCII, over the name in
 * dotted form with its final dot); bit i of an accept set is rules[i].
 */
struct dp_dns_set {
	uint32_t id;
	const struct ir_dns_rule **rules;
	uint32_t *rule_ids; /* the ir_rule of each, reported for the queries it allows */
	size_t n_rules;
	const struct dfa *dfa;
};

/*
 * toFQDNs selectors (passes/dns.c). A selector is known by its regex
 * (spelling aside) and identified by a hash of it that stays the same
 * across compilations: the datapath keeps the addresses it learns under
 * that hash (struct polc_fqdn_value), so a new policy generation that
 * still has the selector finds them. Policy entries of FQDN peers have
 * peer POLC_PEER_FQDN | hash.
 */
struct dp_fqdn_selector {
	uint32_t hash; /* 30 bits, non-zero */
	const char *regex;
	const struct ir_peer *peer; /* the first peer with it, for diagnostics */
};

/*
 * The selectors of one egress policy, and the DFA over their regexes
 * that tells, from the question name of a DNS answer, under which of
 * them the answer's addresses are learned. Policies with the same
 * selectors share a group.
 */
struct dp_fqdn_group {
	uint32_t id;        /* 1-based */
	uint32_t *hashes;   /* sorted; regex i of the DFA is hashes[i] */
	size_t n;
	const struct dfa *dfa;
};

struct dp_features {
	bool probe_cidr;
	bool probe_peer_any;
	bool probe_port_exact;
	bool probe_port_class; /* range classes */
	bool probe_port_any;
	bool probe_proto_any;
	bool have_deny;
	bool have_audit;
	bool have_l7_http; /* some entry has an L7 HTTP rule set */
	bool have_l7_dns;  /* some entry has a DNS rule set */
	uint32_t dns_set_first; /* id of the first DNS set (HTTP sets come first) */
	bool have_fqdn;    /* some entry has an FQDN peer */
	uint8_t v4_prefixlens[33]; /* in use, longest first */
	size_t n_v4_prefixlens;
	uint8_t v6_prefixlens[129];
	size_t n_v6_prefixlens;
};

struct dp_port_classes {
	/* Class of every port of every protocol slot (POLC_PSLOT_*). */
	uint16_t cls[POLC_NR_PSLOTS][65536];
	uint16_t n_classes[POLC_NR_PSLOTS]; /* including class 0 */
};

struct ir_datapath {
	VEC(struct dp_identity) identities;      /* sorted by id */
	VEC(struct dp_endpoint) endpoints;       /* sorted by endpoint_id */
	VEC(struct dp_policy *) policies;        /* sorted by id */
	VEC(struct dp_cidr_class) cidr_classes;  /* sorted by id */
	VEC(struct dp_ipcache_entry) ipcache;    /* sorted by key bytes */
	VEC(struct dp_policy_entry) entries;     /* sorted by key bytes */
	VEC(struct dp_http_set *) http_sets;     /* sorted by id */
	VEC(struct dp_http_union) http_unions;   /* sorted by (a, b); sets of either protocol */
	VEC(struct dp_dns_set *) dns_sets;       /* sorted by id */
	VEC(struct dp_fqdn_selector) fqdn_selectors; /* sorted by hash */
	VEC(struct dp_fqdn_group *) fqdn_groups; /* sorted by id */
	/* FQDN group of each policy, by policy id (0: none); NULL without FQDN peers. */
	uint32_t *policy_fqdn_group;
	struct dp_port_classes *ports;
	struct dp_features features;
	/* Identity of each pod, by index in ir_program.pods. */
	uint32_t *pod_identity;
};

#endif

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

struct dp_features {
	bool probe_cidr;
	bool probe_peer_any;
	bool probe_port_exact;
	bool probe_port_class; /* range classes */
	bool probe_port_any;
	bool probe_proto_any;
	bool have_deny;
	bool have_audit;
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
	struct dp_port_classes *ports;
	struct dp_features features;
	/* Identity of each pod, by index in ir_program.pods. */
	uint32_t *pod_identity;
};

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The policy IR: one model for every input kind. Front ends (Kubernetes
 * NetworkPolicy, Cilium CNP/CCNP) lower their YAML into these nodes;
 * passes resolve them against the inventory (pods, namespaces, nodes)
 * into the datapath IR (ir/datapath.h). Every node keeps the source
 * position and field path it came from, so any stage can point back at
 * the YAML that caused a problem.
 *
 * All memory belongs to the compilation's arena.
 */
#ifndef POLC_IR_IR_H
#define POLC_IR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/source.h"
#include "../util/vec.h"

/*
 * Labels. Identity labels carry a source prefix as Cilium's do:
 *   k8s:app=web                                       a pod label
 *   k8s:io.kubernetes.pod.namespace=x                 the pod's namespace
 *   k8s:io.cilium.k8s.namespace.labels.team=a         a label of that namespace
 *   k8s:io.cilium.k8s.policy.serviceaccount=sa        the pod's service account
 *   k8s:io.cilium.k8s.policy.cluster=default          the cluster name
 *   reserved:world, reserved:host, ...                reserved identities
 * Inventory objects keep their plain Kubernetes labels (no prefix).
 */
struct ir_label {
	const char *key;
	const char *value;
};

struct ir_labels {
	struct ir_label *items; /* sorted by key, keys unique */
	size_t len;
};

#define IR_LABEL_SOURCE_K8S "k8s"
#define IR_LABEL_SOURCE_ANY "any"
#define IR_LABEL_SOURCE_RESERVED "reserved"
#define IR_LABEL_NAMESPACE "io.kubernetes.pod.namespace"
#define IR_LABEL_NS_LABELS_PREFIX "io.cilium.k8s.namespace.labels."
#define IR_LABEL_SERVICE_ACCOUNT "io.cilium.k8s.policy.serviceaccount"
#define IR_LABEL_CLUSTER "io.cilium.k8s.policy.cluster"

/*
 * A label selector over identity labels: the AND of its requirements.
 * Requirement keys are source-qualified ("k8s:app"); source "any"
 * matches a label of that name from any source. No requirements:
 * every identity (pods and reserved ones alike).
 */
enum ir_sel_op {
	IR_SEL_IN,
	IR_SEL_NOT_IN,
	IR_SEL_EXISTS,
	IR_SEL_NOT_EXISTS,
};

struct ir_requirement {
	const char *key;
	enum ir_sel_op op;
	const char **values; /* IN / NOT_IN only */
	size_t n_values;
	struct src_loc loc;
};

struct ir_selector {
	struct ir_requirement *reqs;
	size_t n_reqs;
	struct src_loc loc;
	const char *path; /* field path of the selector in its document */
};

enum ir_dir {
	IR_INGRESS = 0, /* == POLC_DIR_INGRESS: traffic to the pod */
	IR_EGRESS = 1,  /* == POLC_DIR_EGRESS: traffic from the pod */
};

enum ir_action {
	IR_ALLOW,
	IR_DENY,
};

struct ir_cidr {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefixlen;
	uint8_t addr[16]; /* masked to prefixlen; IPv4 in addr[0..3] */
};

/* Cilium entities, as a bit mask over the sets they name. */
enum ir_entity {
	IR_ENTITY_ALL = 1u << 0,
	IR_ENTITY_WORLD = 1u << 1,
	IR_ENTITY_WORLD_IPV4 = 1u << 2,
	IR_ENTITY_WORLD_IPV6 = 1u << 3,
	IR_ENTITY_CLUSTER = 1u << 4,
	IR_ENTITY_HOST = 1u << 5,
	IR_ENTITY_REMOTE_NODE = 1u << 6,
	IR_ENTITY_KUBE_APISERVER = 1u << 7,
	IR_ENTITY_HEALTH = 1u << 8,
	IR_ENTITY_INIT = 1u << 9,
	IR_ENTITY_INGRESS = 1u << 10,
	IR_ENTITY_UNMANAGED = 1u << 11,
	IR_ENTITY_NONE = 1u << 12,
};

enum ir_peer_kind {
	IR_PEER_ALL,      /* every address, in or out of the cluster */
	IR_PEER_SELECTOR, /* the identities a selector matches */
	IR_PEER_CIDR,     /* addresses in cidr and in no except */
	IR_PEER_ENTITY,   /* Cilium entities */
	IR_PEER_FQDN,     /* addresses the endpoint learned for DNS names (toFQDNs) */
};

/*
 * One toFQDNs item (matchName or matchPattern). Its addresses are not
 * known at compile time: the datapath learns them from the DNS answers
 * the endpoint receives (bpf-templates/fqdn.h). regex is the anchored
 * regex Cilium matches lower-case, fully qualified names against
 * (grammar/regex.h regex_from_dns_name / regex_from_dns_pattern): the
 * selector's identity, whatever its spelling (case, trailing dot).
 */
struct ir_fqdn {
	const char *text; /* as written */
	const char *regex;
	bool pattern;     /* matchPattern (else matchName) */
};

struct ir_peer {
	enum ir_peer_kind kind;
	struct src_loc loc;
	const char *path;
	struct ir_selector sel; /* SELECTOR */
	struct ir_cidr cidr;    /* CIDR */
	struct ir_cidr *except;
	size_t n_except;
	/* CIDR: also matches pod and node addresses (Kubernetes ipBlock); Cilium CIDR rules do not. */
	bool matches_endpoints;
	uint32_t entities; /* ENTITY: enum ir_entity bits */
	struct ir_fqdn fqdn; /* FQDN */
};

#define IR_PROTO_ICMP 1
#define IR_PROTO_TCP 6
#define IR_PROTO_UDP 17
#define IR_PROTO_ICMPV6 58
#define IR_PROTO_SCTP 132

/*
 * L7 HTTP rules of one Cilium toPorts item (rules.http), shared by every
 * port of that item. A request is allowed on such a port when any rule
 * of any toPorts item that covers the peer and port matches it; a port
 * without L7 rules allows every request, and wins over the L7 rules of
 * other items (Cilium's wildcarding of L3/L4-only rules into L7 filters).
 *
 * Each field as Cilium's proxy matches it: method, path (the whole
 * request target, query string included) and host are RE2 regexes
 * matched in full; NULL means any value, and absent. A header
 * constraint is a header name (case-insensitive) that must be present,
 * with an exact value when value is not NULL (a header repeated in the
 * request is matched as its values joined with ",", as Envoy does).
 * Regexes stay text here; the passes compile them (grammar/regex.h),
 * and their positions point diagnostics at the YAML scalar.
 */
struct ir_http_header {
	const char *name;  /* as written */
	const char *value; /* NULL: presence only */
	struct src_loc loc;
	const char *path;  /* e.g. ...rules.http[0].headers[1] */
};

/* Where a regex came from: its scalar, and how to map a regex column into it. */
struct ir_regex_src {
	const char *text;  /* NULL: the field is absent (matches anything) */
	struct src_loc loc; /* the scalar */
	const char *path;
	/* Source column of each byte of text (frontend/yaml_pos.h); NULL: only loc is known. */
	const uint32_t *cols;
	uint32_t n_cols;
};

struct ir_http_rule {
	uint32_t id; /* dense over the program in rule order, numbered by the passes */
	struct ir_regex_src method, path, host;
	struct ir_http_header *headers;
	size_t n_headers;
	struct src_loc loc;
	const char *yaml_path; /* ...toPorts[0].rules.http[1] */
	/* A constraint no request can meet (a header name that is not a token, as Cilium reads it). */
	bool never;
};

/*
 * L7 DNS rules of one Cilium toPorts item (rules.dns, egress only): a
 * query on its ports is allowed when its question name matches any DNS
 * rule of any toPorts item covering the peer and port (the same union
 * as for HTTP). regex is the anchored regex of the names the rule
 * allows, as Cilium's DNS proxy builds it (grammar/regex.h): a
 * matchPattern of only stars is every name ("\\C*"), as in Cilium's
 * proxy, where toFQDNs reads it as every well-formed name.
 */
struct ir_dns_rule {
	uint32_t id;       /* dense over the program in rule order, numbered by the passes */
	const char *text;  /* as written */
	const char *regex;
	bool pattern;      /* matchPattern (else matchName) */
	struct src_loc loc;
	const char *path;  /* ...toPorts[0].rules.dns[1] */
};

/* A toPorts item's L7 rules: HTTP or DNS (Cilium allows one L7 protocol per item). */
struct ir_l7 {
	struct ir_http_rule *http; /* n_http >= 1: `http: []` is no L7 rule at all */
	size_t n_http;
	struct ir_dns_rule *dns;   /* n_dns >= 1 likewise */
	size_t n_dns;
	struct src_loc loc; /* the rules: key */
	const char *path;
};

/*
 * One protocol and port range. A rule's ports are a union; a rule with
 * no ports matches every protocol (ICMP included) and every port. Front
 * ends expand Cilium's protocol ANY into TCP, UDP and SCTP. For ICMP and
 * ICMPv6, lo..hi is the message type range: (0, 0) is type 0 (echo
 * reply), every type is (0, 255); ir_port_is_wildcard() says which.
 */
struct ir_port {
	uint8_t proto;
	uint16_t lo, hi;  /* 0, 0: every port of proto */
	const char *name; /* named port, resolved per pod by the passes; lo, hi unused */
	struct src_loc loc;
	const char *path;
	const struct ir_l7 *l7; /* NULL: every request (no L7 rules); HTTP: TCP only; DNS: TCP, UDP (SCTP: none passes) */
};

/* Every port of its protocol? (ICMP types have no wildcard form.) */
static inline bool ir_port_is_wildcard(uint8_t proto, uint16_t lo, uint16_t hi)
{
	return lo == 0 && hi == 0 && proto != IR_PROTO_ICMP && proto != IR_PROTO_ICMPV6;
}

struct ir_policy;

struct ir_rule {
	uint32_t id; /* dense, deterministic: the index in ir_program.rules */
	enum ir_dir dir;
	enum ir_action action;
	struct ir_policy *policy;
	struct src_loc loc;
	const char *path; /* e.g. spec.ingress[0] */
	struct ir_peer *peers; /* union; empty: matches no peer */
	size_t n_peers;
	struct ir_port *ports; /* union; empty: every protocol and port */
	size_t n_ports;
};

enum ir_policy_kind {
	IR_POLICY_K8S,  /* networking.k8s.io/v1 NetworkPolicy */
	IR_POLICY_CNP,  /* cilium.io/v2 CiliumNetworkPolicy */
	IR_POLICY_CCNP, /* cilium.io/v2 CiliumClusterwideNetworkPolicy */
	IR_POLICY_CILIUM_RULE, /* a bare Cilium rule (JSON rule list, as `cilium-dbg policy import` takes) */
	IR_POLICY_BUILTIN,     /* added by polc itself (the local host may reach local pods) */
};

struct ir_policy {
	enum ir_policy_kind kind;
	const char *name;
	const char *namespace; /* NULL for cluster-wide policies */
	struct src_loc loc;    /* the document's kind: line */
	/* Which endpoints it applies to (namespace already folded in). */
	struct ir_selector subject;
	/* Whether it puts selected endpoints into default deny, per direction. */
	bool enforce[2];
	bool audit; /* polc.io/audit: "true": report, never drop */
	VEC(struct ir_rule *) rules;
};

struct ir_named_port {
	const char *name;
	uint8_t proto;
	uint16_t port;
};

struct ir_namespace {
	const char *name;
	struct ir_labels labels; /* plain Kubernetes labels */
	struct src_loc loc;
};

struct ir_pod {
	const char *name;
	const char *namespace;
	struct ir_labels labels; /* plain Kubernetes labels */
	struct ir_cidr addrs[2]; /* status.podIPs (full-length prefixes) */
	size_t n_addrs;
	struct ir_named_port *ports; /* containers[].ports with a name */
	size_t n_ports;
	const char *interface;       /* polc.io/interface: local endpoint; NULL: remote pod */
	const char *service_account; /* spec.serviceAccountName or NULL */
	bool host_network;
	bool audit; /* polc.io/audit on the pod */
	struct src_loc loc;
};

/* A Kubernetes Node: its addresses are host (local) or remote-node identities. */
struct ir_node {
	const char *name;
	struct ir_cidr addrs[8];
	size_t n_addrs;
	struct ir_cidr pod_cidrs[2];
	size_t n_pod_cidrs;
	bool local; /* annotation polc.io/local: "true", or the only node */
	/*
	 * polc.io/allow-localhost: "policy": the local host is subject to
	 * policy like any peer (Cilium's --allow-localhost=policy). Default:
	 * it may always reach local pods (Cilium's default in Kubernetes).
	 */
	bool localhost_by_policy;
	struct src_loc loc;
};

/*
 * An address of the API server: a backend of Service default/kubernetes
 * (its Endpoints or EndpointSlices). Cilium labels it reserved:kube-apiserver
 * on top of what it already is (the host, a remote node, or world).
 */
struct ir_apiserver_addr {
	struct ir_cidr addr; /* full-length prefix */
	struct src_loc loc;
};

struct ir_program {
	struct arena *arena;
	VEC(struct ir_policy *) policies;
	VEC(struct ir_rule *) rules; /* every rule of every policy, by id */
	VEC(struct ir_namespace) namespaces;
	VEC(struct ir_pod) pods;
	VEC(struct ir_node) nodes;
	VEC(struct ir_apiserver_addr) apiserver; /* deduplicated */
	const char *cluster_name; /* "default" */
};

int ir_program_init(struct ir_program *prog, struct arena *arena);

/* New policy appended to prog (rules added with ir_policy_add_rule). NULL on ENOMEM. */
struct ir_policy *ir_policy_new(struct ir_program *prog, enum ir_policy_kind kind);
/* New rule of policy, numbered and registered in prog->rules. NULL on ENOMEM. */
struct ir_rule *ir_rule_new(struct ir_program *prog, struct ir_policy *policy, enum ir_dir dir,
			    enum ir_action action);

/* Labels: build unsorted, then ir_labels_sort() (duplicates: last wins). */
int ir_labels_set(struct arena *arena, struct ir_labels *labels, const char *key, const char *value);
void ir_labels_sort(struct ir_labels *labels);
const char *ir_labels_get(const struct ir_labels *labels, const char *key);

const char *ir_dir_name(enum ir_dir dir);
const char *ir_policy_kind_name(enum ir_policy_kind kind);
const char *ir_proto_name(uint8_t proto);

/* "10.0.0.0/8", "fd00::/8"; buf >= 50 bytes. */
const char *ir_cidr_str(const struct ir_cidr *cidr, char *buf, size_t size);
bool ir_cidr_contains(const struct ir_cidr *outer, const struct ir_cidr *inner);

#endif

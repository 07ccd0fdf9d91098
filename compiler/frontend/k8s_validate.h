/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Kubernetes validation primitives with the API server's exact messages
 * (k8s.io/apimachinery util/validation and api/validate/content), so that
 * polc refuses what `kubectl apply` would refuse and says it the same
 * way. Each k8s_is_* appends the problems it finds to a k8s_errs (empty:
 * valid); callers wrap them as field errors: Invalid value: "x": <msg>.
 *
 * CIDRs are parsed as Go's net.ParseCIDR does (netip syntax: four
 * decimal octets without leading zeros, IPv6 with at most one "::" that
 * stands for at least one group, an optional trailing dotted quad, prefix
 * length in range) plus the API server's strict checks.
 */
#ifndef POLC_FRONTEND_K8S_VALIDATE_H
#define POLC_FRONTEND_K8S_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/ir.h"

#define K8S_MAX_ERRS 6

struct k8s_errs {
	const char *msg[K8S_MAX_ERRS];
	size_t n;
};

#define K8S_DNS1123_LABEL_MAX 63
#define K8S_DNS1123_SUBDOMAIN_MAX 253
#define K8S_LABEL_VALUE_MAX 63
#define K8S_LABEL_NAME_MAX 63
#define K8S_PORT_NAME_MAX 15
/* ValidateAnnotationsSize: keys plus values of all annotations together. */
#define K8S_TOTAL_ANNOTATION_SIZE (256 * 1024)
/* A Linux interface name: IFNAMSIZ - 1. */
#define K8S_IFNAME_MAX 15

/* "must be between 1 and 65535, inclusive" */
extern const char k8s_port_range_msg[];

void k8s_errs_clear(struct k8s_errs *e);

/* IsDNS1123Subdomain: object names (NetworkPolicy, Pod, Node). */
void k8s_is_dns1123_subdomain(const char *value, struct k8s_errs *e);
/* IsDNS1123Label: namespace names. */
void k8s_is_dns1123_label(const char *value, struct k8s_errs *e);
/* IsQualifiedName: label keys, [prefix/]name. */
void k8s_is_qualified_name(const char *value, struct k8s_errs *e);
/* IsValidLabelValue. */
void k8s_is_label_value(const char *value, struct k8s_errs *e);
/* IsValidPortName (IANA_SVC_NAME). */
void k8s_is_port_name(const char *value, struct k8s_errs *e);
/* IsValidPortNum: 1..65535. */
bool k8s_is_port_num(int64_t port);
/* Linux dev_valid_name(), plus printable ASCII only. NULL or the problem. */
const char *k8s_ifname_problem(const char *value);

/* A CIDR as parsed, before and after masking. */
struct k8s_cidr {
	struct ir_cidr net; /* masked to the prefix: what the policy means */
	struct ir_cidr ip;  /* the address as written, same prefix length */
	bool host_bits;     /* ip != net: bits set beyond the prefix */
	bool mapped4;       /* written as ::ffff:a.b.c.d/N (N >= 96), lowered to IPv4 */
};

/*
 * Parse value as a CIDR. Returns NULL when it parses (out filled), or the
 * API server's detail message:
 *   "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
 *   "must not have leading 0s in IP or prefix length"
 * Host bits and the IPv4-mapped form are reported through out, for the
 * caller to decide.
 */
const char *k8s_parse_cidr(const char *value, struct k8s_cidr *out);

/* Parse an IP address (no prefix) into a full-length prefix. NULL or the detail message. */
const char *k8s_parse_ip(const char *value, struct ir_cidr *out);

/* Why a string that is not a CIDR fails, in words (for hints); NULL if nothing specific. */
const char *k8s_cidr_hint(const char *value);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Constructors and small helpers of the policy IR. */
#include "ir.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ir_program_init(struct ir_program *prog, struct arena *arena)
{
	memset(prog, 0, sizeof(*prog));
	prog->arena = arena;
	prog->cluster_name = "default";
	return 0;
}

struct ir_policy *ir_policy_new(struct ir_program *prog, enum ir_policy_kind kind)
{
	struct ir_policy *p = arena_alloc(prog->arena, sizeof(*p));
	if (!p || vec_push(prog->arena, &prog->policies, p))
		return NULL;
	p->kind = kind;
	return p;
}

struct ir_rule *ir_rule_new(struct ir_program *prog, struct ir_policy *policy, enum ir_dir dir,
			    enum ir_action action)
{
	struct ir_rule *r = arena_alloc(prog->arena, sizeof(*r));
	if (!r)
		return NULL;
	r->id = (uint32_t)prog->rules.len;
	r->dir = dir;
	r->action = action;
	r->policy = policy;
	if (vec_push(prog->arena, &prog->rules, r) || vec_push(prog->arena, &policy->rules, r))
		return NULL;
	return r;
}

int ir_labels_set(struct arena *arena, struct ir_labels *labels, const char *key, const char *value)
{
	for (size_t i = 0; i < labels->len; i++) {
		if (strcmp(labels->items[i].key, key) == 0) {
			labels->items[i].value = value;
			return 0;
		}
	}
	/* ir_labels has no capacity field: grow by doubling at powers of two. */
	size_t n = labels->len;
	if (n == 0 || (n & (n - 1)) == 0) {
		size_t cap = n ? n * 2 : 4;
		struct ir_label *p = arena_realloc(arena, labels->items, n * sizeof(*p), cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		labels->items = p;
	}
	labels->items[n].key = key;
	labels->items[n].value = value;
	labels->len = n + 1;
	return 0;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ir_label *)a)->key, ((const struct ir_label *)b)->key);
}

void ir_labels_sort(struct ir_labels *labels)
{
	if (labels->len > 1)
		qsort(labels->items, labels->len, sizeof(*labels->items), label_cmp);
}

const char *ir_labels_get(const struct ir_labels *labels, const char *key)
{
	for (size_t i = 0; i < labels->len; i++)
		if (strcmp(labels->items[i].key, key) == 0)
			return labels->items[i].value;
	return NULL;
}

const char *ir_dir_name(enum ir_dir dir)
{
	return dir == IR_INGRESS ? "ingress" : "egress";
}

const char *ir_policy_kind_name(enum ir_policy_kind kind)
{
	switch (kind) {
	case IR_POLICY_K8S: return "NetworkPolicy";
	case IR_POLICY_CNP: return "CiliumNetworkPolicy";
	case IR_POLICY_CCNP: return "CiliumClusterwideNetworkPolicy";
	case IR_POLICY_CILIUM_RULE: return "CiliumRule";
	case IR_POLICY_BUILTIN: return "polc";
	}
	return "?";
}

const char *ir_proto_name(uint8_t proto)
{
	switch (proto) {
	case 0: return "any";
	case IR_PROTO_TCP: return "TCP";
	case IR_PROTO_UDP: return "UDP";
	case IR_PROTO_SCTP: return "SCTP";
	case IR_PROTO_ICMP: return "ICMP";
	case IR_PROTO_ICMPV6: return "ICMPv6";
	}
	return "?";
}

const char *ir_cidr_str(const struct ir_cidr *cidr, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(cidr->family == 4 ? AF_INET : AF_INET6, cidr->addr, addr, sizeof(addr));
	snprintf(buf, size, "%s/%u", addr, cidr->prefixlen);
	return buf;
}

bool ir_cidr_contains(const struct ir_cidr *outer, const struct ir_cidr *inner)
{
	if (outer->family != inner->family || outer->prefixlen > inner->prefixlen)
		return false;
	unsigned bits = outer->prefixlen;
	for (unsigned i = 0; bits > 0; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xff00u >> take);
		if ((outer->addr[i] & mask) != (inner->addr[i] & mask))
			return false;
		bits -= take;
	}
	return true;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The kube-apiserver entity: the backends of Service default/kubernetes
 * (inventory Endpoints / EndpointSlices) are labelled reserved:kube-apiserver
 * on top of what they already are, as Cilium's agent labels them. The
 * ipcache holds one identity per address, so each combination is one
 * reserved identity:
 *   the local Node's address   POLC_ID_HOST_APISERVER        (host + kube-apiserver)
 *   another Node's address     POLC_ID_KUBE_APISERVER        (remote-node + kube-apiserver,
 *                                                             Cilium's identity 7)
 *   outside the cluster        POLC_ID_WORLD_IPV{4,6}_APISERVER (world + kube-apiserver)
 * A pod's address, or one in a pod range, keeps its identity: Cilium's pod
 * identities win over the API server label, and such a setup (an API server
 * in a pod network) has no reserved identity to express it.
 */
#include <string.h>

#include "passes.h"

static bool same_addr(const struct ir_cidr *a, const struct ir_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen && memcmp(a->addr, b->addr, 16) == 0;
}

bool apiserver_address(const struct ir_program *prog, const struct ir_cidr *addr)
{
	for (size_t i = 0; i < prog->apiserver.len; i++)
		if (same_addr(&prog->apiserver.items[i].addr, addr))
			return true;
	return false;
}

uint32_t apiserver_identity(const struct ir_program *prog, const struct ir_cidr *addr)
{
	/* Pods first, then nodes, then pod ranges: the ipcache's precedence (cidr_classes.c). */
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		if (pod->host_network)
			continue; /* no identity of its own: the node's */
		for (size_t a = 0; a < pod->n_addrs; a++)
			if (same_addr(&pod->addrs[a], addr))
				return 0;
	}
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t a = 0; a < node->n_addrs; a++)
			if (same_addr(&node->addrs[a], addr))
				return node->local ? POLC_ID_HOST_APISERVER : POLC_ID_KUBE_APISERVER;
	}
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t k = 0; k < node->n_pod_cidrs; k++)
			if (ir_cidr_contains(&node->pod_cidrs[k], addr))
				return 0;
	}
	return addr->family == 4 ? POLC_ID_WORLD_IPV4_APISERVER : POLC_ID_WORLD_IPV6_APISERVER;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Random policy sets and packets for differential tests: the datapath
 * tables (test_passes.c) and the compiled datapath in the kernel
 * (tests/verdict/test_compiled.c) must both agree with the reference
 * evaluator on every packet. Deterministic for a given seed.
 *
 * Local pods get interfaces named RANDOM_IFNAME_FMT (with their index).
 */
#ifndef POLC_TEST_RANDOM_POLICY_H
#define POLC_TEST_RANDOM_POLICY_H

#include "analysis/verdict.h"
#include "ir_builder.h"
#include "util/hashmap.h"

#ifndef RANDOM_IFNAME_FMT
#define RANDOM_IFNAME_FMT "veth%zu"
#endif
#define RANDOM_MAX_PODS 8

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}

static const char *const apps[] = {"web", "db", "api"};
static const char *const nss[] = {"ns0", "ns1", "ns2"};

static const char *const reserved_keys[] = {"reserved:host", "reserved:remote-node", "reserved:unmanaged",
					    "reserved:world-ipv4", "reserved:kube-apiserver"};

static void random_selector(struct ir_program *prog, struct ir_selector *sel)
{
	sel->reqs = arena_calloc(prog->arena, 3, sizeof(*sel->reqs));
	size_t n = rnd(3);
	for (size_t i = 0; i < n; i++) {
		struct ir_requirement *r = &sel->reqs[sel->n_reqs++];
		if (rnd(8) == 0) {
			/* Reserved identities are selectable too (Cilium: fromEndpoints: [{reserved:host: ""}]). */
			r->key = pick(reserved_keys, 5);
			r->op = rnd(2) ? IR_SEL_EXISTS : IR_SEL_NOT_EXISTS;
			continue;
		}
		bool ns = rnd(3) == 0;
		r->key = ns ? "k8s:io.kubernetes.pod.namespace" : (rnd(2) ? "k8s:app" : "any:tier");
		r->op = (enum ir_sel_op)rnd(4);
		if (r->op == IR_SEL_IN || r->op == IR_SEL_NOT_IN) {
			r->n_values = 1 + rnd(2);
			r->values = arena_calloc(prog->arena, r->n_values, sizeof(char *));
			for (size_t v = 0; v < r->n_values; v++)
				r->values[v] = ns ? pick(nss, 3) : (rnd(2) ? pick(apps, 3) : "fe");
		}
	}
}

static struct ir_cidr random_prefix(struct ir_cidr within, unsigned min_len)
{
	struct ir_cidr c = within;
	unsigned max = c.family == 4 ? 32 : 128;
	c.prefixlen = (uint8_t)(min_len + rnd(max - min_len + 1));
	for (unsigned b = within.prefixlen; b < max; b++)
		if (rnd(2))
			c.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (unsigned b = c.prefixlen; b < max; b++)
		c.addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	return c;
}

/*
 * Nodes: the local one is the host, the other a remote node; their pod
 * CIDRs make the addresses no known pod has cluster (unmanaged), not
 * world. Node addresses are 198.18.0.200+ and fd00::c8+.
 */
static void random_nodes(struct ir_program *prog)
{
	size_t n = rnd(3);
	for (size_t i = 0; i < n; i++) {
		struct ir_node *node = vec_add(prog->arena, &prog->nodes);
		node->name = i ? "n1" : "n0";
		node->local = i == 0;
		node->addrs[node->n_addrs++] = tb_cidr(i ? "198.18.0.201" : "198.18.0.200");
		node->addrs[node->n_addrs++] = tb_cidr(i ? "fd00::c9" : "fd00::c8");
		static const char *const v4[] = {"198.18.0.0/27", "198.18.0.64/28", "198.18.0.48/29"};
		node->pod_cidrs[node->n_pod_cidrs++] = tb_cidr(i ? "198.18.0.32/28" : pick(v4, 3));
		if (rnd(2))
			node->pod_cidrs[node->n_pod_cidrs++] = tb_cidr(i ? "fd00::80/121" : "fd00::/122");
	}
}

/*
 * API server addresses (Endpoints default/kubernetes), sometimes: node
 * addresses (host or remote node + kube-apiserver), world ones
 * (198.18.0.90, outside every pod CIDR), and ones a pod CIDR may hold
 * or a pod has, which keep their identity.
 */
static void random_apiserver(struct ir_program *prog)
{
	static const char *const addrs[] = {"198.18.0.200", "fd00::c8",   "198.18.0.201", "fd00::c9",
					    "198.18.0.90",  "fd00:1::90", "198.18.0.77",  "198.18.0.40",
					    "fd00::f0",     "198.18.0.1"};
	if (rnd(2))
		return;
	size_t n = 1 + rnd(4);
	for (size_t i = 0; i < n; i++) {
		struct ir_cidr c = tb_cidr(pick(addrs, sizeof(addrs) / sizeof(addrs[0])));
		bool dup = false;
		for (size_t k = 0; k < prog->apiserver.len; k++)
			dup |= memcmp(&prog->apiserver.items[k].addr, &c, sizeof(c)) == 0;
		struct ir_apiserver_addr *a = dup ? NULL : vec_add(prog->arena, &prog->apiserver);
		if (a)
			a->addr = c;
	}
}

static uint32_t random_entities(void)
{
	uint32_t mask = 0;
	do {
		mask |= 1u << rnd(13);
	} while (rnd(3) == 0);
	return mask;
}

/*
 * toFQDNs: selectors from a small pool (matchName, matchPattern, the
 * every-name "*", "**."), and names for packets that match some of them,
 * several, or none (one name per packet: at most 4 selectors then, the
 * slots the datapath keeps per address).
 */
static const struct {
	const char *text, *regex;
	bool pattern;
} random_fqdns[] = {
	{"api.example.com", "^api[.]example[.]com[.]$", false},
	{"*.example.com", "^[-a-zA-Z0-9_]*[.]example[.]com[.]$", true},
	{"*.cdn.example.com", "^[-a-zA-Z0-9_]*[.]cdn[.]example[.]com[.]$", true},
	{"*", "(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)", true},
	{"**.example.org", "^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+)*)[.]example[.]org[.]$", true},
};
static const char *const random_names[] = {"api.example.com", "www.example.com", "x.cdn.example.com",
					   "a.b.example.org", "example.org", "API.Example.COM."};

static void random_program(struct ir_program *prog)
{
	for (size_t i = 0; i < 3; i++)
		tb_namespace(prog, nss[i])->labels.items[0].value = nss[i];
	random_nodes(prog);
	random_apiserver(prog);
	size_t n_pods = 2 + rnd(RANDOM_MAX_PODS - 1);
	for (size_t i = 0; i < n_pods; i++) {
		char *name = arena_printf(prog->arena, "p%zu", i);
		char *labels = arena_printf(prog->arena, "app=%s%s", pick(apps, 3), rnd(2) ? ",tier=fe" : "");
		char *addr = arena_printf(prog->arena, "198.18.0.%zu", 1 + i * 3);
		char *ifname = rnd(3) ? arena_printf(prog->arena, RANDOM_IFNAME_FMT, i) : NULL;
		struct ir_pod *pod = tb_pod(prog, pick(nss, 3), name, labels, addr, ifname);
		pod->addrs[pod->n_addrs++] = tb_cidr(arena_printf(prog->arena, "fd00::%zx", 1 + i * 3));
		/*
		 * Named ports follow the label set, as pods of one workload do:
		 * egress names resolve per identity (documented), so pods that
		 * share labels but not ports are outside what the tables model.
		 */
		uint64_t h = hash_bytes(labels, strlen(labels)) ^ hash_bytes(pod->namespace, strlen(pod->namespace));
		if (h % 3)
			tb_pod_port(prog, pod, "http", IR_PROTO_TCP, h % 3 == 1 ? 80 : 90);
		pod->audit = rnd(20) == 0;
	}
	size_t n_pol = 1 + rnd(4);
	for (size_t p = 0; p < n_pol; p++) {
		bool k8s = rnd(2);
		struct ir_policy *pol = tb_policy(prog, k8s ? IR_POLICY_K8S : IR_POLICY_CNP, pick(nss, 3),
						  arena_printf(prog->arena, "pol%zu", p), NULL, rnd(2), rnd(2));
		random_selector(prog, &pol->subject);
		pol->audit = rnd(10) == 0;
		size_t n_rules = 1 + rnd(3);
		for (size_t r = 0; r < n_rules; r++) {
			struct ir_rule *rule = ir_rule_new(prog, pol, (enum ir_dir)rnd(2), rnd(5) ? IR_ALLOW : IR_DENY);
			size_t n_peers = 1 + rnd(2);
			for (size_t k = 0; k < n_peers; k++) {
				uint32_t kind = rnd(10);
				if (kind == 0) {
					tb_peer_all(prog, rule);
				} else if (kind < 5) {
					struct ir_peer *peer = tb_add_peer(prog, rule);
					peer->kind = IR_PEER_SELECTOR;
					random_selector(prog, &peer->sel);
				} else if (kind < 9) {
					struct ir_peer *peer = tb_add_peer(prog, rule);
					peer->kind = IR_PEER_CIDR;
					peer->matches_endpoints = k8s;
					bool v6 = rnd(4) == 0;
					struct ir_cidr base = tb_cidr(v6 ? "fd00::/120" : "198.18.0.0/26");
					peer->cidr = random_prefix(base, v6 ? 120 : 24);
					if (peer->cidr.prefixlen < base.prefixlen)
						peer->cidr = random_prefix(base, base.prefixlen);
					peer->except = arena_calloc(prog->arena, 2, sizeof(struct ir_cidr));
					size_t n_ex = rnd(3);
					unsigned max = v6 ? 128 : 32;
					for (size_t e = 0; e < n_ex && peer->cidr.prefixlen < max; e++)
						peer->except[peer->n_except++] = random_prefix(peer->cidr, peer->cidr.prefixlen + 1);
				} else if (rule->dir == IR_EGRESS && rule->action == IR_ALLOW && rnd(2)) {
					/* toFQDNs: Cilium's egress allow rules only. */
					struct ir_peer *peer = tb_add_peer(prog, rule);
					size_t f = rnd(sizeof(random_fqdns) / sizeof(random_fqdns[0]));
					peer->kind = IR_PEER_FQDN;
					peer->fqdn.text = random_fqdns[f].text;
					peer->fqdn.regex = random_fqdns[f].regex;
					peer->fqdn.pattern = random_fqdns[f].pattern;
				} else {
					tb_peer_entities(prog, rule, rnd(2) ? random_entities()
									    : rnd(2) ? IR_ENTITY_WORLD : IR_ENTITY_CLUSTER);
				}
			}
			size_t n_ports = rnd(3);
			for (size_t k = 0; k < n_ports; k++) {
				uint32_t kind = rnd(6);
				uint8_t proto = rnd(2) ? IR_PROTO_TCP : IR_PROTO_UDP;
				bool has_cidr = false;
				for (size_t q = 0; q < rule->n_peers; q++)
					has_cidr |= rule->peers[q].kind == IR_PEER_CIDR;
				/* Named ports with CIDR peers resolve per CIDR class: not modelled here. */
				if (kind == 0 && !has_cidr) {
					tb_port(prog, rule, IR_PROTO_TCP, 0, 0, "http");
				} else if (kind == 1) {
					tb_port(prog, rule, proto, 0, 0, NULL);
				} else if (kind == 2) {
					tb_port(prog, rule, IR_PROTO_ICMP, 8, 8, NULL);
				} else {
					uint16_t lo = (uint16_t)(75 + rnd(20));
					tb_port(prog, rule, proto, lo, (uint16_t)(lo + rnd(6)), NULL);
				}
			}
		}
	}
}

static void random_packet(struct ir_program *prog, struct sim_packet *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	uint32_t kind = rnd(5);
	if (kind == 4 && prog->apiserver.len && rnd(2)) {
		const struct ir_cidr *a = &prog->apiserver.items[rnd((uint32_t)prog->apiserver.len)].addr;
		pkt->family = a->family;
		memcpy(pkt->peer, a->addr, 16);
	} else if (kind == 4 && prog->nodes.len) {
		const struct ir_node *node = &prog->nodes.items[rnd((uint32_t)prog->nodes.len)];
		const struct ir_cidr *a = &node->addrs[rnd((uint32_t)node->n_addrs)];
		pkt->family = a->family;
		memcpy(pkt->peer, a->addr, 16);
	} else if (kind == 0 && prog->pods.len) {
		const struct ir_pod *pod = &prog->pods.items[rnd((uint32_t)prog->pods.len)];
		const struct ir_cidr *a = &pod->addrs[rnd((uint32_t)pod->n_addrs)];
		pkt->family = a->family;
		memcpy(pkt->peer, a->addr, 16);
	} else if (kind == 3) {
		struct ir_cidr c = tb_cidr("fd00::");
		c.addr[15] = (uint8_t)rnd(256);
		pkt->family = 6;
		memcpy(pkt->peer, c.addr, 16);
	} else {
		struct ir_cidr c = tb_cidr("198.18.0.0");
		c.addr[3] = (uint8_t)rnd(80);
		if (rnd(8) == 0)
			c.addr[2] = (uint8_t)rnd(3);
		pkt->family = 4;
		memcpy(pkt->peer, c.addr, 16);
	}
	uint32_t proto = rnd(8);
	pkt->proto = proto < 4 ? IR_PROTO_TCP : proto < 7 ? IR_PROTO_UDP : IR_PROTO_ICMP;
	/* Names the endpoint resolved to this address (toFQDNs); they count for world peers in egress. */
	if (rnd(2)) {
		pkt->names = &random_names[rnd(sizeof(random_names) / sizeof(random_names[0]))];
		pkt->n_names = 1;
	}
	pkt->port = pkt->proto == IR_PROTO_ICMP ? (rnd(2) ? 8 : 0) : (uint16_t)(74 + rnd(24));
}

#endif

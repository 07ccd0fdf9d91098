/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The resolution passes (identities, endpoints, port and CIDR classes,
 * policy entries) on policy IR built by hand: a few pinned scenarios,
 * then thousands of random policy sets where the datapath tables
 * (replayed by dp_sim_verdict) must agree with the reference evaluator
 * on every packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/verdict.h"
#include "ir/dump.h"
#include "ir_builder.h"
#include "random_policy.h"
#include "passes/passes.h"
#include "util/hashmap.h"

struct fixture {
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp;
	struct pass_ctx ctx;
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->arena = arena_new();
	source_set_init(&f->sources, f->arena);
	diag_sink_init(&f->diags, f->arena, &f->sources);
	ir_program_init(&f->prog, f->arena);
	return f;
}

static void fixture_free(struct fixture *f)
{
	arena_free(f->arena);
	free(f);
}

static int run_passes(struct fixture *f)
{
	memset(&f->dp, 0, sizeof(f->dp));
	int err = pass_ctx_init(&f->ctx, f->arena, &f->diags, &f->prog, &f->dp);
	if (!err)
		err = pass_identities(&f->ctx);
	if (!err)
		err = pass_endpoints(&f->ctx);
	if (!err)
		err = pass_port_classes(&f->ctx);
	if (!err)
		err = pass_cidr_classes(&f->ctx);
	if (!err)
		err = pass_entries(&f->ctx);
	if (!err)
		err = pass_l7(&f->ctx);
	if (!err)
		err = pass_dns(&f->ctx);
	return err;
}

static const struct dp_endpoint *endpoint_of(struct fixture *f, const char *ns, const char *name)
{
	for (size_t i = 0; i < f->dp.endpoints.len; i++) {
		const struct dp_endpoint *ep = &f->dp.endpoints.items[i];
		if (strcmp(ep->pod->namespace, ns) == 0 && strcmp(ep->pod->name, name) == 0)
			return ep;
	}
	return NULL;
}

static struct sim_packet packet(const char *addr, uint8_t proto, uint16_t port)
{
	struct ir_cidr c = tb_cidr(addr);
	struct sim_packet p = {.family = c.family, .proto = proto, .port = port};
	memcpy(p.peer, c.addr, 16);
	return p;
}

static bool sim_allows(struct fixture *f, const char *ns, const char *pod, enum ir_dir dir, const char *addr,
		       uint8_t proto, uint16_t port)
{
	const struct dp_endpoint *ep = endpoint_of(f, ns, pod);
	assert_non_null(ep);
	struct sim_packet p = packet(addr, proto, port);
	struct sim_verdict v;
	dp_sim_verdict(&f->dp, ep, dir, &p, &v);
	return v.allow;
}

/* x/a accepts TCP 80 from namespace y only; everything else isolated. */
static void test_namespace_and_port(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_program *prog = &f->prog;
	tb_namespace(prog, "x");
	tb_namespace(prog, "y");
	tb_pod(prog, "x", "a", "pod=a", "198.18.0.1", "veth-xa");
	tb_pod(prog, "x", "b", "pod=b", "198.18.0.2", "veth-xb");
	tb_pod(prog, "y", "a", "pod=a", "198.18.0.3", NULL);
	struct ir_policy *pol = tb_policy(prog, IR_POLICY_K8S, "x", "p", "k8s:pod=a,k8s:io.kubernetes.pod.namespace=x",
					  true, false);
	struct ir_rule *r = ir_rule_new(prog, pol, IR_INGRESS, IR_ALLOW);
	tb_peer_selector(prog, r, "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=y");
	tb_port(prog, r, IR_PROTO_TCP, 80, 80, NULL);
	assert_int_equal(run_passes(f), 0);

	assert_true(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.3", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.3", IR_PROTO_TCP, 81));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.3", IR_PROTO_UDP, 80));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.2", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "203.0.113.9", IR_PROTO_TCP, 80));
	/* Egress not isolated, x/b not selected. */
	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "203.0.113.9", IR_PROTO_TCP, 1));
	assert_true(sim_allows(f, "x", "b", IR_INGRESS, "203.0.113.9", IR_PROTO_TCP, 1));
	fixture_free(f);
}

/* ipBlock with excepts: classes decide, pods inside the block match (Kubernetes). */
static void test_cidr_except(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_program *prog = &f->prog;
	tb_namespace(prog, "x");
	tb_pod(prog, "x", "a", "pod=a", "198.18.0.1", "veth-xa");
	tb_pod(prog, "x", "b", "pod=b", "198.18.1.5", NULL);
	struct ir_policy *pol = tb_policy(prog, IR_POLICY_K8S, "x", "p", "k8s:pod=a", false, true);
	struct ir_rule *r = ir_rule_new(prog, pol, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(prog, r, true, "198.18.0.0/16", "198.18.2.0/24", "198.18.3.7/32", NULL);
	assert_int_equal(run_passes(f), 0);

	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "198.18.9.9", IR_PROTO_TCP, 80));
	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "198.18.1.5", IR_PROTO_UDP, 53)); /* a pod */
	assert_false(sim_allows(f, "x", "a", IR_EGRESS, "198.18.2.1", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_EGRESS, "198.18.3.7", IR_PROTO_TCP, 80));
	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "198.18.3.8", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_EGRESS, "198.19.0.1", IR_PROTO_TCP, 80));
	/* Lengths in use, longest first: 32 always, then 24 and 16. */
	assert_int_equal(f->dp.features.n_v4_prefixlens, 3);
	assert_int_equal(f->dp.features.v4_prefixlens[0], 32);
	assert_int_equal(f->dp.features.v4_prefixlens[1], 24);
	assert_int_equal(f->dp.features.v4_prefixlens[2], 16);
	fixture_free(f);
}

/* A Cilium CIDR rule never matches a pod, even one inside the prefix. */
static void test_cilium_cidr_skips_endpoints(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_program *prog = &f->prog;
	tb_namespace(prog, "x");
	tb_pod(prog, "x", "a", "pod=a", "198.18.0.1", "veth-xa");
	tb_pod(prog, "x", "b", "pod=b", "198.18.0.2", NULL);
	struct ir_policy *pol = tb_policy(prog, IR_POLICY_CNP, "x", "p", "k8s:pod=a", false, true);
	struct ir_rule *r = ir_rule_new(prog, pol, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(prog, r, false, "198.18.0.0/24", NULL);
	assert_int_equal(run_passes(f), 0);
	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "198.18.0.77", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_EGRESS, "198.18.0.2", IR_PROTO_TCP, 80));
	fixture_free(f);
}

/* Overlapping ranges share classes; a deny inside an allowed range wins. */
static void test_port_classes_and_deny(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_program *prog = &f->prog;
	tb_namespace(prog, "x");
	tb_pod(prog, "x", "a", "pod=a", "198.18.0.1", "veth-xa");
	struct ir_policy *pol = tb_policy(prog, IR_POLICY_CNP, "x", "p", "k8s:pod=a", true, false);
	struct ir_rule *allow = ir_rule_new(prog, pol, IR_INGRESS, IR_ALLOW);
	tb_peer_all(prog, allow);
	tb_port(prog, allow, IR_PROTO_TCP, 8000, 9000, NULL);
	tb_port(prog, allow, IR_PROTO_TCP, 80, 80, NULL);
	struct ir_rule *deny = ir_rule_new(prog, pol, IR_INGRESS, IR_DENY);
	tb_peer_cidr(prog, deny, false, "203.0.113.0/24", NULL);
	tb_port(prog, deny, IR_PROTO_TCP, 8080, 8080, NULL);
	assert_int_equal(run_passes(f), 0);

	assert_true(sim_allows(f, "x", "a", IR_INGRESS, "203.0.113.1", IR_PROTO_TCP, 8000));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "203.0.113.1", IR_PROTO_TCP, 8080));
	assert_true(sim_allows(f, "x", "a", IR_INGRESS, "198.51.100.1", IR_PROTO_TCP, 8080));
	assert_true(sim_allows(f, "x", "a", IR_INGRESS, "198.51.100.1", IR_PROTO_TCP, 80));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "198.51.100.1", IR_PROTO_TCP, 81));
	/* Single ports (80, 8080) are exact; the range 8000-9000 stays one class. */
	assert_int_equal(f->dp.ports->n_classes[POLC_PSLOT_TCP], 2);
	assert_int_equal(f->dp.ports->cls[POLC_PSLOT_TCP][8000], f->dp.ports->cls[POLC_PSLOT_TCP][8079]);
	assert_int_equal(f->dp.ports->cls[POLC_PSLOT_TCP][8081], f->dp.ports->cls[POLC_PSLOT_TCP][9000]);
	assert_true(f->dp.features.have_deny);
	fixture_free(f);
}

/* Named ports resolve at the destination: the local pod for ingress, the peer for egress. */
static void test_named_ports(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_program *prog = &f->prog;
	tb_namespace(prog, "x");
	struct ir_pod *a = tb_pod(prog, "x", "a", "pod=a", "198.18.0.1", "veth-xa");
	struct ir_pod *b = tb_pod(prog, "x", "b", "pod=b", "198.18.0.2", "veth-xb");
	struct ir_pod *c = tb_pod(prog, "x", "c", "pod=c", "198.18.0.3", NULL);
	tb_pod_port(prog, a, "web", IR_PROTO_TCP, 8080);
	tb_pod_port(prog, b, "web", IR_PROTO_TCP, 9090);
	tb_pod_port(prog, c, "web", IR_PROTO_TCP, 7070);
	struct ir_policy *pol = tb_policy(prog, IR_POLICY_K8S, "x", "p", "k8s:io.kubernetes.pod.namespace=x", true,
					  true);
	struct ir_rule *in = ir_rule_new(prog, pol, IR_INGRESS, IR_ALLOW);
	tb_peer_all(prog, in);
	tb_port(prog, in, IR_PROTO_TCP, 0, 0, "web");
	struct ir_rule *out = ir_rule_new(prog, pol, IR_EGRESS, IR_ALLOW);
	tb_peer_selector(prog, out, "k8s:pod=c");
	tb_port(prog, out, IR_PROTO_TCP, 0, 0, "web");
	assert_int_equal(run_passes(f), 0);

	assert_true(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.9", IR_PROTO_TCP, 8080));
	assert_false(sim_allows(f, "x", "a", IR_INGRESS, "198.18.0.9", IR_PROTO_TCP, 9090));
	assert_true(sim_allows(f, "x", "b", IR_INGRESS, "198.18.0.9", IR_PROTO_TCP, 9090));
	assert_true(sim_allows(f, "x", "a", IR_EGRESS, "198.18.0.3", IR_PROTO_TCP, 7070));
	assert_false(sim_allows(f, "x", "a", IR_EGRESS, "198.18.0.3", IR_PROTO_TCP, 8080));
	/* Different named-port numbers: a and b need distinct ingress policies. */
	assert_int_not_equal(endpoint_of(f, "x", "a")->policy[IR_INGRESS], endpoint_of(f, "x", "b")->policy[IR_INGRESS]);
	fixture_free(f);
}

/* ---- random policy sets: tables vs reference ---- */

static void test_random_against_reference(void **state)
{
	(void)state;
	rnd_state = 12345;
	size_t checked = 0;
	for (int iter = 0; iter < 1500; iter++) {
		struct fixture *f = fixture_new();
		random_program(&f->prog);
		assert_int_equal(run_passes(f), 0);
		for (size_t e = 0; e < f->dp.endpoints.len; e++) {
			const struct dp_endpoint *ep = &f->dp.endpoints.items[e];
			for (int k = 0; k < 60; k++) {
				struct sim_packet pkt;
				random_packet(&f->prog, &pkt);
				enum ir_dir dir = (enum ir_dir)rnd(2);
				struct sim_verdict got, want;
				dp_sim_verdict(&f->dp, ep, dir, &pkt, &got);
				eval_verdict(&f->prog, &f->dp, ep->pod, dir, &pkt, &want, NULL, NULL);
				checked++;
				if (got.allow != want.allow || got.reason != want.reason || got.audit != want.audit ||
				    ((got.reason == SIM_ALLOWED || got.reason == SIM_DENIED) && got.rule != want.rule)) {
					struct strbuf sb = STRBUF_INIT;
					ir_dump_program(&sb, &f->prog, &f->sources);
					ir_dump_datapath(&sb, &f->dp, &f->prog);
					fprintf(stderr, "%s\n", strbuf_cstr(&sb));
					fprintf(stderr,
						"iter %d endpoint %s/%s dir %s peer %u.%u.%u.%u/%02x%02x proto %u port %u: "
						"tables allow=%d reason=%d rule=%u audit=%d, reference allow=%d reason=%d rule=%u audit=%d\n",
						iter, ep->pod->namespace, ep->pod->name, ir_dir_name(dir), pkt.peer[0],
						pkt.peer[1], pkt.peer[2], pkt.peer[3], pkt.peer[14], pkt.peer[15], pkt.proto,
						pkt.port, got.allow, got.reason, got.rule, got.audit, want.allow, want.reason,
						want.rule, want.audit);
					strbuf_free(&sb);
					fail();
				}
			}
		}
		fixture_free(f);
	}
	printf("checked %zu verdicts\n", checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_and_port),
		cmocka_unit_test(test_cidr_except),
		cmocka_unit_test(test_cilium_cidr_skips_endpoints),
		cmocka_unit_test(test_port_classes_and_deny),
		cmocka_unit_test(test_named_ports),
		cmocka_unit_test(test_random_against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The compiled datapath against the reference evaluator: random policy
 * sets go through the real passes, codegen, clang and the loader, and
 * random new flows through the real entry programs in the kernel
 * (BPF_PROG_TEST_RUN). Every verdict must be the one the reference
 * evaluator reads off the policy IR. A packet to a peer with DNS names
 * (toFQDNs) finds in polc_fqdn what an answer with those names would
 * have taught its endpoint. Where the other groups test the
 * templates with hand-filled maps, this one tests the whole compiler.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <net/if.h>
#include <netinet/in.h>

#include <bpf/bpf.h>

#define RANDOM_IFNAME_FMT "polc-c%zu"
#include "../unit/random_policy.h"

#include "codegen/codegen.h"
#include "driver/driver.h"
#include "ir/dump.h"
#include "loader/loader.h"
#include "passes/passes.h"
#include "polc/artifact.h"
#include "polc/libpolc.h"
#include "verdict.h"
#include "netns.h"

#define PROGRAMS 12
#define PACKETS_PER_ENDPOINT 80

struct compiled {
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp;
	struct polc_private *priv;
};

static int compile_and_load(struct compiled *c)
{
	int err = driver_run_passes(c->arena, &c->diags, &c->prog, &c->dp);
	if (err)
		return err;

	struct codegen_sizes sizes;
	struct strbuf header = STRBUF_INIT;
	struct clang_options clang = {0};
	void *obj = NULL, *bytes = NULL;
	size_t obj_size = 0, size = 0;
	codegen_sizes(&c->prog, &c->dp, &sizes);
	err = codegen_header(&header, &c->prog, &c->dp, &c->sources, &sizes);
	if (!err)
		err = codegen_build(&header, &clang, &c->diags, &obj, &obj_size);
	if (!err)
		err = codegen_artifact(&c->prog, &c->dp, &c->sources, &sizes, obj, obj_size, &bytes, &size);
	struct polc_artifact *art = NULL;
	char msg[256];
	if (!err)
		err = polc_artifact_parse(bytes, size, &art, msg, sizeof(msg));
	struct polc_error perr = {0};
	POLC_OPTS(polc_private_opts, opts);
	if (!err) {
		err = polc_private_load(art, &opts, &c->priv, &perr);
		if (err)
			fprintf(stderr, "compiled: load: %s\n", perr.message);
	}
	polc_artifact_free(art);
	free(obj);
	free(bytes);
	strbuf_free(&header);
	return err;
}

/* The address of the endpoint in the packet's family. */
static const struct ir_cidr *endpoint_addr(const struct ir_pod *pod, uint8_t family)
{
	for (size_t i = 0; i < pod->n_addrs; i++)
		if (pod->addrs[i].family == family)
			return &pod->addrs[i];
	return NULL;
}

static void addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t size)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)size);
}

/* The new flow as a packet on the endpoint's hook: peer -> pod for ingress, pod -> peer for egress. */
static int build(struct pkt *p, const struct sim_packet *sp, const struct ir_cidr *self, enum ir_dir dir,
		 uint16_t unique)
{
	char peer[64], me[64];
	addr_str(sp->family, sp->peer, peer, sizeof(peer));
	addr_str(sp->family, self->addr, me, sizeof(me));
	const char *src = dir == IR_INGRESS ? peer : me, *dst = dir == IR_INGRESS ? me : peer;
	switch (sp->proto) {
	case IPPROTO_TCP:
		return pkt_tcp(p, src, unique, dst, sp->port, PKT_SYN);
	case IPPROTO_UDP:
		return pkt_udp(p, src, unique, dst, sp->port);
	default:
		return pkt_icmp(p, src, dst, (uint8_t)sp->port, unique);
	}
}

static void fqdn_key(struct polc_fqdn_key *k, int ifindex, const struct sim_packet *sp)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = (uint32_t)ifindex;
	k->family = sp->family == 4 ? POLC_AF_INET : POLC_AF_INET6;
	memcpy(k->addr, sp->peer, sp->family == 4 ? 4 : 16);
}

/*
 * Write into polc_fqdn what an answer giving the peer sp's names would
 * have taught the endpoint (dp_sim_fqdn_selectors: its policy's group),
 * as if the answer had just passed. True when something was written.
 */
static bool learn(struct compiled *c, const struct dp_endpoint *ep, int ifindex, const struct sim_packet *sp)
{
	uint32_t sel[POLC_FQDN_SLOTS];
	size_t n = dp_sim_fqdn_selectors(&c->dp, ep->policy[IR_EGRESS], sp, sel, POLC_FQDN_SLOTS);
	if (!n)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	struct polc_fqdn_key k;
	struct polc_fqdn_value v;
	fqdn_key(&k, ifindex, sp);
	memset(&v, 0, sizeof(v));
	for (size_t i = 0; i < n; i++) {
		v.slot[i].sel = sel[i];
		v.slot[i].expires = (uint32_t)now.tv_sec + 3600;
	}
	assert_int_equal(bpf_map_update_elem(polc_private_map_fd(c->priv, POLC_MAP_FQDN), &k, &v, BPF_ANY), 0);
	return true;
}

static void unlearn(struct compiled *c, int ifindex, const struct sim_packet *sp)
{
	struct polc_fqdn_key k;
	fqdn_key(&k, ifindex, sp);
	bpf_map_delete_elem(polc_private_map_fd(c->priv, POLC_MAP_FQDN), &k);
}

static void test_compiled_random(void **state)
{
	(void)state;
	rnd_state = 4242;
	size_t checked = 0, with_names = 0;
	uint16_t unique = 1;
	for (int iter = 0; iter < PROGRAMS; iter++) {
		struct compiled c = {.arena = arena_new()};
		source_set_init(&c.sources, c.arena);
		diag_sink_init(&c.diags, c.arena, &c.sources);
		ir_program_init(&c.prog, c.arena);
		random_program(&c.prog);
		int err = compile_and_load(&c);
		if (err) {
			diag_print(&c.diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
			fail_msg("program %d: compile and load: %s", iter, strerror(-err));
		}
		int from_pod = polc_private_prog_fd(c.priv, "polc_from_pod");
		int to_pod = polc_private_prog_fd(c.priv, "polc_to_pod");

		for (size_t e = 0; e < c.dp.endpoints.len; e++) {
			const struct dp_endpoint *ep = &c.dp.endpoints.items[e];
			int ifindex = (int)if_nametoindex(ep->pod->interface);
			assert_true(ifindex > 0);
			for (int k = 0; k < PACKETS_PER_ENDPOINT; k++) {
				struct sim_packet sp;
				random_packet(&c.prog, &sp);
				enum ir_dir dir = (enum ir_dir)rnd(2);
				if (sp.proto == IR_PROTO_ICMP) {
					/* Echo requests open flows; in IPv6 they are ICMPv6 type 128. */
					sp.proto = sp.family == 4 ? IR_PROTO_ICMP : IR_PROTO_ICMPV6;
					sp.port = sp.family == 4 ? 8 : 128;
				}
				const struct ir_cidr *self = endpoint_addr(ep->pod, sp.family);
				if (!self)
					continue;
				struct sim_verdict want;
				eval_verdict(&c.prog, &c.dp, ep->pod, dir, &sp, &want, NULL, NULL);

				/* The names the endpoint resolved to the peer: what the datapath would have learned. */
				bool learned = dir == IR_EGRESS && sp.n_names && ep->policy[IR_EGRESS] &&
					       learn(&c, ep, ifindex, &sp);
				struct pkt p;
				assert_int_equal(build(&p, &sp, self, dir, unique++), 0);
				struct runner r = {.from_pod = from_pod, .to_pod = to_pod};
				int verdict = 0;
				assert_int_equal(runner_run(&r, ifindex, dir == IR_INGRESS ? POLC_DIR_INGRESS
											 : POLC_DIR_EGRESS,
							    &p, &verdict),
						 0);
				checked++;
				if (learned) {
					unlearn(&c, ifindex, &sp);
					with_names++;
				}
				bool passed = verdict != VERDICT_DROP;
				if (passed != want.allow) {
					char peer[64];
					addr_str(sp.family, sp.peer, peer, sizeof(peer));
					struct strbuf sb = STRBUF_INIT;
					ir_dump_program(&sb, &c.prog, &c.sources);
					ir_dump_datapath(&sb, &c.dp, &c.prog);
					fprintf(stderr, "%s\n", strbuf_cstr(&sb));
					strbuf_free(&sb);
					fail_msg("program %d, %s/%s %s, peer %s proto %u port %u: kernel %s, reference %s "
						 "(reason %d rule %u)",
						 iter, ep->pod->namespace, ep->pod->name, ir_dir_name(dir), peer, sp.proto,
						 sp.port, passed ? "pass" : "drop", want.allow ? "allow" : "drop",
						 want.reason, want.rule);
				}
			}
		}
		polc_private_free(c.priv);
		arena_free(c.arena);
	}
	printf("compiled: %zu kernel verdicts agree with the reference evaluator (%d random policy sets; %zu with "
	       "addresses learned for names)\n",
	       checked, PROGRAMS, with_names);
}

int verdict_group_compiled(struct topo *topo)
{
	for (size_t i = 0; i < RANDOM_MAX_PODS; i++) {
		char name[IFNAMSIZ], peer_name[IFNAMSIZ];
		int ifindex, peer;
		snprintf(name, sizeof(name), RANDOM_IFNAME_FMT, i);
		snprintf(peer_name, sizeof(peer_name), "polc-c%zu-pod", i);
		if (netns_veth_add(name, peer_name, &ifindex, &peer)) {
			fprintf(stderr, "verdict: cannot create %s\n", name);
			return 1;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compiled_random),
	};
	return VT_RUN_GROUP("compiled", tests, topo);
}

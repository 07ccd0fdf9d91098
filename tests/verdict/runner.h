/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verdict-test runner: loads the entry programs and a generation the way
 * the loader does (shared maps created by the entry object and reused by
 * every generation, generation in slot 0 of polc_gen_prog), fills the
 * generation's maps, and runs packets through the entry programs with
 * BPF_PROG_TEST_RUN.
 *
 * Generations come from the test objects embedded in the binary
 * (polc_test_objects): "full" is gen_full.bpf.o, built from
 * tests/verdict/fixtures/full/polc_gen.h. Until polc compiles policies,
 * tests fill the maps by hand with the gen_* helpers; later they can be
 * filled from an artifact instead, nothing else here changes.
 */
#ifndef POLC_TEST_RUNNER_H
#define POLC_TEST_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/pkt_cls.h>
#include <bpf/libbpf.h>

#include "embedded.h"
#include "polc/layout.h"
#include "pkt.h"

/* Test BPF objects (Makefile: TEST_BPF_OBJS). */
extern const struct embedded_file polc_test_objects[];

#define VERDICT_PASS TC_ACT_UNSPEC
#define VERDICT_DROP TC_ACT_SHOT

#define RUNNER_MAX_EVENTS 1024

/* One generation: program and its own maps. */
struct gen {
	struct bpf_object *obj;
	int prog;
	int endpoints;
	int ipcache;
	int ports;
	int policy;
	int rule_stats;
	int state; /* .data: struct polc_gen_state */
};

struct runner {
	struct bpf_object *entry;
	int from_pod; /* entry program of tc ingress: direction EGRESS */
	int to_pod;   /* entry program of tc egress: direction INGRESS */
	/* Shared maps. */
	int gen_prog_map;
	int ct;
	int frag;
	int events;
	int ev_budget;
	struct gen gen; /* the live generation */
	struct ring_buffer *rb;
	struct polc_event ev[RUNNER_MAX_EVENTS];
	size_t n_ev;
};

/* Entry object plus generation `gen_name`, live. 0 or -errno (runner closed on failure). */
int runner_open(struct runner *r, const char *gen_name, const struct polc_gen_state *state);
void runner_close(struct runner *r);

/* Load generation gen_name with the runner's shared maps; not live yet. 0 or -errno. */
int gen_load(struct runner *r, const char *gen_name, const struct polc_gen_state *state, struct gen *out);
/* The same from a generation object file (one polc compiled, or a variant built by hand). */
int gen_load_file(struct runner *r, const char *path, const struct polc_gen_state *state, struct gen *out);
void gen_close(struct gen *g);
/* Make g live (slot 0 of polc_gen_prog) and close the previous one; r->gen takes g. 0 or -errno. */
int runner_install(struct runner *r, struct gen *g);

/* Run one packet through the entry program of direction dir on ifindex; the tc verdict. */
int runner_run(struct runner *r, int ifindex, int dir, const struct pkt *p, int *verdict);
/* Same, repeat times in one BPF_PROG_TEST_RUN (one CPU, no migration). */
int runner_run_repeat(struct runner *r, int ifindex, int dir, const struct pkt *p, uint32_t repeat, int *verdict);

/* Run p through the generation program itself, with cb0 as the direction (normally the entry's job). */
int gen_run(struct gen *g, int ifindex, uint32_t cb0, const struct pkt *p, int *verdict);

/* Generation maps, filled by hand. */
int gen_endpoint(struct gen *g, int ifindex, uint32_t endpoint_id, uint32_t identity, uint32_t policy_ingress,
		 uint32_t policy_egress, uint32_t flags);
int gen_endpoint_del(struct gen *g, int ifindex);
/* cidr: "198.18.0.0/16", "fd00::/64", or a bare address (full length). */
int gen_ipcache(struct gen *g, const char *cidr, uint32_t identity, uint32_t cidr_class);
/* Ports lo..hi of a protocol slot (POLC_PSLOT_*) get class cls. */
int gen_port_class(struct gen *g, int slot, uint16_t lo, uint16_t hi, uint16_t cls);
int gen_policy(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port_class, uint8_t action,
	       uint32_t rule);
/* An entry for one exact port (POLC_PORT_EXACT), without classes. */
int gen_policy_exact(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port, uint8_t action,
		     uint32_t rule);
int gen_policy_del(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port_class);
int gen_state(struct gen *g, uint32_t revision, uint32_t flags);
/* A rule's counters summed over CPUs. */
int gen_rule_stats(struct gen *g, uint32_t rule, struct polc_rule_stats *out);

/* Collect pending events into r->ev (appending). Number collected or -errno. */
int runner_events(struct runner *r);
void runner_events_clear(struct runner *r);
/* Entries in polc_ct; the entry of (ifindex, connection) seen from its opener. */
int runner_ct_count(struct runner *r);
int runner_ct_get(struct runner *r, int ifindex, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		  uint8_t proto, struct polc_ct_entry *out);
int runner_ct_put(struct runner *r, int ifindex, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		  uint8_t proto, const struct polc_ct_entry *e);

/* Instructions the verifier processed for prog_fd (bpf_prog_info.verified_insns), 0 if unknown. */
uint32_t prog_verified_insns(int prog_fd);
/* Load a generation object from a file with fresh maps (verifier check only). 0 or -errno. */
int gen_verify_file(const char *path, uint32_t *verified_insns);

#endif

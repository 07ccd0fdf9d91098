/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The loader in a real kernel, without touching the node: artifacts are
 * loaded privately (own shared maps, nothing pinned or attached) and
 * packets are judged by the entry programs through BPF_PROG_TEST_RUN,
 * tail call into the generation included. Needs root; skipped otherwise.
 *
 * The fixture generation's verdicts depend on the maps the loader filled
 * (see tests/loader/fixtures/gen.bpf.c), so each verdict here checks the
 * loading and the filling at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>

#include "loader/loader.h"
#include "testart.h"

#define LO_IFINDEX 1

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static struct polc_artifact *build(const struct polc_test_art *spec)
{
	void *buf;
	size_t size;
	assert_int_equal(polc_test_artifact(spec, &buf, &size), 0);
	struct polc_artifact *a = NULL;
	assert_int_equal(polc_artifact_parse(buf, size, &a, NULL, 0), 0);
	free(buf);
	return a;
}

static struct polc_private *load(const struct polc_test_art *spec)
{
	struct polc_artifact *a = build(spec);
	struct polc_private *p = NULL;
	struct polc_error err;
	if (polc_private_load(a, NULL, &p, &err))
		fail_msg("private load: %s", err.message);
	polc_artifact_free(a);
	return p;
}

struct pkt {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

/* One TCP SYN from saddr to 198.18.0.2:80, judged by the entry program prog on lo. */
static int verdict(const struct polc_private *p, const char *prog, const char *saddr)
{
	struct pkt pkt = { 0 };
	pkt.eth.h_proto = htons(ETH_P_IP);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt.ip) + sizeof(pkt.tcp));
	inet_pton(AF_INET, saddr, &pkt.ip.saddr);
	inet_pton(AF_INET, "198.18.0.2", &pkt.ip.daddr);
	pkt.tcp.source = htons(40000);
	pkt.tcp.dest = htons(80);
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	struct __sk_buff ctx = { .ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &pkt, .data_size_in = sizeof(pkt), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int fd = polc_private_prog_fd(p, prog);
	assert_true(fd >= 0);
	int rc = bpf_prog_test_run_opts(fd, &opts);
	if (rc)
		fail_msg("BPF_PROG_TEST_RUN: %s", strerror(errno));
	return (int)opts.retval;
}

static int setup(void **state)
{
	libbpf_set_print(quiet);
	if (geteuid() != 0) {
		print_message("not root: skipping in-kernel loader tests\n");
		return 0;
	}
	return 0;
}

#define NEED_ROOT()               \
	do {                      \
		if (geteuid() != 0) \
			skip();   \
	} while (0)

static const struct polc_test_ep lo_ep[] = { { "lo", 5, 6, POLC_EP_ENFORCE_INGRESS } };

static void test_default_verdicts(void **state)
{
	NEED_ROOT();
	struct polc_test_art spec = { .fixture = "pass", .eps = lo_ep, .n_eps = 1 };
	struct polc_private *p = load(&spec);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	assert_int_equal(verdict(p, POLC_PROG_FROM_POD, "198.18.0.1"), TC_ACT_OK);
	polc_private_free(p);

	spec.fixture = "drop";
	p = load(&spec);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_SHOT);
	polc_private_free(p);

	/* Without an endpoint entry for lo the fixture drops: the entry proves the ifindex. */
	spec.fixture = "pass";
	spec.n_eps = 0;
	p = load(&spec);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_SHOT);
	polc_private_free(p);
}

static void test_policy_and_ipcache_filled(void **state)
{
	NEED_ROOT();
	/* Ingress policy 5: allow identity 300, deny everyone else. Egress policy 6: nothing. */
	struct polc_test_policy pol[] = { { 5, 300, POLC_ACT_ALLOW }, { 5, POLC_PEER_ANY, POLC_ACT_DENY } };
	struct polc_test_ipcache ipc[] = { { { 198, 18, 0, 1 }, 300 }, { { 198, 18, 0, 9 }, 301 } };
	struct polc_test_art spec = { .fixture = "drop", .eps = lo_ep, .n_eps = 1, .policies = pol, .n_policies = 2,
				      .ipcache = ipc, .n_ipcache = 2 };
	struct polc_private *p = load(&spec);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.9"), TC_ACT_SHOT);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.7"), TC_ACT_SHOT);
	/* Egress: policy 6 has no entry, the drop fixture's default applies. */
	assert_int_equal(verdict(p, POLC_PROG_FROM_POD, "198.18.0.1"), TC_ACT_SHOT);

	/* The endpoint entry is exactly what meta/endpoints said. */
	struct polc_endpoint_key k = { .ifindex = LO_IFINDEX };
	struct polc_endpoint ep;
	assert_int_equal(bpf_map_lookup_elem(polc_private_map_fd(p, POLC_MAP_ENDPOINTS), &k, &ep), 0);
	assert_int_equal(ep.endpoint_id, 1);
	assert_int_equal(ep.identity, POLC_ID_FIRST_DYNAMIC);
	assert_int_equal(ep.policy[POLC_DIR_INGRESS], 5);
	assert_int_equal(ep.policy[POLC_DIR_EGRESS], 6);
	assert_int_equal(ep.flags, POLC_EP_ENFORCE_INGRESS);

	/* Sized from the artifact: endpoints_max and the map headers. */
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	assert_int_equal(bpf_obj_get_info_by_fd(polc_private_map_fd(p, POLC_MAP_ENDPOINTS), &info, &len), 0);
	assert_int_equal(info.max_entries, 64);
	len = sizeof(info);
	assert_int_equal(bpf_obj_get_info_by_fd(polc_private_map_fd(p, POLC_MAP_PORTS), &info, &len), 0);
	assert_int_equal(info.max_entries, POLC_PORTS_ENTRIES);
	__u32 idx = POLC_PSLOT_TCP * POLC_PORT_SLOT_SIZE + 443 / 4;
	struct polc_port_classes pc;
	assert_int_equal(bpf_map_lookup_elem(polc_private_map_fd(p, POLC_MAP_PORTS), &idx, &pc), 0);
	assert_int_equal(pc.cls[443 % 4], 2);
	polc_private_free(p);
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static void test_swap_keeps_conntrack(void **state)
{
	NEED_ROOT();
	struct polc_test_art a = { .fixture = "pass", .eps = lo_ep, .n_eps = 1, .revision = 0x1111111122222222ull };
	struct polc_test_art b = { .fixture = "drop", .eps = lo_ep, .n_eps = 1, .revision = 0x3333333344444444ull };
	struct polc_private *p = load(&a);
	int ct = polc_private_map_fd(p, POLC_MAP_CT);
	uint32_t ct_id = map_id(ct);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	struct polc_ct_key key = { .ifindex = LO_IFINDEX };
	struct polc_ct_entry e;
	assert_int_equal(bpf_map_lookup_elem(ct, &key, &e), 0);
	/* polc_state.revision is the low 32 bits of the artifact's revision. */
	assert_int_equal(e.revision, 0x22222222);

	struct polc_artifact *art = build(&b);
	struct polc_error err;
	if (polc_private_swap(p, art, &err))
		fail_msg("swap: %s", err.message);
	polc_artifact_free(art);
	/* Same conntrack map, same entry: state carried over the swap. */
	assert_int_equal(map_id(polc_private_map_fd(p, POLC_MAP_CT)), ct_id);
	assert_int_equal(bpf_map_lookup_elem(ct, &key, &e), 0);
	assert_int_equal(e.revision, 0x22222222);
	/* The next packet is judged by the new generation only. */
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_SHOT);
	assert_int_equal(bpf_map_lookup_elem(ct, &key, &e), 0);
	assert_int_equal(e.revision, 0x44444444);
	/* Per-rule counters belong to the generation: the new one counted one packet. */
	__u32 dir = POLC_DIR_INGRESS;
	struct polc_rule_stats st;
	assert_int_equal(bpf_map_lookup_elem(polc_private_map_fd(p, POLC_MAP_RULE_STATS), &dir, &st), 0);
	assert_int_equal(st.packets, 1);
	polc_private_free(p);
}

/* The revision lands in the state wherever the generation keeps it. */
static void test_revision_in_bss(void **state)
{
	NEED_ROOT();
	struct polc_test_art spec = { .fixture = "bss", .eps = lo_ep, .n_eps = 1, .revision = 0x55555555deadbeefull };
	struct polc_private *p = load(&spec);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	struct polc_ct_key key = { .ifindex = LO_IFINDEX };
	struct polc_ct_entry e;
	assert_int_equal(bpf_map_lookup_elem(polc_private_map_fd(p, POLC_MAP_CT), &key, &e), 0);
	assert_int_equal(e.revision, 0xdeadbeef);
	polc_private_free(p);
}

static void test_verifier_rejection(void **state)
{
	NEED_ROOT();
	struct polc_test_art spec = { .fixture = "broken", .eps = lo_ep, .n_eps = 1, .revision = 0xabcdef0123456789ull };
	struct polc_artifact *a = build(&spec);
	struct polc_private *p = NULL;
	struct polc_error err;
	int rc = polc_private_load(a, NULL, &p, &err);
	assert_true(rc < 0);
	assert_null(p);
	if (!strstr(err.message, "verifier rejected polc_gen of policy revision abcdef0123456789") ||
	    !strstr(err.message, "map_value_or_null"))
		fail_msg("unexpected message: %s", err.message);

	/* And a swap to it leaves the previous generation judging. */
	spec.fixture = "pass";
	p = load(&spec);
	assert_true(polc_private_swap(p, a, &err) < 0);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	polc_private_free(p);
	polc_artifact_free(a);
}

static int resolve_to_lo(const char *ifname, uint32_t *ifindex, void *ctx)
{
	(*(int *)ctx)++;
	*ifindex = LO_IFINDEX;
	return 0;
}

static void test_custom_resolver(void **state)
{
	NEED_ROOT();
	static const struct polc_test_ep ep[] = { { "pod-veth-that", 0, 0, 0 } };
	struct polc_test_art spec = { .fixture = "pass", .eps = ep, .n_eps = 1 };
	struct polc_artifact *a = build(&spec);
	int calls = 0;
	POLC_OPTS(polc_private_opts, opts, .resolve = resolve_to_lo, .resolve_ctx = &calls);
	struct polc_private *p = NULL;
	struct polc_error err;
	if (polc_private_load(a, &opts, &p, &err))
		fail_msg("%s", err.message);
	assert_int_equal(calls, 1);
	assert_int_equal(verdict(p, POLC_PROG_TO_POD, "198.18.0.1"), TC_ACT_OK);
	polc_private_free(p);
	polc_artifact_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_verdicts),     cmocka_unit_test(test_policy_and_ipcache_filled),
		cmocka_unit_test(test_swap_keeps_conntrack), cmocka_unit_test(test_revision_in_bss),
		cmocka_unit_test(test_verifier_rejection),
		cmocka_unit_test(test_custom_resolver),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loader checks that need no kernel: meta/info, meta/endpoints and the
 * validation of bpf/gen.o against the artifact's map sections and
 * polc/layout.h. Every refusal must say what is wrong, because the
 * person reading it is running a node, not the compiler.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "testart.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* ---- meta/endpoints ---- */

static int parse_eps(const char *text, uint32_t max, struct polc_eps *eps, struct polc_error *err)
{
	memset(err, 0, sizeof(*err));
	return polc_eps_parse(text, strlen(text), max, eps, err);
}

static void test_eps_valid(void **state)
{
	struct polc_eps eps = { 0 };
	struct polc_error err;
	const char *text = "1\tveth0\tdefault/web-1\t256\t3\t0\t1\n"
			   "2\tlxc12345678901\tkube-system/dns\t16777215\t0\t4294967295\t15\n";
	assert_int_equal(parse_eps(text, 8, &eps, &err), 0);
	assert_int_equal(eps.n, 2);
	assert_string_equal(eps.v[0].ifname, "veth0");
	assert_string_equal(eps.v[0].pod, "default/web-1");
	assert_int_equal(eps.v[0].value.endpoint_id, 1);
	assert_int_equal(eps.v[0].value.identity, 256);
	assert_int_equal(eps.v[0].value.policy[POLC_DIR_INGRESS], 3);
	assert_int_equal(eps.v[0].value.policy[POLC_DIR_EGRESS], 0);
	assert_int_equal(eps.v[0].value.flags, POLC_EP_ENFORCE_INGRESS);
	assert_int_equal(eps.v[1].value.identity, POLC_ID_MAX);
	assert_int_equal(eps.v[1].value.policy[POLC_DIR_EGRESS], UINT32_MAX);
	assert_int_equal(eps.v[1].value.pad, 0);
	polc_eps_free(&eps);

	assert_int_equal(parse_eps("", 8, &eps, &err), 0);
	assert_int_equal(eps.n, 0);
	polc_eps_free(&eps);

	/* The compiler escapes backslash, tab and newline in text fields. */
	assert_int_equal(parse_eps("1\tv\\\\0\tns/we\\\\b\t256\t0\t0\t0\n", 8, &eps, &err), 0);
	assert_string_equal(eps.v[0].ifname, "v\\0");
	assert_string_equal(eps.v[0].pod, "ns/we\\b");
	polc_eps_free(&eps);
}

static void test_eps_invalid(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "1\tveth0\tdefault/a\t256\t0\t0\t0", "newline" },
		{ "1\tveth0\tdefault/a\t256\t0\t0\n", "7 tab-separated" },
		{ "1\tveth0\tdefault/a\t256\t0\t0\t0\t9\n", "7 tab-separated" },
		{ "1 veth0 default/a 256 0 0 0\n", "7 tab-separated" },
		{ "\n", "7 tab-separated" },
		{ "01\tveth0\tdefault/a\t256\t0\t0\t0\n", "endpoint id" },
		{ "x\tveth0\tdefault/a\t256\t0\t0\t0\n", "endpoint id" },
		{ "\tveth0\tdefault/a\t256\t0\t0\t0\n", "endpoint id" },
		{ "1\tveth0\tdefault/a\t4294967296\t0\t0\t0\n", "identity" },
		{ "1\tveth0\tdefault/a\t16777216\t0\t0\t0\n", "identity" },
		{ "1\tveth0\tdefault/a\t-1\t0\t0\t0\n", "identity" },
		{ "1\tveth0123456789ab\tdefault/a\t256\t0\t0\t0\n", "interface name" },
		{ "1\tve/th\tdefault/a\t256\t0\t0\t0\n", "interface name" },
		{ "1\t\tdefault/a\t256\t0\t0\t0\n", "interface name" },
		{ "1\t..\tdefault/a\t256\t0\t0\t0\n", "interface name" },
		{ "1\tveth0\tdefault\t256\t0\t0\t0\n", "pod name" },
		{ "1\tveth0\t/a\t256\t0\t0\t0\n", "pod name" },
		{ "1\tveth0\ta/b/c\t256\t0\t0\t0\n", "pod name" },
		{ "1\tveth0\tdefault/a\t256\t0 \t0\t0\n", "policy id" },
		{ "1\tve\\tth\tdefault/a\t256\t0\t0\t0\n", "interface name" },
		{ "1\tveth0\tdefault/a\\nb\t256\t0\t0\t0\n", "pod name" },
		{ "1\tveth0\tdefault/a\t256\t0\t0\t16\n", "flags" },
		{ "1\tveth0\tdefault/a\t256\t0\t0\t0\n2\tveth0\tdefault/b\t257\t0\t0\t0\n", "listed twice" },
		{ "1\tveth0\tdefault/a\t256\t0\t0\t0\n1\tveth1\tdefault/b\t257\t0\t0\t0\n", "listed twice" },
		{ "1\tv0\td/a\t256\t0\t0\t0\n2\tv1\td/b\t256\t0\t0\t0\n3\tv2\td/c\t256\t0\t0\t0\n", "endpoints_max" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct polc_eps eps = { 0 };
		struct polc_error err;
		int rc = parse_eps(cases[i].text, 2, &eps, &err);
		if (rc != -EINVAL || !strstr(err.message, cases[i].msg))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.message, cases[i].msg);
		assert_int_equal(err.errnum, EINVAL);
		assert_null(eps.v); /* *out untouched */
	}
}

static int fake_resolve(const char *ifname, uint32_t *ifindex, void *ctx)
{
	if (strcmp(ifname, "gone") == 0)
		return -ENODEV;
	if (strcmp(ifname, "alias") == 0) {
		*ifindex = 7;
		return 0;
	}
	*ifindex = (uint32_t)strlen(ifname) + 5; /* veth0 -> 10 */
	return 0;
}

static void test_eps_resolve(void **state)
{
	struct polc_eps eps = { 0 };
	struct polc_error err;
	assert_int_equal(parse_eps("1\tveth0\tns/a\t256\t0\t0\t0\n2\tgone\tns/b\t257\t0\t0\t0\n", 4, &eps, &err), 0);
	assert_int_equal(polc_eps_resolve(&eps, fake_resolve, NULL, &err), -ENODEV);
	assert_non_null(strstr(err.message, "interface gone of endpoint ns/b does not exist"));
	polc_eps_free(&eps);

	assert_int_equal(parse_eps("1\tab\tns/a\t256\t0\t0\t0\n2\talias\tns/b\t257\t0\t0\t0\n", 4, &eps, &err), 0);
	assert_int_equal(polc_eps_resolve(&eps, fake_resolve, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.message, "same interface"));
	polc_eps_free(&eps);

	/* The default resolver: the loopback exists in every network namespace. */
	assert_int_equal(parse_eps("1\tlo\tns/a\t256\t0\t0\t0\n", 4, &eps, &err), 0);
	assert_int_equal(polc_eps_resolve(&eps, NULL, NULL, &err), 0);
	assert_int_equal(eps.v[0].ifindex, 1);
	polc_eps_free(&eps);
}

/* ---- meta/info and bpf/gen.o ---- */

static const struct polc_test_ep one_ep[] = { { "lo", 1, 2, 0 } };

static struct polc_artifact *build(const struct polc_test_art *spec)
{
	void *buf;
	size_t size;
	assert_int_equal(polc_test_artifact(spec, &buf, &size), 0);
	struct polc_artifact *a = NULL;
	char msg[256];
	if (polc_artifact_parse(buf, size, &a, msg, sizeof(msg)))
		fail_msg("test artifact does not parse: %s", msg);
	free(buf);
	return a;
}

/* Open the artifact's generation; returns rc and leaves the message in err. */
static int open_gen(const struct polc_test_art *spec, struct polc_error *err)
{
	struct polc_artifact *a = build(spec);
	struct polc_art_meta meta;
	memset(err, 0, sizeof(*err));
	int rc = polc_meta_read(a, &meta, err);
	struct polc_gen *g = NULL;
	if (rc == 0)
		rc = polc_gen_open(a, &meta, &g, err);
	if (rc == 0) {
		assert_non_null(g);
		assert_int_equal(polc_gen_revision(g), meta.revision);
	} else {
		assert_null(g);
		assert_true(err->message[0]);
	}
	polc_gen_free(g);
	polc_artifact_free(a);
	return rc;
}

static void test_meta_info(void **state)
{
	struct polc_error err;
	struct polc_test_art spec = { .fixture = "pass", .eps = one_ep, .n_eps = 1, .revision = 0xfedcba9876543210ull };
	struct polc_artifact *a = build(&spec);
	struct polc_art_meta meta;
	assert_int_equal(polc_meta_read(a, &meta, &err), 0);
	assert_true(meta.revision == 0xfedcba9876543210ull);
	assert_int_equal(meta.endpoints_max, 64);
	polc_artifact_free(a);

	spec.omit = POLC_TEST_OMIT_REVISION;
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no revision"));
	spec.omit = 0;
	spec.endpoints_max = POLC_ENDPOINTS_LIMIT + 1;
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "endpoints_max"));
}

static void test_gen_valid(void **state)
{
	struct polc_error err;
	struct polc_test_policy pol[] = { { 1, POLC_PEER_ANY, POLC_ACT_ALLOW }, { 2, 300, POLC_ACT_DENY } };
	struct polc_test_ipcache ipc[] = { { { 198, 18, 0, 1 }, 300 } };
	struct polc_test_art spec = { .fixture = "pass", .eps = one_ep, .n_eps = 1, .policies = pol, .n_policies = 2,
				      .ipcache = ipc, .n_ipcache = 1 };
	if (open_gen(&spec, &err))
		fail_msg("%s", err.message);
	/* The state in .bss and under the template's name is found too. */
	spec.fixture = "bss";
	if (open_gen(&spec, &err))
		fail_msg("%s", err.message);
}

static void test_gen_invalid(void **state)
{
	struct polc_error err;
	struct polc_test_art spec = { .fixture = "pass", .eps = one_ep, .n_eps = 1 };

	spec.omit = POLC_TEST_OMIT_GEN;
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no bpf/gen.o"));

	spec.omit = POLC_TEST_OMIT_POLICY_MAP;
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no map/polc_policy section"));
	spec.omit = 0;

	spec.fixture = "badlayout";
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "polc_policy"));
	assert_non_null(strstr(err.message, "layout.h"));
	spec.fixture = "nostate";
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no global struct polc_gen_state"));
	spec.fixture = "pass";

	/* A section no map reads. */
	uint8_t hdr[sizeof(struct polc_artifact_map)];
	struct polc_artifact_map mh = { 4, 4, 0, 1 };
	memcpy(hdr, &mh, sizeof(mh));
	spec.extra_name = "map/polc_nope";
	spec.extra_data = hdr;
	spec.extra_size = sizeof(hdr);
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "map/polc_nope"));
	/* Endpoints come from meta/endpoints only. */
	mh = (struct polc_artifact_map){ 4, 24, 0, 1 };
	memcpy(hdr, &mh, sizeof(mh));
	spec.extra_name = "map/polc_endpoints";
	assert_int_equal(open_gen(&spec, &err), -EINVAL);
	assert_non_null(strstr(err.message, "meta/endpoints"));
	/* Counters start at zero. */
	spec.extra_name = NULL;

	/* Not an ELF. */
	spec.omit = POLC_TEST_OMIT_GEN;
	spec.extra_name = "bpf/gen.o";
	spec.extra_data = "this is not an ELF file at all";
	spec.extra_size = 30;
	assert_true(open_gen(&spec, &err) < 0);
	assert_non_null(strstr(err.message, "not a valid BPF object"));
}

/* The standard test artifact with one map section replaced by a crafted one. */
static int open_with_section(const char *map, uint32_t key_size, uint32_t value_size, uint32_t max, const void *entries,
			     uint32_t n, struct polc_error *err)
{
	size_t body = (size_t)n * (key_size + value_size);
	uint8_t *sec = calloc(1, sizeof(struct polc_artifact_map) + body + 1);
	struct polc_artifact_map mh = { key_size, value_size, n, max };
	memcpy(sec, &mh, sizeof(mh));
	if (body)
		memcpy(sec + sizeof(mh), entries, body);
	char name[64];
	snprintf(name, sizeof(name), "map/%s", map);
	struct polc_test_art spec = { .fixture = "pass", .eps = one_ep, .n_eps = 1, .extra_name = name,
				      .extra_data = sec, .extra_size = sizeof(mh) + body };
	int rc = open_gen(&spec, err);
	free(sec);
	return rc;
}

struct pol_entry {
	struct polc_policy_key k;
	struct polc_policy_value v;
};

static int open_with_policy(const struct pol_entry *e, uint32_t n, struct polc_error *err)
{
	return open_with_section(POLC_MAP_POLICY, sizeof(e->k), sizeof(e->v), 16, e, n, err);
}

static void test_gen_bad_entries(void **state)
{
	struct polc_error err;
	struct pol_entry e[2] = { 0 };
	e[0].k = (struct polc_policy_key){ .policy = 1, .peer = POLC_PEER_ANY };
	e[0].v = (struct polc_policy_value){ .rule = 1, .action = POLC_ACT_ALLOW };
	e[1] = e[0];
	assert_int_equal(open_with_policy(e, 1, &err), 0);

	assert_int_equal(open_with_policy(e, 2, &err), -EINVAL);
	assert_non_null(strstr(err.message, "strictly ascending"));

	e[0].v.action = 7;
	assert_int_equal(open_with_policy(e, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "neither allow nor deny"));
	e[0].v.action = POLC_ACT_DENY;
	e[0].k.port_kind = 7;
	assert_int_equal(open_with_policy(e, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "unknown port kind"));
	e[0].k.port_kind = POLC_PORT_RANGE;
	e[0].k.port = 3;
	assert_int_equal(open_with_policy(e, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "without a protocol"));

	/* Key size other than the program's. */
	assert_int_equal(open_with_section(POLC_MAP_POLICY, 16, 4, 16, e, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "declares key 12 value 8"));

	/* ipcache: an address with bits beyond its prefix would never be found. */
	struct {
		struct polc_ipcache_key k;
		struct polc_ipcache_value v;
	} ipc = { { .family = POLC_AF_INET, .prefixlen = 24, .addr = { 198, 18, 0, 1 } }, { .identity = 300 } };
	assert_int_equal(open_with_section(POLC_MAP_IPCACHE, sizeof(ipc.k), sizeof(ipc.v), 4, &ipc, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "beyond its prefix"));
	ipc.k.addr[3] = 0;
	assert_int_equal(open_with_section(POLC_MAP_IPCACHE, sizeof(ipc.k), sizeof(ipc.v), 4, &ipc, 1, &err), 0);
	ipc.k.family = 5;
	assert_int_equal(open_with_section(POLC_MAP_IPCACHE, sizeof(ipc.k), sizeof(ipc.v), 4, &ipc, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "family"));
	ipc.k.family = POLC_AF_INET;
	ipc.k.prefixlen = 33;
	assert_int_equal(open_with_section(POLC_MAP_IPCACHE, sizeof(ipc.k), sizeof(ipc.v), 4, &ipc, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "prefix length"));

	/* Array index beyond the array. */
	struct {
		__u32 k;
		struct polc_port_classes v;
	} port = { 100, { { 1, 1, 1, 1 } } };
	assert_int_equal(open_with_section(POLC_MAP_PORTS, 4, 8, 100, &port, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "beyond 100 entries"));
	port.k = 99;
	assert_int_equal(open_with_section(POLC_MAP_PORTS, 4, 8, 100, &port, 1, &err), 0);
	/* Array entries come in index order (1 before 256, unlike their bytes); no repeats. */
	struct {
		__u32 k;
		struct polc_port_classes v;
	} ports[2] = { { 1, { { 1, 0, 0, 0 } } }, { 256, { { 2, 0, 0, 0 } } } };
	assert_int_equal(open_with_section(POLC_MAP_PORTS, 4, 8, POLC_PORTS_ENTRIES, ports, 2, &err), 0);
	ports[1].k = 1;
	assert_int_equal(open_with_section(POLC_MAP_PORTS, 4, 8, POLC_PORTS_ENTRIES, ports, 2, &err), -EINVAL);
	assert_non_null(strstr(err.message, "indexes not strictly ascending"));
	ports[0].k = 256;
	assert_int_equal(open_with_section(POLC_MAP_PORTS, 4, 8, POLC_PORTS_ENTRIES, ports, 2, &err), -EINVAL);

	/* Counters start at zero: entries for them are a compiler bug. */
	struct {
		__u32 k;
		struct polc_rule_stats v;
	} st = { 0, { 1, 1 } };
	assert_int_equal(open_with_section(POLC_MAP_RULE_STATS, 4, 16, 4, &st, 1, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no entries"));
}

/* The public, kernel-free check the CLI runs before loading. */
static void test_artifact_check(void **state)
{
	struct polc_error err;
	struct polc_test_art spec = { .fixture = "pass", .eps = one_ep, .n_eps = 1 };
	struct polc_artifact *a = build(&spec);
	assert_int_equal(polc_artifact_check(a, &err), 0);
	assert_int_equal(err.errnum, 0);
	polc_artifact_free(a);
	/* The verifier's verdict is the kernel's: a broken program passes the check. */
	spec.fixture = "broken";
	a = build(&spec);
	assert_int_equal(polc_artifact_check(a, &err), 0);
	polc_artifact_free(a);
	spec.fixture = "badlayout";
	a = build(&spec);
	assert_int_equal(polc_artifact_check(a, &err), -EINVAL);
	assert_int_equal(err.errnum, EINVAL);
	assert_non_null(strstr(err.message, "polc_policy"));
	polc_artifact_free(a);
	spec.fixture = "pass";
	spec.omit = POLC_TEST_OMIT_ENDPOINTS;
	a = build(&spec);
	assert_int_equal(polc_artifact_check(a, &err), -EINVAL);
	assert_non_null(strstr(err.message, "meta/endpoints"));
	polc_artifact_free(a);
}

int main(void)
{
	libbpf_set_print(quiet);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eps_valid),  cmocka_unit_test(test_eps_invalid),	 cmocka_unit_test(test_eps_resolve),
		cmocka_unit_test(test_meta_info),  cmocka_unit_test(test_gen_valid),	 cmocka_unit_test(test_gen_invalid),
		cmocka_unit_test(test_gen_bad_entries), cmocka_unit_test(test_artifact_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Re-resolution (compiler/driver/reresolve.c), what libpolc's endpoint
 * operations are built on: a compiled state, then pods added, deleted,
 * relabelled. Checked: ids of the live generation survive (only what is
 * new gets new ids, counters never go back), tables change only where
 * they must, the revision returns to the artifact's when the inventory
 * does, bad changes are refused with a reason, and a change the compiled
 * program cannot enforce says "needs polc compile". No kernel, no clang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polc/artifact.h"
#include "polc/layout.h"

#include "codegen/codegen.h"
#include "driver/driver.h"
#include "driver/reresolve.h"
#include "frontend/frontend.h"
#include "ir/datapath.h"

static const char inventory[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Namespace, metadata: {name: x, labels: {team: x}}}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: web, namespace: x, labels: {app: web}, annotations: {polc.io/interface: lxc-web}}\n"
	"  spec: {containers: [{name: c, ports: [{name: http, containerPort: 80}]}]}\n"
	"  status: {podIP: 198.18.0.1}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: client, namespace: x, labels: {app: client}, annotations: {polc.io/interface: lxc-client}}\n"
	"  status: {podIPs: [{ip: 198.18.0.2}, {ip: \"fd00::2\"}]}\n";

static const char policies[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web-in, namespace: x}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: client}}}]\n"
	"    ports: [{port: http}]\n"
	"  - from: [{podSelector: {matchLabels: {role: admin}}}]\n";

static const struct codegen_sizes sizes = {.endpoints = 64, .ipcache = 1024, .policy = 1024, .rules = 2};

/* The state libpolc would pin after loading an artifact compiled from these files. */
static struct polc_artifact *initial_state(const char *const *names, const char *const *texts, size_t n)
{
	struct arena *a = arena_new();
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp = {0};
	struct frontend fe;
	source_set_init(&sources, a);
	diag_sink_init(&diags, a, &sources);
	assert_int_equal(ir_program_init(&prog, a), 0);
	assert_int_equal(frontend_init(&fe, &prog, &diags, &sources, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		int id = source_add_buffer(&sources, names[i], texts[i], strlen(texts[i]));
		assert_true(id > 0);
		assert_int_equal(frontend_load_file(&fe, (uint32_t)id), 0);
	}
	assert_int_equal(frontend_finish(&fe), 0);
	driver_canonicalize(&prog);
	assert_int_equal(driver_run_passes(a, &diags, &prog, &dp), 0);
	void *art = NULL, *state = NULL;
	size_t art_size = 0, state_size = 0;
	assert_int_equal(codegen_artifact(&prog, &dp, &sources, &sizes, "ELF", 3, &art, &art_size), 0);
	struct polc_artifact *artifact = NULL;
	char msg[256];
	assert_int_equal(polc_artifact_parse(art, art_size, &artifact, msg, sizeof(msg)), 0);
	assert_int_equal(rr_initial_state(artifact, "loader_key=kept\n", &state, &state_size), 0);
	struct polc_artifact *st = NULL;
	assert_int_equal(polc_artifact_parse(state, state_size, &st, msg, sizeof(msg)), 0);
	free(art);
	free(state);
	polc_artifact_free(artifact);
	arena_free(a);
	return st;
}

static int change(struct polc_artifact **st, const struct rr_change *c, size_t n, struct rr_result *res);

/* The demo state after an empty change: it then has map sections too. */
static struct polc_artifact *demo_state(void)
{
	const char *names[] = {"inventory.yaml", "policies.yaml"};
	const char *texts[] = {inventory, policies};
	struct polc_artifact *st = initial_state(names, texts, 2);
	struct rr_result res;
	assert_int_equal(change(&st, NULL, 0, &res), 0);
	rr_result_free(&res);
	return st;
}

/* Apply changes; on success the new state replaces *st. Returns reresolve's status. */
static int change(struct polc_artifact **st, const struct rr_change *c, size_t n, struct rr_result *res)
{
	int rc = reresolve(*st, c, n, &sizes, NULL, res);
	if (rc == 0) {
		struct polc_artifact *next = NULL;
		char msg[256];
		assert_int_equal(polc_artifact_parse(res->state, res->state_size, &next, msg, sizeof(msg)), 0);
		polc_artifact_free(*st);
		*st = next;
	} else if (getenv("VERBOSE")) {
		fprintf(stderr, "reresolve: %d: %s\n", rc, res->message ? res->message : "");
	}
	return rc;
}

static char *text_of(const struct polc_artifact *a, const char *section)
{
	size_t len = 0;
	const char *s = polc_artifact_section(a, section, &len);
	char *out = malloc(len + 1);
	assert_non_null(out);
	if (s)
		memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

static bool section_contains(const struct polc_artifact *a, const char *section, const char *needle)
{
	char *t = text_of(a, section);
	bool found = strstr(t, needle) != NULL;
	free(t);
	return found;
}

static uint64_t info_u64(const struct polc_artifact *a, const char *key, int base)
{
	char *t = text_of(a, "live/info");
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=", key);
	char *p = strstr(t, pat);
	assert_non_null(p);
	uint64_t v = strtoull(p + strlen(pat), NULL, base);
	free(t);
	return v;
}

/* Is every policy entry of a also in b, with the same value? */
static bool entries_subset(const struct polc_artifact *a, const struct polc_artifact *b)
{
	struct polc_map_view va, vb;
	assert_int_equal(polc_artifact_map_view(a, POLC_MAP_POLICY, &va), 0);
	assert_int_equal(polc_artifact_map_view(b, POLC_MAP_POLICY, &vb), 0);
	size_t pair = va.key_size + va.value_size;
	for (uint32_t i = 0; i < va.n_entries; i++) {
		bool found = false;
		for (uint32_t j = 0; j < vb.n_entries && !found; j++)
			found = memcmp(va.entries + i * pair, vb.entries + j * pair, pair) == 0;
		if (!found)
			return false;
	}
	return true;
}

static uint32_t n_entries(const struct polc_artifact *a, const char *map)
{
	struct polc_map_view v;
	assert_int_equal(polc_artifact_map_view(a, map, &v), 0);
	return v.n_entries;
}

static struct polc_artifact *clone(const struct polc_artifact *a)
{
	struct polc_artifact *c = NULL;
	char msg[128];
	assert_int_equal(polc_artifact_parse(a->data, a->size, &c, msg, sizeof(msg)), 0);
	return c;
}

static void test_no_change_keeps_everything(void **state)
{
	(void)state;
	struct polc_artifact *st = demo_state();
	uint64_t base = info_u64(st, "base_revision", 16);
	char *ids = text_of(st, "meta/identities"), *eps = text_of(st, "meta/endpoints");
	struct rr_result res;
	assert_int_equal(change(&st, NULL, 0, &res), 0);
	assert_int_equal(res.revision, base);
	char *ids2 = text_of(st, "meta/identities"), *eps2 = text_of(st, "meta/endpoints");
	assert_string_equal(ids, ids2);
	assert_string_equal(eps, eps2);
	assert_true(section_contains(st, "live/info", "loader_key=kept"));
	assert_int_equal(n_entries(st, POLC_MAP_POLICY), 1); /* client -> web:80 */
	free(ids), free(ids2), free(eps), free(eps2);
	rr_result_free(&res);
	polc_artifact_free(st);
}

static const char admin_pod[] =
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: admin, namespace: x, labels: {role: admin}, annotations: {polc.io/interface: lxc-admin}}\n"
	"status: {podIP: 198.18.0.9}\n";

static void test_add_new_label_set(void **state)
{
	(void)state;
	struct polc_artifact *st = demo_state();
	struct polc_artifact *before = clone(st);
	uint64_t base = info_u64(st, "base_revision", 16);
	struct rr_change c = {.op = RR_ADD, .text = admin_pod, .len = strlen(admin_pod), .text_name = "admin.yaml"};
	struct rr_result res;
	assert_int_equal(change(&st, &c, 1, &res), 0);
	assert_int_not_equal(res.revision, base);
	assert_int_equal(res.identities_added, 1);
	assert_int_equal(res.pods_changed, 1);
	/* Old identities keep their numbers: 256 client, 257 web; the admin gets the next. */
	assert_true(section_contains(st, "meta/identities", "256\tk8s:app=client"));
	assert_true(section_contains(st, "meta/identities", "257\tk8s:app=web"));
	assert_true(section_contains(st, "meta/identities", "258\tk8s:io.cilium"));
	assert_true(section_contains(st, "meta/endpoints", "3\tlxc-admin\tx/admin\t258\t0\t0\t0"));
	assert_true(section_contains(st, "meta/pods", "x/admin\t258\t3\t198.18.0.9\tlxc-admin"));
	/* Every old entry is still there, and the admin's allow to web is new. */
	assert_true(entries_subset(before, st));
	assert_int_equal(n_entries(st, POLC_MAP_POLICY), n_entries(before, POLC_MAP_POLICY) + 1);
	assert_int_equal(n_entries(st, POLC_MAP_IPCACHE), n_entries(before, POLC_MAP_IPCACHE) + 1);
	assert_true(section_contains(st, "live/pods", "\"name\":\"admin\""));
	rr_result_free(&res);

	/* Deleting it gives back the artifact's tables and revision; the counters do not go back. */
	struct rr_change d = {.op = RR_DELETE, .namespace = "x", .name = "admin"};
	assert_int_equal(change(&st, &d, 1, &res), 0);
	assert_int_equal(res.revision, base);
	assert_int_equal(res.identities_removed, 1);
	assert_true(entries_subset(st, before) && entries_subset(before, st));
	assert_int_equal(info_u64(st, "next_identity", 10), 259);
	assert_int_equal(info_u64(st, "next_endpoint", 10), 4);
	assert_int_equal(info_u64(st, "changes", 10), 2);
	char *lp = text_of(st, "live/pods");
	assert_string_equal(lp, "");
	free(lp);
	rr_result_free(&res);

	/* Added again: a new identity number, never the old one. */
	assert_int_equal(change(&st, &c, 1, &res), 0);
	assert_true(section_contains(st, "meta/identities", "259\tk8s:io.cilium"));
	assert_true(section_contains(st, "meta/endpoints", "4\tlxc-admin\tx/admin\t259"));
	rr_result_free(&res);
	polc_artifact_free(before);
	polc_artifact_free(st);
}

static void test_add_known_label_set(void **state)
{
	(void)state;
	struct polc_artifact *st = demo_state();
	struct polc_artifact *before = clone(st);
	static const char pod[] = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"client2\","
				  "\"namespace\":\"x\",\"labels\":{\"app\":\"client\"}},\"status\":{\"podIP\":\"198.18.0.3\"}}";
	struct rr_change c = {.op = RR_UPSERT, .text = pod, .len = strlen(pod), .text_name = "<pod x/client2>"};
	struct rr_result res;
	assert_int_equal(change(&st, &c, 1, &res), 0);
	assert_int_equal(res.identities_added, 0);
	/* A remote pod of a known label set: one ipcache entry, no policy entry, no endpoint. */
	assert_true(entries_subset(before, st) && entries_subset(st, before));
	assert_int_equal(n_entries(st, POLC_MAP_IPCACHE), n_entries(before, POLC_MAP_IPCACHE) + 1);
	assert_true(section_contains(st, "meta/pods", "x/client2\t256\t0\t198.18.0.3\t-"));
	rr_result_free(&res);
	polc_artifact_free(before);
	polc_artifact_free(st);
}

static void test_relabel(void **state)
{
	(void)state;
	struct polc_artifact *st = demo_state();
	uint64_t base = info_u64(st, "base_revision", 16);
	struct rr_label labels[] = {{"app", "other"}};
	struct rr_change c = {.op = RR_RELABEL, .namespace = "x", .name = "client", .labels = labels, .n_labels = 1};
	struct rr_result res;
	assert_int_equal(change(&st, &c, 1, &res), 0);
	/* client's identity is gone, a new one replaces it; web no longer admits anyone. */
	assert_int_equal(res.identities_added, 1);
	assert_int_equal(res.identities_removed, 1);
	assert_false(section_contains(st, "meta/identities", "k8s:app=client"));
	assert_true(section_contains(st, "meta/endpoints", "\tx/client\t258\t"));
	assert_int_equal(n_entries(st, POLC_MAP_POLICY), 0);
	rr_result_free(&res);

	/* Back to the artifact's labels: the artifact's revision again. */
	struct rr_label back[] = {{"app", "client"}};
	c.labels = back;
	assert_int_equal(change(&st, &c, 1, &res), 0);
	assert_int_equal(res.revision, base);
	assert_int_equal(n_entries(st, POLC_MAP_POLICY), 1);
	assert_true(section_contains(st, "meta/identities", "259\tk8s:app=client"));
	rr_result_free(&res);
	polc_artifact_free(st);
}

static void test_refusals(void **state)
{
	(void)state;
	struct polc_artifact *st = demo_state();
	struct rr_result res;

	struct rr_change del = {.op = RR_DELETE, .namespace = "x", .name = "nobody"};
	assert_int_equal(change(&st, &del, 1, &res), -ENOENT);
	assert_non_null(strstr(res.message, "no pod x/nobody"));
	rr_result_free(&res);

	static const char dup[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: x}\n";
	struct rr_change add = {.op = RR_ADD, .text = dup, .len = strlen(dup), .text_name = "dup.yaml"};
	assert_int_equal(change(&st, &add, 1, &res), -EEXIST);
	assert_non_null(strstr(res.message, "pod x/web exists already"));
	rr_result_free(&res);

	static const char same_ip[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: thief, namespace: x}\n"
				      "status: {podIP: 198.18.0.1}\n";
	add.text = same_ip;
	add.len = strlen(same_ip);
	assert_int_equal(change(&st, &add, 1, &res), -EINVAL);
	assert_non_null(strstr(res.message, "address 198.18.0.1, as does pod x/web"));
	rr_result_free(&res);

	static const char bad_label[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: x, labels: {\"-x\": y}}\n";
	add.text = bad_label;
	add.len = strlen(bad_label);
	assert_int_equal(change(&st, &add, 1, &res), -EINVAL);
	assert_non_null(strstr(res.message, "dup.yaml:3"));
	rr_result_free(&res);

	static const char policy[] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				     "metadata: {name: p, namespace: x}\nspec: {podSelector: {}}\n";
	add.text = policy;
	add.len = strlen(policy);
	assert_int_equal(change(&st, &add, 1, &res), -EINVAL);
	assert_non_null(strstr(res.message, "objects other than Pods"));
	rr_result_free(&res);

	/* A failed change changes nothing: the next one starts from the same state. */
	assert_int_equal(change(&st, NULL, 0, &res), 0);
	assert_int_equal(res.revision, info_u64(st, "base_revision", 16));
	rr_result_free(&res);
	polc_artifact_free(st);
}

/*
 * Audit by pod annotation is the one switch rules cannot foresee: a pod
 * that brings it to a program compiled without it needs polc compile.
 */
static void test_needs_compile(void **state)
{
	(void)state;
	static const char inv[] = "apiVersion: v1\nkind: Pod\n"
				  "metadata: {name: db, namespace: x, labels: {app: db}, annotations: {polc.io/interface: lxc-db}}\n"
				  "status: {podIP: 198.18.0.1}\n";
	static const char pol[] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				  "metadata: {name: db-in, namespace: x}\n"
				  "spec:\n  podSelector: {matchLabels: {app: db}}\n"
				  "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]\n";
	const char *names[] = {"inv.yaml", "pol.yaml"};
	const char *texts[] = {inv, pol};
	struct polc_artifact *st = initial_state(names, texts, 2);
	/* No web pod yet, but the rule could need the exact-port probe: it is compiled in. */
	assert_true(section_contains(st, "meta/switches", "POLC_GEN_PROBE_PORT_EXACT\t1"));
	assert_true(section_contains(st, "meta/switches", "POLC_GEN_HAVE_AUDIT\t0"));
	static const char web[] = "apiVersion: v1\nkind: Pod\n"
				  "metadata: {name: web, namespace: x, labels: {app: web}}\n"
				  "status: {podIP: 198.18.0.5}\n";
	struct rr_change c = {.op = RR_ADD, .text = web, .len = strlen(web), .text_name = "web.yaml"};
	struct rr_result res;
	assert_int_equal(change(&st, &c, 1, &res), 0);
	assert_int_equal(n_entries(st, POLC_MAP_POLICY), 1);
	rr_result_free(&res);

	static const char db2[] = "apiVersion: v1\nkind: Pod\n"
				  "metadata: {name: db2, namespace: x, labels: {app: db}, annotations: {polc.io/audit: \"true\"}}\n"
				  "status: {podIP: 198.18.0.6}\n";
	c.text = db2;
	c.len = strlen(db2);
	assert_int_equal(change(&st, &c, 1, &res), 0); /* remote: no endpoint, no audit flag */
	rr_result_free(&res);
	static const char db3[] = "apiVersion: v1\nkind: Pod\n"
				  "metadata: {name: db3, namespace: x, labels: {app: db}, annotations: {polc.io/audit: \"true\", "
				  "polc.io/interface: lxc-db3}}\n"
				  "status: {podIP: 198.18.0.7}\n";
	c.text = db3;
	c.len = strlen(db3);
	assert_int_equal(change(&st, &c, 1, &res), -EOPNOTSUPP);
	assert_non_null(strstr(res.message, "POLC_GEN_HAVE_AUDIT 1"));
	assert_non_null(strstr(res.message, "needs polc compile"));
	rr_result_free(&res);
	polc_artifact_free(st);

	/* The other way round: compiled with it, the last pod needing it may go. */
	static const char inv2[] = "apiVersion: v1\nkind: Pod\n"
				   "metadata: {name: db, namespace: x, labels: {app: db}, annotations: {polc.io/interface: lxc-db, "
				   "polc.io/audit: \"true\"}}\n"
				   "status: {podIP: 198.18.0.5}\n";
	texts[0] = inv2;
	st = initial_state(names, texts, 2);
	assert_true(section_contains(st, "meta/switches", "POLC_GEN_HAVE_AUDIT\t1"));
	struct rr_change d = {.op = RR_DELETE, .namespace = "x", .name = "db"};
	assert_int_equal(change(&st, &d, 1, &res), 0);
	rr_result_free(&res);
	polc_artifact_free(st);
}

static void test_no_sources(void **state)
{
	(void)state;
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	assert_int_equal(polc_artifact_add(w, "meta/info", "revision=0123456789abcdef\nendpoints_max=1\n", 42), 0);
	void *art;
	size_t size;
	assert_int_equal(polc_artifact_serialize(w, &art, &size), 0);
	polc_artifact_writer_free(w);
	struct polc_artifact *a = NULL, *st = NULL;
	char msg[128];
	assert_int_equal(polc_artifact_parse(art, size, &a, msg, sizeof(msg)), 0);
	void *s;
	assert_int_equal(rr_initial_state(a, NULL, &s, &size), 0);
	assert_int_equal(polc_artifact_parse(s, size, &st, msg, sizeof(msg)), 0);
	struct rr_result res;
	assert_int_equal(change(&st, NULL, 0, &res), -EPROTO);
	assert_non_null(strstr(res.message, "carries no sources"));
	rr_result_free(&res);
	free(art);
	free(s);
	polc_artifact_free(a);
	polc_artifact_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_change_keeps_everything),
		cmocka_unit_test(test_add_new_label_set),
		cmocka_unit_test(test_add_known_label_set),
		cmocka_unit_test(test_relabel),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_needs_compile),
		cmocka_unit_test(test_no_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

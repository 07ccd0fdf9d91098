/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Re-resolution (pods added without clang) under HTTP rules: the live
 * program's HTTP tables are compiled in, so a change is accepted only
 * when the rule sets come out byte for byte the same (the switch
 * POLC_GEN_HTTP_TABLES), and refused with "needs polc compile" when a
 * pod brings a rule set the program does not have. Set ids follow the
 * sets' contents, so a new pod with rules that exist already renumbers
 * nothing.
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
	"- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: web, namespace: x, labels: {app: web}, annotations: {polc.io/interface: lxc-web}}\n"
	"  status: {podIP: 198.18.0.1}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: client, namespace: x, labels: {app: client}}\n"
	"  status: {podIP: 198.18.0.2}\n";

/* client and client2 share one HTTP rule set; other has its own. */
static const char policies[] =
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: web, namespace: x}\n"
	"spec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress:\n"
	"  - fromEndpoints: [{matchExpressions: [{key: app, operator: In, values: [client, client2]}]}]\n"
	"    toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http: [{method: GET}]}}]\n"
	"  - fromEndpoints: [{matchLabels: {app: other}}]\n"
	"    toPorts: [{ports: [{port: \"80\", protocol: TCP}], rules: {http: [{method: PUT}]}}]\n";

static const struct codegen_sizes sizes = {.endpoints = 64, .ipcache = 1024, .policy = 1024, .rules = 2,
					   .http = {8192, 4096, 100, 64}};

static struct polc_artifact *initial_state(void)
{
	struct arena *a = arena_new();
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp = {0};
	struct frontend fe;
	const char *names[] = {"inventory.yaml", "policies.yaml"}, *texts[] = {inventory, policies};
	source_set_init(&sources, a);
	diag_sink_init(&diags, a, &sources);
	assert_int_equal(ir_program_init(&prog, a), 0);
	assert_int_equal(frontend_init(&fe, &prog, &diags, &sources, NULL), 0);
	for (size_t i = 0; i < 2; i++) {
		int id = source_add_buffer(&sources, names[i], texts[i], strlen(texts[i]));
		assert_true(id > 0);
		assert_int_equal(frontend_load_file(&fe, (uint32_t)id), 0);
	}
	assert_int_equal(frontend_finish(&fe), 0);
	driver_canonicalize(&prog);
	assert_int_equal(driver_run_passes(a, &diags, &prog, &dp), 0);
	assert_true(dp.features.have_l7_http);
	void *art = NULL, *state = NULL;
	size_t art_size = 0, state_size = 0;
	assert_int_equal(codegen_artifact(&prog, &dp, &sources, &sizes, "ELF", 3, &art, &art_size), 0);
	struct polc_artifact *artifact = NULL, *st = NULL;
	char msg[256];
	assert_int_equal(polc_artifact_parse(art, art_size, &artifact, msg, sizeof(msg)), 0);
	assert_int_equal(rr_initial_state(artifact, "", &state, &state_size), 0);
	assert_int_equal(polc_artifact_parse(state, state_size, &st, msg, sizeof(msg)), 0);
	free(art);
	free(state);
	polc_artifact_free(artifact);
	arena_free(a);
	return st;
}

static int add_pod(struct polc_artifact **st, const char *name, const char *app, const char *ip, struct rr_result *res)
{
	char text[512];
	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: x, labels: {app: %s}}\n"
		 "status: {podIP: %s}\n",
		 name, app, ip);
	struct rr_change c = {.op = RR_ADD, .text = text, .len = strlen(text), .text_name = name};
	int rc = reresolve(*st, &c, 1, &sizes, NULL, res);
	if (rc == 0) {
		struct polc_artifact *next = NULL;
		char msg[256];
		assert_int_equal(polc_artifact_parse(res->state, res->state_size, &next, msg, sizeof(msg)), 0);
		polc_artifact_free(*st);
		*st = next;
	}
	return rc;
}

static void test_same_sets_accepted(void **state)
{
	(void)state;
	struct polc_artifact *st = initial_state();
	struct rr_result res;
	/* Another client: the same label set. */
	assert_int_equal(add_pod(&st, "client-b", "client", "198.18.0.3", &res), 0);
	rr_result_free(&res);
	/* client2: a new identity, but the rule set it gets exists already. */
	assert_int_equal(add_pod(&st, "c2", "client2", "198.18.0.4", &res), 0);
	rr_result_free(&res);
	polc_artifact_free(st);
}

static void test_new_set_needs_compile(void **state)
{
	(void)state;
	struct polc_artifact *st = initial_state();
	struct rr_result res;
	/* other brings the PUT rules: a set the live program's tables do not hold. */
	int rc = add_pod(&st, "o", "other", "198.18.0.5", &res);
	assert_int_equal(rc, -EOPNOTSUPP);
	assert_non_null(res.message);
	assert_non_null(strstr(res.message, "needs polc compile"));
	assert_non_null(strstr(res.message, "POLC_GEN_HTTP_TABLES"));
	rr_result_free(&res);
	polc_artifact_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_sets_accepted),
		cmocka_unit_test(test_new_set_needs_compile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

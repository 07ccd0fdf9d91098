/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The L7 pass (compiler/passes/l7.c): which HTTP rule set each policy
 * entry gets, under Cilium's union semantics, and what the sets' DFAs
 * accept. Policies are built by hand (ir_builder.h), HTTP rules decoded
 * from YAML by the real decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "driver/driver.h"
#include "frontend/cilium_http.h"
#include "frontend/yaml.h"
#include "grammar/regex.h"
#include "ir_builder.h"
#include "passes/passes.h"

struct t {
	struct arena *arena;
	struct source_set src;
	struct diag_sink diags;
	struct ir_program prog;
	struct ir_datapath dp;
	struct ir_policy *pol;
};

static struct t *t_new(void)
{
	struct t *t = calloc(1, sizeof(*t));
	t->arena = arena_new();
	source_set_init(&t->src, t->arena);
	diag_sink_init(&t->diags, t->arena, &t->src);
	ir_program_init(&t->prog, t->arena);
	tb_namespace(&t->prog, "x");
	tb_pod(&t->prog, "x", "web", "app=web", "198.18.0.10", "lxc-web");
	tb_pod(&t->prog, "x", "a", "app=a", "198.18.0.20", NULL);
	tb_pod(&t->prog, "x", "b", "app=b", "198.18.0.30", NULL);
	t->pol = tb_policy(&t->prog, IR_POLICY_CNP, "x", "p", "k8s:app=web,k8s:io.kubernetes.pod.namespace=x", true,
			   false);
	return t;
}

static void t_free(struct t *t)
{
	arena_free(t->arena);
	free(t);
}

static struct ir_l7 *http(struct t *t, const char *yaml)
{
	int id = source_add_buffer(&t->src, "http.yaml", yaml, strlen(yaml));
	struct ystream ys;
	struct decoder d;
	struct ir_l7 *l7 = NULL;
	struct ypath p = YPATH_KEY(NULL, "http");
	assert_int_equal(yaml_load(t->arena, &t->diags, &t->src, (uint32_t)id, &yaml_default_limits, &ys), 0);
	decoder_init(&d, t->arena, &t->diags);
	assert_true(cilium_http_decode(&d, ys.docs[0].root, &p, (struct src_loc){0}, &l7));
	return l7;
}

/* An ingress rule of web: from peer (a selector, or NULL: every peer) on TCP lo..hi, with HTTP rules or none. */
static struct ir_rule *rule(struct t *t, const char *peer, uint16_t lo, uint16_t hi, const char *http_yaml)
{
	struct ir_rule *r = ir_rule_new(&t->prog, t->pol, IR_INGRESS, IR_ALLOW);
	if (peer)
		tb_peer_selector(&t->prog, r, peer);
	else
		tb_peer_all(&t->prog, r);
	tb_port(&t->prog, r, IR_PROTO_TCP, lo, hi, NULL);
	if (http_yaml)
		r->ports[0].l7 = http(t, http_yaml);
	return r;
}

static int run(struct t *t)
{
	int err = driver_run_passes(t->arena, &t->diags, &t->prog, &t->dp);
	if (err && err != -EINVAL)
		fail_msg("passes: %d", err);
	return err;
}

static uint32_t identity_of(struct t *t, const char *app)
{
	for (size_t i = 0; i < t->prog.pods.len; i++)
		if (strcmp(ir_labels_get(&t->prog.pods.items[i].labels, "app"), app) == 0)
			return t->dp.pod_identity[i];
	fail_msg("no pod app=%s", app);
	return 0;
}

/* The entry (policy of web's ingress, peer, TCP, kind, port), or NULL. */
static const struct dp_policy_entry *entry(struct t *t, uint32_t peer, uint8_t kind, uint16_t port)
{
	uint32_t policy = t->dp.endpoints.items[0].policy[IR_INGRESS];
	for (size_t i = 0; i < t->dp.entries.len; i++) {
		const struct dp_policy_entry *e = &t->dp.entries.items[i];
		if (e->key.policy == policy && e->key.peer == peer && e->key.proto == IR_PROTO_TCP &&
		    e->key.port_kind == kind && e->key.port == port)
			return e;
	}
	return NULL;
}

static const struct dp_http_set *set(struct t *t, uint16_t id)
{
	assert_true(id >= 1 && id <= t->dp.http_sets.len);
	return t->dp.http_sets.items[id - 1];
}

/* The rules (bits) of set s whose field DFA accepts value (NULL DFA: all). */
static uint64_t accepts(const struct dp_http_set *s, const struct dfa *d, const char *value)
{
	uint64_t all = s->n_rules == 64 ? ~0ull : (1ull << s->n_rules) - 1;
	if (!d)
		return all;
	uint32_t a = dfa_match(d, (const uint8_t *)value, strlen(value));
	uint64_t m = 0;
	for (size_t i = 0; i < s->n_rules; i++)
		if (dfa_set_has(d, a, (uint32_t)i))
			m |= 1ull << i;
	return m;
}

/* One rule set, its DFAs per field. */
static void test_single_rule(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 80, 80, "- {method: GET, path: '/public(/.*)?'}\n- {method: 'PUT|POST', host: api}\n");
	assert_int_equal(run(t), 0);
	assert_true(t->dp.features.have_l7_http);
	const struct dp_policy_entry *e = entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80);
	assert_non_null(e);
	assert_int_equal(e->value.l7, 1);
	const struct dp_http_set *s = set(t, 1);
	assert_int_equal(s->n_rules, 2);
	assert_int_equal(accepts(s, s->method, "GET"), 1);
	assert_int_equal(accepts(s, s->method, "POST"), 2);
	assert_int_equal(accepts(s, s->method, "GETX"), 0);
	assert_int_equal(accepts(s, s->path, "/public/x"), 3);
	assert_int_equal(accepts(s, s->path, "/private"), 2);
	assert_int_equal(accepts(s, s->host, "api"), 3);
	assert_int_equal(accepts(s, s->host, "api2"), 1);
	assert_int_equal(s->host_optional, 1);
	assert_int_equal(s->rule_ids[0], 0);
	t_free(t);
}

/* Cilium's union: HTTP rules of two rules covering the same peer and port add up; an L4-only rule opens it. */
static void test_union_and_open(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 80, 80, "- {method: GET}\n");
	rule(t, "k8s:app=a", 80, 80, "- {method: POST}\n");
	rule(t, "k8s:app=b", 80, 80, "- {method: GET}\n");
	rule(t, "k8s:app=b", 80, 80, NULL);
	assert_int_equal(run(t), 0);
	const struct dp_policy_entry *ea = entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80);
	const struct dp_http_set *s = set(t, ea->value.l7);
	assert_int_equal(s->n_rules, 2);
	assert_int_equal(accepts(s, s->method, "GET") | accepts(s, s->method, "POST"), 3);
	assert_int_equal(s->rule_ids[0], 0);
	assert_int_equal(s->rule_ids[1], 1);
	/* b: one of its rules has no HTTP rules: every request. */
	const struct dp_policy_entry *eb = entry(t, identity_of(t, "b"), POLC_PORT_EXACT, 80);
	assert_int_equal(eb->value.l7, 0);
	t_free(t);
}

/* Peer-any entries are hit with every identity: their rules join the identity's set. */
static void test_any_peer_folded(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, NULL, 80, 80, "- {path: /shared}\n");
	rule(t, "k8s:app=a", 80, 80, "- {path: /mine}\n");
	assert_int_equal(run(t), 0);
	const struct dp_policy_entry *ea = entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80);
	const struct dp_policy_entry *any = entry(t, POLC_PEER_ANY, POLC_PORT_EXACT, 80);
	assert_non_null(ea);
	assert_non_null(any);
	const struct dp_http_set *sa = set(t, ea->value.l7), *sany = set(t, any->value.l7);
	assert_int_equal(sa->n_rules, 2);
	assert_int_equal(sany->n_rules, 1);
	assert_int_not_equal(accepts(sa, sa->path, "/shared"), 0);
	assert_int_not_equal(accepts(sa, sa->path, "/mine"), 0);
	assert_int_equal(accepts(sany, sany->path, "/mine"), 0);
	t_free(t);
}

/*
 * A range with HTTP rules for one peer and an exact port inside it with
 * HTTP rules for every peer: the peer gets an exact entry with both,
 * so its most specific hit is complete.
 */
static void test_range_materialised(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 9000, 9010, "- {path: /range}\n");
	rule(t, NULL, 9005, 9005, "- {path: /exact}\n");
	assert_int_equal(run(t), 0);
	uint32_t a = identity_of(t, "a");
	const struct dp_policy_entry *ex = entry(t, a, POLC_PORT_EXACT, 9005);
	assert_non_null(ex);
	assert_int_equal(ex->value.action, POLC_ACT_ALLOW);
	assert_int_equal(ex->value.rule, 0);
	const struct dp_http_set *s = set(t, ex->value.l7);
	assert_int_equal(s->n_rules, 2);
	/* The range entry itself keeps the range's rules (the peer-any exact entry has no range). */
	uint16_t cls = t->dp.ports->cls[POLC_PSLOT_TCP][9001];
	const struct dp_policy_entry *rg = entry(t, a, POLC_PORT_RANGE, cls);
	assert_non_null(rg);
	const struct dp_http_set *sr = set(t, rg->value.l7);
	assert_int_equal(sr->n_rules, 1);
	assert_int_not_equal(accepts(sr, sr->path, "/range"), 0);
	assert_true(t->dp.features.probe_port_exact);
	t_free(t);
}

/* Same rules written twice collapse; a rule that matches nothing is left out. */
static void test_dedupe_and_never(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 80, 80, "- {method: GET, headers: ['X-A: 1']}\n- {method: GET, headers: ['x-a: 1']}\n"
				     "- {headers: ['X-Bad:1']}\n");
	assert_int_equal(run(t), 0);
	const struct dp_http_set *s = set(t, entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80)->value.l7);
	assert_int_equal(s->n_rules, 1);
	assert_int_equal(s->n_names, 1);
	assert_string_equal(s->names_lc[0], "x-a");
	assert_int_equal(s->n_cons, 1);
	assert_string_equal(s->cons[0].value, "1");
	assert_int_equal(s->cons[0].rules, 1);
	t_free(t);
}

/* Header names: the parser's special names, then the rules' names, ASCII case folded. */
static void test_header_names_and_values(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 80, 80, "- {headers: ['X-Token: s3cret', X-Trace]}\n"
				     "- headerMatches: [{name: x-token, value: other}]\n");
	assert_int_equal(run(t), 0);
	const struct dp_http_set *s = set(t, entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80)->value.l7);
	assert_int_equal(s->n_names, 2);
	assert_int_equal(s->n_cons, 3);
	const struct dfa *n = s->names;
	static const struct {
		const char *name;
		int bit;
	} want[] = {{"Content-Length", DP_HTTP_NAME_CONTENT_LENGTH}, {"TRANSFER-encoding", DP_HTTP_NAME_TRANSFER_ENCODING},
		    {"host", DP_HTTP_NAME_HOST}, {"Upgrade", DP_HTTP_NAME_UPGRADE},
		    {"X-TOKEN", DP_HTTP_NAME_FIRST_RULE}, {"x-trace", DP_HTTP_NAME_FIRST_RULE + 1}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t a = dfa_match(n, (const uint8_t *)want[i].name, strlen(want[i].name));
		assert_true(dfa_set_has(n, a, (uint32_t)want[i].bit));
	}
	uint32_t a = dfa_match(n, (const uint8_t *)"x-tokens", 8);
	assert_int_equal(a, 0);
	/* Values: "s3cret" meets constraint 0 only; "other" the headerMatches one. */
	const struct dfa *v = s->values;
	a = dfa_match(v, (const uint8_t *)"s3cret", 6);
	assert_true(dfa_set_has(v, a, 0));
	assert_false(dfa_set_has(v, a, 2));
	t_free(t);
}

/* Over the bounds: more than 64 HTTP rules for one peer and port, a regex whose DFA explodes. */
static void test_limits(void **state)
{
	(void)state;
	struct t *t = t_new();
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 65; i++)
		strbuf_printf(&sb, "- {path: /p%d}\n", i);
	rule(t, "k8s:app=a", 80, 80, strbuf_cstr(&sb));
	strbuf_free(&sb);
	assert_int_equal(run(t), -EINVAL);
	bool found = false;
	for (size_t i = 0; i < t->diags.diags.len; i++)
		found |= strcmp(t->diags.diags.items[i].code, "too-many-http-rules") == 0;
	assert_true(found);
	t_free(t);

	t = t_new();
	rule(t, "k8s:app=a", 80, 80, "- {path: '[ab]*a[ab]{20}'}\n");
	assert_int_equal(run(t), -EINVAL);
	const struct diag *d = &t->diags.diags.items[0];
	assert_string_equal(d->code, "regex-too-complex");
	t_free(t);
}

/*
 * An address hitting an identity entry and a CIDR entry, both with HTTP
 * rules (Cilium: toEntities world and toCIDR, each with its rules): the
 * datapath looks their union up in a table of the pairs the ipcache holds.
 */
static void test_identity_cidr_union(void **state)
{
	(void)state;
	struct t *t = t_new();
	struct ir_rule *w = ir_rule_new(&t->prog, t->pol, IR_INGRESS, IR_ALLOW);
	tb_peer_entities(&t->prog, w, IR_ENTITY_WORLD);
	tb_port(&t->prog, w, IR_PROTO_TCP, 80, 80, NULL);
	w->ports[0].l7 = http(t, "- {path: /world}\n");
	struct ir_rule *c = ir_rule_new(&t->prog, t->pol, IR_INGRESS, IR_ALLOW);
	tb_peer_cidr(&t->prog, c, false, "203.0.113.0/24", NULL);
	tb_port(&t->prog, c, IR_PROTO_TCP, 80, 80, NULL);
	c->ports[0].l7 = http(t, "- {path: /cidr}\n");
	assert_int_equal(run(t), 0);
	const struct dp_policy_entry *ew = entry(t, POLC_ID_WORLD_IPV4, POLC_PORT_EXACT, 80);
	assert_non_null(ew);
	uint32_t cls = 0;
	for (size_t i = 0; i < t->dp.cidr_classes.len; i++)
		if (t->dp.cidr_classes.items[i].prefix.prefixlen == 24)
			cls = t->dp.cidr_classes.items[i].id;
	const struct dp_policy_entry *ec = entry(t, POLC_PEER_CIDR | cls, POLC_PORT_EXACT, 80);
	assert_non_null(ec);
	assert_int_not_equal(ew->value.l7, ec->value.l7);
	bool found = false;
	for (size_t i = 0; i < t->dp.http_unions.len; i++) {
		const struct dp_http_union *u = &t->dp.http_unions.items[i];
		if (u->a != ew->value.l7 || u->b != ec->value.l7)
			continue;
		found = true;
		const struct dp_http_set *s = set(t, u->u);
		assert_int_equal(s->n_rules, 2);
	}
	assert_true(found);
	t_free(t);
}

/* No HTTP rules anywhere: nothing changes, no feature. */
static void test_no_l7(void **state)
{
	(void)state;
	struct t *t = t_new();
	rule(t, "k8s:app=a", 80, 80, NULL);
	assert_int_equal(run(t), 0);
	assert_false(t->dp.features.have_l7_http);
	assert_int_equal(t->dp.http_sets.len, 0);
	assert_int_equal(entry(t, identity_of(t, "a"), POLC_PORT_EXACT, 80)->value.l7, 0);
	t_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_rule),
		cmocka_unit_test(test_union_and_open),
		cmocka_unit_test(test_any_peer_folded),
		cmocka_unit_test(test_range_materialised),
		cmocka_unit_test(test_dedupe_and_never),
		cmocka_unit_test(test_header_names_and_values),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_identity_cidr_union),
		cmocka_unit_test(test_no_l7),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

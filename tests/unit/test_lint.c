/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc lint's checks on policy IR built by hand (tests/unit/ir_builder.h):
 * the set relations they stand on (analysis/cover.h), and the checks on
 * IR the NetworkPolicy front end never produces (deny rules, entities,
 * Cilium port 0, cross-kind denies), so they are tested before any other
 * front end lowers into them. Positions that lint reads back from the
 * YAML come from a source text registered beside the IR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/cover.h"
#include "analysis/lint.h"
#include "ir_builder.h"
#include "passes/passes.h"

#define K8S "k8s:"
#define NS K8S IR_LABEL_NAMESPACE

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
	assert_non_null(f);
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

static void run_lint(struct fixture *f)
{
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
	assert_int_equal(err, 0);
	struct lint_input in = {
		.arena = f->arena, .diags = &f->diags, .sources = &f->sources, .prog = &f->prog, .dp = &f->dp};
	assert_int_equal(lint_run(&in), 0);
}

static void dump(const struct fixture *f)
{
	diag_print(&f->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
}

/* The diagnostic with this code at line (0: any) whose message holds msg (NULL: any), or NULL. */
static const struct diag *find(const struct fixture *f, const char *code, uint32_t line, const char *msg)
{
	for (size_t i = 0; i < f->diags.diags.len; i++) {
		const struct diag *d = &f->diags.diags.items[i];
		if (strcmp(d->code, code) == 0 && (!line || d->loc.line == line) && (!msg || strstr(d->message, msg)))
			return d;
	}
	return NULL;
}

static const struct diag *expect(const struct fixture *f, const char *code, uint32_t line, const char *msg)
{
	const struct diag *d = find(f, code, line, msg);
	if (!d) {
		fprintf(stderr, "expected %s at line %u containing \"%s\"; got:\n", code, line, msg ? msg : "");
		dump(f);
	}
	assert_non_null(d);
	return d;
}

static size_t count(const struct fixture *f, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < f->diags.diags.len; i++)
		n += strcmp(f->diags.diags.items[i].code, code) == 0;
	return n;
}

static struct src_loc at(uint32_t file, uint32_t line, uint32_t col)
{
	return (struct src_loc){.file = file, .line = line, .col = col, .len = 1};
}

static struct ir_rule *rule(struct fixture *f, struct ir_policy *p, enum ir_dir dir, enum ir_action action,
			    const char *path, struct src_loc loc)
{
	struct ir_rule *r = ir_rule_new(&f->prog, p, dir, action);
	r->path = path;
	r->loc = loc;
	return r;
}

/* ---- the relations -------------------------------------------------------- */

static void test_cover_selectors(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct arena *a = f->arena;
	struct ir_selector web = tb_selector(a, K8S "app=web");
	struct ir_selector web_fe = tb_selector(a, K8S "app=web," K8S "tier=fe");
	struct ir_selector has_app = tb_selector(a, K8S "app");
	struct ir_selector not_legacy = tb_selector(a, "!" K8S "legacy");
	struct ir_selector web_not_legacy = tb_selector(a, K8S "app=web,!" K8S "legacy");
	struct ir_selector all = tb_selector(a, "");
	assert_true(cover_selector(&web, &web_fe));
	assert_false(cover_selector(&web_fe, &web));
	assert_true(cover_selector(&has_app, &web));
	assert_false(cover_selector(&web, &has_app));
	assert_true(cover_selector(&not_legacy, &web_not_legacy));
	assert_false(cover_selector(&not_legacy, &web));
	assert_true(cover_selector(&all, &web));
	assert_false(cover_selector(&web, &all));

	/* app notin (db) follows from app in (web, api) and from app notin (db, cache). */
	const char *web_api[] = {"web", "api"}, *db[] = {"db"}, *db_cache[] = {"db", "cache"};
	struct ir_requirement r_in = {.key = K8S "app", .op = IR_SEL_IN, .values = web_api, .n_values = 2};
	struct ir_requirement r_notin = {.key = K8S "app", .op = IR_SEL_NOT_IN, .values = db, .n_values = 1};
	struct ir_requirement r_notin2 = {.key = K8S "app", .op = IR_SEL_NOT_IN, .values = db_cache, .n_values = 2};
	struct ir_selector s_in = {.reqs = &r_in, .n_reqs = 1}, s_notin = {.reqs = &r_notin, .n_reqs = 1},
			   s_notin2 = {.reqs = &r_notin2, .n_reqs = 1};
	assert_true(cover_selector(&s_notin, &s_in));
	assert_true(cover_selector(&s_notin, &s_notin2));
	assert_false(cover_selector(&s_notin2, &s_notin));
	assert_false(cover_selector(&s_in, &web_fe) && false);
	assert_true(cover_selector(&s_in, &web));

	/* A Cilium selector without source (any:app) is met by NetworkPolicy's k8s:app, not the reverse. */
	struct ir_selector any_web = tb_selector(a, "any:app=web");
	struct ir_selector bare_web = tb_selector(a, "app=web");
	struct ir_selector any_not_db = tb_selector(a, "!any:db");
	struct ir_selector k8s_not_db = tb_selector(a, "!" K8S "db");
	assert_true(cover_selector(&any_web, &web));
	assert_true(cover_selector(&bare_web, &web_fe));
	assert_false(cover_selector(&web, &any_web));
	assert_false(cover_selector(&any_not_db, &k8s_not_db)); /* another source may carry db */
	fixture_free(f);
}

static void test_cover_peers_and_ports(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	struct ir_policy *p = tb_policy(&f->prog, IR_POLICY_CNP, "shop", "p", K8S "app=api", true, true);
	struct ir_rule *outer = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(&f->prog, outer, false, "10.0.0.0/8", "10.5.0.0/16", NULL);
	tb_port(&f->prog, outer, IR_PROTO_TCP, 80, 90, NULL);
	tb_port(&f->prog, outer, IR_PROTO_UDP, 0, 0, NULL);
	struct ir_rule *inner = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(&f->prog, inner, false, "10.1.0.0/16", NULL);
	tb_port(&f->prog, inner, IR_PROTO_TCP, 85, 85, NULL);
	tb_port(&f->prog, inner, IR_PROTO_UDP, 53, 53, NULL);
	assert_true(cover_rule(outer, inner));
	assert_false(cover_rule(inner, outer));

	/* Inside the except: not covered; the except repeated inside: covered. */
	struct ir_rule *in_except = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(&f->prog, in_except, false, "10.5.1.0/24", NULL);
	assert_false(cover_peers(outer, in_except));
	struct ir_rule *around = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(&f->prog, around, false, "10.0.0.0/9", "10.5.0.0/16", NULL);
	assert_true(cover_peers(outer, around));
	/* A CIDR that matches endpoints is not covered by one that does not (ipBlock vs toCIDR). */
	struct ir_rule *ipblock = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_cidr(&f->prog, ipblock, true, "10.1.0.0/16", NULL);
	assert_false(cover_peers(outer, ipblock));

	/* Entities: all covers everything, world covers world-ipv4, cluster covers pods. */
	struct ir_rule *all = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_entities(&f->prog, all, IR_ENTITY_ALL);
	struct ir_rule *world = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_entities(&f->prog, world, IR_ENTITY_WORLD);
	struct ir_rule *world4 = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_entities(&f->prog, world4, IR_ENTITY_WORLD_IPV4);
	struct ir_rule *cluster = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_entities(&f->prog, cluster, IR_ENTITY_CLUSTER);
	struct ir_rule *pods = ir_rule_new(&f->prog, p, IR_EGRESS, IR_ALLOW);
	tb_peer_selector(&f->prog, pods, K8S "app=db," NS);
	assert_true(cover_peers(all, inner) && cover_peers(all, pods) && cover_peers(all, world));
	assert_true(cover_peers(world, world4));
	assert_false(cover_peers(world4, world));
	assert_true(cover_peers(cluster, pods));
	assert_false(cover_peers(world, pods));
	assert_true(rule_allows_all(all));
	assert_false(rule_allows_all(world));

	/* Ports: a named port is covered by itself and the protocol's wildcard only. */
	struct ir_rule *named = ir_rule_new(&f->prog, p, IR_INGRESS, IR_ALLOW);
	tb_peer_all(&f->prog, named);
	tb_port(&f->prog, named, IR_PROTO_TCP, 0, 0, "http");
	struct ir_rule *named2 = ir_rule_new(&f->prog, p, IR_INGRESS, IR_ALLOW);
	tb_peer_all(&f->prog, named2);
	tb_port(&f->prog, named2, IR_PROTO_TCP, 0, 0, "http");
	struct ir_rule *tcp_any = ir_rule_new(&f->prog, p, IR_INGRESS, IR_ALLOW);
	tb_peer_all(&f->prog, tcp_any);
	tb_port(&f->prog, tcp_any, IR_PROTO_TCP, 0, 0, NULL);
	assert_true(rules_equivalent(named, named2));
	assert_true(cover_ports(tcp_any, named));
	assert_false(cover_ports(named, tcp_any));
	assert_false(cover_ports(outer, named));
	assert_true(ports_overlap(named, tcp_any));
	/* ICMP type 0 is echo reply, not a wildcard. */
	struct ir_rule *icmp0 = ir_rule_new(&f->prog, p, IR_INGRESS, IR_ALLOW);
	tb_port(&f->prog, icmp0, IR_PROTO_ICMP, 0, 0, NULL);
	struct ir_rule *icmp8 = ir_rule_new(&f->prog, p, IR_INGRESS, IR_ALLOW);
	tb_port(&f->prog, icmp8, IR_PROTO_ICMP, 8, 8, NULL);
	assert_false(cover_ports(icmp0, icmp8));
	assert_true(rule_matches_port(icmp0, IR_PROTO_ICMP, 0));
	assert_false(rule_matches_port(icmp0, IR_PROTO_ICMP, 8));
	fixture_free(f);
}

/* ---- the checks on Cilium-shaped IR --------------------------------------- */

static const char cnp_yaml[] = "apiVersion: cilium.io/v2\n"               /* 1 */
			       "kind: CiliumNetworkPolicy\n"              /* 2 */
			       "metadata: {name: deny-web, namespace: shop}\n" /* 3 */
			       "spec:\n"                                  /* 4 */
			       "  endpointSelector: {matchLabels: {app: api}}\n" /* 5 */
			       "  ingressDeny:\n"                         /* 6 */
			       "  - fromEndpoints: [{matchLabels: {app: web}}]\n" /* 7 */
			       "  egress:\n"                              /* 8 */
			       "  - toEndpoints: [{matchLabels: {app: db}}]\n" /* 9 */
			       "    toPorts:\n"                           /* 10 */
			       "    - ports:\n"                           /* 11 */
			       "      - port: \"0\"\n"                    /* 12 */
			       "        protocol: TCP\n";                 /* 13 */

static void add_pods(struct fixture *f)
{
	tb_namespace(&f->prog, "shop");
	tb_pod(&f->prog, "shop", "web", "app=web", "198.18.0.1", "lxc-web");
	struct ir_pod *api = tb_pod(&f->prog, "shop", "api", "app=api", "198.18.0.2", "lxc-api");
	tb_pod_port(&f->prog, api, "http", IR_PROTO_TCP, 8080);
	tb_pod(&f->prog, "shop", "db", "app=db", "198.18.0.3", "lxc-db");
	struct ir_pod *dns = tb_pod(&f->prog, "shop", "dns", "app=dns", "198.18.0.53", NULL);
	tb_pod_port(&f->prog, dns, "dns", IR_PROTO_UDP, 53);
}

/* A CiliumNetworkPolicy deny cancels a NetworkPolicy allow of the same pods. */
static void test_deny_overrides_allow_across_kinds(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	add_pods(f);
	uint32_t np_file = (uint32_t)source_add_buffer(&f->sources, "np.yaml", "# np\n", 5);
	uint32_t cnp_file = (uint32_t)source_add_buffer(&f->sources, "cnp.yaml", cnp_yaml, strlen(cnp_yaml));

	struct ir_policy *np = tb_policy(&f->prog, IR_POLICY_K8S, "shop", "api-from-web",
					 K8S "app=api," NS "=shop", true, false);
	np->loc = at(np_file, 1, 1);
	struct ir_rule *allow = rule(f, np, IR_INGRESS, IR_ALLOW, "spec.ingress[0]", at(np_file, 12, 5));
	tb_peer_selector(&f->prog, allow, K8S "app=web," NS "=shop");
	tb_port(&f->prog, allow, IR_PROTO_TCP, 0, 0, "http");

	struct ir_policy *cnp = tb_policy(&f->prog, IR_POLICY_CNP, "shop", "deny-web", K8S "app=api," NS "=shop",
					  true, true);
	cnp->loc = at(cnp_file, 2, 1);
	struct ir_rule *deny = rule(f, cnp, IR_INGRESS, IR_DENY, "spec.ingressDeny[0]", at(cnp_file, 7, 5));
	tb_peer_selector(&f->prog, deny, K8S "app=web," NS "=shop");
	struct ir_rule *egress = rule(f, cnp, IR_EGRESS, IR_ALLOW, "spec.egress[0]", at(cnp_file, 9, 5));
	tb_peer_selector(&f->prog, egress, K8S "app=db," NS "=shop");
	tb_port(&f->prog, egress, IR_PROTO_TCP, 0, 0, NULL);
	egress->ports[0].path = "spec.egress[0].toPorts[0].ports[0]";
	egress->ports[0].loc = at(cnp_file, 12, 9);
	run_lint(f);

	/* At the ingressDeny section, naming the dead allow of the other policy. */
	const struct diag *d = expect(f, "deny-overrides-allow", 6, "denies everything spec.ingress[0] of NetworkPolicy "
							      "shop/api-from-web (np.yaml:12) allows");
	assert_string_equal(d->path, "spec.ingressDeny[0]");
	assert_int_equal(d->loc.col, 3);
	/* Port "0" read back from the YAML, at its scalar. */
	d = expect(f, "port-zero", 12, "port 0 means every TCP port");
	assert_string_equal(d->path, "spec.egress[0].toPorts[0].ports[0].port");
	assert_int_equal(d->loc.col, 15);
	/* Egress default deny of api without DNS. */
	expect(f, "egress-no-dns", 0, "pod shop/api cannot resolve names");
	fixture_free(f);
}

/* A front end that reported port 0 itself is not repeated. */
static void test_port_zero_once(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	add_pods(f);
	uint32_t file = (uint32_t)source_add_buffer(&f->sources, "cnp.yaml", cnp_yaml, strlen(cnp_yaml));
	struct ir_policy *cnp = tb_policy(&f->prog, IR_POLICY_CNP, "shop", "p", K8S "app=api," NS "=shop", false, true);
	cnp->loc = at(file, 2, 1);
	struct ir_rule *egress = rule(f, cnp, IR_EGRESS, IR_ALLOW, "spec.egress[0]", at(file, 9, 5));
	tb_peer_selector(&f->prog, egress, K8S "app=db," NS "=shop");
	/* protocol ANY: three IR ports from one YAML port. */
	for (uint8_t proto = 0; proto < 3; proto++) {
		static const uint8_t protos[] = {IR_PROTO_TCP, IR_PROTO_UDP, IR_PROTO_SCTP};
		tb_port(&f->prog, egress, protos[proto], 0, 0, NULL);
		egress->ports[proto].path = "spec.egress[0].toPorts[0].ports[0].port";
		egress->ports[proto].loc = at(file, 12, 15);
	}
	run_lint(f);
	assert_int_equal(count(f, "port-zero"), 1);

	struct fixture *g = fixture_new();
	add_pods(g);
	file = (uint32_t)source_add_buffer(&g->sources, "cnp.yaml", cnp_yaml, strlen(cnp_yaml));
	cnp = tb_policy(&g->prog, IR_POLICY_CNP, "shop", "p", K8S "app=api," NS "=shop", false, true);
	egress = rule(g, cnp, IR_EGRESS, IR_ALLOW, "spec.egress[0]", at(file, 9, 5));
	tb_peer_all(&g->prog, egress);
	tb_port(&g->prog, egress, IR_PROTO_TCP, 0, 0, NULL);
	egress->ports[0].path = "spec.egress[0].toPorts[0].ports[0]";
	egress->ports[0].loc = at(file, 12, 9);
	diag_warning(&g->diags, at(file, 12, 15), "spec.egress[0].toPorts[0].ports[0].port", "port-zero", NULL,
		     "port 0 means every TCP port");
	run_lint(g);
	assert_int_equal(count(g, "port-zero"), 1);
	fixture_free(g);
	fixture_free(f);
}

/* Entities and excepts: world allows again what an except keeps out; entity all is allow-all. */
static void test_entities(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	add_pods(f);
	struct ir_policy *p = tb_policy(&f->prog, IR_POLICY_CNP, "shop", "web-out", K8S "app=web," NS "=shop", false,
					true);
	struct ir_rule *cidr = rule(f, p, IR_EGRESS, IR_ALLOW, "spec.egress[0]", at(0, 0, 0));
	tb_peer_cidr(&f->prog, cidr, false, "203.0.113.0/24", "203.0.113.128/25", NULL);
	cidr->peers[0].path = "spec.egress[0].toCIDRSet[0]";
	tb_port(&f->prog, cidr, IR_PROTO_TCP, 443, 443, NULL);
	struct ir_rule *world = rule(f, p, IR_EGRESS, IR_ALLOW, "spec.egress[1]", at(0, 0, 0));
	tb_peer_entities(&f->prog, world, IR_ENTITY_WORLD);
	struct ir_rule *dns = rule(f, p, IR_EGRESS, IR_ALLOW, "spec.egress[2]", at(0, 0, 0));
	tb_peer_selector(&f->prog, dns, K8S "app=dns," NS "=shop");
	tb_port(&f->prog, dns, IR_PROTO_UDP, 0, 0, "dns");

	struct ir_policy *q = tb_policy(&f->prog, IR_POLICY_CCNP, NULL, "open", K8S "app=db", true, false);
	struct ir_rule *all = rule(f, q, IR_INGRESS, IR_ALLOW, "spec.ingress[0]", at(0, 0, 0));
	tb_peer_entities(&f->prog, all, IR_ENTITY_ALL);
	struct ir_rule *narrow = rule(f, q, IR_INGRESS, IR_ALLOW, "spec.ingress[1]", at(0, 0, 0));
	tb_peer_selector(&f->prog, narrow, K8S "app=api," NS "=shop");
	run_lint(f);

	const struct diag *d = expect(f, "except-reallowed", 0, "except 203.0.113.128/25 is allowed again by an entity");
	assert_string_equal(d->path, "spec.egress[0].toCIDRSet[0]");
	/*
	 * Not redundant-rule: a CIDR may hold node addresses, which are not
	 * world (the relations only claim what holds for every inventory).
	 */
	assert_null(find(f, "redundant-rule", 0, "spec.egress[1]"));
	expect(f, "allow-all-rule", 0, "spec.ingress[1] is redundant");
	/* DNS through the named port the dns pod declares: no warning. */
	assert_null(find(f, "egress-no-dns", 0, NULL));
	fixture_free(f);
}

/* Two rules from one YAML node (an alias the front end did not fold) are one duplicate. */
static void test_alias_duplicate(void **state)
{
	(void)state;
	struct fixture *f = fixture_new();
	add_pods(f);
	uint32_t file = (uint32_t)source_add_buffer(&f->sources, "p.yaml", "# p\n", 4);
	struct ir_policy *p = tb_policy(&f->prog, IR_POLICY_CNP, "shop", "p", K8S "app=api," NS "=shop", true, false);
	for (int i = 0; i < 3; i++) {
		static const char *const paths[] = {"spec.ingress[0]", "spec.ingress[1]", "spec.ingress[2]"};
		struct ir_rule *r = rule(f, p, IR_INGRESS, IR_ALLOW, paths[i], at(file, 7, 5));
		tb_peer_selector(&f->prog, r, K8S "app=web," NS "=shop");
	}
	run_lint(f);
	assert_int_equal(count(f, "duplicate-rule"), 2);
	expect(f, "duplicate-rule", 7, "repeats spec.ingress[0] through a YAML alias");
	assert_int_equal(count(f, "redundant-rule"), 0);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cover_selectors),
		cmocka_unit_test(test_cover_peers_and_ports),
		cmocka_unit_test(test_deny_overrides_allow_across_kinds),
		cmocka_unit_test(test_port_zero_once),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_alias_duplicate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

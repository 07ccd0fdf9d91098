/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * DNS rules and toFQDNs before the datapath: the Cilium front end
 * (cilium_dns.c and the checks of cilium_l7.c and cilium_l4.c), the L7
 * pass's DNS sets (passes/l7.c) and the toFQDNs groups (passes/dns.c),
 * and the two verdict models (dp_sim, the reference evaluator) on
 * addresses learned for names. Line numbers count from the first line of
 * the text.
 */
#include "driver/driver.h"
#include "fe_test.h"

#include <arpa/inet.h>

#include "analysis/verdict.h"
#include "grammar/regex.h"
#include "passes/passes.h"

/* Lines 1-7; the rule body starts at line 8. */
#define CNP                                                     \
	"apiVersion: cilium.io/v2\n"                            \
	"kind: CiliumNetworkPolicy\n"                           \
	"metadata:\n"                                           \
	"  name: p\n"                                           \
	"  namespace: shop\n"                                   \
	"spec:\n"                                               \
	"  endpointSelector: {matchLabels: {app: web}}\n"

static struct fx *load_ok(const char *text)
{
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = fx_load(fx, text);
	if (!err)
		err = frontend_finish(&fx->fe);
	if (err)
		fx_dump(fx);
	assert_int_equal(err, 0);
	fx_expect_no_errors(fx);
	return fx;
}

static struct fx *load_bad(const char *text)
{
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = fx_load(fx, text);
	if (!err)
		fx_dump(fx);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(fx->prog.policies.len, 0);
	return fx;
}

/* Does regex (as the DFAs read it: ASCII case folded) match name? */
static bool re_matches(const char *regex, const char *name)
{
	struct arena *a = arena_new();
	struct dfa *dfa;
	assert_int_equal(regex_compile(a, regex, strlen(regex), REGEX_ICASE_ASCII, NULL, &dfa, NULL), 0);
	bool m = dfa_match(dfa, (const uint8_t *)name, strlen(name)) != 0;
	arena_free(a);
	return m;
}

/* ---- front end ------------------------------------------------------------------- */

static void test_dns_rules_lowered(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  egress:\n"
				"  - toEndpoints: [{matchLabels: {k8s-app: kube-dns}}]\n"
				"    toPorts:\n"
				"    - ports: [{port: \"53\", protocol: ANY}]\n"
				"      rules:\n"
				"        dns:\n"
				"        - matchName: API.Example.com\n"
				"        - matchPattern: \"*.example.org.\"\n"
				"        - matchPattern: \"**.deep.example.net\"\n"
				"        - matchPattern: \"*\"\n");
	assert_int_equal(fx->prog.rules.len, 1);
	const struct ir_rule *r = fx->prog.rules.items[0];
	/* ANY is TCP, UDP and SCTP: all three carry the item's DNS rules. */
	assert_int_equal(r->n_ports, 3);
	const struct ir_l7 *l7 = r->ports[0].l7;
	assert_non_null(l7);
	for (size_t i = 0; i < r->n_ports; i++)
		assert_ptr_equal(r->ports[i].l7, l7);
	assert_int_equal(l7->n_dns, 4);
	assert_int_equal(l7->n_http, 0);
	assert_false(l7->dns[0].pattern);
	assert_string_equal(l7->dns[0].text, "API.Example.com");
	assert_true(re_matches(l7->dns[0].regex, "api.example.com."));
	assert_true(re_matches(l7->dns[0].regex, "API.EXAMPLE.COM."));
	assert_false(re_matches(l7->dns[0].regex, "xapi.example.com."));
	assert_true(re_matches(l7->dns[1].regex, "a.example.org."));
	assert_false(re_matches(l7->dns[1].regex, "a.b.example.org."));
	assert_false(re_matches(l7->dns[1].regex, "example.org."));
	assert_true(re_matches(l7->dns[2].regex, "a.b.c.deep.example.net."));
	assert_false(re_matches(l7->dns[2].regex, "deep.example.net."));
	/* A DNS rule of only stars: every name, as Cilium's proxy reads it. */
	assert_string_equal(l7->dns[3].regex, "\\C*");
	assert_true(re_matches(l7->dns[3].regex, "w(e)ird\\.name."));
	assert_int_equal(l7->dns[3].loc.line, 17);
	assert_string_equal(l7->dns[3].path, "spec.egress[0].toPorts[0].rules.dns[3]");
	fx_free(fx);
}

static void test_fqdn_peers(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  egress:\n"
				"  - toFQDNs:\n"
				"    - matchName: api.example.com\n"
				"    - matchPattern: \"*.cdn.example.com\"\n"
				"    - matchPattern: \"*\"\n"
				"  - toFQDNs: [{matchName: other.example.com}]\n"
				"    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n");
	assert_int_equal(fx->prog.rules.len, 2);
	const struct ir_rule *r = fx->prog.rules.items[0];
	assert_int_equal(r->n_peers, 3);
	assert_int_equal(r->n_ports, 0); /* no toPorts: every port */
	assert_int_equal(r->peers[0].kind, IR_PEER_FQDN);
	assert_false(r->peers[0].fqdn.pattern);
	assert_true(r->peers[1].fqdn.pattern);
	assert_int_equal(r->peers[1].loc.line, 11);
	assert_string_equal(r->peers[1].path, "spec.egress[0].toFQDNs[1]");
	assert_true(re_matches(r->peers[1].fqdn.regex, "x.cdn.example.com."));
	/* toFQDNs "*": every well-formed name, not every string. */
	assert_true(re_matches(r->peers[2].fqdn.regex, "a-b.c_d.example."));
	assert_false(re_matches(r->peers[2].fqdn.regex, "w(e)ird."));
	r = fx->prog.rules.items[1];
	assert_int_equal(r->n_peers, 1);
	assert_int_equal(r->n_ports, 1);
	fx_free(fx);
}

static void test_dns_validation(void **state)
{
	(void)state;
	struct fx *fx;

	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
		      "      rules: {dns: [{matchPattern: \"*\"}]}\n");
	fx_expect_error(fx, 11, "spec.ingress[0].toPorts[0].rules.dns", "not allowed on ingress");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - rules: {dns: [{matchPattern: \"*\"}]}\n");
	fx_expect_error(fx, 10, "spec.egress[0].toPorts[0].rules.dns", "port 53 must be specified");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
		      "      rules: {dns: [{matchName: \"bad name\"}]}\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].rules.dns[0].matchName", "should match");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
		      "      rules: {dns: [{matchName: a.com, matchPattern: \"*.a.com\"}]}\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].rules.dns[0]", "one and only one schema");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
		      "      rules: {dns: [{}]}\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].rules.dns[0]", "one of matchName, matchPattern");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
		      "      rules: {dns: [{matchName: a.com}], http: [{method: GET}]}\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].rules", "multiple L7 protocol rule types");
	fx_free(fx);

	/* toFQDNs with another peer kind in one entry; in a deny entry (no such field). */
	fx = load_bad(CNP "  egress:\n  - toFQDNs: [{matchName: a.com}]\n    toEndpoints: [{}]\n");
	fx_expect_error(fx, 10, "spec.egress[0]", "combining toFQDNs and toEndpoints");
	fx_free(fx);
	fx = load_bad(CNP "  egressDeny:\n  - toFQDNs: [{matchName: a.com}]\n");
	fx_expect_error(fx, 9, NULL, "toFQDNs");
	fx_free(fx);
	fx = load_bad(CNP "  egress:\n  - toFQDNs: [{matchPattern: \"a.*.b+\"}]\n");
	fx_expect_error(fx, 9, "spec.egress[0].toFQDNs[0].matchPattern", "should match");
	fx_free(fx);
}

/* ---- passes --------------------------------------------------------------------------- */

static const char inventory[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: web, namespace: shop, labels: {app: web}, annotations: {polc.io/interface: v-web}}\n"
	"  status: {podIPs: [{ip: 198.18.0.1}, {ip: \"fd00::1\"}]}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: api, namespace: shop, labels: {app: api}, annotations: {polc.io/interface: v-api}}\n"
	"  status: {podIPs: [{ip: 198.18.0.2}]}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: dns, namespace: shop, labels: {k8s-app: kube-dns}}\n"
	"  status: {podIPs: [{ip: 198.18.0.53}]}\n";

struct world {
	struct fx *fx;
	struct ir_datapath dp;
	int status;
};

static void build(struct world *w, const char *policies)
{
	w->fx = fx_new(FRONTEND_COMPILE);
	struct fx *fx = w->fx;
	int err = frontend_load_file(&fx->fe, fx_add(fx, "inventory.yaml", inventory));
	if (!err)
		err = frontend_load_file(&fx->fe, fx_add(fx, "policies.yaml", policies));
	if (err)
		fx_dump(fx);
	assert_int_equal(err, 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	fx_expect_no_errors(fx);
	memset(&w->dp, 0, sizeof(w->dp));
	err = driver_run_passes(fx->arena, &fx->diags, &fx->prog, &w->dp);
	w->status = err;
}

static const struct dp_endpoint *endpoint(const struct world *w, const char *name)
{
	for (size_t i = 0; i < w->dp.endpoints.len; i++)
		if (strcmp(w->dp.endpoints.items[i].pod->name, name) == 0)
			return &w->dp.endpoints.items[i];
	fail_msg("no endpoint %s", name);
	return NULL;
}

static const char web_policy[] = CNP "  egress:\n"
					 "  - toEndpoints: [{matchLabels: {k8s-app: kube-dns}}]\n"
					 "    toPorts:\n"
					 "    - ports: [{port: \"53\", protocol: ANY}]\n"
					 "      rules: {dns: [{matchPattern: \"*.example.com\"}]}\n"
					 "  - toEndpoints: [{matchLabels: {app: api}}]\n"
					 "    toPorts:\n"
					 "    - ports: [{port: \"80\", protocol: TCP}]\n"
					 "      rules: {http: [{method: GET}]}\n"
					 "  - toFQDNs: [{matchName: api.example.com}, {matchPattern: \"*.cdn.example.com\"}]\n"
					 "    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n"
					 "---\n"
					 "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
					 "metadata: {name: q, namespace: shop}\n"
					 "spec:\n"
					 "  endpointSelector: {matchLabels: {app: api}}\n"
					 "  egress:\n"
					 "  - toFQDNs: [{matchName: API.example.com.}]\n";

static void test_sets_and_groups(void **state)
{
	(void)state;
	struct world w;
	build(&w, web_policy);
	assert_int_equal(w.status, 0);
	const struct ir_datapath *dp = &w.dp;
	/* One HTTP set (id 1), then one DNS set (id 2). */
	assert_true(dp->features.have_l7_http);
	assert_true(dp->features.have_l7_dns);
	assert_true(dp->features.have_fqdn);
	assert_int_equal(dp->features.dns_set_first, 2);
	assert_int_equal(dp->http_sets.len, 1);
	assert_int_equal(dp->dns_sets.len, 1);
	assert_int_equal(dp->dns_sets.items[0]->id, 2);
	size_t dns_entries = 0, http_entries = 0;
	for (size_t i = 0; i < dp->entries.len; i++) {
		const struct dp_policy_entry *e = &dp->entries.items[i];
		if (e->value.l7 == 2) {
			dns_entries++;
			assert_int_equal(e->key.port, 53);
		} else if (e->value.l7 == 1) {
			http_entries++;
			assert_int_equal(e->key.proto, IR_PROTO_TCP);
			assert_int_equal(e->key.port, 80);
		}
	}
	assert_int_equal(dns_entries, 3); /* TCP, UDP, SCTP */
	assert_int_equal(http_entries, 1);

	/* The same names spelt differently are one selector, shared by both policies. */
	assert_int_equal(dp->fqdn_selectors.len, 2);
	assert_int_equal(dns_fqdn_hash("^api[.]example[.]com[.]$"), dns_fqdn_hash("^api[.]example[.]com[.]$"));
	const struct dp_endpoint *web = endpoint(&w, "web"), *api = endpoint(&w, "api");
	uint32_t gw = dp->policy_fqdn_group[web->policy[IR_EGRESS]];
	uint32_t ga = dp->policy_fqdn_group[api->policy[IR_EGRESS]];
	assert_true(gw && ga && gw != ga);
	const struct dp_fqdn_group *g = dp->fqdn_groups.items[gw - 1];
	assert_int_equal(g->n, 2);
	uint32_t set = dfa_match(g->dfa, (const uint8_t *)"API.example.COM.", 16);
	size_t hits = 0;
	for (size_t k = 0; k < g->n; k++)
		hits += dfa_set_has(g->dfa, set, (uint32_t)k);
	assert_int_equal(hits, 1);
	assert_int_equal(dp->fqdn_groups.items[ga - 1]->n, 1);
	/* The entries carry the selectors' hashes as FQDN peers. */
	size_t fqdn_entries = 0;
	for (size_t i = 0; i < dp->entries.len; i++)
		fqdn_entries += (dp->entries.items[i].key.peer & POLC_PEER_KIND_MASK) == POLC_PEER_FQDN;
	assert_int_equal(fqdn_entries, 3); /* web: two selectors on TCP 443; api: one, any protocol */
	fx_free(w.fx);
}

static void test_conflicting_parsers(void **state)
{
	(void)state;
	struct world w;
	build(&w, CNP "  egress:\n"
		      "  - toEndpoints: [{matchLabels: {app: api}}]\n"
		      "    toPorts:\n"
		      "    - ports: [{port: \"53\", protocol: TCP}]\n"
		      "      rules: {dns: [{matchName: a.example.com}]}\n"
		      "  - toEndpoints: [{matchLabels: {app: api}}]\n"
		      "    toPorts:\n"
		      "    - ports: [{port: \"53\", protocol: TCP}]\n"
		      "      rules: {http: [{method: GET}]}\n");
	assert_int_equal(w.status, -EINVAL);
	fx_expect_error(w.fx, 12, "spec.egress[0].toPorts[0].rules.dns[0]", "conflicting L7 parsers");
	fx_free(w.fx);
}

static void test_fqdn_without_dns_rule(void **state)
{
	(void)state;
	struct world w;
	build(&w, CNP "  egress:\n  - toFQDNs: [{matchName: a.example.com}]\n");
	assert_int_equal(w.status, 0);
	fx_expect_warning(w.fx, 9, "spec.egress[0].toFQDNs[0]", "learns addresses");
	fx_free(w.fx);
}

/* Both models: a world address is allowed on 443 only once the endpoint resolved a matching name. */
static void test_models_agree(void **state)
{
	(void)state;
	struct world w;
	build(&w, web_policy);
	assert_int_equal(w.status, 0);
	const struct dp_endpoint *web = endpoint(&w, "web");
	static const struct {
		const char *names[2];
		size_t n;
		uint16_t port;
		bool allow;
	} cases[] = {
		{{NULL}, 0, 443, false},
		{{"api.example.com"}, 1, 443, true},
		{{"API.EXAMPLE.COM."}, 1, 443, true},
		{{"api.example.com"}, 1, 80, false},
		{{"www.example.com"}, 1, 443, false},
		{{"www.example.com", "x.cdn.example.com"}, 2, 443, true},
		{{"a.b.cdn.example.com"}, 1, 443, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim_packet p = {.family = 4, .proto = IR_PROTO_TCP, .port = cases[i].port,
				       .names = cases[i].names, .n_names = cases[i].n};
		inet_pton(AF_INET, "203.0.113.9", p.peer);
		struct sim_verdict sim, ref;
		dp_sim_verdict(&w.dp, web, IR_EGRESS, &p, &sim);
		eval_verdict(&w.fx->prog, &w.dp, web->pod, IR_EGRESS, &p, &ref, NULL, NULL);
		if (sim.allow != cases[i].allow || ref.allow != cases[i].allow)
			fail_msg("case %zu: dp_sim %d, evaluator %d, want %d", i, sim.allow, ref.allow, cases[i].allow);
		if (sim.allow)
			assert_int_equal(sim.rule, ref.rule);
	}
	/* A pod's address is never an FQDN peer's, whatever names resolved to it. */
	struct sim_packet p = {.family = 4, .proto = IR_PROTO_TCP, .port = 443,
			       .names = (const char *const[]){"api.example.com"}, .n_names = 1};
	inet_pton(AF_INET, "198.18.0.2", p.peer);
	struct sim_verdict sim, ref;
	dp_sim_verdict(&w.dp, web, IR_EGRESS, &p, &sim);
	eval_verdict(&w.fx->prog, &w.dp, web->pod, IR_EGRESS, &p, &ref, NULL, NULL);
	assert_false(sim.allow);
	assert_false(ref.allow);
	fx_free(w.fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_rules_lowered),
		cmocka_unit_test(test_fqdn_peers),
		cmocka_unit_test(test_dns_validation),
		cmocka_unit_test(test_sets_and_groups),
		cmocka_unit_test(test_conflicting_parsers),
		cmocka_unit_test(test_fqdn_without_dns_rule),
		cmocka_unit_test(test_models_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium HTTP rules in the front end (compiler/frontend/cilium_http.c,
 * yaml_pos.c): what each field decodes to, with Cilium's semantics for
 * headers and headerMatches; every error with its line, column inside
 * the scalar, field path and code. Line numbers count from the first
 * line of the text.
 */
#include "fe_test.h"

#include "frontend/yaml_pos.h"
#include "passes/passes.h"

/* Lines 1-12: a CNP whose ingress toPorts[0] on TCP 80 has rules.http from line 13 on. */
#define HTTP_CNP                                                  \
	"apiVersion: cilium.io/v2\n"                              \
	"kind: CiliumNetworkPolicy\n"                             \
	"metadata:\n"                                             \
	"  name: p\n"                                             \
	"  namespace: shop\n"                                     \
	"spec:\n"                                                 \
	"  endpointSelector: {matchLabels: {app: web}}\n"         \
	"  ingress:\n"                                            \
	"  - toPorts:\n"                                          \
	"    - ports: [{port: \"80\", protocol: TCP}, {port: \"8080\", protocol: TCP}]\n" \
	"      rules:\n"                                          \
	"        http:\n"

#define PATH "spec.ingress[0].toPorts[0].rules.http"

static struct fx *load(const char *text, int want)
{
	struct fx *fx = fx_new(FRONTEND_LINT);
	int err = fx_load(fx, text);
	if (err != want)
		fx_dump(fx);
	assert_int_equal(err, want);
	return fx;
}

static const struct ir_l7 *l7_of(struct fx *fx)
{
	assert_int_equal(fx->prog.rules.len, 1);
	const struct ir_rule *r = fx->prog.rules.items[0];
	assert_true(r->n_ports >= 1);
	return r->ports[0].l7;
}

/* Method, path and host are regexes; an empty string is no constraint; positions are the scalars'. */
static void test_fields(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - method: GET\n"
				       "          path: \"/api/v[12]/.*\"\n"
				       "          host: ''\n"
				       "        - {}\n"
				       "        -\n",
			     0);
	fx_expect_no_errors(fx);
	const struct ir_l7 *l7 = l7_of(fx);
	assert_non_null(l7);
	assert_int_equal(l7->n_http, 3);
	assert_string_equal(l7->http[0].method.text, "GET");
	assert_int_equal(l7->http[0].method.loc.line, 13);
	assert_int_equal(l7->http[0].method.loc.col, 19);
	assert_string_equal(l7->http[0].path.text, "/api/v[12]/.*");
	assert_string_equal(l7->http[0].path.path, PATH "[0].path");
	assert_null(l7->http[0].host.text);
	/* {} and a null item: every request. */
	assert_null(l7->http[1].method.text);
	assert_null(l7->http[2].path.text);
	assert_int_equal(l7->http[2].n_headers, 0);
	assert_string_equal(l7->http[1].yaml_path, PATH "[1]");
	/* Every port of the toPorts item carries the same rules. */
	const struct ir_rule *r = fx->prog.rules.items[0];
	assert_int_equal(r->n_ports, 2);
	assert_ptr_equal(r->ports[1].l7, l7);
	fx_free(fx);
}

/* Cilium's PortRule.sanitize: L7 rules on TCP only (protocol ANY is TCP, UDP and SCTP). */
static void test_l7_needs_tcp(void **state)
{
	(void)state;
	struct fx *fx = load("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: s}\n"
			     "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
			     "    - ports: [{port: \"80\"}]\n      rules: {http: [{method: GET}]}\n",
			     -EINVAL);
	fx_expect_error(fx, 8, "spec.ingress[0].toPorts[0].ports[0].protocol", "L7 rules can only apply to TCP");
	fx_free(fx);
}

/* http: [] is no L7 rule at all (Cilium's L7Rules.IsEmpty()): the port allows every request. */
static void test_empty_list(void **state)
{
	(void)state;
	struct fx *fx = load("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: s}\n"
			     "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n"
			     "    - ports: [{port: \"80\"}]\n      rules: {http: []}\n",
			     0);
	fx_expect_no_errors(fx);
	const struct ir_rule *r = fx->prog.rules.items[0];
	for (size_t i = 0; i < r->n_ports; i++)
		assert_null(r->ports[i].l7);
	fx_free(fx);
}

/* headers: strings.SplitN(h, " ", 2), the name's trailing ':' trimmed. */
static void test_headers(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - headers: ['X-My-Header: true', X-Present, 'X-Odd:: a b']\n"
				       "          headerMatches:\n"
				       "          - {name: X-Env, value: prod}\n"
				       "          - {name: X-Any}\n"
				       "          - {name: X-Logged, value: v, mismatch: LOG}\n",
			     0);
	const struct ir_l7 *l7 = l7_of(fx);
	const struct ir_http_rule *h = &l7->http[0];
	assert_int_equal(h->n_headers, 5);
	assert_string_equal(h->headers[0].name, "X-My-Header");
	assert_string_equal(h->headers[0].value, "true");
	assert_string_equal(h->headers[1].name, "X-Present");
	assert_null(h->headers[1].value);
	assert_string_equal(h->headers[2].name, "X-Odd");
	assert_string_equal(h->headers[2].value, "a b");
	assert_string_equal(h->headers[3].name, "X-Env");
	assert_string_equal(h->headers[3].value, "prod");
	assert_string_equal(h->headers[4].name, "X-Any");
	assert_null(h->headers[4].value);
	assert_false(h->never);
	/* mismatch: LOG never denies: not a constraint, and said so. */
	fx_expect_warning(fx, 17, PATH "[0].headerMatches[2].mismatch", "never denies a request");
	fx_free(fx);
}

/* Header strings Cilium reads into a name no request can carry: the rule matches nothing (a warning). */
static void test_headers_matching_nothing(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - headers: ['X-A:true']\n"
				       "        - headers: ['X-B:  two spaces']\n",
			     0);
	const struct ir_l7 *l7 = l7_of(fx);
	assert_true(l7->http[0].never);
	assert_true(l7->http[1].never);
	fx_expect_warning(fx, 13, PATH "[0].headers[0]", "matches no request");
	fx_expect_warning(fx, 14, PATH "[1].headers[0]", "starts or ends with whitespace");
	fx_free(fx);
}

/* What polc refuses: Secrets, rewriting mismatch actions, Host and pseudo-headers as headers. */
static void test_unsupported(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - headerMatches: [{name: X-K, secret: {name: s, namespace: ns}}]\n"
				       "        - headerMatches: [{name: X-K, value: v, mismatch: ADD}]\n"
				       "        - headers: ['Host: example.com']\n"
				       "        - headerMatches: [{name: ':authority', value: x}]\n",
			     -EINVAL);
	const struct diag *d = fx_expect_error(fx, 13, PATH "[0].headerMatches[0].secret", "Kubernetes Secrets");
	assert_string_equal(d->code, "unsupported");
	d = fx_expect_error(fx, 14, PATH "[1].headerMatches[0].mismatch", "rewrites the request");
	assert_string_equal(d->code, "unsupported");
	d = fx_expect_error(fx, 15, PATH "[2].headers[0]", "header rule on Host");
	assert_string_equal(d->code, "unsupported");
	d = fx_expect_error(fx, 16, PATH "[3].headerMatches[0].name", "pseudo-header");
	assert_string_equal(d->code, "unsupported");
	assert_int_equal(fx->prog.rules.len, 0);
	fx_free(fx);
}

/* Cilium's own validation (PortRuleHTTP.Sanitize, the CRD): invalid, not unsupported. */
static void test_invalid(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - headerMatches: [{value: v}]\n"
				       "        - headerMatches: [{name: X, mismatch: DROP}]\n"
				       "        - {method: 1}\n"
				       "        - {verb: GET}\n"
				       "        - headers: ['']\n",
			     -EINVAL);
	const struct diag *d = fx_expect_error(fx, 13, PATH "[0].headerMatches[0].name", "header name missing");
	assert_string_equal(d->code, "required-field");
	d = fx_expect_error(fx, 14, PATH "[1].headerMatches[0].mismatch", "supported values");
	assert_string_equal(d->code, "unsupported-value");
	fx_expect_error(fx, 15, PATH "[2].method", NULL);
	d = fx_expect_error(fx, 16, NULL, "verb");
	assert_string_equal(d->code, "unknown-field");
	fx_expect_error(fx, 17, PATH "[4].headers[0]", "header name is empty");
	fx_free(fx);
}

/*
 * A regex outside polc's DFA subset, or not a regex at all: the error
 * points at the offending characters, through the scalar's quoting.
 */
static void test_regex_positions(void **state)
{
	(void)state;
	struct fx *fx = load(HTTP_CNP "        - path: /a(?!b)\n"          /* 13: col 17 = "/", (?! at col 19 */
				       "        - path: '/it''s(?<=x)'\n"    /* 14: '' is one character */
				       "        - path: \"/\\x41\\u00e9(?=y)\"\n" /* 15: escapes take several columns */
				       "        - method: 'GE(T'\n"          /* 16: a group left open */
				       "        - host: |\n            a(?=b)\n", /* 17: a block scalar: the scalar itself */
			     -EINVAL);
	const struct diag *d = fx_expect_error(fx, 13, PATH "[0].path", "lookahead");
	assert_string_equal(d->code, "unsupported-regex");
	assert_int_equal(d->loc.col, 19);
	assert_int_equal(d->loc.len, 3);
	d = fx_expect_error(fx, 14, PATH "[1].path", "lookbehind");
	/* '/it''s(?<=x)': the quote at 17, "/it" 18-20, '' 21-22, "s" 23, "(?<=" from 24. */
	assert_int_equal(d->loc.col, 24);
	d = fx_expect_error(fx, 15, PATH "[2].path", "lookahead");
	/* "/\x41\u00e9(?=y)": the quote at 17, / at 18, \x41 19-22, \u00e9 23-28, (?= at 29. */
	assert_int_equal(d->loc.col, 29);
	d = fx_expect_error(fx, 16, PATH "[3].method", "missing ')'");
	assert_string_equal(d->code, "invalid-regex");
	/* At the group left open: the '(' at 22. */
	assert_int_equal(d->loc.col, 22);
	d = fx_expect_error(fx, 17, PATH "[4].host", "lookahead");
	assert_int_equal(d->loc.col, 17);
	fx_free(fx);
}

/* Byte columns of values through every quoting style yaml_pos.c follows. */
static void test_value_columns(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_LINT);
	const char *text = "a: plain text\nb: 'it''s'\nc: \"x\\ty\\u00e9z\"\nd: |\n  block\n";
	uint32_t id = fx_add(fx, "v.yaml", text);
	struct ystream ys;
	assert_int_equal(yaml_load(fx->arena, &fx->diags, &fx->src, id, &yaml_default_limits, &ys), 0);
	const struct ynode *root = ys.docs[0].root;
	uint32_t *cols;

	assert_true(yscalar_value_columns(fx->arena, &fx->src, ymap_get(root, "a"), &cols));
	assert_int_equal(cols[0], 4);
	assert_int_equal(cols[6], 10);

	assert_true(yscalar_value_columns(fx->arena, &fx->src, ymap_get(root, "b"), &cols));
	/* it's: i 5, t 6, ' (written '') 7, s 9 */
	assert_int_equal(cols[0], 5);
	assert_int_equal(cols[2], 7);
	assert_int_equal(cols[3], 9);

	assert_true(yscalar_value_columns(fx->arena, &fx->src, ymap_get(root, "c"), &cols));
	/* x 5, \t 6-7 -> one byte at 6, y 8, \u00e9 9-14 -> two bytes at 9, z 15 */
	assert_int_equal(cols[0], 5);
	assert_int_equal(cols[1], 6);
	assert_int_equal(cols[2], 8);
	assert_int_equal(cols[3], 9);
	assert_int_equal(cols[4], 9);
	assert_int_equal(cols[5], 15);

	assert_false(yscalar_value_columns(fx->arena, &fx->src, ymap_get(root, "d"), &cols));

	struct src_loc at = {.file = id, .line = 1, .col = 4};
	uint32_t plain[] = {4, 5, 6};
	struct src_loc l = yscalar_span_loc(at, plain, 3, 1, 2);
	assert_int_equal(l.col, 5);
	assert_int_equal(l.len, 2);
	l = yscalar_span_loc(at, plain, 3, 3, 0);
	assert_int_equal(l.col, 7);
	l = yscalar_span_loc(at, NULL, 0, 3, 0);
	assert_int_equal(l.col, 4);
	fx_free(fx);
}

/* Egress rules, named ports and port ranges carry HTTP rules too. */
static void test_egress_named_and_ranges(void **state)
{
	(void)state;
	struct fx *fx = load("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: s}\n"
			     "spec:\n  endpointSelector: {}\n  egress:\n  - toEndpoints: [{}]\n    toPorts:\n"
			     "    - ports: [{port: http, protocol: TCP}, {port: \"9000\", endPort: 9010, protocol: TCP}]\n"
			     "      rules: {http: [{path: /x}]}\n",
			     0);
	fx_expect_no_errors(fx);
	const struct ir_rule *r = fx->prog.rules.items[0];
	assert_int_equal(r->n_ports, 2);
	assert_string_equal(r->ports[0].name, "http");
	assert_non_null(r->ports[0].l7);
	assert_int_equal(r->ports[1].lo, 9000);
	assert_int_equal(r->ports[1].hi, 9010);
	assert_ptr_equal(r->ports[1].l7, r->ports[0].l7);
	fx_free(fx);
}

/*
 * Every HTTP rule of the Cilium corpus (../shared/corpus/cilium, see
 * tests/corpus) decodes and compiles to DFAs, whether or not the corpus
 * inventory has an endpoint that makes the compiler build them.
 */
static void test_corpus_rules_compile(void **state)
{
	(void)state;
	static const char *const files[] = {
		"examples/kubernetes-es/es-sw-policy.yaml",
		"examples/kubernetes-grpc/cc-door-ingress-security.yaml",
		"examples/kubernetes-istio/l7-policy.yaml",
		"examples/kubernetes/servicemesh/cnp-without-mutual-auth.yaml",
		"examples/minikube/sw_l3_l4_l7_policy.yaml",
		"examples/policies/getting-started/cilium_dkr_demo_l7-policy-230817.yaml",
		"examples/policies/getting-started/l7-policy.yaml",
		"examples/policies/kubernetes/serviceaccount/serviceaccount-policy.yaml",
		"examples/policies/l7/http/http.json",
		"examples/policies/l7/http/l7_multi.yaml",
		"examples/policies/l7/http/simple/l7.yaml",
	};
	/* As tests/corpus/run.sh finds it: $POLC_SHARED_DIR, else the first shared/ above the repository. */
	char dir[4200], up[4096];
	const char *env = getenv("POLC_SHARED_DIR");
	dir[0] = '\0';
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s/corpus/cilium", env);
	snprintf(up, sizeof(up), "%s", fx_repo_root());
	while (!dir[0] || access(dir, F_OK) != 0) {
		char *slash = strrchr(up, '/');
		if (!slash || slash == up)
			break;
		*slash = '\0';
		snprintf(dir, sizeof(dir), "%s/shared/corpus/cilium", up);
	}
	if (access(dir, F_OK) != 0) {
		print_message("no corpus at %s: skipped\n", dir);
		return;
	}
	size_t sets = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4600];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		struct fx *fx = fx_new(FRONTEND_COMPILE);
		int id = source_add_file(&fx->src, path);
		assert_true(id > 0);
		int err = frontend_load_file(&fx->fe, (uint32_t)id);
		if (err)
			fx_dump(fx);
		assert_int_equal(err, 0);
		struct ir_datapath dp;
		struct pass_ctx ctx;
		memset(&dp, 0, sizeof(dp));
		assert_int_equal(pass_ctx_init(&ctx, fx->arena, &fx->diags, &fx->prog, &dp), 0);
		for (size_t r = 0; r < fx->prog.rules.len; r++) {
			const struct ir_rule *rule = fx->prog.rules.items[r];
			for (size_t k = 0; k < rule->n_ports; k++) {
				const struct ir_l7 *l7 = rule->ports[k].l7;
				if (!l7 || (k && rule->ports[k - 1].l7 == l7))
					continue;
				const struct ir_http_rule **rules = arena_calloc(fx->arena, l7->n_http, sizeof(*rules));
				for (size_t h = 0; h < l7->n_http; h++)
					rules[h] = &l7->http[h];
				struct dp_http_set *set;
				err = l7_build_rules(&ctx, rules, NULL, l7->n_http, &set);
				if (err)
					fx_dump(fx);
				assert_int_equal(err, 0);
				sets++;
			}
		}
		fx_free(fx);
	}
	assert_true(sets >= sizeof(files) / sizeof(files[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_l7_needs_tcp),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_headers_matching_nothing),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_regex_positions),
		cmocka_unit_test(test_value_columns),
		cmocka_unit_test(test_egress_named_and_ranges),
		cmocka_unit_test(test_corpus_rules_compile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

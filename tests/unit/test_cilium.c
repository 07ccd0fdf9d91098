/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The Cilium front end (compiler/frontend/cilium*.c): envelopes, rule
 * semantics (peers, ports, default deny), namespace scoping, and every
 * validation it copies from Cilium, each with its line, field path and
 * message; what polc does not do yet is an "unsupported" error naming the
 * field. Line numbers in comments count from the first line of the text.
 */
#include "fe_test.h"

/* Lines 1-7 of most policies below; the rule body starts at line 8. */
#define CNP                                                     \
	"apiVersion: cilium.io/v2\n"                            \
	"kind: CiliumNetworkPolicy\n"                           \
	"metadata:\n"                                           \
	"  name: p\n"                                           \
	"  namespace: shop\n"                                   \
	"spec:\n"                                               \
	"  endpointSelector: {matchLabels: {app: web}}\n"

#define CCNP                                                    \
	"apiVersion: cilium.io/v2\n"                            \
	"kind: CiliumClusterwideNetworkPolicy\n"                \
	"metadata:\n"                                           \
	"  name: c\n"                                           \
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

/* Load text that must fail, and must add no policy at all. */
static struct fx *load_bad(const char *text)
{
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = fx_load(fx, text);
	if (!err)
		fx_dump(fx);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(fx->prog.policies.len, 0);
	assert_int_equal(fx->prog.rules.len, 0);
	return fx;
}

/* The error is "unsupported", and nothing else is wrong with the input. */
static void expect_only_unsupported(struct fx *fx, uint32_t line, const char *path, const char *msg)
{
	const struct diag *d = fx_expect_error(fx, line, path, msg);
	assert_string_equal(d->code, "unsupported");
	for (size_t i = 0; i < fx->diags.diags.len; i++) {
		const struct diag *e = &fx->diags.diags.items[i];
		if (e->severity == DIAG_ERROR && strcmp(e->code, "unsupported") != 0) {
			fx_dump(fx);
			fail_msg("an error other than unsupported: %s", e->message);
		}
	}
}

static const struct ir_policy *policy(struct fx *fx, size_t i)
{
	assert_true(i < fx->prog.policies.len);
	return fx->prog.policies.items[i];
}

static const struct ir_rule *rule(struct fx *fx, size_t i)
{
	assert_true(i < fx->prog.rules.len);
	return fx->prog.rules.items[i];
}

/* "key op value" of a requirement, for compact assertions. */
static bool has_req(const struct ir_selector *sel, const char *key, enum ir_sel_op op, const char *value)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct ir_requirement *r = &sel->reqs[i];
		if (strcmp(r->key, key) != 0 || r->op != op)
			continue;
		if (!value)
			return true;
		for (size_t k = 0; k < r->n_values; k++)
			if (strcmp(r->values[k], value) == 0)
				return true;
	}
	return false;
}

static const char *cidr_s(const struct ir_cidr *c)
{
	static char buf[64];
	return ir_cidr_str(c, buf, sizeof(buf));
}

/* ---- envelope ------------------------------------------------------------ */

static void test_spec_and_specs(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  ingress: [{}]\n"
				"specs:\n"
				"- endpointSelector: {}\n"
				"  egress: [{}]\n"
				"- endpointSelector: {}\n"
				"  description: second\n"
				"  ingressDeny: [{fromEntities: [world]}]\n"
				"status: {nodes: {k8s1: {ok: true}}}\n");
	assert_int_equal(fx->prog.policies.len, 3);
	assert_string_equal(policy(fx, 0)->name, "p");
	assert_string_equal(policy(fx, 1)->name, "p/specs[0]");
	assert_string_equal(policy(fx, 2)->name, "p/specs[1]");
	assert_int_equal(policy(fx, 0)->kind, IR_POLICY_CNP);
	assert_string_equal(policy(fx, 2)->namespace, "shop");
	/* ingress: [{}]: default deny on, nothing allowed. */
	assert_true(policy(fx, 0)->enforce[IR_INGRESS]);
	assert_false(policy(fx, 0)->enforce[IR_EGRESS]);
	assert_int_equal(policy(fx, 0)->rules.len, 0);
	assert_true(policy(fx, 1)->enforce[IR_EGRESS]);
	/* A deny section switches default deny on too. */
	assert_true(policy(fx, 2)->enforce[IR_INGRESS]);
	assert_int_equal(policy(fx, 2)->rules.len, 1);
	assert_int_equal(rule(fx, 0)->action, IR_DENY);
	fx_free(fx);
}

static void test_envelope_errors(void **state)
{
	(void)state;
	struct fx *fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: e}\n");
	fx_expect_error(fx, 2, "spec", "empty policy");
	fx_free(fx);

	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  namespace: shop\n"
		      "spec: {endpointSelector: {}, ingress: [{}]}\n");
	fx_expect_error(fx, 3, "metadata.name", "name or generateName is required");
	fx_free(fx);

	fx = load_bad(CNP "  ingress: [{}]\nextra: 1\n");
	fx_expect_error(fx, 9, "extra", "unknown field");
	fx_free(fx);

	/* metadata is ObjectMeta, checked strictly (cross-cluster-policy.yaml in the corpus). */
	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: x\n  description: d\n"
		      "spec: {endpointSelector: {}, ingress: [{}]}\n");
	fx_expect_error(fx, 5, "metadata.description", "unknown field");
	fx_free(fx);

	/* A rule with no section at all has no effect: refused (Cilium 1.18+). */
	fx = load_bad(CNP "  description: nothing\n");
	fx_expect_error(fx, 7, "spec", "at least one of ingress, ingressDeny, egress, egressDeny");
	fx_free(fx);
	fx = load_bad(CNP "  ingress: []\n");
	fx_expect_error(fx, 7, "spec", "at least one of");
	fx_free(fx);

	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x, namespace: a}\n"
		      "spec: {ingress: [{}]}\n");
	fx_expect_error(fx, 4, "spec", "rule must have one of endpointSelector or nodeSelector");
	fx_free(fx);

	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x, namespace: a}\n"
		      "spec:\n  endpointSelector: {}\n  nodeSelector: {}\n  ingress: [{}]\n");
	fx_expect_error(fx, 6, "spec", "cannot have both endpointSelector and nodeSelector");
	fx_free(fx);

	/* A namespaced policy has no host policies (cnp_types.go). */
	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: x, namespace: a}\n"
		      "spec:\n  nodeSelector: {}\n  ingress: [{}]\n");
	fx_expect_error(fx, 5, "spec.nodeSelector", "rule cannot have NodeSelector");
	fx_free(fx);

	/* The second of two objects with one name stays out. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, CNP "  ingress: [{}]\n---\n" CNP "  egress: [{}]\n"), -EINVAL);
	fx_expect_error(fx, 13, "metadata.name", "duplicate CiliumNetworkPolicy shop/p");
	assert_int_equal(fx->prog.policies.len, 1);
	fx_free(fx);
}

static void test_namespace_and_audit(void **state)
{
	(void)state;
	struct fx *fx = load_ok("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: np\n"
				"  annotations: {polc.io/audit: \"true\"}\n"
				"spec: {endpointSelector: {}, ingress: [{}]}\n");
	assert_string_equal(policy(fx, 0)->namespace, "default");
	assert_true(policy(fx, 0)->audit);
	fx_expect(fx, DIAG_NOTE, 3, "metadata.namespace", "applies in namespace \"default\"");
	fx_free(fx);

	/* The API server drops the namespace of a cluster-scoped object. */
	fx = load_ok("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
		     "metadata: {name: c, namespace: shop}\nspec: {endpointSelector: {}, ingress: [{}]}\n");
	assert_null(policy(fx, 0)->namespace);
	assert_int_equal(policy(fx, 0)->kind, IR_POLICY_CCNP);
	fx_expect_warning(fx, 3, "metadata.namespace", "cluster-scoped");
	fx_free(fx);

	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: np\n"
		      "  annotations: {polc.io/audit: \"yes\"}\nspec: {endpointSelector: {}, ingress: [{}]}\n");
	fx_expect_error(fx, 5, "metadata.annotations", "polc.io/audit must be");
	fx_free(fx);
}

/* ---- selectors and namespace scoping --------------------------------------- */

static void test_subject_scoping(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  ingress: [{}]\n");
	const struct ir_selector *s = &policy(fx, 0)->subject;
	assert_int_equal(s->n_reqs, 2);
	assert_true(has_req(s, "any:app", IR_SEL_IN, "web"));
	assert_true(has_req(s, "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop"));
	fx_free(fx);

	/* A CNP subject always lives in the policy's namespace: Cilium replaces the entry. */
	fx = load_ok("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
		     "spec:\n  endpointSelector:\n    matchLabels:\n      k8s:io.kubernetes.pod.namespace: other\n"
		     "  ingress: [{}]\n");
	s = &policy(fx, 0)->subject;
	assert_int_equal(s->n_reqs, 1);
	assert_true(has_req(s, "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop"));
	fx_expect_warning(fx, 7, "spec.endpointSelector", "always selects in the policy's namespace");
	fx_free(fx);

	/* A CCNP subject is as written. */
	fx = load_ok(CCNP "  ingress: [{}]\n");
	s = &policy(fx, 0)->subject;
	assert_int_equal(s->n_reqs, 1);
	assert_true(has_req(s, "any:app", IR_SEL_IN, "web"));
	fx_free(fx);
}

static void test_peer_scoping(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  ingress:\n"
				"  - fromEndpoints:\n"
				"    - {matchLabels: {role: a}}\n"                                             /* 10 */
				"    - {matchLabels: {k8s:io.kubernetes.pod.namespace: other, role: b}}\n"      /* 11 */
				"    - {matchExpressions: [{key: io.kubernetes.pod.namespace, operator: Exists}]}\n"
				"    - {matchLabels: {io.cilium.k8s.namespace.labels.team: x}}\n"               /* 13 */
				"    - {matchLabels: {reserved:host: \"\"}}\n"                                  /* 14 */
				"    - {}\n");                                                                  /* 15 */
	const struct ir_rule *r = rule(fx, 0);
	assert_int_equal(r->n_peers, 6);
	/* Same namespace unless the selector names it. */
	assert_true(has_req(&r->peers[0].sel, "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop"));
	assert_int_equal(r->peers[1].sel.n_reqs, 2);
	assert_true(has_req(&r->peers[1].sel, "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "other"));
	assert_int_equal(r->peers[2].sel.n_reqs, 1);
	assert_true(has_req(&r->peers[2].sel, "any:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL));
	/* Namespace labels select across namespaces. */
	assert_int_equal(r->peers[3].sel.n_reqs, 1);
	assert_true(has_req(&r->peers[3].sel, "any:io.cilium.k8s.namespace.labels.team", IR_SEL_IN, "x"));
	/* Reserved identities have no namespace. */
	assert_int_equal(r->peers[4].sel.n_reqs, 1);
	assert_true(has_req(&r->peers[4].sel, "reserved:host", IR_SEL_IN, ""));
	/* {}: every pod of the namespace. */
	assert_int_equal(r->peers[5].sel.n_reqs, 1);
	assert_int_equal(r->peers[5].loc.line, 15);
	fx_free(fx);

	/* Clusterwide: a selector without a namespace key means pods of every namespace. */
	fx = load_ok(CCNP "  ingress:\n  - fromEndpoints: [{}, {matchLabels: {role: a}}]\n");
	r = rule(fx, 0);
	assert_int_equal(r->peers[0].sel.n_reqs, 1);
	assert_true(has_req(&r->peers[0].sel, "k8s:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL));
	assert_true(has_req(&r->peers[1].sel, "k8s:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL));
	fx_free(fx);

	/* ... unless the subject is reserved:init (those pods have no labels yet). */
	fx = load_ok("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: i}\n"
		     "spec:\n  endpointSelector: {matchLabels: {reserved:init: \"\"}}\n"
		     "  egress: [{toEndpoints: [{}]}]\n");
	assert_int_equal(rule(fx, 0)->peers[0].sel.n_reqs, 0);
	fx_free(fx);
}

static void test_label_sources(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CCNP "  ingress:\n  - fromEndpoints:\n"
				"    - matchLabels:\n"
				"        k8s:app: a\n"
				"        any:tier: b\n"
				"        $host: \"\"\n"
				"        reserved.world: \"\"\n"
				"        app.kubernetes.io/name: c\n"
				"        k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name: d\n");
	const struct ir_selector *s = &rule(fx, 0)->peers[0].sel;
	assert_true(has_req(s, "k8s:app", IR_SEL_IN, "a"));
	assert_true(has_req(s, "any:tier", IR_SEL_IN, "b"));
	assert_true(has_req(s, "reserved:host", IR_SEL_IN, ""));
	assert_true(has_req(s, "reserved:world", IR_SEL_IN, ""));
	assert_true(has_req(s, "any:app.kubernetes.io/name", IR_SEL_IN, "c"));
	assert_true(has_req(s, "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", IR_SEL_IN, "d"));
	/* A reserved key: no namespace added. */
	assert_int_equal(s->n_reqs, 6);
	fx_free(fx);

	/* Dual-stack world traffic is world-ipv4/-ipv6: a reserved:world selector matches none of it. */
	fx = fx_new(FRONTEND_LINT);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - fromEndpoints:\n    - matchLabels: {reserved.world: \"\"}\n"), 0);
	fx_expect_warning(fx, 10, "spec.ingress[0].fromEndpoints[0].matchLabels", "matches no packet");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        \"k8s:Bad Key\": a\n");
	fx_expect_error(fx, 11, "spec.ingress[0].fromEndpoints[0].matchLabels", "Invalid value: \"k8s:Bad Key\"");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        app: \"a b\"\n");
	fx_expect_error(fx, 11, "spec.ingress[0].fromEndpoints[0].matchLabels", "Invalid value: \"a b\"");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromEndpoints:\n    - matchExpressions:\n"
		      "      - {key: app, operator: in, values: [a]}\n");
	fx_expect_error(fx, 11, "spec.ingress[0].fromEndpoints[0].matchExpressions[0].operator",
			"Unsupported value: \"in\"");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromEndpoints:\n    - matchExpressions:\n"
		      "      - {key: app, operator: Exists, values: [a]}\n");
	fx_expect_error(fx, 11, "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values", "Forbidden");
	fx_free(fx);
}

/* ---- entries: peers, default deny ----------------------------------------- */

static void test_entities(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  egress:\n  - toEntities: [all, world, cluster, host, remote-node, "
				"kube-apiserver, health, init, ingress, unmanaged, none]\n");
	const struct ir_rule *r = rule(fx, 0);
	assert_int_equal(r->n_peers, 11);
	uint32_t all = 0;
	for (size_t i = 0; i < r->n_peers; i++) {
		assert_int_equal(r->peers[i].kind, IR_PEER_ENTITY);
		all |= r->peers[i].entities;
	}
	assert_int_equal(all, IR_ENTITY_ALL | IR_ENTITY_WORLD | IR_ENTITY_CLUSTER | IR_ENTITY_HOST |
				      IR_ENTITY_REMOTE_NODE | IR_ENTITY_KUBE_APISERVER | IR_ENTITY_HEALTH |
				      IR_ENTITY_INIT | IR_ENTITY_INGRESS | IR_ENTITY_UNMANAGED | IR_ENTITY_NONE);
	assert_int_equal(r->n_ports, 0); /* L3 only: every protocol */
	fx_free(fx);

	fx = load_ok(CNP "  egress:\n  - toEntities: [world-ipv4, world-ipv6]\n");
	assert_int_equal(rule(fx, 0)->peers[0].entities, IR_ENTITY_WORLD_IPV4);
	assert_int_equal(rule(fx, 0)->peers[1].entities, IR_ENTITY_WORLD_IPV6);
	fx_expect_warning(fx, 9, "spec.egress[0].toEntities[0]", "enum of some");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toEntities:\n    - internet\n");
	const struct diag *d = fx_expect_error(fx, 10, "spec.egress[0].toEntities[0]", "Unsupported value: \"internet\"");
	assert_non_null(strstr(d->hint, "world"));
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toEntities: [Cluster]\n");
	d = fx_expect_error(fx, 9, "spec.egress[0].toEntities[0]", "\"Cluster\"");
	assert_non_null(strstr(d->hint, "\"cluster\""));
	fx_free(fx);
}

static void test_wildcards_and_empty_lists(void **state)
{
	(void)state;
	/* toPorts without an L3 field: those ports from every peer. */
	struct fx *fx = load_ok(CNP "  ingress:\n  - toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n");
	assert_int_equal(rule(fx, 0)->n_peers, 1);
	assert_int_equal(rule(fx, 0)->peers[0].kind, IR_PEER_ALL);
	fx_free(fx);

	/* An explicitly empty L3 list selects nothing, even beside toPorts (never opens more). */
	fx = fx_new(FRONTEND_LINT);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - fromEndpoints: []\n"
				     "    toPorts: [{ports: [{port: \"80\"}]}]\n  - fromCIDR: []\n"),
			 0);
	fx_expect_no_errors(fx);
	assert_int_equal(fx->prog.rules.len, 0);
	assert_true(policy(fx, 0)->enforce[IR_INGRESS]);
	fx_expect_warning(fx, 9, "spec.ingress[0]", "empty fromEndpoints list selects no peer");
	fx_expect_warning(fx, 11, "spec.ingress[1]", "empty fromCIDR list");
	fx_free(fx);

	/* toPorts whose items list no port: nothing (not every port). */
	fx = fx_new(FRONTEND_LINT);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - toPorts: [{}]\n"), 0);
	assert_int_equal(fx->prog.rules.len, 0);
	fx_expect_warning(fx, 9, "spec.ingress[0]", "no port is listed");
	fx_free(fx);

	/* enableDefaultDeny overrides the sections. */
	fx = load_ok(CNP "  enableDefaultDeny: {ingress: false}\n  ingress: [{fromEntities: [world]}]\n"
		     "  egressDeny: [{toEntities: [world]}]\n");
	assert_false(policy(fx, 0)->enforce[IR_INGRESS]);
	assert_true(policy(fx, 0)->enforce[IR_EGRESS]);
	fx_free(fx);

	fx = load_bad(CNP "  enableDefaultDeny: {ingress: \"no\"}\n  ingress: [{}]\n");
	fx_expect_error(fx, 8, "spec.enableDefaultDeny.ingress", "expected boolean");
	fx_free(fx);
}

static void test_one_l3_kind(void **state)
{
	(void)state;
	struct fx *fx = load_bad(CNP "  ingress:\n  - fromEndpoints: [{}]\n    fromCIDR: [10.0.0.0/8]\n");
	fx_expect_error(fx, 10, "spec.ingress[0]", "combining fromEndpoints and fromCIDR is not supported");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toEntities: [world]\n    icmps: [{fields: [{type: 8}]}]\n"
		      "    toPorts: [{ports: [{port: \"80\"}]}]\n");
	fx_expect_error(fx, 10, "spec.egress[0]", "ICMPs block may only be present without ToPorts");
	fx_free(fx);

	/* An explicitly empty list does not count as a kind. */
	fx = load_ok(CNP "  ingress:\n  - fromEndpoints: [{}]\n    fromCIDR: []\n");
	assert_int_equal(rule(fx, 0)->n_peers, 1);
	fx_free(fx);
}

/* ---- CIDRs --------------------------------------------------------------- */

static void test_cidrs(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_LINT);
	assert_int_equal(fx_load(fx, CNP "  egress:\n"
				     "  - toCIDR: [10.1.2.3/8, \"2001:db8::/32\"]\n"
				     "  - toCIDRSet:\n"
				     "    - cidr: 10.0.0.0/8\n"
				     "      except: [10.96.0.0/12, 10.1.0.0/16, 10.0.0.0/8]\n"),
			 0);
	fx_expect_no_errors(fx);
	const struct ir_rule *r = rule(fx, 0);
	assert_int_equal(r->peers[0].kind, IR_PEER_CIDR);
	assert_false(r->peers[0].matches_endpoints);
	assert_string_equal(cidr_s(&r->peers[0].cidr), "10.0.0.0/8"); /* masked, with a warning */
	fx_expect_warning(fx, 9, "spec.egress[0].toCIDR[0]", "Cilium masks it to 10.0.0.0/8");
	assert_string_equal(cidr_s(&r->peers[1].cidr), "2001:db8::/32");
	r = rule(fx, 1);
	assert_int_equal(r->peers[0].n_except, 3);
	/* An except as long as its cidr is allowed (Bits() > Bits() is the error), and removes it all. */
	fx_expect_warning(fx, 12, "spec.egress[1].toCIDRSet[0].except[2]", "matches nothing");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toCIDR:\n    - 10.0.0.0/33\n");
	fx_expect_error(fx, 10, "spec.egress[0].toCIDR[0]", "unable to parse CIDR");
	fx_free(fx);

	/* The CRD says format: cidr: a bare address is refused (a bare rule list takes it). */
	fx = load_bad(CNP "  egress:\n  - toCIDR: [10.0.0.1]\n");
	const struct diag *d = fx_expect_error(fx, 9, "spec.egress[0].toCIDR[0]", "unable to parse CIDR");
	assert_non_null(strstr(d->hint, "/32"));
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toCIDRSet:\n    - cidr: 10.0.0.0/16\n"
		      "      except: [10.1.0.0/24, 10.0.0.0/8, \"fd00::/64\"]\n");
	fx_expect_error(fx, 11, "spec.egress[0].toCIDRSet[0].except[0]", "does not contain exclude CIDR prefix");
	fx_expect_error(fx, 11, "spec.egress[0].toCIDRSet[0].except[1]", "does not contain");
	fx_expect_error(fx, 11, "spec.egress[0].toCIDRSet[0].except[2]", "does not contain");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toCIDRSet:\n    - except: [10.0.0.0/8]\n");
	fx_expect_error(fx, 10, "spec.egress[0].toCIDRSet[0]", "one of cidr, cidrGroupRef is required");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toCIDRSet:\n    - {cidr: 10.0.0.0/8, cidrGroupRef: g}\n");
	fx_expect_error(fx, 10, "spec.egress[0].toCIDRSet[0]", "only one of cidr, cidrGroupRef");
	fx_free(fx);
}

static void test_cidr_groups(void **state)
{
	(void)state;
	/* Without the group object: unsupported, naming the reference. */
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - fromCIDRSet:\n    - cidrGroupRef: vpn\n"), 0);
	assert_int_equal(frontend_finish(&fx->fe), -EINVAL);
	expect_only_unsupported(fx, 10, "spec.ingress[0].fromCIDRSet[0].cidrGroupRef",
				"CiliumCIDRGroup vpn is not in the input");
	fx_free(fx);

	/* With it, in either order: one CIDR peer per CIDR of the group. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - fromCIDRSet:\n    - cidrGroupRef: vpn\n"
				     "---\napiVersion: cilium.io/v2alpha1\nkind: CiliumCIDRGroup\n"
				     "metadata: {name: vpn}\nspec:\n  externalCIDRs: [192.0.2.0/24, \"2001:db8::/48\"]\n"),
			 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	fx_expect_no_errors(fx);
	const struct ir_rule *r = rule(fx, 0);
	assert_int_equal(r->n_peers, 2);
	assert_string_equal(cidr_s(&r->peers[0].cidr), "192.0.2.0/24");
	assert_false(r->peers[1].matches_endpoints);
	fx_free(fx);

	/* except beside cidrGroupRef would be ignored by Cilium: refused. */
	fx = load_bad(CNP "  ingress:\n  - fromCIDRSet:\n    - cidrGroupRef: vpn\n      except: [10.0.0.0/8]\n");
	expect_only_unsupported(fx, 11, "spec.ingress[0].fromCIDRSet[0].except", "except together with cidrGroupRef");
	fx_free(fx);
}

/* ---- ports --------------------------------------------------------------- */

static const struct ir_port *port(struct fx *fx, size_t r, size_t i)
{
	const struct ir_rule *ru = rule(fx, r);
	assert_true(i < ru->n_ports);
	return &ru->ports[i];
}

static void test_ports(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_LINT);
	assert_int_equal(fx_load(fx, CNP "  ingress:\n  - toPorts:\n    - ports:\n"
				     "      - {port: \"80\", protocol: TCP}\n"      /* 11 */
				     "      - {port: HTTP-Alt, protocol: UDP}\n"    /* 12 */
				     "      - {port: \"53\"}\n"                     /* 13: ANY */
				     "      - {port: \"8000\", endPort: 8100, protocol: SCTP}\n"
				     "      - {port: \"0\", protocol: TCP}\n"       /* 15 */
				     "      - {port: \"900\", endPort: 100, protocol: TCP}\n"
				     "      - {port: \"0\", endPort: 100, protocol: UDP}\n"
				     "      - {port: \"010\", protocol: TCP}\n"     /* 18 */
				     "      - {port: 443, protocol: TCP}\n"),       /* 19 */
			 0);
	fx_expect_no_errors(fx);
	assert_int_equal(port(fx, 0, 0)->proto, IR_PROTO_TCP);
	assert_int_equal(port(fx, 0, 0)->lo, 80);
	assert_int_equal(port(fx, 0, 0)->hi, 80);
	/* Named ports are lowercased (PortProtocol.sanitize). */
	assert_string_equal(port(fx, 0, 1)->name, "http-alt");
	assert_int_equal(port(fx, 0, 1)->proto, IR_PROTO_UDP);
	/* ANY: TCP, UDP and SCTP, never ICMP. */
	assert_int_equal(port(fx, 0, 2)->proto, IR_PROTO_TCP);
	assert_int_equal(port(fx, 0, 3)->proto, IR_PROTO_UDP);
	assert_int_equal(port(fx, 0, 4)->proto, IR_PROTO_SCTP);
	assert_int_equal(port(fx, 0, 4)->lo, 53);
	assert_int_equal(port(fx, 0, 5)->lo, 8000);
	assert_int_equal(port(fx, 0, 5)->hi, 8100);
	/* "0": every port, with a warning. */
	assert_true(ir_port_is_wildcard(port(fx, 0, 6)->proto, port(fx, 0, 6)->lo, port(fx, 0, 6)->hi));
	fx_expect_warning(fx, 15, "spec.ingress[0].toPorts[0].ports[4].port", "port 0 means every TCP port");
	/* endPort below port: port alone (PortRangeToMaskedPorts). */
	assert_int_equal(port(fx, 0, 7)->lo, 900);
	assert_int_equal(port(fx, 0, 7)->hi, 900);
	fx_expect_warning(fx, 16, "spec.ingress[0].toPorts[0].ports[5].endPort", "matches port 900 alone");
	/* port 0 with endPort: the range 0..endPort. */
	assert_int_equal(port(fx, 0, 8)->lo, 0);
	assert_int_equal(port(fx, 0, 8)->hi, 100);
	/* strconv.ParseUint(s, 0, 16): a leading zero is octal. */
	assert_int_equal(port(fx, 0, 9)->lo, 8);
	fx_expect_warning(fx, 18, "spec.ingress[0].toPorts[0].ports[7].port", "reads as octal 8");
	/* An unquoted number: read, with a warning (the API server wants a string). */
	assert_int_equal(port(fx, 0, 10)->lo, 443);
	fx_expect_warning(fx, 19, "spec.ingress[0].toPorts[0].ports[8].port", "must be of type string");
	fx_free(fx);
}

static void test_port_errors(void **state)
{
	(void)state;
	struct fx *fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - port: \"8000-9000\"\n");
	const struct diag *d = fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].port", "unable to parse port");
	assert_non_null(strstr(d->hint, "endPort: 9000"));
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - port: \"65536\"\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].port", "value out of range");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - protocol: TCP\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].port", "port must be specified");
	fx_free(fx);

	/* The CRD enum is case-sensitive... */
	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - {port: \"80\", protocol: tcp}\n");
	d = fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].protocol", "Unsupported value: \"tcp\"");
	assert_non_null(strstr(d->hint, "\"TCP\""));
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - {port: \"0\", protocol: ICMP}\n");
	d = fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].protocol", "Unsupported value: \"ICMP\"");
	assert_non_null(strstr(d->hint, "icmps"));
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - {port: \"80\", endPort: 70000}\n");
	fx_expect_error(fx, 11, "spec.egress[0].toPorts[0].ports[0].endPort", "between 0 and 65535");
	fx_free(fx);

	/* At most 40 ports: refused, never truncated. */
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s", CNP "  egress:\n  - toPorts:\n    - ports:\n");
	for (int i = 0; i < 41; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "      - port: \"%d\"\n", 1000 + i);
	fx = load_bad(text);
	fx_expect_error(fx, 10, "spec.egress[0].toPorts[0].ports", "Too many: 41: must have at most 40 items");
	fx_free(fx);

	/* Deny toPorts have ports only: L7 rules would be pruned into a wider deny. */
	fx = load_bad(CNP "  ingressDeny:\n  - toPorts:\n    - ports: [{port: \"80\"}]\n      rules: {http: [{}]}\n");
	fx_expect_error(fx, 11, "spec.ingressDeny[0].toPorts[0].rules", "unknown field");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports:\n      - {protocol: VRRP}\n");
	expect_only_unsupported(fx, 11, "spec.egress[0].toPorts[0].ports[0].protocol", "extended IP protocols");
	fx_free(fx);
}

static void test_bare_rules_protocols(void **state)
{
	(void)state;
	/* The agent upper-cases the protocol and takes a bare address as a CIDR. */
	struct fx *fx = load_ok("[{\"endpointSelector\": {}, \"egress\": [{\"toCIDR\": [\"10.0.0.1\"],\n"
				"  \"toPorts\": [{\"ports\": [{\"port\": \"53\", \"protocol\": \"udp\"}]}]}]}]\n");
	assert_int_equal(port(fx, 0, 0)->proto, IR_PROTO_UDP);
	assert_string_equal(cidr_s(&rule(fx, 0)->peers[0].cidr), "10.0.0.1/32");
	fx_free(fx);
}

static void test_icmps(void **state)
{
	(void)state;
	struct fx *fx = load_ok(CNP "  egress:\n  - icmps:\n    - fields:\n"
				"      - {type: 8}\n"
				"      - {type: EchoReply, family: IPv4}\n"
				"      - {type: EchoRequest, family: IPv6}\n"
				"      - {type: \"129\", family: IPv6}\n");
	assert_int_equal(port(fx, 0, 0)->proto, IR_PROTO_ICMP);
	assert_int_equal(port(fx, 0, 0)->lo, 8);
	assert_int_equal(port(fx, 0, 1)->lo, 0);
	assert_int_equal(port(fx, 0, 2)->proto, IR_PROTO_ICMPV6);
	assert_int_equal(port(fx, 0, 2)->lo, 128);
	assert_int_equal(port(fx, 0, 3)->lo, 129);
	/* icmps without L3: every peer. */
	assert_int_equal(rule(fx, 0)->peers[0].kind, IR_PEER_ALL);
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - icmps:\n    - fields:\n      - {type: Echo, family: IPv6}\n");
	fx_expect_error(fx, 11, "spec.egress[0].icmps[0].fields[0].type", "ICMP type Echo not found in IPv6");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - icmps:\n    - fields:\n      - {type: 8, family: ipv4}\n");
	fx_expect_error(fx, 11, "spec.egress[0].icmps[0].fields[0].family", "Unsupported value: \"ipv4\"");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - icmps:\n    - fields:\n      - {type: 256}\n");
	fx_expect_error(fx, 11, "spec.egress[0].icmps[0].fields[0].type", "between 0 and 255");
	fx_free(fx);
}

/* ---- what polc does not do yet ---------------------------------------------- */

static void test_unsupported(void **state)
{
	(void)state;
	struct fx *fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"
				 "      rules:\n        http:\n        - {method: GET, path: /}\n");
	expect_only_unsupported(fx, 12, "spec.ingress[0].toPorts[0].rules.http", "L7 HTTP rules");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toFQDNs:\n    - matchName: example.com\n");
	expect_only_unsupported(fx, 9, "spec.egress[0].toFQDNs", "toFQDNs");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toServices:\n    - k8sService: {serviceName: s, namespace: n}\n");
	expect_only_unsupported(fx, 9, "spec.egress[0].toServices", "toServices");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromRequires: [{matchLabels: {env: prod}}]\n");
	expect_only_unsupported(fx, 9, "spec.ingress[0].fromRequires", "fromRequires");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromNodes: [{matchLabels: {role: worker}}]\n");
	expect_only_unsupported(fx, 9, "spec.ingress[0].fromNodes", "fromNodes");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toGroups: [{aws: {securityGroupsIds: [sg-1]}}]\n");
	expect_only_unsupported(fx, 9, "spec.egress[0].toGroups", "toGroups");
	fx_free(fx);

	fx = load_bad("apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: h}\n"
		      "spec:\n  nodeSelector: {matchLabels: {a: b}}\n  ingress: [{fromEntities: [cluster]}]\n");
	expect_only_unsupported(fx, 5, "spec.nodeSelector", "host policies");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - fromEntities: [cluster]\n    authentication: {mode: required}\n");
	expect_only_unsupported(fx, 10, "spec.ingress[0].authentication.mode", "mutual authentication");
	fx_free(fx);

	/* mode: disabled is no authentication at all. */
	fx = load_ok(CNP "  ingress:\n  - fromEntities: [cluster]\n    authentication: {mode: disabled}\n");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"443\", protocol: TCP}]\n"
		      "      serverNames: [example.com]\n");
	expect_only_unsupported(fx, 11, "spec.egress[0].toPorts[0].serverNames", "serverNames");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"
		      "      listener: {name: l, envoyConfig: {kind: CiliumEnvoyConfig, name: e}}\n");
	expect_only_unsupported(fx, 11, "spec.egress[0].toPorts[0].listener", "Envoy listener");
	fx_free(fx);
}

static void test_l7_validation(void **state)
{
	(void)state;
	/* Invalid before unsupported: Cilium would refuse these too. */
	struct fx *fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"53\", protocol: UDP}]\n"
				 "      rules:\n        dns:\n        - matchPattern: \"*\"\n");
	fx_expect_error(fx, 12, "spec.ingress[0].toPorts[0].rules.dns", "DNS rules are not allowed on ingress");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toPorts:\n    - ports: [{port: \"53\", endPort: 60}]\n"
		      "      rules:\n        dns: [{matchPattern: \"*\"}]\n");
	fx_expect_error(fx, 10, "spec.egress[0].toPorts[0].ports[0].endPort", "DNS rules do not support port ranges");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"
		      "      rules:\n        http: [{method: GET}]\n        kafka: [{topic: t}]\n");
	fx_expect_error(fx, 13, "spec.ingress[0].toPorts[0].rules", "multiple L7 protocol rule types");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"9092\", protocol: TCP}]\n"
		      "      rules:\n        kafka:\n        - role: consume\n          apiKey: fetch\n");
	fx_expect_error(fx, 14, "spec.ingress[0].toPorts[0].rules.kafka[0]", "cannot set both Role");
	fx_free(fx);

	/* HTTP is for TCP, and never on port 0. */
	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"80\"}]\n      rules: {http: [{}]}\n");
	fx_expect_error(fx, 10, "spec.ingress[0].toPorts[0].ports[0].protocol", "L7 rules can only apply to TCP");
	fx_free(fx);
	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"0\", protocol: TCP}]\n"
		      "      rules: {http: [{}]}\n");
	fx_expect_error(fx, 10, "spec.ingress[0].toPorts[0].ports[0].port", "L7 rules can not be used when a port is 0");
	fx_free(fx);

	fx = load_bad(CNP "  egress:\n  - toFQDNs:\n    - {matchName: a.example.com, matchPattern: \"*.example.com\"}\n");
	fx_expect_error(fx, 10, "spec.egress[0].toFQDNs[0]", "one and only one schema");
	fx_free(fx);

	fx = load_bad(CNP "  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"
		      "      listener: {name: l, envoyConfig: {name: e}}\n");
	fx_expect_error(fx, 11, "spec.ingress[0].toPorts[0].listener", "Listener is not allowed on ingress");
	fx_free(fx);

	/* An old key is an unknown field, not silently pruned (auth.yaml in the corpus). */
	fx = load_bad(CNP "  egress:\n  - toEndpoints: [{}]\n    auth: {type: \"null\"}\n");
	const struct diag *d = fx_expect_error(fx, 10, "spec.egress[0].auth", "unknown field");
	assert_non_null(strstr(d->hint, "authentication"));
	fx_free(fx);
}

/* ---- bare rule lists, the builtin localhost rule ------------------------------- */

static void test_bare_rule_list(void **state)
{
	(void)state;
	struct fx *fx = load_ok("[{\"labels\": [{\"key\": \"name\", \"value\": \"r\"}],\n"
				" \"endpointSelector\": {\"matchLabels\": {\"role\": \"victim\"}},\n"
				" \"ingress\": [{\"fromEndpoints\": [{\"matchLabels\": {}}]}]}]\n");
	const struct ir_policy *p = policy(fx, 0);
	assert_int_equal(p->kind, IR_POLICY_CILIUM_RULE);
	assert_string_equal(p->name, "r[0]");
	assert_null(p->namespace);
	/* No scoping: {} is every identity, and the subject is as written. */
	assert_int_equal(p->subject.n_reqs, 1);
	assert_int_equal(rule(fx, 0)->peers[0].sel.n_reqs, 0);
	assert_int_equal(fx->fe.n_policies, 1);
	fx_free(fx);

	fx = load_bad("- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n");
	fx_expect_error(fx, 1, "[0]", "this item is a Kubernetes object");
	fx_free(fx);

	fx = load_bad("[{\"endpointSelector\": {}, \"ingress\": [{\"fromEndpoint\": []}]}]\n");
	fx_expect_error(fx, 1, "[0].ingress[0].fromEndpoint", "unknown field");
	fx_free(fx);
}

static char *with_node(char *buf, size_t size, const char *annotations)
{
	snprintf(buf, size,
		 CNP "  ingress: [{}]\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n%s"
		     "status:\n  addresses: [{type: InternalIP, address: 198.18.0.254}]\n",
		 annotations);
	return buf;
}

static void test_allow_localhost(void **state)
{
	(void)state;
	char text[1024];
	struct fx *fx = load_ok(with_node(text, sizeof(text), ""));
	assert_int_equal(fx->prog.policies.len, 2);
	const struct ir_policy *b = policy(fx, 1);
	assert_int_equal(b->kind, IR_POLICY_BUILTIN);
	assert_int_equal(b->subject.n_reqs, 0);
	assert_false(b->enforce[IR_INGRESS]);
	assert_int_equal(b->rules.len, 1);
	assert_int_equal(b->rules.items[0]->peers[0].entities, IR_ENTITY_HOST);
	fx_free(fx);

	fx = load_ok(with_node(text, sizeof(text), "  annotations: {polc.io/allow-localhost: policy}\n"));
	assert_int_equal(fx->prog.policies.len, 1);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, with_node(text, sizeof(text), "  annotations: {polc.io/allow-localhost: x}\n")),
			 -EINVAL);
	fx_expect_error(fx, 14, "metadata.annotations", "must be \"always\" or \"policy\"");
	fx_free(fx);
}

static void test_json_object(void **state)
{
	(void)state;
	struct fx *fx = load_ok("{\"apiVersion\": \"cilium.io/v2\", \"kind\": \"CiliumNetworkPolicy\",\n"
				" \"metadata\": {\"name\": \"j\", \"namespace\": \"a\"},\n"
				" \"spec\": {\"endpointSelector\": {}, \"egress\": [{\"toEntities\": [\"world\"]}]}}\n");
	assert_int_equal(rule(fx, 0)->peers[0].entities, IR_ENTITY_WORLD);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_and_specs),
		cmocka_unit_test(test_envelope_errors),
		cmocka_unit_test(test_namespace_and_audit),
		cmocka_unit_test(test_subject_scoping),
		cmocka_unit_test(test_peer_scoping),
		cmocka_unit_test(test_label_sources),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_wildcards_and_empty_lists),
		cmocka_unit_test(test_one_l3_kind),
		cmocka_unit_test(test_cidrs),
		cmocka_unit_test(test_cidr_groups),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_port_errors),
		cmocka_unit_test(test_bare_rules_protocols),
		cmocka_unit_test(test_icmps),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_l7_validation),
		cmocka_unit_test(test_bare_rule_list),
		cmocka_unit_test(test_allow_localhost),
		cmocka_unit_test(test_json_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * NetworkPolicy (compiler/frontend/netpol.c): lowering of every peer and
 * port form into the IR, policyTypes defaulting, and every rule of the
 * API server's validation, each with its line, field path and message.
 */
#include "fe_test.h"

/* Lines 1-6 of every policy below; the spec body starts at line 7. */
#define HEADER                                  \
	"apiVersion: networking.k8s.io/v1\n"    \
	"kind: NetworkPolicy\n"                 \
	"metadata:\n"                           \
	"  name: p\n"                           \
	"  namespace: shop\n"                   \
	"spec:\n"

static struct fx *load_ok(const char *text)
{
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = fx_load(fx, text);
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
	assert_int_equal(fx_load(fx, text), -EINVAL);
	assert_int_equal(fx->prog.policies.len, 0);
	assert_int_equal(fx->prog.rules.len, 0);
	return fx;
}

static void expect_req(const struct ir_requirement *r, const char *key, enum ir_sel_op op, const char *value)
{
	assert_string_equal(r->key, key);
	assert_int_equal(r->op, op);
	if (value) {
		assert_int_equal(r->n_values, 1);
		assert_string_equal(r->values[0], value);
	} else if (op == IR_SEL_EXISTS || op == IR_SEL_NOT_EXISTS) {
		assert_int_equal(r->n_values, 0);
	}
}

static const char *cidr_s(const struct ir_cidr *c)
{
	static char buf[64];
	return ir_cidr_str(c, buf, sizeof(buf));
}

/* ---- lowering ------------------------------------------------------------ */

static void test_subject_and_default_types(void **state)
{
	(void)state;
	struct fx *fx = load_ok(HEADER "  podSelector:\n"
				       "    matchLabels:\n"
				       "      app: web\n"
				       "    matchExpressions:\n"
				       "    - {key: tier, operator: NotIn, values: [db, cache]}\n"
				       "    - {key: canary, operator: DoesNotExist}\n");
	assert_int_equal(fx->prog.policies.len, 1);
	const struct ir_policy *p = fx->prog.policies.items[0];
	assert_int_equal(p->kind, IR_POLICY_K8S);
	assert_string_equal(p->name, "p");
	assert_string_equal(p->namespace, "shop");
	assert_int_equal(p->loc.line, 2);
	assert_true(p->enforce[IR_INGRESS]);
	assert_false(p->enforce[IR_EGRESS]);
	assert_int_equal(p->rules.len, 0);
	assert_int_equal(p->subject.n_reqs, 4);
	expect_req(&p->subject.reqs[0], "k8s:app", IR_SEL_IN, "web");
	assert_int_equal(p->subject.reqs[0].loc.line, 9);
	expect_req(&p->subject.reqs[1], "k8s:tier", IR_SEL_NOT_IN, NULL);
	assert_int_equal(p->subject.reqs[1].n_values, 2);
	assert_string_equal(p->subject.reqs[1].values[1], "cache");
	expect_req(&p->subject.reqs[2], "k8s:canary", IR_SEL_NOT_EXISTS, NULL);
	expect_req(&p->subject.reqs[3], "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop");
	assert_string_equal(p->subject.path, "spec.podSelector");
	fx_free(fx);

	/* Empty podSelector: every pod of the namespace. No spec at all: the same. */
	fx = load_ok(HEADER "  podSelector: {}\n");
	p = fx->prog.policies.items[0];
	assert_int_equal(p->subject.n_reqs, 1);
	expect_req(&p->subject.reqs[0], "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop");
	fx_free(fx);
	fx = load_ok("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n");
	p = fx->prog.policies.items[0];
	assert_int_equal(p->subject.n_reqs, 1);
	assert_true(p->enforce[IR_INGRESS]);
	fx_free(fx);
}

static void test_policy_types_defaulting(void **state)
{
	(void)state;
	/* No policyTypes, egress rules: Ingress and Egress. */
	struct fx *fx = load_ok(HEADER "  podSelector: {}\n  egress:\n  - {}\n");
	const struct ir_policy *p = fx->prog.policies.items[0];
	assert_true(p->enforce[IR_INGRESS] && p->enforce[IR_EGRESS]);
	assert_int_equal(p->rules.len, 1);
	assert_int_equal(p->rules.items[0]->dir, IR_EGRESS);
	fx_free(fx);

	/* egress: [] is no egress rules: Ingress only. */
	fx = load_ok(HEADER "  podSelector: {}\n  egress: []\n");
	p = fx->prog.policies.items[0];
	assert_true(p->enforce[IR_INGRESS]);
	assert_false(p->enforce[IR_EGRESS]);
	fx_free(fx);

	/* policyTypes: [] defaults as if absent. */
	fx = load_ok(HEADER "  podSelector: {}\n  policyTypes: []\n  egress:\n  - {}\n");
	p = fx->prog.policies.items[0];
	assert_true(p->enforce[IR_INGRESS] && p->enforce[IR_EGRESS]);
	fx_free(fx);

	/* Explicit Egress only: ingress rules are validated but inert. */
	fx = load_ok(HEADER "  podSelector: {}\n"
			    "  policyTypes: [Egress]\n"
			    "  ingress:\n"
			    "  - from:\n"
			    "    - podSelector: {}\n"
			    "  egress:\n"
			    "  - {}\n");
	p = fx->prog.policies.items[0];
	assert_false(p->enforce[IR_INGRESS]);
	assert_true(p->enforce[IR_EGRESS]);
	assert_int_equal(fx->prog.rules.len, 1);
	assert_int_equal(fx->prog.rules.items[0]->dir, IR_EGRESS);
	assert_int_equal(fx->fe.inert.len, 1);
	assert_ptr_equal(fx->fe.inert.items[0].policy, p);
	assert_int_equal(fx->fe.inert.items[0].dir, IR_INGRESS);
	assert_int_equal(fx->fe.inert.items[0].n_rules, 1);
	assert_int_equal(fx->fe.inert.items[0].loc.line, 9);
	assert_string_equal(fx->fe.inert.items[0].path, "spec.ingress");
	fx_free(fx);

	/* Explicit Ingress only, egress rules present: egress inert, not enforced. */
	fx = load_ok(HEADER "  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - {}\n");
	p = fx->prog.policies.items[0];
	assert_true(p->enforce[IR_INGRESS]);
	assert_false(p->enforce[IR_EGRESS]);
	assert_int_equal(fx->prog.rules.len, 0);
	assert_int_equal(fx->fe.inert.len, 1);
	assert_int_equal(fx->fe.inert.items[0].dir, IR_EGRESS);
	fx_free(fx);

	/* Inert rules are still validated, as the API server does. */
	fx = load_bad(HEADER "  podSelector: {}\n  policyTypes: [Ingress]\n  egress:\n  - ports:\n    - port: 0\n");
	fx_expect_error(fx, 11, "spec.egress[0].ports[0].port", "must be between 1 and 65535");
	fx_free(fx);
}

static void test_peer_forms(void **state)
{
	(void)state;
	struct fx *fx = load_ok(HEADER "  podSelector: {}\n"
				       "  ingress:\n"
				       "  - {}\n"                                    /* 9: all */
				       "  - from: []\n"                              /* 10: all */
				       "  - from:\n"                                 /* 11 */
				       "    - podSelector: {matchLabels: {app: a}}\n" /* 12 */
				       "    - namespaceSelector: {matchLabels: {team: x}}\n"
				       "    - namespaceSelector: {}\n"
				       "      podSelector: {matchLabels: {app: b}}\n"
				       "    - namespaceSelector: {}\n"
				       "    - ipBlock:\n"
				       "        cidr: 10.0.0.0/8\n"
				       "        except: [10.1.0.0/16, 10.2.3.0/24]\n"
				       "    - ipBlock: {cidr: 'fd00::/8'}\n"
				       "    - podSelector: {}\n");
	const struct ir_policy *p = fx->prog.policies.items[0];
	assert_int_equal(p->rules.len, 3);
	const struct ir_rule *r0 = p->rules.items[0], *r1 = p->rules.items[1], *r2 = p->rules.items[2];
	assert_int_equal(r0->n_peers, 1);
	assert_int_equal(r0->peers[0].kind, IR_PEER_ALL);
	assert_int_equal(r0->n_ports, 0);
	assert_string_equal(r0->path, "spec.ingress[0]");
	assert_int_equal(r0->loc.line, 9);
	assert_int_equal(r1->n_peers, 1);
	assert_int_equal(r1->peers[0].kind, IR_PEER_ALL);
	assert_int_equal(r2->n_peers, 7);

	const struct ir_peer *pe = &r2->peers[0];
	assert_int_equal(pe->kind, IR_PEER_SELECTOR);
	assert_string_equal(pe->path, "spec.ingress[2].from[0]");
	assert_int_equal(pe->loc.line, 12);
	assert_int_equal(pe->sel.n_reqs, 2);
	expect_req(&pe->sel.reqs[0], "k8s:app", IR_SEL_IN, "a");
	expect_req(&pe->sel.reqs[1], "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop");
	assert_string_equal(pe->sel.path, "spec.ingress[2].from[0].podSelector");

	pe = &r2->peers[1];
	assert_int_equal(pe->sel.n_reqs, 2);
	expect_req(&pe->sel.reqs[0], "k8s:io.cilium.k8s.namespace.labels.team", IR_SEL_IN, "x");
	expect_req(&pe->sel.reqs[1], "k8s:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL);

	pe = &r2->peers[2];
	assert_int_equal(pe->sel.n_reqs, 2);
	expect_req(&pe->sel.reqs[0], "k8s:app", IR_SEL_IN, "b");
	expect_req(&pe->sel.reqs[1], "k8s:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL);

	pe = &r2->peers[3];
	assert_int_equal(pe->sel.n_reqs, 1);
	expect_req(&pe->sel.reqs[0], "k8s:io.kubernetes.pod.namespace", IR_SEL_EXISTS, NULL);

	pe = &r2->peers[4];
	assert_int_equal(pe->kind, IR_PEER_CIDR);
	assert_true(pe->matches_endpoints);
	assert_string_equal(cidr_s(&pe->cidr), "10.0.0.0/8");
	assert_int_equal(pe->n_except, 2);
	assert_string_equal(cidr_s(&pe->except[0]), "10.1.0.0/16");
	assert_string_equal(cidr_s(&pe->except[1]), "10.2.3.0/24");

	pe = &r2->peers[5];
	assert_int_equal(pe->kind, IR_PEER_CIDR);
	assert_int_equal(pe->cidr.family, 6);
	assert_string_equal(cidr_s(&pe->cidr), "fd00::/8");
	assert_int_equal(pe->n_except, 0);

	pe = &r2->peers[6];
	assert_int_equal(pe->sel.n_reqs, 1);
	expect_req(&pe->sel.reqs[0], "k8s:io.kubernetes.pod.namespace", IR_SEL_IN, "shop");
	fx_free(fx);
}

static void test_port_forms(void **state)
{
	(void)state;
	struct fx *fx = load_ok(HEADER "  podSelector: {}\n"
				       "  policyTypes: [Egress]\n"
				       "  egress:\n"
				       "  - ports:\n"
				       "    - port: 80\n"
				       "    - protocol: UDP\n"
				       "    - {protocol: TCP, port: 8000, endPort: 9000}\n"
				       "    - {protocol: SCTP, port: 3868}\n"
				       "    - port: metrics\n"
				       "    - {port: dns, protocol: UDP}\n"
				       "  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n"
				       "    ports: []\n");
	const struct ir_policy *p = fx->prog.policies.items[0];
	assert_int_equal(p->rules.len, 2);
	const struct ir_rule *r = p->rules.items[0];
	assert_int_equal(r->dir, IR_EGRESS);
	assert_int_equal(r->n_peers, 1);
	assert_int_equal(r->peers[0].kind, IR_PEER_ALL);
	assert_int_equal(r->n_ports, 6);
	assert_int_equal(r->ports[0].proto, IR_PROTO_TCP);
	assert_int_equal(r->ports[0].lo, 80);
	assert_int_equal(r->ports[0].hi, 80);
	assert_int_equal(r->ports[0].loc.line, 11);
	assert_string_equal(r->ports[0].path, "spec.egress[0].ports[0]");
	assert_int_equal(r->ports[1].proto, IR_PROTO_UDP);
	assert_int_equal(r->ports[1].lo, 0);
	assert_int_equal(r->ports[1].hi, 0);
	assert_int_equal(r->ports[2].lo, 8000);
	assert_int_equal(r->ports[2].hi, 9000);
	assert_int_equal(r->ports[3].proto, IR_PROTO_SCTP);
	assert_string_equal(r->ports[4].name, "metrics");
	assert_int_equal(r->ports[4].proto, IR_PROTO_TCP);
	assert_string_equal(r->ports[5].name, "dns");
	assert_int_equal(r->ports[5].proto, IR_PROTO_UDP);
	assert_int_equal(p->rules.items[1]->n_ports, 0);
	assert_int_equal(p->rules.items[1]->peers[0].kind, IR_PEER_CIDR);
	fx_free(fx);
}

static void test_namespace_default_and_audit(void **state)
{
	(void)state;
	struct fx *fx = load_ok("apiVersion: networking.k8s.io/v1\n"
				"kind: NetworkPolicy\n"
				"metadata:\n"
				"  name: p\n"
				"  annotations: {polc.io/audit: \"true\"}\n"
				"spec:\n"
				"  podSelector: {}\n");
	const struct ir_policy *p = fx->prog.policies.items[0];
	assert_string_equal(p->namespace, "default");
	assert_true(p->audit);
	fx_expect(fx, DIAG_NOTE, 3, "metadata.namespace", "namespace \"default\"");
	fx_free(fx);

	fx = load_bad(HEADER "  podSelector: {}\n" "x: 1\n");
	fx_free(fx);
	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		      "metadata: {name: p, annotations: {polc.io/audit: \"yes\"}}\n");
	fx_expect_error(fx, 3, "metadata.annotations", "polc.io/audit must be");
	fx_free(fx);
}

static void test_aliased_rules_lowered_once(void **state)
{
	(void)state;
	struct fx *fx = load_ok(HEADER "  podSelector: {}\n"
				       "  ingress:\n"
				       "  - &r\n"
				       "    from: [{podSelector: {matchLabels: {app: a}}}]\n"
				       "  - *r\n"
				       "  - *r\n");
	assert_int_equal(fx->prog.rules.len, 1);
	fx_expect_warning(fx, 8, "spec.ingress", "2 rules repeat spec.ingress[0]");
	fx_free(fx);
}

/* ---- validation ---------------------------------------------------------- */

struct vcase {
	const char *name;
	const char *spec; /* from line 7 */
	uint32_t line;
	const char *path;
	const char *msg;
};

static const struct vcase port_cases[] = {
	{"protocol lowercase", "  ingress:\n  - ports:\n    - protocol: tcp\n", 9, "spec.ingress[0].ports[0].protocol",
	 "Unsupported value: \"tcp\": supported values: \"TCP\", \"UDP\", \"SCTP\""},
	{"protocol ICMP", "  ingress:\n  - ports:\n    - protocol: ICMP\n", 9, "spec.ingress[0].ports[0].protocol",
	 "Unsupported value: \"ICMP\""},
	{"port 0", "  ingress:\n  - ports:\n    - port: 0\n", 9, "spec.ingress[0].ports[0].port",
	 "Invalid value: 0: must be between 1 and 65535, inclusive"},
	{"port 65536", "  ingress:\n  - ports:\n    - port: 65536\n", 9, "spec.ingress[0].ports[0].port",
	 "Invalid value: 65536: must be between 1 and 65535, inclusive"},
	{"port negative", "  ingress:\n  - ports:\n    - port: -1\n", 9, "spec.ingress[0].ports[0].port",
	 "Invalid value: -1"},
	{"endPort below port", "  egress:\n  - ports:\n    - port: 9000\n      endPort: 8000\n", 10,
	 "spec.egress[0].ports[0].endPort", "Invalid value: 8000: must be greater than or equal to `port`"},
	{"endPort out of range", "  egress:\n  - ports:\n    - port: 9000\n      endPort: 70000\n", 10,
	 "spec.egress[0].ports[0].endPort", "Invalid value: 70000: must be between 1 and 65535, inclusive"},
	{"endPort with named port", "  ingress:\n  - ports:\n    - port: metrics\n      endPort: 9100\n", 10,
	 "spec.ingress[0].ports[0].endPort", "may not be specified when `port` is non-numeric"},
	{"endPort without port", "  ingress:\n  - ports:\n    - protocol: TCP\n      endPort: 9100\n", 10,
	 "spec.ingress[0].ports[0].endPort", "may not be specified when `port` is not specified"},
	{"endPort string", "  ingress:\n  - ports:\n    - port: 9000\n      endPort: \"9100\"\n", 10,
	 "spec.ingress[0].ports[0].endPort", "expected integer, got string"},
	{"named port bad chars", "  ingress:\n  - ports:\n    - port: HTTP_Web\n", 9, "spec.ingress[0].ports[0].port",
	 "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"},
	{"named port digits", "  ingress:\n  - ports:\n    - port: \"8080\"\n", 9, "spec.ingress[0].ports[0].port",
	 "Invalid value: \"8080\": must contain at least one letter (a-z)"},
	{"named port too long", "  ingress:\n  - ports:\n    - port: abcdefghijklmnop\n", 9,
	 "spec.ingress[0].ports[0].port", "must be no more than 15 bytes"},
	{"named port double hyphen", "  ingress:\n  - ports:\n    - port: a--b\n", 9, "spec.ingress[0].ports[0].port",
	 "must not contain consecutive hyphens"},
	{"named port edge hyphen", "  ingress:\n  - ports:\n    - port: web-\n", 9, "spec.ingress[0].ports[0].port",
	 "must not begin or end with a hyphen"},
	{"octal-looking port", "  ingress:\n  - ports:\n    - port: 0110\n", 9, "spec.ingress[0].ports[0].port",
	 "ambiguous integer 0110"},
	{"port bool", "  ingress:\n  - ports:\n    - port: on\n", 9, "spec.ingress[0].ports[0].port",
	 "expected integer or string, got boolean"},
	{"port float", "  ingress:\n  - ports:\n    - port: 80.5\n", 9, "spec.ingress[0].ports[0].port",
	 "expected integer or string, got float"},
	{"unknown port field", "  ingress:\n  - ports:\n    - port: 80\n      prot: TCP\n", 10,
	 "spec.ingress[0].ports[0].prot", "unknown field \"prot\""},
	{"ports not a list", "  ingress:\n  - ports: 80\n", 8, "spec.ingress[0].ports", "expected a sequence"},
	{"port item not a mapping", "  ingress:\n  - ports: [80]\n", 8, "spec.ingress[0].ports[0]",
	 "expected a mapping, got an integer"},
};

static const struct vcase peer_cases[] = {
	{"empty peer", "  ingress:\n  - from:\n    - {}\n", 9, "spec.ingress[0].from[0]",
	 "Required value: must specify a peer"},
	{"null selectors are no peer", "  ingress:\n  - from:\n    - podSelector: null\n", 9, "spec.ingress[0].from[0]",
	 "must specify a peer"},
	{"ipBlock with podSelector", "  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n", 9,
	 "spec.egress[0].to[0]", "Forbidden: may not specify both ipBlock and another peer"},
	{"ipBlock with namespaceSelector",
	 "  egress:\n  - to:\n    - namespaceSelector: {}\n      ipBlock: {cidr: 10.0.0.0/8}\n", 9, "spec.egress[0].to[0]",
	 "may not specify both ipBlock and another peer"},
	{"cidr missing", "  ingress:\n  - from:\n    - ipBlock:\n        except: [10.1.0.0/16]\n", 9,
	 "spec.ingress[0].from[0].ipBlock.cidr", "Required value"},
	{"cidr empty", "  ingress:\n  - from:\n    - ipBlock:\n        cidr: \"\"\n", 10,
	 "spec.ingress[0].from[0].ipBlock.cidr", "Required value"},
	{"cidr short form", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.2/16\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "Invalid value: \"10.2/16\": must be a valid CIDR value"},
	{"cidr without prefix", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.2.3.4\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "must be a valid CIDR value"},
	{"cidr prefix 33", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/33\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "must be a valid CIDR value"},
	{"cidr leading zeros", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 010.0.0.0/8\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "must not have leading 0s in IP or prefix length"},
	{"cidr host bits", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.20.30.40/16\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr",
	 "must not have bits set beyond the prefix length (ambiguous: \"10.20.0.0/16\" or \"10.20.30.40/32\"?)"},
	{"cidr v6 host bits", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 2001:db8::1/64\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "(ambiguous: \"2001:db8::/64\" or \"2001:db8::1/128\"?)"},
	{"cidr mapped short", "  egress:\n  - to:\n    - ipBlock:\n        cidr: '::ffff:0.0.0.0/80'\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "must not have an IPv4-mapped IPv6 address"},
	{"cidr not a string", "  egress:\n  - to:\n    - ipBlock:\n        cidr: [10.0.0.0/8]\n", 10,
	 "spec.egress[0].to[0].ipBlock.cidr", "expected a string, got a sequence"},
	{"except equals cidr",
	 "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.8.0.0/16\n        except:\n        - 10.8.0.0/16\n", 12,
	 "spec.egress[0].to[0].ipBlock.except[0]", "Invalid value: \"10.8.0.0/16\": must be a strict subset of `cidr`"},
	{"except outside cidr",
	 "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.8.0.0/16\n        except:\n        - 10.9.0.0/24\n", 12,
	 "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"},
	{"except wider",
	 "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.8.0.0/16\n        except:\n        - 10.0.0.0/8\n", 12,
	 "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"},
	{"except other family",
	 "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.8.0.0/16\n        except:\n        - fd00::/64\n", 12,
	 "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"},
	{"except invalid",
	 "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.8.0.0/16\n        except:\n        - ok\n        - 10.8.1/24\n", 12,
	 "spec.egress[0].to[0].ipBlock.except[0]", "must be a valid CIDR value"},
	{"unknown ipBlock field", "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        exept: []\n", 11,
	 "spec.egress[0].to[0].ipBlock.exept", "unknown field \"exept\""},
	{"unknown peer field", "  ingress:\n  - from:\n    - podselector: {}\n", 9, "spec.ingress[0].from[0].podselector",
	 "unknown field \"podselector\""},
	{"from not a list", "  ingress:\n  - from: {podSelector: {}}\n", 8, "spec.ingress[0].from",
	 "expected a sequence, got a mapping"},
	{"unknown rule field", "  ingress:\n  - form: []\n", 8, "spec.ingress[0].form", "unknown field \"form\""},
	{"to in ingress", "  ingress:\n  - to: []\n", 8, "spec.ingress[0].to", "unknown field \"to\""},
};

static const struct vcase selector_cases[] = {
	{"label key with =", "  podSelector:\n    matchLabels:\n      app=tier: web\n", 9, "spec.podSelector.matchLabels",
	 "Invalid value: \"app=tier\": name part must consist of alphanumeric characters"},
	{"label key prefix upper", "  podSelector:\n    matchLabels:\n      Example.COM/team: x\n", 9,
	 "spec.podSelector.matchLabels", "prefix part a lowercase RFC 1123 subdomain"},
	{"label key too long",
	 "  podSelector:\n    matchLabels:\n      aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: x\n", 9,
	 "spec.podSelector.matchLabels", "name part must be no more than 63 bytes"},
	{"label value space", "  podSelector:\n    matchLabels:\n      tier: \"front end\"\n", 9,
	 "spec.podSelector.matchLabels", "Invalid value: \"front end\": a valid label must be an empty string"},
	{"label value slash", "  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: a/b\n", 11,
	 "spec.ingress[0].from[0].namespaceSelector.matchLabels", "Invalid value: \"a/b\""},
	{"label value bool", "  podSelector:\n    matchLabels:\n      enabled: yes\n", 9, "spec.podSelector.matchLabels",
	 "expected string, got a boolean"},
	{"label value int", "  podSelector:\n    matchLabels:\n      version: 2\n", 9, "spec.podSelector.matchLabels",
	 "expected string, got an integer"},
	{"label key bool", "  podSelector:\n    matchLabels:\n      on: x\n", 9, "spec.podSelector.matchLabels",
	 "key on reads as boolean"},
	{"In without values", "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: In\n", 9,
	 "spec.podSelector.matchExpressions[0].values",
	 "Required value: must be specified when `operator` is 'In' or 'NotIn'"},
	{"NotIn empty values", "  podSelector:\n    matchExpressions:\n    - {key: app, operator: NotIn, values: []}\n", 9,
	 "spec.podSelector.matchExpressions[0].values", "must be specified when `operator` is 'In' or 'NotIn'"},
	{"Exists with values",
	 "  podSelector:\n    matchExpressions:\n    - key: canary\n      operator: Exists\n      values:\n      - \"true\"\n", 11,
	 "spec.podSelector.matchExpressions[0].values",
	 "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"},
	{"bad operator", "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: in\n      values: [a]\n", 10,
	 "spec.podSelector.matchExpressions[0].operator", "Invalid value: \"in\": not a valid selector operator"},
	{"missing operator", "  podSelector:\n    matchExpressions:\n    - key: app\n", 9,
	 "spec.podSelector.matchExpressions[0].operator", "Invalid value: \"\": not a valid selector operator"},
	{"bad expression key", "  podSelector:\n    matchExpressions:\n    - {key: -app, operator: Exists}\n", 9,
	 "spec.podSelector.matchExpressions[0].key", "Invalid value: \"-app\": name part"},
	{"missing expression key", "  podSelector:\n    matchExpressions:\n    - {operator: Exists}\n", 9,
	 "spec.podSelector.matchExpressions[0].key", "name part must be non-empty"},
	{"bad expression value", "  podSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [ok, \"a b\"]}\n",
	 9, "spec.podSelector.matchExpressions[0].values[1]", "Invalid value: \"a b\""},
	{"unknown selector field", "  podSelector:\n    matchLabel: {app: a}\n", 8, "spec.podSelector.matchLabel",
	 "unknown field \"matchLabel\""},
	{"unknown requirement field", "  podSelector:\n    matchExpressions:\n    - {key: a, operator: Exists, value: [x]}\n",
	 9, "spec.podSelector.matchExpressions[0].value", "unknown field \"value\""},
	{"selector not a mapping", "  podSelector: app=web\n", 7, "spec.podSelector", "expected a mapping, got a string"},
};

static const struct vcase spec_cases[] = {
	{"policyTypes lowercase", "  podSelector: {}\n  policyTypes:\n  - ingress\n", 9, "spec.policyTypes[0]",
	 "Unsupported value: \"ingress\": supported values: \"Ingress\", \"Egress\""},
	{"policyTypes three", "  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n", 8, "spec.policyTypes",
	 "may not specify more than two policyTypes"},
	{"policyTypes not a list", "  podSelector: {}\n  policyTypes: Ingress\n", 8, "spec.policyTypes",
	 "expected a sequence, got a string"},
	{"unknown spec field", "  podSelector: {}\n  egres: []\n", 8, "spec.egres", "unknown field \"egres\""},
	{"ingress not a list", "  podSelector: {}\n  ingress: {from: []}\n", 8, "spec.ingress", "expected a sequence"},
	{"rule not a mapping", "  podSelector: {}\n  ingress: [allow]\n", 8, "spec.ingress[0]", "expected a mapping"},
};

static void run_cases(const struct vcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char text[2048];
		snprintf(text, sizeof(text), HEADER "%s", cases[i].spec);
		struct fx *fx = fx_new(FRONTEND_COMPILE);
		int err = fx_load(fx, text);
		const struct diag *d = fx_find(fx, DIAG_ERROR, cases[i].line, cases[i].path, cases[i].msg);
		if (err != -EINVAL || !d || fx->prog.policies.len) {
			fprintf(stderr, "case \"%s\": want error at line %u, %s: %s; got:\n", cases[i].name,
				cases[i].line, cases[i].path, cases[i].msg);
			fx_dump(fx);
		}
		assert_int_equal(err, -EINVAL);
		assert_non_null(d);
		assert_int_equal(fx->prog.policies.len, 0);
		fx_free(fx);
	}
}

static void test_port_validation(void **state)
{
	(void)state;
	run_cases(port_cases, sizeof(port_cases) / sizeof(port_cases[0]));
	/* The valid neighbours. */
	fx_free(load_ok(HEADER "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 1}\n    - {port: 65535}\n"
			       "    - {port: 1, endPort: 65535}\n    - {port: 80, endPort: 80}\n"
			       "    - {port: a-1-b}\n    - {port: abcdefghijklmno}\n    - {protocol: SCTP}\n"
			       "    - {port: null, protocol: UDP}\n"));
}

static void test_peer_validation(void **state)
{
	(void)state;
	run_cases(peer_cases, sizeof(peer_cases) / sizeof(peer_cases[0]));
	fx_free(load_ok(HEADER "  podSelector: {}\n  egress:\n  - to:\n"
			       "    - ipBlock: {cidr: 10.8.0.0/16, except: [10.8.0.0/17, 10.8.255.255/32]}\n"
			       "    - ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}\n"
			       "    - ipBlock: {cidr: 0.0.0.0/0}\n"
			       "    - podSelector: {}\n      namespaceSelector: {}\n"));
}

static void test_selector_validation(void **state)
{
	(void)state;
	run_cases(selector_cases, sizeof(selector_cases) / sizeof(selector_cases[0]));
	fx_free(load_ok(HEADER "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: web\n"
			       "      tier: \"\"\n      Version_2: v1.0-rc_1\n"
			       "    matchExpressions:\n    - {key: a, operator: In, values: [\"1\", x]}\n"
			       "    - {key: example.com/b, operator: Exists}\n"));
}

static void test_spec_validation(void **state)
{
	(void)state;
	run_cases(spec_cases, sizeof(spec_cases) / sizeof(spec_cases[0]));
	fx_free(load_ok(HEADER "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"));
	fx_free(load_ok(HEADER "  podSelector: {}\n  policyTypes: [Egress, Egress]\n"));
}

static void test_metadata_validation(void **state)
{
	(void)state;
	struct fx *fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Allow_Web\n");
	fx_expect_error(fx, 4, "metadata.name",
			"Invalid value: \"Allow_Web\": a lowercase RFC 1123 subdomain must consist of lower case "
			"alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  namespace: shop\nspec: {}\n");
	fx_expect_error(fx, 3, "metadata.name", "Required value: name or generateName is required");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec: {}\n");
	fx_expect_error(fx, 1, "metadata.name", "Required value");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: Shop.x\n");
	fx_expect_error(fx, 5, "metadata.namespace", "Invalid value: \"Shop.x\"");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: a.b\n");
	fx_expect_error(fx, 5, "metadata.namespace", "must not contain dots");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: 123\n");
	fx_expect_error(fx, 4, "metadata.name", "expected string, got an integer");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  labels:\n"
		      "    owner: team@example.com\n");
	fx_expect_error(fx, 6, "metadata.labels", "Invalid value: \"team@example.com\"");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  annotations:\n"
		      "    bad key: x\n");
	fx_expect_error(fx, 6, "metadata.annotations", "Invalid value: \"bad key\"");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  nmespace: x\n");
	fx_expect_error(fx, 5, "metadata.nmespace", "unknown field");
	fx_free(fx);

	/* Annotation keys are checked case-insensitively; kubectl's bookkeeping fields are fine. */
	fx_free(load_ok("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p.v2\n"
			"  namespace: shop\n  uid: 0d4c\n  resourceVersion: \"12\"\n  generation: 3\n"
			"  creationTimestamp: \"2024-01-01T00:00:00Z\"\n  annotations:\n    Example.com/Note: x\n"
			"    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"a\": 1}\n"));

	/* Annotation size: 256 KiB in total, reported at the entry that crosses it. */
	size_t big = 200 * 1024;
	char *text = malloc(2 * big + 512);
	int n = sprintf(text, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n"
			      "  annotations:\n    a: ");
	memset(text + n, 'x', big);
	n += (int)big;
	n += sprintf(text + n, "\n    b: ");
	memset(text + n, 'y', big);
	n += (int)big;
	strcpy(text + n, "\n");
	fx = load_bad(text);
	fx_expect_error(fx, 7, "metadata.annotations", "Too long: must have at most 262144 bytes");
	free(text);
	fx_free(fx);
}

static void test_object_level(void **state)
{
	(void)state;
	struct fx *fx = load_bad("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}\n");
	fx_expect_error(fx, 1, "apiVersion", "unsupported apiVersion \"extensions/v1beta1\"");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nstatus: {}\n");
	fx_expect_error(fx, 4, "status", "unknown field");
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nkind: NetworkPolcy\nmetadata: {name: p}\n");
	const struct diag *d = fx_expect_error(fx, 2, "kind", "unknown kind \"NetworkPolcy\"");
	assert_non_null(strstr(d->hint, "NetworkPolicy"));
	fx_free(fx);

	fx = load_bad("apiVersion: networking.k8s.io/v1\nmetadata: {name: p}\n");
	fx_expect_error(fx, 1, "kind", "Object 'Kind' is missing");
	fx_free(fx);

	fx = load_bad("- a\n- b\n");
	fx_expect_error(fx, 1, "", "expected a Kubernetes object");
	fx_free(fx);

	/* One bad rule: the whole policy stays out, the good one next to it goes in. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, HEADER "  podSelector: {}\n  ingress:\n  - ports: [{port: 0}]\n---\n"
					  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
					  "metadata: {name: q, namespace: shop}\n"),
			 -EINVAL);
	assert_int_equal(fx->prog.policies.len, 1);
	assert_string_equal(fx->prog.policies.items[0]->name, "q");
	assert_int_equal(fx->fe.n_policies, 2);
	fx_free(fx);

	/* The same policy twice. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, HEADER "  podSelector: {}\n---\n" HEADER "  podSelector: {}\n"), -EINVAL);
	d = fx_expect_error(fx, 12, "metadata.name", "duplicate NetworkPolicy shop/p (first at test.yaml:4)");
	assert_int_equal(d->loc.col, 9);
	fx_expect(fx, DIAG_NOTE, 4, NULL, "first NetworkPolicy shop/p is here");
	fx_free(fx);

	/* Same name, other namespace: two policies. */
	fx = load_ok(HEADER "  podSelector: {}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			    "metadata: {name: p, namespace: other}\n");
	assert_int_equal(fx->prog.policies.len, 2);
	fx_free(fx);
}

static void test_json_policy(void **state)
{
	(void)state;
	struct fx *fx = load_ok("{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\",\n"
				" \"metadata\": {\"name\": \"j\", \"namespace\": \"x\"},\n"
				" \"spec\": {\"podSelector\": {}, \"ingress\": [{\"ports\": [{\"port\": 443}]}]}}\n");
	const struct ir_rule *r = fx->prog.rules.items[0];
	assert_int_equal(r->ports[0].lo, 443);
	assert_int_equal(r->ports[0].loc.line, 3);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_and_default_types),
		cmocka_unit_test(test_policy_types_defaulting),
		cmocka_unit_test(test_peer_forms),
		cmocka_unit_test(test_port_forms),
		cmocka_unit_test(test_namespace_default_and_audit),
		cmocka_unit_test(test_aliased_rules_lowered_once),
		cmocka_unit_test(test_port_validation),
		cmocka_unit_test(test_peer_validation),
		cmocka_unit_test(test_selector_validation),
		cmocka_unit_test(test_spec_validation),
		cmocka_unit_test(test_metadata_validation),
		cmocka_unit_test(test_object_level),
		cmocka_unit_test(test_json_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

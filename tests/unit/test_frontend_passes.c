/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The front end's output is what the passes expect: YAML policies and a
 * kubectl-style inventory go through frontend -> passes, and verdicts of
 * the datapath tables (dp_sim_verdict) are checked against Kubernetes
 * semantics by hand and against the reference evaluator (eval_verdict).
 */
#include "fe_test.h"

#include <arpa/inet.h>

#include "analysis/verdict.h"
#include "passes/passes.h"

/* "y" is quoted: plain, YAML 1.1 (kubectl) reads it as the boolean true. */
static const char inventory[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Namespace, metadata: {name: x, labels: {ns: x}}}\n"
	"- {apiVersion: v1, kind: Namespace, metadata: {name: \"y\", labels: {ns: \"y\"}}}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: a, namespace: x, labels: {pod: a}, annotations: {polc.io/interface: vx-a}}\n"
	"  spec: {containers: [{name: c, ports: [{name: web, containerPort: 80}]}]}\n"
	"  status: {podIP: 198.18.0.1}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: b, namespace: x, labels: {pod: b}, annotations: {polc.io/interface: vx-b}}\n"
	"  spec: {containers: [{name: c, ports: [{name: web, containerPort: 81}]}]}\n"
	"  status: {podIP: 198.18.0.2}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: a, namespace: \"y\", labels: {pod: a}, annotations: {polc.io/interface: vy-a}}\n"
	"  status: {podIP: 198.18.1.1}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: b, namespace: \"y\", labels: {pod: b}, annotations: {polc.io/interface: vy-b}}\n"
	"  status: {podIP: 198.18.1.2}\n";

static const char policies[] =
	/* x/a: ingress from namespace y on the named port web (80 on x/a); from x/b anything. */
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: a-in, namespace: x}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {pod: a}}\n"
	"  ingress:\n"
	"  - from: [{namespaceSelector: {matchLabels: {ns: \"y\"}}}]\n"
	"    ports: [{port: web}]\n"
	"  - from: [{podSelector: {matchLabels: {pod: b}}}]\n"
	"---\n"
	/* Every pod of y: egress to 198.18.0.0/24 except x/b's /32, TCP 80-81; ingress rules inert. */
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: y-out, namespace: \"y\"}\n"
	"spec:\n"
	"  podSelector: {}\n"
	"  policyTypes: [Egress]\n"
	"  ingress: [{from: [{podSelector: {matchLabels: {pod: nothing}}}]}]\n"
	"  egress:\n"
	"  - to: [{ipBlock: {cidr: 198.18.0.0/24, except: [198.18.0.2/32]}}]\n"
	"    ports: [{protocol: TCP, port: 80, endPort: 81}]\n";

struct world {
	struct fx *fx;
	struct ir_datapath dp;
	struct pass_ctx ctx;
};

static void build(struct world *w)
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
	assert_int_equal(frontend_require_policy(&fx->fe), 0);
	fx_expect_no_errors(fx);
	memset(&w->dp, 0, sizeof(w->dp));
	err = pass_ctx_init(&w->ctx, fx->arena, &fx->diags, &fx->prog, &w->dp);
	if (!err)
		err = pass_identities(&w->ctx);
	if (!err)
		err = pass_endpoints(&w->ctx);
	if (!err)
		err = pass_port_classes(&w->ctx);
	if (!err)
		err = pass_cidr_classes(&w->ctx);
	if (!err)
		err = pass_entries(&w->ctx);
	if (err)
		fx_dump(fx);
	assert_int_equal(err, 0);
}

static const struct dp_endpoint *endpoint(struct world *w, const char *ns, const char *name)
{
	for (size_t i = 0; i < w->dp.endpoints.len; i++) {
		const struct dp_endpoint *ep = &w->dp.endpoints.items[i];
		if (strcmp(ep->pod->namespace, ns) == 0 && strcmp(ep->pod->name, name) == 0)
			return ep;
	}
	fail_msg("no endpoint %s/%s", ns, name);
	return NULL;
}

/* Verdict at ep for a flow with peer addr, checked against the reference evaluator. */
static bool allowed(struct world *w, const char *ns, const char *name, enum ir_dir dir, const char *peer,
		    uint8_t proto, uint16_t port)
{
	const struct dp_endpoint *ep = endpoint(w, ns, name);
	struct sim_packet pkt = {.family = 4, .proto = proto, .port = port};
	assert_int_equal(inet_pton(AF_INET, peer, pkt.peer), 1);
	struct sim_verdict sim, ref;
	dp_sim_verdict(&w->dp, ep, dir, &pkt, &sim);
	eval_verdict(&w->fx->prog, &w->dp, ep->pod, dir, &pkt, &ref, NULL, NULL);
	if (sim.allow != ref.allow)
		fprintf(stderr, "%s/%s %s %s %u/%u: datapath %d, reference %d\n", ns, name, ir_dir_name(dir), peer,
			proto, port, sim.allow, ref.allow);
	assert_int_equal(sim.allow, ref.allow);
	return sim.allow;
}

static void test_frontend_output_through_passes(void **state)
{
	(void)state;
	struct world w;
	build(&w);
	assert_int_equal(w.dp.endpoints.len, 4);

	/* x/a ingress: namespace y on web (80 here), x/b on anything, nobody else. */
	assert_true(allowed(&w, "x", "a", IR_INGRESS, "198.18.1.1", IR_PROTO_TCP, 80));
	assert_false(allowed(&w, "x", "a", IR_INGRESS, "198.18.1.1", IR_PROTO_TCP, 81));
	assert_false(allowed(&w, "x", "a", IR_INGRESS, "198.18.1.2", IR_PROTO_UDP, 80));
	assert_true(allowed(&w, "x", "a", IR_INGRESS, "198.18.0.2", IR_PROTO_UDP, 5353));
	assert_false(allowed(&w, "x", "a", IR_INGRESS, "203.0.113.9", IR_PROTO_TCP, 80));
	/* x/b is selected by nothing: not isolated. */
	assert_true(allowed(&w, "x", "b", IR_INGRESS, "203.0.113.9", IR_PROTO_TCP, 22));

	/* Every pod of y, egress: 198.18.0.0/24 minus x/b, TCP 80-81 only. */
	assert_true(allowed(&w, "y", "a", IR_EGRESS, "198.18.0.1", IR_PROTO_TCP, 81));
	assert_false(allowed(&w, "y", "a", IR_EGRESS, "198.18.0.2", IR_PROTO_TCP, 80));
	assert_false(allowed(&w, "y", "b", IR_EGRESS, "198.18.0.1", IR_PROTO_TCP, 82));
	assert_false(allowed(&w, "y", "b", IR_EGRESS, "198.18.1.1", IR_PROTO_TCP, 80));
	/* Its ingress section is inert (policyTypes: [Egress]): ingress stays open. */
	assert_true(allowed(&w, "y", "a", IR_INGRESS, "203.0.113.9", IR_PROTO_TCP, 443));
	fx_free(w.fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frontend_output_through_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

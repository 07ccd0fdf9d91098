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

static void build_from(struct world *w, const char *inventory_text, const char *policies_text)
{
	w->fx = fx_new(FRONTEND_COMPILE);
	struct fx *fx = w->fx;
	int err = frontend_load_file(&fx->fe, fx_add(fx, "inventory.yaml", inventory_text));
	if (!err)
		err = frontend_load_file(&fx->fe, fx_add(fx, "policies.yaml", policies_text));
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

static void build(struct world *w)
{
	build_from(w, inventory, policies);
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
	bool v6 = strchr(peer, ':') != NULL;
	struct sim_packet pkt = {.family = v6 ? 6 : 4, .proto = proto, .port = port};
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, peer, pkt.peer), 1);
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

/*
 * The kube-apiserver entity: the local node (host), a remote node and two
 * external addresses serve the API (Endpoints default/kubernetes); each
 * keeps what it is besides. n3 is a remote node that does not.
 */
static const char apiserver_inventory[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n"
	"- {apiVersion: v1, kind: Node, metadata: {name: n1, annotations: {polc.io/local: \"true\"}},\n"
	"   spec: {podCIDRs: [198.18.0.0/24]}, status: {addresses: [{type: InternalIP, address: 198.18.255.1}]}}\n"
	"- {apiVersion: v1, kind: Node, metadata: {name: n2},\n"
	"   status: {addresses: [{type: InternalIP, address: 198.18.255.2}]}}\n"
	"- {apiVersion: v1, kind: Node, metadata: {name: n3},\n"
	"   status: {addresses: [{type: InternalIP, address: 198.18.255.3}]}}\n"
	"- apiVersion: v1\n  kind: Endpoints\n  metadata: {name: kubernetes, namespace: default}\n"
	"  subsets: [{addresses: [{ip: 198.18.255.1}, {ip: 198.18.255.2}, {ip: 198.19.7.7}, {ip: \"fd00:99::7\"}]}]\n"
#define AP_POD(name, ip)                                                                                          \
	"- apiVersion: v1\n  kind: Pod\n  metadata: {name: " name ", namespace: x, labels: {app: " name "},\n"     \
	"    annotations: {polc.io/interface: v-" name "}}\n  status: {podIPs: [{ip: " ip "}]}\n"
	AP_POD("api", "198.18.0.1") AP_POD("host", "198.18.0.2") AP_POD("rn", "198.18.0.3")
	AP_POD("world", "198.18.0.4") AP_POD("w4", "198.18.0.5") AP_POD("cl", "198.18.0.6")
	AP_POD("cidr", "198.18.0.7") AP_POD("sel", "198.18.0.8");

#define AP_CNP(name, egress)                                                                                      \
	"---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: " name ", namespace: x}\n"      \
	"spec:\n  endpointSelector: {matchLabels: {app: " name "}}\n  egress: [" egress "]\n"
static const char apiserver_policies[] =
	AP_CNP("api", "{toEntities: [kube-apiserver]}") AP_CNP("host", "{toEntities: [host]}")
	AP_CNP("rn", "{toEntities: [remote-node]}") AP_CNP("world", "{toEntities: [world]}")
	AP_CNP("w4", "{toEntities: [world-ipv4]}") AP_CNP("cl", "{toEntities: [cluster]}")
	AP_CNP("cidr", "{toCIDR: [198.19.0.0/16, 198.18.255.0/24]}")
	AP_CNP("sel", "{toEndpoints: [{matchLabels: {\"reserved:host\": \"\"}}]}")
	"---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: host-in, namespace: x}\n"
	"spec:\n  endpointSelector: {matchLabels: {app: host}}\n  ingress: [{fromEntities: [world]}]\n";

static uint32_t identity_of(struct world *w, const char *addr)
{
	uint8_t a[16] = {0};
	bool v6 = strchr(addr, ':') != NULL;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, addr, a), 1);
	uint32_t identity, cls;
	dp_sim_ipcache(&w->dp, v6 ? 6 : 4, a, &identity, &cls);
	return identity;
}

static void test_kube_apiserver_entity(void **state)
{
	(void)state;
	struct world w;
	build_from(&w, apiserver_inventory, apiserver_policies);
	const char *local = "198.18.255.1", *remote = "198.18.255.2", *other_node = "198.18.255.3";
	const char *ext4 = "198.19.7.7", *ext6 = "fd00:99::7", *world4 = "198.19.8.8", *world6 = "fd00:99::8";
	assert_int_equal(identity_of(&w, local), POLC_ID_HOST_APISERVER);
	assert_int_equal(identity_of(&w, remote), POLC_ID_KUBE_APISERVER);
	assert_int_equal(identity_of(&w, other_node), POLC_ID_REMOTE_NODE);
	assert_int_equal(identity_of(&w, ext4), POLC_ID_WORLD_IPV4_APISERVER);
	assert_int_equal(identity_of(&w, ext6), POLC_ID_WORLD_IPV6_APISERVER);
	assert_int_equal(identity_of(&w, world4), POLC_ID_WORLD_IPV4);

	const uint8_t tcp = IR_PROTO_TCP;
	/* kube-apiserver: every API server address, whatever else it is; nothing else. */
	assert_true(allowed(&w, "x", "api", IR_EGRESS, local, tcp, 6443));
	assert_true(allowed(&w, "x", "api", IR_EGRESS, remote, tcp, 6443));
	assert_true(allowed(&w, "x", "api", IR_EGRESS, ext4, tcp, 6443));
	assert_true(allowed(&w, "x", "api", IR_EGRESS, ext6, tcp, 6443));
	assert_false(allowed(&w, "x", "api", IR_EGRESS, other_node, tcp, 6443));
	assert_false(allowed(&w, "x", "api", IR_EGRESS, world4, tcp, 6443));
	assert_false(allowed(&w, "x", "api", IR_EGRESS, world6, tcp, 6443));
	/* host: the local node still, API server or not (by entity and by reserved:host label). */
	assert_true(allowed(&w, "x", "host", IR_EGRESS, local, tcp, 22));
	assert_false(allowed(&w, "x", "host", IR_EGRESS, remote, tcp, 22));
	assert_false(allowed(&w, "x", "host", IR_EGRESS, ext4, tcp, 22));
	assert_true(allowed(&w, "x", "sel", IR_EGRESS, local, tcp, 22));
	assert_false(allowed(&w, "x", "sel", IR_EGRESS, ext4, tcp, 22));
	/* remote-node: both remote nodes. */
	assert_true(allowed(&w, "x", "rn", IR_EGRESS, remote, tcp, 22));
	assert_true(allowed(&w, "x", "rn", IR_EGRESS, other_node, tcp, 22));
	assert_false(allowed(&w, "x", "rn", IR_EGRESS, local, tcp, 22));
	assert_false(allowed(&w, "x", "rn", IR_EGRESS, ext4, tcp, 22));
	/* world: the external API servers stay world, per family; the nodes do not. */
	assert_true(allowed(&w, "x", "world", IR_EGRESS, ext4, tcp, 443));
	assert_true(allowed(&w, "x", "world", IR_EGRESS, ext6, tcp, 443));
	assert_true(allowed(&w, "x", "world", IR_EGRESS, world4, tcp, 443));
	assert_false(allowed(&w, "x", "world", IR_EGRESS, local, tcp, 443));
	assert_false(allowed(&w, "x", "world", IR_EGRESS, remote, tcp, 443));
	assert_true(allowed(&w, "x", "w4", IR_EGRESS, ext4, tcp, 443));
	assert_false(allowed(&w, "x", "w4", IR_EGRESS, ext6, tcp, 443));
	/* cluster: the in-cluster API servers only. */
	assert_true(allowed(&w, "x", "cl", IR_EGRESS, local, tcp, 443));
	assert_true(allowed(&w, "x", "cl", IR_EGRESS, remote, tcp, 443));
	assert_false(allowed(&w, "x", "cl", IR_EGRESS, ext4, tcp, 443));
	assert_false(allowed(&w, "x", "cl", IR_EGRESS, ext6, tcp, 443));
	/* CIDR rules as before: the external API server is in its prefix, the nodes never match. */
	assert_true(allowed(&w, "x", "cidr", IR_EGRESS, ext4, tcp, 443));
	assert_true(allowed(&w, "x", "cidr", IR_EGRESS, world4, tcp, 443));
	assert_false(allowed(&w, "x", "cidr", IR_EGRESS, local, tcp, 443));
	assert_false(allowed(&w, "x", "cidr", IR_EGRESS, remote, tcp, 443));
	/* The local host reaches local pods (allow-localhost) although it serves the API. */
	assert_true(allowed(&w, "x", "host", IR_INGRESS, local, tcp, 8080));
	assert_false(allowed(&w, "x", "host", IR_INGRESS, remote, tcp, 8080));
	assert_true(allowed(&w, "x", "host", IR_INGRESS, ext4, tcp, 8080));
	fx_free(w.fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frontend_output_through_passes),
		cmocka_unit_test(test_kube_apiserver_entity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

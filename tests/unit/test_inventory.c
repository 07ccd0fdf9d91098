/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The inventory (compiler/frontend/inventory.c): Namespace, Pod and Node
 * objects as kubectl prints them (fixtures/inventory/), the API server's
 * Endpoints and EndpointSlices, implicit
 * namespaces, and the cross-object checks of frontend_finish().
 */
#include "fe_test.h"

static struct fx *load_fixtures(void)
{
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	static const char *const files[] = {"pods.yaml", "namespaces.yaml", "nodes.yaml"};
	for (size_t i = 0; i < 3; i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "tests/unit/fixtures/inventory/%s", files[i]);
		int err = frontend_load_path(&fx->fe, fx_repo_path(rel));
		if (err)
			fx_dump(fx);
		assert_int_equal(err, 0);
	}
	assert_int_equal(frontend_finish(&fx->fe), 0);
	fx_expect_no_errors(fx);
	return fx;
}

static const struct ir_pod *find_pod(const struct fx *fx, const char *ns, const char *name)
{
	for (size_t i = 0; i < fx->prog.pods.len; i++) {
		const struct ir_pod *p = &fx->prog.pods.items[i];
		if (strcmp(p->namespace, ns) == 0 && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static const struct ir_namespace *find_ns(const struct fx *fx, const char *name)
{
	for (size_t i = 0; i < fx->prog.namespaces.len; i++)
		if (strcmp(fx->prog.namespaces.items[i].name, name) == 0)
			return &fx->prog.namespaces.items[i];
	return NULL;
}

static const char *addr_s(const struct ir_cidr *c)
{
	static char buf[64];
	return ir_cidr_str(c, buf, sizeof(buf));
}

static void test_kubectl_pods(void **state)
{
	(void)state;
	struct fx *fx = load_fixtures();
	assert_int_equal(fx->prog.pods.len, 3);
	assert_int_equal(fx->fe.n_inventory, 3 + 2 + 2);
	assert_int_equal(fx->fe.n_policies, 0);

	const struct ir_pod *web = find_pod(fx, "shop", "web-7d9f8c6b5d-x2kq4");
	assert_non_null(web);
	assert_string_equal(ir_labels_get(&web->labels, "app"), "web");
	assert_string_equal(ir_labels_get(&web->labels, "tier"), "frontend");
	assert_int_equal(web->labels.len, 3);
	assert_string_equal(web->labels.items[0].key, "app"); /* sorted */
	assert_int_equal(web->n_addrs, 2);
	assert_string_equal(addr_s(&web->addrs[0]), "10.244.1.17/32");
	assert_string_equal(addr_s(&web->addrs[1]), "fd00:10:244:1::11/128");
	assert_string_equal(web->interface, "lxc3f2a9c1d");
	assert_string_equal(web->service_account, "web");
	assert_false(web->host_network);
	assert_false(web->audit);
	/* Containers' named ports and the restartable init container's; not the plain init container's. */
	assert_int_equal(web->n_ports, 3);
	assert_string_equal(web->ports[0].name, "http");
	assert_int_equal(web->ports[0].port, 8080);
	assert_int_equal(web->ports[0].proto, IR_PROTO_TCP);
	assert_string_equal(web->ports[1].name, "metrics");
	assert_string_equal(web->ports[2].name, "envoy-admin");
	assert_int_equal(web->ports[2].port, 15001);
	assert_int_equal(web->ports[2].proto, IR_PROTO_TCP); /* protocol defaults to TCP */
	assert_int_equal(web->loc.line, 5);

	const struct ir_pod *proxy = find_pod(fx, "kube-system", "kube-proxy-8hq2m");
	assert_true(proxy->host_network);
	assert_null(proxy->interface);
	assert_int_equal(proxy->n_addrs, 1);

	/* A finished pod's address was given back (and may be reused, as here). */
	const struct ir_pod *job = find_pod(fx, "batch", "report-28571-abcde");
	assert_int_equal(job->n_addrs, 0);
	fx_free(fx);
}

static void test_namespaces(void **state)
{
	(void)state;
	struct fx *fx = load_fixtures();
	/* shop and kube-system declared; batch only referenced by a pod. */
	assert_int_equal(fx->prog.namespaces.len, 3);
	const struct ir_namespace *shop = find_ns(fx, "shop");
	assert_string_equal(ir_labels_get(&shop->labels, "team"), "payments");
	assert_string_equal(ir_labels_get(&shop->labels, "kubernetes.io/metadata.name"), "shop");
	const struct ir_namespace *batch = find_ns(fx, "batch");
	assert_non_null(batch);
	assert_int_equal(batch->labels.len, 1);
	assert_string_equal(ir_labels_get(&batch->labels, "kubernetes.io/metadata.name"), "batch");
	fx_free(fx);

	/* A Namespace without the label gets it; a wrong value is overwritten with a warning. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: nx\n---\n"
				     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ny\n  labels:\n"
				     "    kubernetes.io/metadata.name: nz\n"),
			 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	assert_string_equal(ir_labels_get(&find_ns(fx, "nx")->labels, "kubernetes.io/metadata.name"), "nx");
	assert_string_equal(ir_labels_get(&find_ns(fx, "ny")->labels, "kubernetes.io/metadata.name"), "ny");
	fx_expect_warning(fx, 11, "metadata.labels", "kubernetes.io/metadata.name is \"nz\"");

	/* The Norway problem, in a name: y is a boolean to YAML 1.1. */
	fx_free(fx);
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: y\n"), -EINVAL);
	fx_expect_error(fx, 4, "metadata.name", "expected string, got a boolean");
	assert_int_equal(fx_count(fx, DIAG_ERROR), 1);
	fx_free(fx);

	/* Policies' namespaces are created too. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				     "metadata: {name: p, namespace: pay}\n"),
			 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	assert_non_null(find_ns(fx, "pay"));
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n"), -EINVAL);
	fx_expect_error(fx, 4, "metadata.name", "must not contain dots");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  namespace: b\n"), -EINVAL);
	fx_expect_error(fx, 5, "metadata.namespace", "Forbidden: not allowed on this type");
	fx_free(fx);
}

static void test_nodes(void **state)
{
	(void)state;
	struct fx *fx = load_fixtures();
	assert_int_equal(fx->prog.nodes.len, 2);
	const struct ir_node *a = &fx->prog.nodes.items[0], *b = &fx->prog.nodes.items[1];
	assert_string_equal(a->name, "node-a");
	assert_true(a->local);
	assert_false(b->local);
	assert_int_equal(a->n_addrs, 3);
	assert_string_equal(addr_s(&a->addrs[0]), "192.168.56.11/32");
	assert_string_equal(addr_s(&a->addrs[1]), "fd00:56::11/128");
	assert_string_equal(addr_s(&a->addrs[2]), "203.0.113.7/32");
	assert_int_equal(a->n_pod_cidrs, 2);
	assert_string_equal(addr_s(&a->pod_cidrs[1]), "fd00:10:244:1::/64");
	assert_int_equal(b->n_pod_cidrs, 1);
	assert_string_equal(addr_s(&b->pod_cidrs[0]), "10.244.2.0/24");
	fx_free(fx);

	/* The only node is the local one. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"), 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	assert_true(fx->prog.nodes.items[0].local);
	fx_free(fx);

	/* Two local nodes: polc compiles for one. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Node\nmetadata: {name: n1, annotations: {polc.io/local: \"true\"}}\n"
				     "---\napiVersion: v1\nkind: Node\nmetadata: {name: n2, annotations: {polc.io/local: \"true\"}}\n"),
			 0);
	assert_int_equal(frontend_finish(&fx->fe), -EINVAL);
	fx_expect_error(fx, 6, NULL, "node n2 is marked local");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec:\n  podCIDR: 10.244.1.7/24\n"
				     "status:\n  addresses:\n  - {type: InternalIP, address: 10.0.0.300}\n"),
			 -EINVAL);
	fx_expect_error(fx, 5, "spec.podCIDR", "must not have bits set beyond the prefix length");
	fx_expect_error(fx, 8, "status.addresses[0].address", "must be a valid IP address");
	assert_int_equal(fx->prog.nodes.len, 0);
	fx_free(fx);
}

static void test_apiserver_endpoints(void **state)
{
	(void)state;
	/* Endpoints default/kubernetes and its EndpointSlices, both families, deduplicated. */
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: default}\n"
				     "subsets:\n- addresses: [{ip: 198.18.255.1}, {ip: \"fd00::1\"}]\n"
				     "  notReadyAddresses: [{ip: 198.18.255.9}]\n"
				     "  ports: [{name: https, port: 6443, protocol: TCP}]\n"
				     "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				     "metadata:\n  name: kubernetes\n  namespace: default\n"
				     "  labels: {kubernetes.io/service-name: kubernetes}\naddressType: IPv4\n"
				     "endpoints:\n- addresses: [198.18.255.1, 198.19.7.7]\n"),
			 0);
	assert_int_equal(fx->prog.apiserver.len, 3);
	assert_string_equal(addr_s(&fx->prog.apiserver.items[0].addr), "198.18.255.1/32");
	assert_string_equal(addr_s(&fx->prog.apiserver.items[1].addr), "fd00::1/128");
	assert_string_equal(addr_s(&fx->prog.apiserver.items[2].addr), "198.19.7.7/32");
	assert_int_equal(fx->prog.apiserver.items[2].loc.line, 17);
	fx_expect_no_errors(fx);
	fx_free(fx);

	/* Other Services' endpoints are skipped with a note, as before polc read any. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default}\n"
				     "subsets: [{addresses: [{ip: 198.18.0.9}]}]\n"
				     "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: shop}\n"
				     "subsets: [{addresses: [{ip: 198.18.0.9}]}]\n"
				     "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				     "metadata: {name: kubernetes-x, namespace: default, labels: {kubernetes.io/service-name: web}}\n"
				     "endpoints: [{addresses: [198.18.0.9]}]\n"),
			 0);
	assert_int_equal(fx->prog.apiserver.len, 0);
	fx_expect(fx, DIAG_NOTE, 2, "kind", "kind Endpoints (apiVersion v1) is neither a policy nor inventory; skipped");
	fx_expect(fx, DIAG_NOTE, 7, "kind", "kind Endpoints (apiVersion v1)");
	fx_expect(fx, DIAG_NOTE, 12, "kind", "kind EndpointSlice (apiVersion discovery.k8s.io/v1)");
	fx_free(fx);

	/* A bad address points at itself. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: default}\n"
				     "subsets:\n- addresses:\n  - ip: 198.18.0.300\n  - {hostname: x}\n"),
			 -EINVAL);
	fx_expect_error(fx, 6, "subsets[0].addresses[0].ip", "Invalid value: \"198.18.0.300\"");
	fx_expect_error(fx, 7, "subsets[0].addresses[1].ip", "Required value: ip");
	fx_free(fx);
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				     "metadata: {name: k, labels: {kubernetes.io/service-name: kubernetes}}\n"
				     "endpoints:\n- addresses: [\"fd00::g\"]\n"),
			 -EINVAL);
	fx_expect_error(fx, 5, "endpoints[0].addresses[0]", "must be a valid IP address");
	assert_int_equal(fx->prog.apiserver.len, 0);
	fx_free(fx);

	/* Clusters before 1.21 print EndpointSlices as v1beta1: the addresses are the same. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\n"
				     "metadata: {name: k, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}\n"
				     "endpoints:\n- addresses: [198.18.255.3]\n"),
			 0);
	assert_int_equal(fx->prog.apiserver.len, 1);
	fx_expect_no_errors(fx);
	fx_free(fx);
}

#define POD(name, extra)                                                  \
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: " name "\n  namespace: shop\n" extra

static void test_pod_errors(void **state)
{
	(void)state;
	struct {
		const char *text;
		uint32_t line;
		const char *path;
		const char *msg;
	} cases[] = {
		{POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: 0\n"), 10,
		 "spec.containers[0].ports[0].containerPort", "Invalid value: 0: must be between 1 and 65535"},
		{POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - containerPort: \"80\"\n"), 10,
		 "spec.containers[0].ports[0].containerPort", "expected integer, got string"},
		{POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - {containerPort: 80, name: Web_1}\n"), 10,
		 "spec.containers[0].ports[0].name", "Invalid value: \"Web_1\""},
		{POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - {containerPort: 80, protocol: tcp}\n"), 10,
		 "spec.containers[0].ports[0].protocol", "Unsupported value: \"tcp\""},
		{POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - {containerPort: 80, name: web}\n"
			  "    - {containerPort: 81, name: web}\n"),
		 11, "spec.containers[0].ports[1].name", "Duplicate value: \"web\""},
		{POD("a", "spec:\n  hostNetwork: \"true\"\n"), 7, "spec.hostNetwork", "expected boolean, got string"},
		{POD("a", "spec:\n  containers: {name: c}\n"), 7, "spec.containers", "expected a sequence"},
		{POD("a", "status:\n  podIP: 10.1.2\n"), 7, "status.podIP", "must be a valid IP address"},
		{POD("a", "status:\n  podIPs:\n  - ip: 10.1.2.3\n  - ip: 10.1.2.4\n"), 9, "status.podIPs[1].ip",
		 "may specify no more than one IP for each IP family"},
		{POD("a", "status:\n  podIP: 10.1.2.4\n  podIPs:\n  - ip: 10.1.2.3\n"), 7, "status.podIP",
		 "must match the first entry of podIPs"},
		{POD("a", "  annotations: {polc.io/interface: \"veth-with-a-long-name\"}\n"), 6, "metadata.annotations",
		 "polc.io/interface must be no more than 15 bytes"},
		{POD("a", "  annotations: {polc.io/interface: \"eth0:1\"}\n"), 6, "metadata.annotations",
		 "must not contain '/' or ':'"},
		{POD("a", "  annotations: {polc.io/audit: \"on\"}\n"), 6, "metadata.annotations",
		 "polc.io/audit must be \"true\" or \"false\""},
		{POD("a", "  labels: {app: \"a b\"}\n"), 6, "metadata.labels", "Invalid value: \"a b\""},
		{POD("A", ""), 4, "metadata.name", "a lowercase RFC 1123 subdomain"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *fx = fx_new(FRONTEND_COMPILE);
		int err = fx_load(fx, cases[i].text);
		const struct diag *d = fx_find(fx, DIAG_ERROR, cases[i].line, cases[i].path, cases[i].msg);
		if (err != -EINVAL || !d) {
			fprintf(stderr, "case %zu: want line %u %s: %s; got:\n", i, cases[i].line, cases[i].path,
				cases[i].msg);
			fx_dump(fx);
		}
		assert_int_equal(err, -EINVAL);
		assert_non_null(d);
		assert_int_equal(fx->prog.pods.len, 0); /* nothing half-loaded */
		fx_free(fx);
	}
}

static void test_pod_lenient_and_defaults(void **state)
{
	(void)state;
	/* Unknown fields are kubectl's business; a pod without a namespace is in "default". */
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  someFutureField: {x: 1}\n"
				     "spec:\n  containers:\n  - name: c\n    futureThing: true\n    ports:\n"
				     "    - {containerPort: 53, name: dns, protocol: UDP, hostPort: 53}\n"
				     "  serviceAccount: legacy\nstatus:\n  podIP: 10.9.0.4\n  extra: [1, 2]\n"),
			 0);
	const struct ir_pod *p = &fx->prog.pods.items[0];
	assert_string_equal(p->namespace, "default");
	fx_expect(fx, DIAG_NOTE, 3, "metadata.namespace", "\"default\"");
	assert_string_equal(p->service_account, "legacy");
	assert_int_equal(p->n_ports, 1);
	assert_int_equal(p->ports[0].proto, IR_PROTO_UDP);
	assert_int_equal(p->n_addrs, 1);
	assert_string_equal(addr_s(&p->addrs[0]), "10.9.0.4/32");
	fx_free(fx);

	/* Same port name in two containers with different numbers: ambiguous, a warning. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, POD("a", "spec:\n  containers:\n  - name: c\n    ports:\n    - {containerPort: 80, name: web}\n"
					  "  - name: d\n    ports:\n    - {containerPort: 81, name: web}\n")),
			 0);
	fx_expect_warning(fx, 13, "spec.containers[1].ports[0].name", "also used by another container");
	assert_int_equal(fx->prog.pods.items[0].n_ports, 1);
	fx_free(fx);
}

static void test_cross_object_checks(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, POD("a", "status: {podIP: 10.0.0.1}\n") "---\n" POD("a", "status: {podIP: 10.0.0.2}\n")),
			 -EINVAL);
	fx_expect_error(fx, 11, "metadata.name", "duplicate Pod shop/a (first at test.yaml:4)");
	assert_int_equal(fx->prog.pods.len, 1);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, POD("a", "status: {podIP: 10.0.0.1}\n") "---\n" POD("b", "status: {podIP: 10.0.0.1}\n")),
			 -EINVAL);
	fx_expect_error(fx, 13, "status.podIP", "pod shop/b has address 10.0.0.1, as does pod shop/a (at test.yaml:4)");
	assert_int_equal(fx->prog.pods.len, 1);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, POD("a", "  annotations: {polc.io/interface: veth1}\n") "---\n"
					  POD("b", "  annotations: {polc.io/interface: veth1}\n")),
			 -EINVAL);
	fx_expect_error(fx, 13, "metadata.annotations", "pod shop/b has interface veth1, as does pod shop/a");
	fx_free(fx);

	/* Host-network pods share the node's address: no error. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, POD("a", "spec: {hostNetwork: true}\nstatus: {podIP: 10.0.0.1}\n") "---\n"
					  POD("b", "spec: {hostNetwork: true}\nstatus: {podIP: 10.0.0.1}\n")),
			 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	fx_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubectl_pods),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_apiserver_endpoints),
		cmocka_unit_test(test_pod_errors),
		cmocka_unit_test(test_pod_lenient_and_defaults),
		cmocka_unit_test(test_cross_object_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

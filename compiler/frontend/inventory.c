/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The inventory: v1 Namespace, Pod and Node objects as `kubectl get -o
 * yaml` prints them -> ir_namespace, ir_pod, ir_node. kubectl output is
 * full of fields polc does not use (status conditions, managedFields,
 * volumes): unknown fields are accepted here, but the fields polc reads
 * are type-checked and validated like the API server does.
 *
 * Read:
 *   Namespace  metadata.name, metadata.labels (+ kubernetes.io/metadata.name)
 *   Pod        metadata.{name,namespace,labels}, annotations polc.io/interface
 *              (host-side interface) and polc.io/audit, spec.containers[].ports[]
 *              {name, containerPort, protocol} (and restartable init containers'),
 *              spec.serviceAccountName, spec.hostNetwork, status.podIP(s), status.phase
 *   Node       metadata.name, annotations polc.io/local and polc.io/allow-localhost
 *              ("always" or "policy"), status.addresses (InternalIP, ExternalIP),
 *              spec.podCIDR(s)
 *   Endpoints  default/kubernetes only: subsets[].addresses[].ip
 *   EndpointSlice  in default with label kubernetes.io/service-name: kubernetes:
 *              endpoints[].addresses[]
 *   (those are the API server's addresses, the kube-apiserver entity; other
 *   Endpoints and EndpointSlices are skipped with a note, as unknown kinds are)
 */
#include <errno.h>
#include <string.h>

#include "decode.h"
#include "frontend.h"
#include "k8s_meta.h"
#include "k8s_validate.h"

struct inv {
	struct frontend *fe;
	struct decoder d;
	size_t errors_before;
};

static void inv_init(struct inv *in, struct frontend *fe)
{
	in->fe = fe;
	decoder_init(&in->d, fe->arena, fe->diags);
	in->errors_before = fe->diags->count[DIAG_ERROR];
}

static bool inv_failed(const struct inv *in)
{
	return in->fe->diags->count[DIAG_ERROR] > in->errors_before;
}

/* An optional mapping field; NULL when absent or null. */
static const struct ynode *opt_map(struct inv *in, const struct ynode *parent, const char *key,
				   const struct ypath *path)
{
	const struct ynode *n = ymap_get(parent, key);
	if (!ynode_is_set(n))
		return NULL;
	return decode_mapping(&in->d, n, path) ? n : NULL;
}

static const struct ynode *opt_seq(struct inv *in, const struct ynode *parent, const char *key,
				   const struct ypath *path)
{
	const struct ynode *n = ymap_get(parent, key);
	if (!ynode_is_set(n))
		return NULL;
	return decode_sequence(&in->d, n, path) ? n : NULL;
}

/* An optional string field: *out NULL when absent or null; false after a type error. */
static bool opt_string(struct inv *in, const struct ynode *parent, const char *key, const struct ypath *path,
		       const char **out, struct src_loc *loc)
{
	*out = NULL;
	const struct ynode *n = ymap_get(parent, key);
	if (!ynode_is_set(n))
		return true;
	if (loc)
		*loc = n->loc;
	return decode_string(&in->d, n, path, out);
}

static const char *bool_annotation(struct inv *in, const struct k8s_meta *meta, const char *key, bool *out)
{
	const struct k8s_label *a = k8s_labels_find(&meta->annotations, key);
	if (!a)
		return NULL;
	struct ypath mp = YPATH_KEY(NULL, "metadata");
	struct ypath ap = YPATH_KEY(&mp, "annotations");
	if (strcmp(a->value, "true") == 0)
		*out = true;
	else if (strcmp(a->value, "false") == 0)
		*out = false;
	else
		decode_error_at(&in->d, a->loc, &ap, "invalid-value", "write \"true\" or \"false\"",
				"Invalid value: %s: %s must be \"true\" or \"false\"", decode_quote(&in->d, a->value),
				key);
	return a->value;
}

/* ---- Namespace ----------------------------------------------------------- */

int frontend_load_namespace(struct frontend *fe, const struct frontend_object *obj)
{
	struct inv in;
	inv_init(&in, fe);
	struct k8s_meta meta;
	k8s_decode_meta(&in.d, obj->root, obj->loc, K8S_META_NAME_LABEL, &meta);
	if (meta.name)
		frontend_register_object(fe, "Namespace", NULL, meta.name, meta.name_loc);
	if (inv_failed(&in) || !meta.name)
		return -EINVAL;

	struct ir_labels labels;
	if (k8s_labels_to_ir(fe->arena, &meta.labels, &labels))
		return -ENOMEM;
	const struct k8s_label *auto_label = k8s_labels_find(&meta.labels, "kubernetes.io/metadata.name");
	if (auto_label && strcmp(auto_label->value, meta.name) != 0) {
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath lp = YPATH_KEY(&mp, "labels");
		decode_warning_at(&in.d, auto_label->loc, &lp, "namespace-name-label",
				  "the API server overwrites this label; selectors see the namespace's name",
				  "kubernetes.io/metadata.name is %s, but the namespace is %s",
				  decode_quote(&in.d, auto_label->value), decode_quote(&in.d, meta.name));
	}
	if (ir_labels_set(fe->arena, &labels, "kubernetes.io/metadata.name", meta.name))
		return -ENOMEM;
	ir_labels_sort(&labels);
	struct ir_namespace *ns = vec_add(fe->arena, &fe->prog->namespaces);
	if (!ns)
		return -ENOMEM;
	ns->name = meta.name;
	ns->labels = labels;
	ns->loc = obj->kind_loc;
	return 0;
}

/* ---- Pod ----------------------------------------------------------------- */

typedef VEC(struct ir_named_port) port_vec;

static bool parse_protocol(struct inv *in, const struct ynode *port, const struct ypath *path, uint8_t *proto)
{
	struct ypath pp = YPATH_KEY(path, "protocol");
	const char *s;
	struct src_loc loc = port->loc;
	if (!opt_string(in, port, "protocol", &pp, &s, &loc))
		return false;
	if (!s || strcmp(s, "TCP") == 0)
		*proto = IR_PROTO_TCP; /* defaulted by the API server */
	else if (strcmp(s, "UDP") == 0)
		*proto = IR_PROTO_UDP;
	else if (strcmp(s, "SCTP") == 0)
		*proto = IR_PROTO_SCTP;
	else {
		decode_error_at(&in->d, loc, &pp, "unsupported-value", "values are case-sensitive",
				"Unsupported value: %s: supported values: \"TCP\", \"UDP\", \"SCTP\"",
				decode_quote(&in->d, s));
		return false;
	}
	return true;
}

/* containers[i].ports: named ones become ir_named_port. */
static void parse_container_ports(struct inv *in, const struct ynode *container, const struct ypath *cpath,
				  port_vec *out, size_t first_of_pod)
{
	struct decoder *d = &in->d;
	struct ypath pp = YPATH_KEY(cpath, "ports");
	const struct ynode *ports = opt_seq(in, container, "ports", &pp);
	size_t first_of_container = out->len;
	for (size_t i = 0; ports && i < ports->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&pp, i);
		const struct ynode *p = ports->seq.items[i];
		if (!decode_mapping(d, p, &ip))
			continue;
		struct ypath cp = YPATH_KEY(&ip, "containerPort");
		const struct ynode *cn = ymap_get(p, "containerPort");
		int32_t num = 0;
		if (!ynode_is_set(cn)) {
			decode_error_at(d, p->loc, &cp, "required-field", NULL, "Required value");
			continue;
		}
		if (!decode_int32(d, cn, &cp, &num))
			continue;
		if (!k8s_is_port_num(num)) {
			decode_error_at(d, cn->loc, &cp, "invalid-value", NULL, "Invalid value: %d: %s", num,
					k8s_port_range_msg);
			continue;
		}
		uint8_t proto;
		if (!parse_protocol(in, p, &ip, &proto))
			continue;
		struct ypath np = YPATH_KEY(&ip, "name");
		const char *name;
		struct src_loc nloc = p->loc;
		if (!opt_string(in, p, "name", &np, &name, &nloc))
			continue;
		if (!name || !*name)
			continue;
		struct k8s_errs e = {0};
		k8s_is_port_name(name, &e);
		for (size_t k = 0; k < e.n; k++)
			decode_error_at(d, nloc, &np, "invalid-value", NULL, "Invalid value: %s: %s",
					decode_quote(d, name), e.msg[k]);
		if (e.n)
			continue;
		bool dup = false;
		for (size_t k = first_of_pod; k < out->len && !dup; k++) {
			const struct ir_named_port *o = &out->items[k];
			if (strcmp(o->name, name) != 0)
				continue;
			dup = true;
			if (k >= first_of_container)
				decode_error_at(d, nloc, &np, "duplicate-value", "port names are unique in a container",
						"Duplicate value: %s", decode_quote(d, name));
			else if (o->port != num || o->proto != proto)
				decode_warning_at(d, nloc, &np, "ambiguous-named-port",
						  "policies naming this port match the first definition only",
						  "port name %s is also used by another container with %s/%u",
						  decode_quote(d, name), ir_proto_name(o->proto), o->port);
		}
		if (dup)
			continue;
		struct ir_named_port np_out = {.name = name, .proto = proto, .port = (uint16_t)num};
		if (vec_push(in->fe->arena, out, np_out))
			return;
	}
}

static void parse_pod_spec(struct inv *in, const struct ynode *spec, struct ir_pod *pod)
{
	struct decoder *d = &in->d;
	struct ypath sp = YPATH_KEY(NULL, "spec");
	port_vec ports = {0};
	static const char *const lists[] = {"containers", "initContainers"};
	for (int l = 0; l < 2; l++) {
		struct ypath lp = YPATH_KEY(&sp, lists[l]);
		const struct ynode *cs = opt_seq(in, spec, lists[l], &lp);
		for (size_t i = 0; cs && i < cs->seq.len; i++) {
			struct ypath cp = YPATH_INDEX(&lp, i);
			const struct ynode *c = cs->seq.items[i];
			if (!decode_mapping(d, c, &cp))
				continue;
			if (l == 1) {
				/* Only restartable init containers (sidecars) keep serving ports. */
				struct ypath rp = YPATH_KEY(&cp, "restartPolicy");
				const char *rpol;
				if (!opt_string(in, c, "restartPolicy", &rp, &rpol, NULL) || !rpol ||
				    strcmp(rpol, "Always") != 0)
					continue;
			}
			parse_container_ports(in, c, &cp, &ports, 0);
		}
	}
	pod->ports = ports.items;
	pod->n_ports = ports.len;

	struct ypath sap = YPATH_KEY(&sp, "serviceAccountName");
	if (!opt_string(in, spec, "serviceAccountName", &sap, &pod->service_account, NULL))
		return;
	if (!pod->service_account) {
		struct ypath sa2 = YPATH_KEY(&sp, "serviceAccount");
		opt_string(in, spec, "serviceAccount", &sa2, &pod->service_account, NULL);
	}
	struct ypath hp = YPATH_KEY(&sp, "hostNetwork");
	const struct ynode *hn = ymap_get(spec, "hostNetwork");
	if (ynode_is_set(hn))
		decode_bool(d, hn, &hp, &pod->host_network);
}

/* Where each address of the pod being loaded was written, for conflicts. */
struct pod_addr_locs {
	struct src_loc loc[2];
	const char *path[2];
};

static bool add_pod_ip(struct inv *in, struct ir_pod *pod, struct pod_addr_locs *locs, const char *ip,
		       const struct ynode *at, const struct ypath *path)
{
	struct ir_cidr addr;
	const char *msg = k8s_parse_ip(ip, &addr);
	if (msg) {
		decode_error_at(&in->d, at->loc, path, "invalid-value", NULL, "Invalid value: %s: %s",
				decode_quote(&in->d, ip), msg);
		return false;
	}
	for (size_t i = 0; i < pod->n_addrs; i++) {
		if (pod->addrs[i].family == addr.family) {
			if (memcmp(pod->addrs[i].addr, addr.addr, 16) == 0)
				return true;
			decode_error_at(&in->d, at->loc, path, "invalid-value",
					"a pod has at most one IPv4 and one IPv6 address",
					"Invalid value: %s: may specify no more than one IP for each IP family",
					decode_quote(&in->d, ip));
			return false;
		}
	}
	locs->loc[pod->n_addrs] = at->loc;
	locs->path[pod->n_addrs] = decode_path(&in->d, path);
	pod->addrs[pod->n_addrs++] = addr;
	return true;
}

static void parse_pod_status(struct inv *in, const struct ynode *status, struct ir_pod *pod,
			     struct pod_addr_locs *locs)
{
	struct ypath sp = YPATH_KEY(NULL, "status");
	struct ypath php = YPATH_KEY(&sp, "phase");
	const char *phase;
	if (!opt_string(in, status, "phase", &php, &phase, NULL))
		return;
	struct ypath ipp = YPATH_KEY(&sp, "podIP");
	const char *pod_ip;
	if (!opt_string(in, status, "podIP", &ipp, &pod_ip, NULL))
		return;
	struct ypath ipsp = YPATH_KEY(&sp, "podIPs");
	const struct ynode *ips = opt_seq(in, status, "podIPs", &ipsp);
	const char *first = NULL;
	for (size_t i = 0; ips && i < ips->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&ipsp, i);
		const struct ynode *e = ips->seq.items[i];
		if (!decode_mapping(&in->d, e, &ip))
			continue;
		struct ypath ap = YPATH_KEY(&ip, "ip");
		const char *s;
		if (!opt_string(in, e, "ip", &ap, &s, NULL) || !s)
			continue;
		if (!first)
			first = s;
		add_pod_ip(in, pod, locs, s, ymap_get(e, "ip"), &ap);
	}
	if (pod_ip && *pod_ip) {
		if (first && strcmp(first, pod_ip) != 0)
			decode_error_at(&in->d, ymap_get(status, "podIP")->loc, &ipp, "invalid-value",
					"the API server keeps podIP equal to podIPs[0]",
					"Invalid value: %s: must match the first entry of podIPs (%s)",
					decode_quote(&in->d, pod_ip), decode_quote(&in->d, first));
		else if (!first)
			add_pod_ip(in, pod, locs, pod_ip, ymap_get(status, "podIP"), &ipp);
	}
	/* Finished pods gave their addresses back; another pod may have them now. */
	if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
		pod->n_addrs = 0;
}

struct pod_claim {
	const char *ns, *name;
	struct src_loc loc;
};

static int claim(struct inv *in, struct strmap *map, const char *key, size_t len, struct pod_claim *me,
		 struct src_loc at, const char *path, const char *code, const char *hint, const char *what,
		 const char *value)
{
	void *prev = NULL;
	int r = strmap_add(map, key, len, me, &prev);
	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	const struct pod_claim *first = prev;
	const struct source_set *src = in->fe->sources;
	diag_error(in->fe->diags, at, path, code, hint, "pod %s/%s has %s %s, as does pod %s/%s (at %s:%u)", me->ns,
		   me->name, what, value, first->ns, first->name, source_name(src, first->loc.file),
		   first->loc.line);
	diag_note(in->fe->diags, first->loc, NULL, code, NULL, "pod %s/%s is here", first->ns, first->name);
	return -EINVAL;
}

/* Two pods cannot own one address (host-network pods share the node's) or one interface. */
static int claim_pod_resources(struct inv *in, const struct ir_pod *pod, const struct pod_addr_locs *locs,
			       struct src_loc iface_loc, struct src_loc name_loc)
{
	struct frontend *fe = in->fe;
	struct pod_claim *me = arena_alloc(fe->arena, sizeof(*me));
	if (!me)
		return -ENOMEM;
	*me = (struct pod_claim){.ns = pod->namespace, .name = pod->name, .loc = name_loc};
	int ret = 0;
	for (size_t a = 0; a < pod->n_addrs && !pod->host_network; a++) {
		struct ir_cidr *key = arena_alloc(fe->arena, sizeof(*key));
		if (!key)
			return -ENOMEM;
		*key = pod->addrs[a];
		char buf[64];
		ir_cidr_str(key, buf, sizeof(buf));
		*strchr(buf, '/') = '\0';
		int err = claim(in, &fe->pod_addrs, (const char *)key, sizeof(*key), me, locs->loc[a], locs->path[a],
				"duplicate-pod-ip", "two pods cannot own one address; the inventory is stale or mixed up",
				"address", buf);
		if (err == -ENOMEM)
			return err;
		if (err)
			ret = err;
	}
	if (pod->interface) {
		int err = claim(in, &fe->pod_ifaces, pod->interface, strlen(pod->interface), me, iface_loc,
				"metadata.annotations", "duplicate-interface",
				"each local pod has its own host-side interface", "interface", pod->interface);
		if (err)
			ret = err;
	}
	return ret;
}

int frontend_load_pod(struct frontend *fe, const struct frontend_object *obj)
{
	struct inv in;
	inv_init(&in, fe);
	struct decoder *d = &in.d;
	struct k8s_meta meta;
	k8s_decode_meta(d, obj->root, obj->loc, K8S_META_NAMESPACED, &meta);
	const char *ns = meta.namespace;
	if (!ns && meta.namespace_invalid) {
		ns = FRONTEND_DEFAULT_NAMESPACE; /* invalid: reported, and the pod is dropped */
	} else if (!ns) {
		ns = FRONTEND_DEFAULT_NAMESPACE;
		diag_note(fe->diags, meta.loc, "metadata.namespace", "default-namespace", NULL,
			  "metadata.namespace is not set; the pod is in namespace \"default\"");
	}
	if (meta.name)
		frontend_register_object(fe, "Pod", ns, meta.name, meta.name_loc);

	struct ir_pod pod = {.name = meta.name, .namespace = ns, .loc = obj->kind_loc};
	if (k8s_labels_to_ir(fe->arena, &meta.labels, &pod.labels))
		return -ENOMEM;

	struct ypath mp = YPATH_KEY(NULL, "metadata");
	struct ypath ap = YPATH_KEY(&mp, "annotations");
	const struct k8s_label *iface = k8s_labels_find(&meta.annotations, "polc.io/interface");
	if (iface) {
		const char *problem = k8s_ifname_problem(iface->value);
		if (problem)
			decode_error_at(d, iface->loc, &ap, "invalid-interface",
					"polc.io/interface names the pod's host-side interface (e.g. the veth "
					"on the node)",
					"Invalid value: %s: polc.io/interface %s", decode_quote(d, iface->value), problem);
		else
			pod.interface = iface->value;
	}
	bool_annotation(&in, &meta, "polc.io/audit", &pod.audit);

	struct ypath sp = YPATH_KEY(NULL, "spec");
	const struct ynode *spec = opt_map(&in, obj->root, "spec", &sp);
	if (spec)
		parse_pod_spec(&in, spec, &pod);
	struct ypath stp = YPATH_KEY(NULL, "status");
	const struct ynode *status = opt_map(&in, obj->root, "status", &stp);
	struct pod_addr_locs locs;
	if (status)
		parse_pod_status(&in, status, &pod, &locs); /* host-network pods: the node's addresses */

	if (inv_failed(&in) || !meta.name)
		return -EINVAL;
	int err = claim_pod_resources(&in, &pod, &locs, iface ? iface->loc : pod.loc, meta.name_loc);
	if (err)
		return err;
	if (vec_push(fe->arena, &fe->prog->pods, pod))
		return -ENOMEM;
	return 0;
}

/* ---- Node ---------------------------------------------------------------- */

int frontend_load_node(struct frontend *fe, const struct frontend_object *obj)
{
	struct inv in;
	inv_init(&in, fe);
	struct decoder *d = &in.d;
	struct k8s_meta meta;
	k8s_decode_meta(d, obj->root, obj->loc, 0, &meta);
	if (meta.name)
		frontend_register_object(fe, "Node", NULL, meta.name, meta.name_loc);
	struct ir_node node = {.name = meta.name, .loc = obj->kind_loc};
	bool_annotation(&in, &meta, "polc.io/local", &node.local);
	const struct k8s_label *al = k8s_labels_find(&meta.annotations, "polc.io/allow-localhost");
	if (al && strcmp(al->value, "policy") == 0) {
		node.localhost_by_policy = true;
	} else if (al && strcmp(al->value, "always") != 0) {
		struct ypath mp = YPATH_KEY(NULL, "metadata");
		struct ypath ap = YPATH_KEY(&mp, "annotations");
		decode_error_at(d, al->loc, &ap, "invalid-value",
				"\"always\": the local host reaches every local pod (Cilium's default); \"policy\": "
				"the host is a peer like any other",
				"Invalid value: %s: polc.io/allow-localhost must be \"always\" or \"policy\"",
				decode_quote(d, al->value));
	}

	struct ypath stp = YPATH_KEY(NULL, "status");
	const struct ynode *status = opt_map(&in, obj->root, "status", &stp);
	struct ypath ap = YPATH_KEY(&stp, "addresses");
	const struct ynode *addrs = status ? opt_seq(&in, status, "addresses", &ap) : NULL;
	for (size_t i = 0; addrs && i < addrs->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&ap, i);
		const struct ynode *a = addrs->seq.items[i];
		if (!decode_mapping(d, a, &ip))
			continue;
		struct ypath tp = YPATH_KEY(&ip, "type");
		struct ypath vp = YPATH_KEY(&ip, "address");
		const char *type, *value;
		if (!opt_string(&in, a, "type", &tp, &type, NULL) || !opt_string(&in, a, "address", &vp, &value, NULL))
			continue;
		if (!type || !value || (strcmp(type, "InternalIP") != 0 && strcmp(type, "ExternalIP") != 0))
			continue; /* Hostname, InternalDNS, ExternalDNS */
		struct ir_cidr addr;
		const char *msg = k8s_parse_ip(value, &addr);
		if (msg) {
			decode_error_at(d, ymap_get(a, "address")->loc, &vp, "invalid-value", NULL,
					"Invalid value: %s: %s", decode_quote(d, value), msg);
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < node.n_addrs; k++)
			seen |= memcmp(&node.addrs[k], &addr, sizeof(addr)) == 0;
		if (seen)
			continue;
		if (node.n_addrs == sizeof(node.addrs) / sizeof(node.addrs[0])) {
			decode_error_at(d, a->loc, &ap, "too-many", NULL, "Too many: more than %zu node addresses",
					sizeof(node.addrs) / sizeof(node.addrs[0]));
			break;
		}
		node.addrs[node.n_addrs++] = addr;
	}

	struct ypath sp = YPATH_KEY(NULL, "spec");
	const struct ynode *spec = opt_map(&in, obj->root, "spec", &sp);
	struct ypath cp = YPATH_KEY(&sp, "podCIDRs");
	const struct ynode *cidrs = spec ? opt_seq(&in, spec, "podCIDRs", &cp) : NULL;
	struct ypath c1p = YPATH_KEY(&sp, "podCIDR");
	const struct ynode *single = ymap_get(spec, "podCIDR");
	size_t n = cidrs ? cidrs->seq.len : ynode_is_set(single) ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct ypath ip = YPATH_INDEX(&cp, i);
		const struct ynode *c = cidrs ? cidrs->seq.items[i] : single;
		const struct ypath *path = cidrs ? &ip : &c1p;
		const char *s;
		if (!decode_string(d, c, path, &s))
			continue;
		struct k8s_cidr parsed;
		const char *msg = k8s_parse_cidr(s, &parsed);
		if (msg || parsed.host_bits) {
			decode_error_at(d, c->loc, path, "invalid-cidr", msg ? k8s_cidr_hint(s) : NULL,
					"Invalid value: %s: %s", decode_quote(d, s),
					msg ? msg : "must not have bits set beyond the prefix length");
			continue;
		}
		if (node.n_pod_cidrs == 2) {
			decode_error_at(d, c->loc, path, "too-many", NULL,
					"Too many: a node has at most one pod CIDR per IP family");
			break;
		}
		node.pod_cidrs[node.n_pod_cidrs++] = parsed.net;
	}

	if (inv_failed(&in) || !meta.name)
		return -EINVAL;
	if (vec_push(fe->arena, &fe->prog->nodes, node))
		return -ENOMEM;
	return 0;
}

/* ---- Endpoints / EndpointSlice of Service default/kubernetes ------------- */

/* The API server's Service: its backends are the kube-apiserver entity. */
#define APISERVER_NAMESPACE "default"
#define APISERVER_SERVICE "kubernetes"

/* Endpoints of other Services say nothing polc uses: skipped as before they were read. */
static int skip_endpoints(struct frontend *fe, const struct frontend_object *obj)
{
	diag_note(fe->diags, obj->kind_loc, "kind", "skipped-kind", NULL,
		  "kind %s (apiVersion %s) is neither a policy nor inventory; skipped", obj->kind, obj->api_version);
	return 0;
}

/* One backend address; a bad one is reported (0), only ENOMEM fails. */
static int add_apiserver_ip(struct inv *in, const struct ynode *value, const struct ypath *path)
{
	const char *s;
	if (!decode_string(&in->d, value, path, &s))
		return 0;
	struct ir_cidr addr;
	const char *msg = k8s_parse_ip(s, &addr);
	if (msg) {
		decode_error_at(&in->d, value->loc, path, "invalid-value", NULL, "Invalid value: %s: %s",
				decode_quote(&in->d, s), msg);
		return 0;
	}
	struct ir_program *prog = in->fe->prog;
	for (size_t i = 0; i < prog->apiserver.len; i++)
		if (memcmp(&prog->apiserver.items[i].addr, &addr, sizeof(addr)) == 0)
			return 0;
	struct ir_apiserver_addr a = {.addr = addr, .loc = value->loc};
	return vec_push(in->fe->arena, &prog->apiserver, a) ? -ENOMEM : 0;
}

/* Namespaced, and a missing namespace is "default" (as kubectl apply takes it). */
static bool apiserver_namespace(const struct k8s_meta *meta)
{
	return !meta->namespace_invalid && (!meta->namespace || strcmp(meta->namespace, APISERVER_NAMESPACE) == 0);
}

/* The address of Endpoints item a (a mapping with ip); NULL after an error. */
static const struct ynode *endpoints_ip(struct inv *in, const struct ynode *a, const struct ypath *path,
					struct ypath *ip_path)
{
	if (!decode_mapping(&in->d, a, path))
		return NULL;
	const struct ynode *v = ymap_get(a, "ip");
	if (!ynode_is_set(v)) {
		decode_error_at(&in->d, a->loc, ip_path, "required-field", NULL, "Required value: ip");
		return NULL;
	}
	return v;
}

/*
 * Endpoints default/kubernetes (subsets[].addresses[].ip; notReadyAddresses
 * are no backends yet), or one of its EndpointSlices (endpoints[].addresses[],
 * plain strings).
 */
static int load_apiserver_backends(struct frontend *fe, const struct frontend_object *obj, bool slice)
{
	struct inv in;
	inv_init(&in, fe);
	struct decoder *d = &in.d;
	struct k8s_meta meta;
	k8s_decode_meta(d, obj->root, obj->loc, K8S_META_NAMESPACED, &meta);
	if (inv_failed(&in))
		return -EINVAL;
	const struct k8s_label *svc = k8s_labels_find(&meta.labels, "kubernetes.io/service-name");
	const char *service = slice ? (svc ? svc->value : NULL) : meta.name;
	if (!service || strcmp(service, APISERVER_SERVICE) != 0 || !apiserver_namespace(&meta))
		return skip_endpoints(fe, obj);
	if (meta.name)
		frontend_register_object(fe, obj->kind, APISERVER_NAMESPACE, meta.name, meta.name_loc);

	const char *outer_key = slice ? "endpoints" : "subsets";
	struct ypath op = YPATH_KEY(NULL, outer_key);
	const struct ynode *outer = opt_seq(&in, obj->root, outer_key, &op);
	for (size_t i = 0; outer && i < outer->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&op, i);
		const struct ynode *item = outer->seq.items[i];
		if (!decode_mapping(d, item, &ip))
			continue;
		struct ypath ap = YPATH_KEY(&ip, "addresses");
		const struct ynode *addrs = opt_seq(&in, item, "addresses", &ap);
		for (size_t k = 0; addrs && k < addrs->seq.len; k++) {
			struct ypath kp = YPATH_INDEX(&ap, k);
			struct ypath vp = YPATH_KEY(&kp, "ip");
			const struct ynode *a = addrs->seq.items[k];
			const struct ynode *v = slice ? a : endpoints_ip(&in, a, &kp, &vp);
			if (v && add_apiserver_ip(&in, v, slice ? &kp : &vp))
				return -ENOMEM;
		}
	}
	return inv_failed(&in) ? -EINVAL : 0;
}

int frontend_load_endpoints(struct frontend *fe, const struct frontend_object *obj)
{
	return load_apiserver_backends(fe, obj, false);
}

int frontend_load_endpoint_slice(struct frontend *fe, const struct frontend_object *obj)
{
	return load_apiserver_backends(fe, obj, true);
}

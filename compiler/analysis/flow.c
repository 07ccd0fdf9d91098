/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Flows of the query language judged on a resolved program (flow.h):
 * endpoint expressions to pods and addresses, then each side of a flow
 * through the reference evaluator and, where the pod is a local
 * endpoint, through the datapath replay.
 */
#include "flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "../passes/passes.h"
#include "../util/strbuf.h"

const char *flow_addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t size)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

const struct dp_endpoint *flow_endpoint(const struct ir_datapath *dp, const struct ir_pod *pod)
{
	for (size_t i = 0; dp && i < dp->endpoints.len; i++)
		if (dp->endpoints.items[i].pod == pod)
			return &dp->endpoints.items[i];
	return NULL;
}

/* ---- endpoint expressions -> ends ---------------------------------------- */

static struct ir_selector to_ir(const struct query_selector *q, struct ir_requirement *reqs)
{
	struct ir_selector sel = {.reqs = reqs, .n_reqs = q->n_reqs};
	for (size_t i = 0; i < q->n_reqs; i++)
		reqs[i] = (struct ir_requirement){
			.key = q->reqs[i].key,
			.op = q->reqs[i].op,
			.values = q->reqs[i].values,
			.n_values = q->reqs[i].n_values,
		};
	return sel;
}

static const struct ir_namespace *find_namespace(const struct ir_program *prog, const char *name)
{
	for (size_t i = 0; i < prog->namespaces.len; i++)
		if (strcmp(prog->namespaces.items[i].name, name) == 0)
			return &prog->namespaces.items[i];
	return NULL;
}

typedef VEC(struct flow_end) end_vec;

static int add_pod(const struct flow_ctx *fc, end_vec *v, size_t i)
{
	const struct ir_pod *pod = &fc->prog->pods.items[i];
	struct flow_end *e = vec_add(fc->arena, v);
	const char *label = arena_printf(fc->arena, "%s/%s", pod->namespace, pod->name);
	if (!e || !label)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->pod = pod;
	e->pod_index = i;
	e->label = label;
	return 0;
}

/* An API server's address is named by its identity's labels ("reserved:host,reserved:kube-apiserver"). */
static const char *apiserver_name(const struct flow_ctx *fc, uint8_t family, const uint8_t addr[16])
{
	if (!fc->dp)
		return NULL;
	uint32_t identity = 0, cls = 0;
	dp_sim_ipcache(fc->dp, family, addr, &identity, &cls);
	for (size_t i = 0; i < fc->dp->identities.len; i++) {
		const struct dp_identity *id = &fc->dp->identities.items[i];
		if (id->id == identity && id->reserved && ir_labels_get(&id->labels, "reserved:kube-apiserver"))
			return id->key;
	}
	return NULL;
}

bool flow_world_addr(const struct flow_ctx *fc, uint8_t family, uint8_t addr[16])
{
	/* Documentation ranges first: an address nobody owns is what "world" means. */
	static const char *const v4[] = {"192.0.2.1", "198.51.100.1", "203.0.113.1", "100.64.0.1", "1.1.1.1",
					 "9.9.9.9", "223.255.255.1", "11.0.0.1"};
	static const char *const v6[] = {"2001:db8::1", "2001:db8:ffff::1", "100::1", "2606:4700::1",
					 "3fff::1", "2a00::1"};
	const char *const *list = family == 4 ? v4 : v6;
	size_t n = family == 4 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);
	for (size_t i = 0; i < n; i++) {
		uint8_t a[16] = {0};
		inet_pton(family == 4 ? AF_INET : AF_INET6, list[i], a);
		uint32_t identity = 0, cls = 0;
		if (fc->dp)
			dp_sim_ipcache(fc->dp, family, a, &identity, &cls);
		bool world = !fc->dp || ((identity == POLC_ID_WORLD_IPV4 || identity == POLC_ID_WORLD_IPV6 ||
					  identity == POLC_ID_WORLD) && cls == 0);
		/* Also outside every CIDR the policies name (classes only exist for ones that split the space). */
		for (size_t r = 0; world && r < fc->prog->rules.len; r++) {
			const struct ir_rule *rule = fc->prog->rules.items[r];
			for (size_t k = 0; world && k < rule->n_peers; k++) {
				const struct ir_peer *p = &rule->peers[k];
				struct ir_cidr one = {.family = family, .prefixlen = family == 4 ? 32 : 128};
				memcpy(one.addr, a, 16);
				if (p->kind == IR_PEER_CIDR && p->cidr.prefixlen > 0 && ir_cidr_contains(&p->cidr, &one))
					world = false;
			}
		}
		if (world) {
			memcpy(addr, a, 16);
			return true;
		}
	}
	return false;
}

static bool pod_has_addr(const struct ir_pod *pod, uint8_t family, const uint8_t *addr)
{
	for (size_t a = 0; a < pod->n_addrs; a++)
		if (pod->addrs[a].family == family && memcmp(pod->addrs[a].addr, addr, family == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

int flow_resolve(const struct flow_ctx *fc, const struct query_endpoint *ep, struct src_loc where,
		 struct flow_end **out, size_t *n_out)
{
	const struct ir_program *prog = fc->prog;
	end_vec v = {0};
	char buf[64];
	struct ir_requirement *preqs = arena_calloc(fc->arena, ep->pods.n_reqs + 1, sizeof(*preqs));
	struct ir_requirement *nreqs = arena_calloc(fc->arena, ep->nss.n_reqs + 1, sizeof(*nreqs));
	if (!preqs || !nreqs)
		return -ENOMEM;
	struct ir_selector pods = to_ir(&ep->pods, preqs), nss = to_ir(&ep->nss, nreqs);
	const char *what = query_endpoint_str(fc->arena, ep);

	switch (ep->kind) {
	case QUERY_EP_POD:
	case QUERY_EP_NAMESPACE:
		for (size_t i = 0; i < prog->pods.len; i++) {
			const struct ir_pod *pod = &prog->pods.items[i];
			if (strcmp(pod->namespace, ep->ns) == 0 && (ep->kind == QUERY_EP_NAMESPACE || strcmp(pod->name, ep->name) == 0))
				if (add_pod(fc, &v, i))
					return -ENOMEM;
		}
		if (!v.len) {
			diag_error(fc->diags, where, NULL, "query-no-match",
				   "the pods polc knows are the inventory's: give the Pod objects with the policies",
				   ep->kind == QUERY_EP_POD ? "no pod %s in the inventory" : "no pod in namespace %s of the inventory",
				   ep->kind == QUERY_EP_POD ? what : ep->ns);
			return -EINVAL;
		}
		break;
	case QUERY_EP_PODS:
	case QUERY_EP_NS_PODS:
		for (size_t i = 0; i < prog->pods.len; i++) {
			const struct ir_pod *pod = &prog->pods.items[i];
			if (ep->kind == QUERY_EP_PODS && !selector_matches(&pods, &pod->labels))
				continue;
			if (ep->has_ns) {
				const struct ir_namespace *ns = find_namespace(prog, pod->namespace);
				if (!ns || !selector_matches(&nss, &ns->labels))
					continue;
			}
			if (add_pod(fc, &v, i))
				return -ENOMEM;
		}
		if (!v.len) {
			diag_error(fc->diags, where, NULL, "query-no-match",
				   "selectors match the pods' and namespaces' labels in the inventory",
				   "%s matches no pod of the inventory", what);
			return -EINVAL;
		}
		break;
	case QUERY_EP_ADDR: {
		/* An address of a pod is that pod: its policies count. */
		for (size_t i = 0; i < prog->pods.len && !v.len; i++)
			if (pod_has_addr(&prog->pods.items[i], ep->family, ep->addr) && add_pod(fc, &v, i))
				return -ENOMEM;
		if (v.len) {
			v.items[0].family = ep->family;
			v.items[0].label = arena_printf(fc->arena, "%s (%s)", v.items[0].label,
							flow_addr_str(ep->family, ep->addr, buf, sizeof(buf)));
			break;
		}
		struct flow_end *e = vec_add(fc->arena, &v);
		if (!e)
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->family = ep->family;
		memcpy(e->addr, ep->addr, 16);
		e->label = arena_strdup(fc->arena, flow_addr_str(ep->family, ep->addr, buf, sizeof(buf)));
		const char *api = apiserver_name(fc, ep->family, ep->addr);
		if (api && e->label)
			e->label = arena_printf(fc->arena, "%s (%s)", e->label, api);
		break;
	}
	case QUERY_EP_WORLD: {
		struct flow_end *e = vec_add(fc->arena, &v);
		if (!e)
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->family = ep->family;
		if (!flow_world_addr(fc, ep->family, e->addr)) {
			diag_error(fc->diags, where, NULL, "query-no-match", "name an address instead",
				   "no IPv%u address outside every CIDR of the policies was found for %s", ep->family,
				   what);
			return -EINVAL;
		}
		e->label = arena_printf(fc->arena, "%s (%s)", ep->family == 6 ? "world6" : "world",
					flow_addr_str(ep->family, e->addr, buf, sizeof(buf)));
		break;
	}
	}
	for (size_t i = 0; i < v.len; i++)
		if (!v.items[i].label)
			return -ENOMEM;
	*out = v.items;
	*n_out = v.len;
	return 0;
}

/* ---- judging ------------------------------------------------------------- */

static bool end_addr(const struct flow_end *e, uint8_t family, uint8_t addr[16])
{
	if (!e->pod) {
		if (e->family != family)
			return false;
		memcpy(addr, e->addr, 16);
		return true;
	}
	if (e->family && e->family != family)
		return false;
	for (size_t a = 0; a < e->pod->n_addrs; a++) {
		if (e->pod->addrs[a].family == family) {
			memcpy(addr, e->pod->addrs[a].addr, 16);
			return true;
		}
	}
	return false;
}

static bool same_verdict(const struct sim_verdict *a, const struct sim_verdict *b)
{
	return a->allow == b->allow && a->reason == b->reason && a->audit == b->audit &&
	       ((a->reason != SIM_ALLOWED && a->reason != SIM_DENIED) || a->rule == b->rule);
}

static void judge_side(const struct flow_ctx *fc, const struct flow_end *end, enum ir_dir dir,
		       const struct sim_packet *pkt, bool details, struct flow_side *side)
{
	memset(side, 0, sizeof(*side));
	side->dir = dir;
	if (!end->pod || !fc->dp->pod_identity[end->pod_index])
		return; /* an address, or a host-network pod: no policy of ours applies */
	side->present = true;
	side->pod = end->pod;
	/* polc diff judges millions of flows: the matched list only when asked for. */
	side->matched = details ? arena_calloc(fc->arena, fc->prog->rules.len + 1, sizeof(uint32_t)) : NULL;
	eval_verdict(fc->prog, fc->dp, end->pod, dir, pkt, &side->ir, side->matched, side->matched ? &side->n_matched : NULL);
	const struct dp_endpoint *ep = flow_endpoint(fc->dp, end->pod);
	if (ep) {
		side->have_dp = true;
		dp_sim_verdict(fc->dp, ep, dir, pkt, &side->dp);
	}
}

void flow_eval_numeric(const struct flow_ctx *fc, const struct flow_end *src, const struct flow_end *dst,
		       uint8_t family, uint8_t proto, uint16_t port, bool details, struct flow_result *r)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->proto = proto;
	r->port = port;
	end_addr(src, family, r->src);
	end_addr(dst, family, r->dst);
	struct sim_packet out = {.family = family, .proto = proto, .port = port};
	struct sim_packet in = out;
	memcpy(out.peer, r->dst, 16);
	memcpy(in.peer, r->src, 16);
	judge_side(fc, src, IR_EGRESS, &out, details, &r->egress);
	judge_side(fc, dst, IR_INGRESS, &in, details, &r->ingress);
	r->allow = (!r->egress.present || r->egress.ir.allow) && (!r->ingress.present || r->ingress.ir.allow);
	r->dp_agrees = true;
	const struct flow_side *sides[2] = {&r->egress, &r->ingress};
	for (int i = 0; i < 2; i++) {
		if (!sides[i]->have_dp)
			continue;
		r->dp_checked = true;
		if (!same_verdict(&sides[i]->ir, &sides[i]->dp))
			r->dp_agrees = false;
	}
}

static bool named_port(const struct ir_pod *pod, const char *name, uint8_t proto, uint16_t *port)
{
	for (size_t i = 0; pod && i < pod->n_ports; i++) {
		if (pod->ports[i].proto == proto && strcmp(pod->ports[i].name, name) == 0) {
			*port = pod->ports[i].port;
			return true;
		}
	}
	return false;
}

int flow_eval(const struct flow_ctx *fc, const struct flow_end *src, const struct flow_end *dst,
	      const struct query_service *svc, struct src_loc where, struct flow_result out[2], size_t *n_out)
{
	*n_out = 0;
	uint16_t port = svc->port;
	const char *s = query_service_str(fc->arena, svc);
	if (svc->port_name) {
		if (!dst->pod) {
			diag_error(fc->diags, where, NULL, "query-port", "use a port number for an address",
				   "%s: a named port needs a destination pod, and %s is an address", s, dst->label);
			return -EINVAL;
		}
		if (!named_port(dst->pod, svc->port_name, svc->proto, &port)) {
			diag_error(fc->diags, where, NULL, "query-port", NULL,
				   "%s: pod %s declares no %s port named \"%s\"", s, dst->label,
				   query_proto_name(svc->proto), svc->port_name);
			return -EINVAL;
		}
	}
	bool tried = false;
	for (uint8_t family = 4; family <= 6; family += 2) {
		if ((svc->proto == IR_PROTO_ICMP && family != 4) || (svc->proto == IR_PROTO_ICMPV6 && family != 6))
			continue;
		tried = true;
		uint8_t a[16], b[16];
		if (!end_addr(src, family, a) || !end_addr(dst, family, b))
			continue;
		flow_eval_numeric(fc, src, dst, family, svc->proto, port, true, &out[(*n_out)++]);
	}
	if (*n_out)
		return 0;
	const struct flow_end *bare = src->pod && !src->pod->n_addrs ? src : dst->pod && !dst->pod->n_addrs ? dst : NULL;
	if (bare)
		diag_error(fc->diags, where, NULL, "query-no-address",
			   "give the pod's status.podIPs in the inventory (kubectl get pods -o yaml has them)",
			   "pod %s has no address in the inventory: a flow needs one", bare->label);
	else
		diag_error(fc->diags, where, NULL, "query-family", NULL, "%s -> %s %s: %s", src->label, dst->label, s,
			   tried ? "the two ends have no address family in common"
				 : "ICMP is IPv4 and ICMPv6 is IPv6: the ends do not have that family");
	return -EINVAL;
}

/* ---- wording ------------------------------------------------------------- */

const char *flow_rule_ref(const struct flow_ctx *fc, uint32_t rule)
{
	if (rule >= fc->prog->rules.len)
		return "?";
	const struct ir_rule *r = fc->prog->rules.items[rule];
	const struct ir_policy *p = r->policy;
	return arena_printf(fc->arena, "%s %s%s%s %s (%s:%u)", ir_policy_kind_name(p->kind),
			    p->namespace ? p->namespace : "", p->namespace ? "/" : "", p->name ? p->name : "?",
			    r->path ? r->path : "", source_name(fc->sources, r->loc.file), r->loc.line);
}

const char *flow_isolators(const struct flow_ctx *fc, const struct ir_pod *pod, enum ir_dir dir)
{
	size_t index = (size_t)(pod - fc->prog->pods.items);
	uint32_t id = fc->dp->pod_identity[index];
	const struct ir_labels *labels = NULL;
	for (size_t i = 0; i < fc->dp->identities.len && !labels; i++)
		if (fc->dp->identities.items[i].id == id)
			labels = &fc->dp->identities.items[i].labels;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	for (size_t i = 0; labels && i < fc->prog->policies.len; i++) {
		const struct ir_policy *p = fc->prog->policies.items[i];
		if (!p->enforce[dir] || !selector_matches(&p->subject, labels))
			continue;
		strbuf_printf(&sb, "%s%s %s%s%s%s (%s:%u)", n++ ? ", " : "", ir_policy_kind_name(p->kind),
			      p->namespace ? p->namespace : "", p->namespace ? "/" : "", p->name ? p->name : "?",
			      p->audit ? " [audit]" : "", source_name(fc->sources, p->loc.file), p->loc.line);
	}
	const char *s = strbuf_error(&sb) ? "" : arena_strdup(fc->arena, n ? strbuf_cstr(&sb) : "");
	strbuf_free(&sb);
	return s ? s : "";
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The flows whose verdict changes between two policy sets (diff.h):
 * enumerate representative ends and services from both sets' rules,
 * judge every flow in both, keep the ones that differ.
 */
#include "diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct service {
	uint8_t proto;
	uint16_t port;
	bool other; /* stands for every port no rule names */
};

typedef VEC(struct service) service_vec;
typedef VEC(struct flow_end) end_vec;
typedef VEC(struct ir_cidr) cidr_vec;
typedef VEC(struct diff_change) change_vec;

/* Ports per protocol: named by a rule (reps) and inside some rule (covered). */
struct port_sets {
	uint8_t reps[5][65536 / 8];
	uint8_t covered[5][65536 / 8];
	bool used[5];
};

enum { S_TCP, S_UDP, S_SCTP, S_ICMP, S_ICMPV6 };

static int slot_of(uint8_t proto)
{
	switch (proto) {
	case IR_PROTO_TCP: return S_TCP;
	case IR_PROTO_UDP: return S_UDP;
	case IR_PROTO_SCTP: return S_SCTP;
	case IR_PROTO_ICMP: return S_ICMP;
	case IR_PROTO_ICMPV6: return S_ICMPV6;
	}
	return -1;
}

static const uint8_t slot_proto[5] = {IR_PROTO_TCP, IR_PROTO_UDP, IR_PROTO_SCTP, IR_PROTO_ICMP, IR_PROTO_ICMPV6};

static void bit_set(uint8_t *bits, uint32_t i)
{
	bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool bit_get(const uint8_t *bits, uint32_t i)
{
	return bits[i / 8] & (1u << (i % 8));
}

static void add_named(struct port_sets *ps, const struct ir_program *prog, int slot, const struct ir_port *p)
{
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		for (size_t k = 0; k < pod->n_ports; k++) {
			if (pod->ports[k].proto == p->proto && strcmp(pod->ports[k].name, p->name) == 0) {
				bit_set(ps->reps[slot], pod->ports[k].port);
				bit_set(ps->covered[slot], pod->ports[k].port);
			}
		}
	}
}

static void collect_ports(struct port_sets *ps, const struct ir_program *prog)
{
	for (size_t r = 0; r < prog->rules.len; r++) {
		const struct ir_rule *rule = prog->rules.items[r];
		for (size_t k = 0; k < rule->n_ports; k++) {
			const struct ir_port *p = &rule->ports[k];
			int slot = slot_of(p->proto);
			if (slot < 0)
				continue;
			ps->used[slot] = true;
			if (p->name) {
				add_named(ps, prog, slot, p);
			} else if (!ir_port_is_wildcard(p->proto, p->lo, p->hi)) {
				bit_set(ps->reps[slot], p->lo);
				bit_set(ps->reps[slot], p->hi);
				for (uint32_t x = p->lo; x <= p->hi; x++)
					bit_set(ps->covered[slot], x);
			}
		}
	}
}

static int make_services(struct arena *arena, struct port_sets *ps, service_vec *out)
{
	/* TCP and UDP always: rules without ports (every protocol) differ from port rules there. */
	ps->used[S_TCP] = ps->used[S_UDP] = true;
	for (int slot = 0; slot < 5; slot++) {
		if (!ps->used[slot])
			continue;
		bool icmp = slot == S_ICMP || slot == S_ICMPV6;
		uint32_t max = icmp ? 255 : 65535;
		for (uint32_t x = icmp ? 0 : 1; x <= max; x++)
			if (bit_get(ps->reps[slot], x) &&
			    vec_push(arena, out, ((struct service){slot_proto[slot], (uint16_t)x, false})))
				return -ENOMEM;
		/* One port no rule names: "every other port" (echo request first for ICMP). */
		uint32_t other = icmp ? (slot == S_ICMP ? 8 : 128) : 1;
		for (uint32_t tries = 0; tries <= max && bit_get(ps->covered[slot], other); tries++)
			other = other == max ? (icmp ? 0 : 1) : other + 1;
		if (!bit_get(ps->covered[slot], other) && !bit_get(ps->reps[slot], other) &&
		    vec_push(arena, out, ((struct service){slot_proto[slot], (uint16_t)other, true})))
			return -ENOMEM;
	}
	return 0;
}

/* ---- outside addresses ---------------------------------------------------- */

static int add_prefix(struct arena *arena, cidr_vec *v, const struct ir_cidr *c)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->items[i].family == c->family && v->items[i].prefixlen == c->prefixlen &&
		    memcmp(v->items[i].addr, c->addr, 16) == 0)
			return 0;
	return vec_push(arena, v, *c);
}

static int collect_prefixes(struct arena *arena, const struct ir_program *prog, cidr_vec *v)
{
	for (size_t r = 0; r < prog->rules.len; r++) {
		const struct ir_rule *rule = prog->rules.items[r];
		for (size_t k = 0; k < rule->n_peers; k++) {
			const struct ir_peer *p = &rule->peers[k];
			if (p->kind != IR_PEER_CIDR)
				continue;
			if (add_prefix(arena, v, &p->cidr))
				return -ENOMEM;
			for (size_t e = 0; e < p->n_except; e++)
				if (add_prefix(arena, v, &p->except[e]))
					return -ENOMEM;
		}
	}
	return 0;
}

static void addr_add(uint8_t *a, size_t len, unsigned n)
{
	for (size_t i = len; n && i-- > 0;) {
		unsigned v = a[i] + n;
		a[i] = (uint8_t)v;
		n = v >> 8;
	}
}

/* Last address of c, plus one; false when that wraps around. */
static bool after(const struct ir_cidr *c, uint8_t out[16])
{
	size_t len = c->family == 4 ? 4 : 16;
	memcpy(out, c->addr, 16);
	for (unsigned b = c->prefixlen; b < len * 8; b++)
		out[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (size_t i = len; i-- > 0;) {
		if (out[i] != 0xff) {
			out[i]++;
			memset(out + i + 1, 0, len - i - 1);
			return true;
		}
	}
	return false;
}

/* An address of p that no narrower prefix of the set covers (p's "own" addresses), or false. */
static bool own_address(const cidr_vec *v, const struct ir_cidr *p, uint8_t out[16])
{
	size_t bits = p->family == 4 ? 32 : 128;
	struct ir_cidr cand = {.family = p->family, .prefixlen = (uint8_t)bits};
	memcpy(cand.addr, p->addr, 16);
	if ((size_t)p->prefixlen + 1 < bits)
		addr_add(cand.addr, bits / 8, 1); /* not the network address, when there is room */
	for (size_t guard = 0; guard <= v->len; guard++) {
		if (!ir_cidr_contains(p, &cand))
			return false;
		const struct ir_cidr *inner = NULL;
		for (size_t i = 0; i < v->len && !inner; i++) {
			const struct ir_cidr *q = &v->items[i];
			if (q->family == p->family && q->prefixlen > p->prefixlen && ir_cidr_contains(q, &cand))
				inner = q;
		}
		if (!inner) {
			memcpy(out, cand.addr, 16);
			return true;
		}
		if (!after(inner, cand.addr))
			return false;
	}
	return false;
}

static bool is_pod_addr(const struct ir_program *prog, uint8_t family, const uint8_t *a)
{
	for (size_t i = 0; i < prog->pods.len; i++)
		for (size_t k = 0; k < prog->pods.items[i].n_addrs; k++)
			if (prog->pods.items[i].addrs[k].family == family &&
			    memcmp(prog->pods.items[i].addrs[k].addr, a, family == 4 ? 4 : 16) == 0)
				return true;
	return false;
}

static int add_outside(const struct flow_ctx *fc, end_vec *v, uint8_t family, const uint8_t *a, const char *what)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->items[i].family == family && memcmp(v->items[i].addr, a, 16) == 0)
			return 0;
	if (is_pod_addr(fc->prog, family, a))
		return 0;
	struct flow_end *e = vec_add(fc->arena, v);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(e->addr, a, 16);
	char buf[64];
	e->label = arena_printf(fc->arena, "%s (%s)", flow_addr_str(family, a, buf, sizeof(buf)), what);
	return e->label ? 0 : -ENOMEM;
}

static int outside_ends(const struct flow_ctx *old_fc, const struct flow_ctx *new_fc, end_vec *out)
{
	cidr_vec prefixes = {0};
	if (collect_prefixes(new_fc->arena, old_fc->prog, &prefixes) ||
	    collect_prefixes(new_fc->arena, new_fc->prog, &prefixes))
		return -ENOMEM;
	for (size_t i = 0; i < prefixes.len; i++) {
		uint8_t a[16];
		char buf[64];
		if (!own_address(&prefixes, &prefixes.items[i], a))
			continue;
		const char *what = arena_printf(new_fc->arena, "in %s", ir_cidr_str(&prefixes.items[i], buf, sizeof(buf)));
		if (!what || add_outside(new_fc, out, prefixes.items[i].family, a, what))
			return -ENOMEM;
	}
	for (uint8_t family = 4; family <= 6; family += 2) {
		uint8_t a[16];
		/* Outside both sets' CIDRs: judge with the old set too. */
		if (flow_world_addr(new_fc, family, a) && flow_world_addr(old_fc, family, a) &&
		    add_outside(new_fc, out, family, a, "world"))
			return -ENOMEM;
	}
	return 0;
}

/* ---- pods ---------------------------------------------------------------- */

static bool has_family(const struct flow_end *e, uint8_t family)
{
	if (!e->pod)
		return e->family == family;
	for (size_t a = 0; a < e->pod->n_addrs; a++)
		if (e->pod->addrs[a].family == family)
			return true;
	return false;
}

static const struct ir_pod *find_pod(const struct ir_program *prog, const struct ir_pod *like, size_t *index)
{
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *p = &prog->pods.items[i];
		if (strcmp(p->namespace, like->namespace) == 0 && strcmp(p->name, like->name) == 0) {
			*index = i;
			return p;
		}
	}
	return NULL;
}

/* ---- comparing ------------------------------------------------------------ */

struct differ {
	const struct flow_ctx *old_fc, *new_fc;
	change_vec changes;
	size_t flows;
	bool truncated;
};

static bool same(const struct flow_result *a, const struct flow_result *b)
{
	bool audit_a = a->egress.ir.audit || a->ingress.ir.audit, audit_b = b->egress.ir.audit || b->ingress.ir.audit;
	return a->allow == b->allow && audit_a == audit_b;
}

static int judge(struct differ *d, const struct flow_end *os, const struct flow_end *od, const struct flow_end *ns,
		 const struct flow_end *nd, const struct service *svc)
{
	bool merged_family = false;
	for (uint8_t family = 4; family <= 6; family += 2) {
		if ((svc->proto == IR_PROTO_ICMP && family != 4) || (svc->proto == IR_PROTO_ICMPV6 && family != 6))
			continue;
		if (!has_family(ns, family) || !has_family(nd, family) || !has_family(os, family) || !has_family(od, family))
			continue;
		if (d->flows >= DIFF_MAX_FLOWS) {
			d->truncated = true;
			return 0;
		}
		d->flows++;
		struct flow_result o, n;
		flow_eval_numeric(d->old_fc, os, od, family, svc->proto, svc->port, false, &o);
		flow_eval_numeric(d->new_fc, ns, nd, family, svc->proto, svc->port, false, &n);
		if (same(&o, &n)) {
			merged_family = false;
			continue;
		}
		/* IPv6 changing exactly like IPv4 just did: one entry for both. */
		struct diff_change *last = d->changes.len ? &d->changes.items[d->changes.len - 1] : NULL;
		if (family == 6 && merged_family && last && last->old.allow == o.allow && last->new.allow == n.allow) {
			last->families |= 2;
			continue;
		}
		struct diff_change *c = vec_add(d->new_fc->arena, &d->changes);
		if (!c)
			return -ENOMEM;
		memset(c, 0, sizeof(*c));
		c->old_src = *os;
		c->old_dst = *od;
		c->new_src = *ns;
		c->new_dst = *nd;
		c->proto = svc->proto;
		c->port = svc->port;
		c->other_ports = svc->other;
		c->families = family == 4 ? 1 : 2;
		flow_eval_numeric(d->old_fc, os, od, family, svc->proto, svc->port, true, &c->old);
		flow_eval_numeric(d->new_fc, ns, nd, family, svc->proto, svc->port, true, &c->new);
		merged_family = family == 4;
	}
	return 0;
}

static int change_cmp(const void *a, const void *b)
{
	const struct diff_change *x = a, *y = b;
	int c = strcmp(x->new_src.label, y->new_src.label);
	if (!c)
		c = strcmp(x->new_dst.label, y->new_dst.label);
	if (!c)
		c = (int)x->proto - (int)y->proto;
	if (!c)
		c = (int)x->port - (int)y->port;
	return c ? c : (int)x->families - (int)y->families;
}

int diff_flows(const struct flow_ctx *old_fc, const struct flow_ctx *new_fc, struct diff_result *out)
{
	memset(out, 0, sizeof(*out));
	struct arena *arena = new_fc->arena;
	struct port_sets *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	collect_ports(ps, old_fc->prog);
	collect_ports(ps, new_fc->prog);
	service_vec services = {0};
	int err = make_services(arena, ps, &services);
	free(ps);
	if (err)
		return err;

	/* Pods both inventories have, with an identity in both. */
	end_vec old_pods = {0}, new_pods = {0}, outside = {0};
	for (size_t i = 0; i < new_fc->prog->pods.len; i++) {
		const struct ir_pod *np = &new_fc->prog->pods.items[i];
		size_t oi;
		const struct ir_pod *op = find_pod(old_fc->prog, np, &oi);
		if (!op) {
			out->only_new++;
			continue;
		}
		if (!np->n_addrs || !new_fc->dp->pod_identity[i] || !old_fc->dp->pod_identity[oi])
			continue;
		const char *label = arena_printf(arena, "%s/%s", np->namespace, np->name);
		struct flow_end *ne = vec_add(arena, &new_pods), *oe = vec_add(arena, &old_pods);
		if (!label || !ne || !oe)
			return -ENOMEM;
		*ne = (struct flow_end){.pod = np, .pod_index = i, .label = label};
		*oe = (struct flow_end){.pod = op, .pod_index = oi, .label = label};
	}
	for (size_t i = 0; i < old_fc->prog->pods.len; i++) {
		size_t ni;
		if (!find_pod(new_fc->prog, &old_fc->prog->pods.items[i], &ni))
			out->only_old++;
	}
	if (outside_ends(old_fc, new_fc, &outside))
		return -ENOMEM;

	struct differ d = {.old_fc = old_fc, .new_fc = new_fc};
	for (size_t s = 0; s < services.len; s++) {
		const struct service *svc = &services.items[s];
		for (size_t i = 0; i < new_pods.len; i++) {
			for (size_t j = 0; j < new_pods.len; j++) {
				if (i != j && judge(&d, &old_pods.items[i], &old_pods.items[j], &new_pods.items[i],
						    &new_pods.items[j], svc))
					return -ENOMEM;
			}
			for (size_t w = 0; w < outside.len; w++) {
				const struct flow_end *x = &outside.items[w];
				if (judge(&d, &old_pods.items[i], x, &new_pods.items[i], x, svc) ||
				    judge(&d, x, &old_pods.items[i], x, &new_pods.items[i], svc))
					return -ENOMEM;
			}
		}
	}
	if (d.changes.len > 1)
		qsort(d.changes.items, d.changes.len, sizeof(*d.changes.items), change_cmp);
	out->changes = d.changes.items;
	out->n_changes = d.changes.len;
	out->n_flows = d.flows;
	out->n_pods = new_pods.len;
	out->n_outside = outside.len;
	out->n_services = services.len;
	out->truncated = d.truncated;
	return 0;
}

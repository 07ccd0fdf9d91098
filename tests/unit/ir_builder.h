/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Building policy IR by hand in unit tests, without YAML: the passes are
 * tested on exactly the structures the front ends produce.
 */
#ifndef POLC_TEST_IR_BUILDER_H
#define POLC_TEST_IR_BUILDER_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

static inline struct ir_cidr tb_cidr(const char *text)
{
	struct ir_cidr c;
	memset(&c, 0, sizeof(c));
	char buf[64];
	strncpy(buf, text, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = 4;
		c.prefixlen = slash ? (uint8_t)atoi(slash + 1) : 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = 6;
		c.prefixlen = slash ? (uint8_t)atoi(slash + 1) : 128;
	} else {
		abort();
	}
	return c;
}

static inline struct ir_namespace *tb_namespace(struct ir_program *prog, const char *name)
{
	struct ir_namespace *ns = vec_add(prog->arena, &prog->namespaces);
	ns->name = name;
	ir_labels_set(prog->arena, &ns->labels, "kubernetes.io/metadata.name", name);
	ir_labels_sort(&ns->labels);
	return ns;
}

/* Labels as "k=v,k=v". */
static inline void tb_labels(struct arena *a, struct ir_labels *labels, const char *spec)
{
	char *copy = arena_strdup(a, spec);
	for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');
		*eq = '\0';
		ir_labels_set(a, labels, tok, eq + 1);
	}
	ir_labels_sort(labels);
}

static inline struct ir_pod *tb_pod(struct ir_program *prog, const char *ns, const char *name, const char *labels,
				    const char *addr, const char *ifname)
{
	struct ir_pod *pod = vec_add(prog->arena, &prog->pods);
	pod->namespace = ns;
	pod->name = name;
	if (labels && *labels)
		tb_labels(prog->arena, &pod->labels, labels);
	if (addr)
		pod->addrs[pod->n_addrs++] = tb_cidr(addr);
	pod->interface = ifname;
	return pod;
}

static inline void tb_pod_port(struct ir_program *prog, struct ir_pod *pod, const char *name, uint8_t proto,
			       uint16_t port)
{
	struct ir_named_port *p = arena_realloc(prog->arena, pod->ports, pod->n_ports * sizeof(*p),
						(pod->n_ports + 1) * sizeof(*p));
	p[pod->n_ports] = (struct ir_named_port){name, proto, port};
	pod->ports = p;
	pod->n_ports++;
}

/* Selector from "key=value" (In) / "key" (Exists) / "!key" terms, comma separated; keys as given. */
static inline struct ir_selector tb_selector(struct arena *a, const char *spec)
{
	struct ir_selector sel;
	memset(&sel, 0, sizeof(sel));
	if (!spec || !*spec)
		return sel;
	sel.reqs = arena_calloc(a, 16, sizeof(*sel.reqs));
	char *copy = arena_strdup(a, spec);
	for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
		struct ir_requirement *r = &sel.reqs[sel.n_reqs++];
		char *eq = strchr(tok, '=');
		if (tok[0] == '!') {
			r->key = tok + 1;
			r->op = IR_SEL_NOT_EXISTS;
		} else if (eq) {
			*eq = '\0';
			r->key = tok;
			r->op = IR_SEL_IN;
			r->values = arena_calloc(a, 1, sizeof(char *));
			r->values[0] = eq + 1;
			r->n_values = 1;
		} else {
			r->key = tok;
			r->op = IR_SEL_EXISTS;
		}
	}
	return sel;
}

static inline struct ir_policy *tb_policy(struct ir_program *prog, enum ir_policy_kind kind, const char *ns,
					  const char *name, const char *subject, bool enforce_in, bool enforce_out)
{
	struct ir_policy *p = ir_policy_new(prog, kind);
	p->name = name;
	p->namespace = ns;
	p->subject = tb_selector(prog->arena, subject);
	p->enforce[IR_INGRESS] = enforce_in;
	p->enforce[IR_EGRESS] = enforce_out;
	return p;
}

static inline struct ir_peer *tb_add_peer(struct ir_program *prog, struct ir_rule *r)
{
	struct ir_peer *p = arena_realloc(prog->arena, r->peers, r->n_peers * sizeof(*p), (r->n_peers + 1) * sizeof(*p));
	r->peers = p;
	memset(&p[r->n_peers], 0, sizeof(*p));
	return &p[r->n_peers++];
}

static inline void tb_peer_all(struct ir_program *prog, struct ir_rule *r)
{
	tb_add_peer(prog, r)->kind = IR_PEER_ALL;
}

static inline void tb_peer_selector(struct ir_program *prog, struct ir_rule *r, const char *spec)
{
	struct ir_peer *p = tb_add_peer(prog, r);
	p->kind = IR_PEER_SELECTOR;
	p->sel = tb_selector(prog->arena, spec);
}

/* CIDR peer; excepts as extra arguments, NULL-terminated. */
static inline void tb_peer_cidr(struct ir_program *prog, struct ir_rule *r, bool matches_endpoints,
				const char *cidr, ...)
{
	struct ir_peer *p = tb_add_peer(prog, r);
	p->kind = IR_PEER_CIDR;
	p->cidr = tb_cidr(cidr);
	p->matches_endpoints = matches_endpoints;
	p->except = arena_calloc(prog->arena, 16, sizeof(struct ir_cidr));
	va_list ap;
	va_start(ap, cidr);
	const char *e;
	while ((e = va_arg(ap, const char *)) != NULL)
		p->except[p->n_except++] = tb_cidr(e);
	va_end(ap);
}

static inline void tb_peer_entities(struct ir_program *prog, struct ir_rule *r, uint32_t entities)
{
	struct ir_peer *p = tb_add_peer(prog, r);
	p->kind = IR_PEER_ENTITY;
	p->entities = entities;
}

static inline void tb_port(struct ir_program *prog, struct ir_rule *r, uint8_t proto, uint16_t lo, uint16_t hi,
			   const char *name)
{
	struct ir_port *p = arena_realloc(prog->arena, r->ports, r->n_ports * sizeof(*p), (r->n_ports + 1) * sizeof(*p));
	r->ports = p;
	memset(&p[r->n_ports], 0, sizeof(*p));
	p[r->n_ports].proto = proto;
	p[r->n_ports].lo = lo;
	p[r->n_ports].hi = hi;
	p[r->n_ports].name = name;
	r->n_ports++;
}

#endif

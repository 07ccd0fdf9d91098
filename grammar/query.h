/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The connectivity query and assertion language of polc trace, polc
 * test and polc diff: who talks to whom on which port, and what the
 * policies must say about it.
 *
 *   # comment to the end of the line
 *   x/a -> y/b tcp/80 allow                        pod a of namespace x to pod b of y
 *   x/\* -> y/b udp/53 deny                        every pod of namespace x (x/ then *)
 *   pod app=web in ns team=a -> 198.51.100.7 udp/53 deny
 *   pod app in (web,api), tier!=db, !legacy -> world tcp/443 allow
 *   ns team=a -> fd00::7 icmpv6/echo-request deny  every pod of the matching namespaces
 *   198.51.100.7 -> x/a tcp/http allow             named port of the destination pod
 *   x/a -> y/b icmp/8 allow                        ICMP by type number or name
 *
 * One assertion per line. Endpoints: NAMESPACE/POD, NAMESPACE/\*, `pod
 * SELECTOR [in ns SELECTOR]`, `ns SELECTOR`, an IPv4 or IPv6 address,
 * `world` / `world6` (an address outside the cluster and every CIDR the
 * policies name). Selectors are Kubernetes label-selector expressions
 * (key=value, key==value, key!=value, key in (a,b), key notin (a,b),
 * key, !key; comma means AND; * is the empty selector). Services:
 * tcp|udp|sctp/PORT or /NAME (a named port of the destination pod),
 * icmp|icmpv6/TYPE (number or name). Keywords can be used as names when
 * quoted ("tcp"/a).
 *
 * The grammar is grammar/query.y with the scanner grammar/query.l, both
 * reentrant and pure with locations; errors become diagnostics of the
 * caller's sink, with file:line:col and a caret, and parsing goes on at
 * the next line so one run reports every bad line.
 */
#ifndef POLC_GRAMMAR_QUERY_H
#define POLC_GRAMMAR_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "util/arena.h"
#include "util/diag.h"
#include "util/source.h"

/* A span of the query text, in bytes from its start. */
struct query_loc {
	uint32_t begin, end;
};

struct query_req {
	const char *key;
	enum ir_sel_op op; /* IN with one value for key=value */
	const char **values;
	size_t n_values;
	struct query_loc loc;
};

struct query_selector {
	struct query_req *reqs; /* AND; none: everything */
	size_t n_reqs;
	struct query_loc loc;
};

enum query_endpoint_kind {
	QUERY_EP_POD,       /* ns/name */
	QUERY_EP_NAMESPACE, /* ns/\*: every pod of one namespace */
	QUERY_EP_PODS,      /* pod SELECTOR [in ns SELECTOR] */
	QUERY_EP_NS_PODS,   /* ns SELECTOR: every pod of the matching namespaces */
	QUERY_EP_ADDR,      /* an address */
	QUERY_EP_WORLD,     /* world (IPv4), world6 */
};

struct query_endpoint {
	enum query_endpoint_kind kind;
	struct query_loc loc;
	const char *ns, *name;        /* POD, NAMESPACE */
	struct query_selector pods;   /* PODS */
	struct query_selector nss;    /* PODS with has_ns, NS_PODS */
	bool has_ns;
	uint8_t family;               /* ADDR, WORLD: 4 or 6 */
	uint8_t addr[16];             /* ADDR */
};

struct query_service {
	uint8_t proto;          /* IR_PROTO_* */
	uint16_t port;          /* or ICMP type */
	const char *port_name;  /* named port (TCP/UDP/SCTP), resolved at the destination pod */
	struct query_loc loc;
};

enum query_verdict {
	QUERY_VERDICT_NONE, /* a query (trace): no expectation */
	QUERY_ALLOW,
	QUERY_DENY,
};

struct query_assertion {
	struct query_endpoint from, to;
	struct query_service service;
	enum query_verdict verdict;
	struct query_loc loc;
	struct src_loc src; /* where it starts, for reports */
};

struct query_file {
	struct query_assertion *items;
	size_t n_items;
};

struct query_input {
	struct arena *arena;
	struct diag_sink *diags;
	const struct source_set *sources;
	uint32_t file; /* the text: a file of sources (source_add_file / _buffer) */
};

/*
 * Parse a whole assertion file. Every syntax error is a diagnostic
 * (code query-syntax, or a more precise one) at file:line:col; lines
 * that parsed are kept. 0 when there was no error, -EINVAL after
 * errors, -ENOMEM.
 */
int query_parse_file(const struct query_input *in, struct query_file *out);

/* One endpoint (polc trace FROM / TO), one service (PORT): the whole text must be one. */
int query_parse_endpoint(const struct query_input *in, struct query_endpoint *out);
int query_parse_service(const struct query_input *in, struct query_service *out);

/* Position of a span of in->file as a src_loc (line, column, length on its line). */
struct src_loc query_src_loc(const struct source_set *sources, uint32_t file, struct query_loc loc);

/* "tcp/80", "icmp/echo-request", "udp/dns"; "x/a", "pod app=web in ns team=a", ... (arena). */
const char *query_service_str(struct arena *arena, const struct query_service *s);
const char *query_endpoint_str(struct arena *arena, const struct query_endpoint *ep);

/* "tcp", "udp", "sctp", "icmp", "icmpv6": as the language writes them. */
const char *query_proto_name(uint8_t proto);

/* ICMP (family 4) or ICMPv6 (6) type by name ("echo-request"), or -1. */
int query_icmp_type(uint8_t family, const char *name);
const char *query_icmp_type_name(uint8_t family, uint8_t type);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * L7 rule sets: which L7 rules (HTTP, or DNS: passes/dns.c) decide a
 * request, per policy entry, and the DFAs that decide HTTP requests.
 *
 * pass_entries reports, for every allow entry it emits, the L7 rules of
 * the port that produced it (l7_contribute; none: the entry allows every
 * request). Cilium's semantics are a union: a request on a (peer, port)
 * is allowed if any rule covering that peer and port matches it, and a
 * covering rule without L7 rules allows every request.
 *
 * At run time a packet hits up to 3 x 4 entries (policy.h). The program
 * takes: every request if any allow entry it hit has no L7 set;
 * otherwise the L7 set of the most specific entry hit (exact port before
 * range class) of its identity, and of its CIDR class, falling back on
 * the peer-any column when neither has one. For that choice to be the
 * union the policy means, this pass makes each L7 entry's set complete:
 *
 *   eff(q, point)   the rules of column q (an identity, a CIDR class, or
 *                   ANY) at a port point: for an exact port, its own
 *                   entry, the range class containing it, (TCP, any port)
 *                   and (any protocol); for a range class, all but the
 *                   first. Open if one of those entries is.
 *   full(q, point)  eff(q) plus the rules of eff(ANY): ANY entries are hit
 *                   together with every identity and CIDR entry.
 *
 * Every entry with L7 rules gets full() of its point. Where an L7 exact
 * port p exists anywhere in the policy, every column that covers p only
 * through a range or a wildcard gets a materialised exact entry for p
 * (same action, its lowest rule), so that the most specific hit is
 * always complete. A packet hitting both an identity and a CIDR entry
 * with L7 sets uses their union, looked up in a table of the (identity,
 * class) pairs the ipcache holds.
 *
 * Each distinct set gets one DFA per request field (method, path, host,
 * header names, header values), all rules in one DFA with accept sets:
 * one walk decides for the whole set.
 *
 * DNS rules (UDP and TCP ports, and SCTP, where no query passes) take
 * the same path: a set is HTTP or DNS, never both (Cilium refuses to
 * merge two L7 parsers on one port: so does this pass). HTTP sets are
 * numbered first, DNS sets after them (dp->features.dns_set_first), so
 * the datapath tells a set's protocol by its id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grammar/regex.h"

#include "passes.h"

/* ---- contributions -------------------------------------------------------- */

struct l7_ref {
	const struct ir_l7 *l7;
	uint32_t rule;
};

struct l7_contrib {
	bool open;         /* an allow without L7 rules */
	uint32_t min_rule; /* lowest allowing rule */
	struct l7_ref *refs;
	uint32_t n, cap;
};

/* The hashmap holds a pointer per key. */
static struct l7_contrib *contrib_of(const void *slot)
{
	return *(struct l7_contrib *const *)slot;
}

int l7_contribute(struct pass_ctx *ctx, const struct polc_policy_key *key, const struct ir_l7 *l7, uint32_t rule)
{
	if (!ctx->l7_contrib.arena &&
	    hashmap_init(&ctx->l7_contrib, ctx->arena, sizeof(struct polc_policy_key), sizeof(struct l7_contrib *)))
		return -ENOMEM;
	void *slot;
	bool inserted;
	if (hashmap_upsert(&ctx->l7_contrib, key, &slot, &inserted))
		return -ENOMEM;
	struct l7_contrib *c;
	if (inserted) {
		c = arena_calloc(ctx->arena, 1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		*(struct l7_contrib **)slot = c;
	} else {
		c = contrib_of(slot);
	}
	if (inserted || rule < c->min_rule)
		c->min_rule = rule;
	if (!l7) {
		c->open = true;
		return 0;
	}
	for (uint32_t i = 0; i < c->n; i++)
		if (c->refs[i].l7 == l7)
			return 0;
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 2;
		struct l7_ref *refs = arena_calloc(ctx->arena, cap, sizeof(*refs));
		if (!refs)
			return -ENOMEM;
		if (c->n)
			memcpy(refs, c->refs, c->n * sizeof(*refs));
		c->refs = refs;
		c->cap = cap;
	}
	c->refs[c->n++] = (struct l7_ref){l7, rule};
	return 0;
}

/* ---- rule sets as sorted lists of (HTTP rule, rule id) ---------------------- */

struct member {
	const struct ir_http_rule *http; /* one of http and dns */
	const struct ir_dns_rule *dns;
	uint32_t rule;
};

/* HTTP rules sort before DNS rules, each kind by its id. */
static uint64_t member_key(const struct member *m)
{
	return m->http ? m->http->id : (1ull << 32) | m->dns->id;
}

typedef VEC(struct member) member_vec;

/* What a column contributes at a point: open, and/or rules. */
struct eff {
	bool covered; /* some entry of the column covers the point */
	bool open;
	uint32_t min_rule;
	member_vec members;
};

static int member_cmp(const void *a, const void *b)
{
	uint64_t x = member_key(a), y = member_key(b);
	return x < y ? -1 : x > y;
}

static bool member_same(const struct member *x, const struct member *y)
{
	return x->http == y->http && x->dns == y->dns;
}

static int add_members(struct arena *arena, member_vec *out, const struct l7_contrib *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		const struct ir_l7 *l7 = c->refs[i].l7;
		for (size_t k = 0; k < l7->n_http; k++)
			if (vec_push(arena, out, (struct member){&l7->http[k], NULL, c->refs[i].rule}))
				return -ENOMEM;
		for (size_t k = 0; k < l7->n_dns; k++)
			if (vec_push(arena, out, (struct member){NULL, &l7->dns[k], c->refs[i].rule}))
				return -ENOMEM;
	}
	return 0;
}

static void sort_unique(member_vec *v)
{
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(*v->items), member_cmp);
	size_t n = 0;
	for (size_t i = 0; i < v->len; i++)
		if (n == 0 || !member_same(&v->items[n - 1], &v->items[i]))
			v->items[n++] = v->items[i];
	v->len = n;
}

/* ---- the pass's state ------------------------------------------------------- */

struct l7_pass {
	struct pass_ctx *ctx;
	struct arena *a;
	struct ir_datapath *dp;
	/* Interned sets, by content (sorted HTTP rule ids). */
	VEC(member_vec) sets;
	/* Identities per CIDR class, from the ipcache. */
	struct hashmap class_ids; /* uint32 class -> struct id_list */
	VEC(struct dp_policy_entry) added;
	VEC(struct dp_http_union) unions;
};

struct id_list {
	uint32_t *ids;
	uint32_t n, cap;
};

static bool members_equal(const member_vec *x, const member_vec *y)
{
	if (x->len != y->len)
		return false;
	for (size_t i = 0; i < x->len; i++)
		if (!member_same(&x->items[i], &y->items[i]))
			return false;
	return true;
}

/* The set id (1-based) of these members, interning a copy. 0 on ENOMEM. */
static uint32_t intern(struct l7_pass *p, const member_vec *m)
{
	/* Sets are few (one per distinct union of HTTP rules): a scan is enough. */
	for (size_t i = 0; i < p->sets.len; i++)
		if (members_equal(&p->sets.items[i], m))
			return (uint32_t)i + 1;
	member_vec copy = {0};
	for (size_t i = 0; i < m->len; i++)
		if (vec_push(p->a, &copy, m->items[i]))
			return 0;
	if (vec_push(p->a, &p->sets, copy))
		return 0;
	return (uint32_t)p->sets.len;
}

/* ---- the columns ------------------------------------------------------------ */

static const struct l7_contrib *find(struct l7_pass *p, uint32_t policy, uint32_t peer, uint8_t proto, uint8_t kind,
				    uint16_t port)
{
	struct polc_policy_key k;
	memset(&k, 0, sizeof(k));
	k.policy = policy;
	k.peer = peer;
	k.proto = proto;
	k.port_kind = kind;
	k.port = port;
	const void *slot = hashmap_find(&p->ctx->l7_contrib, &k);
	return slot ? contrib_of(slot) : NULL;
}

static int eff_add(struct l7_pass *p, struct eff *e, const struct l7_contrib *c)
{
	if (!c)
		return 0;
	if (!e->covered || c->min_rule < e->min_rule)
		e->min_rule = c->min_rule;
	e->covered = true;
	e->open |= c->open;
	return add_members(p->a, &e->members, c);
}

/* A point: an exact port, or a range class, of a protocol with ports (L7: TCP, UDP, SCTP). */
struct point {
	bool exact;
	uint8_t proto;
	uint16_t port; /* the port, or the class */
};

static int eff_of(struct l7_pass *p, uint32_t policy, uint32_t peer, struct point pt, struct eff *e)
{
	memset(e, 0, sizeof(*e));
	int err = 0;
	int slot = port_slot(pt.proto);
	uint16_t cls = pt.exact ? (p->dp->ports && slot >= 0 ? p->dp->ports->cls[slot][pt.port] : 0) : pt.port;
	if (pt.exact)
		err = eff_add(p, e, find(p, policy, peer, pt.proto, POLC_PORT_EXACT, pt.port));
	if (!err && cls)
		err = eff_add(p, e, find(p, policy, peer, pt.proto, POLC_PORT_RANGE, cls));
	if (!err)
		err = eff_add(p, e, find(p, policy, peer, pt.proto, POLC_PORT_ANY, 0));
	if (!err)
		err = eff_add(p, e, find(p, policy, peer, 0, POLC_PORT_ANY, 0));
	return err;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct polc_policy_key));
}

static struct dp_policy_entry *find_entry(struct ir_datapath *dp, const struct polc_policy_key *k)
{
	return bsearch(k, dp->entries.items, dp->entries.len, sizeof(*dp->entries.items), entry_cmp);
}

/*
 * Give key (policy, peer, pt) the set `id`: the existing entry, or a new
 * allow entry with the column's lowest rule. An existing deny keeps no
 * set (deny wins over every request).
 */
static int assign(struct l7_pass *p, uint32_t policy, uint32_t peer, struct point pt, uint32_t id, uint32_t rule)
{
	struct polc_policy_key k;
	memset(&k, 0, sizeof(k));
	k.policy = policy;
	k.peer = peer;
	k.proto = pt.proto;
	k.port_kind = pt.exact ? POLC_PORT_EXACT : POLC_PORT_RANGE;
	k.port = pt.port;
	struct dp_policy_entry *e = find_entry(p->dp, &k);
	if (e) {
		if (e->value.action == POLC_ACT_ALLOW)
			e->value.l7 = (uint16_t)id;
		return 0;
	}
	for (size_t i = 0; i < p->added.len; i++)
		if (memcmp(&p->added.items[i].key, &k, sizeof(k)) == 0)
			return 0;
	struct dp_policy_entry ne;
	memset(&ne, 0, sizeof(ne));
	ne.key = k;
	ne.value.rule = rule;
	ne.value.action = POLC_ACT_ALLOW;
	ne.value.l7 = (uint16_t)id;
	return vec_push(p->a, &p->added, ne);
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->exact != y->exact)
		return x->exact ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static int union_cmp(const void *a, const void *b)
{
	const struct dp_http_union *x = a, *y = b;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

static int too_many_sets(struct l7_pass *p)
{
	const member_vec *m = &p->sets.items[p->sets.len - 1];
	const struct member *first = m->len ? &m->items[0] : NULL;
	struct src_loc loc = !first ? (struct src_loc){0} : first->http ? first->http->loc : first->dns->loc;
	const char *path = !first ? NULL : first->http ? first->http->yaml_path : first->dns->path;
	int err = diag_error(p->ctx->diags, loc, path, "too-many-http-sets",
			     "fewer distinct combinations of HTTP rules per peer and port",
			     "more than 65535 distinct sets of HTTP rules");
	return err ? err : -EINVAL;
}

/* The L7 entries of one policy: keys[lo..hi) are its contributions, sorted. */
static int do_policy(struct l7_pass *p, uint32_t policy, const struct polc_policy_key *keys, size_t n)
{
	VEC(struct point) points = {0};
	VEC(uint32_t) peers = {0};
	for (size_t i = 0; i < n; i++) {
		const struct polc_policy_key *k = &keys[i];
		if (peers.len == 0 || peers.items[peers.len - 1] != k->peer) {
			bool seen = false;
			for (size_t j = 0; j < peers.len && !seen; j++)
				seen = peers.items[j] == k->peer;
			if (!seen && vec_push(p->a, &peers, k->peer))
				return -ENOMEM;
		}
		const void *slot = hashmap_find(&p->ctx->l7_contrib, k);
		const struct l7_contrib *c = slot ? contrib_of(slot) : NULL;
		if (!c || c->n == 0 || port_slot(k->proto) < 0)
			continue;
		struct point pt;
		if (k->port_kind == POLC_PORT_EXACT)
			pt = (struct point){true, k->proto, k->port};
		else if (k->port_kind == POLC_PORT_RANGE)
			pt = (struct point){false, k->proto, k->port};
		else
			continue; /* L7 rules need a port: no (proto, any) entry has them */
		bool seen = false;
		for (size_t j = 0; j < points.len && !seen; j++)
			seen = points.items[j].exact == pt.exact && points.items[j].proto == pt.proto &&
			       points.items[j].port == pt.port;
		if (!seen && vec_push(p->a, &points, pt))
			return -ENOMEM;
	}
	if (points.len == 0)
		return 0;
	qsort(points.items, points.len, sizeof(*points.items), point_cmp);
	qsort(peers.items, peers.len, sizeof(*peers.items), id_cmp);

	/* Sets chosen per (peer, point), for the union table: peers x points. */
	uint32_t *chosen = arena_calloc(p->a, peers.len * points.len, sizeof(uint32_t));
	if (!chosen)
		return -ENOMEM;
	for (size_t pi = 0; pi < points.len; pi++) {
		struct point pt = points.items[pi];
		struct eff any;
		int err = eff_of(p, policy, POLC_PEER_ANY, pt, &any);
		if (err)
			return err;
		for (size_t qi = 0; qi < peers.len; qi++) {
			uint32_t peer = peers.items[qi];
			struct eff e;
			err = peer == POLC_PEER_ANY ? (e = any, 0) : eff_of(p, policy, peer, pt, &e);
			if (err)
				return err;
			if (!e.covered || e.open)
				continue; /* no hit in this column, or an open one: nothing to choose */
			member_vec full = {0};
			for (size_t i = 0; i < e.members.len; i++)
				if (vec_push(p->a, &full, e.members.items[i]))
					return -ENOMEM;
			if (peer != POLC_PEER_ANY)
				for (size_t i = 0; i < any.members.len; i++)
					if (vec_push(p->a, &full, any.members.items[i]))
						return -ENOMEM;
			sort_unique(&full);
			uint32_t id = intern(p, &full);
			if (!id)
				return -ENOMEM;
			if (id > UINT16_MAX)
				return too_many_sets(p);
			chosen[qi * points.len + pi] = id;
			err = assign(p, policy, peer, pt, id, e.min_rule);
			if (err)
				return err;
		}
	}

	/* (identity, CIDR class) pairs the ipcache holds, both with a set at the same point. */
	for (size_t qi = 0; qi < peers.len; qi++) {
		uint32_t peer = peers.items[qi];
		if (peer == POLC_PEER_ANY || !(peer & POLC_PEER_CIDR))
			continue;
		uint32_t cls = peer & ~POLC_PEER_CIDR;
		const struct id_list *ids = hashmap_find(&p->class_ids, &cls);
		for (uint32_t k = 0; ids && k < ids->n; k++) {
			const uint32_t *found = bsearch(&ids->ids[k], peers.items, peers.len, sizeof(uint32_t), id_cmp);
			if (!found)
				continue;
			size_t ii = (size_t)(found - peers.items);
			for (size_t pi = 0; pi < points.len; pi++) {
				uint32_t a = chosen[ii * points.len + pi], b = chosen[qi * points.len + pi];
				if (!a || !b || a == b)
					continue;
				member_vec u = {0};
				for (size_t i = 0; i < p->sets.items[a - 1].len; i++)
					if (vec_push(p->a, &u, p->sets.items[a - 1].items[i]))
						return -ENOMEM;
				for (size_t i = 0; i < p->sets.items[b - 1].len; i++)
					if (vec_push(p->a, &u, p->sets.items[b - 1].items[i]))
						return -ENOMEM;
				sort_unique(&u);
				uint32_t id = intern(p, &u);
				if (!id)
					return -ENOMEM;
				if (id > UINT16_MAX)
					return too_many_sets(p);
				bool dup = false;
				for (size_t x = 0; x < p->unions.len && !dup; x++)
					dup = p->unions.items[x].a == a && p->unions.items[x].b == b;
				if (!dup && vec_push(p->a, &p->unions,
						     (struct dp_http_union){(uint16_t)a, (uint16_t)b, (uint16_t)id}))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static int index_classes(struct l7_pass *p)
{
	if (hashmap_init(&p->class_ids, p->a, sizeof(uint32_t), sizeof(struct id_list)))
		return -ENOMEM;
	for (size_t i = 0; i < p->dp->ipcache.len; i++) {
		const struct polc_ipcache_value *v = &p->dp->ipcache.items[i].value;
		if (!v->cidr_class)
			continue;
		void *slot;
		bool inserted;
		if (hashmap_upsert(&p->class_ids, &v->cidr_class, &slot, &inserted))
			return -ENOMEM;
		struct id_list *l = slot;
		for (uint32_t k = 0; k < l->n; k++)
			if (l->ids[k] == v->identity)
				goto next;
		if (l->n == l->cap) {
			uint32_t cap = l->cap ? l->cap * 2 : 4;
			uint32_t *ids = arena_calloc(p->a, cap, sizeof(uint32_t));
			if (!ids)
				return -ENOMEM;
			if (l->n)
				memcpy(ids, l->ids, l->n * sizeof(uint32_t));
			l->ids = ids;
			l->cap = cap;
		}
		l->ids[l->n++] = v->identity;
next:;
	}
	return 0;
}

/* HTTP and DNS rules get dense ids in rule order: set members sort, and report, by them. */
static void number_l7_rules(struct ir_program *prog)
{
	uint32_t next = 0, next_dns = 0;
	for (size_t r = 0; r < prog->rules.len; r++) {
		const struct ir_rule *rule = prog->rules.items[r];
		for (size_t i = 0; i < rule->n_ports; i++) {
			const struct ir_l7 *l7 = rule->ports[i].l7;
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = rule->ports[j].l7 == l7;
			if (!l7 || seen)
				continue;
			for (size_t k = 0; k < l7->n_http; k++)
				l7->http[k].id = next++;
			for (size_t k = 0; k < l7->n_dns; k++)
				l7->dns[k].id = next_dns++;
		}
	}
}

/* ---- DFAs of a set ------------------------------------------------------------ */

static bool regex_equal(const struct ir_regex_src *a, const struct ir_regex_src *b)
{
	if (!a->text || !b->text)
		return a->text == b->text;
	return strcmp(a->text, b->text) == 0;
}

static bool headers_equal(const struct ir_http_rule *a, const struct ir_http_rule *b)
{
	if (a->n_headers != b->n_headers)
		return false;
	for (size_t i = 0; i < a->n_headers; i++) {
		const struct ir_http_header *x = &a->headers[i], *y = &b->headers[i];
		if (strcasecmp(x->name, y->name) != 0 || (x->value == NULL) != (y->value == NULL) ||
		    (x->value && strcmp(x->value, y->value) != 0))
			return false;
	}
	return true;
}

/* Same request language: the later one adds nothing (and would report a higher rule). */
static bool same_rule(const struct ir_http_rule *a, const struct ir_http_rule *b)
{
	return a->never == b->never && regex_equal(&a->method, &b->method) && regex_equal(&a->path, &b->path) &&
	       regex_equal(&a->host, &b->host) && headers_equal(a, b);
}

enum field { F_METHOD, F_PATH, F_HOST };

static const struct ir_regex_src *field_of(const struct ir_http_rule *r, enum field f)
{
	return f == F_METHOD ? &r->method : f == F_PATH ? &r->path : &r->host;
}

static const char *field_name(enum field f)
{
	return f == F_METHOD ? "method" : f == F_PATH ? "path" : "host";
}

static int regex_diag(struct pass_ctx *ctx, const struct ir_regex_src *src, const struct regex_error *err,
		      const char *field)
{
	struct src_loc loc = src->loc;
	if (src->cols && err->offset < src->n_cols) {
		loc.col = src->cols[err->offset];
		loc.len = 1;
	}
	int rc = diag_error(ctx->diags, loc, src->path, err->code == -E2BIG ? "regex-too-complex" : "invalid-regex",
			    err->code == -E2BIG ? "simplify the regex, or split the rules over several ports" : NULL,
			    "%s regex %s: %s", field, src->text ? src->text : "", err->message);
	return rc ? rc : -EINVAL;
}

/*
 * One DFA over every rule's regex for a field (rules without one: \C*,
 * every value). NULL in *out when no rule constrains the field.
 */
static int field_dfa(struct l7_pass *p, const struct dp_http_set *s, enum field f, const struct dfa **out)
{
	*out = NULL;
	bool any = false;
	for (size_t i = 0; i < s->n_rules; i++)
		any |= field_of(s->rules[i], f)->text != NULL;
	if (!any)
		return 0;
	const struct regex_ast **asts = arena_calloc(p->a, s->n_rules, sizeof(*asts));
	if (!asts)
		return -ENOMEM;
	struct regex_error err;
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct ir_regex_src *src = field_of(s->rules[i], f);
		const char *text = src->text ? src->text : "\\C*";
		struct regex_ast *ast;
		int rc = regex_parse(p->a, text, strlen(text), 0, &ast, &err);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			return regex_diag(p->ctx, src, &err, field_name(f));
		asts[i] = ast;
	}
	struct dfa *dfa;
	int rc = dfa_build(p->a, (const struct regex_ast *const *)asts, s->n_rules, NULL, &dfa, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		const struct ir_regex_src *src = err.index >= 0 && (size_t)err.index < s->n_rules
							 ? field_of(s->rules[err.index], f)
							 : field_of(s->rules[0], f);
		return regex_diag(p->ctx, src, &err, field_name(f));
	}
	*out = dfa;
	return 0;
}

static const char *const special_names[] = {
	[DP_HTTP_NAME_CONTENT_LENGTH] = "content-length",
	[DP_HTTP_NAME_TRANSFER_ENCODING] = "transfer-encoding",
	[DP_HTTP_NAME_HOST] = "host",
	[DP_HTTP_NAME_UPGRADE] = "upgrade",
};

/* A DFA over literal strings; accept bit base + i for strings[i]. */
static int literal_dfa(struct l7_pass *p, const char *const *strings, size_t n, unsigned flags, const struct dfa **out)
{
	const struct regex_ast **asts = arena_calloc(p->a, n ? n : 1, sizeof(*asts));
	if (!asts)
		return -ENOMEM;
	struct regex_error err;
	for (size_t i = 0; i < n; i++) {
		struct regex_ast *ast;
		/* Presence constraints have no value: a pattern that matches nothing keeps the numbering. */
		const char *s = strings[i] ? strings[i] : "x^";
		int rc = regex_parse(p->a, s, strlen(s), strings[i] ? flags | REGEX_LITERAL : 0, &ast, &err);
		if (rc)
			return rc == -ENOMEM ? rc : -EINVAL;
		asts[i] = ast;
	}
	struct dfa *dfa;
	int rc = dfa_build(p->a, (const struct regex_ast *const *)asts, n, NULL, &dfa, &err);
	if (rc)
		return rc == -ENOMEM ? rc : -EINVAL;
	*out = dfa;
	return 0;
}

static int set_limit(struct l7_pass *p, const struct ir_http_rule *r, const char *code, const char *hint,
		     const char *what, size_t limit)
{
	int err = diag_error(p->ctx->diags, r->loc, r->yaml_path, code, hint,
			     "more than %zu %s apply to one peer and port (counting every rule that covers them)",
			     limit, what);
	return err ? err : -EINVAL;
}

static int build_set(struct l7_pass *p, uint32_t id, const member_vec *m, struct dp_http_set **out)
{
	struct dp_http_set *s = arena_calloc(p->a, 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->rules = arena_calloc(p->a, m->len ? m->len : 1, sizeof(*s->rules));
	s->rule_ids = arena_calloc(p->a, m->len ? m->len : 1, sizeof(*s->rule_ids));
	if (!s->rules || !s->rule_ids)
		return -ENOMEM;
	for (size_t i = 0; i < m->len; i++) {
		const struct ir_http_rule *r = m->items[i].http;
		if (r->never)
			continue; /* matches no request */
		bool dup = false;
		for (size_t k = 0; k < s->n_rules && !dup; k++)
			dup = same_rule(s->rules[k], r);
		if (dup)
			continue;
		if (s->n_rules == DP_HTTP_MAX_RULES)
			return set_limit(p, r, "too-many-http-rules",
					 "merge rules with regex alternation, e.g. path: \"/a|/b\"", "HTTP rules",
					 DP_HTTP_MAX_RULES);
		s->rules[s->n_rules] = r;
		s->rule_ids[s->n_rules] = m->items[i].rule;
		s->n_rules++;
	}
	int err = field_dfa(p, s, F_METHOD, &s->method);
	if (!err)
		err = field_dfa(p, s, F_PATH, &s->path);
	if (!err)
		err = field_dfa(p, s, F_HOST, &s->host);
	if (err)
		return err;
	for (size_t i = 0; i < s->n_rules; i++)
		if (!s->rules[i]->host.text)
			s->host_optional |= 1ull << i;

	/* Header names (case folded) and (name, value) constraints. */
	const char **names = arena_calloc(p->a, DP_HTTP_MAX_NAMES, sizeof(*names));
	s->cons = arena_calloc(p->a, DP_HTTP_MAX_CONSTRAINTS, sizeof(*s->cons));
	if (!names || !s->cons)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct ir_http_rule *r = s->rules[i];
		for (size_t h = 0; h < r->n_headers; h++) {
			const struct ir_http_header *hd = &r->headers[h];
			size_t ni = 0;
			while (ni < s->n_names && strcasecmp(names[ni], hd->name) != 0)
				ni++;
			if (ni == s->n_names) {
				if (s->n_names == DP_HTTP_MAX_NAMES)
					return set_limit(p, r, "too-many-http-headers", NULL, "distinct header names",
							 DP_HTTP_MAX_NAMES);
				char *lc = arena_strdup(p->a, hd->name);
				if (!lc)
					return -ENOMEM;
				for (char *c = lc; *c; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c - 'A' + 'a');
				names[s->n_names++] = lc;
			}
			size_t ci = 0;
			while (ci < s->n_cons &&
			       !(s->cons[ci].name == ni && (s->cons[ci].value == NULL) == (hd->value == NULL) &&
				 (!hd->value || strcmp(s->cons[ci].value, hd->value) == 0)))
				ci++;
			if (ci == s->n_cons) {
				if (s->n_cons == DP_HTTP_MAX_CONSTRAINTS)
					return set_limit(p, r, "too-many-http-headers", NULL, "distinct header constraints",
							 DP_HTTP_MAX_CONSTRAINTS);
				s->cons[ci] = (struct dp_http_constraint){(uint32_t)ni, hd->value, 0};
				s->n_cons++;
			}
			s->cons[ci].rules |= 1ull << i;
		}
	}
	s->names_lc = names;
	size_t n_strings = DP_HTTP_NAME_FIRST_RULE + s->n_names;
	const char **strings = arena_calloc(p->a, n_strings, sizeof(*strings));
	if (!strings)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++)
		strings[i] = special_names[i];
	for (size_t i = 0; i < s->n_names; i++)
		strings[DP_HTTP_NAME_FIRST_RULE + i] = names[i];
	err = literal_dfa(p, strings, n_strings, REGEX_ICASE_ASCII, &s->names);
	if (err)
		return err;
	size_t n_values = 0;
	for (size_t i = 0; i < s->n_cons; i++)
		n_values += s->cons[i].value != NULL;
	if (n_values) {
		const char **values = arena_calloc(p->a, s->n_cons, sizeof(*values));
		if (!values)
			return -ENOMEM;
		for (size_t i = 0; i < s->n_cons; i++)
			values[i] = s->cons[i].value;
		err = literal_dfa(p, values, s->n_cons, 0, &s->values);
		if (err) {
			for (size_t i = 0; i < s->n_rules; i++)
				if (s->rules[i]->n_headers) {
					int rc = diag_error(p->ctx->diags, s->rules[i]->loc, s->rules[i]->yaml_path,
							    "invalid-value", NULL,
							    "header values of these rules do not compile to a DFA");
					return rc ? rc : -EINVAL;
				}
			return err;
		}
	}
	*out = s;
	return 0;
}

/*
 * 0: an HTTP set, 1: a DNS set; a set with both is an error, as in Cilium
 * ("cannot merge conflicting L7 parsers"): rules covering one peer and
 * port must agree on the protocol.
 */
static int set_kind(struct l7_pass *p, const member_vec *m)
{
	const struct member *http = NULL, *dns = NULL;
	for (size_t i = 0; i < m->len; i++) {
		if (m->items[i].http && !http)
			http = &m->items[i];
		if (m->items[i].dns && !dns)
			dns = &m->items[i];
	}
	if (!http || !dns)
		return http ? 0 : 1;
	int err = diag_error(p->ctx->diags, dns->dns->loc, dns->dns->path, "conflicting-l7-parsers",
			     "give DNS and HTTP rules different ports, or different peers",
			     "DNS rules and the HTTP rules of %s apply to the same peer and port: one port carries "
			     "one L7 protocol (Cilium: cannot merge conflicting L7 parsers)",
			     http->http->yaml_path ? http->http->yaml_path : "another rule");
	return err ? err : -EINVAL;
}

int l7_build_rules(struct pass_ctx *ctx, const struct ir_http_rule *const *rules, const uint32_t *rule_ids, size_t n,
		   struct dp_http_set **out)
{
	struct l7_pass p = {.ctx = ctx, .a = ctx->arena, .dp = ctx->dp};
	member_vec m = {0};
	for (size_t i = 0; i < n; i++)
		if (vec_push(p.a, &m, (struct member){rules[i], NULL, rule_ids ? rule_ids[i] : 0}))
			return -ENOMEM;
	return build_set(&p, 1, &m, out);
}

/*
 * Set ids in the order of the sets' contents, not of their discovery
 * (HTTP sets before DNS sets, which the datapath tells apart by id):
 * a pod added to the inventory (a re-resolution without clang) then
 * renumbers nothing unless it brings a set that did not exist, and the
 * live program's tables stay right (codegen hashes them into the
 * switches, POLC_GEN_HTTP_TABLES, so any other change needs clang).
 */
static int set_order_cmp(const void *a, const void *b, void *arg)
{
	const member_vec *sets = arg;
	const member_vec *x = &sets[*(const uint32_t *)a], *y = &sets[*(const uint32_t *)b];
	/* A set is all HTTP or all DNS (set_kind()): HTTP sets sort first, so DNS ids follow theirs. */
	bool xd = x->len && x->items[0].dns, yd = y->len && y->items[0].dns;
	if (xd != yd)
		return xd ? 1 : -1;
	for (size_t i = 0; i < x->len && i < y->len; i++) {
		uint64_t kx = member_key(&x->items[i]), ky = member_key(&y->items[i]);
		if (kx != ky)
			return kx < ky ? -1 : 1;
		if (x->items[i].rule != y->items[i].rule)
			return x->items[i].rule < y->items[i].rule ? -1 : 1;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

static int renumber(struct l7_pass *p)
{
	size_t n = p->sets.len;
	if (n < 2)
		return 0;
	uint32_t *order = arena_calloc(p->a, n, sizeof(uint32_t)), *new_id = arena_calloc(p->a, n + 1, sizeof(uint32_t));
	member_vec *sorted = arena_calloc(p->a, n, sizeof(member_vec));
	if (!order || !new_id || !sorted)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(uint32_t), set_order_cmp, p->sets.items);
	for (size_t i = 0; i < n; i++) {
		sorted[i] = p->sets.items[order[i]];
		new_id[order[i] + 1] = (uint32_t)i + 1;
	}
	memcpy(p->sets.items, sorted, n * sizeof(member_vec));
	for (size_t i = 0; i < p->dp->entries.len; i++) {
		struct polc_policy_value *v = &p->dp->entries.items[i].value;
		if (v->l7 && v->l7 <= n)
			v->l7 = (uint16_t)new_id[v->l7];
	}
	for (size_t i = 0; i < p->added.len; i++) {
		struct polc_policy_value *v = &p->added.items[i].value;
		v->l7 = (uint16_t)new_id[v->l7];
	}
	for (size_t i = 0; i < p->unions.len; i++) {
		struct dp_http_union *u = &p->unions.items[i];
		u->a = (uint16_t)new_id[u->a];
		u->b = (uint16_t)new_id[u->b];
		u->u = (uint16_t)new_id[u->u];
	}
	return 0;
}

/* ---- the pass --------------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	const struct polc_policy_key *x = a, *y = b;
	if (x->policy != y->policy)
		return x->policy < y->policy ? -1 : 1;
	return memcmp(a, b, sizeof(*x));
}

int pass_l7(struct pass_ctx *ctx)
{
	struct ir_datapath *dp = ctx->dp;
	if (!ctx->l7_contrib.arena || ctx->l7_contrib.n == 0)
		return 0;
	/* Only L7 rules on some key make this pass do anything. */
	bool any = false;
	size_t iter = 0;
	const void *k;
	void *v;
	while (!any && hashmap_next(&ctx->l7_contrib, &iter, &k, &v))
		any = contrib_of(v)->n > 0;
	if (!any)
		return 0;

	struct l7_pass p = {.ctx = ctx, .a = ctx->arena, .dp = dp};
	number_l7_rules(ctx->prog);
	int err = index_classes(&p);
	if (err)
		return err;

	struct polc_policy_key *keys = arena_calloc(p.a, ctx->l7_contrib.n, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	size_t n = 0;
	iter = 0;
	while (hashmap_next(&ctx->l7_contrib, &iter, &k, &v))
		memcpy(&keys[n++], k, sizeof(*keys));
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t lo = 0; lo < n;) {
		size_t hi = lo;
		while (hi < n && keys[hi].policy == keys[lo].policy)
			hi++;
		err = do_policy(&p, keys[lo].policy, keys + lo, hi - lo);
		if (err)
			return err;
		lo = hi;
	}

	/* One protocol per set; HTTP sets first, DNS sets after them (renumber()). */
	uint32_t n_http = 0, n_dns = 0;
	for (size_t i = 0; i < p.sets.len; i++) {
		int kind = set_kind(&p, &p.sets.items[i]);
		if (kind < 0)
			return kind;
		if (kind == 0)
			n_http++;
		else
			n_dns++;
	}
	err = renumber(&p);
	if (err)
		return err;
	if (p.added.len) {
		for (size_t i = 0; i < p.added.len; i++)
			if (vec_push(p.a, &dp->entries, p.added.items[i]))
				return -ENOMEM;
		qsort(dp->entries.items, dp->entries.len, sizeof(*dp->entries.items), entry_cmp);
		dp->features.probe_port_exact = true;
		for (size_t i = 0; i < p.added.len; i++)
			if (p.added.items[i].key.port_kind == POLC_PORT_RANGE)
				dp->features.probe_port_class = true;
	}
	for (uint32_t id = 1; id <= n_http + n_dns; id++) {
		const member_vec *m = &p.sets.items[id - 1];
		if (id <= n_http) {
			struct dp_http_set *s;
			err = build_set(&p, id, m, &s);
			if (err)
				return err;
			if (vec_push(p.a, &dp->http_sets, s))
				return -ENOMEM;
			continue;
		}
		const struct ir_dns_rule **rules = arena_calloc(p.a, m->len, sizeof(*rules));
		uint32_t *rule_ids = arena_calloc(p.a, m->len, sizeof(*rule_ids));
		if (!rules || !rule_ids)
			return -ENOMEM;
		for (size_t j = 0; j < m->len; j++) {
			rules[j] = m->items[j].dns;
			rule_ids[j] = m->items[j].rule;
		}
		struct dp_dns_set *ds;
		err = dns_build_set(ctx, id, rules, rule_ids, m->len, &ds);
		if (err)
			return err;
		if (vec_push(p.a, &dp->dns_sets, ds))
			return -ENOMEM;
	}
	if (p.unions.len > 1)
		qsort(p.unions.items, p.unions.len, sizeof(*p.unions.items), union_cmp);
	dp->http_unions.items = p.unions.items;
	dp->http_unions.len = p.unions.len;
	dp->http_unions.cap = p.unions.cap;
	dp->features.have_l7_dns = n_dns > 0;
	dp->features.dns_set_first = n_http + 1;
	dp->features.have_l7_http = n_http > 0;
	return 0;
}

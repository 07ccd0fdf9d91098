/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DNS part of polc_gen.h: the DNS parser's bounds, the TTL clamp of
 * learned addresses, the DNS rule sets' and toFQDNs groups' DFAs as
 * read-only C arrays (layout and meaning in bpf-templates/dns_tables.h),
 * and the union table of L7 sets that HTTP and DNS share (l7_sets.h).
 * Generated arrays rather than maps for the reasons http_tables.c gives.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "grammar/regex.h"
#include "polc/artifact.h"

#include "codegen.h"
#include "emit.h"

const struct codegen_dns_limits codegen_dns_default_limits = {
	.max_msg = 4096,
	.max_records = 256,
	.max_addrs = 256,
	.min_ttl = 1,
	.max_ttl = 86400,
};

int codegen_l7_unions(struct emitter *e, struct arena *arena, const struct ir_datapath *dp)
{
	size_t n = dp->http_unions.len;
	uint64_t *v = arena_calloc(arena, n ? n : 1, sizeof(uint64_t));
	if (!v)
		return -ENOMEM;
	emit_comment(e, "L7 sets: which protocol judges a set (HTTP first, then DNS), and the union of an\n"
			"identity's set and a CIDR class's set (bpf-templates/l7_sets.h).");
	emit_line(e, "#ifndef POLC_RODATA");
	emit_line(e, "#define POLC_RODATA __attribute__((section(\".rodata\")))");
	emit_line(e, "#endif");
	emit_line(e, "#define POLC_GEN_HAVE_L7_HTTP %d", dp->features.have_l7_http);
	emit_line(e, "#define POLC_GEN_HAVE_L7_DNS %d", dp->features.have_l7_dns);
	/* Without DNS sets it means nothing: a constant, so adding HTTP sets changes no DNS switch. */
	emit_line(e, "#define POLC_GEN_DNS_SET_FIRST %u", dp->features.have_l7_dns ? dp->features.dns_set_first : 1);
	emit_line(e, "#define POLC_L7_NR_UNIONS %zu", n);
	size_t start = e->out.len;
	for (size_t i = 0; i < n; i++)
		v[i] = (uint64_t)dp->http_unions.items[i].a << 16 | dp->http_unions.items[i].b;
	codegen_emit_numbers(e, "static const __u32 polc_l7_unions[POLC_L7_NR_UNIONS + 1]", v, n, "");
	for (size_t i = 0; i < n; i++)
		v[i] = dp->http_unions.items[i].u;
	codegen_emit_numbers(e, "static const __u16 polc_l7_union_to[POLC_L7_NR_UNIONS + 1]", v, n, "");
	int err = strbuf_error(&e->out);
	if (err)
		return err;
	/* In the program, not in a map: a re-resolution must see it change (as POLC_GEN_DNS_TABLES). */
	uint64_t h = polc_hash64(e->out.data + start, e->out.len - start, 0);
	emit_line(e, "#define POLC_GEN_L7_UNIONS 0x%016" PRIx64 "ull /* what the union table holds */", h);
	return strbuf_error(&e->out);
}

struct dns_dfa_ref {
	const struct dfa *dfa;
	uint32_t next, accept, classes;
};

/* Values written to polc_dns_accept for one DFA: per state. */
typedef uint32_t (*accept_fn)(const void *arg, const struct dfa *dfa, uint32_t state);

struct dns_tables {
	struct arena *arena;
	VEC(uint64_t) cls, next, acc;
};

static int add_dfa(struct dns_tables *t, const struct dfa *dfa, accept_fn fn, const void *arg,
		   struct dns_dfa_ref *out)
{
	if (dfa->n_states > UINT16_MAX || dfa_state_width(dfa) > 2)
		return -E2BIG;
	*out = (struct dns_dfa_ref){dfa, (uint32_t)t->next.len, (uint32_t)t->acc.len, (uint32_t)t->cls.len};
	for (size_t b = 0; b < 256; b++)
		if (vec_push(t->arena, &t->cls, dfa->class_of[b]))
			return -ENOMEM;
	for (size_t k = 0; k < (size_t)dfa->n_states * dfa->n_classes; k++)
		if (vec_push(t->arena, &t->next, dfa->next[k]))
			return -ENOMEM;
	for (uint32_t s = 0; s < dfa->n_states; s++)
		if (vec_push(t->arena, &t->acc, fn(arg, dfa, s)))
			return -ENOMEM;
	return 0;
}

/* DNS set: the lowest rule id among the rules the state accepts, plus one. */
static uint32_t set_accept(const void *arg, const struct dfa *dfa, uint32_t state)
{
	const struct dp_dns_set *s = arg;
	uint32_t set = dfa->accept_of[state], best = 0;
	for (size_t k = 0; k < s->n_rules; k++)
		if (dfa_set_has(dfa, set, (uint32_t)k) && (!best || s->rule_ids[k] + 1 < best))
			best = s->rule_ids[k] + 1;
	return best;
}

/* toFQDNs group: the offset of the accept set's selector list (built by fqdn_lists). */
struct group_arg {
	const uint32_t *list_of_set; /* per accept set of the DFA */
};

static uint32_t group_accept(const void *arg, const struct dfa *dfa, uint32_t state)
{
	const struct group_arg *g = arg;
	return g->list_of_set[dfa->accept_of[state]];
}

static void emit_dfa(struct emitter *e, const struct dns_dfa_ref *r, const char *comment)
{
	emit_line(e, "{ .next = %u, .accept = %u, .classes = %u, .n_classes = %u, .n_states = %u, .start = %u }, /* %s */",
		  r->next, r->accept, r->classes, r->dfa->n_classes, r->dfa->n_states, r->dfa->start, comment);
}

int codegen_dns_tables(struct emitter *e, struct arena *arena, const struct ir_datapath *dp,
		       const struct codegen_dns_limits *limits)
{
	const struct dp_features *f = &dp->features;
	struct dns_tables t = {.arena = arena};
	size_t n_sets = dp->dns_sets.len, n_groups = dp->fqdn_groups.len;
	struct dns_dfa_ref *set_refs = arena_calloc(arena, n_sets + 1, sizeof(*set_refs));
	struct dns_dfa_ref *group_refs = arena_calloc(arena, n_groups + 1, sizeof(*group_refs));
	VEC(uint64_t) lists = {0};
	if (!set_refs || !group_refs || vec_push(arena, &lists, 0))
		return -ENOMEM;
	for (size_t i = 0; i < n_sets; i++) {
		int err = add_dfa(&t, dp->dns_sets.items[i]->dfa, set_accept, dp->dns_sets.items[i], &set_refs[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < n_groups; i++) {
		const struct dp_fqdn_group *g = dp->fqdn_groups.items[i];
		uint32_t *list_of_set = arena_calloc(arena, g->dfa->n_accept_sets, sizeof(uint32_t));
		if (!list_of_set)
			return -ENOMEM;
		/* Accept set 0 is empty: list 0. Others: a count, then the selectors. */
		for (uint32_t a = 1; a < g->dfa->n_accept_sets; a++) {
			list_of_set[a] = (uint32_t)lists.len;
			size_t at = lists.len;
			if (vec_push(arena, &lists, 0))
				return -ENOMEM;
			for (size_t k = 0; k < g->n; k++) {
				if (!dfa_set_has(g->dfa, a, (uint32_t)k))
					continue;
				if (vec_push(arena, &lists, g->hashes[k]))
					return -ENOMEM;
				lists.items[at]++;
			}
		}
		struct group_arg arg = {list_of_set};
		int err = add_dfa(&t, g->dfa, group_accept, &arg, &group_refs[i]);
		if (err)
			return err;
	}
	uint32_t n_policies = 1;
	for (size_t i = 0; i < dp->policies.len; i++)
		if (dp->policies.items[i]->id + 1 > n_policies)
			n_policies = dp->policies.items[i]->id + 1;

	emit_comment(e, "DNS rules and toFQDNs: the DNS parser's bounds (a message beyond them is dropped: fail\n"
			"closed), the lifetime of learned addresses in seconds, and the DFAs over names\n"
			"(bpf-templates/dns_tables.h).");
	emit_line(e, "#define POLC_GEN_HAVE_FQDN %d", f->have_fqdn);
	emit_line(e, "#define POLC_GEN_DNS_MAX_MSG %u", limits->max_msg);
	emit_line(e, "#define POLC_GEN_DNS_MAX_RECORDS %u", limits->max_records);
	emit_line(e, "#define POLC_GEN_DNS_MAX_ADDRS %u", limits->max_addrs);
	emit_line(e, "#define POLC_GEN_FQDN_MIN_TTL %u", limits->min_ttl);
	emit_line(e, "#define POLC_GEN_FQDN_MAX_TTL %u", limits->max_ttl);
	emit_blank(e);
	emit_line(e, "#include \"dns_tables.h\"");
	emit_blank(e);
	size_t tables_start = e->out.len;
	emit_line(e, "#define POLC_DNS_NR_SETS %zu", n_sets);
	emit_line(e, "#define POLC_FQDN_NR_GROUPS %zu", n_groups);
	emit_line(e, "#define POLC_DNS_CLASS_LEN %zu", t.cls.len ? t.cls.len : 1);
	emit_line(e, "#define POLC_DNS_NEXT_LEN %zu", t.next.len ? t.next.len : 1);
	emit_line(e, "#define POLC_DNS_ACCEPT_LEN %zu", t.acc.len ? t.acc.len : 1);
	emit_line(e, "#define POLC_FQDN_LISTS_LEN %zu", lists.len);
	emit_line(e, "#define POLC_FQDN_POLICY_GROUP_LEN %u", n_policies);
	emit_blank(e);
	codegen_emit_numbers(e, "static const __u8 polc_dns_class[POLC_DNS_CLASS_LEN]", t.cls.items, t.cls.len, "");
	codegen_emit_numbers(e, "static const __u16 polc_dns_next[POLC_DNS_NEXT_LEN]", t.next.items, t.next.len, "");
	codegen_emit_numbers(e, "static const __u32 polc_dns_accept[POLC_DNS_ACCEPT_LEN]", t.acc.items, t.acc.len, "");
	codegen_emit_numbers(e, "static const __u32 polc_fqdn_lists[POLC_FQDN_LISTS_LEN]", lists.items, lists.len, "");
	uint64_t *pg = arena_calloc(arena, n_policies, sizeof(uint64_t));
	if (!pg)
		return -ENOMEM;
	for (size_t i = 0; dp->policy_fqdn_group && i < dp->policies.len; i++)
		pg[dp->policies.items[i]->id] = dp->policy_fqdn_group[dp->policies.items[i]->id];
	codegen_emit_numbers(e, "static const __u16 polc_fqdn_policy_group[POLC_FQDN_POLICY_GROUP_LEN]", pg, n_policies,
			     "");
	emit_blank(e);

	emit_open(e, "static const struct polc_dns_dfa polc_dns_sets[POLC_DNS_NR_SETS + 1] POLC_RODATA =");
	emit_line(e, "{ 0 },");
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n_sets; i++) {
		strbuf_reset(&sb);
		strbuf_printf(&sb, "set %u", dp->dns_sets.items[i]->id);
		emit_dfa(e, &set_refs[i], strbuf_cstr(&sb));
	}
	emit_close(e, ";");
	emit_open(e, "static const struct polc_dns_dfa polc_fqdn_groups[POLC_FQDN_NR_GROUPS + 1] POLC_RODATA =");
	emit_line(e, "{ 0 },");
	for (size_t i = 0; i < n_groups; i++) {
		strbuf_reset(&sb);
		strbuf_printf(&sb, "group %u", dp->fqdn_groups.items[i]->id);
		emit_dfa(e, &group_refs[i], strbuf_cstr(&sb));
	}
	emit_close(e, ";");
	strbuf_free(&sb);
	/*
	 * The tables are compiled into the program: a re-resolution without
	 * clang (reresolve.c compares the POLC_GEN_ defines) must see that
	 * they changed, and refuse.
	 */
	int err = strbuf_error(&e->out);
	if (err)
		return err;
	uint64_t h = polc_hash64(e->out.data + tables_start, e->out.len - tables_start, 0);
	emit_line(e, "#define POLC_GEN_DNS_TABLES 0x%016" PRIx64 "ull /* what the tables above hold */", h);
	return strbuf_error(&e->out);
}

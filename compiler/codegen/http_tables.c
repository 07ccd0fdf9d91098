/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The L7 HTTP part of polc_gen.h: the bounds of the request parser and
 * the rule sets' DFAs as read-only C arrays (layout and meaning in
 * bpf-templates/http_tables.h).
 *
 * Why generated arrays and not maps filled by the loader: the tables are
 * policy, and a policy change builds a new object anyway; in .rodata
 * they are frozen before the program runs (nothing in user space can
 * change a table under a walking program), each DFA step is one
 * bounds-checked load with no helper call and no NULL check, and the
 * artifact stays one object plus the maps that endpoints and identities
 * need. Identical DFAs (the same rules in several sets) are emitted once.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "grammar/regex.h"

#include "codegen.h"
#include "emit.h"

struct table_ref {
	const struct dfa *dfa;
	uint32_t next, accept, classes;
};

struct tables {
	struct emitter *e;
	VEC(struct table_ref) refs;
	uint32_t n_next, n_accept, n_classes;
	struct arena *arena;
};

/* Offsets of dfa in the concatenated tables, placing it if it is new. */
static int place(struct tables *t, const struct dfa *dfa, struct table_ref *out)
{
	for (size_t i = 0; i < t->refs.len; i++)
		if (dfa_equal(t->refs.items[i].dfa, dfa)) {
			*out = t->refs.items[i];
			return 0;
		}
	if (dfa->n_states > UINT16_MAX || dfa_state_width(dfa) > 2)
		return -E2BIG;
	struct table_ref r = {dfa, t->n_next, t->n_accept, t->n_classes};
	t->n_next += dfa->n_states * dfa->n_classes;
	t->n_accept += dfa->n_states;
	t->n_classes += 256;
	if (vec_push(t->arena, &t->refs, r))
		return -ENOMEM;
	*out = r;
	return 0;
}

/* Accept mask of a state: the first word (every set has at most 64 members). */
static uint64_t accept_mask(const struct dfa *dfa, uint32_t s)
{
	return dfa->accept_sets[(size_t)dfa->accept_of[s] * dfa->accept_words];
}

static void emit_dfa_init(struct emitter *e, const char *field, const struct table_ref *r)
{
	if (!r->dfa) {
		emit_line(e, ".%s = { 0 },", field);
		return;
	}
	emit_line(e, ".%s = { .next = %u, .accept = %u, .classes = %u, .n_classes = %u, .n_states = %u, .start = %u },",
		  field, r->next, r->accept, r->classes, r->dfa->n_classes, r->dfa->n_states, r->dfa->start);
}

static void emit_u64_array(struct emitter *e, const char *name, const uint64_t *v, size_t n)
{
	struct strbuf line = STRBUF_INIT;
	strbuf_printf(&line, ".%s = {", name);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&line, "%s 0x%" PRIx64 "ull", i ? "," : "", v[i]);
	strbuf_puts(&line, " },");
	emit_line(e, "%s", strbuf_cstr(&line));
	strbuf_free(&line);
}

/* Rows of numbers, 16 per line. */
void codegen_emit_numbers(struct emitter *e, const char *decl, const uint64_t *v, size_t n, const char *suffix)
{
	emit_open(e, "%s POLC_RODATA =", decl);
	struct strbuf line = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(&line, "%s%" PRIu64 "%s,", line.len ? " " : "", v[i], suffix);
		if ((i + 1) % 16 == 0 || i + 1 == n) {
			emit_line(e, "%s", strbuf_cstr(&line));
			strbuf_reset(&line);
		}
	}
	if (n == 0)
		emit_line(e, "0");
	strbuf_free(&line);
	emit_close(e, ";");
}

/* Names come from YAML: never let one close the comment. */
static void comment_safe(struct strbuf *sb)
{
	for (size_t k = 0; k + 1 < sb->len; k++)
		if (sb->data[k] == '*' && sb->data[k + 1] == '/')
			sb->data[k + 1] = '_';
}

int codegen_http_tables(struct emitter *e, struct arena *arena, const struct ir_datapath *dp,
			const struct codegen_http_limits *limits)
{
	struct tables t = {.e = e, .arena = arena};
	size_t n_sets = dp->http_sets.len;
	struct table_ref *refs = arena_calloc(arena, (n_sets ? n_sets : 1) * 5, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	size_t n_rule_ids = 0;
	for (size_t i = 0; i < n_sets; i++) {
		const struct dp_http_set *s = dp->http_sets.items[i];
		const struct dfa *dfas[5] = {s->method, s->path, s->host, s->names, s->values};
		for (int f = 0; f < 5; f++) {
			if (!dfas[f])
				continue;
			int err = place(&t, dfas[f], &refs[i * 5 + f]);
			if (err)
				return err;
		}
		n_rule_ids += s->n_rules;
	}

	/* The tables first, on their own: their hash is a switch (meta/switches), see below. */
	struct emitter *knobs = e;
	struct emitter tab;
	emit_init(&tab);
	tab.indent = e->indent;
	e = &tab;
	emit_line(e, "#include \"http_tables.h\"");
	emit_blank(e);
	emit_line(e, "#define POLC_HTTP_NR_SETS %zu", n_sets);
	emit_line(e, "#define POLC_HTTP_CLASS_LEN %u", t.n_classes ? t.n_classes : 1);
	emit_line(e, "#define POLC_HTTP_NEXT_LEN %u", t.n_next ? t.n_next : 1);
	emit_line(e, "#define POLC_HTTP_ACCEPT_LEN %u", t.n_accept ? t.n_accept : 1);
	emit_line(e, "#define POLC_HTTP_RULE_IDS_LEN %zu", n_rule_ids ? n_rule_ids : 1);
	emit_blank(e);

	size_t cap = t.n_next > 1 ? t.n_next : 1;
	if (t.n_accept > cap)
		cap = t.n_accept;
	if (t.n_classes > cap)
		cap = t.n_classes;
	if (n_rule_ids > cap)
		cap = n_rule_ids;
	uint64_t *v = arena_calloc(arena, cap, sizeof(uint64_t));
	if (!v)
		return -ENOMEM;

	size_t n = 0;
	for (size_t i = 0; i < t.refs.len; i++)
		for (size_t b = 0; b < 256; b++)
			v[n++] = t.refs.items[i].dfa->class_of[b];
	codegen_emit_numbers(e, "static const __u8 polc_http_class[POLC_HTTP_CLASS_LEN]", v, n, "");
	n = 0;
	for (size_t i = 0; i < t.refs.len; i++) {
		const struct dfa *d = t.refs.items[i].dfa;
		for (size_t k = 0; k < (size_t)d->n_states * d->n_classes; k++)
			v[n++] = d->next[k];
	}
	codegen_emit_numbers(e, "static const __u16 polc_http_next[POLC_HTTP_NEXT_LEN]", v, n, "");
	n = 0;
	for (size_t i = 0; i < t.refs.len; i++) {
		const struct dfa *d = t.refs.items[i].dfa;
		for (uint32_t s = 0; s < d->n_states; s++)
			v[n++] = accept_mask(d, s);
	}
	codegen_emit_numbers(e, "static const __u64 polc_http_accept[POLC_HTTP_ACCEPT_LEN]", v, n, "ull");
	n = 0;
	for (size_t i = 0; i < n_sets; i++) {
		const struct dp_http_set *s = dp->http_sets.items[i];
		for (size_t r = 0; r < s->n_rules; r++)
			v[n++] = s->rule_ids[r];
	}
	codegen_emit_numbers(e, "static const __u32 polc_http_rule_ids[POLC_HTTP_RULE_IDS_LEN]", v, n, "");
	emit_blank(e);

	emit_open(e, "static const struct polc_http_set polc_http_sets[POLC_HTTP_NR_SETS + 1] POLC_RODATA =");
	emit_line(e, "{ 0 },");
	struct strbuf sb = STRBUF_INIT;
	uint32_t rule_base = 0;
	for (size_t i = 0; i < n_sets; i++) {
		const struct dp_http_set *s = dp->http_sets.items[i];
		strbuf_reset(&sb);
		strbuf_printf(&sb, "set %u:", s->id);
		for (size_t r = 0; r < s->n_rules; r++)
			strbuf_printf(&sb, " %s", s->rules[r]->yaml_path ? s->rules[r]->yaml_path : "?");
		comment_safe(&sb);
		emit_comment(e, strbuf_cstr(&sb));
		emit_line(e, "{");
		e->indent++;
		static const char *const fields[5] = {"method", "path", "host", "names", "values"};
		for (int f = 0; f < 5; f++)
			emit_dfa_init(e, fields[f], &refs[i * 5 + f]);
		uint64_t all = s->n_rules == 64 ? ~0ull : (1ull << s->n_rules) - 1;
		emit_line(e, ".all = 0x%" PRIx64 "ull, .host_optional = 0x%" PRIx64 "ull,", all, s->host_optional);
		emit_line(e, ".rule_ids = %u, .n_rules = %zu, .n_names = %zu, .n_cons = %zu,", rule_base, s->n_rules,
			  s->n_names, s->n_cons);
		rule_base += (uint32_t)s->n_rules;
		uint64_t present[DP_HTTP_MAX_NAMES] = {0}, values[DP_HTTP_MAX_NAMES] = {0};
		uint64_t cons[DP_HTTP_MAX_CONSTRAINTS] = {0};
		for (size_t c = 0; c < s->n_cons; c++) {
			const struct dp_http_constraint *k = &s->cons[c];
			if (k->value)
				values[k->name] |= 1ull << c;
			else
				present[k->name] |= 1ull << c;
			cons[c] = k->rules;
		}
		if (s->n_cons) {
			emit_u64_array(e, "name_present", present, s->n_names);
			emit_u64_array(e, "name_values", values, s->n_names);
			emit_u64_array(e, "cons_rules", cons, s->n_cons);
		}
		emit_close(e, ",");
	}
	strbuf_free(&sb);
	emit_close(e, ";");

	/*
	 * The program's HTTP behaviour in one switch: a re-resolution (a pod
	 * added, no clang) whose rule sets differ in any byte from the live
	 * program's tables must not reuse that program.
	 */
	int err = strbuf_error(&tab.out);
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; !err && i < tab.out.len; i++)
		h = (h ^ (uint8_t)tab.out.data[i]) * 1099511628211ull;
	e = knobs;
	emit_comment(e, "L7 HTTP: the request parser's bounds (a request beyond them is refused: fail closed)\n"
			"and the rule sets' DFAs (bpf-templates/http_tables.h).");
	emit_line(e, "#define POLC_GEN_HAVE_L7_HTTP 1");
	emit_line(e, "#define POLC_GEN_HTTP_MAX_HEAD %u", limits->max_head);
	emit_line(e, "#define POLC_GEN_HTTP_MAX_LINE %u", limits->max_line);
	emit_line(e, "#define POLC_GEN_HTTP_MAX_HEADERS %u", limits->max_headers);
	emit_line(e, "#define POLC_GEN_HTTP_MAX_STEPS %u", limits->max_steps);
	emit_line(e, "#define POLC_GEN_HTTP_TABLES 0x%016" PRIx64 " /* FNV-1a of the tables below */", h);
	emit_blank(e);
	if (!err)
		strbuf_append(&e->out, tab.out.data, tab.out.len);
	emit_free(&tab);
	return err ? err : strbuf_error(&e->out);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The pipeline, stage by stage (see driver.h). One arena holds the whole
 * compilation and is freed at the end; nothing a stage allocates
 * outlives polc_compile().
 */
#include "driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../analysis/lint.h"
#include "../codegen/codegen.h"
#include "../frontend/frontend.h"
#include "../ir/dump.h"
#include "../passes/passes.h"

struct compilation {
	const struct compile_options *opts;
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct frontend fe; /* kept after the front end: lint reads what it recorded */
	struct ir_program prog;
	struct ir_datapath dp;
	bool resolved;      /* dp is complete */
	int status;
	/* --stats: time and arena growth of each stage. */
	struct stage_stat {
		const char *name;
		double seconds;
		size_t bytes;
	} stats[8];
	size_t n_stats;
	double stat_t0;
	size_t stat_bytes0;
};

static double monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The end of a stage, for --stats: time and arena bytes since the previous mark. */
static void stage_done(struct compilation *c, const char *name)
{
	if (!c->opts->stats || c->n_stats == sizeof(c->stats) / sizeof(c->stats[0]))
		return;
	double t = monotonic_seconds();
	size_t bytes = arena_used(c->arena);
	c->stats[c->n_stats++] = (struct stage_stat){name, t - c->stat_t0, bytes - c->stat_bytes0};
	c->stat_t0 = t;
	c->stat_bytes0 = bytes;
}

static void print_stats(const struct compilation *c, FILE *out)
{
	double total = 0;
	fprintf(out, "polc: %-14s %9s %12s\n", "stage", "seconds", "arena MiB");
	for (size_t i = 0; i < c->n_stats; i++) {
		total += c->stats[i].seconds;
		fprintf(out, "polc: %-14s %9.3f %12.1f\n", c->stats[i].name, c->stats[i].seconds,
			(double)c->stats[i].bytes / (1024.0 * 1024.0));
	}
	fprintf(out, "polc: %-14s %9.3f %12.1f\n", "total", total, (double)arena_used(c->arena) / (1024.0 * 1024.0));
}

/* The analysis commands hold a compilation open (driver.h). */
struct polc_unit {
	struct compilation c;
};

static int policy_cmp(const void *a, const void *b)
{
	const struct ir_policy *x = *(const struct ir_policy *const *)a;
	const struct ir_policy *y = *(const struct ir_policy *const *)b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->namespace ? x->namespace : "", y->namespace ? y->namespace : "");
	return c ? c : strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

/*
 * Policies in a canonical order and rules renumbered in it: the order of
 * the files on the command line must not change rule ids, the maps or
 * the artifact.
 */
void driver_canonicalize(struct ir_program *prog)
{
	if (prog->policies.len > 1)
		qsort(prog->policies.items, prog->policies.len, sizeof(*prog->policies.items), policy_cmp);
	size_t n = 0;
	for (size_t p = 0; p < prog->policies.len; p++) {
		struct ir_policy *pol = prog->policies.items[p];
		for (size_t r = 0; r < pol->rules.len; r++) {
			struct ir_rule *rule = pol->rules.items[r];
			rule->id = (uint32_t)n;
			prog->rules.items[n++] = rule;
		}
	}
	prog->rules.len = n;
}

static void dump(struct compilation *c, unsigned which, void (*fn)(struct compilation *, struct strbuf *))
{
	if (!(c->opts->dumps & which))
		return;
	struct strbuf sb = STRBUF_INIT;
	fn(c, &sb);
	strbuf_write(&sb, c->opts->dump_out ? c->opts->dump_out : stdout);
	strbuf_free(&sb);
}

static void dump_ir(struct compilation *c, struct strbuf *sb)
{
	ir_dump_program(sb, &c->prog, &c->sources);
}

static void dump_dp(struct compilation *c, struct strbuf *sb)
{
	ir_dump_datapath(sb, &c->dp, &c->prog);
}

static void dump_dfa(struct compilation *c, struct strbuf *sb)
{
	ir_dump_http_sets(sb, &c->dp, &c->sources);
}

/* An error status from a stage's return code: -EINVAL means "diagnosed". */
static int stage_status(struct compilation *c, int err, const char *stage)
{
	if (err == 0 && !diag_has_errors(&c->diags))
		return COMPILE_OK;
	if (err == -EINVAL || (err == 0 && diag_has_errors(&c->diags)))
		return COMPILE_INVALID;
	diag_error(&c->diags, (struct src_loc){0}, NULL, "internal", NULL, "%s: %s", stage, strerror(-err));
	return COMPILE_IO;
}

static int front_end(struct compilation *c)
{
	struct frontend *fe = &c->fe;
	struct frontend_options fo = {.mode = c->opts->lint ? FRONTEND_LINT : FRONTEND_COMPILE};
	int err = frontend_init(fe, &c->prog, &c->diags, &c->sources, &fo);
	if (err)
		return stage_status(c, err, "front end");
	/* Every input is read, even after errors: one run reports them all. */
	bool io_error = false;
	for (size_t i = 0; i < c->opts->n_inputs; i++) {
		int rc = frontend_load_path(fe, c->opts->inputs[i]);
		if (rc == -ENOMEM)
			return stage_status(c, rc, "front end");
		if (rc && rc != -EINVAL)
			io_error = true;
	}
	if (io_error)
		return COMPILE_IO;
	err = frontend_finish(fe);
	if (!err && !c->opts->no_policy_ok)
		err = frontend_require_policy(fe); /* lint: a warning (FRONTEND_LINT) */
	return stage_status(c, err, "front end");
}

int driver_run_passes(struct arena *arena, struct diag_sink *diags, struct ir_program *prog, struct ir_datapath *dp)
{
	struct pass_ctx ctx;
	int err = pass_ctx_init(&ctx, arena, diags, prog, dp);
	if (!err)
		err = pass_identities(&ctx);
	if (!err)
		err = pass_endpoints(&ctx);
	if (!err)
		err = pass_port_classes(&ctx);
	if (!err)
		err = pass_cidr_classes(&ctx);
	if (!err)
		err = pass_entries(&ctx);
	if (!err)
		err = pass_l7(&ctx);
	return err;
}

static int resolve(struct compilation *c)
{
	int err = driver_run_passes(c->arena, &c->diags, &c->prog, &c->dp);
	c->resolved = err == 0;
	return stage_status(c, err, "resolving policies");
}

/*
 * polc lint: the checks of analysis/lint.h on the resolved program. After
 * input errors they are skipped: a policy that failed to load would make
 * the others look redundant, unselected or without DNS, and such
 * warnings would mislead.
 */
static int lint(struct compilation *c)
{
	if (!c->resolved) {
		diag_note(&c->diags, (struct src_loc){0}, NULL, "lint-skipped",
			  "fix the errors above and run polc lint again",
			  "semantic checks (redundancy, selection, DNS, ...) were skipped because the input has errors");
		return COMPILE_OK;
	}
	struct lint_input in = {
		.arena = c->arena,
		.diags = &c->diags,
		.sources = &c->sources,
		.prog = &c->prog,
		.dp = &c->dp,
		.inert = c->fe.inert.items,
		.n_inert = c->fe.inert.len,
	};
	int err = lint_run(&in);
	return err ? stage_status(c, err, "lint") : COMPILE_OK;
}

static int write_direct(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	size_t n = fwrite(data, 1, size, f);
	int close_err = fclose(f);
	return n != size || close_err != 0 ? -EIO : 0;
}

/*
 * Write to a temporary name and rename, so a reader never sees half an
 * artifact. Special files (/dev/null, a pipe) are written in place:
 * renaming over them would replace the device node.
 */
static int write_artifact(struct compilation *c, const void *data, size_t size)
{
	const char *path = c->opts->output;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_direct(path, data, size);
	char *tmp = arena_printf(c->arena, "%s.tmp.%ld", path, (long)getpid());
	if (!tmp)
		return -ENOMEM;
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -errno;
	size_t n = fwrite(data, 1, size, f);
	int close_err = fclose(f);
	if (n != size || close_err != 0) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path) != 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* Codegen and clang; *art (malloc'd) is the artifact. COMPILE_OK or COMPILE_IO, diagnosed. */
static int build(struct compilation *c, void **art_out, size_t *art_size_out)
{
	struct codegen_sizes sizes;
	codegen_sizes(&c->prog, &c->dp, &sizes);
	const struct compile_options *o = c->opts;
	if (o->http_max_head)
		sizes.http.max_head = o->http_max_head;
	if (o->http_max_line)
		sizes.http.max_line = o->http_max_line;
	if (o->http_max_headers)
		sizes.http.max_headers = o->http_max_headers;
	if (o->http_max_steps)
		sizes.http.max_steps = o->http_max_steps;
	struct strbuf header = STRBUF_INIT;
	int err = codegen_header(&header, &c->prog, &c->dp, &c->sources, &sizes);
	if (!err && (c->opts->dumps & COMPILE_DUMP_C))
		strbuf_write(&header, c->opts->dump_out ? c->opts->dump_out : stdout);
	void *obj = NULL, *art = NULL;
	size_t obj_size = 0, art_size = 0;
	struct clang_options clang = {.emit_dir = c->opts->emit_c_dir};
	if (!err)
		err = codegen_build(&header, &clang, &c->diags, &obj, &obj_size);
	if (!err)
		err = codegen_artifact(&c->prog, &c->dp, &c->sources, &sizes, obj, obj_size, &art, &art_size);
	free(obj);
	strbuf_free(&header);
	if (err) {
		free(art);
		if (!diag_has_errors(&c->diags))
			diag_error(&c->diags, (struct src_loc){0}, NULL, "internal", NULL, "code generation: %s",
				   strerror(-err));
		return COMPILE_IO;
	}
	*art_out = art;
	*art_size_out = art_size;
	return COMPILE_OK;
}

static int generate(struct compilation *c)
{
	void *art = NULL;
	size_t art_size = 0;
	int status = build(c, &art, &art_size);
	if (status == COMPILE_OK && c->opts->output) {
		int err = write_artifact(c, art, art_size);
		if (err) {
			diag_error(&c->diags, (struct src_loc){0}, NULL, "io", NULL, "cannot write %s: %s",
				   c->opts->output, strerror(-err));
			status = COMPILE_IO;
		}
	}
	free(art);
	return status;
}

/* Front ends, canonical order, passes (and lint): what every command needs. */
static int analyse(struct compilation *c)
{
	source_set_init(&c->sources, c->arena);
	diag_sink_init(&c->diags, c->arena, &c->sources);
	c->diags.suppress_warnings = !c->opts->lint;
	ir_program_init(&c->prog, c->arena);

	c->stat_t0 = monotonic_seconds();
	int status = front_end(c);
	stage_done(c, "front end");
	/* Lint resolves what did load, to check it; compile stops at the first failing stage. */
	if (status == COMPILE_OK || (c->opts->lint && status == COMPILE_INVALID)) {
		driver_canonicalize(&c->prog);
		dump(c, COMPILE_DUMP_IR, dump_ir);
		if (status == COMPILE_OK)
			status = resolve(c);
		stage_done(c, "passes");
	}
	if (c->opts->lint && status != COMPILE_IO) {
		int lint_status = lint(c);
		if (lint_status != COMPILE_OK)
			status = lint_status;
	}
	return status;
}

/* Lint: findings at or above the fail level are a failure (exit 1). */
static int lint_status(const struct compilation *c, int status)
{
	if (!c->opts->lint || status == COMPILE_IO)
		return status;
	size_t findings = 0;
	for (int s = c->opts->fail_level; s <= DIAG_ERROR; s++)
		findings += c->diags.count[s];
	return findings ? COMPILE_INVALID : COMPILE_OK;
}

int polc_compile(const struct compile_options *opts)
{
	struct compilation c = {.opts = opts};
	c.arena = arena_new();
	if (!c.arena) {
		fprintf(opts->diag_out ? opts->diag_out : stderr, "polc: out of memory\n");
		return COMPILE_IO;
	}
	int status = analyse(&c);
	if (status == COMPILE_OK && !opts->lint) {
		dump(&c, COMPILE_DUMP_DP, dump_dp);
		dump(&c, COMPILE_DUMP_DFA, dump_dfa);
		if (opts->output || opts->emit_c_dir || (opts->dumps & COMPILE_DUMP_C))
			status = generate(&c);
		stage_done(&c, "codegen+clang");
	}
	status = lint_status(&c, status);
	if (opts->stats)
		print_stats(&c, opts->diag_out ? opts->diag_out : stderr);

	diag_sort(&c.diags);
	diag_print(&c.diags, opts->diag_out ? opts->diag_out : stderr, opts->diag_format, DIAG_NOTE, opts->color);
	arena_free(c.arena);
	return status;
}

/* ---- units for the analysis commands ------------------------------------ */

int polc_unit_open(const struct compile_options *opts, struct polc_unit **out)
{
	struct arena *arena = arena_new();
	struct polc_unit *u = arena ? arena_calloc(arena, 1, sizeof(*u)) : NULL;
	struct compile_options *copy = u ? arena_alloc(arena, sizeof(*copy)) : NULL;
	if (!copy) {
		arena_free(arena);
		fprintf(opts->diag_out ? opts->diag_out : stderr, "polc: out of memory\n");
		return COMPILE_IO;
	}
	*copy = *opts;
	copy->dumps = 0;
	u->c.opts = copy;
	u->c.arena = arena;
	*out = u;
	return lint_status(&u->c, analyse(&u->c));
}

void polc_unit_close(struct polc_unit *u)
{
	if (u)
		arena_free(u->c.arena);
}

const struct ir_program *polc_unit_program(const struct polc_unit *u)
{
	return &u->c.prog;
}

const struct ir_datapath *polc_unit_datapath(const struct polc_unit *u)
{
	return u->c.resolved ? &u->c.dp : NULL;
}

struct source_set *polc_unit_sources(struct polc_unit *u)
{
	return &u->c.sources;
}

struct diag_sink *polc_unit_diags(struct polc_unit *u)
{
	return &u->c.diags;
}

struct arena *polc_unit_arena(struct polc_unit *u)
{
	return u->c.arena;
}

int polc_unit_artifact(struct polc_unit *u, void **art, size_t *size)
{
	if (!u->c.resolved)
		return COMPILE_INVALID;
	return build(&u->c, art, size);
}

void polc_unit_print_diags(struct polc_unit *u, enum diag_severity min)
{
	const struct compile_options *o = u->c.opts;
	diag_sort(&u->c.diags);
	diag_print(&u->c.diags, o->diag_out ? o->diag_out : stderr, o->diag_format, min, o->color);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared fixture of the front-end unit tests: one arena, source set,
 * diagnostic sink, program and front end per test; helpers to load YAML
 * text and to find the diagnostic a test expects (printing all of them
 * when it is not there, so a failure says what polc did say).
 */
#ifndef POLC_TESTS_FE_TEST_H
#define POLC_TESTS_FE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frontend/frontend.h"
#include "ir/ir.h"
#include "util/diag.h"

struct fx {
	struct arena *arena;
	struct source_set src;
	struct diag_sink diags;
	struct ir_program prog;
	struct frontend fe;
	int last_err;
};

static inline struct fx *fx_new(enum frontend_mode mode)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->arena = arena_new();
	assert_non_null(fx->arena);
	source_set_init(&fx->src, fx->arena);
	diag_sink_init(&fx->diags, fx->arena, &fx->src);
	ir_program_init(&fx->prog, fx->arena);
	struct frontend_options opts = {.mode = mode};
	assert_int_equal(frontend_init(&fx->fe, &fx->prog, &fx->diags, &fx->src, &opts), 0);
	return fx;
}

static inline void fx_free(struct fx *fx)
{
	if (!fx)
		return;
	arena_free(fx->arena);
	free(fx);
}

static inline uint32_t fx_add(struct fx *fx, const char *name, const char *text)
{
	int id = source_add_buffer(&fx->src, name, text, strlen(text));
	assert_true(id > 0);
	return (uint32_t)id;
}

/* Load YAML text as a file; returns frontend_load_file()'s result. */
static inline int fx_load(struct fx *fx, const char *text)
{
	uint32_t id = fx_add(fx, "test.yaml", text);
	fx->last_err = frontend_load_file(&fx->fe, id);
	return fx->last_err;
}

static inline void fx_dump(const struct fx *fx)
{
	diag_print(&fx->diags, stderr, DIAG_FORMAT_TEXT, DIAG_NOTE, false);
}

/*
 * The first diagnostic of severity sev at line (0: any) whose path is
 * path (NULL: any; "" : none) and whose message contains msg (NULL: any).
 */
static inline const struct diag *fx_find(const struct fx *fx, enum diag_severity sev, uint32_t line,
					 const char *path, const char *msg)
{
	for (size_t i = 0; i < fx->diags.diags.len; i++) {
		const struct diag *d = &fx->diags.diags.items[i];
		if (d->severity != sev)
			continue;
		if (line && d->loc.line != line)
			continue;
		if (path && strcmp(d->path ? d->path : "", path) != 0)
			continue;
		if (msg && !strstr(d->message, msg))
			continue;
		return d;
	}
	return NULL;
}

#define fx_expect(fx, sev, line, path, msg)                                                              \
	({                                                                                               \
		const struct diag *d_ = fx_find((fx), (sev), (line), (path), (msg));                     \
		if (!d_) {                                                                               \
			fprintf(stderr, "expected %s at line %u path %s containing \"%s\"; got:\n",      \
				diag_severity_name(sev), (unsigned)(line), (path) ? (path) : "*",        \
				(msg) ? (msg) : "");                                                     \
			fx_dump(fx);                                                                     \
		}                                                                                        \
		assert_non_null(d_);                                                                     \
		d_;                                                                                      \
	})

#define fx_expect_error(fx, line, path, msg) fx_expect((fx), DIAG_ERROR, (line), (path), (msg))
#define fx_expect_warning(fx, line, path, msg) fx_expect((fx), DIAG_WARNING, (line), (path), (msg))

#define fx_expect_no_errors(fx)                              \
	do {                                                 \
		if (diag_has_errors(&(fx)->diags))           \
			fx_dump(fx);                         \
		assert_false(diag_has_errors(&(fx)->diags)); \
	} while (0)

/*
 * The repository root: four levels above the test binary
 * (<repo>/build/tests/unit/test_x), else the working directory.
 */
static inline const char *fx_repo_root(void)
{
	static char root[4096];
	if (root[0])
		return root;
	ssize_t n = readlink("/proc/self/exe", root, sizeof(root) - 1);
	if (n > 0) {
		root[n] = '\0';
		for (int up = 0; up < 4; up++) {
			char *slash = strrchr(root, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
		char probe[4200];
		snprintf(probe, sizeof(probe), "%s/tests/unit/fe_test.h", root);
		if (access(probe, F_OK) == 0)
			return root;
	}
	if (!getcwd(root, sizeof(root)))
		strcpy(root, ".");
	return root;
}

/* <repo>/<rel>, in a static buffer per call site's needs (copy it to keep it). */
static inline const char *fx_repo_path(const char *rel)
{
	static char path[4400];
	snprintf(path, sizeof(path), "%s/%s", fx_repo_root(), rel);
	return path;
}

/* Count diagnostics of a severity. */
static inline size_t fx_count(const struct fx *fx, enum diag_severity sev)
{
	return fx->diags.count[sev];
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Data-driven over the shared lint cases (<shared>/lint-cases/INDEX.tsv):
 *
 *   k8s-validation, yaml-hazard,  REJECT rows: an error at the row's line
 *   cilium-validation             whose path is the row's field_path, and
 *                                 no policy lowered. Rows that accept with
 *                                 a warning: a warning (or error) there.
 *                                 Each file loads in well under a second.
 *   semantic-warning              loaded only: nothing may crash (polc
 *                                 lint gives them their diagnostics)
 *
 * Paths in parentheses ("(document 2)", "(stream)") name no field: the
 * diagnostic must carry no path. The shared directory is $POLC_SHARED_DIR,
 * or <repo>/../shared, or the first shared/ above the repository; a
 * missing directory is a failure, not a skip.
 */
#include "fe_test.h"

#include <sys/stat.h>
#include <time.h>

struct row {
	char *file, *category, *what, *verdict, *upstream, *path;
	unsigned line;
};

static char shared_dir[4096];

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool find_shared_dir(void)
{
	const char *env = getenv("POLC_SHARED_DIR");
	char probe[4200];
	if (env && *env) {
		snprintf(shared_dir, sizeof(shared_dir), "%s", env);
		snprintf(probe, sizeof(probe), "%s/lint-cases", shared_dir);
		return is_dir(probe);
	}
	/* <repo>/../shared, then shared/ in any ancestor (a worktree sits deeper than the main checkout). */
	char dir[3072];
	snprintf(dir, sizeof(dir), "%s", fx_repo_root());
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return false;
		*slash = '\0';
		snprintf(shared_dir, sizeof(shared_dir), "%s/shared", dir);
		snprintf(probe, sizeof(probe), "%s/lint-cases/INDEX.tsv", shared_dir);
		if (access(probe, R_OK) == 0)
			return true;
	}
}

static size_t load_rows(struct row **out)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/lint-cases/INDEX.tsv", shared_dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = 0, cap = 0;
	struct row *rows = NULL;
	char *line = NULL;
	size_t len = 0;
	bool header = true;
	while (getline(&line, &len, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (header || !*line) {
			header = false;
			continue;
		}
		char *cols[7] = {0};
		char *p = line;
		for (int c = 0; c < 7 && p; c++) {
			cols[c] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		assert_non_null(cols[6]);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = realloc(rows, cap * sizeof(*rows));
			assert_non_null(rows);
		}
		rows[n++] = (struct row){
			.file = strdup(cols[0]),
			.category = strdup(cols[1]),
			.what = strdup(cols[2]),
			.verdict = strdup(cols[3]),
			.upstream = strdup(cols[4]),
			.path = strdup(cols[5]),
			.line = (unsigned)atoi(cols[6]),
		};
	}
	free(line);
	fclose(f);
	*out = rows;
	return n;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].file);
		free(rows[i].category);
		free(rows[i].what);
		free(rows[i].verdict);
		free(rows[i].upstream);
		free(rows[i].path);
	}
	free(rows);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum expect { EXPECT_ERROR, EXPECT_WARNING, EXPECT_NOTHING };

struct outcome {
	bool pass;
	double seconds;
	char detail[256];
};

static bool wants_inventory(const struct row *r)
{
	return strstr(r->verdict, "inventory/shop.yaml") || strstr(r->verdict, "--inventory") ||
	       strstr(r->what, "--inventory");
}

static struct outcome run_row(const struct row *r, enum expect expect)
{
	struct outcome o = {.pass = true};
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	char path[4400];
	double t0 = now();
	snprintf(path, sizeof(path), "%s/lint-cases/%s", shared_dir, r->file);
	int err = frontend_load_path(&fx->fe, path);
	if (wants_inventory(r)) {
		snprintf(path, sizeof(path), "%s/lint-cases/inventory/shop.yaml", shared_dir);
		int e2 = frontend_load_path(&fx->fe, path);
		if (!err)
			err = e2;
	}
	if (err != -ENOMEM)
		frontend_finish(&fx->fe);
	/* As polc compile does: an input without a policy is refused. */
	frontend_require_policy(&fx->fe);
	o.seconds = now() - t0;
	assert_int_not_equal(err, -ENOMEM);

	const char *want_path = r->path[0] == '(' ? "" : r->path;
	const struct diag *d = NULL;
	switch (expect) {
	case EXPECT_ERROR:
		d = fx_find(fx, DIAG_ERROR, r->line, want_path, NULL);
		if (!d) {
			o.pass = false;
			snprintf(o.detail, sizeof(o.detail), "no error at line %u with path %s", r->line, want_path);
		} else if (fx->prog.policies.len) {
			o.pass = false;
			snprintf(o.detail, sizeof(o.detail), "a policy was lowered from a rejected input");
		} else {
			snprintf(o.detail, sizeof(o.detail), "%s", d->message);
		}
		break;
	case EXPECT_WARNING:
		d = fx_find(fx, DIAG_WARNING, r->line, want_path, NULL);
		if (!d)
			d = fx_find(fx, DIAG_ERROR, r->line, want_path, NULL);
		if (!d) {
			o.pass = false;
			snprintf(o.detail, sizeof(o.detail), "no warning at line %u with path %s", r->line, want_path);
		} else {
			snprintf(o.detail, sizeof(o.detail), "%s: %s", diag_severity_name(d->severity), d->message);
		}
		break;
	case EXPECT_NOTHING:
		snprintf(o.detail, sizeof(o.detail), "loaded: %zu error(s), %zu warning(s)", fx_count(fx, DIAG_ERROR),
			 fx_count(fx, DIAG_WARNING));
		break;
	}
	if (strcmp(r->category, "yaml-hazard") == 0 && o.seconds >= 1.0) {
		o.pass = false;
		snprintf(o.detail, sizeof(o.detail), "took %.2f s (limit 1 s)", o.seconds);
	}
	if (!o.pass)
		fx_dump(fx);
	fx_free(fx);
	return o;
}

static enum expect expectation(const struct row *r)
{
	bool checked = strcmp(r->category, "k8s-validation") == 0 || strcmp(r->category, "yaml-hazard") == 0 ||
		       strcmp(r->category, "cilium-validation") == 0;
	if (!checked)
		return EXPECT_NOTHING;
	if (strncmp(r->verdict, "REJECT", 6) == 0)
		return EXPECT_ERROR;
	if (strstr(r->verdict, "WARN") || strstr(r->verdict, "REJECT"))
		return EXPECT_WARNING;
	return EXPECT_NOTHING;
}

static void test_lint_cases(void **state)
{
	(void)state;
	if (!find_shared_dir()) {
		fprintf(stderr, "lint cases not found: set POLC_SHARED_DIR (tried %s and shared/ above %s)\n",
			shared_dir, fx_repo_root());
		fail();
	}
	struct row *rows;
	size_t n = load_rows(&rows);
	assert_true(n > 0);
	size_t failed = 0, checked = 0;
	printf("%-50s %-18s %-7s %-5s %6s  %s\n", "case", "category", "expect", "result", "secs", "detail");
	for (size_t i = 0; i < n; i++) {
		enum expect e = expectation(&rows[i]);
		struct outcome o = run_row(&rows[i], e);
		if (e != EXPECT_NOTHING)
			checked++;
		if (!o.pass)
			failed++;
		printf("%-50s %-18s %-7s %-5s %6.3f  %.110s\n", rows[i].file, rows[i].category,
		       e == EXPECT_ERROR ? "error" : e == EXPECT_WARNING ? "warning" : "no-crash",
		       o.pass ? "pass" : "FAIL", o.seconds, o.detail);
	}
	printf("%zu case(s), %zu checked, %zu failed\n", n, checked, failed);
	free_rows(rows, n);
	assert_true(checked > 0);
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The front end's entry points (compiler/frontend/frontend.c): dispatch
 * by apiVersion and kind, kind: List, empty documents, "no policy in
 * input", and directory loading (recursive, sorted, deterministic).
 */
#include "fe_test.h"

#include <sys/stat.h>

static void test_dispatch(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = fx_load(fx, "apiVersion: apps/v1\n"                         /* 1 */
			      "kind: Deployment\n"                            /* 2 */
			      "metadata: {name: web}\n"                       /* 3 */
			      "---\n"                                         /* 4 */
			      "apiVersion: v1\n"                              /* 5 */
			      "kind: List\n"                                  /* 6 */
			      "items:\n"                                      /* 7 */
			      "- apiVersion: v1\n"                            /* 8 */
			      "  kind: Namespace\n"                           /* 9 */
			      "  metadata: {name: shop}\n"                    /* 10 */
			      "- apiVersion: v1\n"                            /* 11 */
			      "  kind: List\n"                                /* 12 */
			      "  items:\n"                                    /* 13 */
			      "  - apiVersion: networking.k8s.io/v1\n"        /* 14 */
			      "    kind: NetworkPolicy\n"                     /* 15 */
			      "    metadata: {name: p, namespace: shop}\n"    /* 16 */
			      "    spec:\n"                                   /* 17 */
			      "      ingress:\n"                              /* 18 */
			      "      - ports: [{port: 0}]\n"                  /* 19 */
			      "  - apiVersion: v1\n"                          /* 20 */
			      "    kind: Service\n"                           /* 21 */
			      "    metadata: {name: s}\n");                   /* 22 */
	assert_int_equal(err, -EINVAL);
	fx_expect(fx, DIAG_NOTE, 2, "kind", "kind Deployment (apiVersion apps/v1) is neither a policy nor inventory");
	fx_expect(fx, DIAG_NOTE, 21, "kind", "kind Service");
	/* Positions inside nested lists are the file's; paths are the object's, as the API server reports them. */
	fx_expect_error(fx, 19, "spec.ingress[0].ports[0].port", "must be between 1 and 65535");
	assert_int_equal(fx->fe.n_policies, 1);
	assert_int_equal(fx->fe.n_inventory, 1);
	assert_int_equal(fx->fe.n_documents, 2);
	assert_int_equal(fx->prog.namespaces.len, 1);
	assert_true(fx->fe.have_non_policy);
	assert_int_equal(fx->fe.first_non_policy_loc.line, 2);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c}\n"),
			 -EINVAL);
	/* cnp_types.go: neither spec nor specs (the Cilium front end; test_cilium.c has the rest). */
	fx_expect_error(fx, 2, "spec", "empty policy");
	assert_int_equal(fx->fe.n_policies, 1);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: c}\n"),
			 -EINVAL);
	fx_expect_error(fx, 2, "spec", "empty policy");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "kind: NetworkPolicy\nmetadata: {name: p}\n"), -EINVAL);
	fx_expect_error(fx, 1, "apiVersion", "Object 'apiVersion' is missing");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: v1\nkind: 42\n"), -EINVAL);
	fx_expect_error(fx, 2, "kind", "expected string");
	fx_free(fx);
}

static void test_empty_documents_and_no_policy(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
				     "---\n---\n# just a comment\n---\n"
				     "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: b}\n"),
			 0);
	fx_expect_warning(fx, 4, "", "document 2 (line 4) is empty, skipped");
	fx_expect_warning(fx, 5, "", "document 3 (line 5) is empty, skipped");
	assert_int_equal(fx->prog.policies.len, 2);
	assert_int_equal(frontend_require_policy(&fx->fe), 0);
	fx_free(fx);

	/* An empty file: no documents; compile refuses it at line 1. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, ""), 0);
	assert_int_equal(fx->fe.n_documents, 0);
	assert_int_equal(frontend_finish(&fx->fe), 0);
	assert_int_equal(frontend_require_policy(&fx->fe), -EINVAL);
	fx_expect_error(fx, 1, "", "no policy documents in input (the input has no documents)");
	assert_int_equal(fx->prog.policies.len, 0);
	fx_free(fx);

	/* Inventory only: refused at the kind of its first object. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "# pods\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: s}\n"), 0);
	assert_int_equal(frontend_require_policy(&fx->fe), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 3, "kind", "no policy in input: unsupported kind Pod (apiVersion v1)");
	assert_int_equal(d->loc.col, 1);
	fx_free(fx);

	/* A policy that failed still counts: its own error explains the failure. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(fx_load(fx, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: A}\n"),
			 -EINVAL);
	assert_int_equal(frontend_require_policy(&fx->fe), 0);
	assert_int_equal(fx_count(fx, DIAG_ERROR), 1);
	fx_free(fx);
}

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static const char *policy(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf),
		 "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: d}\n", name);
	return buf;
}

static void test_load_directory(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/polc-fe-test-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	make_dir("b-dir");
	make_dir("b-dir/inner");
	make_dir(".hidden");
	make_dir("..data");
	write_file("c.yml", policy("c"));
	write_file("a.yaml", policy("a"));
	write_file("b-dir/z.json", "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", "
				   "\"metadata\": {\"name\": \"bz\", \"namespace\": \"d\"}}\n");
	write_file("b-dir/inner/m.yaml", policy("bim"));
	write_file("b-dir/a.yaml", policy("ba"));
	write_file("readme.txt", "not yaml: [\n");
	write_file(".hidden/x.yaml", policy("hidden"));
	write_file("..data/x.yaml", policy("dotdot"));
	write_file("b.yaml", policy("b"));
	char link[512], target[512];
	snprintf(link, sizeof(link), "%s/b-dir/inner/loop", tmpdir);
	snprintf(target, sizeof(target), "%s/b-dir", tmpdir);
	assert_int_equal(symlink(target, link), 0);

	struct fx *fx = fx_new(FRONTEND_COMPILE);
	int err = frontend_load_path(&fx->fe, tmpdir);
	if (err)
		fx_dump(fx);
	assert_int_equal(err, 0);
	/* Byte order of names within each directory ("b-dir" < "b.yaml"), depth first; the loop is cut. */
	static const char *const order[] = {"a", "ba", "bim", "bz", "b", "c"};
	size_t n = sizeof(order) / sizeof(order[0]);
	assert_int_equal(fx->prog.policies.len, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(fx->prog.policies.items[i]->name, order[i]);
	assert_int_equal(fx->fe.n_files, fx->src.files.len);
	fx_free(fx);

	/* A missing path is an I/O error with a diagnostic. */
	fx = fx_new(FRONTEND_COMPILE);
	char missing[512];
	snprintf(missing, sizeof(missing), "%s/nope.yaml", tmpdir);
	assert_int_equal(frontend_load_path(&fx->fe, missing), -ENOENT);
	fx_expect_error(fx, 0, NULL, "No such file or directory");
	fx_free(fx);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_empty_documents_and_no_policy),
		cmocka_unit_test(test_load_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The YAML loader (compiler/frontend/yaml.c): positions, the defences
 * against hostile input (depth, alias budget, scalar size, duplicate and
 * merge keys, bytes libyaml refuses, truncation), empty documents, and
 * YAML 1.1 scalar resolution as go-yaml v2 does it.
 */
#include "fe_test.h"

#include <time.h>

#include "frontend/yaml.h"
#include "frontend/yresolve.h"

static int load(struct fx *fx, const char *text, size_t len, const struct yaml_limits *lim, struct ystream *out)
{
	int id = source_add_buffer(&fx->src, "t.yaml", text, len);
	assert_true(id > 0);
	memset(out, 0, sizeof(*out));
	return yaml_load(fx->arena, &fx->diags, &fx->src, (uint32_t)id, lim, out);
}

static int load_str(struct fx *fx, const char *text, struct ystream *out)
{
	return load(fx, text, strlen(text), NULL, out);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- positions ----------------------------------------------------------- */

static void test_positions(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: 1\nbb:\n  - \"quoted\"\n  - {x: y}\n", &s), 0);
	assert_int_equal(s.n_docs, 1);
	const struct ynode *root = s.docs[0].root;
	assert_int_equal(root->kind, YNODE_MAPPING);
	assert_int_equal(root->loc.line, 1);
	assert_int_equal(root->loc.col, 1);
	const struct ynode *a = ymap_get(root, "a");
	assert_int_equal(a->loc.line, 1);
	assert_int_equal(a->loc.col, 4);
	assert_int_equal(a->loc.len, 1);
	const struct ynode *bbk = ymap_get_key(root, "bb");
	assert_int_equal(bbk->loc.line, 2);
	assert_int_equal(bbk->loc.len, 2);
	const struct ynode *bb = ymap_get(root, "bb");
	assert_int_equal(bb->kind, YNODE_SEQUENCE);
	assert_int_equal(bb->seq.len, 2);
	const struct ynode *q = bb->seq.items[0];
	assert_string_equal(q->scalar.value, "quoted");
	assert_int_equal(q->scalar.style, YSTYLE_DOUBLE_QUOTED);
	assert_int_equal(q->loc.line, 3);
	assert_int_equal(q->loc.col, 5);
	assert_int_equal(q->loc.len, 8); /* the token, quotes included */
	const struct ynode *flow = bb->seq.items[1];
	assert_int_equal(flow->kind, YNODE_MAPPING);
	assert_int_equal(flow->loc.line, 4);
	assert_int_equal(flow->loc.col, 5);
	assert_int_equal(ymap_get(flow, "x")->loc.col, 9);
	fx_free(fx);
}

/* Columns count bytes (the caret printer indexes bytes), libyaml counts characters. */
static void test_positions_utf8_and_crlf(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "note: \"h\xc3\xa9llo w\xc3\xb6rld\"\r\nkey: v\r\nk\xc3\xa9y2: val\n", &s), 0);
	const struct ynode *root = s.docs[0].root;
	const struct ynode *note = ymap_get(root, "note");
	assert_int_equal(note->loc.col, 7);
	assert_int_equal(note->loc.len, 15); /* 13 characters, 15 bytes */
	const struct ynode *v = ymap_get(root, "key");
	assert_int_equal(v->loc.line, 2);
	assert_int_equal(v->loc.col, 6);
	const struct ynode *v2 = ymap_get(root, "k\xc3\xa9y2");
	assert_int_equal(v2->loc.line, 3);
	assert_int_equal(v2->loc.col, 8); /* "kéy2: " is 7 bytes */
	fx_free(fx);
}

static void test_document_positions_and_empty_docs(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: 1\n---\n---\n# only a comment\n---\nb: 2\n", &s), 0);
	assert_int_equal(s.n_docs, 4);
	assert_non_null(s.docs[0].root);
	assert_null(s.docs[1].root);
	assert_int_equal(s.docs[1].loc.line, 2);
	assert_int_equal(s.docs[1].index, 2);
	assert_null(s.docs[2].root);
	assert_int_equal(s.docs[2].loc.line, 3);
	assert_non_null(s.docs[3].root);
	assert_int_equal(s.docs[3].index, 4);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "", &s), 0);
	assert_int_equal(s.n_docs, 0);
	assert_int_equal(load_str(fx, "# nothing here\n\n", &s), 0);
	assert_int_equal(s.n_docs, 0);
	/* An explicit null is not an empty document. */
	assert_int_equal(load_str(fx, "--- ~\n", &s), 0);
	assert_int_equal(s.n_docs, 1);
	assert_non_null(s.docs[0].root);
	fx_free(fx);
}

static void test_json_input(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "{\n  \"kind\": \"Pod\",\n  \"port\": 80,\n  \"on\": true,\n  \"x\": null\n}\n", &s),
			 0);
	const struct ynode *root = s.docs[0].root;
	assert_int_equal(yscalar_type(ymap_get(root, "kind")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "port")), YTYPE_INT);
	assert_int_equal(ymap_get(root, "port")->loc.line, 3);
	assert_int_equal(yscalar_type(ymap_get(root, "on")), YTYPE_BOOL);
	assert_int_equal(yscalar_type(ymap_get(root, "x")), YTYPE_NULL);
	fx_free(fx);
}

/* ---- limits -------------------------------------------------------------- */

static void test_deep_flow_nesting_refused_fast(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	size_t depth = 100000;
	const char *head = "spec:\n  ingress: ";
	size_t hl = strlen(head);
	char *text = malloc(hl + depth + 2);
	memcpy(text, head, hl);
	memset(text + hl, '[', depth);
	text[hl + depth] = '\n';
	text[hl + depth + 1] = '\0';
	struct ystream s;
	double t0 = now();
	assert_int_equal(load_str(fx, text, &s), -EINVAL);
	assert_true(now() - t0 < 1.0);
	const struct diag *d = fx_expect_error(fx, 2, "spec.ingress", "nesting depth 65 exceeds limit 64");
	assert_string_equal(d->code, "yaml-depth");
	free(text);
	fx_free(fx);
}

static void test_deep_block_nesting(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	char text[20000] = "";
	size_t n = 0;
	for (int i = 0; i < 70; i++)
		n += (size_t)sprintf(text + n, "%*sk%d:\n", i, "", i);
	sprintf(text + n, "%*sleaf\n", 70, "");
	struct ystream s;
	assert_int_equal(load_str(fx, text, &s), -EINVAL);
	fx_expect_error(fx, 0, NULL, "exceeds limit 64");
	fx_free(fx);

	/* Within the limit: fine. */
	fx = fx_new(FRONTEND_COMPILE);
	struct yaml_limits lim = yaml_default_limits;
	lim.max_depth = 100;
	assert_int_equal(load(fx, text, strlen(text), &lim, &s), 0);
	fx_free(fx);
}

static const char billion_laughs[] =
	"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

static void test_alias_bomb_refused(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	double t0 = now();
	assert_int_equal(load_str(fx, billion_laughs, &s), -EINVAL);
	assert_true(now() - t0 < 0.5);
	const struct diag *d = fx_find(fx, DIAG_ERROR, 0, NULL, "alias");
	if (!d)
		fx_dump(fx);
	assert_non_null(d);
	assert_string_equal(d->code, "yaml-alias-budget");
	/* Refused in line 8 (9^7 x 2 nodes > 1 Mi), not after expanding it. */
	assert_true(d->loc.line <= 8);
	assert_true(arena_used(fx->arena) < 1u << 20);
	fx_free(fx);
}

static void test_alias_shares_nodes(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "base: &b {app: web}\nx: *b\ny: [*b, *b]\nname: &n hello\nk: *n\n", &s), 0);
	const struct ynode *root = s.docs[0].root;
	assert_ptr_equal(ymap_get(root, "base"), ymap_get(root, "x"));
	assert_ptr_equal(ymap_get(root, "y")->seq.items[1], ymap_get(root, "base"));
	assert_string_equal(ymap_get(root, "k")->scalar.value, "hello");
	fx_free(fx);

	/* The budget counts every alias by the size of what it names. */
	fx = fx_new(FRONTEND_COMPILE);
	struct yaml_limits lim = yaml_default_limits;
	lim.max_nodes = 20;
	const char *t = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a, *a]\nc: *a\n";
	assert_int_equal(load(fx, t, strlen(t), &lim, &s), -EINVAL);
	fx_expect_error(fx, 3, "c", "alias *a expands the stream beyond the alias budget of 20 nodes");
	fx_free(fx);

	/* Nodes written out in full are bounded by the file size, not by the alias budget. */
	fx = fx_new(FRONTEND_COMPILE);
	char many[1024] = "[";
	for (int i = 0; i < 100; i++)
		strcat(many, i ? ",1" : "1");
	strcat(many, "]\n");
	assert_int_equal(load(fx, many, strlen(many), &lim, &s), 0);
	fx_free(fx);
}

static void test_alias_errors(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: &x [1, *x]\n", &s), -EINVAL);
	fx_expect_error(fx, 1, "a[1]", "refers to a node that contains it");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: 1\nb: *nope\n", &s), -EINVAL);
	fx_expect_error(fx, 2, "b", "undefined alias *nope");
	fx_free(fx);

	/* Anchors do not cross documents. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: &x 1\n---\nb: *x\n", &s), -EINVAL);
	fx_expect_error(fx, 3, "b", "undefined alias *x");
	fx_free(fx);
}

static void test_scalar_size_limit(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct yaml_limits lim = yaml_default_limits;
	lim.max_scalar = 1000;
	char text[3000];
	memcpy(text, "meta:\n  note: ", 14);
	memset(text + 14, 'x', 2000);
	strcpy(text + 2014, "\n");
	struct ystream s;
	assert_int_equal(load(fx, text, strlen(text), &lim, &s), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 2, "meta.note", "scalar of 2000 bytes exceeds the limit of 1000");
	assert_string_equal(d->code, "yaml-scalar-size");
	fx_free(fx);
}

/* ---- keys ---------------------------------------------------------------- */

static void test_duplicate_keys(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	const char *t = "spec:\n  podSelector:\n    matchLabels:\n      app: payments\n      app: admin\n";
	assert_int_equal(load_str(fx, t, &s), -EINVAL);
	const struct diag *d =
		fx_expect_error(fx, 5, "spec.podSelector.matchLabels", "duplicate key app (first at line 4)");
	assert_int_equal(d->loc.col, 7);
	assert_string_equal(d->code, "duplicate-key");
	fx_free(fx);

	/* A large mapping goes through the hash set. */
	fx = fx_new(FRONTEND_COMPILE);
	char big[4096] = "";
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "k%d: v\n", i);
	sprintf(big + n, "k17: again\n");
	assert_int_equal(load_str(fx, big, &s), -EINVAL);
	fx_expect_error(fx, 41, "", "duplicate key k17 (first at line 18)");
	fx_free(fx);

	/* Quoted and plain spellings of one key are one key. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "{\"a\": 1, a: 2}\n", &s), -EINVAL);
	fx_expect_error(fx, 1, NULL, "duplicate key a");
	fx_free(fx);
}

static void test_merge_and_complex_keys(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "base: &b {a: 1}\nobj:\n  <<: *b\n  c: 2\n", &s), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 3, "obj", "merge keys (<<) are not supported");
	assert_non_null(d->hint);
	fx_free(fx);

	/* Quoted, "<<" is an ordinary key. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "\"<<\": 1\n", &s), 0);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a:\n  ? [x, y]\n  : 1\n", &s), -EINVAL);
	fx_expect_error(fx, 2, "a", "mapping keys must be scalars, got a sequence");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "m: &m {a: 1}\nb: {*m : 2}\n", &s), -EINVAL);
	fx_expect_error(fx, 0, NULL, "mapping keys must be scalars, got a mapping");
	fx_free(fx);
}

/* ---- bytes ---------------------------------------------------------------- */

static void test_nul_byte(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	const char t[] = "kind: NetworkPolicy\nmetadata:\n  name: api\0-allow\n  namespace: shop\n";
	assert_int_equal(load(fx, t, sizeof(t) - 1, NULL, &s), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 3, "metadata.name", "control character 0x00");
	assert_int_equal(d->loc.col, 12);
	assert_string_equal(d->code, "yaml-control-character");
	fx_free(fx);

	/* An escaped NUL gets past libyaml's reader; the loader refuses it. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a:\n  b: \"x\\0y\"\n", &s), -EINVAL);
	fx_expect_error(fx, 2, "a.b", "0x00");
	fx_free(fx);
}

static void test_control_char_and_invalid_utf8(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: 1\nb: x\x07y\n", &s), -EINVAL);
	fx_expect_error(fx, 2, "b", "control character 0x07");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: 1\nlist:\n  - ok\n  - caf\xe9\n", &s), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 4, "list[1]", "invalid UTF-8");
	assert_int_equal(d->loc.col, 8);
	assert_string_equal(d->code, "yaml-invalid-utf8");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "\xff\xfe" "a\0:\0", &s), -EINVAL);
	fx_expect_error(fx, 1, NULL, "UTF-16");
	fx_free(fx);
}

static void test_truncated_input(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	const char *t = "spec:\n  podSelector:\n    matchLabels: {app: api, tier: backend\n";
	assert_int_equal(load_str(fx, t, &s), -EINVAL);
	const struct diag *d = fx_expect_error(fx, 3, "spec.podSelector.matchLabels", "flow mapping is never closed");
	assert_int_equal(d->loc.col, 18);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: \"unterminated\n", &s), -EINVAL);
	fx_expect_error(fx, 1, NULL, "never closed");
	fx_free(fx);

	/* A syntax error in the middle points at the problem. */
	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a:\n  b: 1\n c: 2\n", &s), -EINVAL);
	fx_expect_error(fx, 3, NULL, NULL);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a:\n\tb: 1\n", &s), -EINVAL);
	d = fx_expect_error(fx, 2, NULL, NULL);
	assert_non_null(d->hint);
	assert_non_null(strstr(d->hint, "tabs"));
	fx_free(fx);
}

static void test_tags(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: !!str 123\nb: !!int \"80\"\nc: ! yes\nd: !!float 1\n", &s), 0);
	const struct ynode *root = s.docs[0].root;
	assert_int_equal(yscalar_type(ymap_get(root, "a")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "b")), YTYPE_INT);
	assert_int_equal(yscalar_type(ymap_get(root, "c")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "d")), YTYPE_FLOAT);
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: !!int abc\n", &s), -EINVAL);
	fx_expect_error(fx, 1, "a", "cannot decode \"abc\" as !!int");
	fx_free(fx);

	fx = fx_new(FRONTEND_COMPILE);
	assert_int_equal(load_str(fx, "a: !Ref other\n", &s), -EINVAL);
	fx_expect_error(fx, 1, "a", "unsupported tag !Ref");
	fx_free(fx);
}

/* ---- resolution ---------------------------------------------------------- */

struct rcase {
	const char *text;
	enum yscalar_type type;
};

static void test_yaml11_resolution_table(void **state)
{
	(void)state;
	static const struct rcase cases[] = {
		{"", YTYPE_NULL}, {"~", YTYPE_NULL}, {"null", YTYPE_NULL}, {"Null", YTYPE_NULL},
		{"NULL", YTYPE_NULL}, {"nULL", YTYPE_STRING},
		{"y", YTYPE_BOOL}, {"Y", YTYPE_BOOL}, {"yes", YTYPE_BOOL}, {"Yes", YTYPE_BOOL},
		{"YES", YTYPE_BOOL}, {"n", YTYPE_BOOL}, {"N", YTYPE_BOOL}, {"no", YTYPE_BOOL},
		{"No", YTYPE_BOOL}, {"NO", YTYPE_BOOL}, {"true", YTYPE_BOOL}, {"True", YTYPE_BOOL},
		{"TRUE", YTYPE_BOOL}, {"false", YTYPE_BOOL}, {"on", YTYPE_BOOL}, {"On", YTYPE_BOOL},
		{"ON", YTYPE_BOOL}, {"off", YTYPE_BOOL}, {"Off", YTYPE_BOOL}, {"OFF", YTYPE_BOOL},
		{"tRUE", YTYPE_STRING}, {"yES", YTYPE_STRING}, {"nope", YTYPE_STRING},
		{"0", YTYPE_INT}, {"42", YTYPE_INT}, {"-7", YTYPE_INT}, {"+7", YTYPE_INT},
		{"0x1F", YTYPE_INT}, {"0X1f", YTYPE_INT}, {"0o17", YTYPE_INT}, {"017", YTYPE_INT},
		{"0b101", YTYPE_INT}, {"1_000", YTYPE_INT}, {"-0x10", YTYPE_INT},
		{"9223372036854775807", YTYPE_INT}, {"18446744073709551615", YTYPE_INT},
		{"-9223372036854775808", YTYPE_INT}, {"-9223372036854775809", YTYPE_FLOAT},
		{"99999999999999999999", YTYPE_FLOAT},
		{"08", YTYPE_FLOAT}, {"0x", YTYPE_STRING}, {"_1", YTYPE_STRING}, {"1_", YTYPE_INT},
		{"1.5", YTYPE_FLOAT}, {"1.", YTYPE_FLOAT}, {".5", YTYPE_FLOAT}, {"-.5", YTYPE_FLOAT},
		{"1e3", YTYPE_FLOAT}, {"1E+3", YTYPE_FLOAT}, {"1e400", YTYPE_STRING}, {".inf", YTYPE_FLOAT},
		{"-.Inf", YTYPE_FLOAT}, {".NaN", YTYPE_FLOAT}, {".nan", YTYPE_FLOAT}, {".", YTYPE_STRING},
		{"1:30", YTYPE_STRING}, {"190:20:30", YTYPE_STRING}, {"2001-12-14", YTYPE_STRING},
		{"10.0.0.0/8", YTYPE_STRING}, {"1.2.3", YTYPE_STRING}, {"+", YTYPE_STRING},
		{"-", YTYPE_STRING}, {"<<", YTYPE_STRING}, {"http", YTYPE_STRING}, {"0.5.1", YTYPE_STRING},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum yscalar_type t = yresolve_plain(cases[i].text, strlen(cases[i].text), NULL);
		if (t != cases[i].type)
			fprintf(stderr, "\"%s\": got %s, want %s\n", cases[i].text, yscalar_type_name(t),
				yscalar_type_name(cases[i].type));
		assert_int_equal(t, cases[i].type);
	}

	struct yresolved r;
	assert_int_equal(yresolve_plain("0110", 4, &r), YTYPE_INT);
	assert_int_equal(r.magnitude, 72);
	assert_int_equal(r.notation, YINT_LEADING_ZERO);
	assert_int_equal(yresolve_plain("0x1F", 4, &r), YTYPE_INT);
	assert_int_equal(r.magnitude, 31);
	assert_int_equal(r.notation, YINT_HEX);
	assert_int_equal(yresolve_plain("-1_000", 6, &r), YTYPE_INT);
	assert_true(r.negative && r.magnitude == 1000 && r.underscores);
	assert_int_equal(yresolve_plain("Off", 3, &r), YTYPE_BOOL);
	assert_false(r.boolean);
	int64_t v;
	assert_true(yresolve_yaml12_decimal("0110", 4, &v));
	assert_int_equal(v, 110);

	/* Quoted and block scalars are strings whatever they spell. */
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct ystream s;
	assert_int_equal(load_str(fx, "a: \"80\"\nb: 'yes'\nc: |\n  80\nd: 80\n", &s), 0);
	const struct ynode *root = s.docs[0].root;
	assert_int_equal(yscalar_type(ymap_get(root, "a")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "b")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "c")), YTYPE_STRING);
	assert_int_equal(yscalar_type(ymap_get(root, "d")), YTYPE_INT);
	fx_free(fx);
}

static void test_ypath_str(void **state)
{
	(void)state;
	struct arena *a = arena_new();
	struct ypath spec = YPATH_KEY(NULL, "spec");
	struct ypath ing = YPATH_KEY(&spec, "ingress");
	struct ypath i0 = YPATH_INDEX(&ing, 0);
	struct ypath ports = YPATH_KEY(&i0, "ports");
	struct ypath p2 = YPATH_INDEX(&ports, 2);
	struct ypath port = YPATH_KEY(&p2, "port");
	assert_string_equal(ypath_str(a, &port), "spec.ingress[0].ports[2].port");
	assert_string_equal(ypath_str(a, NULL), "");
	struct ypath meta = YPATH_KEY(NULL, "metadata");
	struct ypath ann = YPATH_KEY(&meta, "annotations");
	struct ypath key = YPATH_KEY(&ann, "polc.io/interface");
	assert_string_equal(ypath_str(a, &key), "metadata.annotations[polc.io/interface]");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_positions_utf8_and_crlf),
		cmocka_unit_test(test_document_positions_and_empty_docs),
		cmocka_unit_test(test_json_input),
		cmocka_unit_test(test_deep_flow_nesting_refused_fast),
		cmocka_unit_test(test_deep_block_nesting),
		cmocka_unit_test(test_alias_bomb_refused),
		cmocka_unit_test(test_alias_shares_nodes),
		cmocka_unit_test(test_alias_errors),
		cmocka_unit_test(test_scalar_size_limit),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_merge_and_complex_keys),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_control_char_and_invalid_utf8),
		cmocka_unit_test(test_truncated_input),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_yaml11_resolution_table),
		cmocka_unit_test(test_ypath_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Typed decoding (compiler/frontend/decode.c) and the Kubernetes
 * validation primitives (k8s_validate.c): no silent coercion, the API
 * server's messages, Go's CIDR syntax.
 */
#include "fe_test.h"

#include "frontend/decode.h"
#include "frontend/k8s_validate.h"

/* Parse "v: <text>" and return the value node. */
static const struct ynode *value_of(struct fx *fx, const char *text)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "v: %s\n", text);
	int id = source_add_buffer(&fx->src, "t.yaml", buf, strlen(buf));
	struct ystream s;
	assert_int_equal(yaml_load(fx->arena, &fx->diags, &fx->src, (uint32_t)id, NULL, &s), 0);
	return ymap_get(s.docs[0].root, "v");
}

static void test_decode_string(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	struct ypath p = YPATH_KEY(NULL, "v");
	const char *out = NULL;
	assert_true(decode_string(&d, value_of(fx, "web"), &p, &out));
	assert_string_equal(out, "web");
	assert_true(decode_string(&d, value_of(fx, "\"80\""), &p, &out));
	assert_string_equal(out, "80");

	out = "untouched";
	assert_false(decode_string(&d, value_of(fx, "80"), &p, &out));
	assert_string_equal(out, "untouched");
	const struct diag *e = fx_expect_error(fx, 1, "v", "expected string, got an integer (cannot unmarshal number");
	assert_non_null(strstr(e->hint, "quote it: \"80\""));
	assert_false(decode_string(&d, value_of(fx, "no"), &p, &out));
	fx_expect_error(fx, 1, "v", "got a boolean (cannot unmarshal bool into string)");
	assert_false(decode_string(&d, value_of(fx, "~"), &p, &out));
	fx_expect_error(fx, 1, "v", "got a null");
	assert_false(decode_string(&d, value_of(fx, "[a]"), &p, &out));
	fx_expect_error(fx, 1, "v", "expected a string, got a sequence");
	fx_free(fx);
}

static void test_decode_int32(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	struct ypath p = YPATH_KEY(NULL, "v");
	int32_t v = 0;
	assert_true(decode_int32(&d, value_of(fx, "8080"), &p, &v));
	assert_int_equal(v, 8080);
	assert_true(decode_int32(&d, value_of(fx, "-5"), &p, &v));
	assert_int_equal(v, -5);
	assert_true(decode_int32(&d, value_of(fx, "0"), &p, &v));
	assert_int_equal(v, 0);
	assert_int_equal(fx_count(fx, DIAG_ERROR), 0);

	v = 1234;
	assert_false(decode_int32(&d, value_of(fx, "\"9100\""), &p, &v));
	assert_int_equal(v, 1234);
	const struct diag *e = fx_expect_error(fx, 1, "v", "expected integer, got string");
	assert_non_null(strstr(e->hint, "write 9100 without quotes"));

	assert_false(decode_int32(&d, value_of(fx, "0110"), &p, &v));
	e = fx_expect_error(fx, 1, "v", "ambiguous integer 0110");
	assert_string_equal(e->code, "ambiguous-integer");
	assert_non_null(strstr(e->hint, "octal 72"));
	assert_non_null(strstr(e->hint, "YAML 1.2 reads 110"));

	assert_false(decode_int32(&d, value_of(fx, "0x1F"), &p, &v));
	e = fx_expect_error(fx, 1, "v", "written in hexadecimal");
	assert_non_null(strstr(e->hint, "31"));
	assert_false(decode_int32(&d, value_of(fx, "8_080"), &p, &v));
	fx_expect_error(fx, 1, "v", "with underscores");
	assert_false(decode_int32(&d, value_of(fx, "3000000000"), &p, &v));
	fx_expect_error(fx, 1, "v", "out of range for int32");
	assert_false(decode_int32(&d, value_of(fx, "80.0"), &p, &v));
	fx_expect_error(fx, 1, "v", "expected integer, got float");
	assert_false(decode_int32(&d, value_of(fx, "true"), &p, &v));
	fx_expect_error(fx, 1, "v", "expected integer, got boolean");
	fx_free(fx);
}

static void test_decode_int_or_string(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	struct ypath p = YPATH_KEY(NULL, "port");
	struct int_or_string v;
	assert_true(decode_int_or_string(&d, value_of(fx, "443"), &p, &v));
	assert_false(v.is_string);
	assert_int_equal(v.num, 443);
	assert_true(decode_int_or_string(&d, value_of(fx, "https"), &p, &v));
	assert_true(v.is_string);
	assert_string_equal(v.str, "https");
	/* A quoted number stays a string: a port name, as kubectl keeps it. */
	assert_true(decode_int_or_string(&d, value_of(fx, "\"8080\""), &p, &v));
	assert_true(v.is_string);
	assert_string_equal(v.str, "8080");
	assert_false(decode_int_or_string(&d, value_of(fx, "on"), &p, &v));
	fx_expect_error(fx, 1, "port", "expected integer or string, got boolean");
	assert_false(decode_int_or_string(&d, value_of(fx, "0110"), &p, &v));
	fx_expect_error(fx, 1, "port", "ambiguous integer 0110");
	fx_free(fx);
}

static void test_decode_bool_and_shapes(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	struct ypath p = YPATH_KEY(NULL, "v");
	bool b = false;
	assert_true(decode_bool(&d, value_of(fx, "true"), &p, &b));
	assert_true(b);
	assert_true(decode_bool(&d, value_of(fx, "off"), &p, &b));
	assert_false(b);
	assert_false(decode_bool(&d, value_of(fx, "\"true\""), &p, &b));
	fx_expect_error(fx, 1, "v", "expected boolean, got string");

	assert_true(decode_mapping(&d, value_of(fx, "{a: 1}"), &p));
	assert_false(decode_mapping(&d, value_of(fx, "[1]"), &p));
	fx_expect_error(fx, 1, "v", "expected a mapping, got a sequence");
	assert_false(decode_sequence(&d, value_of(fx, "x"), &p));
	fx_expect_error(fx, 1, "v", "expected a sequence, got a string");
	assert_true(ynode_is_null(value_of(fx, "")));
	assert_true(ynode_is_null(NULL));
	assert_false(ynode_is_null(value_of(fx, "\"\"")));
	fx_free(fx);
}

static void test_known_fields(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	struct ypath spec = YPATH_KEY(NULL, "spec");
	static const char *const known[] = {"podSelector", "policyTypes", "ingress", "egress", NULL};
	int id = fx_add(fx, "t.yaml", "podSelector: {}\nigress: []\npolicytypes: [Ingress]\nzzz: 1\n");
	struct ystream s;
	assert_int_equal(yaml_load(fx->arena, &fx->diags, &fx->src, (uint32_t)id, NULL, &s), 0);
	assert_false(decode_known_fields(&d, s.docs[0].root, &spec, known));
	const struct diag *e = fx_expect_error(fx, 2, "spec.igress", "unknown field \"igress\"");
	assert_string_equal(e->hint, "did you mean \"ingress\"?");
	assert_int_equal(e->loc.col, 1);
	e = fx_expect_error(fx, 3, "spec.policytypes", "unknown field");
	assert_string_equal(e->hint, "did you mean \"policyTypes\"?");
	e = fx_expect_error(fx, 4, "spec.zzz", "unknown field");
	assert_non_null(strstr(e->hint, "known fields: podSelector, policyTypes, ingress, egress"));

	assert_int_equal(decode_edit_distance("form", "from"), 1);
	assert_int_equal(decode_edit_distance("kitten", "sitting"), 3);
	assert_null(decode_suggest("x", known));
	fx_free(fx);
}

static void test_quote(void **state)
{
	(void)state;
	struct fx *fx = fx_new(FRONTEND_COMPILE);
	struct decoder d;
	decoder_init(&d, fx->arena, &fx->diags);
	assert_string_equal(decode_quote(&d, "a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
	char big[300];
	memset(big, 'x', 299);
	big[299] = '\0';
	const char *q = decode_quote(&d, big);
	assert_true(strlen(q) < 80);
	assert_non_null(strstr(q, "\"..."));
	fx_free(fx);
}

/* ---- k8s_validate -------------------------------------------------------- */

static size_t nerr(void (*fn)(const char *, struct k8s_errs *), const char *v)
{
	struct k8s_errs e = {0};
	fn(v, &e);
	return e.n;
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, "allow-web.v1"), 0);
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, "Allow_Web"), 1);
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, "-a"), 1);
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, "a..b"), 1);
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, ""), 1);
	char long_name[300];
	memset(long_name, 'a', 254);
	long_name[254] = '\0';
	assert_int_equal(nerr(k8s_is_dns1123_subdomain, long_name), 1);

	assert_int_equal(nerr(k8s_is_dns1123_label, "shop"), 0);
	struct k8s_errs e = {0};
	k8s_is_dns1123_label("a.b", &e);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "must not contain dots");
	k8s_errs_clear(&e);
	k8s_is_dns1123_label("Shop", &e);
	assert_non_null(strstr(e.msg[0], "a lowercase RFC 1123 label must consist of"));
	assert_non_null(strstr(e.msg[0], "(e.g. 'my-name',  or '123-abc', regex used for validation is"));
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_int_equal(nerr(k8s_is_dns1123_label, long_name), 1);
}

static void test_label_keys_and_values(void **state)
{
	(void)state;
	assert_int_equal(nerr(k8s_is_qualified_name, "app"), 0);
	assert_int_equal(nerr(k8s_is_qualified_name, "app.kubernetes.io/name"), 0);
	assert_int_equal(nerr(k8s_is_qualified_name, "Upper_Case.ok"), 0);
	struct k8s_errs e = {0};
	k8s_is_qualified_name("app=tier", &e);
	assert_int_equal(e.n, 1);
	assert_true(strncmp(e.msg[0], "name part must consist of alphanumeric characters", strlen("name part must consist of alphanumeric characters")) == 0);
	k8s_errs_clear(&e);
	k8s_is_qualified_name("Example.COM/team", &e);
	assert_int_equal(e.n, 1);
	assert_true(strncmp(e.msg[0], "prefix part a lowercase RFC 1123 subdomain", strlen("prefix part a lowercase RFC 1123 subdomain")) == 0);
	k8s_errs_clear(&e);
	k8s_is_qualified_name("/x", &e);
	assert_string_equal(e.msg[0], "prefix part must be non-empty");
	k8s_errs_clear(&e);
	k8s_is_qualified_name("a/b/c", &e);
	assert_true(strncmp(e.msg[0], "a valid label key must consist", strlen("a valid label key must consist")) == 0);
	k8s_errs_clear(&e);
	k8s_is_qualified_name("", &e);
	assert_string_equal(e.msg[0], "name part must be non-empty");
	char key[80];
	memset(key, 'k', 64);
	key[64] = '\0';
	k8s_errs_clear(&e);
	k8s_is_qualified_name(key, &e);
	assert_string_equal(e.msg[0], "name part must be no more than 63 bytes");

	assert_int_equal(nerr(k8s_is_label_value, ""), 0);
	assert_int_equal(nerr(k8s_is_label_value, "v1.2_x-y"), 0);
	assert_int_equal(nerr(k8s_is_label_value, "front end"), 1);
	assert_int_equal(nerr(k8s_is_label_value, "payments/core"), 1);
	assert_int_equal(nerr(k8s_is_label_value, "-x"), 1);
	memset(key, 'v', 64);
	assert_int_equal(nerr(k8s_is_label_value, key), 1);
}

static void test_port_names(void **state)
{
	(void)state;
	assert_int_equal(nerr(k8s_is_port_name, "http"), 0);
	assert_int_equal(nerr(k8s_is_port_name, "serve-80-tcp"), 0);
	struct k8s_errs e = {0};
	k8s_is_port_name("8080", &e);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "must contain at least one letter (a-z)");
	k8s_errs_clear(&e);
	k8s_is_port_name("HTTP_Web", &e);
	assert_string_equal(e.msg[0], "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	k8s_errs_clear(&e);
	k8s_is_port_name("a--b", &e);
	assert_string_equal(e.msg[0], "must not contain consecutive hyphens");
	k8s_errs_clear(&e);
	k8s_is_port_name("-ab", &e);
	assert_string_equal(e.msg[0], "must not begin or end with a hyphen");
	k8s_errs_clear(&e);
	k8s_is_port_name("abcdefghijklmnop", &e);
	assert_string_equal(e.msg[0], "must be no more than 15 bytes");
	assert_true(k8s_is_port_num(1) && k8s_is_port_num(65535));
	assert_false(k8s_is_port_num(0) || k8s_is_port_num(65536) || k8s_is_port_num(-1));

	assert_null(k8s_ifname_problem("lxc12ab"));
	assert_non_null(k8s_ifname_problem("a-very-long-ifname"));
	assert_non_null(k8s_ifname_problem("eth0:1"));
	assert_non_null(k8s_ifname_problem(".."));
	assert_non_null(k8s_ifname_problem("a b"));
	assert_non_null(k8s_ifname_problem(""));
}

struct ccase {
	const char *text;
	bool ok;
	const char *net;  /* masked, as ir_cidr_str prints it */
	bool host_bits;
	bool leading_zero;
};

static void test_cidrs(void **state)
{
	(void)state;
	static const struct ccase cases[] = {
		{"10.0.0.0/8", true, "10.0.0.0/8", false, false},
		{"0.0.0.0/0", true, "0.0.0.0/0", false, false},
		{"192.168.1.1/32", true, "192.168.1.1/32", false, false},
		{"10.20.30.40/16", true, "10.20.0.0/16", true, false},
		{"10.2/16", false, NULL, false, false},
		{"10.0.0/24", false, NULL, false, false},
		{"10.0.0.0", false, NULL, false, false},
		{"10.0.0.0/", false, NULL, false, false},
		{"10.0.0.0/33", false, NULL, false, false},
		{"10.0.0.0/-1", false, NULL, false, false},
		{"10.0.0.0/+8", false, NULL, false, false},
		{"256.0.0.0/8", false, NULL, false, false},
		{"010.0.0.0/8", false, NULL, false, true},
		{"10.0.0.0/08", false, NULL, false, true},
		{"10.0.0.0 /8", false, NULL, false, false},
		{"fd00::/8", true, "fd00::/8", false, false},
		{"2001:db8::1/64", true, "2001:db8::/64", true, false},
		{"::/0", true, "::/0", false, false},
		{"::1/128", true, "::1/128", false, false},
		{"1:2:3:4:5:6:7:8/128", true, "1:2:3:4:5:6:7:8/128", false, false},
		{"1:2:3:4:5:6:7::/112", true, "1:2:3:4:5:6:7:0/112", false, false},
		{"1:2:3:4:5:6:7:8::/128", false, NULL, false, false},
		{"1::2::3/64", false, NULL, false, false},
		{"fd00::/129", false, NULL, false, false},
		{"12345::/16", false, NULL, false, false},
		{"fe80::1%eth0/64", false, NULL, false, false},
		{"::ffff:10.0.0.0/104", true, "10.0.0.0/8", false, false},
		{"64:ff9b::192.0.2.0/120", true, "64:ff9b::c000:200/120", false, false},
		{"::ffff:010.0.0.0/104", false, NULL, false, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k8s_cidr c;
		const char *msg = k8s_parse_cidr(cases[i].text, &c);
		if ((msg == NULL) != cases[i].ok)
			fprintf(stderr, "%s: %s\n", cases[i].text, msg ? msg : "accepted");
		assert_int_equal(msg == NULL, cases[i].ok);
		if (!cases[i].ok) {
			const char *want = cases[i].leading_zero ? "must not have leading 0s in IP or prefix length"
								 : "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
								   "2001:db8::/64)";
			assert_string_equal(msg, want);
			continue;
		}
		char buf[64];
		ir_cidr_str(&c.net, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].net);
		assert_int_equal(c.host_bits, cases[i].host_bits);
	}
	struct ir_cidr ip;
	assert_null(k8s_parse_ip("10.1.2.3", &ip));
	assert_int_equal(ip.prefixlen, 32);
	assert_null(k8s_parse_ip("fd00::5", &ip));
	assert_int_equal(ip.family, 6);
	assert_non_null(k8s_parse_ip("10.1.2", &ip));
	assert_non_null(k8s_parse_ip("010.1.2.3", &ip));
	assert_non_null(k8s_parse_ip("::ffff:10.1.2.3", &ip));
	assert_non_null(k8s_cidr_hint("10.2/16"));
	assert_non_null(strstr(k8s_cidr_hint("10.1.2.3"), "/32"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_string),
		cmocka_unit_test(test_decode_int32),
		cmocka_unit_test(test_decode_int_or_string),
		cmocka_unit_test(test_decode_bool_and_shapes),
		cmocka_unit_test(test_known_fields),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_label_keys_and_values),
		cmocka_unit_test(test_port_names),
		cmocka_unit_test(test_cidrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium's L7 HTTP rules -> IR L7 rules (cilium_http.h).
 *
 * Shape (cilium/cilium pkg/policy/api/http.go PortRuleHTTP, the CRD):
 *
 *   http: [ {method: RE, path: RE, host: RE,
 *            headers: ["Name", "Name: value", ...],
 *            headerMatches: [{name, value, secret: {name, namespace},
 *                             mismatch: LOG|ADD|DELETE|REPLACE}]} ]
 *
 * What each field means, as Cilium hands it to Envoy (pkg/envoy/server.go
 * getHTTPRule, getPortNetworkPolicyRule):
 *   method, path, host   RE2 regexes matched in full against :method,
 *                        :path (the request target with its query) and
 *                        :authority (the Host header). "" or absent:
 *                        anything.
 *   headers              strings.SplitN(h, " ", 2): one word is a header
 *                        that must be present; two are a name (trailing
 *                        ':' trimmed) and the exact value it must have.
 *   headerMatches        name must be present; with a value, exactly that
 *                        value (Envoy joins a repeated header's values
 *                        with ','). mismatch LOG only logs: the request
 *                        is allowed either way. ADD, DELETE and REPLACE
 *                        rewrite the request, which polc's datapath does
 *                        not do; secret reads a Kubernetes Secret, which
 *                        polc does not.
 * A null item is an empty rule (Go's zero PortRuleHTTP): every request.
 *
 * Checks (PortRuleHTTP.Sanitize): method and path compile as regexes;
 * headerMatches have a name, a known mismatch action and a secret name.
 * polc's own: every regex, host included, is in the subset polc compiles
 * to a DFA (grammar/regex.h), with the error at its characters; header
 * names that Envoy would look for under another name (host, which it
 * keeps as :authority, and pseudo-headers) are refused rather than
 * matched differently.
 */
#include "cilium_http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "grammar/regex.h"
#include "yaml_pos.h"

static const char *const http_fields[] = {"method", "path", "host", "headers", "headerMatches", NULL};
static const char *const header_match_fields[] = {"name", "value", "secret", "mismatch", NULL};
static const char *const secret_fields[] = {"name", "namespace", NULL};

bool cilium_http_is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

struct http_dec {
	struct decoder *d;
	struct arena *arena;
	const struct source_set *sources;
	bool ok;
};

static void fail(struct http_dec *h)
{
	h->ok = false;
}

/*
 * An optional regex field. "" is Go's empty string: the field is not
 * set. The regex must parse in polc's subset; the error points at the
 * characters regex_parse() blames.
 */
static void regex_field(struct http_dec *h, const struct ynode *map, const char *key, const struct ypath *path,
			struct ir_regex_src *out)
{
	memset(out, 0, sizeof(*out));
	const struct ynode *n = ymap_get(map, key);
	if (!ynode_is_set(n))
		return;
	struct ypath kp = YPATH_KEY(path, key);
	const char *s;
	if (!decode_string(h->d, n, &kp, &s)) {
		fail(h);
		return;
	}
	if (!*s)
		return;
	out->text = s;
	out->loc = n->loc;
	out->path = decode_path(h->d, &kp);
	uint32_t *cols = NULL;
	if (yscalar_value_columns(h->arena, h->sources, n, &cols)) {
		out->cols = cols;
		out->n_cols = (uint32_t)n->scalar.len;
	}

	struct arena *scratch = arena_new();
	if (!scratch) {
		fail(h);
		return;
	}
	struct regex_ast *ast;
	struct regex_error err;
	int rc = regex_parse(scratch, s, strlen(s), 0, &ast, &err);
	if (rc == -ENOMEM) {
		decode_error_at(h->d, n->loc, &kp, "internal", NULL, "out of memory compiling the regex");
		fail(h);
	} else if (rc) {
		bool unsupported = strstr(err.message, "not supported") != NULL;
		struct src_loc loc = yscalar_span_loc(n->loc, out->cols, out->n_cols, err.offset, err.len);
		decode_error_at(h->d, loc, &kp, unsupported ? "unsupported-regex" : "invalid-regex",
				unsupported ? "polc matches HTTP regexes with a DFA in the datapath: rewrite it "
					      "without that construct"
					    : NULL,
				"%s %s: %s", unsupported ? "unsupported regex" : "invalid regex", decode_quote(h->d, s),
				err.message);
		fail(h);
	}
	arena_free(scratch);
}

/* A header name and its value: where Envoy would not look, refuse. */
static bool check_header_name(struct http_dec *h, const char *name, struct src_loc loc, const struct ypath *path)
{
	if (!*name) {
		decode_error_at(h->d, loc, path, "invalid-value", "write the header's name",
				"Invalid value: the header name is empty");
		fail(h);
		return false;
	}
	if (name[0] == ':') {
		decode_error_at(h->d, loc, path, "unsupported", "use the rule's method, path and host fields",
				"pseudo-header %s in a header rule is not supported by polc", decode_quote(h->d, name));
		fail(h);
		return false;
	}
	if (strcasecmp(name, "host") == 0) {
		decode_error_at(h->d, loc, path, "unsupported", "use the rule's host field (a regex on the Host header)",
				"a header rule on Host is not supported by polc: Envoy keeps Host as :authority, "
				"where a header matcher named host never finds it");
		fail(h);
		return false;
	}
	return true;
}

typedef VEC(struct ir_http_header) header_vec;

static void push_header(struct http_dec *h, header_vec *v, struct ir_http_header hdr)
{
	if (vec_push(h->arena, v, hdr)) {
		decode_error_at(h->d, hdr.loc, NULL, "internal", NULL, "out of memory");
		fail(h);
	}
}

/* headers: ["Name", "Name: value"] as getHTTPRule splits them. */
static void decode_headers(struct http_dec *h, const struct ynode *list, const struct ypath *path,
			   struct ir_http_rule *rule, header_vec *out)
{
	struct decoder *d = h->d;
	if (!decode_sequence(d, list, path)) {
		fail(h);
		return;
	}
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *n = list->seq.items[i];
		const char *s;
		if (!decode_string(d, n, &ip, &s)) {
			fail(h);
			continue;
		}
		struct ir_http_header hdr = {.loc = n->loc, .path = decode_path(d, &ip)};
		const char *sp = strchr(s, ' ');
		char *name;
		if (sp) {
			size_t n_len = (size_t)(sp - s);
			while (n_len && s[n_len - 1] == ':')
				n_len--;
			name = arena_strndup(h->arena, s, n_len);
			hdr.value = sp + 1;
		} else {
			name = arena_strdup(h->arena, s);
		}
		if (!name) {
			fail(h);
			return;
		}
		hdr.name = name;
		if (!check_header_name(h, name, n->loc, &ip))
			continue;
		if (!cilium_http_is_token(name)) {
			decode_warning_at(d, n->loc, &ip, "matches-nothing",
					  sp ? "separate name and value with \": \"" : "write \"Name: value\", with a space",
					  "header name %s is not a valid HTTP header name: as Cilium reads %s, this rule "
					  "matches no request",
					  decode_quote(d, name), decode_quote(d, s));
			rule->never = true;
		} else if (hdr.value && (hdr.value[0] == ' ' || hdr.value[0] == '\t' || !*hdr.value ||
					 hdr.value[strlen(hdr.value) - 1] == ' ' ||
					 hdr.value[strlen(hdr.value) - 1] == '\t')) {
			/* Request values lose their surrounding whitespace before Envoy compares them. */
			decode_warning_at(d, n->loc, &ip, "matches-nothing", "write one space after the colon",
					  "value %s of header %s starts or ends with whitespace or is empty: it matches no "
					  "request",
					  decode_quote(d, hdr.value), decode_quote(d, name));
			rule->never = true;
		}
		push_header(h, out, hdr);
	}
}

/* headerMatches: [{name, value, secret, mismatch}] */
static void decode_header_matches(struct http_dec *h, const struct ynode *list, const struct ypath *path,
				  struct ir_http_rule *rule, header_vec *out)
{
	struct decoder *d = h->d;
	if (!decode_sequence(d, list, path)) {
		fail(h);
		return;
	}
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *m = list->seq.items[i];
		if (!decode_mapping(d, m, &ip)) {
			fail(h);
			continue;
		}
		if (!decode_known_fields(d, m, &ip, header_match_fields))
			fail(h);
		struct ypath np = YPATH_KEY(&ip, "name");
		struct ypath vp = YPATH_KEY(&ip, "value");
		struct ypath sp = YPATH_KEY(&ip, "secret");
		struct ypath xp = YPATH_KEY(&ip, "mismatch");
		const struct ynode *nn = ymap_get(m, "name");
		const struct ynode *vn = ymap_get(m, "value");
		const struct ynode *sn = ymap_get(m, "secret");
		const struct ynode *xn = ymap_get(m, "mismatch");
		const char *name = NULL, *value = NULL, *mismatch = NULL;
		bool ok = true;
		if (ynode_is_set(nn) && !decode_string(d, nn, &np, &name))
			ok = false;
		if (ynode_is_set(vn) && !decode_string(d, vn, &vp, &value))
			ok = false;
		if (ynode_is_set(xn) && !decode_string(d, xn, &xp, &mismatch))
			ok = false;
		if (ok && (!name || !*name)) {
			/* PortRuleHTTP.Sanitize: "Header name missing" */
			decode_error_at(d, ynode_is_set(nn) ? nn->loc : m->loc, &np, "required-field",
					"name the header to match", "Required value: header name missing");
			ok = false;
		}
		if (ok && mismatch && *mismatch && strcmp(mismatch, "LOG") != 0 && strcmp(mismatch, "ADD") != 0 &&
		    strcmp(mismatch, "DELETE") != 0 && strcmp(mismatch, "REPLACE") != 0) {
			decode_error_at(d, xn->loc, &xp, "unsupported-value", NULL,
					"Unsupported value: %s: supported values: \"LOG\", \"ADD\", \"DELETE\", "
					"\"REPLACE\"",
					decode_quote(d, mismatch));
			ok = false;
		}
		if (ynode_is_set(sn)) {
			const char *sname = NULL, *sns = NULL;
			if (!decode_mapping(d, sn, &sp)) {
				ok = false;
			} else {
				struct ypath snp = YPATH_KEY(&sp, "name");
				struct ypath snsp = YPATH_KEY(&sp, "namespace");
				if (!decode_known_fields(d, sn, &sp, secret_fields))
					ok = false;
				const struct ynode *x = ymap_get(sn, "name");
				if (ynode_is_set(x) && !decode_string(d, x, &snp, &sname))
					ok = false;
				x = ymap_get(sn, "namespace");
				if (ynode_is_set(x) && !decode_string(d, x, &snsp, &sns))
					ok = false;
				if (ok && (!sname || !*sname)) {
					decode_error_at(d, sn->loc, &snp, "required-field", NULL,
							"Required value: secret name missing");
					ok = false;
				}
			}
			if (ok) {
				decode_error_at(d, ymap_get_key(m, "secret")->loc, &sp, "unsupported",
						"write the value into the policy, or leave the header out",
						"header values from Kubernetes Secrets (headerMatches[].secret) are not "
						"supported by polc: it reads no Secrets");
				ok = false;
			}
		}
		if (!ok) {
			fail(h);
			continue;
		}
		if (!check_header_name(h, name, nn->loc, &np))
			continue;
		if (mismatch && *mismatch && strcmp(mismatch, "LOG") != 0) {
			decode_error_at(d, xn->loc, &xp, "unsupported", "polc allows or denies requests, it does not rewrite them",
					"mismatch action %s rewrites the request: not supported by polc, which enforces "
					"HTTP rules in the datapath without a proxy",
					mismatch);
			fail(h);
			continue;
		}
		if (mismatch && *mismatch) {
			/* LOG: the mismatch is logged by Envoy and the request goes on. */
			decode_warning_at(d, xn->loc, &xp, "not-enforced", "polc neither enforces nor logs it",
					  "headerMatches with mismatch LOG never denies a request: polc ignores it");
			continue;
		}
		struct ir_http_header hdr = {.name = name, .value = value && *value ? value : NULL, .loc = m->loc,
					     .path = decode_path(d, &ip)};
		if (!cilium_http_is_token(name)) {
			decode_warning_at(d, nn->loc, &np, "matches-nothing", NULL,
					  "header name %s is not a valid HTTP header name: this rule matches no request",
					  decode_quote(d, name));
			rule->never = true;
		}
		push_header(h, out, hdr);
	}
}

static void decode_rule(struct http_dec *h, const struct ynode *node, const struct ypath *path,
			struct ir_http_rule *rule)
{
	struct decoder *d = h->d;
	memset(rule, 0, sizeof(*rule));
	rule->loc = node->loc;
	rule->yaml_path = decode_path(d, path);
	if (ynode_is_null(node))
		return;
	if (!decode_mapping(d, node, path)) {
		fail(h);
		return;
	}
	if (!decode_known_fields(d, node, path, http_fields))
		fail(h);
	regex_field(h, node, "method", path, &rule->method);
	regex_field(h, node, "path", path, &rule->path);
	regex_field(h, node, "host", path, &rule->host);
	header_vec headers = {0};
	const struct ynode *hn = ymap_get(node, "headers");
	if (ynode_is_set(hn)) {
		struct ypath hp = YPATH_KEY(path, "headers");
		decode_headers(h, hn, &hp, rule, &headers);
	}
	const struct ynode *mn = ymap_get(node, "headerMatches");
	if (ynode_is_set(mn)) {
		struct ypath mp = YPATH_KEY(path, "headerMatches");
		decode_header_matches(h, mn, &mp, rule, &headers);
	}
	rule->headers = headers.items;
	rule->n_headers = headers.len;
}

bool cilium_http_decode(struct decoder *d, const struct ynode *http, const struct ypath *path,
			struct src_loc rules_loc, struct ir_l7 **out)
{
	*out = NULL;
	if (ynode_is_null(http))
		return true;
	if (!decode_sequence(d, http, path))
		return false;
	struct http_dec h = {.d = d, .arena = d->arena, .sources = d->diags->sources, .ok = true};
	if (http->seq.len == 0)
		return true;
	struct ir_http_rule *rules = arena_calloc(d->arena, http->seq.len, sizeof(*rules));
	struct ir_l7 *l7 = arena_alloc(d->arena, sizeof(*l7));
	if (!rules || !l7) {
		decode_error_at(d, http->loc, path, "internal", NULL, "out of memory");
		return false;
	}
	for (size_t i = 0; i < http->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		decode_rule(&h, http->seq.items[i], &ip, &rules[i]);
	}
	if (!h.ok)
		return false;
	memset(l7, 0, sizeof(*l7));
	l7->http = rules;
	l7->n_http = http->seq.len;
	l7->loc = rules_loc;
	l7->path = decode_path(d, path);
	*out = l7;
	return true;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * L7 rules of a toPorts item: HTTP rules are decoded for the datapath
 * (cilium_http.c), DNS rules and toFQDNs lowered by cilium_dns.c; what
 * polc does not compile yet is validated as Cilium validates it and then
 * refused as unsupported, naming the field: L7 rules kafka, l7proto/l7,
 * Envoy listeners, TLS contexts and SNI server names. Validating first
 * keeps "invalid" (Cilium would refuse the policy too) apart from
 * "unsupported" (Cilium would enforce it, polc cannot): an L7 rule is
 * never dropped, and its port never opened wider.
 *
 * Checks (cilium/cilium pkg/policy/api/rule_validation.go PortRule.sanitize,
 * L7Rules.sanitize, IngressRule.sanitize; pkg/policy/api/fqdn.go; the
 * vendored cilium/proxy pkg/policy/api/kafka PortRule.Sanitize; the CRD's
 * oneOf for rules and FQDN selectors):
 *   rules        one type: http, kafka, dns, or l7proto (+ l7)
 *   dns          egress only, needs ports, no port ranges (cilium_l4.c)
 *   kafka        role or apiKey, not both; known role and API key names
 *   l7           only with l7proto
 *   listener     egress only, never with rules
 *   serverNames  no empty name; with rules only when TLS is terminated
 *   FQDN/DNS     exactly one of matchName and matchPattern, DNS characters
 */
#include <string.h>
#include <strings.h>

#include "cilium.h"
#include "cilium_http.h"

static const char *const l7_fields[] = {"http", "kafka", "dns", "l7proto", "l7", NULL};
static const char *const secret_fields[] = {"name", "namespace", NULL};
static const char *const kafka_fields[] = {"role", "apiKey", "apiVersion", "clientID", "topic", NULL};
static const char *const fqdn_fields[] = {"matchName", "matchPattern", NULL};
static const char *const listener_fields[] = {"envoyConfig", "name", "priority", NULL};
static const char *const envoy_config_fields[] = {"kind", "name", NULL};
static const char *const tls_fields[] = {"secret", "trustedCA", "certificate", "privateKey", NULL};

static bool opt_string(struct cil *c, const struct ynode *map, const char *key, const struct ypath *path,
		       const char **out)
{
	*out = NULL;
	const struct ynode *n = ymap_get(map, key);
	if (!ynode_is_set(n))
		return true;
	struct ypath kp = YPATH_KEY(path, key);
	return decode_string(&c->d, n, &kp, out);
}

/* ^([-a-zA-Z0-9_]+[.]?)+$ (matchName) or with '*' (matchPattern), at most 255 bytes. */
static bool dns_chars_ok(const char *s, bool pattern)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			  ch == '_' || (pattern && ch == '*');
		if (ch == '.') {
			if (s[i + 1] == '.')
				return false;
			continue;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* {matchName} | {matchPattern}: an FQDN selector or a DNS rule (cilium_dns.c lowers both). */
bool cil_dns_selector(struct cil *c, const struct ynode *node, const struct ypath *path, const char **text,
		      bool *pattern_out)
{
	struct decoder *d = &c->d;
	if (!decode_mapping(d, node, path))
		return false;
	bool ok = decode_known_fields(d, node, path, fqdn_fields);
	const struct ynode *nn = ymap_get(node, "matchName");
	const struct ynode *pn = ymap_get(node, "matchPattern");
	if (ynode_is_set(nn) && ynode_is_set(pn)) {
		decode_error_at(d, ymap_get_key(node, "matchPattern")->loc, path, "forbidden",
				"write two items, one with matchName and one with matchPattern",
				"Forbidden: matchName and matchPattern are exclusive (must validate one and only one "
				"schema (oneOf))");
		return false;
	}
	if (!ynode_is_set(nn) && !ynode_is_set(pn)) {
		decode_error_at(d, node->loc, path, "required-field", NULL,
				"Required value: one of matchName, matchPattern is required");
		return false;
	}
	bool pattern = ynode_is_set(pn);
	const char *key = pattern ? "matchPattern" : "matchName";
	struct ypath kp = YPATH_KEY(path, key);
	const char *s;
	if (!decode_string(d, pattern ? pn : nn, &kp, &s))
		return false;
	if (!dns_chars_ok(s, pattern)) {
		decode_error_at(d, (pattern ? pn : nn)->loc, &kp, "invalid-value",
				pattern ? "letters, digits, '-', '_', '*' and single dots" : "letters, digits, '-', '_' and "
											     "single dots",
				"Invalid value: %s: should match '%s'", decode_quote(d, s),
				pattern ? "^([-a-zA-Z0-9_*]+[.]?)+$" : "^([-a-zA-Z0-9_]+[.]?)+$");
		return false;
	}
	*text = s;
	*pattern_out = pattern;
	return ok;
}

static void check_secret(struct cil *c, const struct ynode *node, const struct ypath *path)
{
	if (!decode_mapping(&c->d, node, path))
		return;
	decode_known_fields(&c->d, node, path, secret_fields);
	const char *name, *ns;
	if (opt_string(c, node, "name", path, &name) && !name) {
		struct ypath np = YPATH_KEY(path, "name");
		decode_error_at(&c->d, node->loc, &np, "required-field", NULL, "Required value");
	}
	opt_string(c, node, "namespace", path, &ns);
}

static bool lower_in(const char *s, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (strcasecmp(s, names[i]) == 0)
			return true;
	return false;
}

/* cilium/proxy pkg/policy/api/kafka/kafka.go PortRule.Sanitize */
static void check_kafka(struct cil *c, const struct ynode *node, const struct ypath *path)
{
	static const char *const roles[] = {"produce", "consume", NULL};
	static const char *const api_keys[] = {
		"produce", "fetch", "offsets", "metadata", "leaderandisr", "stopreplica", "updatemetadata",
		"controlledshutdown", "offsetcommit", "offsetfetch", "findcoordinator", "joingroup", "heartbeat",
		"leavegroup", "syncgroup", "describegroups", "listgroups", "saslhandshake", "apiversions",
		"createtopics", "deletetopics", "deleterecords", "initproducerid", "offsetforleaderepoch",
		"addpartitionstotxn", "addoffsetstotxn", "endtxn", "writetxnmarkers", "txnoffsetcommit",
		"describeacls", "createacls", "deleteacls", "describeconfigs", "alterconfigs", NULL,
	};
	struct decoder *d = &c->d;
	if (ynode_is_null(node) || !decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, kafka_fields);
	const char *role, *api_key, *api_version, *client_id, *topic;
	if (!opt_string(c, node, "role", path, &role) || !opt_string(c, node, "apiKey", path, &api_key) ||
	    !opt_string(c, node, "apiVersion", path, &api_version) ||
	    !opt_string(c, node, "clientID", path, &client_id) || !opt_string(c, node, "topic", path, &topic))
		return;
	if (role && *role && api_key && *api_key) {
		decode_error_at(d, ymap_get_key(node, "apiKey")->loc, path, "forbidden",
				"role stands for a set of API keys: keep one of the two",
				"cannot set both Role %s and APIKey %s together", decode_quote(d, role),
				decode_quote(d, api_key));
		return;
	}
	if (role && *role && !lower_in(role, roles)) {
		struct ypath rp = YPATH_KEY(path, "role");
		decode_error_at(d, ymap_get(node, "role")->loc, &rp, "unsupported-value", NULL,
				"Unsupported value: %s: supported values: \"produce\", \"consume\" (invalid Kafka role)",
				decode_quote(d, role));
	}
	if (api_key && *api_key && !lower_in(api_key, api_keys)) {
		struct ypath kp = YPATH_KEY(path, "apiKey");
		decode_error_at(d, ymap_get(node, "apiKey")->loc, &kp, "unsupported-value", NULL,
				"Unsupported value: %s: unknown Kafka API key", decode_quote(d, api_key));
	}
	if (api_version && *api_version && strspn(api_version, "0123456789") != strlen(api_version)) {
		struct ypath vp = YPATH_KEY(path, "apiVersion");
		decode_error_at(d, ymap_get(node, "apiVersion")->loc, &vp, "invalid-value", NULL,
				"Invalid value: %s: invalid Kafka API version", decode_quote(d, api_version));
	}
	if (topic && *topic) {
		size_t n = strlen(topic);
		bool ok = n <= 255;
		for (size_t i = 0; i < n && ok; i++) {
			char ch = topic[i];
			ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
			     ch == '_' || ch == '-';
		}
		if (!ok) {
			struct ypath tp = YPATH_KEY(path, "topic");
			decode_error_at(d, ymap_get(node, "topic")->loc, &tp, "invalid-value", NULL,
					"Invalid value: %s: invalid Kafka topic name", decode_quote(d, topic));
		}
	}
}

static const struct ynode *l7_list(struct cil *c, const struct ynode *rules, const char *key, const struct ypath *path)
{
	const struct ynode *n = ymap_get(rules, key);
	if (!ynode_is_set(n))
		return NULL;
	struct ypath kp = YPATH_KEY(path, key);
	return decode_sequence(&c->d, n, &kp) ? n : NULL;
}

/*
 * Shape: {http: [...]} | {kafka: [...]} | {dns: [...]} | {l7proto: NAME, l7: [{k: v}]}
 */
void cil_parse_l7(struct cil *c, const struct ynode *rules, const struct ypath *path, enum ir_dir dir,
		  size_t n_ports, struct cil_l7 *out)
{
	struct decoder *d = &c->d;
	memset(out, 0, sizeof(*out));
	if (!decode_mapping(d, rules, path))
		return;
	decode_known_fields(d, rules, path, l7_fields);
	static const char *const types[] = {"http", "kafka", "dns", "l7proto"};
	const char *first = NULL;
	bool first_conflict = false;
	for (size_t k = 0; k < rules->map.len; k++) {
		const char *key = rules->map.pairs[k].key->scalar.value;
		const struct ynode *v = rules->map.pairs[k].value;
		bool is_type = false;
		for (size_t t = 0; t < 4; t++)
			is_type |= strcmp(key, types[t]) == 0;
		if (!is_type || !ynode_is_set(v) || (v->kind == YNODE_SCALAR && v->scalar.len == 0))
			continue;
		if (first) {
			/* L7Rules.sanitize; the CRD's rules oneOf says the same. */
			decode_error_at(d, rules->map.pairs[k].key->loc, path, "forbidden",
					"one toPorts item carries one L7 protocol: write another toPorts item",
					"multiple L7 protocol rule types specified in single rule (%s and %s)", first, key);
			first_conflict = true;
			continue;
		}
		first = key;
	}
	const struct ynode *http = l7_list(c, rules, "http", path);
	const struct ynode *kafka = l7_list(c, rules, "kafka", path);
	const struct ynode *dns = l7_list(c, rules, "dns", path);
	const struct ynode *l7 = l7_list(c, rules, "l7", path);
	const char *l7proto = NULL;
	opt_string(c, rules, "l7proto", path, &l7proto);
	/* L7Rules.IsEmpty(): empty lists are no rules at all. */
	out->present = (http && http->seq.len) || (kafka && kafka->seq.len) || (dns && dns->seq.len) ||
		       (l7 && l7->seq.len);
	struct ypath hp = YPATH_KEY(path, "http");
	struct ypath kp = YPATH_KEY(path, "kafka");
	struct ypath dp = YPATH_KEY(path, "dns");
	struct ypath lp = YPATH_KEY(path, "l7");
	struct ypath pp = YPATH_KEY(path, "l7proto");
	/* HTTP rules are compiled (cilium_http.c); an empty list is none. */
	if (http)
		(void)cilium_http_decode(d, http, &hp, ymap_get_key(rules, "http")->loc, &out->http); /* errors reported */
	for (size_t i = 0; kafka && i < kafka->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&kp, i);
		check_kafka(c, kafka->seq.items[i], &ip);
	}
	/* Cilium checks DNS rules only when there are some (len(pr.Rules.DNS) > 0). */
	if (dns && dns->seq.len) {
		out->dns = true;
		out->dns_loc = ymap_get_key(rules, "dns")->loc;
		bool ok = true;
		if (dir == IR_INGRESS) {
			/* PortRule.sanitize(ingress) and IngressRule.sanitize */
			decode_error_at(d, out->dns_loc, &dp, "forbidden", "DNS rules apply to egress toPorts only",
					"DNS rules are not allowed on ingress (L7 protocol DNS is not supported on "
					"ingress yet)");
			ok = false;
		} else if (n_ports == 0) {
			decode_error_at(d, out->dns_loc, &dp, "required-field", "add ports: [{port: \"53\", protocol: ANY}]",
					"port 53 must be specified for DNS rules");
			ok = false;
		}
		const struct ir_l7 *ir = cil_dns_rules(c, dns, &dp, out->dns_loc);
		if (ok && !first_conflict)
			out->dns_rules = ir;
	}
	if (l7 && !(l7proto && *l7proto))
		decode_error_at(d, ymap_get_key(rules, "l7")->loc, &lp, "required-field", "set l7proto",
				"'l7' may only be specified when a 'l7proto' is also specified");
	for (size_t i = 0; l7 && i < l7->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(&lp, i);
		const struct ynode *m = l7->seq.items[i];
		if (!decode_mapping(d, m, &ip))
			continue;
		for (size_t k = 0; k < m->map.len; k++) {
			const char *s;
			decode_string(d, m->map.pairs[k].value, &ip, &s);
		}
	}

	if (kafka)
		cil_unsupported(c, ymap_get_key(rules, "kafka")->loc, &kp, NULL,
				"L7 Kafka rules (rules.kafka) are not supported by polc");
	if (l7proto && *l7proto)
		cil_unsupported(c, ymap_get_key(rules, "l7proto")->loc, &pp, NULL,
				"generic L7 rules (rules.l7proto %s) are not supported by polc", decode_quote(d, l7proto));
}

static void check_tls(struct cil *c, const struct ynode *node, const struct ypath *path)
{
	if (!decode_mapping(&c->d, node, path))
		return;
	decode_known_fields(&c->d, node, path, tls_fields);
	struct ypath sp = YPATH_KEY(path, "secret");
	const struct ynode *secret = ymap_get(node, "secret");
	if (!ynode_is_set(secret))
		decode_error_at(&c->d, node->loc, &sp, "required-field", NULL, "Required value");
	else
		check_secret(c, secret, &sp);
	const char *s;
	opt_string(c, node, "trustedCA", path, &s);
	opt_string(c, node, "certificate", path, &s);
	opt_string(c, node, "privateKey", path, &s);
}

void cil_parse_port_extras(struct cil *c, const struct ynode *port_rule, const struct ypath *path, enum ir_dir dir,
			   const struct cil_l7 *l7)
{
	struct decoder *d = &c->d;
	const struct ynode *listener = ymap_get(port_rule, "listener");
	const struct ynode *otls = ymap_get(port_rule, "originatingTLS");
	const struct ynode *ttls = ymap_get(port_rule, "terminatingTLS");
	const struct ynode *sni = ymap_get(port_rule, "serverNames");
	struct ypath lp = YPATH_KEY(path, "listener");
	struct ypath op = YPATH_KEY(path, "originatingTLS");
	struct ypath tp = YPATH_KEY(path, "terminatingTLS");
	struct ypath sp = YPATH_KEY(path, "serverNames");
	if (ynode_is_set(listener) && decode_mapping(d, listener, &lp)) {
		decode_known_fields(d, listener, &lp, listener_fields);
		const char *name = NULL;
		if (opt_string(c, listener, "name", &lp, &name) && (!name || !*name)) {
			struct ypath np = YPATH_KEY(&lp, "name");
			decode_error_at(d, listener->loc, &np, "required-field", NULL, "Required value");
		}
		struct ypath ep = YPATH_KEY(&lp, "envoyConfig");
		const struct ynode *ec = ymap_get(listener, "envoyConfig");
		if (!ynode_is_set(ec)) {
			decode_error_at(d, listener->loc, &ep, "required-field", NULL, "Required value");
		} else if (decode_mapping(d, ec, &ep)) {
			decode_known_fields(d, ec, &ep, envoy_config_fields);
			const char *kind, *ename;
			if (opt_string(c, ec, "kind", &ep, &kind) && kind && strcmp(kind, "CiliumEnvoyConfig") != 0 &&
			    strcmp(kind, "CiliumClusterwideEnvoyConfig") != 0) {
				struct ypath kp = YPATH_KEY(&ep, "kind");
				decode_error_at(d, ymap_get(ec, "kind")->loc, &kp, "unsupported-value", NULL,
						"Unsupported value: %s: supported values: \"CiliumEnvoyConfig\", "
						"\"CiliumClusterwideEnvoyConfig\"",
						decode_quote(d, kind));
			}
			if (opt_string(c, ec, "name", &ep, &ename) && (!ename || !*ename)) {
				struct ypath np = YPATH_KEY(&ep, "name");
				decode_error_at(d, ec->loc, &np, "required-field", NULL, "Required value");
			}
		}
		const struct ynode *prio = ymap_get(listener, "priority");
		struct ypath pp = YPATH_KEY(&lp, "priority");
		int32_t p;
		if (ynode_is_set(prio) && decode_int32(d, prio, &pp, &p) && (p < 1 || p > 100))
			decode_error_at(d, prio->loc, &pp, "invalid-value", NULL,
					"Invalid value: %d: should be between 1 and 100, inclusive", p);
		if (dir == IR_INGRESS)
			decode_error_at(d, ymap_get_key(port_rule, "listener")->loc, &lp, "forbidden",
					"Cilium redirects to custom listeners on egress only",
					"Listener is not allowed on ingress (%s)", name ? name : "");
		if (l7->present)
			decode_error_at(d, ymap_get_key(port_rule, "listener")->loc, &lp, "forbidden",
					"a listener does its own L7 filtering: drop rules or the listener",
					"Listener is not allowed with L7 rules (%s)", name ? name : "");
		cil_unsupported(c, ymap_get_key(port_rule, "listener")->loc, &lp,
				"polc enforces in the datapath, without Envoy",
				"redirecting to an Envoy listener (listener) is not supported by polc");
	}
	if (ynode_is_set(otls)) {
		check_tls(c, otls, &op);
		cil_unsupported(c, ymap_get_key(port_rule, "originatingTLS")->loc, &op, NULL,
				"TLS origination (originatingTLS) is not supported by polc");
	}
	if (ynode_is_set(ttls)) {
		check_tls(c, ttls, &tp);
		cil_unsupported(c, ymap_get_key(port_rule, "terminatingTLS")->loc, &tp, NULL,
				"TLS termination (terminatingTLS) is not supported by polc");
	}
	if (ynode_is_set(sni) && decode_sequence(d, sni, &sp)) {
		if (sni->seq.len == 0)
			decode_error_at(d, sni->loc, &sp, "invalid-value", NULL,
					"Invalid value: 0: should have at least 1 items");
		for (size_t i = 0; i < sni->seq.len; i++) {
			struct ypath ip = YPATH_INDEX(&sp, i);
			const char *s;
			if (!decode_string(d, sni->seq.items[i], &ip, &s))
				continue;
			if (!*s)
				decode_error_at(d, sni->seq.items[i]->loc, &ip, "invalid-value", NULL,
						"empty server name is not allowed");
			else if (!dns_chars_ok(s, true))
				decode_error_at(d, sni->seq.items[i]->loc, &ip, "invalid-value", NULL,
						"Invalid value: %s: should match '^([-a-zA-Z0-9_*]+[.]?)+$'",
						decode_quote(d, s));
		}
		if (l7->present && !ynode_is_set(ttls))
			decode_error_at(d, ymap_get_key(port_rule, "serverNames")->loc, &sp, "forbidden",
					"add terminatingTLS, or match the server name without L7 rules",
					"ServerNames are not allowed with L7 rules without TLS termination");
		cil_unsupported(c, ymap_get_key(port_rule, "serverNames")->loc, &sp, NULL,
				"TLS SNI matching (serverNames) is not supported by polc yet");
	}
}

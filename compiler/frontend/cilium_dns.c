/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium's DNS rules and toFQDNs -> the IR (cilium.h). Both are lists of
 * {matchName: NAME} | {matchPattern: PATTERN} (validated by
 * cil_dns_selector in cilium_l7.c, as Cilium's CRD and
 * pkg/policy/api/fqdn.go validate them); each item becomes the anchored
 * regex Cilium matches lower-case, fully qualified names against
 * (grammar/regex.h: regex_from_dns_name, regex_from_dns_pattern, the
 * translation of pkg/fqdn/matchpattern).
 *
 *   toPorts[].rules.dns: [{matchName} | {matchPattern}]   egress only
 *       the query names allowed on the item's ports (DNS over UDP and
 *       TCP); lowered as an ir_l7 with dns rules, shared by the ports.
 *       A pattern of only stars ("*", "**.") is every name, as Cilium's
 *       proxy reads it (GeneratePattern: MatchAllAnchoredPattern).
 *   egress[].toFQDNs: [{matchName} | {matchPattern}]
 *       one IR_PEER_FQDN per item: the addresses the endpoint learns
 *       from the answers to its DNS queries for matching names. Here a
 *       pattern of only stars is every well-formed name (ToAnchoredRegexp).
 */
#include <string.h>

#include "grammar/regex.h"

#include "cilium.h"

/* Only stars, with at most one trailing dot (pkg/fqdn/matchpattern isDNSWildcard). */
static bool dns_wildcard(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '*')
			return false;
	return true;
}

/* The regex of one selector; NULL after a diagnostic (or out of memory). */
static const char *selector_regex(struct cil *c, const struct ynode *node, const struct ypath *path, const char *text,
				  bool pattern)
{
	struct regex_error err;
	char *re = NULL;
	int rc = pattern ? regex_from_dns_pattern(c->arena, text, strlen(text), &re, &err)
			 : regex_from_dns_name(c->arena, text, strlen(text), &re, &err);
	if (rc == -ENOMEM) {
		c->oom = true;
		return NULL;
	}
	if (rc) {
		/* cil_dns_selector checked the characters: only a polc bug gets here. */
		struct ypath kp = YPATH_KEY(path, pattern ? "matchPattern" : "matchName");
		decode_error_at(&c->d, node->loc, &kp, "invalid-value", NULL, "%s: %s", decode_quote(&c->d, text),
				err.message);
		return NULL;
	}
	return re;
}

const struct ir_l7 *cil_dns_rules(struct cil *c, const struct ynode *dns, const struct ypath *path,
				  struct src_loc rules_loc)
{
	size_t n = dns->seq.len;
	bool ok = true;
	struct ir_dns_rule *rules = n ? arena_calloc(c->arena, n, sizeof(*rules)) : NULL;
	if (n && !rules) {
		c->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *item = dns->seq.items[i];
		const char *text;
		bool pattern;
		if (!cil_dns_selector(c, item, &ip, &text, &pattern)) {
			ok = false;
			continue;
		}
		struct ir_dns_rule *r = &rules[i];
		r->text = text;
		r->pattern = pattern;
		r->loc = item->loc;
		r->path = cil_path(c, &ip);
		/* The proxy's GeneratePattern: a wildcard item makes the whole rule match any name. */
		r->regex = pattern && dns_wildcard(text) ? "\\C*" : selector_regex(c, item, &ip, text, pattern);
		if (!r->regex)
			ok = false;
	}
	if (!ok || n == 0)
		return NULL;
	struct ir_l7 *l7 = arena_calloc(c->arena, 1, sizeof(*l7));
	if (!l7) {
		c->oom = true;
		return NULL;
	}
	l7->dns = rules;
	l7->n_dns = n;
	l7->loc = rules_loc;
	l7->path = cil_path(c, path);
	return l7;
}

void cil_parse_fqdns(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule)
{
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *item = list->seq.items[i];
		const char *text;
		bool pattern;
		if (!cil_dns_selector(c, item, &ip, &text, &pattern))
			continue;
		const char *re = selector_regex(c, item, &ip, text, pattern);
		if (!re)
			continue;
		struct ir_peer peer = {
			.kind = IR_PEER_FQDN,
			.loc = item->loc,
			.path = cil_path(c, &ip),
			.fqdn = {.text = text, .regex = re, .pattern = pattern},
		};
		if (vec_push(c->arena, &rule->peers, peer)) {
			c->oom = true;
			return;
		}
	}
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * DNS: the DNS rule sets that pass_l7 forms (one DFA per set over its
 * rules' regexes), and toFQDNs: which selectors each egress policy has,
 * and the DFA that names them from the question of a DNS answer.
 *
 * A query is matched in the datapath as Cilium's proxy matches it: the
 * question name, lower case (the DFAs fold ASCII case, RFC 4343), in
 * dotted form with its final dot, against the anchored regexes of
 * grammar/regex.h regex_from_dns_*. Rules with the same regex collapse
 * into the first (lowest rule id), which is the one reported.
 *
 * toFQDNs selectors are identified by a 30-bit hash of their regex,
 * the same in every compilation: learned addresses live in a map that
 * outlives generations (polc/layout.h struct polc_fqdn_value), and a new
 * generation must find what the old one learned under the same
 * selector. Two different regexes with the same hash in one policy set
 * would share addresses: that is a compile error (about one chance in
 * ten million for a thousand selectors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/regex.h"

#include "passes.h"

uint32_t dns_fqdn_hash(const char *regex)
{
	/* FNV-1a, folded to 30 bits: the peer key keeps the top two bits for its kind. */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)regex; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	h = (h ^ (h >> 30)) & ~POLC_PEER_KIND_MASK;
	return h ? h : 1;
}

static int regex_diag(struct pass_ctx *ctx, struct src_loc loc, const char *path, const char *text,
		      const struct regex_error *err)
{
	int rc = diag_error(ctx->diags, loc, path, err->code == -E2BIG ? "regex-too-complex" : "invalid-value",
			    err->code == -E2BIG ? "fewer or simpler names per peer and port" : NULL, "%s: %s", text,
			    err->message);
	return rc ? rc : -EINVAL;
}

/* One DFA over regexes[0..n), ASCII case folded. On a regex error, diagnostics at locs[index]. */
static int names_dfa(struct pass_ctx *ctx, const char *const *regexes, size_t n, const struct src_loc *locs,
		     const char *const *paths, const char *const *texts, const struct dfa **out)
{
	const struct regex_ast **asts = arena_calloc(ctx->arena, n ? n : 1, sizeof(*asts));
	if (!asts)
		return -ENOMEM;
	struct regex_error err;
	for (size_t i = 0; i < n; i++) {
		struct regex_ast *ast;
		int rc = regex_parse(ctx->arena, regexes[i], strlen(regexes[i]), REGEX_ICASE_ASCII, &ast, &err);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			return regex_diag(ctx, locs[i], paths[i], texts[i], &err);
		asts[i] = ast;
	}
	struct dfa *dfa;
	int rc = dfa_build(ctx->arena, (const struct regex_ast *const *)asts, n, NULL, &dfa, &err);
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		size_t at = err.index >= 0 && (size_t)err.index < n ? (size_t)err.index : 0;
		return regex_diag(ctx, locs[at], paths[at], texts[at], &err);
	}
	*out = dfa;
	return 0;
}

int dns_build_set(struct pass_ctx *ctx, uint32_t id, const struct ir_dns_rule **rules, const uint32_t *rule_ids,
		  size_t n, struct dp_dns_set **out)
{
	struct arena *a = ctx->arena;
	struct dp_dns_set *s = arena_calloc(a, 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->rules = arena_calloc(a, n ? n : 1, sizeof(*s->rules));
	s->rule_ids = arena_calloc(a, n ? n : 1, sizeof(*s->rule_ids));
	const char **regexes = arena_calloc(a, n ? n : 1, sizeof(*regexes));
	const char **texts = arena_calloc(a, n ? n : 1, sizeof(*texts));
	const char **paths = arena_calloc(a, n ? n : 1, sizeof(*paths));
	struct src_loc *locs = arena_calloc(a, n ? n : 1, sizeof(*locs));
	if (!s->rules || !s->rule_ids || !regexes || !texts || !paths || !locs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ir_dns_rule *r = rules[i];
		bool dup = false;
		for (size_t k = 0; k < s->n_rules && !dup; k++)
			dup = strcmp(s->rules[k]->regex, r->regex) == 0;
		if (dup)
			continue; /* members come in rule order: the first has the lowest rule id */
		size_t k = s->n_rules++;
		s->rules[k] = r;
		s->rule_ids[k] = rule_ids[i];
		regexes[k] = r->regex;
		texts[k] = r->text;
		paths[k] = r->path;
		locs[k] = r->loc;
	}
	int err = names_dfa(ctx, regexes, s->n_rules, locs, paths, texts, &s->dfa);
	if (err)
		return err;
	*out = s;
	return 0;
}

/* ---- toFQDNs ------------------------------------------------------------------ */

static int sel_cmp(const void *a, const void *b)
{
	const struct dp_fqdn_selector *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return strcmp(x->regex, y->regex);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static const struct dp_fqdn_selector *find_selector(const struct ir_datapath *dp, uint32_t hash)
{
	size_t lo = 0, hi = dp->fqdn_selectors.len;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t h = dp->fqdn_selectors.items[mid].hash;
		if (h == hash)
			return &dp->fqdn_selectors.items[mid];
		if (h < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Every selector of the program, once per regex; two regexes with one hash are refused. */
static int collect_selectors(struct pass_ctx *ctx)
{
	struct ir_datapath *dp = ctx->dp;
	for (size_t r = 0; r < ctx->prog->rules.len; r++) {
		const struct ir_rule *rule = ctx->prog->rules.items[r];
		for (size_t i = 0; i < rule->n_peers; i++) {
			const struct ir_peer *peer = &rule->peers[i];
			if (peer->kind != IR_PEER_FQDN)
				continue;
			struct dp_fqdn_selector s = {dns_fqdn_hash(peer->fqdn.regex), peer->fqdn.regex, peer};
			if (vec_push(ctx->arena, &dp->fqdn_selectors, s))
				return -ENOMEM;
		}
	}
	if (dp->fqdn_selectors.len > 1)
		qsort(dp->fqdn_selectors.items, dp->fqdn_selectors.len, sizeof(*dp->fqdn_selectors.items), sel_cmp);
	size_t n = 0;
	for (size_t i = 0; i < dp->fqdn_selectors.len; i++) {
		const struct dp_fqdn_selector *s = &dp->fqdn_selectors.items[i];
		if (n && dp->fqdn_selectors.items[n - 1].hash == s->hash) {
			const struct dp_fqdn_selector *prev = &dp->fqdn_selectors.items[n - 1];
			if (strcmp(prev->regex, s->regex) == 0)
				continue;
			int err = diag_error(ctx->diags, s->peer->loc, s->peer->path, "fqdn-selector-collision",
					     "write the name differently (another selector of the same names)",
					     "toFQDNs %s and %s have the same 30-bit identity: polc cannot keep their "
					     "learned addresses apart",
					     s->peer->fqdn.text, prev->peer->fqdn.text);
			return err ? err : -EINVAL;
		}
		dp->fqdn_selectors.items[n++] = *s;
	}
	dp->fqdn_selectors.len = n;
	return 0;
}

static bool same_hashes(const struct dp_fqdn_group *g, const uint32_t *h, size_t n)
{
	return g->n == n && (n == 0 || memcmp(g->hashes, h, n * sizeof(*h)) == 0);
}

/* Per policy id: has it an entry under a DNS rule set (what toFQDNs learns from)? */
static bool *policies_with_dns(struct pass_ctx *ctx, uint32_t max_policy)
{
	const struct ir_datapath *dp = ctx->dp;
	bool *has = arena_calloc(ctx->arena, (size_t)max_policy + 1, sizeof(bool));
	if (!has)
		return NULL;
	for (size_t i = 0; i < dp->entries.len && dp->features.have_l7_dns; i++) {
		const struct dp_policy_entry *e = &dp->entries.items[i];
		if (e->value.l7 >= dp->features.dns_set_first && e->key.policy <= max_policy)
			has[e->key.policy] = true;
	}
	return has;
}

int pass_dns(struct pass_ctx *ctx)
{
	struct ir_datapath *dp = ctx->dp;
	struct arena *a = ctx->arena;
	int err = collect_selectors(ctx);
	if (err || dp->fqdn_selectors.len == 0)
		return err;

	uint32_t max_policy = 0;
	for (size_t i = 0; i < dp->policies.len; i++)
		if (dp->policies.items[i]->id > max_policy)
			max_policy = dp->policies.items[i]->id;
	dp->policy_fqdn_group = arena_calloc(a, (size_t)max_policy + 1, sizeof(uint32_t));
	uint32_t *hashes = arena_calloc(a, dp->fqdn_selectors.len, sizeof(uint32_t));
	bool *with_dns = policies_with_dns(ctx, max_policy);
	if (!dp->policy_fqdn_group || !hashes || !with_dns)
		return -ENOMEM;
	const struct ir_peer *warned = NULL;

	for (size_t pi = 0; pi < dp->policies.len; pi++) {
		const struct dp_policy *pol = dp->policies.items[pi];
		size_t n = 0;
		const struct ir_peer *first = NULL;
		for (size_t r = 0; r < pol->n_rules; r++) {
			const struct dp_applied_rule *ar = &pol->rules[r];
			if (ar->inert || ar->rule->action != IR_ALLOW)
				continue;
			for (size_t k = 0; k < ar->rule->n_peers; k++) {
				const struct ir_peer *peer = &ar->rule->peers[k];
				if (peer->kind != IR_PEER_FQDN)
					continue;
				if (!first)
					first = peer;
				uint32_t h = dns_fqdn_hash(peer->fqdn.regex);
				bool seen = false;
				for (size_t j = 0; j < n && !seen; j++)
					seen = hashes[j] == h;
				if (!seen)
					hashes[n++] = h;
			}
		}
		if (n == 0)
			continue;
		qsort(hashes, n, sizeof(*hashes), u32_cmp);
		if (!with_dns[pol->id] && first != warned) {
			/* Cilium's classic footgun, said at compile time. */
			warned = first;
			diag_warning(ctx->diags, first->loc, first->path, "fqdn-without-dns-rule",
				     "add an egress rule with toPorts [{ports: [{port: \"53\", protocol: ANY}], rules: "
				     "{dns: [{matchPattern: \"*\"}]}}] to the DNS servers",
				     "toFQDNs learns addresses from the answers to DNS queries that a DNS rule judged, and "
				     "no DNS rule applies to the pods this selects (%zu): it allows them nothing",
				     pol->n_endpoints);
		}
		uint32_t gid = 0;
		for (size_t g = 0; g < dp->fqdn_groups.len && !gid; g++)
			if (same_hashes(dp->fqdn_groups.items[g], hashes, n))
				gid = dp->fqdn_groups.items[g]->id;
		if (!gid) {
			struct dp_fqdn_group *g = arena_calloc(a, 1, sizeof(*g));
			const char **regexes = arena_calloc(a, n, sizeof(*regexes));
			const char **texts = arena_calloc(a, n, sizeof(*texts));
			const char **paths = arena_calloc(a, n, sizeof(*paths));
			struct src_loc *locs = arena_calloc(a, n, sizeof(*locs));
			if (!g || !regexes || !texts || !paths || !locs)
				return -ENOMEM;
			g->hashes = arena_calloc(a, n, sizeof(uint32_t));
			if (!g->hashes)
				return -ENOMEM;
			memcpy(g->hashes, hashes, n * sizeof(uint32_t));
			g->n = n;
			for (size_t i = 0; i < n; i++) {
				const struct dp_fqdn_selector *s = find_selector(dp, hashes[i]);
				regexes[i] = s->regex;
				texts[i] = s->peer->fqdn.text;
				paths[i] = s->peer->path;
				locs[i] = s->peer->loc;
			}
			err = names_dfa(ctx, regexes, n, locs, paths, texts, &g->dfa);
			if (err)
				return err;
			g->id = (uint32_t)dp->fqdn_groups.len + 1;
			if (vec_push(a, &dp->fqdn_groups, g))
				return -ENOMEM;
			gid = g->id;
		}
		dp->policy_fqdn_group[pol->id] = gid;
	}
	return 0;
}

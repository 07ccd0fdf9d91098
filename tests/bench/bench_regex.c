/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Regex compile benchmark: DFA sizes (states x classes, bytes of the
 * transition table at the narrowest entry width) and build times for
 * realistic L7 rules, alone and combined per port as the datapath gets
 * them. Prints one line per case; exit status 1 if a case fails to build.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "grammar/regex.h"

struct bench_case {
	const char *name;
	unsigned flags;
	const char *patterns[12];
};

static const struct bench_case cases[] = {
	{"method GET", 0, {"GET"}},
	{"methods GET|POST|PUT|DELETE", 0, {"GET|POST|PUT|DELETE"}},
	{"path /public/.*", 0, {"/public/.*"}},
	{"path /api/v[0-9]+/users/[^/]+", 0, {"/api/v[0-9]+/users/[^/]+"}},
	{"path /static/.*\\.(css|js|png)", 0, {"/static/.*\\.(css|js|png)"}},
	{"path uuid", 0,
	 {"/orders/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"}},
	{"host (?i)api.example.com", 0, {"(?i)api\\.example\\.com"}},
	{"host (?i)(.*\\.)?example.(com|org)", 0, {"(?i)(.*\\.)?example\\.(com|org)(:[0-9]+)?"}},
	{"dns *.example.com", REGEX_ICASE_ASCII, {"^[-a-zA-Z0-9_]*[.]example[.]com[.]$"}},
	{"dns **.example.com", REGEX_ICASE_ASCII,
	 {"^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+)*)[.]example[.]com[.]$"}},
	{"port: 8 path rules", 0,
	 {"/", "/healthz", "/public/.*", "/api/v[0-9]+/users/[^/]+", "/api/v[0-9]+/orders(/.*)?",
	  "/static/.*\\.(css|js|png)", "/admin/.*", "/metrics"}},
	{"port: 10 dns names", REGEX_ICASE_ASCII,
	 {"^[-a-zA-Z0-9_]*[.]example[.]com[.]$", "^api[.]github[.]com[.]$",
	  "^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+)*)[.]googleapis[.]com[.]$",
	  "^[-a-zA-Z0-9_]*[.]s3[.]amazonaws[.]com[.]$", "^registry[.]k8s[.]io[.]$",
	  "^quay[.]io[.]$", "^ghcr[.]io[.]$", "^docker[.]io[.]$",
	  "^[-a-zA-Z0-9_]*[.]docker[.]io[.]$", "^pypi[.]org[.]$"}},
	{"explosive (a|b)*a(a|b){8}", 0, {"(a|b)*a(a|b){8}"}},
};

int main(void)
{
	int status = 0;

	printf("%-38s %7s %7s %5s %9s %9s\n", "case", "states", "classes", "width", "bytes",
	       "build_us");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bench_case *c = &cases[i];
		struct arena *arena = arena_new();
		struct regex_ast *asts[12];
		struct regex_error err;
		struct timespec t0, t1;
		struct dfa *d = NULL;
		size_t n = 0;
		int rc = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (; n < 12 && c->patterns[n] && !rc; n++)
			rc = regex_parse(arena, c->patterns[n], strlen(c->patterns[n]), c->flags,
					 &asts[n], &err);
		if (!rc)
			rc = dfa_build(arena, (const struct regex_ast *const *)asts, n, NULL, &d, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc) {
			printf("%-38s error: %s\n", c->name, err.message);
			status = 1;
		} else {
			printf("%-38s %7u %7u %5u %9zu %9ld\n", c->name, d->n_states, d->n_classes,
			       dfa_state_width(d),
			       (size_t)d->n_states * d->n_classes * dfa_state_width(d),
			       (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
		}
		arena_free(arena);
	}
	return status;
}

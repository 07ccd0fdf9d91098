/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A node agent in miniature, linking libpolc as an installed library
 * (pkg-config --cflags --libs libpolc, nothing from polc's source tree):
 * load a policy, add the pods the compiled inventory did not know, read
 * the verdict events while traffic flows, swap to a second policy, read
 * again, print the rule counters, unload. tests/e2e/test_agent_demo.sh
 * builds it against `make install DESTDIR=...` and drives it with real
 * traffic; it prints what it sees and exits 0 only when every step
 * behaved (events named the policy rule, the swap was one switch, ...).
 *
 *   agent_demo PIN_DIR ART1 ART2 [NS/NAME=IFNAME,IP[,IP],KEY=VALUE ...]
 *
 * Between steps it prints "READY <step>" and waits for one line on stdin
 * (the test's traffic runs meanwhile), reading events all the while.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <polc/libpolc.h>

#define MAX_PODS 8

struct tally {
	unsigned forwarded, dropped, audit;
	unsigned named; /* events that named a policy with its file:line */
	unsigned printed;
};

static int on_flow(const struct polc_flow *f, void *ctx)
{
	struct tally *t = ctx;
	if (strcmp(f->verdict, "FORWARDED") == 0)
		t->forwarded++;
	else if (strcmp(f->verdict, "AUDIT") == 0)
		t->audit++;
	else
		t->dropped++;
	if (f->policy.name && f->policy.file && f->policy.line)
		t->named++;
	/* Pod traffic only: IPv6 link-local housekeeping would drown the log. */
	if (f->source.pod_name && f->destination.pod_name && t->printed < 40) {
		char line[4096];
		polc_flow_json(f, line, sizeof(line));
		printf("  event %s\n", line);
		t->printed++;
	}
	return 0;
}

/* READY, then read events until the test says go on (one line on stdin, bounded). */
static int wait_step(struct polc_monitor *m, const char *step, struct tally *t)
{
	printf("READY %s\n", step);
	fflush(stdout);
	for (int i = 0; i < 600; i++) {
		struct polc_error err;
		int rc = polc_monitor_poll(m, 50, on_flow, t, &err);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "agent: events: %s\n", err.message);
			return -1;
		}
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(&p, 1, 0) == 1) {
			char buf[64];
			if (!fgets(buf, sizeof(buf), stdin))
				return -1;
			polc_monitor_poll(m, 200, on_flow, t, &err); /* the last ones */
			return 0;
		}
	}
	fprintf(stderr, "agent: no go-ahead for %s within 30 s\n", step);
	return -1;
}

struct pod_arg {
	char buf[512];
	const char *ips[2];
	struct polc_label labels[4];
	struct polc_pod pod;
};

/* NS/NAME=IFNAME,IP[,IP],KEY=VALUE[,KEY=VALUE] */
static int parse_pod(const char *arg, struct pod_arg *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->buf, sizeof(p->buf), "%s", arg);
	p->pod.sz = sizeof(p->pod);
	char *eq = strchr(p->buf, '=');
	char *slash = strchr(p->buf, '/');
	if (!eq || !slash || slash > eq)
		return -1;
	*eq = *slash = '\0';
	p->pod.namespace = p->buf;
	p->pod.name = slash + 1;
	char *save = NULL;
	p->pod.interface = strtok_r(eq + 1, ",", &save);
	for (char *tok = strtok_r(NULL, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *kv = strchr(tok, '=');
		if (kv && p->pod.n_labels < 4) {
			*kv = '\0';
			p->labels[p->pod.n_labels++] = (struct polc_label){ tok, kv + 1 };
		} else if (!kv && p->pod.n_ips < 2) {
			p->ips[p->pod.n_ips++] = tok;
		}
	}
	p->pod.ips = p->ips;
	p->pod.labels = p->labels;
	return p->pod.interface ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: agent_demo PIN_DIR ART1 ART2 [NS/NAME=IFNAME,IP,KEY=VALUE ...]\n");
		return 2;
	}
	static struct pod_arg pods[MAX_PODS];
	int n_pods = 0;
	for (int i = 4; i < argc && n_pods < MAX_PODS; i++)
		if (parse_pod(argv[i], &pods[n_pods++])) {
			fprintf(stderr, "agent: cannot read pod %s\n", argv[i]);
			return 2;
		}

	struct polc_error err;
	struct polc_datapath *dp = NULL;
	struct polc_monitor *mon = NULL;
	struct tally before = { 0 }, after = { 0 };
	int failures = 0;
#define CHECK(cond, ...)                                  \
	do {                                              \
		bool ok_ = (cond);                        \
		printf("  %s ", ok_ ? "ok  " : "FAIL");   \
		printf(__VA_ARGS__);                      \
		printf("\n");                             \
		failures += !ok_;                         \
	} while (0)

	POLC_OPTS(polc_datapath_opts, opts, .pin_dir = argv[1], .events = POLC_EVENTS_ALL);
	if (polc_datapath_open(&opts, &dp, &err)) {
		fprintf(stderr, "agent: %s\n", err.message);
		return 1;
	}

	printf("step 1: load %s\n", argv[2]);
	POLC_OPTS(polc_apply_result, res);
	int rc = polc_datapath_apply_file(dp, argv[2], &res, &err);
	CHECK(rc == 0 && res.outcome == POLC_APPLY_LOADED, "loaded revision %016llx, %u endpoints, %s%s%s",
	      (unsigned long long)res.revision, res.endpoints, polc_attach_mode_str(res.attach_mode), rc ? ": " : "",
	      rc ? err.message : "");
	if (rc)
		goto out;
	uint32_t ct_map = res.ct_map_id;

	if ((rc = polc_monitor_open(dp, &mon, &err))) {
		CHECK(false, "monitor: %s", err.message);
		goto unload;
	}

	printf("step 2: add %d endpoint(s) the compiled inventory did not have\n", n_pods);
	struct polc_pod_change changes[MAX_PODS];
	for (int i = 0; i < n_pods; i++)
		changes[i] = (struct polc_pod_change){ .op = POLC_POD_ADD, .pod = &pods[i].pod };
	POLC_OPTS(polc_endpoints_result, er);
	rc = polc_endpoints_change(dp, changes, (size_t)n_pods, &er, &err);
	CHECK(rc == 0 && er.attached == (uint32_t)n_pods,
	      "endpoints: %u now, identities +%u, entries +%u, %u attached, %.2f ms (resolve %.2f ms)%s%s", er.endpoints,
	      er.identities_added, er.entries_added, er.attached, (double)er.total_ns / 1e6, (double)er.resolve_ns / 1e6,
	      rc ? ": " : "", rc ? err.message : "");

	POLC_OPTS(polc_status, st);
	rc = polc_datapath_status(dp, &st, &err);
	CHECK(rc == 0 && st.loaded && st.revision != st.artifact_revision && st.pods_changed == (uint32_t)n_pods,
	      "status: revision %016llx (artifact %016llx), %u endpoints of %u", (unsigned long long)st.revision,
	      (unsigned long long)st.artifact_revision, st.endpoints, st.endpoints_max);

	if (wait_step(mon, "traffic-1", &before))
		goto unload;
	CHECK(before.forwarded > 0 && before.dropped > 0 && before.named > 0,
	      "events under policy 1: %u forwarded, %u dropped, %u naming their rule", before.forwarded, before.dropped,
	      before.named);

	printf("step 3: swap to %s\n", argv[3]);
	POLC_OPTS(polc_apply_result, res2);
	rc = polc_datapath_apply_file(dp, argv[3], &res2, &err);
	CHECK(rc == 0 && res2.outcome == POLC_APPLY_SWAPPED && res2.ct_map_id == ct_map,
	      "swapped to %016llx from %016llx, conntrack kept (map %u)%s%s", (unsigned long long)res2.revision,
	      (unsigned long long)res2.prev_revision, res2.ct_map_id, rc ? ": " : "", rc ? err.message : "");
	POLC_OPTS(polc_apply_result, res3);
	rc = polc_datapath_apply_file(dp, argv[3], &res3, &err);
	CHECK(rc == 0 && res3.outcome == POLC_APPLY_UNCHANGED, "the same artifact again: %s",
	      rc ? err.message : polc_apply_outcome_str(res3.outcome));

	if (wait_step(mon, "traffic-2", &after))
		goto unload;
	CHECK(after.dropped > 0 && after.named > 0, "events under policy 2: %u forwarded, %u dropped, %u naming their rule",
	      after.forwarded, after.dropped, after.named);

	struct polc_rule_info *rules = NULL;
	size_t n_rules = 0;
	rc = polc_rules_list(dp, &rules, &n_rules, &err);
	uint64_t packets = 0;
	for (size_t i = 0; rc == 0 && i < n_rules; i++) {
		printf("  rule %u %s %s/%s %s %s at %s:%u:%u: %llu packets, %llu bytes\n", rules[i].id, rules[i].kind,
		       rules[i].namespace, rules[i].name, rules[i].direction, rules[i].action, rules[i].file, rules[i].line,
		       rules[i].column, (unsigned long long)rules[i].packets, (unsigned long long)rules[i].bytes);
		packets += rules[i].packets;
	}
	CHECK(rc == 0 && n_rules > 0 && packets > 0, "rule counters: %zu rules, %llu packets", n_rules,
	      (unsigned long long)packets);
	polc_free(rules);

unload:
	polc_monitor_close(mon);
	mon = NULL;
	printf("step 4: unload\n");
	rc = polc_datapath_unload(dp, &err);
	CHECK(rc == 0 && access(argv[1], F_OK) != 0, "unloaded, %s gone%s%s", argv[1], rc ? ": " : "",
	      rc ? err.message : "");
out:
	polc_datapath_close(dp);
	printf("agent: %s\n", failures ? "FAILED" : "all steps behaved");
	return failures ? 1 : 0;
}

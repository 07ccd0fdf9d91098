/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc status and polc monitor: libpolc's status, counters and verdict
 * events from a shell, as text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "polc/layout.h"
#include "polc/libpolc.h"

#include "cli.h"

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static const char *events_name(enum polc_events e)
{
	switch (e) {
	case POLC_EVENTS_DEFAULT:
	case POLC_EVENTS_ALL:
		return "drops and new flows";
	case POLC_EVENTS_DROPS:
		return "drops";
	case POLC_EVENTS_NONE:
		return "none";
	}
	return "?";
}

static void flags_str(uint32_t flags, int dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s", flags & POLC_EP_ENFORCE(dir) ? "enforce" : flags & POLC_EP_AUDIT(dir) ? "audit" : "open");
}

int cli_endpoints_print(struct polc_datapath *dp, bool json)
{
	struct polc_error err;
	struct polc_endpoint_info *eps = NULL;
	size_t n = 0;
	if (polc_endpoints_list(dp, &eps, &n, &err)) {
		fprintf(stderr, "polc: %s\n", err.message);
		return EXIT_KERNEL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct polc_endpoint_info *e = &eps[i];
		char in[16], out[16];
		flags_str(e->flags, POLC_DIR_INGRESS, in, sizeof(in));
		flags_str(e->flags, POLC_DIR_EGRESS, out, sizeof(out));
		if (json) {
			printf("%s{\"namespace\":", i ? ",\n  " : "[\n  ");
			json_str(e->namespace);
			printf(",\"pod_name\":");
			json_str(e->name);
			printf(",\"interface\":");
			json_str(e->ifname);
			printf(",\"ifindex\":%u,\"endpoint_id\":%u,\"identity\":%u,\"ingress\":\"%s\",\"egress\":\"%s\","
			       "\"ingress_policy\":%u,\"egress_policy\":%u,\"ips\":[",
			       e->ifindex, e->endpoint_id, e->identity, in, out, e->policy_ingress, e->policy_egress);
			for (int a = 0, k = 0; a < 2; a++)
				if (e->addrs[a][0])
					printf("%s\"%s\"", k++ ? "," : "", e->addrs[a]);
			printf("],\"labels\":");
			json_str(e->labels);
			printf("}");
		} else {
			if (i == 0)
				printf("  %-4s %-28s %-16s %-8s %-8s %-8s %s\n", "ID", "POD", "INTERFACE", "IDENTITY", "INGRESS",
				       "EGRESS", "IPS");
			char pod[330];
			snprintf(pod, sizeof(pod), "%s/%s", e->namespace, e->name);
			printf("  %-4u %-28s %-16s %-8u %-8s %-8s %s%s%s%s\n", e->endpoint_id, pod, e->ifname, e->identity, in,
			       out, e->addrs[0], e->addrs[1][0] ? "," : "", e->addrs[1], e->ifindex ? "" : " (interface gone)");
		}
	}
	if (json)
		printf(n ? "\n]" : "[]");
	polc_free(eps);
	return 0;
}

static int rules_print(struct polc_datapath *dp, bool json)
{
	struct polc_error err;
	struct polc_rule_info *rules = NULL;
	size_t n = 0;
	if (polc_rules_list(dp, &rules, &n, &err)) {
		fprintf(stderr, "polc status: %s\n", err.message);
		return EXIT_KERNEL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct polc_rule_info *r = &rules[i];
		if (json) {
			printf("%s{\"id\":%u,\"kind\":", i ? ",\n  " : "[\n  ", r->id);
			json_str(r->kind);
			printf(",\"namespace\":");
			json_str(r->namespace);
			printf(",\"name\":");
			json_str(r->name);
			printf(",\"direction\":\"%s\",\"action\":\"%s\",\"mode\":\"%s\",\"file\":", r->direction, r->action,
			       r->audit ? "audit" : "enforce");
			json_str(r->file);
			printf(",\"line\":%u,\"column\":%u,\"rule\":", r->line, r->column);
			json_str(r->path);
			printf(",\"packets\":%llu,\"bytes\":%llu}", (unsigned long long)r->packets,
			       (unsigned long long)r->bytes);
		} else {
			if (i == 0)
				printf("  %-4s %10s %12s  %-7s %-5s %s\n", "ID", "PACKETS", "BYTES", "DIR", "ACTION",
				       "POLICY / RULE / SOURCE");
			printf("  %-4u %10llu %12llu  %-7s %-5s %s %s%s%s %s  %s:%u:%u%s\n", r->id,
			       (unsigned long long)r->packets, (unsigned long long)r->bytes, r->direction, r->action, r->kind,
			       r->namespace, *r->namespace ? "/" : "", r->name, r->path, r->file, r->line, r->column,
			       r->audit ? "  (audit)" : "");
		}
	}
	if (json)
		printf(n ? "\n]" : "[]");
	polc_free(rules);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	POLC_OPTS(polc_datapath_opts, opts);
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: polc status [--pin-dir DIR] [--json]\n\n"
			       "The live generation, its endpoints and every rule with its packet and byte counters.\n");
			return 0;
		default:
			fprintf(stderr, "usage: polc status [--pin-dir DIR] [--json]\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: polc status [--pin-dir DIR] [--json]\n");
		return EXIT_USAGE;
	}
	struct polc_error err;
	struct polc_datapath *dp = NULL;
	POLC_OPTS(polc_status, st);
	int rc = polc_datapath_open(&opts, &dp, &err);
	if (!rc)
		rc = polc_datapath_status(dp, &st, &err);
	if (rc) {
		fprintf(stderr, "polc status: %s\n", err.message);
		polc_datapath_close(dp);
		return EXIT_KERNEL;
	}
	const char *pin = opts.pin_dir ? opts.pin_dir : POLC_DEFAULT_PIN_DIR;
	if (json) {
		printf("{\"pin_dir\":");
		json_str(pin);
		printf(",\"loaded\":%s", st.loaded ? "true" : "false");
		if (st.loaded) {
			printf(",\"revision\":\"%016llx\",\"artifact_revision\":\"%016llx\",\"pending\":%s,"
			       "\"program_id\":%u,\"attach_mode\":\"%s\",\"compiled_by\":",
			       (unsigned long long)st.revision, (unsigned long long)st.artifact_revision,
			       st.pending ? "true" : "false", st.gen_prog_id, polc_attach_mode_str(st.attach_mode));
			json_str(st.polc_version);
			printf(",\"pods_changed\":%u,\"endpoints\":{\"count\":%u,\"max\":%u},\"identities\":%u,\"rules\":%u,"
			       "\"ipcache\":{\"count\":%u,\"max\":%u},\"policy_entries\":{\"count\":%u,\"max\":%u},"
			       "\"conntrack\":{\"count\":%u,\"max\":%u},\"events\":{\"mode\":\"%s\",\"suppressed\":%llu,"
			       "\"lost\":%llu},\"endpoint_list\":",
			       st.pods_changed, st.endpoints, st.endpoints_max, st.identities, st.rules, st.ipcache_entries,
			       st.ipcache_max, st.policy_entries, st.policy_max, st.ct_entries, st.ct_max,
			       events_name(st.events), (unsigned long long)st.events_suppressed,
			       (unsigned long long)st.events_lost);
			cli_endpoints_print(dp, true);
			printf(",\"rule_list\":");
			rules_print(dp, true);
		}
		printf("}\n");
	} else if (!st.loaded) {
		printf("datapath %s: nothing loaded\n", pin);
	} else {
		printf("datapath    %s\n", pin);
		printf("generation  revision %016llx", (unsigned long long)st.revision);
		if (st.revision != st.artifact_revision)
			printf(" (artifact %016llx + %u pod change%s)", (unsigned long long)st.artifact_revision,
			       st.pods_changed, st.pods_changed == 1 ? "" : "s");
		printf(", program %u, %s, compiled by polc %s%s\n", st.gen_prog_id, polc_attach_mode_str(st.attach_mode),
		       st.polc_version[0] ? st.polc_version : "?",
		       st.pending ? "\n            PENDING: an endpoint change was interrupted; the next one finishes it" : "");
		printf("endpoints   %u of %u    identities %u    rules %u\n", st.endpoints, st.endpoints_max,
		       st.identities, st.rules);
		printf("maps        ipcache %u of %u, policy %u of %u, conntrack %u of %u\n", st.ipcache_entries,
		       st.ipcache_max, st.policy_entries, st.policy_max, st.ct_entries, st.ct_max);
		printf("events      %s; not reported: %llu over the rate limit, %llu ring buffer full\n",
		       events_name(st.events), (unsigned long long)st.events_suppressed, (unsigned long long)st.events_lost);
		printf("\nendpoints:\n");
		cli_endpoints_print(dp, false);
		printf("\nrules:\n");
		rules_print(dp, false);
	}
	polc_datapath_close(dp);
	return 0;
}

/* ---- polc monitor ---- */

static volatile sig_atomic_t stop_monitor;

static void on_signal(int sig)
{
	(void)sig;
	stop_monitor = 1;
}

struct monitor_opts {
	bool json;
	bool drops_only;
	long max;
	long seen;
};

static int print_flow(const struct polc_flow *f, void *ctx)
{
	struct monitor_opts *mo = ctx;
	if (mo->drops_only && strcmp(f->verdict, "FORWARDED") == 0)
		return 0;
	char buf[4096];
	int n = mo->json ? polc_flow_json(f, buf, sizeof(buf)) : polc_flow_text(f, buf, sizeof(buf));
	if (n > 0)
		printf("%s\n", buf);
	fflush(stdout);
	mo->seen++;
	return mo->max > 0 && mo->seen >= mo->max;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"drops", no_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: polc monitor [--pin-dir DIR] [--json] [--drops] [--count N] [--timeout SECONDS]\n";
	POLC_OPTS(polc_datapath_opts, opts);
	struct monitor_opts mo = {0};
	double timeout = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hjdn:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'j':
			mo.json = true;
			break;
		case 'd':
			mo.drops_only = true;
			break;
		case 'n':
			mo.max = strtol(optarg, NULL, 10);
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		case 'h':
			printf("%s\nPrint verdict events as they happen: every drop and every newly allowed\n"
			       "flow, with the policy and source rule that decided (JSON lines with Hubble's\n"
			       "field names under --json). Stops on SIGINT/SIGTERM, after N events or after\n"
			       "SECONDS.\n",
			       usage);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct polc_error err;
	struct polc_datapath *dp = NULL;
	struct polc_monitor *m = NULL;
	int rc = polc_datapath_open(&opts, &dp, &err);
	if (!rc)
		rc = polc_monitor_open(dp, &m, &err);
	if (rc) {
		fprintf(stderr, "polc monitor: %s\n", err.message);
		polc_datapath_close(dp);
		return rc == -EBUSY ? EXIT_USAGE : EXIT_KERNEL;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	double waited = 0;
	int status = 0;
	while (!stop_monitor && !(mo.max > 0 && mo.seen >= mo.max) && !(timeout > 0 && waited >= timeout)) {
		rc = polc_monitor_poll(m, 100, print_flow, &mo, &err);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "polc monitor: %s\n", err.message);
			status = EXIT_KERNEL;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
	}
	polc_monitor_close(m);
	polc_datapath_close(dp);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc diff OLD NEW: the flows whose verdict changes between two policy
 * sets over one inventory (analysis/diff.h says which flows are
 * enumerated), as text, JSON, or Markdown for a pull-request comment.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"
#include "cli.h"
#include "driver/driver.h"
#include "flow_report.h"

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_MARKDOWN };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc diff [--format text|json|markdown] [--inventory FILE]... [--exit-code] OLD NEW\n"
		"\n"
		"OLD and NEW are policy sets (files or directories). The inventory (Namespaces,\n"
		"Pods with status.podIPs) comes from --inventory, or from the sets themselves.\n"
		"Every flow between pods, and between pods and representative outside addresses\n"
		"(one per CIDR and except the rules name, and one outside all), on every port the\n"
		"rules name and one port they do not, is judged by both sets; the flows whose\n"
		"verdict changes are listed with the rule that decides them before and after.\n"
		"\n"
		"  --format FMT       text (default), json, or markdown (a pull-request comment)\n"
		"  --inventory FILE   inventory for both sets (repeatable; file or directory)\n"
		"  --exit-code        exit 1 when some verdict changes (as git diff --exit-code)\n"
		"\n"
		"Exit status: 0 compared (with --exit-code: and nothing changed), 1 invalid input\n"
		"(or changes, with --exit-code), 2 usage or I/O error.\n");
}

static const char *service_text(struct arena *arena, uint8_t proto, uint16_t port)
{
	struct query_service s = {.proto = proto, .port = port};
	return query_service_str(arena, &s);
}

static const char *families_text(unsigned f)
{
	return f == 3 ? "IPv4+IPv6" : f == 2 ? "IPv6" : "IPv4";
}

/* One line on why a flow gets its verdict: the deciding rule of the side that decided. */
static const char *why(const struct flow_ctx *fc, const struct flow_result *r, const struct flow_end *src,
		       const struct flow_end *dst)
{
	const struct flow_side *sides[2] = {&r->egress, &r->ingress};
	const struct flow_end *ends[2] = {src, dst};
	const char *out = "";
	for (int k = 0; k < 2; k++) {
		const struct flow_side *s = sides[k];
		if (!s->present)
			continue;
		/* A denied flow: only the sides that deny matter; an allowed one: the sides a rule allowed. */
		if ((!r->allow && s->ir.allow) || (r->allow && s->ir.reason == SIM_NOT_ISOLATED))
			continue;
		const char *side = arena_printf(fc->arena, "%s of %s", k ? "ingress" : "egress", ends[k]->label);
		const char *what;
		switch (s->ir.reason) {
		case SIM_NOT_ISOLATED:
			what = "not isolated";
			break;
		case SIM_ALLOWED:
			what = arena_printf(fc->arena, "allowed by %s", flow_rule_ref(fc, s->ir.rule));
			break;
		case SIM_DENIED:
			what = arena_printf(fc->arena, "denied by %s", flow_rule_ref(fc, s->ir.rule));
			break;
		default:
			what = arena_printf(fc->arena, "default deny (isolated by %s)", flow_isolators(fc, s->pod, s->dir));
			break;
		}
		if (s->ir.audit)
			what = arena_printf(fc->arena, "%s, audit mode: allowed", what);
		out = arena_printf(fc->arena, "%s%s%s: %s", out, *out ? "; " : "", side, what);
	}
	return *out ? out : "no policy isolates either end";
}

static const char *verdict_of(const struct flow_result *r)
{
	bool audit = r->egress.ir.audit || r->ingress.ir.audit;
	return audit ? "allow (audit)" : r->allow ? "allow" : "deny";
}

/*
 * Changes that differ only in the service, for the same reasons, read as
 * one: "tcp/80, tcp/443, udp/other". Changes come sorted by ends, then
 * service, so a group is a run of neighbours.
 */
struct group {
	const struct diff_change *first;
	const char *services;
	const char *before, *after; /* why, in each set */
};

static const char *change_service(struct arena *a, const struct diff_change *c)
{
	if (c->other_ports)
		return arena_printf(a, "%s/other", query_proto_name(c->proto));
	return service_text(a, c->proto, c->port);
}

static size_t group_changes(const struct flow_ctx *ofc, const struct flow_ctx *nfc, const struct diff_result *d,
			    struct group *out)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_changes; i++) {
		const struct diff_change *c = &d->changes[i];
		const char *before = why(ofc, &c->old, &c->old_src, &c->old_dst);
		const char *after = why(nfc, &c->new, &c->new_src, &c->new_dst);
		struct group *g = n ? &out[n - 1] : NULL;
		if (g && strcmp(g->first->new_src.label, c->new_src.label) == 0 &&
		    strcmp(g->first->new_dst.label, c->new_dst.label) == 0 && g->first->families == c->families &&
		    g->first->old.allow == c->old.allow && g->first->new.allow == c->new.allow &&
		    strcmp(g->before, before) == 0 && strcmp(g->after, after) == 0) {
			g->services = arena_printf(nfc->arena, "%s, %s", g->services, change_service(nfc->arena, c));
			continue;
		}
		out[n++] = (struct group){c, change_service(nfc->arena, c), before, after};
	}
	return n;
}

static void md_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<' || *s == '>')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
}

static void render(struct strbuf *sb, enum diff_format fmt, const struct flow_ctx *ofc, const struct flow_ctx *nfc,
		   const struct diff_result *d, const char *old_name, const char *new_name)
{
	struct arena *a = nfc->arena;
	const char *scope = arena_printf(a, "%zu pods, %zu outside addresses, %zu services: %zu flows checked%s",
					 d->n_pods, d->n_outside, d->n_services, d->n_flows,
					 d->truncated ? " (stopped at the limit)" : "");
	if (fmt == DIFF_JSON) {
		strbuf_puts(sb, "{\"old\":");
		strbuf_json_string(sb, old_name);
		strbuf_puts(sb, ",\"new\":");
		strbuf_json_string(sb, new_name);
		strbuf_printf(sb, ",\"pods\":%zu,\"outside\":%zu,\"services\":%zu,\"flows\":%zu,\"truncated\":%s,"
				  "\"pods_only_old\":%zu,\"pods_only_new\":%zu,\"changes\":[",
			      d->n_pods, d->n_outside, d->n_services, d->n_flows, d->truncated ? "true" : "false",
			      d->only_old, d->only_new);
		for (size_t i = 0; i < d->n_changes; i++) {
			const struct diff_change *c = &d->changes[i];
			strbuf_puts(sb, i ? ",\n  {\"from\":" : "\n  {\"from\":");
			strbuf_json_string(sb, c->new_src.label);
			strbuf_puts(sb, ",\"to\":");
			strbuf_json_string(sb, c->new_dst.label);
			strbuf_puts(sb, ",\"service\":");
			strbuf_json_string(sb, service_text(a, c->proto, c->port));
			strbuf_printf(sb, ",\"other_ports\":%s", c->other_ports ? "true" : "false");
			strbuf_printf(sb, ",\"families\":[%s],\"old\":\"%s\",\"new\":\"%s\",\"old_reason\":",
				      c->families == 3 ? "4,6" : c->families == 2 ? "6" : "4", verdict_of(&c->old),
				      verdict_of(&c->new));
			strbuf_json_string(sb, why(ofc, &c->old, &c->old_src, &c->old_dst));
			strbuf_puts(sb, ",\"new_reason\":");
			strbuf_json_string(sb, why(nfc, &c->new, &c->new_src, &c->new_dst));
			strbuf_putc(sb, '}');
		}
		strbuf_puts(sb, d->n_changes ? "\n]}\n" : "]}\n");
		return;
	}
	struct group *groups = arena_calloc(a, d->n_changes + 1, sizeof(*groups));
	size_t n_groups = groups ? group_changes(ofc, nfc, d, groups) : 0;
	if (fmt == DIFF_MARKDOWN) {
		size_t opened = 0, closed = 0;
		for (size_t i = 0; i < d->n_changes; i++) {
			opened += d->changes[i].new.allow && !d->changes[i].old.allow;
			closed += !d->changes[i].new.allow && d->changes[i].old.allow;
		}
		if (!d->n_changes) {
			strbuf_puts(sb, "### polc diff: no flow changes its verdict\n\n");
		} else {
			strbuf_printf(sb, "### polc diff: %zu flow%s change%s verdict (%zu newly allowed, %zu newly denied)\n\n",
				      d->n_changes, d->n_changes == 1 ? "" : "s", d->n_changes == 1 ? "s" : "", opened, closed);
			strbuf_puts(sb, "| From | To | Services | Before | After | Why (after) |\n"
					"| --- | --- | --- | --- | --- | --- |\n");
			for (size_t i = 0; i < n_groups; i++) {
				const struct group *g = &groups[i];
				strbuf_puts(sb, "| ");
				md_escape(sb, g->first->new_src.label);
				strbuf_puts(sb, " | ");
				md_escape(sb, g->first->new_dst.label);
				strbuf_printf(sb, " | %s (%s) | %s | **%s** | ", g->services, families_text(g->first->families),
					      verdict_of(&g->first->old), verdict_of(&g->first->new));
				md_escape(sb, g->after);
				strbuf_puts(sb, " |\n");
			}
			strbuf_putc(sb, '\n');
		}
		strbuf_puts(sb, "<sub>");
		md_escape(sb, scope);
		if (d->only_old || d->only_new)
			strbuf_printf(sb, "; %zu pods only in the old inventory and %zu only in the new one were not "
					  "compared",
				      d->only_old, d->only_new);
		strbuf_puts(sb, ". \"other\": every port no rule names.</sub>\n");
		return;
	}
	strbuf_printf(sb, "polc diff %s %s: %zu flow%s change%s verdict (%s)\n", old_name, new_name, d->n_changes,
		      d->n_changes == 1 ? "" : "s", d->n_changes == 1 ? "s" : "", scope);
	if (d->only_old || d->only_new)
		strbuf_printf(sb, "  (%zu pods only in the old inventory and %zu only in the new one were not compared)\n",
			      d->only_old, d->only_new);
	for (size_t i = 0; i < n_groups; i++) {
		const struct group *g = &groups[i];
		strbuf_printf(sb, "\n%s -> %s %s (%s): %s -> %s\n", g->first->new_src.label, g->first->new_dst.label,
			      g->services, families_text(g->first->families), verdict_of(&g->first->old),
			      verdict_of(&g->first->new));
		strbuf_printf(sb, "  before: %s\n", g->before);
		strbuf_printf(sb, "  after:  %s\n", g->after);
	}
}

static int open_set(const char *set, const char **inventory, size_t n_inv, bool color, struct polc_unit **u)
{
	const char **inputs = calloc(n_inv + 2, sizeof(*inputs));
	if (!inputs)
		return EXIT_USAGE;
	inputs[0] = set;
	for (size_t i = 0; i < n_inv; i++)
		inputs[i + 1] = inventory[i];
	struct compile_options opts = {
		.inputs = inputs,
		.n_inputs = n_inv + 1,
		.diag_format = DIAG_FORMAT_TEXT,
		.color = color,
		.diag_out = stderr,
		.no_policy_ok = true,
	};
	int status = polc_unit_open(&opts, u);
	free(inputs);
	if (status != COMPILE_OK && *u)
		polc_unit_print_diags(*u, DIAG_NOTE);
	return status;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'F'},
		{"inventory", required_argument, NULL, 'I'},
		{"exit-code", no_argument, NULL, 'E'},
		{"no-color", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum diff_format fmt = DIFF_TEXT;
	bool color = cli_use_color(), exit_code = false;
	const char **inventory = calloc((size_t)argc + 1, sizeof(*inventory));
	size_t n_inv = 0;
	int status = EXIT_USAGE;
	struct polc_unit *old_u = NULL, *new_u = NULL;
	if (!inventory)
		return EXIT_USAGE;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "text") == 0) {
				fmt = DIFF_TEXT;
			} else if (strcmp(optarg, "json") == 0) {
				fmt = DIFF_JSON;
			} else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0) {
				fmt = DIFF_MARKDOWN;
			} else {
				fprintf(stderr, "polc diff: --format takes text, json or markdown\n");
				goto out;
			}
			break;
		case 'I':
			inventory[n_inv++] = optarg;
			break;
		case 'E':
			exit_code = true;
			break;
		case 'N':
			color = false;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "polc diff: need OLD and NEW\n");
		usage(stderr);
		goto out;
	}
	const char *old_name = argv[optind], *new_name = argv[optind + 1];
	status = open_set(old_name, inventory, n_inv, color, &old_u);
	if (status == COMPILE_OK)
		status = open_set(new_name, inventory, n_inv, color, &new_u);
	if (status != COMPILE_OK)
		goto out;

	struct flow_ctx ofc = {
		.arena = polc_unit_arena(old_u), .diags = polc_unit_diags(old_u), .sources = polc_unit_sources(old_u),
		.prog = polc_unit_program(old_u), .dp = polc_unit_datapath(old_u),
	};
	struct flow_ctx nfc = {
		.arena = polc_unit_arena(new_u), .diags = polc_unit_diags(new_u), .sources = polc_unit_sources(new_u),
		.prog = polc_unit_program(new_u), .dp = polc_unit_datapath(new_u),
	};
	struct diff_result d;
	if (diff_flows(&ofc, &nfc, &d)) {
		fprintf(stderr, "polc diff: out of memory\n");
		status = EXIT_USAGE;
		goto out;
	}
	if (!d.n_pods)
		fprintf(stderr, "polc diff: warning: no pod with an address in both inventories: nothing to compare "
				"(give --inventory with Pods and their status.podIPs)\n");
	struct strbuf sb = STRBUF_INIT;
	render(&sb, fmt, &ofc, &nfc, &d, old_name, new_name);
	status = strbuf_error(&sb) ? EXIT_USAGE : 0;
	if (!status)
		strbuf_write(&sb, stdout);
	strbuf_free(&sb);
	if (!status && exit_code && d.n_changes)
		status = 1;
out:
	polc_unit_close(old_u);
	polc_unit_close(new_u);
	free(inventory);
	return status;
}

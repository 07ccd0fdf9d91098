/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc trace FROM TO SERVICE INPUT...: the verdict of a flow and the
 * chain of rules that decided it, side by side (the sender's egress, the
 * receiver's ingress), each rule with file:line, checked against the
 * datapath tables the artifact would carry.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/flow.h"
#include "cli.h"
#include "driver/driver.h"
#include "flow_report.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc trace [--format text|json] FROM TO SERVICE INPUT...\n"
		"\n"
		"FROM and TO are endpoints of the query language: NAMESPACE/POD, NAMESPACE/*,\n"
		"'pod SELECTOR [in ns SELECTOR]', 'ns SELECTOR', an IPv4 or IPv6 address, world,\n"
		"world6. SERVICE is tcp/80, udp/53, sctp/9000, tcp/NAME (a named port of the\n"
		"destination), icmp/echo-request, icmpv6/128. Selectors are Kubernetes label\n"
		"selectors: 'app=web, tier in (a,b), !legacy'.\n"
		"\n"
		"  polc trace shop/web data/db tcp/5432 policies/ inventory.yaml\n"
		"  polc trace 'pod app=web' world tcp/443 policies/\n"
		"\n"
		"  --format FMT   text (default) or json\n"
		"\n"
		"Exit status: 0 traced, 1 invalid input, 2 usage error, or the datapath tables\n"
		"disagree with the policies (a polc bug, reported as such).\n");
}

int cli_parse_query_arg(struct polc_unit *u, const char *name, const char *text, struct query_endpoint *ep,
			struct query_service *svc, struct src_loc *where)
{
	struct source_set *src = polc_unit_sources(u);
	int id = source_add_buffer(src, name, text, strlen(text));
	if (id < 0)
		return id;
	struct query_input in = {
		.arena = polc_unit_arena(u), .diags = polc_unit_diags(u), .sources = src, .file = (uint32_t)id};
	int err = svc ? query_parse_service(&in, svc) : query_parse_endpoint(&in, ep);
	if (!err)
		*where = query_src_loc(src, (uint32_t)id, svc ? svc->loc : ep->loc);
	return err;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'F'},
		{"no-color", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool json = false, color = cli_use_color();
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "json") == 0) {
				json = true;
			} else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "polc trace: --format takes text or json\n");
				return EXIT_USAGE;
			}
			break;
		case 'N':
			color = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 4) {
		fprintf(stderr, "polc trace: need FROM, TO, SERVICE and at least one INPUT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *from = argv[optind], *to = argv[optind + 1], *service = argv[optind + 2];
	struct compile_options opts = {
		.inputs = (const char *const *)argv + optind + 3,
		.n_inputs = (size_t)(argc - optind - 3),
		.diag_format = DIAG_FORMAT_TEXT,
		.color = color,
		.diag_out = stderr,
	};
	struct polc_unit *u = NULL;
	int status = polc_unit_open(&opts, &u);
	if (status != COMPILE_OK) {
		if (u)
			polc_unit_print_diags(u, DIAG_NOTE);
		polc_unit_close(u);
		return status;
	}

	struct query_endpoint ep_from, ep_to;
	struct query_service svc;
	struct src_loc at_from, at_to, at_svc;
	int err = cli_parse_query_arg(u, "FROM", from, &ep_from, NULL, &at_from);
	int err2 = cli_parse_query_arg(u, "TO", to, &ep_to, NULL, &at_to);
	int err3 = cli_parse_query_arg(u, "SERVICE", service, NULL, &svc, &at_svc);
	if (err || err2 || err3) {
		polc_unit_print_diags(u, DIAG_NOTE);
		polc_unit_close(u);
		return EXIT_USAGE;
	}

	struct flow_ctx fc = {
		.arena = polc_unit_arena(u),
		.diags = polc_unit_diags(u),
		.sources = polc_unit_sources(u),
		.prog = polc_unit_program(u),
		.dp = polc_unit_datapath(u),
	};
	struct flow_end *srcs, *dsts;
	size_t n_src, n_dst;
	err = flow_resolve(&fc, &ep_from, at_from, &srcs, &n_src);
	err2 = flow_resolve(&fc, &ep_to, at_to, &dsts, &n_dst);
	if (err || err2) {
		polc_unit_print_diags(u, DIAG_NOTE);
		polc_unit_close(u);
		return err == -ENOMEM || err2 == -ENOMEM ? EXIT_USAGE : EXIT_INVALID_INPUT;
	}

	const char *svc_text = query_service_str(fc.arena, &svc);
	struct strbuf out = STRBUF_INIT;
	bool disagree = false, any = false, failed = false;
	if (json)
		strbuf_putc(&out, '[');
	for (size_t i = 0; i < n_src; i++) {
		for (size_t j = 0; j < n_dst; j++) {
			if (srcs[i].pod && srcs[i].pod == dsts[j].pod)
				continue; /* a pod to itself never crosses its interface */
			struct flow_result res[2];
			size_t n;
			if (flow_eval(&fc, &srcs[i], &dsts[j], &svc, at_svc, res, &n)) {
				failed = true;
				continue;
			}
			for (size_t k = 0; k < n; k++) {
				disagree |= res[k].dp_checked && !res[k].dp_agrees;
				if (json) {
					strbuf_puts(&out, any ? ",\n  " : "\n  ");
					flow_report_json(&out, &fc, &srcs[i], &dsts[j], svc_text, &res[k]);
				} else {
					strbuf_puts(&out, any ? "\n" : "");
					flow_report_title(&out, &srcs[i], &dsts[j], svc_text, &res[k]);
					strbuf_printf(&out, ": %s\n", res[k].allow ? "ALLOW" : "DENY");
					flow_report_text(&out, &fc, &srcs[i], &dsts[j], &res[k], "  ");
				}
				any = true;
			}
		}
	}
	if (json)
		strbuf_puts(&out, any ? "\n]\n" : "]\n");
	strbuf_write(&out, stdout);
	strbuf_free(&out);
	if (disagree)
		diag_error(fc.diags, (struct src_loc){0}, NULL, "internal-datapath-disagrees",
			   "this is a polc bug: please report it with the input",
			   "the datapath tables disagree with the policies on a flow above");
	polc_unit_print_diags(u, DIAG_NOTE);
	polc_unit_close(u);
	if (disagree)
		return EXIT_USAGE;
	return failed ? EXIT_INVALID_INPUT : 0;
}

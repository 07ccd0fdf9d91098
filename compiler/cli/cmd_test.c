/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc test ASSERTIONS INPUT...: every assertion of the file (the query
 * language of grammar/query.h, with a verdict) is checked twice:
 *
 *   policies  each flow it stands for judged on the policy IR
 *             (eval_verdict), both sides of pod-to-pod flows
 *   kernel    the artifact itself, compiled in-process from the same
 *             inputs (or given with --artifact), loaded privately in a
 *             private network namespace (testbed.h); a crafted packet
 *             per flow goes through the entry program of each side that
 *             is a local endpoint, with BPF_PROG_TEST_RUN
 *
 * An assertion passes when both say what it says, for every flow and
 * family. A side that is not a local endpoint (a pod of another node)
 * is judged by the policies only, and the report says so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/flow.h"
#include "cli.h"
#include "driver/driver.h"
#include "flow_report.h"
#include "testbed.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc test [--ir-only] [--artifact ART] [--format text|json] [-v] ASSERTIONS INPUT...\n"
		"\n"
		"ASSERTIONS is a file of lines like\n"
		"  shop/frontend -> shop/backend tcp/8080 allow\n"
		"  pod app=web in ns team=a -> 198.51.100.7 udp/53 deny\n"
		"  x/a -> world tcp/443 allow      # comments, IPv6, icmp/echo-request, named ports\n"
		"Each is checked against the policies (the IR) and against the compiled artifact,\n"
		"loaded in a private network namespace and run with BPF_PROG_TEST_RUN on crafted\n"
		"packets (needs root).\n"
		"\n"
		"  --ir-only        check the policies only (no kernel, no root)\n"
		"  --artifact ART   run this artifact instead of compiling INPUT (it must have\n"
		"                   been compiled for the same inventory)\n"
		"  --format FMT     text (default) or json\n"
		"  -v, --verbose    explain passing assertions too\n"
		"\n"
		"Exit status: 0 every assertion holds, 1 an assertion fails or the input is\n"
		"invalid, 2 usage or I/O error, 3 the kernel refused the artifact or the test run.\n");
}

struct kernel_side {
	bool run;     /* judged by the artifact in the kernel */
	bool allow;
	const char *why_not; /* not run: why (static text) */
};

struct checked_flow {
	const struct flow_end *src, *dst;
	struct flow_result r;
	struct kernel_side k_egress, k_ingress;
	bool kernel_run;        /* some side ran in the kernel */
	bool artifact_allow;    /* kernel sides, and the policies for sides that did not run */
	bool ok;
};

struct tester {
	struct polc_unit *u;
	struct flow_ctx fc;
	struct testbed *tb; /* NULL: --ir-only */
	bool verbose, json;
	struct strbuf out;
	size_t n_assertions, n_passed, n_failed, n_errors, n_flows, n_kernel_flows;
	int kernel_err;
	bool first_json;
};

static bool local(const struct flow_ctx *fc, const struct flow_end *e)
{
	return e->pod && e->pod->interface && flow_endpoint(fc->dp, e->pod);
}

static void kernel_side(struct tester *t, const struct flow_end *end, enum testbed_dir dir,
			const struct flow_result *r, const struct flow_side *side, struct kernel_side *ks)
{
	memset(ks, 0, sizeof(*ks));
	if (!side->present) {
		ks->why_not = "no policy applies";
		return;
	}
	if (!t->tb) {
		ks->why_not = "--ir-only";
		return;
	}
	if (!local(&t->fc, end)) {
		ks->why_not = "not a local endpoint: enforced on its own node";
		return;
	}
	if (!testbed_icmp_is_new_flow(r->proto, (uint8_t)r->port)) {
		ks->why_not = "ICMP errors and neighbour discovery are not new flows to the datapath";
		return;
	}
	struct testbed_packet pkt = {.family = r->family, .proto = r->proto, .port = r->port};
	memcpy(pkt.src, r->src, 16);
	memcpy(pkt.dst, r->dst, 16);
	char msg[512];
	int err = testbed_run(t->tb, end->pod->interface, dir, &pkt, &ks->allow, msg, sizeof(msg));
	if (err) {
		if (!t->kernel_err) {
			fprintf(stderr, "polc test: %s\n", msg);
			t->kernel_err = err;
		}
		ks->why_not = "the test run failed";
		return;
	}
	ks->run = true;
}

static void check_flow(struct tester *t, const struct flow_end *src, const struct flow_end *dst,
		       enum query_verdict expect, struct checked_flow *cf)
{
	const struct flow_result *r = &cf->r;
	cf->src = src;
	cf->dst = dst;
	kernel_side(t, src, TESTBED_FROM_POD, r, &r->egress, &cf->k_egress);
	kernel_side(t, dst, TESTBED_TO_POD, r, &r->ingress, &cf->k_ingress);
	cf->kernel_run = cf->k_egress.run || cf->k_ingress.run;
	bool eg = cf->k_egress.run ? cf->k_egress.allow : !r->egress.present || r->egress.ir.allow;
	bool in = cf->k_ingress.run ? cf->k_ingress.allow : !r->ingress.present || r->ingress.ir.allow;
	cf->artifact_allow = eg && in;
	bool want = expect == QUERY_ALLOW;
	cf->ok = r->allow == want && (!cf->kernel_run || cf->artifact_allow == want);
	t->n_flows++;
	t->n_kernel_flows += cf->kernel_run;
}

static const char *kernel_text(struct arena *a, const struct checked_flow *cf)
{
	if (!cf->kernel_run)
		return arena_printf(a, "kernel: not run (%s)",
				    cf->k_egress.why_not && cf->k_ingress.why_not && strcmp(cf->k_egress.why_not, "no policy applies")
					    ? cf->k_egress.why_not
					    : cf->k_ingress.why_not ? cf->k_ingress.why_not : "?");
	return arena_printf(a, "kernel: %s", cf->artifact_allow ? "allow" : "deny");
}

static void side_json(struct strbuf *sb, const struct kernel_side *k)
{
	if (!k->run) {
		strbuf_puts(sb, "null");
		return;
	}
	strbuf_printf(sb, "\"%s\"", k->allow ? "allow" : "deny");
}

static void report(struct tester *t, const struct query_assertion *a, const char *text, struct checked_flow *flows,
		   size_t n, bool error)
{
	struct arena *arena = t->fc.arena;
	bool ok = !error;
	for (size_t i = 0; i < n; i++)
		ok &= flows[i].ok;
	size_t kernel = 0;
	for (size_t i = 0; i < n; i++)
		kernel += flows[i].kernel_run;
	const char *file = source_name(t->fc.sources, a->src.file);
	if (t->json) {
		strbuf_puts(&t->out, t->first_json ? "\n  {\"file\":" : ",\n  {\"file\":");
		t->first_json = false;
		strbuf_json_string(&t->out, file);
		strbuf_printf(&t->out, ",\"line\":%u,\"column\":%u,\"assertion\":", a->src.line, a->src.col);
		strbuf_json_string(&t->out, text);
		strbuf_printf(&t->out, ",\"expected\":\"%s\",\"passed\":%s,\"error\":%s,\"flows\":[",
			      a->verdict == QUERY_ALLOW ? "allow" : "deny", ok ? "true" : "false", error ? "true" : "false");
		for (size_t i = 0; i < n; i++) {
			const struct checked_flow *cf = &flows[i];
			strbuf_puts(&t->out, i ? ",{\"policies\":" : "{\"policies\":");
			flow_report_json(&t->out, &t->fc, cf->src, cf->dst, query_service_str(arena, &a->service), &cf->r);
			strbuf_puts(&t->out, ",\"kernel\":{\"egress\":");
			side_json(&t->out, &cf->k_egress);
			strbuf_puts(&t->out, ",\"ingress\":");
			side_json(&t->out, &cf->k_ingress);
			strbuf_puts(&t->out, ",\"verdict\":");
			if (cf->kernel_run)
				strbuf_printf(&t->out, "\"%s\"", cf->artifact_allow ? "allow" : "deny");
			else
				strbuf_puts(&t->out, "null");
			strbuf_printf(&t->out, "},\"passed\":%s}", cf->ok ? "true" : "false");
		}
		strbuf_puts(&t->out, "]}");
		return;
	}
	if (error) {
		strbuf_printf(&t->out, "ERROR %s:%u: %s  (see the diagnostics)\n", file, a->src.line, text);
		return;
	}
	strbuf_printf(&t->out, "%-5s %s:%u: %s  (%zu flow%s, %zu in the kernel)\n", ok ? "ok" : "FAIL", file,
		      a->src.line, text, n, n == 1 ? "" : "s", kernel);
	if (ok && !t->verbose)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct checked_flow *cf = &flows[i];
		if (cf->ok && !t->verbose)
			continue;
		strbuf_puts(&t->out, "      ");
		flow_report_title(&t->out, cf->src, cf->dst, query_service_str(arena, &a->service), &cf->r);
		strbuf_printf(&t->out, ": policies: %s, %s%s\n", cf->r.allow ? "allow" : "deny", kernel_text(arena, cf),
			      cf->ok ? "" : a->verdict == QUERY_ALLOW ? " (expected allow)" : " (expected deny)");
		if (cf->kernel_run && cf->artifact_allow != cf->r.allow)
			strbuf_puts(&t->out, "        THE ARTIFACT DISAGREES WITH THE POLICIES: what runs in the kernel is "
					     "not what the policies say\n");
		flow_report_text(&t->out, &t->fc, cf->src, cf->dst, &cf->r, "        ");
		const struct kernel_side *ks[2] = {&cf->k_egress, &cf->k_ingress};
		const char *names[2] = {"egress", "ingress"};
		for (int k = 0; k < 2; k++)
			if (ks[k]->run)
				strbuf_printf(&t->out, "        kernel, %s of %s: %s\n", names[k],
					      k ? cf->dst->label : cf->src->label, ks[k]->allow ? "allow" : "deny");
	}
}

static const char *assertion_text(struct tester *t, const struct query_assertion *a)
{
	const struct src_file *f = source_get(t->fc.sources, a->src.file);
	if (!f || a->loc.end > f->len)
		return "?";
	return arena_strndup(t->fc.arena, f->data + a->loc.begin, a->loc.end - a->loc.begin);
}

static void run_assertion(struct tester *t, const struct query_assertion *a)
{
	t->n_assertions++;
	const char *text = assertion_text(t, a);
	struct src_loc at_from = query_src_loc(t->fc.sources, a->src.file, a->from.loc);
	struct src_loc at_to = query_src_loc(t->fc.sources, a->src.file, a->to.loc);
	struct src_loc at_svc = query_src_loc(t->fc.sources, a->src.file, a->service.loc);
	struct flow_end *srcs, *dsts;
	size_t n_src = 0, n_dst = 0;
	int e1 = flow_resolve(&t->fc, &a->from, at_from, &srcs, &n_src);
	int e2 = flow_resolve(&t->fc, &a->to, at_to, &dsts, &n_dst);
	VEC(struct checked_flow) flows = {0};
	bool error = e1 || e2;
	if (!e1 && !srcs[0].pod && !e2 && !dsts[0].pod) {
		diag_error(t->fc.diags, a->src, NULL, "query-no-pod",
			   "an assertion needs a pod at one end at least: policies apply to pods",
			   "neither %s nor %s is a pod of the inventory", srcs[0].label, dsts[0].label);
		error = true;
	}
	for (size_t i = 0; !error && i < n_src; i++) {
		for (size_t j = 0; !error && j < n_dst; j++) {
			if (srcs[i].pod && srcs[i].pod == dsts[j].pod)
				continue;
			struct flow_result res[2];
			size_t n;
			if (flow_eval(&t->fc, &srcs[i], &dsts[j], &a->service, at_svc, res, &n)) {
				error = true;
				break;
			}
			for (size_t k = 0; k < n; k++) {
				struct checked_flow *cf = vec_add(t->fc.arena, &flows);
				if (!cf) {
					error = true;
					break;
				}
				cf->r = res[k];
				check_flow(t, &srcs[i], &dsts[j], a->verdict, cf);
			}
		}
	}
	if (!error && !flows.len) {
		diag_error(t->fc.diags, a->src, NULL, "query-no-flow", "an endpoint set of one pod cannot talk to itself",
			   "the assertion stands for no flow");
		error = true;
	}
	report(t, a, text, flows.items, flows.len, error);
	bool ok = !error;
	for (size_t i = 0; i < flows.len; i++)
		ok &= flows.items[i].ok;
	if (error)
		t->n_errors++;
	else if (ok)
		t->n_passed++;
	else
		t->n_failed++;
}

static int read_file(const char *path, void **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	int err = 0;
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len < cap)
			break;
		if (cap >= (256u << 20)) {
			err = -EFBIG;
			break;
		}
		char *grown = realloc(buf, cap * 2);
		if (!grown)
			break;
		buf = grown;
		cap *= 2;
	}
	if (!err && (!buf || ferror(f)))
		err = buf ? -EIO : -ENOMEM;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*size = len;
	return 0;
}

/* Interface names of the local endpoints: the dummies of the private namespace. */
static const char **endpoint_ifnames(const struct ir_datapath *dp, size_t *n)
{
	const char **names = calloc(dp->endpoints.len + 1, sizeof(*names));
	*n = 0;
	for (size_t i = 0; names && i < dp->endpoints.len; i++)
		names[(*n)++] = dp->endpoints.items[i].pod->interface;
	return names;
}

static int start_kernel(struct tester *t, const char *artifact_path)
{
	void *art = NULL;
	size_t size = 0;
	if (artifact_path) {
		int err = read_file(artifact_path, &art, &size);
		if (err) {
			fprintf(stderr, "polc test: %s: %s\n", artifact_path, strerror(-err));
			return EXIT_USAGE;
		}
	} else {
		int status = polc_unit_artifact(t->u, &art, &size);
		if (status != COMPILE_OK) {
			polc_unit_print_diags(t->u, DIAG_NOTE);
			fprintf(stderr, "polc test: the artifact could not be built (--ir-only checks the policies only)\n");
			return status;
		}
	}
	size_t n_if;
	const char **ifnames = endpoint_ifnames(t->fc.dp, &n_if);
	char msg[1024];
	int err = ifnames ? testbed_open(art, size, ifnames, n_if, &t->tb, msg, sizeof(msg)) : -ENOMEM;
	free(ifnames);
	free(art);
	if (err) {
		fprintf(stderr, "polc test: cannot run the artifact: %s\n", ifnames ? msg : "out of memory");
		return EXIT_KERNEL;
	}
	return 0;
}

int cmd_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ir-only", no_argument, NULL, 'I'},
		{"artifact", required_argument, NULL, 'A'},
		{"format", required_argument, NULL, 'F'},
		{"verbose", no_argument, NULL, 'v'},
		{"no-color", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool ir_only = false, json = false, verbose = false, color = cli_use_color();
	const char *artifact = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'I':
			ir_only = true;
			break;
		case 'A':
			artifact = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "json") == 0) {
				json = true;
			} else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "polc test: --format takes text or json\n");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			verbose = true;
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
	if (argc - optind < 2) {
		fprintf(stderr, "polc test: need ASSERTIONS and at least one INPUT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ir_only && artifact) {
		fprintf(stderr, "polc test: --ir-only and --artifact exclude each other\n");
		return EXIT_USAGE;
	}
	const char *assertions = argv[optind];
	struct compile_options opts = {
		.inputs = (const char *const *)argv + optind + 1,
		.n_inputs = (size_t)(argc - optind - 1),
		.diag_format = DIAG_FORMAT_TEXT,
		.color = color,
		.diag_out = stderr,
	};
	struct tester t = {.verbose = verbose, .json = json, .first_json = true};
	int status = polc_unit_open(&opts, &t.u);
	if (status != COMPILE_OK) {
		if (t.u)
			polc_unit_print_diags(t.u, DIAG_NOTE);
		polc_unit_close(t.u);
		return status;
	}
	t.fc = (struct flow_ctx){
		.arena = polc_unit_arena(t.u), .diags = polc_unit_diags(t.u), .sources = polc_unit_sources(t.u),
		.prog = polc_unit_program(t.u), .dp = polc_unit_datapath(t.u),
	};

	int id = source_add_file(polc_unit_sources(t.u), assertions);
	if (id < 0) {
		fprintf(stderr, "polc test: %s: %s\n", assertions, strerror(-id));
		polc_unit_close(t.u);
		return EXIT_USAGE;
	}
	struct query_input in = {.arena = t.fc.arena, .diags = t.fc.diags, .sources = polc_unit_sources(t.u),
				 .file = (uint32_t)id};
	struct query_file qf;
	int perr = query_parse_file(&in, &qf);
	if (perr == -ENOMEM) {
		fprintf(stderr, "polc test: out of memory\n");
		polc_unit_close(t.u);
		return EXIT_USAGE;
	}
	if (!qf.n_items && !perr) {
		struct src_loc top = {.file = (uint32_t)id, .line = 1, .col = 1};
		diag_error(t.fc.diags, top, NULL, "query-empty",
			   "write one assertion per line: x/a -> y/b tcp/80 allow", "the assertion file has no assertion");
		perr = -EINVAL;
	}

	if (!ir_only && qf.n_items) {
		status = start_kernel(&t, artifact);
		if (status) {
			polc_unit_close(t.u);
			return status;
		}
	}
	if (json)
		strbuf_puts(&t.out, "{\"assertions\":[");
	for (size_t i = 0; i < qf.n_items; i++)
		run_assertion(&t, &qf.items[i]);
	if (json) {
		strbuf_printf(&t.out, "%s],\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,\"flows\":%zu,\"kernel_flows\":%zu,"
				      "\"kernel\":%s}\n",
			      qf.n_items ? "\n" : "", t.n_passed, t.n_failed, t.n_errors, t.n_flows, t.n_kernel_flows,
			      t.tb ? "true" : "false");
	} else {
		strbuf_printf(&t.out, "polc test: %zu assertion%s: %zu passed, %zu failed%s; %zu flows, %zu run in the "
				      "kernel (%s)\n",
			      t.n_assertions, t.n_assertions == 1 ? "" : "s", t.n_passed, t.n_failed,
			      t.n_errors ? arena_printf(t.fc.arena, ", %zu in error", t.n_errors) : "", t.n_flows,
			      t.n_kernel_flows,
			      !t.tb ? "policies only" : artifact ? arena_printf(t.fc.arena, "artifact %s", artifact)
								 : "the artifact compiled from the inputs");
	}
	strbuf_write(&t.out, stdout);
	strbuf_free(&t.out);
	polc_unit_print_diags(t.u, DIAG_NOTE);
	testbed_close(t.tb);
	polc_unit_close(t.u);
	if (t.kernel_err)
		return EXIT_KERNEL;
	return perr || t.n_failed || t.n_errors ? EXIT_INVALID_INPUT : 0;
}

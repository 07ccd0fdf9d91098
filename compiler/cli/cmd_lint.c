/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc lint: everything polc compile rejects, plus the warnings of
 * analysis/lint.h, in the format CI wants. Exit 0 when clean, 1 when a
 * finding is at or above the fail level, 2 for usage or I/O errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver/driver.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc lint [--format text|json|sarif|github] [--fail-level error|warning]\n"
		"                 [--inventory FILE]... INPUT...\n"
		"\n"
		"Checks policies the way polc compile does, then warns about policies that select\n"
		"no pod, rules that are redundant, shadowed by a deny or inert, overlapping\n"
		"CIDRs and excepts allowed again, named ports no pod declares, egress\n"
		"default-deny without DNS, Cilium port \"0\". Every finding has file, line,\n"
		"column, a stable code, the field path and a hint.\n"
		"\n"
		"  --format FMT        text (default), json, sarif (SARIF 2.1.0) or github\n"
		"                      (workflow annotations)\n"
		"  --fail-level LEVEL  exit 1 on findings at or above LEVEL: error (default)\n"
		"                      or warning\n"
		"  --inventory FILE    Namespaces and Pods to check selections against\n"
		"                      (repeatable; a file or a directory)\n"
		"  --no-color          plain text\n"
		"  --list-codes        print every diagnostic code with what it means, and exit\n"
		"\n"
		"Exit status: 0 clean, 1 findings at or above the fail level, 2 usage or I/O error.\n");
}


static void list_codes(void)
{
	size_t n;
	const struct diag_code_info *codes = diag_code_list(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-26s %-8s %s\n", codes[i].code, diag_severity_name(codes[i].severity), codes[i].summary);
}

int cmd_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'F'},
		{"fail-level", required_argument, NULL, 'L'},
		{"inventory", required_argument, NULL, 'I'},
		{"no-color", no_argument, NULL, 'N'},
		{"list-codes", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct compile_options opts = {
		.diag_format = DIAG_FORMAT_TEXT,
		.color = cli_use_color(),
		.lint = true,
		.fail_level = DIAG_ERROR,
	};
	const char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	const char **inventory = calloc((size_t)argc + 1, sizeof(*inventory));
	size_t n_inventory = 0;
	int status = EXIT_USAGE;
	if (!inputs || !inventory) {
		fprintf(stderr, "polc lint: out of memory\n");
		goto out;
	}
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (cli_parse_format(optarg, &opts.diag_format) != 0) {
				fprintf(stderr, "polc lint: --format takes text, json, sarif or github\n");
				goto out;
			}
			break;
		case 'L':
			if (strcmp(optarg, "error") == 0) {
				opts.fail_level = DIAG_ERROR;
			} else if (strcmp(optarg, "warning") == 0) {
				opts.fail_level = DIAG_WARNING;
			} else {
				fprintf(stderr, "polc lint: --fail-level takes error or warning\n");
				goto out;
			}
			break;
		case 'I':
			inventory[n_inventory++] = optarg;
			break;
		case 'N':
			opts.color = false;
			break;
		case 'C':
			list_codes();
			status = 0;
			goto out;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "polc lint: no input files\n");
		usage(stderr);
		goto out;
	}
	/* Policies first, so their files are numbered (and reported) first. */
	size_t n = 0;
	for (int i = optind; i < argc; i++)
		inputs[n++] = argv[i];
	for (size_t i = 0; i < n_inventory; i++)
		inputs[n++] = inventory[i];
	opts.inputs = inputs;
	opts.n_inputs = n;
	if (opts.diag_format != DIAG_FORMAT_TEXT)
		opts.color = false;
	/* Findings go to stdout: they are the command's output, which CI captures. */
	opts.diag_out = stdout;
	status = polc_compile(&opts);
out:
	free(inputs);
	free(inventory);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* polc compile: options in, polc_compile() out. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver/driver.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc compile [-o ARTIFACT | --check] [--emit-c DIR] [--dump=ir|dp|dfa|c[,...]] [--http-limits ...] INPUT...\n"
		"\n"
		"INPUT is a YAML or JSON file, or a directory (searched for *.yaml, *.yml,\n"
		"*.json). Policies (NetworkPolicy, CiliumNetworkPolicy,\n"
		"CiliumClusterwideNetworkPolicy) and the inventory (Namespace, Pod, Node)\n"
		"may come in any order and any mix of files.\n"
		"\n"
		"  -o, --output FILE   artifact to write (default: policy.polc)\n"
		"      --check         parse, validate and resolve against the inventory; no code\n"
		"                      generation, nothing written (exit status as for a compile)\n"
		"      --emit-c DIR    also keep the generated BPF C and its build script in DIR\n"
		"      --dump=STAGES   print stages to stdout: ir (policy IR), dp (datapath IR),\n"
		"                      dfa (the L7 HTTP rule sets and their DFAs), c (generated header)\n"
		"      --fqdn-min-ttl S, --fqdn-max-ttl S\n"
		"                      seconds an address learned from a DNS answer (toFQDNs) stays\n"
		"                      allowed at least and at most, whatever the answer's TTL\n"
		"                      (default 1 and 86400)\n"
		"      --http-limits K=N[,...]  bounds of the datapath's HTTP parser: head (bytes of a\n"
		"                      request head, 8192), line (request line, 4096), headers (header\n"
		"                      lines, 100), steps (parse steps per TCP segment, 64)\n"
		"      --format FMT    diagnostics as text (default), json, sarif or github\n"
		"      --no-color      plain diagnostics\n"
		"      --stats         time and memory of each stage, on stderr\n");
}

static int parse_dumps(const char *arg, unsigned *dumps)
{
	char *copy = strdup(arg);
	if (!copy)
		return -1;
	int rc = 0;
	for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
		if (strcmp(tok, "ir") == 0)
			*dumps |= COMPILE_DUMP_IR;
		else if (strcmp(tok, "dp") == 0)
			*dumps |= COMPILE_DUMP_DP;
		else if (strcmp(tok, "dfa") == 0)
			*dumps |= COMPILE_DUMP_DFA;
		else if (strcmp(tok, "c") == 0)
			*dumps |= COMPILE_DUMP_C;
		else
			rc = -1;
	}
	free(copy);
	return rc;
}

/* head=N,line=N,headers=N,steps=N: each within what the datapath can bound. */
static int parse_http_limits(const char *arg, struct compile_options *opts)
{
	static const struct {
		const char *key;
		unsigned long min, max;
	} keys[] = {{"head", 64, 65535}, {"line", 16, 65535}, {"headers", 1, 1000}, {"steps", 1, 256}};
	char *copy = strdup(arg);
	if (!copy)
		return -1;
	int rc = 0;
	for (char *tok = strtok(copy, ","); tok && !rc; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '='), *end;
		rc = -1;
		if (!eq)
			break;
		*eq = '\0';
		unsigned long v = strtoul(eq + 1, &end, 10);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(tok, keys[i].key) != 0 || *end || end == eq + 1 || v < keys[i].min || v > keys[i].max)
				continue;
			uint32_t *field[] = {&opts->http_max_head, &opts->http_max_line, &opts->http_max_headers,
					     &opts->http_max_steps};
			*field[i] = (uint32_t)v;
			rc = 0;
		}
	}
	free(copy);
	return rc;
}

int cli_parse_format(const char *arg, enum diag_format *format)
{
	static const struct {
		const char *name;
		enum diag_format format;
	} formats[] = {
		{"text", DIAG_FORMAT_TEXT},
		{"json", DIAG_FORMAT_JSON},
		{"sarif", DIAG_FORMAT_SARIF},
		{"github", DIAG_FORMAT_GITHUB},
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(arg, formats[i].name) == 0) {
			*format = formats[i].format;
			return 0;
		}
	}
	return -1;
}

int cmd_compile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"emit-c", required_argument, NULL, 'E'},
		{"dump", required_argument, NULL, 'D'},
		{"format", required_argument, NULL, 'F'},
		{"no-color", no_argument, NULL, 'N'},
		{"stats", no_argument, NULL, 'S'},
		{"check", no_argument, NULL, 'C'},
		{"fqdn-min-ttl", required_argument, NULL, 'm'},
		{"fqdn-max-ttl", required_argument, NULL, 'M'},
		{"http-limits", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct compile_options opts = {
		.output = "policy.polc",
		.diag_format = DIAG_FORMAT_TEXT,
		.color = cli_use_color(),
	};
	bool check_only = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts.output = optarg;
			break;
		case 'E':
			opts.emit_c_dir = optarg;
			break;
		case 'D':
			if (parse_dumps(optarg, &opts.dumps) != 0) {
				fprintf(stderr, "polc compile: --dump takes ir, dp, dfa or c, comma separated\n");
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (cli_parse_format(optarg, &opts.diag_format) != 0) {
				fprintf(stderr, "polc compile: --format takes text, json, sarif or github\n");
				return EXIT_USAGE;
			}
			break;
		case 'N':
			opts.color = false;
			break;
		case 'S':
			opts.stats = true;
			break;
		case 'C':
			check_only = true;
			break;
		case 'm':
		case 'M': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 31536000) {
				fprintf(stderr, "polc compile: --fqdn-%s-ttl takes seconds, 1..31536000\n",
					c == 'm' ? "min" : "max");
				return EXIT_USAGE;
			}
			*(c == 'm' ? &opts.fqdn_min_ttl : &opts.fqdn_max_ttl) = (uint32_t)v;
			break;
		}
		case 'L':
			if (parse_http_limits(optarg, &opts) != 0) {
				fprintf(stderr, "polc compile: --http-limits takes head=64..65535, line=16..65535, "
						"headers=1..1000, steps=1..256, comma separated\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "polc compile: no input files\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opts.fqdn_min_ttl && opts.fqdn_max_ttl && opts.fqdn_min_ttl > opts.fqdn_max_ttl) {
		fprintf(stderr, "polc compile: --fqdn-min-ttl is above --fqdn-max-ttl\n");
		return EXIT_USAGE;
	}
	if (check_only)
		opts.output = NULL; /* the driver stops before codegen */
	opts.inputs = (const char *const *)argv + optind;
	opts.n_inputs = (size_t)(argc - optind);
	if (opts.diag_format != DIAG_FORMAT_TEXT)
		opts.color = false;
	return polc_compile(&opts);
}

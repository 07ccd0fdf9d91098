/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* polc command line: a thin dispatcher over the compiler and libpolc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"compile", cmd_compile, "compile policies and an inventory into an artifact"},
	{"inspect", cmd_inspect, "show what an artifact contains and where each entry came from"},
	{"load", cmd_load, "attach an artifact on this node, or swap to it atomically"},
	{"unload", cmd_unload, "remove everything polc attached or pinned"},
	{"lint", cmd_lint, "check policies for errors and suspicious rules (CI: json, sarif, github)"},
	{"trace", cmd_trace, "the verdict of one flow and the rules that decided it"},
	{"diff", cmd_diff, "the flows whose verdict changes between two policy sets"},
	{"test", cmd_test, "check connectivity assertions against the policies and the compiled artifact"},
	{"endpoint", cmd_endpoint, "add, update, relabel or delete pods on the live datapath (no clang)"},
	{"status", cmd_status, "the live generation, its endpoints and rule counters"},
	{"monitor", cmd_monitor, "print verdict events (drops, new flows) with the rule that decided"},
};

bool cli_use_color(void)
{
	const char *no_color = getenv("NO_COLOR");
	return isatty(STDERR_FILENO) && !(no_color && *no_color);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: polc COMMAND [OPTIONS] ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'polc COMMAND --help' describes a command.\n"
		     "Exit status: 0 success, 1 invalid input, 2 usage or I/O error, 3 kernel or loader failure.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("polc %s\n", POLC_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "polc: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

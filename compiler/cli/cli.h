/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The polc subcommands: each parses its own options and returns the exit status. */
#ifndef POLC_CLI_H
#define POLC_CLI_H

#include <stdbool.h>

#include "util/diag.h"

/* Exit statuses (the CLI contract). */
#define EXIT_INVALID_INPUT 1
#define EXIT_USAGE 2
#define EXIT_KERNEL 3

int cmd_compile(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_endpoint(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

struct polc_datapath;
/* The live endpoints as a table or a JSON array (polc status, polc endpoint list). */
int cli_endpoints_print(struct polc_datapath *dp, bool json);

/* "text", "json", "sarif" or "github" (--format); 0 or -1. */
int cli_parse_format(const char *arg, enum diag_format *format);

/* Colour diagnostics when stderr is a terminal and NO_COLOR is unset. */
bool cli_use_color(void);

#endif

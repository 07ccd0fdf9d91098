/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The compiler driver: the whole pipeline in one function, in order.
 *
 *   read inputs -> front ends (YAML -> policy IR) -> canonical order ->
 *   passes (policy IR -> datapath IR, L7 rule sets -> DFAs) -> codegen (polc_gen.h) -> clang
 *   -> artifact
 *
 * Every stage can be dumped; diagnostics from every stage are printed
 * together at the end, sorted by position.
 */
#ifndef POLC_DRIVER_H
#define POLC_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/diag.h"

enum compile_dump {
	COMPILE_DUMP_IR = 1u << 0, /* the policy IR after the front ends */
	COMPILE_DUMP_DP = 1u << 1, /* the datapath IR after the passes */
	COMPILE_DUMP_C = 1u << 2,  /* the generated header */
	COMPILE_DUMP_DFA = 1u << 3, /* the L7 HTTP rule sets and their DFAs */
};

/* Exit statuses of the CLI contract. */
enum compile_status {
	COMPILE_OK = 0,
	COMPILE_INVALID = 1, /* the input is wrong: diagnostics say where */
	COMPILE_IO = 2,      /* usage, I/O, or an internal failure */
};

struct compile_options {
	const char *const *inputs; /* files or directories */
	size_t n_inputs;
	const char *output;     /* artifact path; NULL: stop before codegen */
	const char *emit_c_dir; /* keep the generated C here */
	unsigned dumps;         /* enum compile_dump */
	FILE *dump_out;
	FILE *diag_out;
	enum diag_format diag_format;
	bool color;
	bool lint; /* warnings on, no code generation */
	uint32_t fqdn_min_ttl, fqdn_max_ttl; /* toFQDNs lifetime clamp in seconds; 0: the default */
	/* Bounds of the datapath's HTTP parser (codegen.h codegen_http_limits); 0: the default. */
	uint32_t http_max_head, http_max_line, http_max_headers, http_max_steps;
};

int polc_compile(const struct compile_options *opts);

#endif

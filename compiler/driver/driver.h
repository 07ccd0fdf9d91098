/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The compiler driver: the whole pipeline in one function, in order.
 *
 *   read inputs -> front ends (YAML -> policy IR) -> canonical order ->
 *   passes (policy IR -> datapath IR) -> codegen (polc_gen.h) -> clang
 *   -> artifact
 *
 * Every stage can be dumped; diagnostics from every stage are printed
 * together at the end, sorted by position.
 */
#ifndef POLC_DRIVER_H
#define POLC_DRIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "../util/diag.h"

enum compile_dump {
	COMPILE_DUMP_IR = 1u << 0, /* the policy IR after the front ends */
	COMPILE_DUMP_DP = 1u << 1, /* the datapath IR after the passes */
	COMPILE_DUMP_C = 1u << 2,  /* the generated header */
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
};

int polc_compile(const struct compile_options *opts);

struct ir_program;
struct ir_datapath;

/*
 * The two stages between the front ends and codegen, shared with the
 * re-resolution of a live datapath (reresolve.h), which must number
 * rules and resolve policies exactly as polc compile did:
 *   driver_canonicalize   policies in canonical order, rules renumbered
 *   driver_run_passes     every pass, in order (0, -EINVAL diagnosed, -ENOMEM)
 */
void driver_canonicalize(struct ir_program *prog);
int driver_run_passes(struct arena *arena, struct diag_sink *diags, struct ir_program *prog, struct ir_datapath *dp);

#endif

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
	bool lint; /* warnings on, the lint checks (analysis/lint.h), no code generation */
	/* Lint: findings at or above this severity make the status COMPILE_INVALID. */
	enum diag_severity fail_level;
	/* An input without policy is fine (polc diff from or to an empty set). */
	bool no_policy_ok;
	/* Print each stage's time and memory to diag_out (polc compile --stats). */
	bool stats;
	/* Bounds of the datapath's HTTP parser (codegen.h codegen_http_limits); 0: the default. */
	uint32_t http_max_head, http_max_line, http_max_headers, http_max_steps;
};

int polc_compile(const struct compile_options *opts);

/*
 * One compilation held open for the analysis commands (lint, trace,
 * diff, test): the same stages as polc_compile() up to the datapath IR,
 * then the caller reads the program and asks for the artifact in memory.
 * Everything belongs to the unit's arena and dies with polc_unit_close().
 */
struct polc_unit;
struct ir_program;
struct ir_datapath;

/*
 * Run the front ends and the passes over opts->inputs (opts->output and
 * the dumps are ignored; opts->lint adds the lint checks). *out is set
 * whenever the unit could be created, even on invalid input, so that the
 * caller can print its diagnostics. Returns an enum compile_status.
 */
int polc_unit_open(const struct compile_options *opts, struct polc_unit **out);
void polc_unit_close(struct polc_unit *u);

const struct ir_program *polc_unit_program(const struct polc_unit *u);
/* The datapath IR, or NULL when the input had errors (the passes did not run). */
const struct ir_datapath *polc_unit_datapath(const struct polc_unit *u);
/* Mutable: the analysis commands add their query texts, so diagnostics about them print alike. */
struct source_set *polc_unit_sources(struct polc_unit *u);
struct diag_sink *polc_unit_diags(struct polc_unit *u);
struct arena *polc_unit_arena(struct polc_unit *u);

/* Code generation and clang, into memory: *art is malloc'd. COMPILE_OK or COMPILE_IO (diagnosed). */
int polc_unit_artifact(struct polc_unit *u, void **art, size_t *size);

/* Print the unit's diagnostics at or above min, sorted, in opts' format. */
void polc_unit_print_diags(struct polc_unit *u, enum diag_severity min);

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

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Diagnostics: every stage reports problems here instead of printing or
 * aborting. A diagnostic carries the source position, the field path in
 * the object (spec.ingress[0].ports[0].port), a stable code, the message
 * and a hint. The driver prints them at the end in one of four formats.
 */
#ifndef POLC_UTIL_DIAG_H
#define POLC_UTIL_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "source.h"
#include "vec.h"

enum diag_severity {
	DIAG_NOTE = 0,
	DIAG_WARNING = 1,
	DIAG_ERROR = 2,
};

struct diag {
	enum diag_severity severity;
	struct src_loc loc;
	const char *code;    /* stable, kebab-case: "invalid-port" */
	const char *path;    /* field path or NULL */
	const char *message; /* no trailing period */
	const char *hint;    /* NULL when there is nothing useful to add */
	size_t seq;          /* insertion order, for a stable sort */
};

struct diag_sink {
	struct arena *arena;
	const struct source_set *sources;
	VEC(struct diag) diags;
	size_t count[3];
	/* Warnings the caller does not want (compile hides lint warnings). */
	bool suppress_warnings;
};

enum diag_format {
	DIAG_FORMAT_TEXT,
	DIAG_FORMAT_JSON,
	DIAG_FORMAT_SARIF,
	DIAG_FORMAT_GITHUB,
};

void diag_sink_init(struct diag_sink *sink, struct arena *arena, const struct source_set *sources);

/*
 * Record a diagnostic. path, code and hint may be NULL (code defaults to
 * "error"). Returns 0, or -ENOMEM when even the record could not be made.
 */
int diag_report(struct diag_sink *sink, enum diag_severity severity, struct src_loc loc,
		const char *path, const char *code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#define diag_error(sink, loc, path, code, hint, ...) \
	diag_report((sink), DIAG_ERROR, (loc), (path), (code), (hint), __VA_ARGS__)
#define diag_warning(sink, loc, path, code, hint, ...) \
	diag_report((sink), DIAG_WARNING, (loc), (path), (code), (hint), __VA_ARGS__)
#define diag_note(sink, loc, path, code, hint, ...) \
	diag_report((sink), DIAG_NOTE, (loc), (path), (code), (hint), __VA_ARGS__)

static inline bool diag_has_errors(const struct diag_sink *sink)
{
	return sink->count[DIAG_ERROR] > 0;
}

const char *diag_severity_name(enum diag_severity severity);

/* Sort by file, line, column, then report order. */
void diag_sort(struct diag_sink *sink);

/*
 * Print every diagnostic at or above min_severity. color adds ANSI colors
 * to text. 0 or -errno.
 *
 *   text    FILE:LINE:COL: SEVERITY: PATH: MESSAGE [code], the source
 *           line, a caret under the token, the hint
 *   json    an array of {file, line, column, severity, code, path,
 *           message, hint}: exactly these fields, line and column
 *           1-based (null when unknown, as file, path and hint may be)
 *   sarif   a SARIF 2.1.0 log: one run, a rule per code seen (described
 *           from the catalogue), results with the region of the token
 *           (columns in UTF-16 code units, SARIF's default) and the field
 *           path as logical location, the input files as artifacts
 *   github  workflow commands: ::warning file=F,line=L,col=C,...::MESSAGE
 */
int diag_print(const struct diag_sink *sink, FILE *out, enum diag_format format,
	       enum diag_severity min_severity, bool color);

/* The catalogue of stable codes (diag_codes.c): what each one means. */
struct diag_code_info {
	const char *code;
	enum diag_severity severity; /* the severity it is normally reported with */
	const char *summary;
};

/* The entry of code, or NULL for a code without description. */
const struct diag_code_info *diag_code_info(const char *code);
const struct diag_code_info *diag_code_list(size_t *n);

#endif

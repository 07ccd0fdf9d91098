/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internals shared by the query scanner (query.l), parser (query.y) and
 * their driver (query_parse.c): the parse context both carry.
 */
#ifndef POLC_GRAMMAR_QUERY_INT_H
#define POLC_GRAMMAR_QUERY_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "grammar/query.h"
#include "util/vec.h"

/* Errors reported per text before the parser gives up on the rest. */
#define QUERY_MAX_ERRORS 50

enum query_start {
	QUERY_START_FILE = 1,
	QUERY_START_ENDPOINT,
	QUERY_START_SERVICE,
};

struct query_ctx {
	const struct query_input *in;
	const char *text;
	size_t len;
	uint32_t pos;       /* scanner: offset of the next byte */
	enum query_start start;
	bool start_sent;    /* the start token went out */
	bool eof_nl_sent;   /* a file ends with an implicit newline */
	jmp_buf fatal;      /* flex out of memory: back to query_parse_*() */
	size_t n_errors;
	uint32_t skip_until; /* errors before this offset (the rest of a bad line) are not reported */
	bool oom;
	VEC(struct query_assertion) items;
	struct query_endpoint endpoint;
	struct query_service service;
	bool have_result;
};

/* An address literal as the scanner hands it over. */
struct query_addr {
	uint8_t family;
	uint8_t bytes[16];
};

/* Report an error at a span (a diagnostic); counts toward QUERY_MAX_ERRORS. */
void query_error_at(struct query_ctx *ctx, struct query_loc loc, const char *code, const char *hint,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Semantic helpers of the parser actions; they report and return false on bad input. */
char *query_strndup(struct query_ctx *ctx, const char *s, size_t n);
bool query_port_number(struct query_ctx *ctx, const char *text, struct query_loc loc, uint32_t max, uint32_t *out);
bool query_make_service(struct query_ctx *ctx, uint8_t proto, const char *port, bool numeric, struct query_loc loc,
			struct query_service *out);
bool query_add_req(struct query_ctx *ctx, struct query_selector *sel, const struct query_req *req);
bool query_add_value(struct query_ctx *ctx, struct query_req *req, const char *value);
bool query_push(struct query_ctx *ctx, const struct query_assertion *a);

#endif

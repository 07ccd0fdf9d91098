/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * How polc trace and polc test put a judged flow into words (text) and
 * data (JSON): the verdict, each side with the rule that decided it and
 * the other rules that matched, which side decided, and whether the
 * datapath tables agree with the policies.
 */
#ifndef POLC_CLI_FLOW_REPORT_H
#define POLC_CLI_FLOW_REPORT_H

#include <stdbool.h>

#include "analysis/flow.h"
#include "util/strbuf.h"

/* The flow's title: "x/a -> y/b tcp/80 (IPv4 198.18.0.10 -> 198.18.0.11)". */
void flow_report_title(struct strbuf *sb, const struct flow_end *src, const struct flow_end *dst, const char *service,
		       const struct flow_result *r);

/* The explanation, one line per side and per finding, each indented by indent. */
void flow_report_text(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_end *src,
		      const struct flow_end *dst, const struct flow_result *r, const char *indent);

/* One JSON object for the flow (no trailing newline). */
void flow_report_json(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_end *src,
		      const struct flow_end *dst, const char *service, const struct flow_result *r);

struct polc_unit;

/*
 * Parse a command-line argument of the query language (an endpoint, or a
 * service when svc is set) as a source named name of the unit, so its
 * errors print with a caret like any other. *where: its position.
 */
int cli_parse_query_arg(struct polc_unit *u, const char *name, const char *text, struct query_endpoint *ep,
			struct query_service *svc, struct src_loc *where);

/* "allow", "deny", "allow (audit)". */
const char *flow_verdict_word(bool allow, bool audit);

#endif

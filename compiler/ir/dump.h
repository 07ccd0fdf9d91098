/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Readable, deterministic dumps of each stage (polc compile --dump=...):
 *   ir    the policy IR: policies, rules, peers, ports, with positions
 *   dp    the datapath IR: identities, endpoints, policies, classes, entries
 *   dfa   the L7 HTTP rule sets: their rules and DFAs
 */
#ifndef POLC_IR_DUMP_H
#define POLC_IR_DUMP_H

#include "../util/source.h"
#include "../util/strbuf.h"
#include "datapath.h"
#include "ir.h"

void ir_dump_program(struct strbuf *out, const struct ir_program *prog, const struct source_set *sources);
void ir_dump_datapath(struct strbuf *out, const struct ir_datapath *dp, const struct ir_program *prog);
void ir_dump_http_sets(struct strbuf *out, const struct ir_datapath *dp, const struct source_set *sources);
/* The DNS rule sets and toFQDNs groups with their DFAs (--dump=dfa). */
void ir_dump_dns_sets(struct strbuf *out, const struct ir_datapath *dp, const struct source_set *sources);
void ir_dump_selector(struct strbuf *out, const struct ir_selector *sel);
void ir_dump_peer(struct strbuf *out, const struct ir_peer *peer);
void ir_dump_port(struct strbuf *out, const struct ir_port *port);

#endif

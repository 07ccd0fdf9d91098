/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The HTTP rule sets of a generation, as the compiler emits them into
 * polc_gen.h (compiler/codegen/http_tables.c): DFAs over bytes, one per
 * request field and rule set, in read-only arrays that clang places in
 * .rodata. libbpf freezes that map at load, so the tables cannot change
 * under a running program, and every lookup is a bounds-checked load
 * with no helper call.
 *
 * A generated polc_gen.h with HTTP rules includes this file, then
 * defines (every size a macro of the same name in capitals, _LEN):
 *
 *   polc_http_class[]     __u8, 256 per DFA: the byte class of each byte
 *   polc_http_next[]      __u16: next state, row per state, column per class
 *   polc_http_accept[]    __u64 per state: the rules (or names, or header
 *                         constraints) that match when the input ends there
 *   polc_http_rule_ids[]  __u32: rule id of each bit of each set
 *   polc_http_sets[]      struct polc_http_set, index = set id (0 unused)
 *
 * (The union table of identity and CIDR sets is every L7 protocol's: l7_sets.h.)
 *
 * State 0 of every DFA is dead (every byte stays there, nothing is
 * accepted): zeroed memory and out-of-range indexes both mean "no
 * match", which is the safe answer.
 */
#ifndef POLC_BPF_HTTP_TABLES_H
#define POLC_BPF_HTTP_TABLES_H

#include <linux/types.h>

/*
 * Every table in .rodata itself: clang would put a small one (4, 8, 16
 * bytes) in a mergeable-constant section (.rodata.cst8) that BTF does
 * not describe, and the kernel would refuse the object's BTF.
 */
#define POLC_RODATA __attribute__((section(".rodata")))

/* One DFA; n_states 0: no rule constrains the field (every value, and none, matches). */
struct polc_http_dfa {
	__u32 next;      /* index of state 0's row in polc_http_next */
	__u32 accept;    /* index of state 0's mask in polc_http_accept */
	__u32 classes;   /* index of its 256 byte classes in polc_http_class */
	__u16 n_classes;
	__u16 n_states;
	__u16 start;
	__u16 pad[3];
};

#define POLC_HTTP_MAX_NAMES 16
#define POLC_HTTP_MAX_CONS 64

/* Special header names: bits of the name DFA's accept sets (dp_http_special_name). */
#define POLC_HTTP_NAME_CL (1ull << 0)
#define POLC_HTTP_NAME_TE (1ull << 1)
#define POLC_HTTP_NAME_HOST (1ull << 2)
#define POLC_HTTP_NAME_UPGRADE (1ull << 3)
#define POLC_HTTP_NAME_FIRST 4 /* constrained name i is bit 4 + i */

/*
 * A rule set. Bit i of a rule mask is rule i. A request is allowed by
 *   accept(method) & accept(path) & (Host ? accept(host) : host_optional)
 *   & ~(the rules of every header constraint the request does not meet)
 * Constraint c is met when name cons_name[c] is present and, if it has
 * a value, the name's values (joined with ',') end in a state of the
 * value DFA that accepts c.
 */
struct polc_http_set {
	struct polc_http_dfa method, path, host, names, values;
	__u64 all;           /* every rule of the set */
	__u64 host_optional; /* rules without a host regex */
	__u32 rule_ids;      /* index of bit 0's rule id in polc_http_rule_ids */
	__u8 n_rules;
	__u8 n_names;
	__u8 n_cons;
	__u8 pad;
	__u64 name_present[POLC_HTTP_MAX_NAMES]; /* constraints met by the name's presence */
	__u64 name_values[POLC_HTTP_MAX_NAMES];  /* constraints on the name's value */
	__u64 cons_rules[POLC_HTTP_MAX_CONS];    /* rules that need each constraint */
};

_Static_assert(sizeof(struct polc_http_dfa) == 24, "http dfa layout");

#endif

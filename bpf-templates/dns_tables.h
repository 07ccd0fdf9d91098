/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DNS rule sets and toFQDNs groups of a generation, as the compiler
 * emits them into polc_gen.h (compiler/codegen/dns_tables.c): byte DFAs
 * over a name in dotted form with its final dot ("www.example.com."),
 * ASCII case folded, in read-only arrays (.rodata, frozen at load).
 *
 * A generated polc_gen.h with DNS rules or toFQDNs includes this file,
 * then defines (sizes as macros named after the array in capitals, _LEN):
 *
 *   polc_dns_class[]        __u8, 256 per DFA: the byte class of each byte
 *   polc_dns_next[]         __u16: next state, row per state, column per class
 *   polc_dns_accept[]       __u32 per state. DNS set: the lowest rule id of
 *                           the rules that allow the name, plus one (0: none).
 *                           toFQDNs group: the index in polc_fqdn_lists of the
 *                           selectors that match the name (0: none)
 *   polc_fqdn_lists[]       __u32: at index i, a count n, then n selector
 *                           hashes (polc/layout.h struct polc_fqdn_slot)
 *   polc_dns_sets[]         struct polc_dns_dfa, index = set id -
 *                           POLC_GEN_DNS_SET_FIRST + 1 (0 unused)
 *   polc_fqdn_groups[]      struct polc_dns_dfa, index = group id (0 unused)
 *   polc_fqdn_policy_group[] __u16, index = policy id: its group, 0 none
 *
 * State 0 of every DFA is dead: zeroed memory and out-of-range indexes
 * mean "no rule, no selector", the safe answer.
 */
#ifndef POLC_BPF_DNS_TABLES_H
#define POLC_BPF_DNS_TABLES_H

#include <linux/types.h>

#ifndef POLC_RODATA
/* Every table in .rodata itself (see http_tables.h). */
#define POLC_RODATA __attribute__((section(".rodata")))
#endif

struct polc_dns_dfa {
	__u32 next;      /* index of state 0's row in polc_dns_next */
	__u32 accept;    /* index of state 0's value in polc_dns_accept */
	__u32 classes;   /* index of its 256 byte classes in polc_dns_class */
	__u16 n_classes;
	__u16 n_states;  /* 0: no DFA (nothing matches) */
	__u16 start;
	__u16 pad[3];
};

_Static_assert(sizeof(struct polc_dns_dfa) == 24, "dns dfa layout");

#endif

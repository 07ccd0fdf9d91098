/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Small tools every datapath header uses, and the verifier rules that
 * shaped the templates. The rules are repeated, briefly, where they bite.
 *
 * Verifier lessons (kernel 6.18, clang 14):
 *
 * 1. A key built on the stack and handed to a map helper must be fully
 *    initialised, padding included ("invalid indirect read from stack").
 *    `struct k key = {}` does not promise to zero padding: keys are
 *    cleared with __builtin_memset first, then filled (polc_zero()).
 *
 * 2. Headers are copied onto the stack (polc_load()) rather than read in
 *    place all over the code, so that packet-pointer range tracking stays
 *    in one small function. The copy comes straight from the linear part
 *    of the skb when the bytes are there: the pointer is bounds-checked
 *    and read through as one variable (`from = data + off; if (from + len
 *    <= data_end) memcpy(to, from, len)`), and off is capped first, since
 *    the verifier only accepts packet pointers with bounded offsets.
 *    Otherwise bpf_skb_load_bytes() copies it (constant length, stack
 *    buffer): a helper call, 20-30 ns here, is only paid by non-linear
 *    skbs.
 *
 * 3. A tail-called program cannot tell which tc hook it runs on, so the
 *    entry program passes the direction in skb->cb[0]. The generation
 *    checks it (< POLC_NR_DIRS) before using it as an array index: an
 *    unchecked value from the context is an unbounded scalar.
 *
 * 4. Values read from maps (orig_dir of a conntrack entry) and arguments
 *    of global functions are unbounded scalars too: index two-element
 *    arrays with `d ? a[1] : a[0]`, never a[d].
 *
 * 5. The prefix-length loops of the ipcache are fully unrolled so that
 *    every mask is a constant: with 33 IPv4 and 129 IPv6 lengths the
 *    program grows by a few thousand instructions, which lesson 7 keeps
 *    the verifier from walking more than once.
 *
 * 6. The verifier explores every path, and what tells paths apart is
 *    every constant it still knows and later branches on (the address
 *    family, the protocol, whether an entry was found, which way a header
 *    was read...). Inlined into one function, parsing, ipcache, policy
 *    and events were walked once per combination of those: 300k
 *    instructions processed for the worst-case generation, 100k more
 *    once headers could be read two ways. Within the probes, the lowest
 *    rule ids are accumulated with min() rather than "found" flags, which
 *    would add combinations of their own.
 *
 * 7. Global functions (non-static, noinline: POLC_GLOBAL) are verified
 *    once, on their own, knowing their arguments by type only. Parsing,
 *    the related-ICMP check, the ipcache lookup, the policy decision and
 *    event reporting are global: the worst case went from 300k to about
 *    22k processed instructions. The price: their arguments can only be
 *    the context, scalars and pointers to plain, initialised memory
 *    (hence struct polc_ctx holds a copy of the endpoint, not a pointer
 *    into the map), every pointer argument may be NULL, what they write
 *    is unknown to the caller afterwards, and a call costs a few ns.
 *
 * 8. When a global function does not use an argument (the port, when no
 *    rule has port classes), clang leaves the argument register unset at
 *    the call, and the verifier refuses a non-scalar where the BTF says
 *    scalar ("R3 is not a scalar"). polc_keep() marks it used.
 *
 * 9. Context fields must be read at a constant offset from the context
 *    pointer itself. Inlined several times, polc_load() let clang compute
 *    skb + offsetof(data) once and reuse it ("dereference of modified ctx
 *    ptr"); polc_barrier_var(skb) makes each read start from skb again.
 */
#ifndef POLC_BPF_VERIFIER_H
#define POLC_BPF_VERIFIER_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Lesson 7: a global function, verified once on its own. */
#define POLC_GLOBAL __attribute__((noinline))

/* One read of a value another CPU or user space may change meanwhile. */
#define POLC_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))

/* Lesson 1: zero a stack key (padding included) before filling it in. */
#define polc_zero(ptr) __builtin_memset((ptr), 0, sizeof(*(ptr)))

#define polc_min(a, b) ((a) < (b) ? (a) : (b))

/* Lesson 8: make clang believe a global function's argument is used. */
#define polc_keep(var) asm volatile("" : : "r"(var))

/* Lesson 9: make clang forget what it knows about var (it may have changed). */
#define polc_barrier_var(var) asm volatile("" : "+r"(var))

#endif

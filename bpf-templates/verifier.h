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
 * 2. bpf_skb_load_bytes() needs a constant length and a stack buffer.
 *    Every header is copied onto the stack with it instead of being read
 *    in place: IPv6 extension headers sit at offsets only known at run
 *    time, and on veth the skb can be non-linear; copying keeps the
 *    verifier out of packet-pointer range tracking altogether, at the
 *    price of one helper call per header.
 *
 * 3. A tail-called program cannot tell which tc hook it runs on, so the
 *    entry program passes the direction in skb->cb[0]. The generation
 *    checks it (< POLC_NR_DIRS) before using it as an array index: an
 *    unchecked value from the context is an unbounded scalar.
 *
 * 4. Values read from maps (orig_dir of a conntrack entry) are unbounded
 *    scalars too: index arrays with `d ? a[1] : a[0]`, never a[d].
 *
 * 5. The prefix-length loops of the ipcache are fully unrolled so that
 *    every mask is a constant: with 33 IPv4 and 129 IPv6 lengths the
 *    program grows by a few thousand instructions, which lesson 7 keeps
 *    the verifier from walking more than once.
 *
 * 6. The verifier explores every path, and what tells paths apart is
 *    every constant it still knows and later branches on (the address
 *    family, the protocol, whether an entry was found...). Inlined, the
 *    ipcache, policy and event code were walked once per combination of
 *    those: 300k instructions processed for the worst-case generation.
 *    Accumulating the lowest rule ids with min() instead of "found"
 *    flags keeps the probes from adding combinations of their own.
 *
 * 7. Global functions (non-static, noinline: POLC_GLOBAL) are verified
 *    once, on their own, knowing their arguments by type only. The
 *    ipcache lookup, the policy decision and event reporting are global,
 *    which brought the worst case from 300k to 26k processed
 *    instructions. The price: their arguments can only be scalars and
 *    pointers to plain, initialised memory (hence struct polc_ctx holds
 *    a copy of the endpoint, not a pointer into the map), every pointer
 *    argument may be NULL, and a call costs a few nanoseconds.
 *
 * 8. When a global function does not use an argument (the port, when no
 *    rule has port classes), clang leaves the argument register unset at
 *    the call, and the verifier refuses a non-scalar where the BTF says
 *    scalar ("R3 is not a scalar"). polc_keep() marks it used.
 */
#ifndef POLC_BPF_VERIFIER_H
#define POLC_BPF_VERIFIER_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#define polc_likely(x) __builtin_expect(!!(x), 1)
#define polc_unlikely(x) __builtin_expect(!!(x), 0)

/* One read of a value another CPU or user space may change meanwhile. */
#define POLC_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define POLC_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Lesson 1: zero a stack key (padding included) before filling it in. */
#define polc_zero(ptr) __builtin_memset((ptr), 0, sizeof(*(ptr)))

#define polc_min(a, b) ((a) < (b) ? (a) : (b))

/* Lesson 8: make clang believe a global function's argument is used. */
#define polc_keep(var) asm volatile("" : : "r"(var))

#endif

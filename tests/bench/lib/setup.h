/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What every benchmark does before it measures: find the build directory
 * it runs from, and move into a private network namespace with one veth
 * pair whose host side carries the packets, pinned to one CPU.
 */
#ifndef POLC_BENCH_SETUP_H
#define POLC_BENCH_SETUP_H

#include <stddef.h>

/*
 * Benchmarks live in BUILD/tests/bench: writes BUILD (polc is BUILD/polc,
 * the repository its parent). 0 or -errno.
 */
int bench_build_dir(const char *argv0, char *build, size_t size);

/*
 * Enters a new network namespace, creates the veth pair HOST/POD there and
 * stores HOST's ifindex, pins the process to CPU 0 (best effort: steadier
 * figures) and silences libbpf. On failure prints why, naming PROG, and
 * returns -errno (root is needed).
 */
int bench_enter_netns(const char *prog, const char *host, const char *pod, int *host_ifindex);

#endif

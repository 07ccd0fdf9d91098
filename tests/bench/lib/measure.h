/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Per-packet cost of a tc program, measured by the kernel: one packet
 * run `repeat` times in one BPF_PROG_TEST_RUN (on one CPU, without
 * migration), whose reported duration is the mean time per run. Several
 * rounds; the median is the figure, the minimum the best case.
 *
 * Works on any program fd: the datapath through its entry program, a
 * generation alone, or the empty baseline (tests/bench/bench_empty.bpf.c).
 * The packet's ifindex must exist in the caller's network namespace.
 */
#ifndef POLC_BENCH_MEASURE_H
#define POLC_BENCH_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_ROUNDS 64

struct bench_opts {
	int ifindex;     /* skb->ifindex of the packet */
	uint32_t cb0;    /* skb->cb[0] (the direction, when running a generation directly) */
	uint32_t repeat; /* runs per round (e.g. 1000000) */
	uint32_t rounds; /* 1..BENCH_MAX_ROUNDS */
};

struct bench_result {
	double ns_median; /* ns per packet, median of the rounds */
	double ns_min;    /* ns per packet, best round */
	int retval;       /* the program's verdict for the packet */
};

/* 0 or -errno (from BPF_PROG_TEST_RUN); *out untouched on failure. */
int bench_measure(int prog_fd, const void *pkt, size_t len, const struct bench_opts *opts, struct bench_result *out);

/*
 * Figures of one-run calls (each a new connection or request, so they
 * cannot be repeated in the kernel): the median, since a single
 * preemption on this small machine would move a mean by microseconds.
 */
#define BENCH_MAX_SAMPLES 2048

struct bench_samples {
	double ns[BENCH_MAX_SAMPLES];
	size_t n;
};

/* Samples beyond BENCH_MAX_SAMPLES are ignored. */
void bench_sample(struct bench_samples *s, double ns);
/* The median (sorts the samples); 0 without samples. */
double bench_median(struct bench_samples *s);

#endif

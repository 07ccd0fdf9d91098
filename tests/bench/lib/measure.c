/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Benchmark support: per-packet cost through BPF_PROG_TEST_RUN (see measure.h). */
#include "measure.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int bench_measure(int prog_fd, const void *pkt, size_t len, const struct bench_opts *opts, struct bench_result *out)
{
	uint32_t durations[BENCH_MAX_ROUNDS];
	uint32_t rounds = opts->rounds;
	int retval = 0;

	if (rounds == 0 || rounds > BENCH_MAX_ROUNDS || opts->repeat == 0 || len > UINT32_MAX)
		return -EINVAL;

	for (uint32_t i = 0; i < rounds; i++) {
		struct __sk_buff ctx = { .ifindex = (uint32_t)opts->ifindex, .cb = { opts->cb0 } };
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = (uint32_t)len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = opts->repeat);

		if (bpf_prog_test_run_opts(prog_fd, &topts))
			return -errno;
		durations[i] = topts.duration;
		retval = (int)topts.retval;
	}
	qsort(durations, rounds, sizeof(durations[0]), cmp_u32);
	out->ns_min = durations[0];
	out->ns_median = rounds % 2 ? durations[rounds / 2]
				    : (durations[rounds / 2 - 1] + (double)durations[rounds / 2]) / 2;
	out->retval = retval;
	return 0;
}

void bench_sample(struct bench_samples *s, double ns)
{
	if (s->n < BENCH_MAX_SAMPLES)
		s->ns[s->n++] = ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(struct bench_samples *s)
{
	if (s->n == 0)
		return 0;
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_double);
	return s->n % 2 ? s->ns[s->n / 2] : (s->ns[s->n / 2 - 1] + s->ns[s->n / 2]) / 2;
}

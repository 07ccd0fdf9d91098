/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Map population: the artifact's map sections go into a new generation's
 * maps before it is live, so the speed of this step is the speed of a
 * policy swap. One BPF_MAP_UPDATE_BATCH per chunk instead of a syscall
 * per entry; element by element only where the kernel has no batch op
 * for the map type.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define FILL_BATCH 8192u

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static int fill_one_by_one(int fd, const char *name, const uint8_t *keys, const uint8_t *values, uint32_t key_size,
			   size_t value_stride, uint32_t n, struct polc_error *err)
{
	for (uint32_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(fd, keys + (size_t)i * key_size, values + (size_t)i * value_stride, BPF_ANY))
			return polc_errf_sys(err, -errno, "cannot fill map %s (entry %u of %u)", name, i + 1, n);
	}
	return 0;
}

int polc_map_fill(int fd, const char *name, uint32_t map_type, uint32_t key_size, uint32_t value_size,
		  uint32_t max_entries, const uint8_t *pairs, uint32_t n, struct polc_error *err)
{
	if (n == 0)
		return 0;
	if (n > max_entries)
		return polc_errf(err, -E2BIG, "map %s: %u entries do not fit in %u", name, n, max_entries);
	if (is_array(map_type)) {
		if (key_size != sizeof(__u32))
			return polc_errf(err, -EINVAL, "map %s: array keys are 4 bytes, not %u", name, key_size);
		for (uint32_t i = 0; i < n; i++) {
			__u32 k;
			memcpy(&k, pairs + (size_t)i * (key_size + value_size), sizeof(k));
			if (k >= max_entries)
				return polc_errf(err, -EINVAL, "map %s: index %u out of range (%u entries)", name, k,
						 max_entries);
		}
	}

	/* The kernel wants keys and values in two arrays, per-CPU values once per possible CPU. */
	size_t ncpus = 1, stride = value_size;
	if (is_percpu(map_type)) {
		int c = libbpf_num_possible_cpus();
		if (c <= 0)
			return polc_errf_sys(err, c ? c : -EINVAL, "cannot count possible CPUs");
		ncpus = (size_t)c;
		stride = ((size_t)value_size + 7) / 8 * 8 * ncpus;
	}
	_cleanup_free_ uint8_t *keys = malloc((size_t)n * key_size);
	_cleanup_free_ uint8_t *values = calloc(n, stride);
	if (!keys || !values)
		return polc_errf(err, -ENOMEM, "map %s: out of memory for %u entries", name, n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *pair = pairs + (size_t)i * (key_size + value_size);
		memcpy(keys + (size_t)i * key_size, pair, key_size);
		for (size_t c = 0; c < ncpus; c++)
			memcpy(values + (size_t)i * stride + c * (stride / ncpus), pair + key_size, value_size);
	}

	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	for (uint32_t done = 0; done < n;) {
		__u32 count = n - done < FILL_BATCH ? n - done : FILL_BATCH;
		int rc = bpf_map_update_batch(fd, keys + (size_t)done * key_size, values + (size_t)done * stride,
					      &count, &opts);
		if (rc == 0) {
			done += count;
			continue;
		}
		rc = -errno;
		/* No batch op for this map type (or an older kernel): the slow way. */
		if (done == 0 && (rc == -EINVAL || rc == -ENOTSUP || rc == -EOPNOTSUPP || rc == -524))
			return fill_one_by_one(fd, name, keys, values, key_size, stride, n, err);
		return polc_errf_sys(err, rc, "cannot fill map %s (%u of %u entries written)", name, done + count, n);
	}
	return 0;
}

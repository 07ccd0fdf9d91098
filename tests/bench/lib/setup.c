/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include "setup.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "netns.h"

int bench_build_dir(const char *argv0, char *build, size_t size)
{
	char self[PATH_MAX];
	if (!realpath(argv0, self))
		return -errno;
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(self, '/');
		if (!slash)
			return -ENOENT;
		*slash = '\0';
	}
	if ((size_t)snprintf(build, size, "%s", self) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int bench_enter_netns(const char *prog, const char *host, const char *pod, int *host_ifindex)
{
	int peer;
	int err = netns_enter_private();
	if (!err)
		err = netns_veth_add(host, pod, host_ifindex, &peer);
	if (err) {
		fprintf(stderr, "%s: cannot set up a network namespace (root needed): %s\n", prog, strerror(-err));
		return err;
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	libbpf_set_print(NULL);
	return 0;
}

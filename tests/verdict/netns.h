/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A private network namespace for in-kernel tests: BPF_PROG_TEST_RUN
 * resolves the ifindex of its context in the caller's namespace, so the
 * tests create their interfaces where they touch nothing else.
 */
#ifndef POLC_TEST_NETNS_H
#define POLC_TEST_NETNS_H

/* Move the calling process into a new, empty network namespace. 0 or -errno. */
int netns_enter_private(void);

/* Create the veth pair name <-> peer in the current namespace; their ifindexes. 0 or -errno. */
int netns_veth_add(const char *name, const char *peer, int *ifindex, int *peer_ifindex);

#endif

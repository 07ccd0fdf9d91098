/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc test's kernel side: the compiled artifact itself, loaded with
 * polc_private_load() (private shared maps, nothing pinned or attached)
 * inside a private network namespace whose dummy interfaces (veth ends
 * where the kernel lacks the dummy driver) carry the names of the
 * inventory's polc.io/interface annotations, so that every
 * endpoint resolves as it would on the node. Crafted packets then go
 * through the entry programs with BPF_PROG_TEST_RUN, on the interface
 * of the pod whose hook would see them.
 *
 * The namespace is entered with unshare(CLONE_NEWNET) and left with
 * setns() to the original one; nothing refers to it afterwards, so the
 * kernel removes it and its interfaces. Needs root (CAP_SYS_ADMIN,
 * CAP_NET_ADMIN, CAP_BPF).
 */
#ifndef POLC_CLI_TESTBED_H
#define POLC_CLI_TESTBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct testbed;

/*
 * Enter a private network namespace, create a dummy interface for each
 * name, load the artifact, and come back to the original namespace. On
 * failure *msg (static or malloc'd into msg_buf) says why; returns 0 or
 * a negative errno (-EPERM without privileges).
 */
int testbed_open(const void *artifact, size_t size, const char *const *ifnames, size_t n_ifnames,
		 struct testbed **out, char *msg, size_t msg_size);
void testbed_close(struct testbed *tb);

/* One packet of a new flow. */
struct testbed_packet {
	uint8_t family;
	uint8_t src[16], dst[16];
	uint8_t proto;
	uint16_t port; /* destination port, or ICMP type */
};

enum testbed_dir {
	TESTBED_FROM_POD, /* tc ingress of the pod's interface: its egress */
	TESTBED_TO_POD,   /* tc egress: its ingress */
};

/*
 * Run pkt through the entry program of dir on interface ifname (inside
 * the private namespace). *allow: the datapath let it pass. Each call
 * uses a fresh source port (ICMP: identifier), so earlier packets'
 * connections never answer for it. 0 or -errno (msg says why).
 */
int testbed_run(struct testbed *tb, const char *ifname, enum testbed_dir dir, const struct testbed_packet *pkt,
		bool *allow, char *msg, size_t msg_size);

/* ICMP types the datapath does not judge as a new flow (errors are related traffic, ND passes). */
bool testbed_icmp_is_new_flow(uint8_t proto, uint8_t type);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test artifacts for the loader, built the way `polc compile` will build
 * real ones (artifact writer, map sections, meta/info, meta/endpoints),
 * around the fixture generations of tests/loader/fixtures/ that the
 * build embeds as polc_test_fixtures ("pass.bpf.o", "drop.bpf.o", ...).
 */
#ifndef POLC_TEST_TESTART_H
#define POLC_TEST_TESTART_H

#include <stddef.h>
#include <stdint.h>

struct polc_test_ep {
	const char *ifname;
	uint32_t policy_ingress;
	uint32_t policy_egress;
	uint32_t flags;
};

/* polc_policy entry {policy, peer, proto 0, port class 0} -> action. */
struct polc_test_policy {
	uint32_t policy;
	uint32_t peer; /* identity or POLC_PEER_ANY */
	uint8_t action; /* POLC_ACT_ALLOW / POLC_ACT_DENY */
};

/* polc_ipcache entry for one IPv4 address (/32). */
struct polc_test_ipcache {
	uint8_t addr[4];
	uint32_t identity;
};

/* Sections a negative test can leave out. */
#define POLC_TEST_OMIT_GEN (1u << 0)
#define POLC_TEST_OMIT_ENDPOINTS (1u << 1)
#define POLC_TEST_OMIT_POLICY_MAP (1u << 2)
#define POLC_TEST_OMIT_REVISION (1u << 3)

struct polc_test_art {
	const char *fixture; /* "pass", "drop", "broken", "bss", "nostate", "badlayout" */
	const void *gen;     /* or this object instead of a fixture */
	size_t gen_size;
	const struct polc_test_ep *eps;
	size_t n_eps;
	const struct polc_test_policy *policies;
	size_t n_policies;
	const struct polc_test_ipcache *ipcache;
	size_t n_ipcache;
	uint64_t revision;	/* 0: a hash of the contents, as the compiler's */
	uint32_t endpoints_max; /* 0: 64 */
	unsigned int omit;	/* POLC_TEST_OMIT_* */
	/* One raw section (name, data, size), e.g. a corrupt map section; it
	 * replaces the standard section of that name (bpf/gen.o, map/...). */
	const char *extra_name;
	const void *extra_data;
	size_t extra_size;
};

/* Serialized artifact in a malloc'd buffer. 0 or -errno. */
int polc_test_artifact(const struct polc_test_art *spec, void **out, size_t *out_size);
/* The fixture object itself (embedded), or NULL. */
const void *polc_test_fixture(const char *name, size_t *size);

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Private loads, for verdict tests and benchmarks: the same generation
 * loading and map filling as the datapath, but with shared maps of its
 * own, nothing pinned and nothing attached. The entry programs then
 * judge packets handed to BPF_PROG_TEST_RUN exactly as on an interface
 * (tail call included), and a swap can be timed or tested for what
 * survives it without touching the node.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

struct polc_private {
	struct polc_shared sh;
	struct polc_gen *gen;
	polc_resolve_fn resolve;
	void *resolve_ctx;
};

/* Build a generation from the artifact and put it in slot 0 of p's prog array. */
static int private_install(struct polc_private *p, const struct polc_artifact *a, struct polc_error *err)
{
	struct polc_art_meta meta;
	struct polc_eps eps = { 0 };
	struct polc_gen *gen = NULL;
	size_t len = 0;
	int rc = polc_meta_read(a, &meta, err);
	if (rc)
		return rc;
	const char *text = polc_artifact_section(a, "meta/endpoints", &len);
	if (!text)
		return polc_errf(err, -EINVAL, "artifact has no meta/endpoints section");
	if ((rc = polc_eps_parse(text, len, meta.endpoints_max, &eps, err)) ||
	    (rc = polc_eps_resolve(&eps, p->resolve, p->resolve_ctx, err)) || (rc = polc_gen_open(a, &meta, &gen, err)) ||
	    (rc = polc_gen_load(gen, &p->sh, &eps, err)))
		goto out;
	__u32 key = 0;
	int fd = polc_gen_prog_fd(gen);
	if (bpf_map_update_elem(p->sh.map_fd[POLC_SM_GEN_PROG], &key, &fd, BPF_ANY)) {
		rc = polc_errf_sys(err, -errno, "cannot put %s in slot 0", POLC_PROG_GEN);
		goto out;
	}
	polc_gen_free(p->gen);
	p->gen = TAKE_PTR(gen);
out:
	polc_gen_free(gen);
	polc_eps_free(&eps);
	return rc;
}

int polc_private_load(const struct polc_artifact *a, const struct polc_private_opts *opts,
		      struct polc_private **out, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct polc_private *p = calloc(1, sizeof(*p));
	if (!p)
		return polc_errf(err, -ENOMEM, "out of memory");
	polc_shared_init(&p->sh);
	if (opts && opts->sz >= offsetof(struct polc_private_opts, resolve_ctx) + sizeof(void *)) {
		p->resolve = opts->resolve;
		p->resolve_ctx = opts->resolve_ctx;
	}
	int rc = polc_shared_create(&p->sh, err);
	if (rc == 0)
		rc = private_install(p, a, err);
	if (rc) {
		polc_private_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int polc_private_swap(struct polc_private *p, const struct polc_artifact *a, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	return private_install(p, a, err);
}

int polc_private_prog_fd(const struct polc_private *p, const char *name)
{
	if (strcmp(name, POLC_PROG_FROM_POD) == 0)
		return p->sh.from_pod_fd;
	if (strcmp(name, POLC_PROG_TO_POD) == 0)
		return p->sh.to_pod_fd;
	if (strcmp(name, POLC_PROG_GEN) == 0)
		return p->gen ? polc_gen_prog_fd(p->gen) : -1;
	return -1;
}

int polc_private_map_fd(const struct polc_private *p, const char *name)
{
	int i = polc_shared_map_index(name);
	if (i >= 0)
		return p->sh.map_fd[i];
	return p->gen ? polc_gen_map_fd(p->gen, name) : -1;
}

void polc_private_free(struct polc_private *p)
{
	if (!p)
		return;
	polc_gen_free(p->gen);
	polc_shared_release(&p->sh);
	free(p);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Re-resolution: what libpolc runs when a pod is created, deleted or
 * relabelled on a live datapath. The front end and the passes run again
 * on the live generation's own inputs (the artifact's source/<n>
 * sections) with the inventory changed; codegen writes the tables but
 * clang never runs: the program of the live generation stays, only its
 * maps change (loader/endpoints.c diffs them against the kernel's).
 *
 * Ids are the live generation's. A fresh resolution numbers identities,
 * policies and endpoints densely, so one new label set would renumber
 * everything after it; instead every identity keeps the id its label
 * set has in the live tables, every policy id the id of the same rule
 * set (meta/policies signatures), every endpoint its id, and only what
 * is new gets a new id, from counters that only grow. A change then
 * touches only the entries it must.
 *
 * The live state (libpolc pins it beside the generation, see
 * loader/record.c) is an artifact container holding:
 *   meta/info, meta/rules, meta/sources, source/<n>, meta/switches
 *                    as the artifact had them (never change)
 *   meta/identities, meta/endpoints, meta/policies, meta/pods
 *                    the live tables, in the artifact's formats
 *   live/pods        pods that differ from the artifact's inventory or
 *                    are not in it: a JSON List of v1 Pods, canonical
 *   live/deleted     pods of the artifact's inventory that are gone,
 *                    one namespace/name per line
 *   live/info        key=value lines: base_revision, revision, next_identity,
 *                    next_endpoint, next_policy, changes; other keys are
 *                    the loader's and pass through untouched
 * reresolve() takes the state and a list of changes and returns the new
 * state plus the map/<name> sections the maps must now hold.
 *
 * The live revision names the policy data: the artifact's revision while
 * the inventory is the artifact's, else a hash of it and the changed
 * pods. Two states with one revision judge every packet alike, so
 * conntrack entries of that revision need no second look.
 */
#ifndef POLC_DRIVER_RERESOLVE_H
#define POLC_DRIVER_RERESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "polc/artifact.h"

#include "../codegen/codegen.h"

enum rr_op {
	RR_ADD = 1,     /* pods of text; none may exist */
	RR_UPDATE = 2,  /* pods of text replace existing ones */
	RR_UPSERT = 3,  /* add or replace */
	RR_DELETE = 4,  /* namespace/name must exist */
	RR_RELABEL = 5, /* namespace/name keeps all but its labels, which become labels[] */
};

struct rr_label {
	const char *key;
	const char *value;
};

struct rr_change {
	enum rr_op op;
	/* ADD, UPDATE, UPSERT: Kubernetes v1 Pod objects, YAML or JSON (List, many documents). */
	const char *text;
	size_t len;
	const char *text_name; /* for diagnostics: a file name, or "<pod x/y>" */
	/* DELETE, RELABEL */
	const char *namespace;
	const char *name;
	const struct rr_label *labels;
	size_t n_labels;
};

struct rr_result {
	void *state; /* malloc'd artifact container: the new live state plus map/<name> sections */
	size_t state_size;
	uint64_t revision;      /* live revision of the new state */
	uint64_t base_revision; /* the artifact's */
	uint32_t identities_added;
	uint32_t identities_removed;
	uint32_t pods_changed; /* pods added, replaced or deleted by this call */
	char *message;         /* malloc'd: diagnostics or the reason of a refusal */
};

/*
 * Returns 0; -EINVAL for invalid input (diagnostics in message: a pod
 * that does not parse, an address or interface two pods claim, a pod to
 * add that exists); -ENOENT for a pod to change that does not exist;
 * -EOPNOTSUPP when the compiled program cannot enforce the new state
 * (message: which switch, "needs polc compile"); -EPROTO when the state
 * lacks what re-resolution needs (an artifact without sources, or one
 * that this polc does not resolve to the same rules); -ENOMEM.
 * sizes are the live maps' sizes (they only show in map/ headers).
 * cache: see rr_cache_free below.
 */
struct rr_cache;

int reresolve(const struct polc_artifact *state, const struct rr_change *changes, size_t n_changes,
	      const struct codegen_sizes *sizes, struct rr_cache **cache, struct rr_result *out);
void rr_result_free(struct rr_result *r);

/*
 * cache (may be NULL) keeps the artifact's inputs parsed between calls of
 * one caller (a node agent's long-lived handle): *cache is reused when it
 * is of this state's artifact, replaced otherwise. Free it when done.
 */
void rr_cache_free(struct rr_cache *c);

/* A copy of state with one live/info key set to a number (malloc'd container). */
int rr_state_set_info(const struct polc_artifact *state, const char *key, uint64_t value, void **out, size_t *out_size);

/* The state of a freshly loaded artifact: its sections but bpf/gen.o and map/, and live/info. */
int rr_initial_state(const struct polc_artifact *artifact, const char *extra_info, void **out, size_t *out_size);

#endif

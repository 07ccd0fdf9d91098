/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libpolc: what a node agent (and the polc CLI) links to put a compiled
 * policy artifact into the kernel, swap it for a newer one atomically and
 * take it out again. The last stage of the pipeline: artifact -> kernel.
 *
 * A datapath lives in a bpffs directory (the pin dir) and outlives the
 * process that loaded it. Every call re-reads the pin dir, so any number
 * of processes may call in turn; calls that change the datapath take an
 * exclusive lock on the pin dir (flock) for their duration.
 *
 * Pin layout (PIN = the pin dir, default /sys/fs/bpf/polc):
 *
 *   PIN/shared/polc_gen_prog    prog array; slot 0 = the live generation
 *   PIN/shared/polc_ct          conntrack (survives every swap)
 *   PIN/shared/polc_frag        fragment verdicts
 *   PIN/shared/polc_events      verdict event ring buffer
 *   PIN/shared/polc_ev_budget   event rate limiter
 *   PIN/shared/polc_attach      the loader's record of attached
 *                               interfaces: ifindex -> (mode, ifname)
 *   PIN/entry/polc_from_pod     entry program, tc ingress of an endpoint
 *   PIN/entry/polc_to_pod       entry program, tc egress of an endpoint
 *   PIN/links/<ifindex>_from_pod, PIN/links/<ifindex>_to_pod
 *                               tcx links (tcx mode only; clsact filters
 *                               use handle POLC_TC_HANDLE, priority
 *                               POLC_TC_PRIORITY and need no pin)
 *   PIN/gen/<revision>-<prog id>/
 *                               the live generation: polc_gen and its
 *                               maps (polc_endpoints, polc_ipcache, ...,
 *                               polc_gen_data or _bss with polc_state;
 *                               bpffs allows no '.' in names)
 *   PIN/staging/<revision>-<prog id>/
 *                               a generation being built; renamed to gen/
 *                               once it is live
 *
 * The truth about which generation is live is the program id in slot 0
 * of polc_gen_prog, never the directory names: a loader killed at any
 * point leaves the old generation enforcing, and the next call that
 * changes the datapath removes what the dead one left behind.
 *
 * Errors: every function returns 0 or a negative errno and, when err is
 * not NULL, fills it with a message meant for the person running the
 * node (which interface, which map, the verifier's last lines, missing
 * privileges...). On failure the datapath is as it was before the call.
 *
 * What `polc load [--pin-dir DIR] ART` does with it (exit status of the
 * CLI contract in brackets):
 *   polc_artifact_read(ART, &art, msg, sizeof(msg))    [2 on I/O errors, 1 on -EINVAL]
 *   polc_artifact_check(art, &err)                     [1]
 *   POLC_OPTS(polc_datapath_opts, o, .pin_dir = DIR);
 *   polc_datapath_open(&o, &dp, &err)                  [3]
 *   POLC_OPTS(polc_apply_result, res);
 *   polc_datapath_apply(dp, art, &res, &err)           [3]
 *   printf("%s revision %016llx\n", polc_apply_outcome_str(res.outcome), ...)
 * and `polc unload [--pin-dir DIR]`: polc_datapath_open + polc_datapath_unload.
 *
 * libbpf's own warnings go to its print callback, stderr by default; this
 * library leaves that process-wide setting alone (libbpf_set_print()).
 *
 * Extensibility: option and result structs start with a size field, set
 * it with POLC_OPTS() (as libbpf's LIBBPF_OPTS). Newer fields are added
 * at the end only; an older caller's smaller struct keeps working, and a
 * newer caller's non-zero unknown fields are refused with -EINVAL.
 */
#ifndef POLC_LIBPOLC_H
#define POLC_LIBPOLC_H

#include <stddef.h>
#include <stdint.h>

#include "polc/artifact.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POLC_DEFAULT_PIN_DIR "/sys/fs/bpf/polc"

/* clsact filter identity: lets polc find (and only ever remove) its own filters. */
#define POLC_TC_HANDLE 0x706f6c63u /* "polc" */
#define POLC_TC_PRIORITY 0x7063u

/* Declares and zero-fills an options/result struct with its size set. */
#define POLC_OPTS(TYPE, NAME, ...) struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

struct polc_error {
	int errnum;	   /* positive errno of the failure, 0 on success */
	char message[1024]; /* one human-readable message, may span lines */
};

enum polc_attach_mode {
	POLC_ATTACH_AUTO = 0, /* tcx links, clsact filters where tcx is missing */
	POLC_ATTACH_TCX = 1,
	POLC_ATTACH_CLSACT = 2,
};

struct polc_datapath_opts {
	size_t sz;
	const char *pin_dir; /* NULL: POLC_DEFAULT_PIN_DIR; absolute, on bpffs */
	enum polc_attach_mode attach_mode;
	/* Give up waiting for another loader's lock after this long; 0: 30 s. */
	unsigned int lock_timeout_ms;
};

struct polc_datapath;

/*
 * Prepare to act on the datapath in opts->pin_dir (which need not exist
 * yet). Mounts bpffs at /sys/fs/bpf when the pin dir is below it and it
 * is not mounted. Touches nothing else. opts may be NULL.
 */
int polc_datapath_open(const struct polc_datapath_opts *opts, struct polc_datapath **out,
		       struct polc_error *err);
void polc_datapath_close(struct polc_datapath *dp);

enum polc_apply_outcome {
	POLC_APPLY_LOADED = 1,	/* there was no live generation; now there is */
	POLC_APPLY_SWAPPED = 2,	/* a new generation replaced the live one */
	POLC_APPLY_UNCHANGED = 3, /* same revision and endpoints: programs untouched */
};

struct polc_apply_result {
	size_t sz;
	enum polc_apply_outcome outcome;
	enum polc_attach_mode attach_mode; /* TCX or CLSACT (AUTO if no endpoint) */
	uint64_t revision;		   /* now live */
	uint64_t prev_revision;		   /* live before, if has_prev_revision */
	uint32_t has_prev_revision;
	uint32_t endpoints;	/* endpoints of the live generation */
	uint32_t attached;	/* interfaces attached (or repaired) by this call */
	uint32_t detached;	/* interfaces no longer listed, detached */
	uint32_t detach_failed; /* stale interfaces left attached; retried next time */
	uint32_t gen_prog_id;	/* kernel id of the live polc_gen */
	uint32_t ct_map_id;	/* kernel id of polc_ct (stable for the datapath's life) */
};

/*
 * Make the artifact's policy the live one: first load (shared maps, entry
 * programs, generation, then attach every endpoint interface), swap (new
 * generation built and filled aside, one prog-array update, then attach
 * new interfaces and detach unlisted ones) or nothing (same revision and
 * same endpoints; missing attachments are still repaired). Endpoint
 * interface names are resolved in the caller's network namespace.
 * result may be NULL.
 */
int polc_datapath_apply(struct polc_datapath *dp, const struct polc_artifact *artifact,
			struct polc_apply_result *result, struct polc_error *err);
/*
 * Everything apply checks before touching the kernel: meta/info,
 * meta/endpoints (names not resolved), bpf/gen.o against the map
 * sections and polc/layout.h. Needs no privileges. A failure here is
 * invalid input (the CLI's exit status 1); a failure of apply after a
 * successful check is a kernel or node problem (exit status 3).
 */
int polc_artifact_check(const struct polc_artifact *artifact, struct polc_error *err);

/* The same, reading the artifact from a file. */
int polc_datapath_apply_file(struct polc_datapath *dp, const char *path, struct polc_apply_result *result,
			     struct polc_error *err);

/*
 * Detach every interface polc attached, then remove every pin and the pin
 * dir itself. Traffic flows unfiltered afterwards. A datapath that does
 * not exist unloads successfully.
 */
int polc_datapath_unload(struct polc_datapath *dp, struct polc_error *err);

/* Short names for messages: "loaded", "swapped", "unchanged" / "tcx", "clsact", "auto". */
const char *polc_apply_outcome_str(enum polc_apply_outcome outcome);
const char *polc_attach_mode_str(enum polc_attach_mode mode);

#ifdef __cplusplus
}
#endif

#endif

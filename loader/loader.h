/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loader internals: the pieces libpolc's datapath calls are made of, and
 * the private-load API that tests and benchmarks use to run a generation
 * through BPF_PROG_TEST_RUN without pinning or attaching anything.
 *
 * Not installed, not stable: include it as "loader/loader.h".
 *
 * Ownership: every struct here that holds fds starts with them at -1 and
 * has one release function; every function leaves *out untouched on
 * failure and returns 0 or a negative errno with err filled in.
 */
#ifndef POLC_LOADER_H
#define POLC_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "polc/artifact.h"
#include "polc/layout.h"
#include "polc/libpolc.h"

/* UAPI headers of the build machine may predate tcx (Linux 6.6). */
#define POLC_BPF_TCX_INGRESS 46
#define POLC_BPF_TCX_EGRESS 47
#define POLC_BPF_LINK_TYPE_TCX 11

#define POLC_ENTRY_OBJECT "entry.bpf.o"
#define POLC_PROG_FROM_POD "polc_from_pod"
#define POLC_PROG_TO_POD "polc_to_pod"
#define POLC_PROG_GEN "polc_gen"
#define POLC_MAP_ATTACH "polc_attach"

/* ---- errors (error.c) ---- */

/* Fill err (may be NULL) and return rc (a negative errno). */
int polc_errf(struct polc_error *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, ending the message with ": strerror(-rc)" and a privilege hint on EPERM. */
int polc_errf_sys(struct polc_error *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Put "context: " in front of the message already in err. */
void polc_err_prefix(struct polc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True if the process may load and attach tc programs (root or CAP_BPF + CAP_NET_ADMIN). */
bool polc_have_bpf_privileges(void);
#define POLC_PRIV_HINT "need root, or CAP_BPF and CAP_NET_ADMIN"

/* ---- artifact metadata and endpoints (meta.c) ---- */

struct polc_art_meta {
	uint64_t revision;	/* meta/info revision=<16 hex digits> */
	uint32_t endpoints_max; /* meta/info endpoints_max=N: size of polc_endpoints */
};

int polc_meta_read(const struct polc_artifact *a, struct polc_art_meta *out, struct polc_error *err);

#define POLC_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */
#define POLC_POD_NAME_MAX 320 /* namespace (63) / pod (253) */
#define POLC_ENDPOINTS_LIMIT (1u << 20)

/* One line of meta/endpoints, and the ifindex it resolved to. */
struct polc_ep {
	char ifname[POLC_IFNAME_MAX];
	char pod[POLC_POD_NAME_MAX]; /* namespace/name, for messages */
	uint32_t ifindex;	     /* 0 until resolved */
	struct polc_endpoint value;  /* what goes into polc_endpoints */
};

struct polc_eps {
	struct polc_ep *v;
	size_t n;
};

/*
 * Parse meta/endpoints: lines of
 *   endpoint_id \t ifname \t namespace/pod \t identity \t policy_ingress \t policy_egress \t flags
 * (decimal). At most max lines; names and ids unique.
 */
int polc_eps_parse(const char *text, size_t len, uint32_t max, struct polc_eps *out, struct polc_error *err);
void polc_eps_free(struct polc_eps *eps);

/* ifname -> ifindex; 0 or -errno (-ENODEV: no such interface). */
typedef int (*polc_resolve_fn)(const char *ifname, uint32_t *ifindex, void *ctx);
/* The default: if_nametoindex() in the caller's network namespace. */
int polc_resolve_netns(const char *ifname, uint32_t *ifindex, void *ctx);
/* Resolve every endpoint; the error names the interface and its pod. */
int polc_eps_resolve(struct polc_eps *eps, polc_resolve_fn resolve, void *ctx, struct polc_error *err);

/* ---- shared maps and entry programs (shared.c) ---- */

enum polc_shared_map {
	POLC_SM_GEN_PROG,
	POLC_SM_CT,
	POLC_SM_FRAG,
	POLC_SM_EVENTS,
	POLC_SM_EV_BUDGET,
	POLC_SM_L7,
	POLC_NR_SHARED,
};

/* Map name of a shared map. */
const char *polc_shared_map_name(enum polc_shared_map m);
/* Index of a shared map by name, or -1. */
int polc_shared_map_index(const char *name);

struct polc_shared {
	int map_fd[POLC_NR_SHARED];
	int from_pod_fd;
	int to_pod_fd;
	uint32_t from_pod_id;
	uint32_t to_pod_id;
	uint32_t ct_map_id;
	uint32_t expected_attach_type; /* of the entry programs: tail calls need the same */
};

void polc_shared_init(struct polc_shared *s);
void polc_shared_release(struct polc_shared *s);

/* Load the embedded entry object with fresh, unpinned maps. */
int polc_shared_create(struct polc_shared *out, struct polc_error *err);

/*
 * The pinned set under pin_dir (shared/ and entry/): pinned maps are
 * checked against this build's definitions and reused; what is missing
 * is created and pinned when create is set (else -ENOENT). *created
 * tells whether anything was.
 */
int polc_shared_open_pinned(const char *pin_dir, bool create, struct polc_shared *out, bool *created,
			    struct polc_error *err);

/* ---- one policy generation (generation.c) ---- */

struct polc_gen;

/*
 * Open bpf/gen.o of the artifact and check it against the artifact's map
 * sections and polc/layout.h; sizes the maps and sets polc_state. No
 * kernel object is created.
 */
int polc_gen_open(const struct polc_artifact *a, const struct polc_art_meta *meta, struct polc_gen **out,
		  struct polc_error *err);
/*
 * Load it into the kernel with the shared maps of sh reused (their
 * definitions must match), then fill its maps: the artifact's map
 * sections and polc_endpoints from eps (resolved). On a verifier
 * rejection err carries the last lines of the verifier log.
 */
int polc_gen_load(struct polc_gen *g, const struct polc_shared *sh, const struct polc_eps *eps,
		  struct polc_error *err);
int polc_gen_prog_fd(const struct polc_gen *g);
uint32_t polc_gen_prog_id(const struct polc_gen *g);
uint64_t polc_gen_revision(const struct polc_gen *g);
/* fd of a map of the generation (shared ones included), -1 if none. */
int polc_gen_map_fd(const struct polc_gen *g, const char *name);
/* Event flags (POLC_GEN_F_EVENTS_*) in its polc_gen_state, before polc_gen_load. */
int polc_gen_set_events(struct polc_gen *g, uint32_t flags, struct polc_error *err);
/* Where polc_gen_state is: the pinned name of its data map and its offset there. */
void polc_gen_state_location(const struct polc_gen *g, char *pin_name, size_t size, uint32_t *offset);
/*
 * "array.<map>=<hash>" lines for every array map filled from a section
 * (polc_hash64 of the section): endpoint changes must leave those alone.
 */
int polc_gen_array_hashes(const struct polc_gen *g, FILE *out);
/* The name a map of the generation is pinned under ('.' is not allowed on bpffs). */
void polc_gen_pin_name(const char *map_name, char *out, size_t size);
/* Pin polc_gen and the generation's own maps into dir (created). All or nothing. */
int polc_gen_pin(struct polc_gen *g, const char *dir, struct polc_error *err);
/* Closes the object; pinned objects and the prog-array slot keep theirs alive. */
void polc_gen_free(struct polc_gen *g);

/* ---- map filling (mapfill.c) ---- */

/*
 * Fill a loaded map with n (key, value) pairs stored back to back (as in
 * an artifact map section), in batches where the kernel allows.
 * For per-CPU maps value_size is one CPU's value, copied to every CPU.
 */
int polc_map_fill(int fd, const char *name, uint32_t map_type, uint32_t key_size, uint32_t value_size,
		  uint32_t max_entries, const uint8_t *pairs, uint32_t n, struct polc_error *err);

/* ---- bpffs (bpffs.c) ---- */

/* Mount bpffs at /sys/fs/bpf if pin_dir is below it and it is missing; check pin_dir's fs. */
int polc_bpffs_prepare(const char *pin_dir, struct polc_error *err);
/* snprintf for paths: 0, or -ENAMETOOLONG if it did not fit. */
int polc_path(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* mkdir -p, mode 0700. */
int polc_mkdir_p(const char *path, struct polc_error *err);
/* Unpin every entry of dir (one level, no subdirectories) and remove it. -ENOENT is success. */
int polc_unpin_dir(const char *dir, struct polc_error *err);
/*
 * Exclusive flock on dir (created first if create), waiting at most
 * timeout_ms. -ENOENT if it does not exist and create is not set.
 */
int polc_lock_dir(const char *dir, bool create, unsigned int timeout_ms, int *out_fd, struct polc_error *err);
/* Kernel object id behind an fd (prog, map or link), 0 on error. */
uint32_t polc_obj_id(int fd);

/* ---- attachment of endpoint interfaces (attach.c) ---- */

/* Value of PIN/shared/polc_attach (key: __u32 ifindex). */
struct polc_attach_rec {
	uint32_t ifindex;
	uint32_t mode; /* POLC_ATTACH_TCX or POLC_ATTACH_CLSACT, with POLC_ATTACH_F_* */
	char ifname[POLC_IFNAME_MAX];
};

/*
 * Attached ahead of its pod (polc_interface_prepare): no endpoint lists it
 * yet, and it is not detached for that while the interface exists.
 */
#define POLC_ATTACH_F_PREPARED 0x100u
#define POLC_ATTACH_MODE(m) ((m) & 0xffu)

struct polc_attacher {
	const char *pin_dir;
	int rec_fd; /* PIN/shared/polc_attach */
	const struct polc_shared *sh;
};

int polc_attach_map_open(const char *pin_dir, bool create, int *out_fd, struct polc_error *err);
/* Every record, malloc'd (caller frees), sorted by ifindex. */
int polc_attach_list(int rec_fd, struct polc_attach_rec **out, size_t *n, struct polc_error *err);
/*
 * Make both entry programs run on ifindex in the given mode (not AUTO).
 * Leaves a correct existing attachment alone (*changed = false).
 */
int polc_attach_iface(const struct polc_attacher *at, uint32_t ifindex, const char *ifname,
		      enum polc_attach_mode mode, bool *changed, struct polc_error *err);
/* The same, the record carrying flags (POLC_ATTACH_F_*). */
int polc_attach_iface_flags(const struct polc_attacher *at, uint32_t ifindex, const char *ifname,
			    enum polc_attach_mode mode, uint32_t flags, bool *changed, struct polc_error *err);
/* Is rec a prepared interface that still exists (and so stays attached without an endpoint)? */
bool polc_attach_keep_prepared(const struct polc_attach_rec *rec);
/* Remove polc's programs from the interface of rec and the record. Gone interfaces are success. */
int polc_detach_iface(const struct polc_attacher *at, const struct polc_attach_rec *rec, struct polc_error *err);
/* Detach and unpin tcx links under PIN/links whose ifindex has no record. Returns how many. */
int polc_detach_stray_links(const struct polc_attacher *at, const struct polc_attach_rec *recs, size_t n,
			    struct polc_error *err);
/* Does this kernel have tcx? Asked with a query on ifindex, which attaches nothing. */
bool polc_tcx_supported(uint32_t ifindex);

/* ---- the datapath handle and its live generation (datapath.c) ---- */

struct polc_datapath {
	char pin_dir[PATH_MAX];
	enum polc_attach_mode mode;
	unsigned int lock_timeout_ms;
	uint32_t events; /* POLC_GEN_F_EVENTS_* for generations this handle loads */
	void *rr_cache;	 /* struct rr_cache: the live artifact's inputs, parsed once (reresolve.h) */
};

/* The generation slot 0 runs, and where it is pinned. */
struct polc_live {
	int prog_fd; /* -1: slot 0 is empty */
	uint32_t prog_id;
	bool has_revision; /* known from its directory */
	uint64_t revision; /* the artifact's, from the directory name */
	char name[64];     /* "<revision>-<prog id>", "" if not found */
	char dir[PATH_MAX]; /* PIN/gen/<name> (or staging/ before recovery) */
};

/*
 * Find the live generation. With recover (under the pin dir's lock), a
 * generation a killed loader left in staging/ is moved to gen/ and every
 * other generation directory is removed; without, nothing is touched.
 */
int polc_live_find(const char *pin_dir, const struct polc_shared *sh, bool recover, struct polc_live *out,
		   struct polc_error *err);
void polc_live_release(struct polc_live *lv);
/* PIN/<sub>/<name> or PIN/<sub>. */
int polc_pin_path(char *buf, size_t size, const char *pin_dir, const char *sub, const char *name);
/* Attach mode for new interfaces: the datapath's (records), else dp's choice, else what the kernel has. */
int polc_choose_mode(const struct polc_datapath *dp, int rec_fd, uint32_t probe_ifindex, enum polc_attach_mode *out,
		     struct polc_error *err);

/* ---- the live state of a generation (record.c) ---- */

#define POLC_RECORD "polc_record"
#define POLC_RECORD_NEW "polc_record_new"

/* gen_dir/polc_record (or polc_record_new). */
int polc_record_path(char *buf, size_t size, const char *gen_dir, bool fresh);
/* Replace gen_dir/polc_record atomically by a frozen map holding data. */
int polc_record_write(const char *gen_dir, const void *data, size_t size, struct polc_error *err);
int polc_record_read(const char *gen_dir, struct polc_artifact **out, struct polc_error *err);
int polc_record_read_fd(int fd, const char *what, struct polc_artifact **out, struct polc_error *err);
/* A key of its live/info section: 0, -ENOENT, -ENAMETOOLONG, -EINVAL (not a number). */
int polc_record_info(const struct polc_artifact *rec, const char *key, char *buf, size_t size);
int polc_record_info_u64(const struct polc_artifact *rec, const char *key, int base, uint64_t *out);
/* Write the live generation's polc_gen_state (where rec says it is): the revision, the flags, or both. */
int polc_live_state_write(const char *gen_dir, const struct polc_artifact *rec, const uint32_t *revision,
			  const uint32_t *flags, struct polc_error *err);

/* ---- the live state's tables, for names (tables.c) ---- */

struct polc_rule_row {
	uint32_t id;
	char *kind, *namespace, *name, *direction, *action, *file, *path;
	uint32_t line, column;
	bool audit;
};

struct polc_ident_row {
	uint32_t id;
	char *labels; /* "k8s:app=web,k8s:io.kubernetes.pod.namespace=x" */
};

struct polc_pod_row {
	char *namespace, *name, *ifname; /* ifname "" for a pod on another node */
	uint32_t identity, endpoint_id;
	uint8_t family[2];
	uint8_t addr[2][16];
	size_t n_addrs;
};

struct polc_ep_row {
	uint32_t id;
	char *ifname, *namespace, *name;
	uint32_t identity, policy[2], flags;
};

struct polc_tables {
	uint64_t revision, base_revision;
	struct polc_rule_row *rules;
	size_t n_rules;
	struct polc_ident_row *idents; /* sorted by id */
	size_t n_idents;
	struct polc_pod_row *pods;
	size_t n_pods;
	struct polc_ep_row *eps;
	size_t n_eps;
};

int polc_tables_load(const struct polc_artifact *rec, struct polc_tables **out, struct polc_error *err);
void polc_tables_free(struct polc_tables *t);
const struct polc_rule_row *polc_tables_rule(const struct polc_tables *t, uint32_t id);
const char *polc_tables_labels(const struct polc_tables *t, uint32_t identity);
const struct polc_pod_row *polc_tables_pod_by_addr(const struct polc_tables *t, uint8_t family, const uint8_t *addr);
const struct polc_ep_row *polc_tables_endpoint(const struct polc_tables *t, uint32_t endpoint_id);

/* ---- private loads for tests and benchmarks (private.c) ---- */

struct polc_private_opts {
	size_t sz;
	/* Resolves meta/endpoints interface names; NULL: the caller's netns. */
	polc_resolve_fn resolve;
	void *resolve_ctx;
};

struct polc_private;

/*
 * Load the artifact with private, unpinned shared maps, its generation
 * in slot 0 of the private polc_gen_prog, and attach nothing: the entry
 * programs then judge packets given to BPF_PROG_TEST_RUN exactly as
 * they would on an interface.
 */
int polc_private_load(const struct polc_artifact *a, const struct polc_private_opts *opts,
		      struct polc_private **out, struct polc_error *err);
/* Swap in another artifact's generation (shared maps kept), as the datapath does. */
int polc_private_swap(struct polc_private *p, const struct polc_artifact *a, struct polc_error *err);
/* polc_from_pod, polc_to_pod or polc_gen; -1 if unknown. Owned by p. */
int polc_private_prog_fd(const struct polc_private *p, const char *name);
/* Any shared or generation map by name; -1 if unknown. Owned by p. */
int polc_private_map_fd(const struct polc_private *p, const char *name);
void polc_private_free(struct polc_private *p);

#endif

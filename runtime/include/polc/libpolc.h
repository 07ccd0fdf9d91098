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
 *   PIN/shared/polc_l7          L7 (HTTP, DNS) state of connections
 *   PIN/shared/polc_fqdn        addresses learned from DNS answers (toFQDNs)
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
 *                               bpffs allows no '.' in names), and
 *     polc_record               its live state: a frozen array map whose
 *                               values hold an artifact container with
 *                               the artifact's sources and tables, the
 *                               pods changed since (polc_endpoints_change)
 *                               and live/info (revision, id counters,
 *                               where polc_gen_state is, event flags,
 *                               pending=1 while a change is applied).
 *                               Replaced by rename, never edited: readers
 *                               (status, monitor) see one whole state.
 *   PIN/staging/<revision>-<prog id>/
 *                               a generation being built; renamed to gen/
 *                               once it is live
 *
 * The truth about which generation is live is the program id in slot 0
 * of polc_gen_prog, never the directory names: a loader killed at any
 * point leaves the old generation enforcing, and the next call that
 * changes the datapath removes what the dead one left behind.
 *
 * Three kinds of change, from heaviest to lightest:
 *   polc_datapath_apply     a new generation (policy changed: compiled
 *                           with clang beforehand), swapped in whole
 *   polc_endpoints_change   pods added/changed/deleted: the live
 *                           generation's maps edited in place, no clang
 *   polc_interface_prepare  an interface attached ahead of its pod
 * and readers: polc_datapath_status, polc_endpoints_list,
 * polc_rules_list, polc_monitor_* (verdict events).
 *
 * A handle (struct polc_datapath) is used by one thread at a time; it
 * keeps the live artifact's inputs parsed between endpoint changes.
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

/* Which verdicts the generations this handle loads report as events. */
enum polc_events {
	POLC_EVENTS_DEFAULT = 0, /* POLC_EVENTS_ALL */
	POLC_EVENTS_ALL = 1,	 /* every drop (audit included) and every newly allowed flow */
	POLC_EVENTS_DROPS = 2,	 /* drops and audit verdicts only */
	POLC_EVENTS_NONE = 3,
};

struct polc_datapath_opts {
	size_t sz;
	const char *pin_dir; /* NULL: POLC_DEFAULT_PIN_DIR; absolute, on bpffs */
	enum polc_attach_mode attach_mode;
	/* Give up waiting for another loader's lock after this long; 0: 30 s. */
	unsigned int lock_timeout_ms;
	enum polc_events events;
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

/* ---- endpoints: pods created, deleted, relabelled (no clang) ---- */

struct polc_label {
	const char *key;   /* "app", "example.com/tier" */
	const char *value; /* may be "" */
};

struct polc_named_port {
	const char *name;  /* a container port's name, as policies name it ("http") */
	uint16_t port;
	uint8_t protocol; /* IPPROTO_TCP (0 means TCP), IPPROTO_UDP, IPPROTO_SCTP */
};

/*
 * A pod, as a node agent knows it from the API server. Only what policy
 * needs; the same fields polc reads from a v1 Pod object.
 */
struct polc_pod {
	size_t sz;
	const char *namespace; /* NULL: "default" */
	const char *name;
	const struct polc_label *labels;
	size_t n_labels;
	const char *const *ips; /* status.podIPs: at most one IPv4 and one IPv6 address */
	size_t n_ips;
	/* Host-side interface on this node (annotation polc.io/interface); NULL: a pod elsewhere. */
	const char *interface;
	const char *service_account; /* NULL: "default" */
	const struct polc_named_port *ports;
	size_t n_ports;
	uint32_t audit; /* polc.io/audit: report what this pod's policies would drop, drop nothing */
	uint32_t host_network;
};

enum polc_pod_op {
	POLC_POD_ADD = 1,     /* the pod must not exist */
	POLC_POD_UPDATE = 2,  /* the pod must exist; it is replaced whole */
	POLC_POD_UPSERT = 3,  /* add or replace */
	POLC_POD_DELETE = 4,  /* namespace/name must exist */
	POLC_POD_RELABEL = 5, /* namespace/name keeps everything but its labels */
};

/* One change. Fixed layout (an array element): new kinds of change get new ops. */
struct polc_pod_change {
	enum polc_pod_op op;
	const struct polc_pod *pod; /* ADD, UPDATE, UPSERT; or: */
	const char *yaml;	     /* ADD, UPDATE, UPSERT: v1 Pod objects, YAML or JSON (kubectl get -o yaml) */
	size_t yaml_len;
	const char *yaml_name;	/* for messages, e.g. the file name */
	const char *namespace;	/* DELETE, RELABEL (NULL: "default") */
	const char *name;
	const struct polc_label *labels; /* RELABEL: the new labels, all of them */
	size_t n_labels;
};

struct polc_endpoints_result {
	size_t sz;
	uint64_t revision;	/* live policy revision now (the artifact's when no pod differs from it) */
	uint64_t prev_revision;
	uint32_t endpoints;	/* local endpoints now */
	uint32_t pods_changed;
	uint32_t identities_added;
	uint32_t identities_removed;
	uint32_t entries_added;	  /* map entries, all maps together */
	uint32_t entries_changed;
	uint32_t entries_removed;
	uint32_t attached; /* interfaces */
	uint32_t detached;
	uint64_t resolve_ns; /* front end and passes */
	uint64_t total_ns;   /* the whole call, lock to unlock */
};

/*
 * Change pods on the live datapath: the live generation's policies are
 * resolved again (its artifact's sources, front end and passes: no
 * codegen, no clang) against the inventory with the changes, and only
 * the map entries that differ are written, in an order where no packet
 * meets a table that is neither old nor new where it matters: new policy
 * entries first, then addresses (ipcache) and endpoints switch, then new
 * interfaces are attached, removed ones detached, stale entries deleted,
 * and last the revision moves, so that conntrack judges established
 * flows once more under the new state. Identities, policy ids and
 * endpoint ids already in use keep their numbers.
 *
 * All changes apply together or not at all. Refused, with the datapath
 * untouched: -EINVAL invalid pods (err says file:line, field), -EEXIST
 * adding a pod that exists, -ENOENT changing one that does not, -ENODEV
 * an interface that does not exist, -EOPNOTSUPP a state the compiled
 * program cannot enforce (a switch compiled off, e.g. audit), -ENOSPC
 * more entries than the compiled maps hold (both say "needs polc
 * compile"), -EPROTO a live policy loaded without its sources.
 *
 * The changed pods persist with the generation (a frozen map beside it,
 * PIN/gen/<generation>/polc_record) until the next polc_datapath_apply,
 * which makes the node exactly what its artifact says again.
 */
int polc_endpoints_change(struct polc_datapath *dp, const struct polc_pod_change *changes, size_t n_changes,
			  struct polc_endpoints_result *result, struct polc_error *err);

/* One change each. */
int polc_endpoint_add(struct polc_datapath *dp, const struct polc_pod *pod, struct polc_endpoints_result *result,
		      struct polc_error *err);
int polc_endpoint_update(struct polc_datapath *dp, const struct polc_pod *pod,
			 struct polc_endpoints_result *result, struct polc_error *err);
int polc_endpoint_delete(struct polc_datapath *dp, const char *namespace, const char *name,
			 struct polc_endpoints_result *result, struct polc_error *err);
int polc_endpoint_relabel(struct polc_datapath *dp, const char *namespace, const char *name,
			  const struct polc_label *labels, size_t n_labels, struct polc_endpoints_result *result,
			  struct polc_error *err);

/*
 * Attach polc to an interface before its pod is known, e.g. when the
 * pod's veth appears: its packets are dropped (failing closed, event
 * reason "no endpoint") until polc_endpoints_change adds the pod that
 * names it, which then only writes map entries. Attaching is what makes
 * adding a pod on a new interface slow with tcx: the kernel waits out an
 * RCU grace period per hook. A prepared interface stays attached while
 * it exists; once its pod was added, it is detached with the pod.
 */
int polc_interface_prepare(struct polc_datapath *dp, const char *ifname, struct polc_error *err);

/* ---- status and counters ---- */

struct polc_status {
	size_t sz;
	uint32_t loaded;  /* a generation is live */
	uint32_t pending; /* an endpoint change was interrupted: the next change or load finishes it */
	uint64_t revision;	    /* live policy revision */
	uint64_t artifact_revision; /* the artifact's (equal to revision while no pod was changed) */
	uint32_t gen_prog_id;
	enum polc_attach_mode attach_mode;
	uint32_t endpoints; /* local endpoints, and the room the compiled maps have */
	uint32_t endpoints_max;
	uint32_t ipcache_entries;
	uint32_t ipcache_max;
	uint32_t policy_entries;
	uint32_t policy_max;
	uint32_t identities;
	uint32_t rules;
	uint32_t pods_changed; /* pod changes (polc endpoint) since the artifact was loaded */
	uint32_t ct_entries;   /* conntrack entries now */
	uint32_t ct_max;
	enum polc_events events;
	uint64_t events_suppressed; /* verdicts over the event rate, not reported */
	uint64_t events_lost;	    /* verdicts not reported: the ring buffer was full */
	char polc_version[32];	    /* of the compiler that built the artifact */
};

/* The datapath as it is. A datapath that does not exist: 0 with loaded = 0. */
int polc_datapath_status(struct polc_datapath *dp, struct polc_status *status, struct polc_error *err);

/* A local endpoint of the live generation. */
struct polc_endpoint_info {
	char namespace[64];
	char name[256];
	char ifname[16];
	uint32_t ifindex; /* 0: the interface is gone */
	uint32_t endpoint_id;
	uint32_t identity;
	uint32_t policy_ingress; /* policy ids, 0: no rule applies */
	uint32_t policy_egress;
	uint32_t flags;		/* POLC_EP_ENFORCE_* / POLC_EP_AUDIT_* (polc/layout.h) */
	char addrs[2][48];	/* "" when absent */
	char labels[1024];	/* identity labels, comma separated (truncated past 1023 bytes) */
};

/* A rule of the live generation with its counters (summed over CPUs). */
struct polc_rule_info {
	uint32_t id;
	char kind[32];	     /* NetworkPolicy, CiliumNetworkPolicy, ... */
	char namespace[64];  /* "" for cluster-wide policies */
	char name[256];
	char direction[8];   /* ingress, egress */
	char action[8];	     /* allow, deny */
	char file[256];
	uint32_t line;
	uint32_t column;
	char path[128];	     /* spec.ingress[0] */
	uint32_t audit;	     /* the policy is in audit mode */
	uint64_t packets;
	uint64_t bytes;
};

/* malloc'd arrays (free with polc_free). */
int polc_endpoints_list(struct polc_datapath *dp, struct polc_endpoint_info **out, size_t *n,
			struct polc_error *err);
int polc_rules_list(struct polc_datapath *dp, struct polc_rule_info **out, size_t *n, struct polc_error *err);
void polc_free(void *p);

/* ---- verdict events (Hubble-style flows) ---- */

struct polc_flow_peer {
	const char *namespace; /* NULL when the address is no known pod */
	const char *pod_name;
	uint32_t identity;
	const char *labels; /* identity labels, comma separated; NULL if unknown */
	char ip[48];
};

/*
 * One verdict event, decoded with the tables of the generation that
 * judged it. Strings are the monitor's, valid during the callback.
 */
struct polc_flow {
	uint64_t time_ns;	       /* CLOCK_REALTIME */
	const char *verdict;	       /* FORWARDED, DROPPED, AUDIT */
	const char *drop_reason_desc;  /* POLICY_DENIED, POLICY_DENY, ... ; NULL when forwarded */
	const char *traffic_direction; /* INGRESS (to the pod), EGRESS (from the pod) */
	struct polc_flow_peer source;
	struct polc_flow_peer destination;
	uint8_t ip_version;	/* 4, 6 */
	const char *l4_protocol; /* TCP, UDP, SCTP, ICMPv4, ICMPv6, or NULL */
	uint16_t source_port;	/* ICMP: the echo identifier */
	uint16_t destination_port; /* ICMP: the message type */
	const char *ifname;	/* the endpoint's interface */
	uint32_t endpoint_id;
	/* The rule that decided, or rule == POLC_RULE_NONE (polc/layout.h): a default verdict. */
	struct {
		uint32_t rule;
		const char *kind, *namespace, *name, *path, *file, *direction, *action;
		uint32_t line, column;
		uint32_t audit;
	} policy;
	uint32_t revision; /* low 32 bits of the live revision that judged */
	uint32_t length;   /* packet bytes */
	const void *raw;   /* the struct polc_event */
};

typedef int (*polc_flow_fn)(const struct polc_flow *flow, void *ctx);

struct polc_monitor;

/*
 * Read the datapath's verdict events. The ring buffer has one reader:
 * a second monitor on one datapath fails with -EBUSY (the node agent
 * reads, and fans out).
 */
int polc_monitor_open(struct polc_datapath *dp, struct polc_monitor **out, struct polc_error *err);
/* A file descriptor that polls readable when events wait (for epoll loops). */
int polc_monitor_fd(const struct polc_monitor *m);
/*
 * Wait up to timeout_ms (-1: forever, 0: not at all) and hand every
 * waiting event to fn; returns how many, or a negative errno (-EINTR
 * when a signal came). fn returning non-zero stops early.
 */
int polc_monitor_poll(struct polc_monitor *m, int timeout_ms, polc_flow_fn fn, void *ctx, struct polc_error *err);
void polc_monitor_close(struct polc_monitor *m);

/*
 * A flow as one line, without newline: JSON with Hubble's field names
 * (time, verdict, drop_reason_desc, traffic_direction, source and
 * destination {namespace, pod_name, identity, labels}, IP {source,
 * destination, ipVersion}, l4 {TCP|UDP|SCTP|ICMPv4|ICMPv6 {...}},
 * policy {...}), or text as hubble observe prints it. Returns the
 * length the line needs (as snprintf).
 */
int polc_flow_json(const struct polc_flow *flow, char *buf, size_t size);
int polc_flow_text(const struct polc_flow *flow, char *buf, size_t size);

/* Short names for messages: "loaded", "swapped", "unchanged" / "tcx", "clsact", "auto". */
const char *polc_apply_outcome_str(enum polc_apply_outcome outcome);
const char *polc_attach_mode_str(enum polc_attach_mode mode);

#ifdef __cplusplus
}
#endif

#endif

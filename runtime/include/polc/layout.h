/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc map layouts: the one definition of every key and value that the
 * BPF datapath, the loader, libpolc and the compiler exchange. Included by
 * BPF C (clang -target bpf) and by user space alike, so it uses only the
 * kernel's __uN types and checks its own sizes with _Static_assert: a
 * padding hole here would make a hash lookup miss silently.
 *
 * Vocabulary
 *   endpoint  a pod interface on this node (host side of its veth).
 *   identity  a number for a label set (as Cilium's security identity);
 *             0..255 are reserved (world, host, ...), pods start at 256.
 *   direction always the pod's: INGRESS is traffic to the pod (tc egress
 *             on the host-side interface), EGRESS traffic from the pod
 *             (tc ingress on the host-side interface).
 *
 * Maps shared by all policy generations (pinned once, never replaced):
 *   polc_gen_prog   prog array, slot 0 = the live generation's program
 *   polc_ct         conntrack, survives every swap
 *   polc_l7         per-connection state of TCP connections under L7 rules (HTTP, DNS)
 *   polc_fqdn       addresses endpoints learned from DNS answers (toFQDNs)
 *   polc_frag       verdicts of IP datagrams whose later fragments follow
 *   polc_events     ring buffer of verdict events
 *   polc_ev_budget  per-CPU event rate limiter
 * Maps of one generation (built, filled, then made live by one switch):
 *   polc_endpoints  ifindex -> endpoint (identity, policy ids, flags)
 *   polc_ipcache    (prefixlen, address) -> identity and CIDR class
 *   polc_ports      (protocol, port) -> port class
 *   polc_policy     (policy id, peer, protocol, port class) -> verdict
 *   polc_rule_stats per-rule packet and byte counters
 */
#ifndef POLC_LAYOUT_H
#define POLC_LAYOUT_H

#include <linux/types.h>

/* Bumped whenever a struct below changes; the loader refuses mismatches. */
/* 6: main's 4 (event revision, budget counters), l7's 4 (HTTP state), DNS's 5 (polc_fqdn, FQDN peers). */
#define POLC_LAYOUT_VERSION 6

#define POLC_DIR_INGRESS 0
#define POLC_DIR_EGRESS 1
#define POLC_NR_DIRS 2

#define POLC_AF_INET 4
#define POLC_AF_INET6 6

/* Reserved identities, numbered as Cilium numbers them. */
#define POLC_ID_UNKNOWN 0
#define POLC_ID_HOST 1
#define POLC_ID_WORLD 2
#define POLC_ID_UNMANAGED 3
#define POLC_ID_HEALTH 4
#define POLC_ID_INIT 5
#define POLC_ID_REMOTE_NODE 6
#define POLC_ID_KUBE_APISERVER 7
#define POLC_ID_INGRESS 8
#define POLC_ID_WORLD_IPV4 9
#define POLC_ID_WORLD_IPV6 10
/*
 * An API server address (Service default/kubernetes) is also what it is
 * otherwise, and the ipcache holds one identity per address, so each
 * combination is an identity. Cilium's 7 is the remote node that serves
 * the API; the others are polc's own, numbered clear of Cilium's range.
 */
#define POLC_ID_HOST_APISERVER 128       /* host + kube-apiserver */
#define POLC_ID_WORLD_IPV4_APISERVER 129 /* world-ipv4 + kube-apiserver */
#define POLC_ID_WORLD_IPV6_APISERVER 130 /* world-ipv6 + kube-apiserver */
#define POLC_ID_FIRST_DYNAMIC 256
#define POLC_ID_MAX 0x00ffffffu

/*
 * ipcache: longest-prefix match done as one exact hash lookup per prefix
 * length in use (the generated program knows the lengths, longest
 * first), so the cost depends on how many lengths a policy set uses and
 * not on how many prefixes: a BPF LPM trie slows down as it grows.
 *
 * Key: family, prefix length, then the address masked to the prefix (an
 * IPv4 address in addr[0..3], the rest zero).
 *
 * Value: identity of the address (a pod's, a node's, or WORLD_IPV4/6
 * for external prefixes) and its CIDR class: the id of the longest CIDR
 * prefix (from any rule) containing it. The class decides which CIDR
 * peers match: all rules whose prefix contains the class's prefix and no
 * except of which does. Entries of endpoints and nodes carry the class
 * computed only from rules that may match endpoints (NetworkPolicy
 * ipBlock); Cilium CIDR rules never match them. Class 0: no CIDR.
 */
struct polc_ipcache_key {
	__u8 family;
	__u8 prefixlen;
	__u8 pad[2];
	__u8 addr[16];
};

struct polc_ipcache_value {
	__u32 identity;
	__u32 cidr_class;
};

/* Endpoints, keyed by the ifindex of the host-side interface. */
#define POLC_EP_ENFORCE_INGRESS (1u << 0) /* default deny for traffic to the pod */
#define POLC_EP_ENFORCE_EGRESS (1u << 1)  /* default deny for traffic from the pod */
/* Isolated in audit mode (instead of ENFORCE): would-be drops are reported and passed. */
#define POLC_EP_AUDIT_INGRESS (1u << 2)
#define POLC_EP_AUDIT_EGRESS (1u << 3)
#define POLC_EP_ENFORCE(dir) (1u << (dir))
#define POLC_EP_AUDIT(dir) (1u << (2 + (dir)))

struct polc_endpoint_key {
	__u32 ifindex;
};

struct polc_endpoint {
	__u32 endpoint_id; /* stable id of the pod in the artifact */
	__u32 identity;
	__u32 policy[POLC_NR_DIRS]; /* policy id per direction, 0 = none */
	__u32 flags;
	__u32 pad;
};

/*
 * Port ranges: a rule's single port is matched exactly (no table), but
 * a range (port..endPort, ICMP type ranges) goes through classes: each
 * protocol's port space is cut into the intervals that no range boundary
 * splits, and every interval gets a class. One array lookup maps
 * (protocol, port) to its class. Single ports never cut a range, so a
 * wide range stays one class however many single-port rules sit inside
 * it. Four u16 classes share a value (array values are 8-byte aligned in
 * the kernel anyway):
 *   index = slot * POLC_PORT_SLOT_SIZE + port / 4,  class = cls[port % 4]
 * For ICMP and ICMPv6 the "port" is the message type. Class 0: no range
 * covers this port.
 */
#define POLC_PSLOT_TCP 0
#define POLC_PSLOT_UDP 1
#define POLC_PSLOT_SCTP 2
#define POLC_PSLOT_ICMP 3
#define POLC_PSLOT_ICMPV6 4
#define POLC_NR_PSLOTS 5
#define POLC_PORT_SLOT_SIZE (65536 / 4)
#define POLC_PORTS_ENTRIES (POLC_NR_PSLOTS * POLC_PORT_SLOT_SIZE)

struct polc_port_classes {
	__u16 cls[4];
};

/*
 * Policy: one entry per (policy, peer, protocol, port) that a rule allows
 * or denies. Wildcards are separate entries, probed in turn:
 *   peer       identity | POLC_PEER_CIDR | class | POLC_PEER_FQDN | selector
 *              | POLC_PEER_ANY
 *   port       (proto, EXACT, port) | (proto, RANGE, class)
 *              | (proto, ANY, 0) | (0, ANY, 0): any protocol
 * A packet matches up to 3 x 4 keys; a deny among them wins over any
 * allow, then the lowest rule id is reported. The generated program
 * probes only the combinations that some rule of the policy set can
 * produce.
 */
#define POLC_PEER_CIDR 0x80000000u
#define POLC_PEER_FQDN 0x40000000u /* | the 30-bit hash of a toFQDNs selector (struct polc_fqdn_value) */
#define POLC_PEER_KIND_MASK 0xc0000000u
#define POLC_PEER_ANY 0xffffffffu

#define POLC_PORT_ANY 0   /* every port of proto (or of every protocol with proto 0) */
#define POLC_PORT_EXACT 1 /* port is the port number (ICMP: the type) */
#define POLC_PORT_RANGE 2 /* port is a range class from polc_ports */

struct polc_policy_key {
	__u32 policy;
	__u32 peer;
	__u16 port;
	__u8 proto;
	__u8 port_kind; /* POLC_PORT_* */
};

#define POLC_ACT_ALLOW 1
#define POLC_ACT_DENY 2

/* "No rule": a default verdict. Also out of range of polc_rule_stats. */
#define POLC_RULE_NONE 0xffffffffu

/*
 * l7: the L7 rule set (1-based) that requests on an allowed flow must
 * match, 0 = every request: HTTP sets (TCP), then DNS sets (their ids
 * start at POLC_GEN_DNS_SET_FIRST; UDP and TCP). A packet hitting several entries is
 * allowed every request if any allow entry it hits has l7 0; otherwise
 * the set of the most specific entry of its identity and of its CIDR
 * class (their union when both have one), else of the peer-any column.
 * The compiler makes those sets complete (passes/l7.c).
 */
struct polc_policy_value {
	__u32 rule;  /* rule id: index into the artifact's rule table */
	__u8 action; /* POLC_ACT_* */
	__u8 flags;
	__u16 l7;    /* L7 rule set id, 0 = none */
};

struct polc_rule_stats {
	__u64 packets;
	__u64 bytes;
};

/*
 * Conntrack. One entry per (endpoint interface, connection): the
 * connection's two (address, port) ends are stored in canonical order
 * (lower address first, then lower port), so both directions of a
 * connection find the same entry with one lookup. orig_dir says which
 * direction opened it: a packet in the other direction is a reply.
 * Addresses in network byte order (IPv4 in the first 4 bytes, the rest
 * zero); ports in host byte order, 0 for protocols without ports. ICMP
 * echo: the requester's end has the echo identifier as its port, the
 * responder's end 0 (so a reply finds its request's entry and a request
 * the other way round does not). Other ICMP messages have no entries.
 * Times are bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE).
 */
struct polc_ct_key {
	__u32 ifindex;
	__u8 addr_lo[16];
	__u8 addr_hi[16];
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

#define POLC_CT_F_SEEN_REPLY (1u << 0)
#define POLC_CT_F_FIN_ORIG (1u << 1)
#define POLC_CT_F_FIN_REPLY (1u << 2)
#define POLC_CT_F_RST (1u << 3)
#define POLC_CT_F_AUDITED (1u << 4) /* allowed only because of audit mode */

struct polc_ct_entry {
	__u64 last_seen_ns;
	__u32 revision; /* policy revision that allowed it */
	__u32 rule;     /* rule that allowed it */
	__u8 orig_dir;
	__u8 orig_is_lo; /* the opener is the addr_lo end */
	__u8 flags;
	__u8 pad;
	__u16 l7;        /* HTTP rule set under that revision, 0 = none (state in polc_l7) */
	__u8 pad2[2];
};

/* Conntrack lifetimes, as Cilium's defaults. */
#define POLC_CT_LIFETIME_TCP_NS (21600ull * 1000000000ull)
#define POLC_CT_LIFETIME_SYN_NS (60ull * 1000000000ull)
#define POLC_CT_LIFETIME_CLOSE_NS (10ull * 1000000000ull)
#define POLC_CT_LIFETIME_OTHER_NS (60ull * 1000000000ull)
/* last_seen is written back at most this often (per-packet writes bounce cache lines). */
#define POLC_CT_REFRESH_NS (1000000000ull)

/*
 * Fragments: the verdict of a datagram's first fragment, for the rest.
 * Keyed by endpoint, direction and the IP fragment identity.
 */
struct polc_frag_key {
	__u32 ifindex;
	__u32 id;
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 proto;
	__u8 family;
	__u8 dir;
	__u8 pad;
};

struct polc_frag_value {
	__u64 created_ns;
	__u8 verdict; /* POLC_VERDICT_ALLOW (drops are not kept) */
	__u8 pad[3];
	__u32 rule;   /* the first fragment's rule, for the counters */
};

#define POLC_FRAG_LIFETIME_NS (2ull * 1000000000ull)

/*
 * L7 HTTP state of one connection whose requests an HTTP rule set
 * judges, keyed as its conntrack entry (struct polc_ct_key). Sequence
 * numbers are the client's (the connection's opener), except srv_nxt
 * and inj_seq. The judged byte stream is followed in order: next_seq is
 * the next byte to judge, mode says what it is (a request head, a body,
 * chunk framing), remaining and aux the counters of that mode.
 *
 * Retransmissions: bytes before next_seq that the server acknowledged,
 * or that lie in [opaque_seq, next_seq) (body bytes, which only count),
 * pass again. A retransmission starting at chk_seq is judged again from
 * the saved state chk_* and must reach next_seq in the same state.
 * Anything else before next_seq fails closed.
 *
 * lock is a sequence lock: odd while one CPU writes the rest. Readers
 * that see it odd or changed drop the segment (the client retransmits).
 */
#define POLC_L7_M_SYN 0          /* handshake: no data before the server's SYN-ACK */
#define POLC_L7_M_HEAD 1         /* a request head starts at next_seq */
#define POLC_L7_M_BODY 2         /* remaining bytes of a Content-Length body */
#define POLC_L7_M_CH_SIZE0 3     /* chunked: start of a chunk-size line */
#define POLC_L7_M_CH_SIZE 4      /* in the hex size (remaining: value so far) */
#define POLC_L7_M_CH_EXT 5       /* in a chunk extension (aux: its length) */
#define POLC_L7_M_CH_SIZE_LF 6   /* after the size line's CR */
#define POLC_L7_M_CH_DATA 7      /* remaining bytes of chunk data */
#define POLC_L7_M_CH_DATA_CR 8   /* the CR after chunk data */
#define POLC_L7_M_CH_DATA_LF 9
#define POLC_L7_M_CH_TRAILER 10  /* start of a trailer line, or the final CRLF */
#define POLC_L7_M_CH_TLINE 11    /* in a trailer line (aux: its length) */
#define POLC_L7_M_CH_TLINE_LF 12
#define POLC_L7_M_CH_END_LF 13   /* the final LF: then the next request */
#define POLC_L7_M_DENIED 14      /* a request was refused: nothing more reaches the server */
#define POLC_L7_M_BLIND 15       /* audit mode lost the stream: everything passes, reported */
/*
 * DNS over TCP (bpf-templates/dns.h) uses the same state: mode DNS (or
 * SYN, DENIED), next_seq the start of the next query message, chk_seq
 * and aux the start and length of the last segment judged, srv_ack,
 * srv_nxt the start of the server's next answer message (its length
 * prefix), inj_seq as for HTTP. set is a DNS set.
 */
#define POLC_L7_M_DNS 16         /* DNS messages, each a length prefix and a message, in order */

#define POLC_L7_F_FIN (1u << 0)      /* flags: the client has closed its side (FIN at next_seq - 1) */
#define POLC_L7_F_ANSWERED (1u << 1) /* flags: DENIED with a 403 to the client (else a reset) */
#define POLC_L7_F_AUDITED (1u << 2)  /* flags: a refused request passed because of audit mode */
#define POLC_L7_F_SYNACK (1u << 0)   /* srv_flags: the server's SYN-ACK was seen */

struct polc_l7_flow {
	__u32 lock;
	__u32 next_seq;
	__u64 remaining;
	__u64 chk_remaining;
	__u32 chk_seq;
	__u32 opaque_seq;
	__u32 aux;
	__u32 chk_aux;
	__u32 rule;    /* the rule that allowed the last request */
	__u32 reqs;    /* requests passed */
	__u32 inj_seq; /* DENIED: server sequence number of what polc sent the client */
	/* Written by the server's packets only (no lock). */
	__u32 srv_ack;  /* highest acknowledgement from the server */
	__u32 srv_nxt;  /* server sequence number after the last byte it sent */
	__u32 answered; /* reqs when the server last sent data */
	__u16 set;      /* HTTP rule set of the revision in the conntrack entry */
	__u8 mode;      /* POLC_L7_M_* */
	__u8 chk_mode;
	__u8 flags;     /* POLC_L7_F_* */
	__u8 srv_flags;
	__u8 pad[2];
};

/*
 * toFQDNs: the addresses an endpoint learned from the DNS answers it
 * received on flows under DNS rules (bpf-templates/fqdn.h), shared by
 * every generation and never replaced: a policy swap keeps them. Keyed
 * by the endpoint's interface (its learning opens nothing for other
 * endpoints) and the address (IPv4 in addr[0..3], the rest zero). Each
 * slot says under which toFQDNs selector the address was learned (the
 * compiler's 30-bit hash of the selector's regex, which stays the same
 * from one compilation to the next: POLC_PEER_FQDN | sel is the peer of
 * the selector's policy entries) and until when (the answer's lowest
 * TTL, clamped to the generation's minimum and maximum). A new
 * selector starts empty; a removed one's slots are ignored, then
 * expire. More selectors than slots for one address: the slot that
 * expires first gives way (that selector no longer allows it: fail
 * closed). LRU: a full table forgets the coldest address.
 */
#define POLC_FQDN_SLOTS 4

struct polc_fqdn_key {
	__u32 ifindex;
	__u8 family; /* POLC_AF_* */
	__u8 pad[3];
	__u8 addr[16];
};

struct polc_fqdn_slot {
	__u32 sel;     /* selector hash, 0: free */
	__u32 expires; /* seconds of bpf_ktime_get_coarse_ns() */
};

struct polc_fqdn_value {
	struct polc_fqdn_slot slot[POLC_FQDN_SLOTS];
};

/* Verdict events, one ring-buffer record each. */
#define POLC_VERDICT_ALLOW 1
#define POLC_VERDICT_DROP 2
#define POLC_VERDICT_AUDIT 3 /* would have been dropped */

#define POLC_REASON_POLICY 1      /* a rule decided (rule field set) */
#define POLC_REASON_DEFAULT_DENY 2 /* isolated and no rule matched */
#define POLC_REASON_FRAGMENT 3    /* fragment of an unknown or dropped datagram */
#define POLC_REASON_MALFORMED 4   /* headers could not be parsed */
#define POLC_REASON_NO_ENDPOINT 5 /* interface not in the endpoint map */
#define POLC_REASON_NO_PROGRAM 6  /* no generation loaded */
#define POLC_REASON_VLAN 7        /* 802.1Q/802.1ad frame: could carry IP past the policy */
#define POLC_REASON_DEFAULT_ALLOW 8 /* allowed: no policy isolates the endpoint (rule none) */
#define POLC_REASON_L7 9          /* an HTTP rule allowed a request, or none matched it (rule: the flow's) */
#define POLC_REASON_L7_MALFORMED 10 /* a request polc cannot judge (unparseable, split, out of order): refused */
#define POLC_REASON_DNS 11        /* a DNS rule allowed a query, or none matched it (refused: rule the flow's) */
#define POLC_REASON_DNS_MALFORMED 12 /* a DNS message polc cannot parse or that breaks its bounds: dropped */

struct polc_event {
	__u64 timestamp_ns;
	__u32 ifindex;
	__u32 endpoint_id;
	__u32 rule;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 len; /* packet length (skb->len) */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* host byte order; ICMP: the echo identifier or 0 */
	__u16 dport; /* host byte order; ICMP: the message type */
	__u8 proto;
	__u8 family;
	__u8 dir;
	__u8 verdict;
	__u8 reason;
	__u8 pad[3];
	/*
	 * polc_gen_state.revision of the generation that judged: user space
	 * names rules and identities from that revision's tables, not from
	 * whatever is live when the event is read.
	 */
	__u32 revision;
};

/*
 * Per generation state: the only global of the generation program, so
 * its .data map (libbpf: bpf_object__find_map_by_name(obj, ".data"))
 * holds exactly this struct. Set it before load with
 * bpf_map__set_initial_value(); update it live with
 * bpf_map_update_elem(fd, &(__u32){0}, &state, 0).
 */
#define POLC_GEN_F_EVENTS_DROP (1u << 0)  /* report drops */
#define POLC_GEN_F_EVENTS_ALLOW (1u << 1) /* report newly allowed flows */

struct polc_gen_state {
	__u32 revision; /* bumped by every change of policy data */
	__u32 flags;
};

/* Token bucket for events, per CPU. tokens counts in 1e-9 events. */
struct polc_ev_budget {
	__u64 last_ns; /* bpf_ktime_get_coarse_ns() */
	__u64 tokens;
	__u64 suppressed; /* verdicts not reported: over the rate */
	__u64 lost;	  /* verdicts not reported: the ring buffer was full */
};

#define POLC_EV_RATE_PER_SEC 1000
#define POLC_EV_BURST 100

/* Map names (16 bytes max with NUL, the kernel's BPF_OBJ_NAME_LEN). */
#define POLC_MAP_GEN_PROG "polc_gen_prog"
#define POLC_MAP_CT "polc_ct"
#define POLC_MAP_L7 "polc_l7"
#define POLC_MAP_FQDN "polc_fqdn"
#define POLC_MAP_FRAG "polc_frag"
#define POLC_MAP_EVENTS "polc_events"
#define POLC_MAP_EV_BUDGET "polc_ev_budget"
#define POLC_MAP_ENDPOINTS "polc_endpoints"
#define POLC_MAP_IPCACHE "polc_ipcache"
#define POLC_MAP_PORTS "polc_ports"
#define POLC_MAP_POLICY "polc_policy"
#define POLC_MAP_RULE_STATS "polc_rule_stats"

/* Default sizes of the shared maps. */
#define POLC_CT_MAX_ENTRIES 262144
#define POLC_L7_MAX_ENTRIES 65536
#define POLC_FQDN_MAX_ENTRIES 65536
#define POLC_FRAG_MAX_ENTRIES 8192
#define POLC_EVENTS_BYTES (1u << 20)

_Static_assert(sizeof(struct polc_ipcache_key) == 20, "ipcache key layout");
_Static_assert(sizeof(struct polc_ipcache_value) == 8, "ipcache value layout");
_Static_assert(sizeof(struct polc_endpoint) == 24, "endpoint layout");
_Static_assert(sizeof(struct polc_port_classes) == 8, "port classes layout");
_Static_assert(sizeof(struct polc_policy_key) == 12, "policy key layout");
_Static_assert(sizeof(struct polc_policy_value) == 8, "policy value layout");
_Static_assert(sizeof(struct polc_ct_key) == 44, "ct key layout");
_Static_assert(sizeof(struct polc_ct_entry) == 24, "ct entry layout");
_Static_assert(__builtin_offsetof(struct polc_ct_entry, l7) == 20, "ct entry layout");
_Static_assert(sizeof(struct polc_l7_flow) == 72, "l7 flow layout");
_Static_assert(sizeof(struct polc_fqdn_key) == 24, "fqdn key layout");
_Static_assert(sizeof(struct polc_fqdn_value) == 8 * POLC_FQDN_SLOTS, "fqdn value layout");
_Static_assert(sizeof(struct polc_frag_key) == 44, "frag key layout");
_Static_assert(sizeof(struct polc_frag_value) == 16, "frag value layout");
_Static_assert(__builtin_offsetof(struct polc_frag_value, rule) == 12, "frag value layout");
_Static_assert(sizeof(struct polc_event) == 80, "event layout");
_Static_assert(__builtin_offsetof(struct polc_event, revision) == 76, "event layout");
_Static_assert(sizeof(struct polc_ev_budget) == 32, "event budget layout");
_Static_assert(sizeof(struct polc_gen_state) == 8, "gen state layout");

#endif

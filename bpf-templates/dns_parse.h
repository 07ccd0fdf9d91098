/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * DNS messages (RFC 1035), parsed in the datapath: a query's question
 * name matched against the flow's DNS rule set; an answer's question
 * and records walked, its A and AAAA addresses learned for the toFQDNs
 * selectors its question name matches (fqdn.h). Only compiled when the
 * generation has DNS rules or toFQDNs.
 *
 * The message is copied from the skb into a per-CPU scratch buffer
 * (POLC_GEN_DNS_MAX_MSG bytes, a power of two, plus slack), and every
 * read is an index masked into it, so no value in the message can make
 * a read leave the buffer; the message's own length bounds what counts.
 * Loops are bpf_loop() callbacks (verifier.h, lesson 10) with fixed
 * iteration limits, so no message can make the program loop:
 *
 *   a name        at most 128 labels or pointers, 255 bytes in wire form;
 *                 a compression pointer must point before itself and past
 *                 the header (pointer loops and forward pointers are
 *                 malformed); label types 0x40 and 0x80 are malformed
 *   the records   at most POLC_GEN_DNS_MAX_RECORDS, each inside the message
 *   addresses     at most POLC_GEN_DNS_MAX_ADDRS per answer
 *
 * What is malformed (fail closed: the message is dropped): a message
 * shorter than its header or longer than the buffer (over UDP), a query
 * with QR set or an answer without, a question count other than one,
 * records or names that run past the message or break the rules above,
 * an A record whose data is not 4 bytes or an AAAA not 16, a CNAME
 * whose target does not fill its data, and answers that do not follow
 * the question's CNAME chain (Cilium's ExtractMsgDetails refuses those
 * too). Names inside the data of other record types are not read.
 *
 * Names are matched as Cilium matches them: in dotted form with the
 * final dot ("www.example.com."), ASCII case folded (the DFAs fold). A
 * '.' byte inside a label, which Cilium's DNS library escapes, is fed
 * as '\', which no selector or name rule matches (every-name rules do).
 */
#ifndef POLC_BPF_DNS_PARSE_H
#define POLC_BPF_DNS_PARSE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "dns_tables.h"
#include "reply.h"
#include "tcp_seg.h"
#include "verifier.h"

#ifndef POLC_GEN_DNS_MAX_MSG
#define POLC_GEN_DNS_MAX_MSG 4096
#endif
#ifndef POLC_GEN_DNS_MAX_RECORDS
#define POLC_GEN_DNS_MAX_RECORDS 256
#endif
#ifndef POLC_GEN_DNS_MAX_ADDRS
#define POLC_GEN_DNS_MAX_ADDRS 256
#endif

#define POLC_DNS_BUF POLC_GEN_DNS_MAX_MSG
#define POLC_DNS_MASK (POLC_DNS_BUF - 1)
_Static_assert((POLC_DNS_BUF & POLC_DNS_MASK) == 0 && POLC_DNS_BUF >= 512 && POLC_DNS_BUF <= 16384,
	       "POLC_GEN_DNS_MAX_MSG is a power of two in 512..16384");
_Static_assert(POLC_GEN_DNS_MAX_ADDRS >= 1 && POLC_GEN_DNS_MAX_ADDRS <= 1024, "POLC_GEN_DNS_MAX_ADDRS in 1..1024");
_Static_assert(POLC_GEN_DNS_MAX_RECORDS >= 1 && POLC_GEN_DNS_MAX_RECORDS <= 65535, "POLC_GEN_DNS_MAX_RECORDS");

#define POLC_DNS_HDR 12
#define POLC_DNS_TCP_ANSWER_MAX 512 /* a refused TCP query this long or shorter gets a REFUSED answer */
#define POLC_DNS_NAME_MAX 255  /* wire form, final zero included */
#define POLC_DNS_NAME_BUF 256
#define POLC_DNS_MAX_LABELS 128
#define POLC_DNS_SLACK 64      /* a label (64 bytes with its length) is copied whole */

#define POLC_DNS_T_A 1
#define POLC_DNS_T_CNAME 5
#define POLC_DNS_T_AAAA 28

#define POLC_DNS_F_QR 0x8000
#define POLC_DNS_RCODE_REFUSED 5

/* polc_dns_query() */
#define POLC_DNS_ALLOW 0  /* a rule allows the name */
#define POLC_DNS_REFUSE 1 /* no rule does: answer REFUSED */
#define POLC_DNS_BAD 2    /* malformed: drop */

/* Errors of a walk (s->err). */
#define POLC_DNS_E_MALFORMED 1
#define POLC_DNS_E_SHORT 2 /* ran out of bytes: malformed, unless the message is known to be cut (partial) */

/* One DFA being walked. */
struct polc_dns_walk {
	__u32 next;
	__u32 accept;
	__u32 classes;
	__u32 n_classes; /* 0: none (nothing matches) */
};

struct polc_dns_scratch {
	__u8 msg[POLC_DNS_BUF + POLC_DNS_SLACK];
	__u8 name[POLC_DNS_NAME_BUF + POLC_DNS_SLACK];  /* a record's owner name, wire form, zero padded */
	__u8 chain[POLC_DNS_NAME_BUF + POLC_DNS_SLACK]; /* the question, then each CNAME target */
	__u16 addr[POLC_GEN_DNS_MAX_ADDRS];             /* rdata offsets of A and AAAA (| 0x8000) */
	/* a name being decoded (polc_dns_name) */
	__u32 n_cur, n_pos, n_end, n_err, n_jumped, n_done, n_out;
	/* the message */
	__u32 len;     /* bytes in msg */
	__u32 partial; /* msg holds only the start of the message: running out of bytes ends the walk */
	__u32 off;
	__u32 n_an;
	__u32 n_rr;
	__u32 rr_done;
	__u32 chain_off; /* where the chain's current name is written in the message */
	__u32 ttl;
	__u32 n_addrs;
	__u32 err;
	/* DFA walks over chain (polc_dns_match): the DNS rule set's, the toFQDNs group's */
	__u32 m_rem, m_done;
	__u32 st[2];
	struct polc_dns_walk w[2];
	/* learning (a map key and value may live here: the stack is short, lesson 7) */
	__u32 list;
	__u32 expires;
	__u32 now_s;
	__u32 ifindex;
	struct polc_fqdn_key fkey;
	struct polc_fqdn_value fval;
	/* a TCP segment being judged (dns.h) */
	struct polc_tcp_seg seg;
	__u32 tj_next, tj_off, tj_end;
	__u32 tj_single; /* the segment is one whole message: a REFUSED answer can be made of it */
	/* a REFUSED answer over UDP being made (dns_reply.h; over TCP: tcp_reply.h's scratch) */
	struct polc_reply_hdrs tx_hdrs;
	__be16 tx_ports[2][2];
	__be16 tx_flags[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct polc_dns_scratch);
} polc_dns_scr SEC(".maps");

static __always_inline struct polc_dns_scratch *polc_dns_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&polc_dns_scr, &zero);
}

static __always_inline __u32 polc_dns_u8(const struct polc_dns_scratch *s, __u32 off)
{
	return s->msg[off & POLC_DNS_MASK];
}

static __always_inline __u32 polc_dns_u16(const struct polc_dns_scratch *s, __u32 off)
{
	return polc_dns_u8(s, off) << 8 | polc_dns_u8(s, off + 1);
}

static __always_inline __u32 polc_dns_u32(const struct polc_dns_scratch *s, __u32 off)
{
	return polc_dns_u16(s, off) << 16 | polc_dns_u16(s, off + 2);
}

/* ---- names ------------------------------------------------------------------- */

static __always_inline __u8 *polc_dns_name_buf(struct polc_dns_scratch *s, __u32 which)
{
	return which ? s->chain : s->name;
}

/* bpf_loop callback: one label or pointer of the name at n_cur; 1 stops. */
static long polc_dns_name_cb(__u32 i, void *ctx)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s)
		return 1;

	__u32 cur = s->n_cur, len = s->len;

	if (cur >= len) {
		s->n_err = POLC_DNS_E_SHORT;
		return 1;
	}

	__u32 b = polc_dns_u8(s, cur);

	if (b == 0) {
		__u32 pos = s->n_pos;
		__u8 *out = polc_dns_name_buf(s, s->n_out);

		/* pos <= 254: checked when the last label was added. */
		if (pos > POLC_DNS_NAME_MAX - 1) {
			s->n_err = POLC_DNS_E_MALFORMED;
			return 1;
		}
		polc_barrier_var(pos);
		out[pos] = 0;
		/* The rest of the last label's 64-byte copy. */
		__builtin_memset(out + pos + 1, 0, POLC_DNS_SLACK - 1);
		if (!s->n_jumped)
			s->n_end = cur + 1;
		s->n_done = 1;
		return 1;
	}
	if ((b & 0xc0) == 0xc0) {
		if (cur + 1 >= len) {
			s->n_err = POLC_DNS_E_SHORT;
			return 1;
		}

		__u32 target = (b & 0x3f) << 8 | polc_dns_u8(s, cur + 1);

		/* Backwards and past the header only: no loop, no forward reference. */
		if (target >= cur || target < POLC_DNS_HDR) {
			s->n_err = POLC_DNS_E_MALFORMED;
			return 1;
		}
		if (!s->n_jumped) {
			s->n_end = cur + 2;
			s->n_jumped = 1;
		}
		s->n_cur = target;
		return 0;
	}
	if (b & 0xc0) {
		s->n_err = POLC_DNS_E_MALFORMED; /* extended label types (RFC 6891 deprecated them) */
		return 1;
	}

	__u32 pos = s->n_pos;

	/* The label, its length byte, and the final zero still to come. */
	if (pos + 1 + b + 1 > POLC_DNS_NAME_MAX) {
		s->n_err = POLC_DNS_E_MALFORMED;
		return 1;
	}
	if (cur + 1 + b > len) {
		s->n_err = POLC_DNS_E_SHORT;
		return 1;
	}

	__u8 *out = polc_dns_name_buf(s, s->n_out);

	/* Lesson 12 (verifier.h): index with the checked values. */
	polc_barrier_var(pos);
	__builtin_memcpy(out + (pos & 0xff), s->msg + (cur & POLC_DNS_MASK), POLC_DNS_SLACK);
	s->n_pos = pos + 1 + b;
	s->n_cur = cur + 1 + b;
	return 0;
}

/*
 * Decode the name at off into chain (which 1) or name (0): wire form,
 * zero padded. The offset after the name where it is written, or -1
 * with s->err set.
 */
static __always_inline int polc_dns_name(struct polc_dns_scratch *s, __u32 off, __u32 which)
{
	__u8 *out = polc_dns_name_buf(s, which);

#pragma clang loop unroll(full)
	for (int w = 0; w < (POLC_DNS_NAME_BUF + POLC_DNS_SLACK) / 8; w++)
		*(__u64 *)(out + w * 8) = 0;
	s->n_cur = off;
	s->n_pos = 0;
	s->n_end = 0;
	s->n_err = 0;
	s->n_jumped = 0;
	s->n_done = 0;
	s->n_out = which;
	bpf_loop(POLC_DNS_MAX_LABELS, polc_dns_name_cb, NULL, 0);
	if (s->n_err || !s->n_done) {
		s->err = s->n_err ? s->n_err : POLC_DNS_E_MALFORMED;
		return -1;
	}
	return (int)s->n_end;
}

/* ASCII upper case to lower case in 8 bytes at once (other bytes unchanged). */
static __always_inline __u64 polc_dns_lower8(__u64 x)
{
	const __u64 ones = 0x0101010101010101ull;
	__u64 heptets = x & (0x7f * ones);
	__u64 gt_z = heptets + (0x7f - 'Z') * ones; /* high bit: byte > 'Z' */
	__u64 ge_a = heptets + (0x80 - 'A') * ones; /* high bit: byte >= 'A' */
	__u64 upper = ~x & (ge_a ^ gt_z) & (0x80 * ones);

	return x | (upper >> 2);
}

/* Is the owner name in s->name the chain's current name (case folded)? */
static __always_inline bool polc_dns_names_equal(const struct polc_dns_scratch *s)
{
	__u64 diff = 0;

	/* A plain loop: unrolled, clang keeps every word on the stack (lesson 14, verifier.h). */
#pragma clang loop unroll(disable)
	for (int w = 0; w < POLC_DNS_NAME_BUF / 8; w++) {
		__u64 a = *(const __u64 *)(s->name + w * 8);
		__u64 b = *(const __u64 *)(s->chain + w * 8);

		diff |= polc_dns_lower8(a) ^ polc_dns_lower8(b);
	}
	return diff == 0;
}

/* ---- DFAs over the chain's name ---------------------------------------------- */

static __always_inline void polc_dns_walk_init(struct polc_dns_walk *w, __u32 *state, const struct polc_dns_dfa *d)
{
	w->next = d ? d->next : 0;
	w->accept = d ? d->accept : 0;
	w->classes = d ? d->classes : 0;
	w->n_classes = d && d->n_states ? d->n_classes : 0;
	*state = d ? d->start : 0;
}

static __always_inline __u32 polc_dns_step(const struct polc_dns_walk *w, __u32 state, __u8 byte)
{
	if (!w->n_classes)
		return 0;

	__u32 ci = w->classes + byte;

	if (ci >= POLC_DNS_CLASS_LEN)
		return 0;

	__u32 idx = w->next + (state & 0xffff) * w->n_classes + polc_dns_class[ci];

	if (idx >= POLC_DNS_NEXT_LEN)
		return 0;
	return polc_dns_next[idx];
}

static __always_inline __u32 polc_dns_accept_of(const struct polc_dns_walk *w, __u32 state)
{
	if (!w->n_classes)
		return 0;

	__u32 idx = w->accept + (state & 0xffff);

	if (idx >= POLC_DNS_ACCEPT_LEN)
		return 0;
	return polc_dns_accept[idx];
}

static __always_inline void polc_dns_feed(struct polc_dns_scratch *s, __u8 b)
{
	s->st[0] = polc_dns_step(&s->w[0], s->st[0], b);
	s->st[1] = polc_dns_step(&s->w[1], s->st[1], b);
}

/* bpf_loop callback: byte i of the chain's name, in dotted form, through both DFAs. */
static long polc_dns_match_cb(__u32 i, void *ctx)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s || i >= POLC_DNS_NAME_BUF)
		return 1;

	__u8 b = s->chain[i & 0xff];
	__u32 rem = s->m_rem;

	if (rem == 0) {
		/* A length byte: the dot that ends the label before it (or the root). */
		if (i > 0 || b == 0)
			polc_dns_feed(s, '.');
		if (b == 0) {
			s->m_done = 1;
			return 1;
		}
		s->m_rem = b;
		return 0;
	}
	s->m_rem = rem - 1;
	polc_dns_feed(s, b == '.' ? '\\' : b);
	return 0;
}

/* Walk the chain's name through w[0] and w[1]; false if the name did not end (cannot happen for a decoded name). */
static __always_inline bool polc_dns_match(struct polc_dns_scratch *s)
{
	s->m_rem = 0;
	s->m_done = 0;
	bpf_loop(POLC_DNS_NAME_BUF, polc_dns_match_cb, NULL, 0);
	return s->m_done;
}

/* The DNS rule set with this id (a DNS set id), or NULL: nothing matches. */
static __always_inline const struct polc_dns_dfa *polc_dns_set_dfa(__u32 set)
{
	if (set < POLC_GEN_DNS_SET_FIRST)
		return NULL;

	__u32 idx = set - POLC_GEN_DNS_SET_FIRST + 1;

	/*
	 * One upper bound, then the index pinned (lesson 12): a combined
	 * "== 0 || > n" lets clang test idx - 1 instead of idx.
	 */
	if (idx > POLC_DNS_NR_SETS)
		return NULL;
	polc_barrier_var(idx);
	return &polc_dns_sets[idx];
}

/* The toFQDNs group of an egress policy, or NULL. */
static __always_inline const struct polc_dns_dfa *polc_fqdn_group_dfa(__u32 policy)
{
	if (policy >= POLC_FQDN_POLICY_GROUP_LEN)
		return NULL;
	polc_barrier_var(policy);

	__u32 g = polc_fqdn_policy_group[policy];

	/* clang knows the table's contents and would drop the check below; the verifier does not. */
	polc_barrier_var(g);
	if (g > POLC_FQDN_NR_GROUPS)
		return NULL;
	polc_barrier_var(g);
	if (g == 0)
		return NULL;
	return &polc_fqdn_groups[g];
}

/* ---- messages ------------------------------------------------------------------ */

/*
 * Copy the DNS message at frame offset off, len bytes long, into the
 * scratch buffer. A message longer than the buffer: its start, marked
 * partial, when allow_partial; else -1. Also -1 for one shorter than a
 * header or cut short in the frame.
 */
static __always_inline int polc_dns_load(struct __sk_buff *skb, struct polc_dns_scratch *s, __u32 off, __u32 len,
					 bool allow_partial)
{
	s->partial = 0;
	if (len > POLC_DNS_BUF) {
		if (!allow_partial)
			return -1;
		len = POLC_DNS_BUF;
		s->partial = 1;
	}
	if (len < POLC_DNS_HDR)
		return -1;
	/* Lesson 12 (verifier.h): the helper's size is the register that was checked. */
	polc_barrier_var(len);
	if (len > POLC_DNS_BUF)
		return -1;
	if (bpf_skb_load_bytes(skb, off, s->msg, len))
		return -1;
	s->len = len;
	s->err = 0;
	return 0;
}

/*
 * The question of the message in s: its name decoded into chain and
 * walked through the DNS set (w[0]) and the toFQDNs group (w[1]).
 * The offset after the question, or -1.
 */
static __always_inline int polc_dns_question(struct polc_dns_scratch *s, const struct polc_dns_dfa *set,
					     const struct polc_dns_dfa *group)
{
	int end = polc_dns_name(s, POLC_DNS_HDR, 1);

	if (end < 0)
		return -1;
	if ((__u32)end + 4 > s->len) {
		s->err = POLC_DNS_E_SHORT;
		return -1;
	}
	polc_dns_walk_init(&s->w[0], &s->st[0], set);
	polc_dns_walk_init(&s->w[1], &s->st[1], group);
	if (!polc_dns_match(s)) {
		s->err = POLC_DNS_E_MALFORMED;
		return -1;
	}
	return end + 4;
}

/*
 * Judge the query in the frame at [off, off + len) against DNS set
 * `set`: POLC_DNS_ALLOW (*rule: the lowest rule that allows the name),
 * POLC_DNS_REFUSE, or POLC_DNS_BAD. Global (verifier.h, lesson 7).
 */
POLC_GLOBAL int polc_dns_query(struct __sk_buff *skb, __u32 off, __u32 len, __u32 set, __u32 *rule)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s || !rule)
		return POLC_DNS_BAD;
	if (polc_dns_load(skb, s, off, len, false))
		return POLC_DNS_BAD;

	__u32 flags = polc_dns_u16(s, 2);

	/*
	 * One question, no answer or authority records (what Cilium's DNS
	 * library accepts from a client; additional records carry EDNS).
	 */
	if ((flags & POLC_DNS_F_QR) || polc_dns_u16(s, 4) != 1 || polc_dns_u16(s, 6) || polc_dns_u16(s, 8))
		return POLC_DNS_BAD;
	if (polc_dns_question(s, polc_dns_set_dfa(set), NULL) < 0)
		return POLC_DNS_BAD;

	__u32 allowed = polc_dns_accept_of(&s->w[0], s->st[0]);

	if (!allowed)
		return POLC_DNS_REFUSE;
	*rule = allowed - 1;
	return POLC_DNS_ALLOW;
}

/* bpf_loop callback: record i of the answer, authority and additional sections. */
static long polc_dns_rr_cb(__u32 i, void *ctx)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s)
		return 1;
	if (i >= s->n_rr) {
		s->rr_done = 1;
		return 1;
	}

	/*
	 * The usual owner is a pointer to the chain's current name (the
	 * question, or the last CNAME target), which was decoded and checked
	 * already: then it is that name, and nothing needs decoding again.
	 */
	__u32 at = s->off, len = s->len, chain = s->chain_off;
	bool same = false;
	int end;

	if (at + 2 <= len && polc_dns_u8(s, at) == (0xc0 | chain >> 8) && polc_dns_u8(s, at + 1) == (chain & 0xff)) {
		same = true;
		end = (int)(at + 2);
	} else {
		end = polc_dns_name(s, at, 0);
		if (end < 0)
			return 1;
	}

	__u32 off = (__u32)end;

	if (off + 10 > len) {
		s->err = POLC_DNS_E_SHORT;
		return 1;
	}

	__u32 type = polc_dns_u16(s, off), ttl = polc_dns_u32(s, off + 4), rdlen = polc_dns_u16(s, off + 8);

	off += 10;
	if (off + rdlen > len) {
		s->err = POLC_DNS_E_SHORT;
		return 1;
	}
	if (i < s->n_an) {
		/* The answer section follows the question's CNAME chain, as Cilium requires. */
		if (!same && !polc_dns_names_equal(s)) {
			s->err = POLC_DNS_E_MALFORMED;
			return 1;
		}
		if (type == POLC_DNS_T_CNAME) {
			end = polc_dns_name(s, off, 1);
			if (end < 0)
				return 1;
			if ((__u32)end != off + rdlen) {
				s->err = POLC_DNS_E_MALFORMED;
				return 1;
			}
			s->chain_off = off;
		} else if (type == POLC_DNS_T_A || type == POLC_DNS_T_AAAA) {
			__u32 n = s->n_addrs;

			if (rdlen != (type == POLC_DNS_T_A ? 4 : 16) || n >= POLC_GEN_DNS_MAX_ADDRS) {
				s->err = POLC_DNS_E_MALFORMED;
				return 1;
			}
			polc_barrier_var(n);
			s->addr[n] = (__u16)(off | (type == POLC_DNS_T_AAAA ? 0x8000 : 0));
			s->n_addrs = n + 1;
		}
		/* The chain's lowest TTL, as Cilium takes it (A, AAAA, CNAME). */
		if ((type == POLC_DNS_T_CNAME || type == POLC_DNS_T_A || type == POLC_DNS_T_AAAA) && ttl < s->ttl)
			s->ttl = ttl;
	}
	s->off = off + rdlen;
	return 0;
}

/*
 * Walk the answer in s after its question (at off): every record
 * checked, A and AAAA of the chain collected. 0, or -1 (malformed).
 * A partial message ends where its bytes do.
 */
static __always_inline int polc_dns_records(struct polc_dns_scratch *s, __u32 off)
{
	__u32 an = polc_dns_u16(s, 6), n = an + polc_dns_u16(s, 8) + polc_dns_u16(s, 10);

	if (n > POLC_GEN_DNS_MAX_RECORDS)
		return -1;
	s->off = off;
	s->n_an = an;
	s->n_rr = n;
	s->rr_done = 0;
	s->ttl = 0xffffffffu;
	s->n_addrs = 0;
	s->err = 0;
	s->chain_off = POLC_DNS_HDR;
	bpf_loop(POLC_GEN_DNS_MAX_RECORDS + 1, polc_dns_rr_cb, NULL, 0);
	if (s->err == POLC_DNS_E_SHORT && s->partial)
		return 0;
	return s->err || !s->rr_done ? -1 : 0;
}

#endif

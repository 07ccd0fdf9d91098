/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Answers the datapath sends when it refuses a request: an HTTP 403 (or
 * a reset) to the client and a reset to the server, made by rewriting
 * the refused segment itself (the skb is turned around, cloned, and
 * turned around again). Only compiled with HTTP rules.
 *
 * Where they go. polc runs on the host side of the pod's veth. On tc
 * ingress there (the pod's egress: a client pod's request) "back" is
 * the same interface's egress, into the pod; on tc egress (the pod's
 * ingress: a request to a server pod) "back" is the interface's ingress,
 * into the host's stack, as if the pod had sent it. "On" is simply
 * letting the skb continue. A refused request always travels from the
 * client to the server, so the client is back and the server is on.
 *
 * Checksums. Packets a pod sends over veth usually carry
 * CHECKSUM_PARTIAL: the TCP checksum field holds only the pseudo-header
 * sum, completed later (by the NIC, or in software on the way out);
 * others carry a full checksum. A tc program cannot read ip_summed, so
 * every change goes through bpf_l4_csum_replace() in two calls built so
 * that both cases end right: one without BPF_F_PSEUDO_HDR, which the
 * kernel applies only to full checksums, carrying the difference between
 * the new full sum and what the second call will add; and one with it,
 * which both cases apply, carrying the pseudo-header's change (length).
 * The IPv4 header checksum is never offloaded: computed whole.
 * bpf_skb_change_tail() also drops GSO state: a refused super-packet
 * becomes one small segment.
 *
 * TCP. The client's answer starts at the client's acknowledgement (the
 * next byte it expects from the server) and acknowledges the whole
 * refused segment, so the client takes it at once and retransmits
 * nothing; a 403 carries FIN and "connection: close". The server's
 * reset carries the refused segment's sequence number: the next byte
 * the server expects, which is what RFC 5961 makes it accept. The
 * segments are 20-byte headers without options; Linux accepts segments
 * without the timestamp option on a connection that negotiated it (RFC
 * 7323 lets a receiver drop them: a stack that does sees only the reset
 * that follows). Frames with IPv4 options or IPv6 extension headers are
 * not rewritten (the refused segment is dropped: see http.h).
 */
#ifndef POLC_BPF_HTTP_REPLY_H
#define POLC_BPF_HTTP_REPLY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "context.h"
#include "http_tables.h"
#include "parse.h"
#include "tcp_seg.h"
#include "verifier.h"

/* What Cilium's Envoy answers a refused request with, and a close: polc cannot keep the connection. */
#define POLC_HTTP_403_LEN 106
static const char polc_http_403[108] POLC_RODATA = "HTTP/1.1 403 Forbidden\r\n"
				       "content-length: 15\r\n"
				       "content-type: text/plain\r\n"
				       "connection: close\r\n"
				       "\r\n"
				       "Access denied\r\n";

_Static_assert(sizeof("HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\ncontent-type: text/plain\r\n"
		      "connection: close\r\n\r\nAccess denied\r\n") == POLC_HTTP_403_LEN + 1,
	       "403 length");

/* One's complement arithmetic on 32-bit partial sums (the kernel's csum_add/csum_sub). */
static __always_inline __u32 polc_csum_add(__u32 a, __u32 b)
{
	__u32 r = a + b;

	return r + (r < a);
}

static __always_inline __u32 polc_csum_sub(__u32 a, __u32 b)
{
	return polc_csum_add(a, ~b);
}

static __always_inline __u16 polc_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

struct polc_pseudo_v4 {
	__be32 saddr;
	__be32 daddr;
	__u8 zero;
	__u8 proto;
	__be16 len;
};

struct polc_pseudo_v6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__u8 zero[3];
	__u8 nexthdr;
};

static __always_inline void polc_reply_tcp(struct tcphdr *out, const struct tcphdr *cur, __u32 seq, __u32 ack,
					   __u8 flags, __sum16 check)
{
	polc_zero(out);
	out->source = cur->dest;
	out->dest = cur->source;
	out->seq = bpf_htonl(seq);
	out->ack_seq = bpf_htonl(ack);
	out->doff = 5;
	((__u8 *)out)[13] = flags;
	out->window = bpf_htons(flags & POLC_TCP_RST ? 0 : 65535);
	out->check = check;
}

/* The Ethernet header turned around. */
static __always_inline void polc_reply_eth(struct ethhdr *out, const struct ethhdr *cur)
{
	__builtin_memcpy(out->h_dest, cur->h_source, ETH_ALEN);
	__builtin_memcpy(out->h_source, cur->h_dest, ETH_ALEN);
	out->h_proto = cur->h_proto;
}

/*
 * The new segment's full sum (pseudo-header, header with a zero
 * checksum, body), and the pseudo-header's change: see the checksum
 * notes above. 0 or -1.
 */
static __always_inline int polc_reply_sums(const void *ph_old, const void *ph_new, __u32 ph_size,
					   const struct tcphdr *tcp, bool body, __u32 *full, __u32 *d_pseudo)
{
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)ph_new, ph_size, 0);

	if (s >= 0)
		s = bpf_csum_diff(NULL, 0, (__be32 *)tcp, sizeof(*tcp), (__u32)s);
	if (s >= 0 && body)
		s = bpf_csum_diff(NULL, 0, (__be32 *)polc_http_403, sizeof(polc_http_403), (__u32)s);
	if (s < 0)
		return -1;
	*full = (__u32)s;
	s = bpf_csum_diff((__be32 *)ph_old, ph_size, (__be32 *)ph_new, ph_size, 0);
	if (s < 0)
		return -1;
	*d_pseudo = (__u32)s;
	return 0;
}

/*
 * Headers being rewritten, in a per-CPU map: the stack (512 bytes for
 * the whole call chain) cannot hold them beside the packet's context.
 * A clone this program redirects may run our egress program again,
 * nested on this CPU: polc_tcp_turn() reads everything afresh from the
 * skb, and a nested run (our own answer crossing the hook) sends none.
 */
struct polc_http_tx {
	struct ethhdr eth, eth_out;
	__u8 pad[4];
	struct tcphdr tcp, tcp_out;
	struct iphdr ip4, ip4_out;
	struct ipv6hdr ip6, ip6_out;
	struct polc_pseudo_v4 ph4_old, ph4_new;
	struct polc_pseudo_v6 ph6_old, ph6_new;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct polc_http_tx);
} polc_http_txs SEC(".maps");

#define POLC_TURN_BODY 0x100 /* polc_tcp_turn() flags: the 403 as payload */

/*
 * Turn the frame around: addresses, ports and MACs swapped, a TCP
 * segment with seq, ack, the TCP flags in the low byte of flags and, with
 * POLC_TURN_BODY, the 403. 0, or -1 when the frame cannot be rewritten
 * (the caller drops it). Global (lesson 7): three callers, one verification.
 */
POLC_GLOBAL int polc_tcp_turn(struct __sk_buff *skb, const struct polc_pkt *pkt, __u32 seq, __u32 ack, __u32 flags)
{
	__u32 zero = 0;
	struct polc_http_tx *x = bpf_map_lookup_elem(&polc_http_txs, &zero);

	if (!x || !pkt)
		return -1;

	bool body = flags & POLC_TURN_BODY;
	__u32 new_l4 = sizeof(struct tcphdr) + (body ? POLC_HTTP_403_LEN : 0);
	__u32 l4 = pkt->l4_off;
	__u32 full, d_pseudo;
	__sum16 old_check;

	if (polc_load(skb, 0, &x->eth, sizeof(x->eth)) || polc_load(skb, l4, &x->tcp, sizeof(x->tcp)))
		return -1;
	polc_reply_eth(&x->eth_out, &x->eth);
	old_check = x->tcp.check;
	polc_reply_tcp(&x->tcp_out, &x->tcp, seq, ack, flags & 0xff, 0);

	if (pkt->family == POLC_AF_INET) {
		if (l4 != ETH_HLEN + sizeof(struct iphdr) || polc_load(skb, ETH_HLEN, &x->ip4, sizeof(x->ip4)))
			return -1;

		__u32 tot = bpf_ntohs(x->ip4.tot_len);
		__u32 old_l4 = tot ? tot - sizeof(struct iphdr) : skb->len - l4;

		polc_zero(&x->ph4_old);
		x->ph4_old.saddr = x->ip4.saddr;
		x->ph4_old.daddr = x->ip4.daddr;
		x->ph4_old.proto = IPPROTO_TCP;
		x->ph4_old.len = bpf_htons(old_l4);
		polc_zero(&x->ph4_new);
		x->ph4_new.saddr = x->ip4.daddr;
		x->ph4_new.daddr = x->ip4.saddr;
		x->ph4_new.proto = IPPROTO_TCP;
		x->ph4_new.len = bpf_htons(new_l4);
		if (polc_reply_sums(&x->ph4_old, &x->ph4_new, sizeof(x->ph4_new), &x->tcp_out, body, &full, &d_pseudo))
			return -1;

		polc_zero(&x->ip4_out);
		x->ip4_out.version = 4;
		x->ip4_out.ihl = 5;
		x->ip4_out.tot_len = bpf_htons(sizeof(struct iphdr) + new_l4);
		x->ip4_out.frag_off = bpf_htons(0x4000); /* DF */
		x->ip4_out.ttl = 64;
		x->ip4_out.protocol = IPPROTO_TCP;
		x->ip4_out.saddr = x->ip4.daddr;
		x->ip4_out.daddr = x->ip4.saddr;

		__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)&x->ip4_out, sizeof(x->ip4_out), 0);

		if (s < 0)
			return -1;
		x->ip4_out.check = polc_csum_fold((__u32)s);
		if (bpf_skb_change_tail(skb, l4 + new_l4, 0) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN, &x->ip4_out, sizeof(x->ip4_out), 0))
			return -1;
	} else {
		if (l4 != ETH_HLEN + sizeof(struct ipv6hdr) || polc_load(skb, ETH_HLEN, &x->ip6, sizeof(x->ip6)))
			return -1;

		__u32 plen = bpf_ntohs(x->ip6.payload_len);
		__u32 old_l4 = plen ? plen : skb->len - l4;

		polc_zero(&x->ph6_old);
		x->ph6_old.saddr = x->ip6.saddr;
		x->ph6_old.daddr = x->ip6.daddr;
		x->ph6_old.nexthdr = IPPROTO_TCP;
		x->ph6_old.len = bpf_htonl(old_l4);
		polc_zero(&x->ph6_new);
		x->ph6_new.saddr = x->ip6.daddr;
		x->ph6_new.daddr = x->ip6.saddr;
		x->ph6_new.nexthdr = IPPROTO_TCP;
		x->ph6_new.len = bpf_htonl(new_l4);
		if (polc_reply_sums(&x->ph6_old, &x->ph6_new, sizeof(x->ph6_new), &x->tcp_out, body, &full, &d_pseudo))
			return -1;

		polc_zero(&x->ip6_out);
		x->ip6_out.version = 6;
		x->ip6_out.payload_len = bpf_htons(new_l4);
		x->ip6_out.nexthdr = IPPROTO_TCP;
		x->ip6_out.hop_limit = 64;
		x->ip6_out.saddr = x->ip6.daddr;
		x->ip6_out.daddr = x->ip6.saddr;
		if (bpf_skb_change_tail(skb, l4 + new_l4, 0) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN, &x->ip6_out, sizeof(x->ip6_out), 0))
			return -1;
	}
	/* The old checksum stays in the field for the two replace calls below. */
	x->tcp_out.check = old_check;
	if (bpf_skb_store_bytes(skb, 0, &x->eth_out, sizeof(x->eth_out), 0) ||
	    bpf_skb_store_bytes(skb, l4, &x->tcp_out, sizeof(x->tcp_out), 0))
		return -1;
	if (body && bpf_skb_store_bytes(skb, l4 + sizeof(struct tcphdr), polc_http_403, POLC_HTTP_403_LEN, 0))
		return -1;

	/*
	 * Full checksum: final = ~fold(d1 + d2 - old), so d1 = full - d2 + old.
	 * CHECKSUM_PARTIAL: only the pseudo-header call applies: old + d2.
	 */
	__u32 csum_off = l4 + __builtin_offsetof(struct tcphdr, check);
	__u32 d1 = polc_csum_add(polc_csum_sub(full, d_pseudo), (__u32)old_check);

	if (bpf_l4_csum_replace(skb, csum_off, 0, d1, 0) ||
	    bpf_l4_csum_replace(skb, csum_off, 0, d_pseudo, BPF_F_PSEUDO_HDR))
		return -1;
	return 0;
}

/* bpf_redirect() flags that send a frame back where it came from (see above). */
static __always_inline __u64 polc_back_flags(const struct polc_ctx *c)
{
	return c->dir == POLC_DIR_EGRESS ? 0 : BPF_F_INGRESS;
}

#endif

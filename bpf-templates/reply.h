/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Answers the datapath makes of a packet it refuses (HTTP's 403 and
 * resets, DNS's REFUSED): the frame itself is rewritten into a packet
 * from the other end and sent back where it came from. This file builds
 * the answer's Ethernet and IP headers; tcp_reply.h builds TCP answers
 * on them, dns_reply.h the UDP one. Only compiled with L7 rules or
 * toFQDNs.
 *
 * Where they go. polc runs on the host side of the pod's veth. On tc
 * ingress there (the pod's egress: a client pod's request) "back" is
 * the same interface's egress, into the pod; on tc egress (the pod's
 * ingress: a request to a server pod) "back" is the interface's ingress,
 * into the host's stack, as if the pod had sent it. "On" is simply
 * letting the skb continue.
 *
 * Two kinds of IP header. A UDP answer is the query's own datagram, the
 * same length: its IP header stays as it was, addresses swapped, which
 * changes neither the IPv4 header checksum nor the pseudo-header's sum
 * (one's complement addition does not mind the order). A TCP answer is
 * a new segment of another length: a new header (no options, DF, TTL
 * 64), with the IPv4 checksum computed whole (it is never offloaded) and
 * the two pseudo-header sums the TCP checksum needs (tcp_reply.h).
 * Frames with IPv4 options or IPv6 extension headers get no new header
 * (the caller drops them).
 */
#ifndef POLC_BPF_REPLY_H
#define POLC_BPF_REPLY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "context.h"
#include "parse.h"
#include "verifier.h"

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

/* bpf_redirect() flags that send a frame back where it came from (see above). */
static __always_inline __u64 polc_back_flags(const struct polc_ctx *c)
{
	return c->dir == POLC_DIR_EGRESS ? 0 : BPF_F_INGRESS;
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

/*
 * The frame's headers and the answer's, in memory the caller provides:
 * a per-CPU scratch map, since the stack (512 bytes for the whole call
 * chain) cannot hold them beside the packet's context.
 */
struct polc_reply_hdrs {
	struct ethhdr eth, eth_out;
	__u8 pad[4];
	struct iphdr ip4, ip4_out;
	struct ipv6hdr ip6, ip6_out;
	struct polc_pseudo_v4 ph4_old, ph4_new;
	struct polc_pseudo_v6 ph6_old, ph6_new;
	__u32 ph_sum;  /* a new header: its pseudo-header, summed */
	__u32 ph_diff; /* ... and how that sum differs from the frame's */
};

/* polc_reply_hdrs(): the answer is the frame's own packet, the same length (the UDP answer). */
#define POLC_REPLY_SAME_LEN 0

/* The Ethernet header turned around. */
static __always_inline void polc_reply_eth(struct ethhdr *out, const struct ethhdr *in)
{
	__builtin_memcpy(out->h_dest, in->h_source, ETH_ALEN);
	__builtin_memcpy(out->h_source, in->h_dest, ETH_ALEN);
	out->h_proto = in->h_proto;
}

static __always_inline void polc_pseudo_v4(struct polc_pseudo_v4 *ph, __be32 saddr, __be32 daddr, __u8 proto,
					   __u32 l4_len)
{
	polc_zero(ph);
	ph->saddr = saddr;
	ph->daddr = daddr;
	ph->proto = proto;
	ph->len = bpf_htons(l4_len);
}

static __always_inline void polc_pseudo_v6(struct polc_pseudo_v6 *ph, const struct in6_addr *saddr,
					   const struct in6_addr *daddr, __u8 proto, __u32 l4_len)
{
	polc_zero(ph);
	ph->saddr = *saddr;
	ph->daddr = *daddr;
	ph->nexthdr = proto;
	ph->len = bpf_htonl(l4_len);
}

/* h->ph_sum and h->ph_diff of a new header, from the two pseudo-headers of its family. 0 or -1. */
static __always_inline int polc_pseudo_sums(struct polc_reply_hdrs *h, void *ph_old, void *ph_new, __u32 size)
{
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)ph_new, size, 0);

	if (s < 0)
		return -1;
	h->ph_sum = (__u32)s;
	s = bpf_csum_diff((__be32 *)ph_old, size, (__be32 *)ph_new, size, 0);
	if (s < 0)
		return -1;
	h->ph_diff = (__u32)s;
	return 0;
}

/*
 * The answer's Ethernet and IP headers, built in h from the frame's
 * (nothing is written to the frame: polc_reply_hdrs_store() does that).
 * l4_len: POLC_REPLY_SAME_LEN, or the length of the new L4 segment that
 * will follow a new IP header (see above). 0, or -1 when the frame
 * cannot be answered. Global (lesson 7): TCP and UDP answers, one
 * verification.
 */
POLC_GLOBAL int polc_reply_hdrs(struct __sk_buff *skb, const struct polc_pkt *pkt, struct polc_reply_hdrs *h,
				__u32 l4_len)
{
	if (!pkt || !h)
		return -1;

	__u32 l4 = pkt->l4_off;
	__u8 proto = pkt->proto;
	bool same = l4_len == POLC_REPLY_SAME_LEN;

	if (polc_load(skb, 0, &h->eth, sizeof(h->eth)))
		return -1;
	polc_reply_eth(&h->eth_out, &h->eth);

	if (pkt->family == POLC_AF_INET) {
		if (polc_load(skb, ETH_HLEN, &h->ip4, sizeof(h->ip4)))
			return -1;
		if (same) {
			h->ip4_out = h->ip4;
			h->ip4_out.saddr = h->ip4.daddr;
			h->ip4_out.daddr = h->ip4.saddr;
			return 0;
		}
		if (l4 != ETH_HLEN + sizeof(struct iphdr))
			return -1;

		__u32 tot = bpf_ntohs(h->ip4.tot_len);

		/* A zero length: BIG TCP GSO, whose length does not fit the field. */
		polc_pseudo_v4(&h->ph4_old, h->ip4.saddr, h->ip4.daddr, proto,
			       tot ? tot - sizeof(struct iphdr) : skb->len - l4);
		polc_pseudo_v4(&h->ph4_new, h->ip4.daddr, h->ip4.saddr, proto, l4_len);
		polc_zero(&h->ip4_out);
		h->ip4_out.version = 4;
		h->ip4_out.ihl = 5;
		h->ip4_out.tot_len = bpf_htons(sizeof(struct iphdr) + l4_len);
		h->ip4_out.frag_off = bpf_htons(0x4000); /* DF */
		h->ip4_out.ttl = 64;
		h->ip4_out.protocol = proto;
		h->ip4_out.saddr = h->ip4.daddr;
		h->ip4_out.daddr = h->ip4.saddr;

		__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)&h->ip4_out, sizeof(h->ip4_out), 0);

		if (s < 0)
			return -1;
		h->ip4_out.check = polc_csum_fold((__u32)s);
		return polc_pseudo_sums(h, &h->ph4_old, &h->ph4_new, sizeof(h->ph4_new));
	}

	if (polc_load(skb, ETH_HLEN, &h->ip6, sizeof(h->ip6)))
		return -1;
	if (same) {
		h->ip6_out = h->ip6;
		h->ip6_out.saddr = h->ip6.daddr;
		h->ip6_out.daddr = h->ip6.saddr;
		return 0;
	}
	if (l4 != ETH_HLEN + sizeof(struct ipv6hdr))
		return -1;

	__u32 plen = bpf_ntohs(h->ip6.payload_len);

	polc_pseudo_v6(&h->ph6_old, &h->ip6.saddr, &h->ip6.daddr, proto, plen ? plen : skb->len - l4);
	polc_pseudo_v6(&h->ph6_new, &h->ip6.daddr, &h->ip6.saddr, proto, l4_len);
	polc_zero(&h->ip6_out);
	h->ip6_out.version = 6;
	h->ip6_out.payload_len = bpf_htons(l4_len);
	h->ip6_out.nexthdr = proto;
	h->ip6_out.hop_limit = 64;
	h->ip6_out.saddr = h->ip6.daddr;
	h->ip6_out.daddr = h->ip6.saddr;
	return polc_pseudo_sums(h, &h->ph6_old, &h->ph6_new, sizeof(h->ph6_new));
}

/* Write the answer's headers from h over the frame's: IP, then Ethernet. 0 or -1. */
static __always_inline int polc_reply_hdrs_store(struct __sk_buff *skb, const struct polc_pkt *pkt,
						 const struct polc_reply_hdrs *h)
{
	long err;

	if (pkt->family == POLC_AF_INET)
		err = bpf_skb_store_bytes(skb, ETH_HLEN, &h->ip4_out, sizeof(h->ip4_out), 0);
	else
		err = bpf_skb_store_bytes(skb, ETH_HLEN, &h->ip6_out, sizeof(h->ip6_out), 0);
	if (err || bpf_skb_store_bytes(skb, 0, &h->eth_out, sizeof(h->eth_out), 0))
		return -1;
	return 0;
}

#endif

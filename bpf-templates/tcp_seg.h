/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The TCP segment an L7 judge works on (http.h, dns.h): its sequence
 * numbers, its flags and where its payload lies in the frame. The
 * answers to a refused segment (tcp_reply.h) are numbered from it.
 * Only compiled with L7 rules or toFQDNs.
 */
#ifndef POLC_BPF_TCP_SEG_H
#define POLC_BPF_TCP_SEG_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "parse.h"
#include "verifier.h"

/* The TCP segment being judged, host byte order. */
struct polc_tcp_seg {
	__u32 seq;
	__u32 ack;
	__u32 payload_off; /* from the Ethernet header */
	__u32 payload_len;
	__u8 flags;
	__u8 pad[3];
};

/*
 * The TCP header and payload bounds of pkt's segment. 0 or -1 (malformed).
 * Global (lesson 7): its header copies stay off the caller's frame.
 */
POLC_GLOBAL int polc_tcp_seg_load(struct __sk_buff *skb, const struct polc_pkt *pkt, struct polc_tcp_seg *t)
{
	/* seq, ack, then data offset and flags: bytes 4..15 of the TCP header. */
	struct {
		__be32 seq;
		__be32 ack;
		__u8 doff;
		__u8 flags;
		__u16 pad;
	} h;
	__be16 ip_len;
	__u32 l4_len, doff;

	if (!pkt || !t)
		return -1;
	if (polc_load(skb, pkt->l4_off + 4, &h, sizeof(h)))
		return -1;
	/* The IP length field: IPv4 total length, IPv6 payload length. */
	if (polc_load(skb, ETH_HLEN + (pkt->family == POLC_AF_INET ? 2 : 4), &ip_len, sizeof(ip_len)))
		return -1;
	doff = (h.doff >> 4) * 4;

	__u32 len = bpf_ntohs(ip_len);

	if (!len)
		l4_len = skb->len - pkt->l4_off; /* BIG TCP GSO: the length does not fit the field */
	else if (pkt->family == POLC_AF_INET)
		l4_len = len + ETH_HLEN - pkt->l4_off;
	else
		l4_len = len + ETH_HLEN + sizeof(struct ipv6hdr) - pkt->l4_off;
	if (doff < 20 || l4_len > 0x20000 || l4_len < doff)
		return -1;
	t->seq = bpf_ntohl(h.seq);
	t->ack = bpf_ntohl(h.ack);
	t->flags = h.flags;
	t->payload_off = pkt->l4_off + doff;
	t->payload_len = l4_len - doff;
	return 0;
}

#endif

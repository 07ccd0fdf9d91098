/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packet parsing: from the Ethernet header to the fields the rest of the
 * datapath judges (addresses, protocol, ports or ICMP type, TCP flags,
 * fragment position). First stage of the generation program.
 *
 * Every header is copied to the stack with polc_load() (see verifier.h,
 * lesson 2). A header that is cut short or inconsistent makes the packet
 * MALFORMED, which the caller drops: what we cannot parse we cannot judge.
 */
#ifndef POLC_BPF_PARSE_H
#define POLC_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "verifier.h"

/* The UAPI headers of the build machine may be older than the kernel. */
#ifndef ETH_P_QINQ1
#define ETH_P_QINQ1 0x9100
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

/*
 * Longest chain of IPv6 extension headers we walk before the upper-layer
 * header. Real traffic has at most two or three; a longer chain is
 * treated as malformed rather than let through unjudged.
 */
#define POLC_IPV6_MAX_EXTHDRS 8

#define POLC_IP_MF 0x2000
#define POLC_IP_OFFSET 0x1fff
#define POLC_IP6_MF 0x0001
#define POLC_IP6_OFFSET 0xfff8

/*
 * ICMP message types. <linux/icmp.h> pulls in libc headers (via
 * <linux/if.h>) that do not build for the BPF target.
 */
#define POLC_ICMP_ECHOREPLY 0
#define POLC_ICMP_DEST_UNREACH 3
#define POLC_ICMP_ECHO 8
#define POLC_ICMP_TIME_EXCEEDED 11
#define POLC_ICMP_PARAMETERPROB 12
#define POLC_ICMPV6_DEST_UNREACH 1
#define POLC_ICMPV6_PKT_TOOBIG 2
#define POLC_ICMPV6_TIME_EXCEED 3
#define POLC_ICMPV6_PARAMPROB 4
#define POLC_ICMPV6_ECHO_REQUEST 128
#define POLC_ICMPV6_ECHO_REPLY 129
/* ICMPv6 neighbour discovery: router solicitation .. redirect (RFC 4861). */
#define POLC_ICMPV6_ND_FIRST 133
#define POLC_ICMPV6_ND_LAST 137
/* Multicast listener discovery (RFC 2710, RFC 3810): what a link needs for ND to work. */
#define POLC_ICMPV6_MLD_QUERY 130
#define POLC_ICMPV6_MLD_REPORT 131
#define POLC_ICMPV6_MLD_DONE 132
#define POLC_ICMPV6_MLD2_REPORT 143

static __always_inline bool polc_icmpv6_is_link_control(__u8 type)
{
	return (type >= POLC_ICMPV6_ND_FIRST && type <= POLC_ICMPV6_ND_LAST) ||
	       (type >= POLC_ICMPV6_MLD_QUERY && type <= POLC_ICMPV6_MLD_DONE) || type == POLC_ICMPV6_MLD2_REPORT;
}

/* The IPv6 fragment header (the kernel's struct frag_hdr is not UAPI). */
struct polc_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3, M flag in bit 0 */
	__be32 identification;
};

/* Packet offsets beyond this are read with the helper only (the verifier bounds packet pointers). */
#define POLC_DIRECT_MAX_OFF 0x3fff

/*
 * Copy len bytes at offset off of the frame onto the stack: straight
 * from the linear part of the skb when the bytes are there (nearly
 * always), else with bpf_skb_load_bytes() (a non-linear skb, or a
 * header cut short, which the helper then reports). A helper call costs
 * 20-30 ns on a virtualised host; reading the linear part costs next to
 * nothing. 0, or negative when the frame has no such bytes.
 */
static __always_inline int polc_load(struct __sk_buff *skb, __u32 off, void *to, const __u32 len)
{
	/* Lesson 9 (verifier.h): a fresh skb, so clang cannot reuse a ctx address from another call. */
	polc_barrier_var(skb);
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (POLC_GEN_DIRECT_READS && off <= POLC_DIRECT_MAX_OFF) {
		/* Lesson 2 (verifier.h): bound-check and read through the same pointer. */
		void *from = data + off;

		if (from + len <= data_end) {
			__builtin_memcpy(to, from, len);
			return 0;
		}
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

enum polc_parse_result {
	POLC_PARSE_IP,        /* judge it */
	POLC_PARSE_PASS,      /* not ours to judge: non-IP, IPv6 neighbour discovery */
	POLC_PARSE_VLAN,      /* tagged frame: drop, it could carry IP past the policy */
	POLC_PARSE_MALFORMED, /* drop */
};

enum polc_frag_pos {
	POLC_FRAG_NONE,  /* a whole datagram */
	POLC_FRAG_FIRST, /* offset 0, more to come: judged, verdict kept for the rest */
	POLC_FRAG_LATER, /* offset > 0: no L4 header, takes the first one's verdict */
};

/*
 * The parsed packet. Addresses are in network byte order, one word per
 * 32 bits (an IPv4 address in word 0, the rest zero), ports in host
 * byte order.
 *
 * sport/dport are the connection's ends as conntrack keys them. For ICMP
 * echo the requester's end carries the echo identifier and the
 * responder's end 0, so a request and its reply share one entry while a
 * request in the other direction does not (see conntrack.h).
 *
 * port and rport are what policy matches on, in this packet's direction
 * and in the reverse one (what the opener of the connection sent when
 * this packet is a reply): the destination port, or for ICMP the message
 * type (an echo reply's reverse is the echo request).
 */
struct polc_pkt {
	__be32 saddr[4];
	__be32 daddr[4];
	__u32 len;      /* skb->len, for counters and events */
	__u32 l4_off;   /* offset of the L4 header from the Ethernet header */
	__u32 frag_id;  /* IP identification (IPv4: 16 bits) */
	__u16 sport;
	__u16 dport;
	__u16 port;
	__u16 rport;
	__u8 family;    /* POLC_AF_INET / POLC_AF_INET6 */
	__u8 proto;     /* upper-layer protocol */
	__u8 tcp_flags; /* byte 13 of the TCP header */
	__u8 icmp_type;
	__u8 frag;      /* enum polc_frag_pos */
	__u8 pad[3];
};

#define POLC_TCP_FIN 0x01
#define POLC_TCP_SYN 0x02
#define POLC_TCP_RST 0x04
#define POLC_TCP_PSH 0x08
#define POLC_TCP_ACK 0x10

static __always_inline bool polc_is_icmp(const struct polc_pkt *pkt)
{
	return (pkt->family == POLC_AF_INET && pkt->proto == IPPROTO_ICMP) ||
	       (pkt->family == POLC_AF_INET6 && pkt->proto == IPPROTO_ICMPV6);
}

/* ICMP errors quote the packet that caused them: "related" to its connection. */
static __always_inline bool polc_is_icmp_error(const struct polc_pkt *pkt)
{
	if (pkt->family == POLC_AF_INET && pkt->proto == IPPROTO_ICMP)
		return pkt->icmp_type == POLC_ICMP_DEST_UNREACH || pkt->icmp_type == POLC_ICMP_TIME_EXCEEDED ||
		       pkt->icmp_type == POLC_ICMP_PARAMETERPROB;
	if (pkt->family == POLC_AF_INET6 && pkt->proto == IPPROTO_ICMPV6)
		return pkt->icmp_type == POLC_ICMPV6_DEST_UNREACH || pkt->icmp_type == POLC_ICMPV6_PKT_TOOBIG ||
		       pkt->icmp_type == POLC_ICMPV6_TIME_EXCEED || pkt->icmp_type == POLC_ICMPV6_PARAMPROB;
	return false;
}

static __always_inline bool polc_is_echo_request(__u8 family, __u8 type)
{
	return family == POLC_AF_INET ? type == POLC_ICMP_ECHO : type == POLC_ICMPV6_ECHO_REQUEST;
}

static __always_inline bool polc_is_echo_reply(__u8 family, __u8 type)
{
	return family == POLC_AF_INET ? type == POLC_ICMP_ECHOREPLY : type == POLC_ICMPV6_ECHO_REPLY;
}

/*
 * Large GSO packets (BIG TCP, gso_max_size > 64k) carry a zero IP length
 * because the real one does not fit in 16 bits. That is normal on a
 * segmentation offload packet and malformed anywhere else.
 */
static __always_inline bool polc_big_gso(const struct __sk_buff *skb)
{
	return skb->gso_size != 0;
}

static __always_inline int polc_parse_ipv4(struct __sk_buff *skb, struct polc_pkt *pkt)
{
	struct iphdr ip;

	if (polc_load(skb, ETH_HLEN, &ip, sizeof(ip)))
		return POLC_PARSE_MALFORMED;
	if (ip.version != 4 || ip.ihl < 5)
		return POLC_PARSE_MALFORMED;

	__u32 hlen = ip.ihl * 4;
	__u32 tot_len = bpf_ntohs(ip.tot_len);

	if (tot_len == 0) {
		if (!polc_big_gso(skb))
			return POLC_PARSE_MALFORMED;
	} else if (tot_len < hlen || ETH_HLEN + tot_len > skb->len) {
		return POLC_PARSE_MALFORMED;
	}

	__u16 frag_off = bpf_ntohs(ip.frag_off);

	if (frag_off & POLC_IP_OFFSET) {
		/*
		 * RFC 1858: a TCP fragment at offset 8 bytes can only serve to
		 * overwrite the flags of the first fragment's header.
		 */
		if ((frag_off & POLC_IP_OFFSET) == 1 && ip.protocol == IPPROTO_TCP)
			return POLC_PARSE_MALFORMED;
		pkt->frag = POLC_FRAG_LATER;
	} else if (frag_off & POLC_IP_MF) {
		pkt->frag = POLC_FRAG_FIRST;
	}

	pkt->family = POLC_AF_INET;
	pkt->proto = ip.protocol;
	pkt->saddr[0] = ip.saddr;
	pkt->daddr[0] = ip.daddr;
	pkt->frag_id = bpf_ntohs(ip.id);
	pkt->l4_off = ETH_HLEN + hlen;
	return POLC_PARSE_IP;
}

static __always_inline bool polc_ipv6_is_exthdr(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING || nexthdr == IPPROTO_DSTOPTS ||
	       nexthdr == IPPROTO_FRAGMENT || nexthdr == IPPROTO_AH;
}

/*
 * Walk the extension headers (hop-by-hop, routing, destination options,
 * fragment, AH) to the upper-layer header, at most POLC_IPV6_MAX_EXTHDRS
 * of them. A fragment header at a non-zero offset ends the walk: what
 * follows is payload, not a header.
 */
static __always_inline int polc_parse_ipv6(struct __sk_buff *skb, struct polc_pkt *pkt)
{
	struct ipv6hdr ip6;

	if (polc_load(skb, ETH_HLEN, &ip6, sizeof(ip6)))
		return POLC_PARSE_MALFORMED;
	if (ip6.version != 6)
		return POLC_PARSE_MALFORMED;

	__u32 payload_len = bpf_ntohs(ip6.payload_len);

	/* Jumbograms (payload length 0 plus a jumbo option) only exist as GSO here. */
	if (payload_len == 0) {
		if (!polc_big_gso(skb))
			return POLC_PARSE_MALFORMED;
	} else if (ETH_HLEN + sizeof(ip6) + payload_len > skb->len) {
		return POLC_PARSE_MALFORMED;
	}

	pkt->family = POLC_AF_INET6;
	__builtin_memcpy(pkt->saddr, &ip6.saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6.daddr, 16);

	__u32 off = ETH_HLEN + sizeof(ip6);
	__u8 nexthdr = ip6.nexthdr;

#pragma clang loop unroll(full)
	for (int i = 0; i < POLC_IPV6_MAX_EXTHDRS; i++) {
		if (!polc_ipv6_is_exthdr(nexthdr))
			break;

		if (nexthdr == IPPROTO_FRAGMENT) {
			struct polc_ipv6_frag_hdr fh;

			if (polc_load(skb, off, &fh, sizeof(fh)))
				return POLC_PARSE_MALFORMED;
			/* Two fragment headers: no reassembly produces that. */
			if (pkt->frag != POLC_FRAG_NONE)
				return POLC_PARSE_MALFORMED;

			__u16 frag_off = bpf_ntohs(fh.frag_off);

			pkt->frag_id = bpf_ntohl(fh.identification);
			nexthdr = fh.nexthdr;
			off += sizeof(fh);
			if (frag_off & POLC_IP6_OFFSET) {
				pkt->frag = POLC_FRAG_LATER;
				pkt->proto = nexthdr;
				return POLC_PARSE_IP;
			}
			/* Offset 0 and no more fragments: an atomic fragment, a whole datagram. */
			if (frag_off & POLC_IP6_MF)
				pkt->frag = POLC_FRAG_FIRST;
			continue;
		}

		struct ipv6_opt_hdr opt;

		if (polc_load(skb, off, &opt, sizeof(opt)))
			return POLC_PARSE_MALFORMED;
		/* AH counts its length in 4-byte units minus 2, the others in 8-byte units minus 1. */
		if (nexthdr == IPPROTO_AH)
			off += (opt.hdrlen + 2) * 4;
		else
			off += (opt.hdrlen + 1) * 8;
		nexthdr = opt.nexthdr;
	}
	if (polc_ipv6_is_exthdr(nexthdr))
		return POLC_PARSE_MALFORMED;

	pkt->proto = nexthdr;
	pkt->l4_off = off;
	return POLC_PARSE_IP;
}

/* SCTP's common header starts with the two ports, as TCP's and UDP's do. */
struct polc_l4_ports {
	__be16 source;
	__be16 dest;
};

/* The first 8 bytes of an ICMP or ICMPv6 header (same layout for both). */
struct polc_icmp_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

static __always_inline int polc_parse_l4(struct __sk_buff *skb, struct polc_pkt *pkt)
{
	if (pkt->proto == IPPROTO_TCP) {
		struct tcphdr tcp;

		if (polc_load(skb, pkt->l4_off, &tcp, sizeof(tcp)) || tcp.doff < 5)
			return POLC_PARSE_MALFORMED;
		pkt->sport = bpf_ntohs(tcp.source);
		pkt->dport = bpf_ntohs(tcp.dest);
		pkt->tcp_flags = ((__u8 *)&tcp)[13];
		pkt->port = pkt->dport;
		pkt->rport = pkt->sport;
	} else if (pkt->proto == IPPROTO_UDP || pkt->proto == IPPROTO_SCTP) {
		struct polc_l4_ports ports;

		if (polc_load(skb, pkt->l4_off, &ports, sizeof(ports)))
			return POLC_PARSE_MALFORMED;
		pkt->sport = bpf_ntohs(ports.source);
		pkt->dport = bpf_ntohs(ports.dest);
		pkt->port = pkt->dport;
		pkt->rport = pkt->sport;
	} else if (polc_is_icmp(pkt)) {
		struct polc_icmp_hdr icmp;

		if (polc_load(skb, pkt->l4_off, &icmp, sizeof(icmp)))
			return POLC_PARSE_MALFORMED;
		pkt->icmp_type = icmp.type;
		pkt->port = icmp.type;
		if (polc_is_echo_request(pkt->family, icmp.type)) {
			pkt->sport = bpf_ntohs(icmp.id);
			pkt->rport = pkt->family == POLC_AF_INET ? POLC_ICMP_ECHOREPLY : POLC_ICMPV6_ECHO_REPLY;
		} else if (polc_is_echo_reply(pkt->family, icmp.type)) {
			pkt->dport = bpf_ntohs(icmp.id);
			pkt->rport = pkt->family == POLC_AF_INET ? POLC_ICMP_ECHO : POLC_ICMPV6_ECHO_REQUEST;
		}
		/*
		 * Neighbour discovery, router solicitation/advertisement and
		 * multicast listener discovery keep the link alive: never policy.
		 */
		if (pkt->family == POLC_AF_INET6 && polc_icmpv6_is_link_control(icmp.type))
			return POLC_PARSE_PASS;
	}
	/* Any other protocol: no ports, policy matches it by protocol alone. */
	return POLC_PARSE_IP;
}

/*
 * Parse skb into pkt (which the caller zeroed, and set len in).
 * 802.1Q/802.1ad frames are refused whether the tag is still in the
 * frame or already taken off into skb metadata by the stack
 * (vlan_present, the usual case on veth). Returns enum polc_parse_result.
 *
 * Global (verifier.h, lesson 7): every header read has two ways in
 * (direct or helper), and the protocols multiply them; verified on its
 * own, none of that reaches the rest of the program, which sees the
 * parsed fields as plain values.
 */
POLC_GLOBAL int polc_parse(struct __sk_buff *skb, struct polc_pkt *pkt)
{
	struct ethhdr eth;

	if (!pkt)
		return POLC_PARSE_MALFORMED;
	if (skb->vlan_present)
		return POLC_PARSE_VLAN;
	if (polc_load(skb, 0, &eth, sizeof(eth)))
		return POLC_PARSE_MALFORMED;

	__u16 proto = bpf_ntohs(eth.h_proto);
	int ret;

	if (proto == ETH_P_IP)
		ret = polc_parse_ipv4(skb, pkt);
	else if (proto == ETH_P_IPV6)
		ret = polc_parse_ipv6(skb, pkt);
	else if (proto == ETH_P_8021Q || proto == ETH_P_8021AD || proto == ETH_P_QINQ1)
		return POLC_PARSE_VLAN;
	else
		return POLC_PARSE_PASS;

	if (ret != POLC_PARSE_IP || pkt->frag == POLC_FRAG_LATER)
		return ret;
	return polc_parse_l4(skb, pkt);
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The REFUSED answer to a refused DNS query, made from the query itself.
 *
 * UDP (polc_dns_refuse_udp): Ethernet and IP addresses and UDP ports swapped, the
 * header's flags turned into an answer's (QR set; opcode, RD and CD
 * kept; AA, TC, RA, Z and AD clear; RCODE 5, REFUSED), the rest of the
 * message left as it was: the question, and the EDNS record of the
 * additional section, echoed. That is the answer Cilium's proxy gives
 * (miekg/dns SetRcode: the question, the request's id, opcode, RD and
 * CD), with the client's EDNS record besides. The caller sends it back
 * to the client with bpf_redirect().
 *
 * Checksums: swapping addresses and ports does not change the IPv4
 * header sum nor the UDP sum; the two flag bytes are a 16-bit word, so
 * one bpf_l4_csum_replace() fixes a full checksum, leaves a partial one
 * (CHECKSUM_PARTIAL, completed over the new bytes later) alone, and
 * leaves a zero (no checksum, IPv4) zero (BPF_F_MARK_MANGLED_0).
 */
#ifndef POLC_BPF_DNS_REPLY_H
#define POLC_BPF_DNS_REPLY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "dns_parse.h"
#include "parse.h"
#include "verifier.h"

/*
 * Turn the UDP query at frame offset dns_off into its REFUSED answer.
 * 0, or -1 when the frame cannot be rewritten (the caller drops it).
 * Global (lesson 7).
 */
POLC_GLOBAL int polc_dns_refuse_udp(struct __sk_buff *skb, const struct polc_pkt *pkt, __u32 dns_off)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!pkt || !s)
		return -1;

	/* In the scratch map: the stack is short (lesson 7). */
	__u8 *eth = s->tx_eth[0], *eth_out = s->tx_eth[1];
	__u8 *a = s->tx_addr[0], *a_out = s->tx_addr[1];
	__be16 *ports = s->tx_ports[0], *ports_out = s->tx_ports[1];
	bool v4 = pkt->family == POLC_AF_INET;
	__u32 addr_off = ETH_HLEN + (v4 ? __builtin_offsetof(struct iphdr, saddr) : __builtin_offsetof(struct ipv6hdr, saddr));
	__u32 alen = v4 ? 4 : 16;

	if (polc_load(skb, 0, eth, ETH_HLEN) || polc_load(skb, pkt->l4_off, ports, 4) ||
	    polc_load(skb, dns_off + 2, &s->tx_flags[0], 2) || polc_load(skb, addr_off, a, 32))
		return -1;
	__builtin_memcpy(eth_out, eth + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(eth_out + ETH_ALEN, eth, ETH_ALEN);
	__builtin_memcpy(eth_out + 2 * ETH_ALEN, eth + 2 * ETH_ALEN, 2);
	ports_out[0] = ports[1];
	ports_out[1] = ports[0];
	/* Source and destination: 4 bytes each (IPv4, then more header we keep) or 16. */
	if (v4) {
		__builtin_memcpy(a_out, a + 4, 4);
		__builtin_memcpy(a_out + 4, a, 4);
	} else {
		__builtin_memcpy(a_out, a + 16, 16);
		__builtin_memcpy(a_out + 16, a, 16);
	}

	__u16 f = bpf_ntohs(s->tx_flags[0]);

	/* QR | opcode | RD; CD | RCODE. */
	f = 0x8000 | (f & 0x7900) | (f & 0x0010) | POLC_DNS_RCODE_REFUSED;
	s->tx_flags[1] = bpf_htons(f);

	if (bpf_skb_store_bytes(skb, addr_off, a_out, 2 * alen, 0) ||
	    bpf_skb_store_bytes(skb, 0, eth_out, ETH_HLEN, 0) || bpf_skb_store_bytes(skb, pkt->l4_off, ports_out, 4, 0) ||
	    bpf_skb_store_bytes(skb, dns_off + 2, &s->tx_flags[1], 2, 0))
		return -1;
	if (bpf_l4_csum_replace(skb, pkt->l4_off + __builtin_offsetof(struct udphdr, check), s->tx_flags[0],
				s->tx_flags[1], 2 | BPF_F_MARK_MANGLED_0))
		return -1;
	return 0;
}

/*
 * TCP (polc_dns_refuse_tcp): the refused segment, one whole query
 * message (length prefix and message), turned into the answer the
 * server would have sent: the same message with the header's flags as
 * above, in a segment from the server that starts at the client's
 * acknowledgement, acknowledges the whole query, and carries FIN: the
 * server never saw the query, so its sequence numbers past this answer
 * mean nothing and the connection ends here (the caller resets the
 * server's side). A 20-byte TCP header without options, as http_reply.h
 * makes its answers (timestamps: see there), so the payload moves when
 * the query had options: it is copied to the scratch map first. The
 * checksum: http_reply.h's two-call recipe, the new segment summed whole.
 */
POLC_GLOBAL int polc_dns_refuse_tcp(struct __sk_buff *skb, const struct polc_pkt *pkt, __u32 seq, __u32 ack,
				    __u32 payload_off)
{
	struct polc_dns_scratch *s = polc_dns_scratch();

	if (!s || !pkt)
		return -1;

	__u32 l4 = pkt->l4_off;
	__u16 mlen_be;

	if (polc_load(skb, payload_off, &mlen_be, sizeof(mlen_be)))
		return -1;

	__u32 len = 2 + bpf_ntohs(mlen_be), padded = (len + 3) & ~3u;

	if (len < 2 + POLC_DNS_HDR || padded > POLC_DNS_TCP_ANSWER_MAX)
		return -1;
	/* Lesson 12 (verifier.h): the sizes the helpers get are the checked registers. */
	polc_barrier_var(len);
	polc_barrier_var(padded);
	if (len > POLC_DNS_TCP_ANSWER_MAX || padded > POLC_DNS_TCP_ANSWER_MAX)
		return -1;
	if (bpf_skb_load_bytes(skb, payload_off, s->tx_body, len))
		return -1;
	/* Zero the padding after the message (up to 3 bytes). */
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < 3; i++)
		if (len + i < padded)
			s->tx_body[(len + i) & (POLC_DNS_TCP_ANSWER_MAX - 1)] = 0;

	__u16 f = (__u16)(s->tx_body[4] << 8 | s->tx_body[5]);

	f = 0x8000 | (f & 0x7900) | (f & 0x0010) | POLC_DNS_RCODE_REFUSED;
	s->tx_body[4] = (__u8)(f >> 8);
	s->tx_body[5] = (__u8)f;

	__u32 new_l4 = sizeof(struct tcphdr) + len;
	__u32 full, d_pseudo;
	__sum16 old_check;

	if (polc_load(skb, 0, &s->tx_eth_in, sizeof(s->tx_eth_in)) ||
	    polc_load(skb, l4, &s->tx_tcp_in, sizeof(s->tx_tcp_in)))
		return -1;
	polc_reply_eth(&s->tx_eth_out, &s->tx_eth_in);
	old_check = s->tx_tcp_in.check;
	polc_reply_tcp(&s->tx_tcp_out, &s->tx_tcp_in, ack, seq + (len & 0xffff),
		       POLC_TCP_ACK | POLC_TCP_PSH | POLC_TCP_FIN, 0);

	__s64 sum;

	if (pkt->family == POLC_AF_INET) {
		if (l4 != ETH_HLEN + sizeof(struct iphdr) || polc_load(skb, ETH_HLEN, &s->tx_ip4_in, sizeof(struct iphdr)))
			return -1;

		__u32 tot = bpf_ntohs(s->tx_ip4_in.tot_len);

		if (!tot)
			return -1;
		polc_zero(&s->tx_ph4_old);
		s->tx_ph4_old.saddr = s->tx_ip4_in.saddr;
		s->tx_ph4_old.daddr = s->tx_ip4_in.daddr;
		s->tx_ph4_old.proto = IPPROTO_TCP;
		s->tx_ph4_old.len = bpf_htons(tot - sizeof(struct iphdr));
		polc_zero(&s->tx_ph4_new);
		s->tx_ph4_new.saddr = s->tx_ip4_in.daddr;
		s->tx_ph4_new.daddr = s->tx_ip4_in.saddr;
		s->tx_ph4_new.proto = IPPROTO_TCP;
		s->tx_ph4_new.len = bpf_htons(new_l4);
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&s->tx_ph4_new, sizeof(s->tx_ph4_new), 0);
		if (sum < 0)
			return -1;
		d_pseudo = 0;
		{
			__s64 d = bpf_csum_diff((__be32 *)&s->tx_ph4_old, sizeof(s->tx_ph4_old), (__be32 *)&s->tx_ph4_new,
						sizeof(s->tx_ph4_new), 0);
			if (d < 0)
				return -1;
			d_pseudo = (__u32)d;
		}
		polc_zero(&s->tx_ip4_out);
		s->tx_ip4_out.version = 4;
		s->tx_ip4_out.ihl = 5;
		s->tx_ip4_out.tot_len = bpf_htons(sizeof(struct iphdr) + new_l4);
		s->tx_ip4_out.frag_off = bpf_htons(0x4000);
		s->tx_ip4_out.ttl = 64;
		s->tx_ip4_out.protocol = IPPROTO_TCP;
		s->tx_ip4_out.saddr = s->tx_ip4_in.daddr;
		s->tx_ip4_out.daddr = s->tx_ip4_in.saddr;

		__s64 ih = bpf_csum_diff(NULL, 0, (__be32 *)&s->tx_ip4_out, sizeof(struct iphdr), 0);

		if (ih < 0)
			return -1;
		s->tx_ip4_out.check = polc_csum_fold((__u32)ih);
	} else {
		if (l4 != ETH_HLEN + sizeof(struct ipv6hdr) ||
		    polc_load(skb, ETH_HLEN, &s->tx_ip6_in, sizeof(struct ipv6hdr)))
			return -1;

		__u32 plen = bpf_ntohs(s->tx_ip6_in.payload_len);

		if (!plen)
			return -1;
		polc_zero(&s->tx_ph6_old);
		s->tx_ph6_old.saddr = s->tx_ip6_in.saddr;
		s->tx_ph6_old.daddr = s->tx_ip6_in.daddr;
		s->tx_ph6_old.nexthdr = IPPROTO_TCP;
		s->tx_ph6_old.len = bpf_htonl(plen);
		polc_zero(&s->tx_ph6_new);
		s->tx_ph6_new.saddr = s->tx_ip6_in.daddr;
		s->tx_ph6_new.daddr = s->tx_ip6_in.saddr;
		s->tx_ph6_new.nexthdr = IPPROTO_TCP;
		s->tx_ph6_new.len = bpf_htonl(new_l4);
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&s->tx_ph6_new, sizeof(s->tx_ph6_new), 0);
		if (sum < 0)
			return -1;
		{
			__s64 d = bpf_csum_diff((__be32 *)&s->tx_ph6_old, sizeof(s->tx_ph6_old), (__be32 *)&s->tx_ph6_new,
						sizeof(s->tx_ph6_new), 0);
			if (d < 0)
				return -1;
			d_pseudo = (__u32)d;
		}
		polc_zero(&s->tx_ip6_out);
		s->tx_ip6_out.version = 6;
		s->tx_ip6_out.payload_len = bpf_htons(new_l4);
		s->tx_ip6_out.nexthdr = IPPROTO_TCP;
		s->tx_ip6_out.hop_limit = 64;
		s->tx_ip6_out.saddr = s->tx_ip6_in.daddr;
		s->tx_ip6_out.daddr = s->tx_ip6_in.saddr;
	}
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&s->tx_tcp_out, sizeof(struct tcphdr), (__u32)sum);
	if (sum >= 0)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)s->tx_body, padded, (__u32)sum);
	if (sum < 0)
		return -1;
	full = (__u32)sum;

	if (bpf_skb_change_tail(skb, l4 + new_l4, 0))
		return -1;
	if (pkt->family == POLC_AF_INET) {
		if (bpf_skb_store_bytes(skb, ETH_HLEN, &s->tx_ip4_out, sizeof(struct iphdr), 0))
			return -1;
	} else if (bpf_skb_store_bytes(skb, ETH_HLEN, &s->tx_ip6_out, sizeof(struct ipv6hdr), 0)) {
		return -1;
	}
	s->tx_tcp_out.check = old_check;
	if (bpf_skb_store_bytes(skb, 0, &s->tx_eth_out, sizeof(struct ethhdr), 0) ||
	    bpf_skb_store_bytes(skb, l4, &s->tx_tcp_out, sizeof(struct tcphdr), 0) ||
	    bpf_skb_store_bytes(skb, l4 + sizeof(struct tcphdr), s->tx_body, len, 0))
		return -1;

	__u32 csum_off = l4 + __builtin_offsetof(struct tcphdr, check);
	__u32 d1 = polc_csum_add(polc_csum_sub(full, d_pseudo), (__u32)old_check);

	if (bpf_l4_csum_replace(skb, csum_off, 0, d1, 0) ||
	    bpf_l4_csum_replace(skb, csum_off, 0, d_pseudo, BPF_F_PSEUDO_HDR))
		return -1;
	return 0;
}

#endif

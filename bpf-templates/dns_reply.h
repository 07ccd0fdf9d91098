/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The REFUSED answer to a refused DNS query, made from the query itself:
 * the header's flags turned into an answer's (QR set; opcode, RD and CD
 * kept; AA, TC, RA, Z and AD clear; RCODE 5, REFUSED), the rest of the
 * message left as it was: the question, and the EDNS record of the
 * additional section, echoed. That is the answer Cilium's proxy gives
 * (miekg/dns SetRcode: the question, the request's id, opcode, RD and
 * CD), with the client's EDNS record besides. Only compiled with DNS
 * rules.
 *
 * UDP (polc_dns_refuse_udp): the query's datagram turned around
 * (reply.h: MACs, addresses, and here the ports, swapped), its flags
 * rewritten. The caller sends it back to the client with bpf_redirect().
 * Checksums: swapping addresses and ports changes neither the IPv4
 * header sum nor the UDP sum; the two flag bytes are a 16-bit word, so
 * one bpf_l4_csum_replace() fixes a full checksum, leaves a partial one
 * (CHECKSUM_PARTIAL, completed over the new bytes later) alone, and
 * leaves a zero (no checksum, IPv4) zero (BPF_F_MARK_MANGLED_0).
 *
 * TCP (polc_dns_refused_payload): the same message, as the payload of
 * tcp_reply.h's answer to the refused segment.
 */
#ifndef POLC_BPF_DNS_REPLY_H
#define POLC_BPF_DNS_REPLY_H

#include <linux/bpf.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "dns_parse.h"
#include "parse.h"
#include "reply.h"
#include "tcp_reply.h"
#include "verifier.h"

_Static_assert(POLC_DNS_TCP_ANSWER_MAX <= POLC_TCP_REPLY_MAX, "a REFUSED answer over TCP fits polc_tcp_reply()");

/* An answer's flags from the query's: QR | opcode | RD; CD | RCODE (see above). */
static __always_inline __u16 polc_dns_refused_flags(__u16 query)
{
	return 0x8000 | (query & 0x7900) | (query & 0x0010) | POLC_DNS_RCODE_REFUSED;
}

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
	__be16 *ports = s->tx_ports[0], *ports_out = s->tx_ports[1];
	__u32 l4 = pkt->l4_off;

	if (polc_load(skb, l4, ports, 4) || polc_load(skb, dns_off + 2, &s->tx_flags[0], 2) ||
	    polc_reply_hdrs(skb, pkt, &s->tx_hdrs, POLC_REPLY_SAME_LEN))
		return -1;
	ports_out[0] = ports[1];
	ports_out[1] = ports[0];
	s->tx_flags[1] = bpf_htons(polc_dns_refused_flags(bpf_ntohs(s->tx_flags[0])));

	if (polc_reply_hdrs_store(skb, pkt, &s->tx_hdrs) || bpf_skb_store_bytes(skb, l4, ports_out, 4, 0) ||
	    bpf_skb_store_bytes(skb, dns_off + 2, &s->tx_flags[1], 2, 0))
		return -1;
	if (bpf_l4_csum_replace(skb, l4 + __builtin_offsetof(struct udphdr, check), s->tx_flags[0], s->tx_flags[1],
				2 | BPF_F_MARK_MANGLED_0))
		return -1;
	return 0;
}

/*
 * TCP: the refused segment is one whole query message (length prefix
 * and message), whose answer is the same message with the header's
 * flags as above, sent as the payload of tcp_reply.h's answer from the
 * server: it starts at the client's acknowledgement, acknowledges the
 * whole query, and carries FIN, since the server never saw the query,
 * so its sequence numbers past this answer mean nothing and the
 * connection ends here (the caller resets the server's side). The
 * answer's TCP header has no options even where the query's had: the
 * message moves, so it is copied whole into polc_tcp_tx()->payload.
 *
 * Puts the answer there from the message at frame offset payload_off:
 * its length, or -1 (the caller drops the query). Global (lesson 7).
 */
POLC_GLOBAL int polc_dns_refused_payload(struct __sk_buff *skb, __u32 payload_off)
{
	struct polc_tcp_tx *x = polc_tcp_tx();
	__u16 mlen_be;

	if (!x || polc_load(skb, payload_off, &mlen_be, sizeof(mlen_be)))
		return -1;

	__u32 len = 2 + bpf_ntohs(mlen_be);

	if (len < 2 + POLC_DNS_HDR || len > POLC_DNS_TCP_ANSWER_MAX)
		return -1;
	/* Lesson 12 (verifier.h): the size the helper gets is the checked register. */
	polc_barrier_var(len);
	if (len > POLC_DNS_TCP_ANSWER_MAX)
		return -1;
	if (bpf_skb_load_bytes(skb, payload_off, x->payload, len))
		return -1;

	__u16 f = polc_dns_refused_flags((__u16)(x->payload[4] << 8 | x->payload[5]));

	x->payload[4] = (__u8)(f >> 8);
	x->payload[5] = (__u8)f;
	return (int)len;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packet builder for the verdict tests and benchmarks: Ethernet frames
 * with IPv4/IPv6 (options, extension headers, fragments) and TCP, UDP,
 * SCTP or ICMP, built layer by layer. Lengths and the IPv4 header
 * checksum are filled in by pkt_finish().
 *
 *   struct pkt p;
 *   pkt_tcp(&p, "198.18.0.10", 40000, "198.18.0.20", 80, PKT_SYN);
 *
 * or, for odd packets:
 *
 *   pkt_init(&p);
 *   pkt_eth(&p, ETH_P_IPV6);
 *   pkt_ipv6(&p, "fd00::a", "fd00::b", IPPROTO_DSTOPTS);
 *   pkt_ipv6_ext(&p, IPPROTO_DSTOPTS, IPPROTO_UDP, 8);
 *   pkt_udp_hdr(&p, 1000, 53);
 *   pkt_finish(&p);
 *
 * Builders return 0, or -EINVAL for an address that does not parse or a
 * packet that would not fit; tests assert on it.
 */
#ifndef POLC_TEST_PKT_H
#define POLC_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	size_t l3_off; /* outer IP header, for pkt_finish */
	int family;    /* 4 or 6, of the outer IP header; 0 before pkt_ipv4/6 */
	bool keep_len; /* the IPv4 total length was set by hand: pkt_finish leaves it */
	bool overflow;
};

/* IPv4 header knobs; zero values mean the usual (id 1, no fragment, no options, TTL 64). */
struct pkt_ip4_opts {
	uint16_t id;
	uint16_t frag_off; /* host order: flags (0x2000 = MF) | offset in 8-byte units */
	uint8_t options_len; /* bytes of NOP options, multiple of 4 */
	uint8_t ihl;         /* override the header length field (malformed tests) */
	uint16_t tot_len;    /* override the total length field (malformed tests) */
};

void pkt_init(struct pkt *p);
void pkt_bytes(struct pkt *p, const void *data, size_t len);
void pkt_zeros(struct pkt *p, size_t len);
void pkt_eth(struct pkt *p, uint16_t ethertype);
void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t vid, uint16_t inner_ethertype);
int pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto, const struct pkt_ip4_opts *opts);
int pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr);
/* A hop-by-hop, routing or destination options header of len bytes (multiple of 8, >= 8). */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t nexthdr, size_t len);
/* offset in 8-byte units. */
void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset, bool more, uint32_t id);
void pkt_tcp_hdr(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
void pkt_udp_hdr(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_sctp_hdr(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp_hdr(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
/* Append the IP packet of inner (from its IP header on): the quote of an ICMP error. */
void pkt_quote(struct pkt *p, const struct pkt *inner);
/* (Re)fill the outer IP length fields (unless overridden) and the IPv4 checksum. 0 or -EINVAL. */
int pkt_finish(struct pkt *p);

/* Whole packets; the address family follows the addresses. */
int pkt_tcp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags);
int pkt_udp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport);
int pkt_sctp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport);
/* ICMP for IPv4 addresses, ICMPv6 for IPv6 ones; type is that protocol's. */
int pkt_icmp(struct pkt *p, const char *src, const char *dst, uint8_t type, uint16_t id);
int pkt_arp(struct pkt *p);

/* Parse an IPv4 or IPv6 address into 16 bytes (IPv4 in the first 4); its family (4, 6) or -EINVAL. */
int pkt_addr(const char *text, uint8_t out[16]);

#endif

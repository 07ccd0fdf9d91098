/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Test support: the packet builder (see pkt.h). */
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <linux/if_ether.h>

static uint8_t *pkt_put(struct pkt *p, size_t len)
{
	if (p->overflow || p->len + len > sizeof(p->data)) {
		p->overflow = true;
		return NULL;
	}
	uint8_t *at = p->data + p->len;

	memset(at, 0, len);
	p->len += len;
	return at;
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static void put32(uint8_t *at, uint32_t v)
{
	put16(at, (uint16_t)(v >> 16));
	put16(at + 2, (uint16_t)v);
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

void pkt_bytes(struct pkt *p, const void *data, size_t len)
{
	uint8_t *at = pkt_put(p, len);

	if (at)
		memcpy(at, data, len);
}

void pkt_zeros(struct pkt *p, size_t len)
{
	pkt_put(p, len);
}

void pkt_eth(struct pkt *p, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t *at = pkt_put(p, ETH_HLEN);

	if (!at)
		return;
	memcpy(at, dst, 6);
	memcpy(at + 6, src, 6);
	put16(at + 12, ethertype);
}

void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t vid, uint16_t inner_ethertype)
{
	pkt_eth(p, tpid);

	uint8_t *at = pkt_put(p, 4);

	if (!at)
		return;
	put16(at, vid & 0x0fff);
	put16(at + 2, inner_ethertype);
}

int pkt_addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, text, out) == 1)
		return 6;
	return -EINVAL;
}

int pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto, const struct pkt_ip4_opts *opts)
{
	static const struct pkt_ip4_opts none;
	uint8_t s[16], d[16];

	if (!opts)
		opts = &none;
	if (pkt_addr(src, s) != 4 || pkt_addr(dst, d) != 4 || opts->options_len % 4)
		return -EINVAL;

	size_t l3_off = p->len;
	uint8_t *at = pkt_put(p, 20 + opts->options_len);

	if (!at)
		return -EINVAL;
	at[0] = (uint8_t)(0x40 | (opts->ihl ? opts->ihl : 5 + opts->options_len / 4));
	put16(at + 2, opts->tot_len);
	put16(at + 4, opts->id ? opts->id : 1);
	put16(at + 6, opts->frag_off);
	at[8] = 64;
	at[9] = proto;
	memcpy(at + 12, s, 4);
	memcpy(at + 16, d, 4);
	memset(at + 20, 1, opts->options_len); /* NOP */
	if (!p->family) {
		p->family = 4;
		p->l3_off = l3_off;
		p->keep_len = opts->tot_len != 0;
	}
	return 0;
}

int pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr)
{
	uint8_t s[16], d[16];

	if (pkt_addr(src, s) != 6 || pkt_addr(dst, d) != 6)
		return -EINVAL;

	size_t l3_off = p->len;
	uint8_t *at = pkt_put(p, 40);

	if (!at)
		return -EINVAL;
	at[0] = 0x60;
	at[6] = nexthdr;
	at[7] = 64;
	memcpy(at + 8, s, 16);
	memcpy(at + 24, d, 16);
	if (!p->family) {
		p->family = 6;
		p->l3_off = l3_off;
	}
	return 0;
}

void pkt_ipv6_ext(struct pkt *p, uint8_t type, uint8_t nexthdr, size_t len)
{
	uint8_t *at = pkt_put(p, len);

	if (!at)
		return;
	at[0] = nexthdr;
	if (type == IPPROTO_AH) {
		at[1] = (uint8_t)(len / 4 - 2);
	} else {
		at[1] = (uint8_t)(len / 8 - 1);
		/* Options: one PadN covering the rest. */
		if (len > 2 && type != IPPROTO_ROUTING) {
			at[2] = 1;
			at[3] = (uint8_t)(len - 4);
		}
	}
}

void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset, bool more, uint32_t id)
{
	uint8_t *at = pkt_put(p, 8);

	if (!at)
		return;
	at[0] = nexthdr;
	put16(at + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	put32(at + 4, id);
}

void pkt_tcp_hdr(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *at = pkt_put(p, 20);

	if (!at)
		return;
	put16(at, sport);
	put16(at + 2, dport);
	put32(at + 4, 1000);
	put32(at + 8, flags & PKT_ACK ? 2000 : 0);
	at[12] = 5 << 4;
	at[13] = flags;
	put16(at + 14, 65535);
}

void pkt_udp_hdr(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *at = pkt_put(p, 8);

	if (!at)
		return;
	put16(at, sport);
	put16(at + 2, dport);
	put16(at + 4, 8); /* header only; checksums are not ours to check */
}

void pkt_sctp_hdr(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *at = pkt_put(p, 12);

	if (!at)
		return;
	put16(at, sport);
	put16(at + 2, dport);
	put32(at + 4, 0x01020304); /* verification tag */
}

void pkt_icmp_hdr(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint8_t *at = pkt_put(p, 8);

	if (!at)
		return;
	at[0] = type;
	at[1] = code;
	put16(at + 4, id);
	put16(at + 6, seq);
}

void pkt_quote(struct pkt *p, const struct pkt *inner)
{
	pkt_bytes(p, inner->data + inner->l3_off, inner->len - inner->l3_off);
}

static uint16_t ip_checksum(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int pkt_finish(struct pkt *p)
{
	if (p->overflow)
		return -EINVAL;
	uint8_t *ip = p->data + p->l3_off;
	size_t ip_len = p->len - p->l3_off;

	if (p->family == 4) {
		if (!p->keep_len)
			put16(ip + 2, (uint16_t)ip_len);
		size_t hlen = (size_t)(ip[0] & 0xf) * 4;

		if (hlen >= 20 && hlen <= ip_len) {
			put16(ip + 10, 0);
			put16(ip + 10, ip_checksum(ip, hlen));
		}
	} else if (p->family == 6) {
		put16(ip + 4, (uint16_t)(ip_len - 40));
	}
	return 0;
}

static int pkt_ip(struct pkt *p, const char *src, const char *dst, uint8_t proto)
{
	uint8_t addr[16];
	int family = pkt_addr(src, addr);

	pkt_init(p);
	if (family == 4) {
		pkt_eth(p, ETH_P_IP);
		return pkt_ipv4(p, src, dst, proto, NULL);
	}
	if (family == 6) {
		pkt_eth(p, ETH_P_IPV6);
		return pkt_ipv6(p, src, dst, proto);
	}
	return -EINVAL;
}

int pkt_tcp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t flags)
{
	int ret = pkt_ip(p, src, dst, IPPROTO_TCP);

	if (ret)
		return ret;
	pkt_tcp_hdr(p, sport, dport, flags);
	return pkt_finish(p);
}

int pkt_udp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	int ret = pkt_ip(p, src, dst, IPPROTO_UDP);

	if (ret)
		return ret;
	pkt_udp_hdr(p, sport, dport);
	return pkt_finish(p);
}

int pkt_sctp(struct pkt *p, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	int ret = pkt_ip(p, src, dst, IPPROTO_SCTP);

	if (ret)
		return ret;
	pkt_sctp_hdr(p, sport, dport);
	return pkt_finish(p);
}

int pkt_icmp(struct pkt *p, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	uint8_t addr[16];
	int ret = pkt_ip(p, src, dst, pkt_addr(src, addr) == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	if (ret)
		return ret;
	pkt_icmp_hdr(p, type, 0, id, 1);
	return pkt_finish(p);
}

int pkt_arp(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, ETH_P_ARP);
	pkt_zeros(p, 28);
	return pkt_finish(p);
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The compiled artifact in a real kernel, for polc test (testbed.h):
 * private network namespace, dummy interfaces over rtnetlink (no
 * iproute2, no shell), polc_private_load(), and packets built here and
 * judged by the entry programs through BPF_PROG_TEST_RUN.
 *
 * Ownership: the namespace fds and the private load belong to struct
 * testbed and are released by testbed_close(); every failure path
 * returns to the original namespace before it returns.
 */
#include "testbed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "ir/ir.h"
#include "loader/loader.h"

struct testbed {
	int orig_ns;   /* the namespace polc was started in */
	int test_ns;   /* the private one (kept open while the test runs) */
	struct polc_private *load;
	uint16_t next_port; /* fresh source port / ICMP id per packet */
};

static void set_msg(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

/* ---- rtnetlink: dummy interfaces ----------------------------------------- */

struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[256];
};

static struct rtattr *nl_attr(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static int nl_transact(struct nl_req *req)
{
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
	char buf[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int ret;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
	} else {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		if (n < 0)
			ret = -errno;
		else if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != NLMSG_ERROR)
			ret = -EPROTO;
		else
			ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
	close(fd);
	return ret;
}

/*
 * An interface called name, up: a dummy, or where the kernel has no dummy
 * driver (CONFIG_DUMMY unset), one end of a veth pair whose other end is
 * called peer. Either way nothing ever sends on it: only its ifindex matters.
 */
static int link_add(const char *name, const char *kind, const char *peer)
{
	struct nl_req req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	struct rtattr *info = nl_attr(&req, IFLA_LINKINFO, NULL, 0);
	nl_attr(&req, IFLA_INFO_KIND, kind, strlen(kind));
	if (peer) {
		struct rtattr *data = nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
		struct rtattr *peer_info = nl_attr(&req, VETH_INFO_PEER, NULL, 0);
		/* The peer is described by its own ifinfomsg, then its attributes. */
		req.nh.nlmsg_len += sizeof(struct ifinfomsg);
		nl_attr(&req, IFLA_IFNAME, peer, strlen(peer) + 1);
		peer_info->rta_len = (unsigned short)((char *)&req + req.nh.nlmsg_len - (char *)peer_info);
		data->rta_len = (unsigned short)((char *)&req + req.nh.nlmsg_len - (char *)data);
	}
	info->rta_len = (unsigned short)((char *)&req + req.nh.nlmsg_len - (char *)info);
	return nl_transact(&req);
}

static int dummy_add(const char *name, unsigned index)
{
	int err = link_add(name, "dummy", NULL);
	if (err != -EOPNOTSUPP)
		return err;
	char peer[IFNAMSIZ];
	snprintf(peer, sizeof(peer), "polc-tb-%u", index);
	return link_add(name, "veth", peer);
}

/* ---- open and close ------------------------------------------------------ */

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

void testbed_close(struct testbed *tb)
{
	if (!tb)
		return;
	polc_private_free(tb->load);
	if (tb->test_ns >= 0)
		close(tb->test_ns);
	if (tb->orig_ns >= 0)
		close(tb->orig_ns);
	free(tb);
}

static int enter(int ns)
{
	return setns(ns, CLONE_NEWNET) ? -errno : 0;
}

int testbed_open(const void *artifact, size_t size, const char *const *ifnames, size_t n_ifnames,
		 struct testbed **out, char *msg, size_t msg_size)
{
	struct testbed *tb = calloc(1, sizeof(*tb));
	if (!tb) {
		set_msg(msg, msg_size, "out of memory");
		return -ENOMEM;
	}
	tb->orig_ns = tb->test_ns = -1;
	tb->next_port = 33000;
	struct polc_artifact *art = NULL;
	int err = 0;

	tb->orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tb->orig_ns < 0) {
		err = -errno;
		set_msg(msg, msg_size, "cannot open /proc/self/ns/net: %s", strerror(-err));
		goto fail;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		err = -errno;
		set_msg(msg, msg_size, "cannot create a private network namespace: %s%s", strerror(-err),
			err == -EPERM ? " (polc test runs the artifact as root; --ir-only checks the policies only)"
				      : "");
		goto fail;
	}
	tb->test_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (tb->test_ns < 0) {
		err = -errno;
		set_msg(msg, msg_size, "cannot open the private namespace: %s", strerror(-err));
		goto back;
	}
	for (size_t i = 0; i < n_ifnames; i++) {
		err = dummy_add(ifnames[i], (unsigned)i);
		if (err && err != -EEXIST) {
			set_msg(msg, msg_size, "cannot create dummy interface %s: %s", ifnames[i], strerror(-err));
			goto back;
		}
	}
	char perr[256] = "";
	err = polc_artifact_parse(artifact, size, &art, perr, sizeof(perr));
	if (err) {
		set_msg(msg, msg_size, "the artifact does not parse: %s", perr);
		goto back;
	}
	libbpf_set_print(quiet_libbpf);
	struct polc_error lerr = {0};
	err = polc_private_load(art, NULL, &tb->load, &lerr);
	if (err) {
		set_msg(msg, msg_size, "%s", lerr.message);
		goto back;
	}
	polc_artifact_free(art);
	art = NULL;
	err = enter(tb->orig_ns);
	if (err) {
		set_msg(msg, msg_size, "cannot return to the original network namespace: %s", strerror(-err));
		goto fail;
	}
	*out = tb;
	return 0;
back:
	if (enter(tb->orig_ns))
		set_msg(msg, msg_size, "cannot return to the original network namespace: %s", strerror(errno));
fail:
	polc_artifact_free(art);
	testbed_close(tb);
	return err ? err : -EIO;
}

/* ---- packets ------------------------------------------------------------- */

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4/IPv6 + the first bytes of a new flow's L4 header. Returns the length. */
static size_t build(const struct testbed_packet *pkt, uint16_t sport, uint8_t *buf, size_t size)
{
	memset(buf, 0, size);
	/* Locally administered MACs: the frame is for the pod, from its peer. */
	static const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	put16(buf + 12, pkt->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	size_t l3 = 14, l4 = l3 + (pkt->family == 4 ? 20 : 40), l4_len;
	uint8_t *h = buf + l4;
	switch (pkt->proto) {
	case IR_PROTO_TCP:
		l4_len = 20;
		put16(h, sport);
		put16(h + 2, pkt->port);
		h[4] = 0x12; /* a sequence number */
		h[12] = 5 << 4;
		h[13] = 0x02; /* SYN */
		put16(h + 14, 64240);
		break;
	case IR_PROTO_UDP:
		l4_len = 8 + 4;
		put16(h, sport);
		put16(h + 2, pkt->port);
		put16(h + 4, (uint16_t)l4_len);
		break;
	case IR_PROTO_SCTP:
		l4_len = 12 + 20; /* common header + an INIT chunk */
		put16(h, sport);
		put16(h + 2, pkt->port);
		h[12] = 1;             /* INIT */
		put16(h + 14, 20);     /* chunk length */
		h[16] = 0x5c;          /* initiate tag */
		put16(h + 22, 0xffff); /* a_rwnd */
		put16(h + 24, 1);      /* outbound streams */
		put16(h + 26, 1);      /* inbound streams */
		break;
	default: /* ICMP, ICMPv6: type, code 0, identifier, sequence */
		l4_len = 8 + 8;
		h[0] = (uint8_t)pkt->port;
		put16(h + 4, sport);
		put16(h + 6, 1);
		break;
	}
	uint8_t *ip = buf + l3;
	if (pkt->family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4_len));
		put16(ip + 4, sport);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = pkt->proto;
		memcpy(ip + 12, pkt->src, 4);
		memcpy(ip + 16, pkt->dst, 4);
		put16(ip + 10, csum(ip, 20));
		if (pkt->proto == IR_PROTO_ICMP)
			put16(h + 2, csum(h, l4_len));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4_len);
		ip[6] = pkt->proto;
		ip[7] = 64;
		memcpy(ip + 8, pkt->src, 16);
		memcpy(ip + 24, pkt->dst, 16);
	}
	return l4 + l4_len;
}

bool testbed_icmp_is_new_flow(uint8_t proto, uint8_t type)
{
	if (proto == IR_PROTO_ICMP)
		return !(type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
	if (proto == IR_PROTO_ICMPV6)
		return type >= 128 && !(type >= 133 && type <= 137);
	return true;
}

int testbed_run(struct testbed *tb, const char *ifname, enum testbed_dir dir, const struct testbed_packet *pkt,
		bool *allow, char *msg, size_t msg_size)
{
	int err = enter(tb->test_ns);
	if (err) {
		set_msg(msg, msg_size, "cannot enter the private network namespace: %s", strerror(-err));
		return err;
	}
	unsigned int ifindex = if_nametoindex(ifname);
	uint8_t frame[128];
	uint16_t sport = tb->next_port++;
	if (tb->next_port < 33000)
		tb->next_port = 33000;
	size_t len = build(pkt, sport, frame, sizeof(frame));
	struct __sk_buff ctx = {.ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int fd = polc_private_prog_fd(tb->load, dir == TESTBED_FROM_POD ? POLC_PROG_FROM_POD : POLC_PROG_TO_POD);
	if (!ifindex) {
		err = -ENODEV;
		set_msg(msg, msg_size, "no interface %s in the private namespace", ifname);
	} else if (fd < 0) {
		err = -ENOENT;
		set_msg(msg, msg_size, "the artifact has no entry program");
	} else if (bpf_prog_test_run_opts(fd, &opts)) {
		err = -errno;
		set_msg(msg, msg_size, "BPF_PROG_TEST_RUN on %s: %s", ifname, strerror(-err));
	} else {
		*allow = (int)opts.retval != TC_ACT_SHOT;
	}
	int back = enter(tb->orig_ns);
	if (back && !err) {
		err = back;
		set_msg(msg, msg_size, "cannot return to the original network namespace: %s", strerror(-back));
	}
	return err;
}

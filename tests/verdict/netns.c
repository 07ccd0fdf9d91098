/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test support: a private network namespace and veth pairs in it,
 * created over rtnetlink (no dependency on iproute2, no shell).
 */
#include "netns.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

int netns_enter_private(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return -errno;
	return 0;
}

struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *nl_attr(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)req + req->nh.nlmsg_len - (char *)nest);
}

/* Send one request and wait for its acknowledgement. 0 or -errno from the kernel. */
static int nl_transact(struct nl_req *req)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	char buf[4096];
	int ret;

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		goto out;
	}
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0) {
		ret = -errno;
		goto out;
	}
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;

	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != NLMSG_ERROR) {
		ret = -EPROTO;
		goto out;
	}
	ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
out:
	close(fd);
	return ret;
}

int netns_veth_add(const char *name, const char *peer, int *ifindex, int *peer_ifindex)
{
	struct nl_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);

	struct rtattr *linkinfo = nl_attr(&req, IFLA_LINKINFO, NULL, 0);

	nl_attr(&req, IFLA_INFO_KIND, "veth", 4);

	struct rtattr *data = nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
	struct rtattr *peer_info = nl_attr(&req, VETH_INFO_PEER, NULL, 0);

	/* The peer is described by its own ifinfomsg, then its attributes. */
	req.nh.nlmsg_len += sizeof(struct ifinfomsg);
	nl_attr(&req, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_nest_end(&req, peer_info);
	nl_nest_end(&req, data);
	nl_nest_end(&req, linkinfo);

	int ret = nl_transact(&req);

	if (ret < 0)
		return ret;
	unsigned int a = if_nametoindex(name), b = if_nametoindex(peer);

	if (!a || !b)
		return -ENODEV;
	*ifindex = (int)a;
	*peer_ifindex = (int)b;
	return 0;
}

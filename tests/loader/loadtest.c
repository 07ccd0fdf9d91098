/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc-loadtest: drives libpolc's datapath calls from the end-to-end
 * tests (until `polc load` exists, and to look inside afterwards).
 *
 *   mkart OUT FIXTURE [--ep IF[:POLICY_IN:POLICY_EG:FLAGS]]... [--allow P[:PEER]]...
 *         [--deny P[:PEER]]... [--ipcache A.B.C.D=IDENTITY]... [--revision HEX] [--endpoints-max N]
 *         [--gen-file OBJ]   (OBJ instead of the fixture's object: any compiled generation)
 *   apply [--pin-dir D] [--mode auto|tcx|clsact] [-v] ART
 *   unload [--pin-dir D] [-v]
 *   slot0 [--pin-dir D]            program id in polc_gen_prog[0] (0: empty)
 *   ctrev [--pin-dir D] IFNAME     revision stored in conntrack by the fixture for IFNAME
 *   hooks IFNAME                   what runs on IFNAME: tcx and clsact programs by name
 *
 * Exit status: 0 success, 2 usage, 3 failure (message on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "polc/libpolc.h"
#include "testart.h"

#define MAX_ITEMS 64

static int usage(void)
{
	fprintf(stderr, "usage: polc-loadtest mkart|apply|unload|slot0|ctrev|hooks ... (see the source)\n");
	return 2;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int fail(const char *what, const struct polc_error *err)
{
	fprintf(stderr, "polc-loadtest: %s: %s\n", what, err->message[0] ? err->message : strerror(err->errnum));
	return 3;
}

static int cmd_mkart(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	const char *out = argv[1];
	struct polc_test_ep eps[MAX_ITEMS];
	struct polc_test_policy pol[MAX_ITEMS];
	struct polc_test_ipcache ipc[MAX_ITEMS];
	struct polc_test_art spec = { .fixture = argv[2], .eps = eps, .policies = pol, .ipcache = ipc };
	for (int i = 3; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!val)
			return usage();
		i++;
		if (strcmp(opt, "--ep") == 0 && spec.n_eps < MAX_ITEMS) {
			struct polc_test_ep *e = &eps[spec.n_eps++];
			char *name = argv[i], *colon = strchr(name, ':'); /* argv is ours to cut */
			memset(e, 0, sizeof(*e));
			if (colon) {
				*colon = '\0';
				if (sscanf(colon + 1, "%u:%u:%u", &e->policy_ingress, &e->policy_egress, &e->flags) != 3)
					return usage();
			}
			e->ifname = name;
		} else if ((strcmp(opt, "--allow") == 0 || strcmp(opt, "--deny") == 0) && spec.n_policies < MAX_ITEMS) {
			struct polc_test_policy *p = &pol[spec.n_policies++];
			p->peer = POLC_PEER_ANY;
			p->action = opt[2] == 'a' ? POLC_ACT_ALLOW : POLC_ACT_DENY;
			if (sscanf(val, "%u:%u", &p->policy, &p->peer) < 1)
				return usage();
		} else if (strcmp(opt, "--ipcache") == 0 && spec.n_ipcache < MAX_ITEMS) {
			char addr[32];
			struct polc_test_ipcache *c = &ipc[spec.n_ipcache++];
			if (sscanf(val, "%31[0-9.]=%u", addr, &c->identity) != 2 || inet_pton(AF_INET, addr, c->addr) != 1)
				return usage();
		} else if (strcmp(opt, "--gen-file") == 0) {
			FILE *f = fopen(val, "rb");
			static char obj[8 << 20];
			if (!f) {
				perror(val);
				return 3;
			}
			spec.gen = obj;
			spec.gen_size = fread(obj, 1, sizeof(obj), f);
			fclose(f);
		} else if (strcmp(opt, "--revision") == 0) {
			spec.revision = strtoull(val, NULL, 16);
		} else if (strcmp(opt, "--endpoints-max") == 0) {
			spec.endpoints_max = (uint32_t)strtoul(val, NULL, 10);
		} else {
			return usage();
		}
	}
	void *buf = NULL;
	size_t size = 0;
	int rc = polc_test_artifact(&spec, &buf, &size);
	if (rc) {
		fprintf(stderr, "polc-loadtest: mkart: %s\n", strerror(-rc));
		return 3;
	}
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		perror(out);
		free(buf);
		return 3;
	}
	free(buf);
	return 0;
}

struct common {
	const char *pin_dir;
	enum polc_attach_mode mode;
	bool verbose;
	int first_arg;
};

static int parse_common(int argc, char **argv, struct common *c)
{
	static const struct option opts[] = {
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 },
	};
	memset(c, 0, sizeof(*c));
	c->pin_dir = POLC_DEFAULT_PIN_DIR;
	c->mode = POLC_ATTACH_AUTO;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "p:m:v", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			c->pin_dir = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "tcx") == 0)
				c->mode = POLC_ATTACH_TCX;
			else if (strcmp(optarg, "clsact") == 0)
				c->mode = POLC_ATTACH_CLSACT;
			else if (strcmp(optarg, "auto") == 0)
				c->mode = POLC_ATTACH_AUTO;
			else
				return -1;
			break;
		case 'v':
			c->verbose = true;
			break;
		default:
			return -1;
		}
	}
	c->first_arg = optind;
	if (!c->verbose)
		libbpf_set_print(quiet_print);
	return 0;
}

static int open_dp(const struct common *c, struct polc_datapath **dp, struct polc_error *err)
{
	POLC_OPTS(polc_datapath_opts, opts, .pin_dir = c->pin_dir, .attach_mode = c->mode);
	return polc_datapath_open(&opts, dp, err);
}

static int cmd_apply(int argc, char **argv)
{
	struct common c;
	if (parse_common(argc, argv, &c) || c.first_arg != argc - 1)
		return usage();
	struct polc_error err;
	struct polc_datapath *dp = NULL;
	if (open_dp(&c, &dp, &err))
		return fail("open", &err);
	POLC_OPTS(polc_apply_result, r);
	int rc = polc_datapath_apply_file(dp, argv[c.first_arg], &r, &err);
	polc_datapath_close(dp);
	if (rc)
		return fail("apply", &err);
	printf("outcome=%s mode=%s revision=%016llx prev=%s%016llx endpoints=%u attached=%u detached=%u "
	       "detach_failed=%u gen_prog_id=%u ct_map_id=%u\n",
	       polc_apply_outcome_str(r.outcome), polc_attach_mode_str(r.attach_mode),
	       (unsigned long long)r.revision, r.has_prev_revision ? "" : "none:",
	       (unsigned long long)r.prev_revision, r.endpoints, r.attached, r.detached, r.detach_failed,
	       r.gen_prog_id, r.ct_map_id);
	return 0;
}

static int cmd_unload(int argc, char **argv)
{
	struct common c;
	if (parse_common(argc, argv, &c) || c.first_arg != argc)
		return usage();
	struct polc_error err;
	struct polc_datapath *dp = NULL;
	if (open_dp(&c, &dp, &err))
		return fail("open", &err);
	int rc = polc_datapath_unload(dp, &err);
	polc_datapath_close(dp);
	return rc ? fail("unload", &err) : 0;
}

static int open_pinned(const char *pin_dir, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", pin_dir, rel);
	return bpf_obj_get(path);
}

static int cmd_slot0(int argc, char **argv)
{
	struct common c;
	if (parse_common(argc, argv, &c) || c.first_arg != argc)
		return usage();
	int fd = open_pinned(c.pin_dir, "shared/" POLC_MAP_GEN_PROG);
	__u32 key = 0, id = 0;
	if (fd >= 0)
		bpf_map_lookup_elem(fd, &key, &id);
	printf("%u\n", id);
	return 0;
}

static int cmd_ctrev(int argc, char **argv)
{
	struct common c;
	if (parse_common(argc, argv, &c) || c.first_arg != argc - 1)
		return usage();
	int fd = open_pinned(c.pin_dir, "shared/" POLC_MAP_CT);
	struct polc_ct_key key = { .ifindex = if_nametoindex(argv[c.first_arg]) };
	struct polc_ct_entry e;
	if (fd < 0 || !key.ifindex || bpf_map_lookup_elem(fd, &key, &e)) {
		printf("none\n");
		return 0;
	}
	printf("%08x\n", e.revision);
	return 0;
}

static void prog_name(__u32 id, char *buf, size_t size)
{
	int fd = bpf_prog_get_fd_by_id(id);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, size, "id%u", id);
	else
		snprintf(buf, size, "%s", info.name);
	if (fd >= 0)
		close(fd);
}

static int cmd_hooks(int argc, char **argv)
{
	if (argc != 2)
		return usage();
	libbpf_set_print(quiet_print);
	int ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "polc-loadtest: no interface %s\n", argv[1]);
		return 3;
	}
	static const char *const names[2] = { "ingress", "egress" };
	for (int h = 0; h < 2; h++) {
		__u32 ids[16], cnt = 16;
		printf("tcx_%s=", names[h]);
		if (bpf_prog_query(ifindex, h ? POLC_BPF_TCX_EGRESS : POLC_BPF_TCX_INGRESS, 0, NULL, ids, &cnt) == 0) {
			for (__u32 i = 0; i < cnt; i++) {
				char n[32];
				prog_name(ids[i], n, sizeof(n));
				printf("%s%s", i ? "," : "", n);
			}
		}
		printf(" ");
	}
	for (int h = 0; h < 2; h++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = h ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = POLC_TC_HANDLE, .priority = POLC_TC_PRIORITY);
		char n[32] = "";
		if (bpf_tc_query(&hook, &q) == 0)
			prog_name(q.prog_id, n, sizeof(n));
		printf("clsact_%s=%s%s", names[h], n, h ? "\n" : " ");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (strcmp(cmd, "mkart") == 0)
		return cmd_mkart(argc - 1, argv + 1);
	if (strcmp(cmd, "apply") == 0)
		return cmd_apply(argc - 1, argv + 1);
	if (strcmp(cmd, "unload") == 0)
		return cmd_unload(argc - 1, argv + 1);
	if (strcmp(cmd, "slot0") == 0)
		return cmd_slot0(argc - 1, argv + 1);
	if (strcmp(cmd, "ctrev") == 0)
		return cmd_ctrev(argc - 1, argv + 1);
	if (strcmp(cmd, "hooks") == 0)
		return cmd_hooks(argc - 1, argv + 1);
	return usage();
}

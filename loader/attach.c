/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Attaching the entry programs to endpoint interfaces, and detaching them.
 *
 * tcx (Linux 6.6+): one bpf_link per hook, pinned as
 * PIN/links/<ifindex>_from_pod|_to_pod, so the attachment outlives the
 * loader; a link that was never pinned dies with the process, so a crash
 * cannot leak one.
 * clsact: a direct-action tc filter with polc's own handle and priority,
 * which is how polc recognises (and only ever removes) its own filters.
 *
 * PIN/shared/polc_attach records every interface polc attached (written
 * before attaching, removed after detaching), so unload and swaps know
 * what to detach in either mode, even after a crash in between.
 */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define ATTACH_MAX 65536

enum hook { HOOK_FROM_POD, HOOK_TO_POD, NR_HOOKS };

static const char *const hook_prog[NR_HOOKS] = { POLC_PROG_FROM_POD, POLC_PROG_TO_POD };
static const char *const hook_suffix[NR_HOOKS] = { "from_pod", "to_pod" };
static const char *const hook_tc_name[NR_HOOKS] = { "tc ingress", "tc egress" };
static const uint32_t hook_tcx_type[NR_HOOKS] = { POLC_BPF_TCX_INGRESS, POLC_BPF_TCX_EGRESS };
static const enum bpf_tc_attach_point hook_tc_point[NR_HOOKS] = { BPF_TC_INGRESS, BPF_TC_EGRESS };

static int hook_fd(const struct polc_attacher *at, enum hook h)
{
	return h == HOOK_FROM_POD ? at->sh->from_pod_fd : at->sh->to_pod_fd;
}

static uint32_t hook_id(const struct polc_attacher *at, enum hook h)
{
	return h == HOOK_FROM_POD ? at->sh->from_pod_id : at->sh->to_pod_id;
}

static int link_path(char *buf, size_t size, const char *pin_dir, uint32_t ifindex, enum hook h)
{
	if ((size_t)snprintf(buf, size, "%s/links/%u_%s", pin_dir, ifindex, hook_suffix[h]) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- the record map ---- */

int polc_attach_map_open(const char *pin_dir, bool create, int *out_fd, struct polc_error *err)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/shared/%s", pin_dir, POLC_MAP_ATTACH) >= sizeof(path))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", pin_dir);
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return polc_errf_sys(err, -errno, "cannot query %s", path);
		if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(__u32) ||
		    info.value_size != sizeof(struct polc_attach_rec))
			return polc_errf(err, -EEXIST, "%s was made by another polc version; run polc unload first",
					 path);
		*out_fd = TAKE_FD(fd);
		return 0;
	}
	if (errno != ENOENT || !create)
		return polc_errf_sys(err, -errno, "cannot open %s", path);
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, POLC_MAP_ATTACH, sizeof(__u32), sizeof(struct polc_attach_rec),
			    ATTACH_MAX, &opts);
	if (fd < 0)
		return polc_errf_sys(err, fd, "cannot create map %s", POLC_MAP_ATTACH);
	if (bpf_obj_pin(fd, path))
		return polc_errf_sys(err, -errno, "cannot pin %s", path);
	*out_fd = TAKE_FD(fd);
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct polc_attach_rec *x = a, *y = b;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

int polc_attach_list(int rec_fd, struct polc_attach_rec **out, size_t *n, struct polc_error *err)
{
	size_t cap = 16, len = 0;
	_cleanup_free_ struct polc_attach_rec *v = malloc(cap * sizeof(*v));
	if (!v)
		return polc_errf(err, -ENOMEM, "out of memory");
	__u32 key, next;
	__u32 *prev = NULL;
	/* Bounded by the map size: a concurrent writer cannot keep us here. */
	for (size_t iter = 0; iter <= ATTACH_MAX; iter++) {
		if (bpf_map_get_next_key(rec_fd, prev, &next)) {
			if (errno == ENOENT)
				break;
			return polc_errf_sys(err, -errno, "cannot read %s", POLC_MAP_ATTACH);
		}
		key = next;
		prev = &key;
		struct polc_attach_rec rec;
		if (bpf_map_lookup_elem(rec_fd, &key, &rec))
			continue;
		if (len == cap) {
			struct polc_attach_rec *p = realloc(v, cap * 2 * sizeof(*v));
			if (!p)
				return polc_errf(err, -ENOMEM, "out of memory");
			v = p;
			cap *= 2;
		}
		rec.ifindex = key;
		rec.ifname[POLC_IFNAME_MAX - 1] = '\0';
		v[len++] = rec;
	}
	qsort(v, len, sizeof(*v), cmp_rec);
	*out = TAKE_PTR(v);
	*n = len;
	return 0;
}

/* ---- tcx ---- */

bool polc_tcx_supported(uint32_t ifindex)
{
	/* A query, not a trial attach: attaching would run the entry program before anything is live. */
	__u32 cnt = 0;
	int rc = bpf_prog_query((int)ifindex, POLC_BPF_TCX_INGRESS, 0, NULL, NULL, &cnt);
	return rc == 0 || (errno != EINVAL && errno != EOPNOTSUPP);
}

/* Is the pinned link at path our live tcx link on ifindex? */
static bool tcx_link_ok(int fd, uint32_t ifindex, uint32_t type, uint32_t prog_id)
{
	struct bpf_link_info info;
	memset(&info, 0, sizeof(info));
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	/* The build machine's UAPI may lack info.tcx; it has netns's identical {u32, u32} shape. */
	__u32 link_ifindex = info.netns.netns_ino, link_type = info.netns.attach_type;
	return info.type == POLC_BPF_LINK_TYPE_TCX && info.prog_id == prog_id && link_ifindex == ifindex &&
	       link_type == type;
}

static int tcx_attach(const struct polc_attacher *at, uint32_t ifindex, const char *ifname, enum hook h,
		      bool *changed, struct polc_error *err)
{
	char path[PATH_MAX];
	if (link_path(path, sizeof(path), at->pin_dir, ifindex, h))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", at->pin_dir);
	int old = bpf_obj_get(path);
	if (old >= 0) {
		bool ok = tcx_link_ok(old, ifindex, hook_tcx_type[h], hook_id(at, h));
		if (!ok)
			bpf_link_detach(old); /* stale: its interface is gone or it runs something else */
		close(old);
		if (ok)
			return 0;
		if (unlink(path) && errno != ENOENT)
			return polc_errf_sys(err, -errno, "cannot remove stale link %s", path);
	}
	_cleanup_close_ int link = bpf_link_create(hook_fd(at, h), (int)ifindex, hook_tcx_type[h], NULL);
	if (link < 0)
		return polc_errf_sys(err, link, "cannot attach %s to %s of %s (tcx)", hook_prog[h], hook_tc_name[h],
				     ifname);
	if (bpf_obj_pin(link, path))
		return polc_errf_sys(err, -errno, "cannot pin %s", path);
	*changed = true;
	return 0; /* closing our fd leaves the pinned link attached */
}

static int tcx_detach(const char *pin_dir, uint32_t ifindex, enum hook h, struct polc_error *err)
{
	char path[PATH_MAX];
	if (link_path(path, sizeof(path), pin_dir, ifindex, h))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", pin_dir);
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot open %s", path);
	/* Detach explicitly: someone else holding an fd on the link must not keep it running. */
	bpf_link_detach(fd);
	close(fd);
	if (unlink(path) && errno != ENOENT)
		return polc_errf_sys(err, -errno, "cannot unpin %s", path);
	return 0;
}

/* ---- clsact ---- */

static bool is_polc_entry_prog(uint32_t prog_id, const struct polc_attacher *at)
{
	if (prog_id == at->sh->from_pod_id || prog_id == at->sh->to_pod_id)
		return true;
	/* An entry program of an earlier datapath in this pin dir, replaced since. */
	_cleanup_close_ int fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return strcmp(info.name, POLC_PROG_FROM_POD) == 0 || strcmp(info.name, POLC_PROG_TO_POD) == 0;
}

static bool iface_gone(int rc)
{
	return rc == -ENODEV || rc == -ENXIO;
}

static int clsact_attach(const struct polc_attacher *at, uint32_t ifindex, const char *ifname, enum hook h,
			 bool *changed, struct polc_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = hook_tc_point[h]);
	int rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return polc_errf_sys(err, rc, "cannot create the clsact qdisc on %s", ifname);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = POLC_TC_HANDLE, .priority = POLC_TC_PRIORITY);
	rc = bpf_tc_query(&hook, &q);
	if (rc == 0) {
		if (q.prog_id == hook_id(at, h))
			return 0;
		if (!is_polc_entry_prog(q.prog_id, at))
			return polc_errf(err, -EEXIST,
					 "%s of %s has another program (id %u) at polc's filter handle %#x priority %#x",
					 hook_tc_name[h], ifname, q.prog_id, POLC_TC_HANDLE, POLC_TC_PRIORITY);
	} else if (rc != -ENOENT && rc != -EINVAL) {
		/* (EINVAL: "cannot find specified filter chain", no filter at all yet) */
		return polc_errf_sys(err, rc, "cannot query the tc filters of %s", ifname);
	}
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = hook_fd(at, h), .handle = POLC_TC_HANDLE,
		    .priority = POLC_TC_PRIORITY, .flags = BPF_TC_F_REPLACE);
	rc = bpf_tc_attach(&hook, &opts);
	if (rc)
		return polc_errf_sys(err, rc, "cannot attach %s to %s of %s (clsact)", hook_prog[h], hook_tc_name[h],
				     ifname);
	*changed = true;
	return 0;
}

static int clsact_detach(const struct polc_attacher *at, uint32_t ifindex, const char *ifname, enum hook h,
			 struct polc_error *err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = hook_tc_point[h]);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = POLC_TC_HANDLE, .priority = POLC_TC_PRIORITY);
	int rc = bpf_tc_query(&hook, &q);
	if (rc == -ENOENT || rc == -EINVAL || iface_gone(rc))
		return 0; /* no filter, no clsact qdisc, or no interface */
	if (rc)
		return polc_errf_sys(err, rc, "cannot query the tc filters of %s", ifname);
	if (!is_polc_entry_prog(q.prog_id, at))
		return 0; /* not ours: the interface was reused by someone else */
	LIBBPF_OPTS(bpf_tc_opts, d, .handle = POLC_TC_HANDLE, .priority = POLC_TC_PRIORITY);
	rc = bpf_tc_detach(&hook, &d);
	if (rc && rc != -ENOENT && !iface_gone(rc))
		return polc_errf_sys(err, rc, "cannot detach polc from %s of %s", hook_tc_name[h], ifname);
	/* The clsact qdisc stays: other filters may share it, and an empty one costs nothing. */
	return 0;
}

/* ---- per interface ---- */

int polc_attach_iface(const struct polc_attacher *at, uint32_t ifindex, const char *ifname,
		      enum polc_attach_mode mode, bool *changed, struct polc_error *err)
{
	return polc_attach_iface_flags(at, ifindex, ifname, mode, 0, changed, err);
}

int polc_attach_iface_flags(const struct polc_attacher *at, uint32_t ifindex, const char *ifname,
			    enum polc_attach_mode mode, uint32_t flags, bool *changed, struct polc_error *err)
{
	if (mode != POLC_ATTACH_TCX && mode != POLC_ATTACH_CLSACT)
		return polc_errf(err, -EINVAL, "attach mode must be tcx or clsact");
	struct polc_attach_rec rec = { .ifindex = ifindex, .mode = (uint32_t)mode | flags };
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", ifname);
	struct polc_attach_rec old;
	bool same = bpf_map_lookup_elem(at->rec_fd, &ifindex, &old) == 0 && memcmp(&old, &rec, sizeof(rec)) == 0;
	/* The record goes first: a crash after attaching must not leave an attachment nobody knows of. */
	if (!same && bpf_map_update_elem(at->rec_fd, &ifindex, &rec, BPF_ANY))
		return polc_errf_sys(err, -errno, "cannot record the attachment of %s", ifname);
	bool ch = !same;
	for (int h = 0; h < NR_HOOKS; h++) {
		int rc = mode == POLC_ATTACH_TCX ? tcx_attach(at, ifindex, ifname, h, &ch, err)
						 : clsact_attach(at, ifindex, ifname, h, &ch, err);
		if (rc)
			return rc;
	}
	*changed = ch;
	return 0;
}

bool polc_attach_keep_prepared(const struct polc_attach_rec *rec)
{
	char name[IF_NAMESIZE];
	return (rec->mode & POLC_ATTACH_F_PREPARED) && if_indextoname(rec->ifindex, name) &&
	       strncmp(name, rec->ifname, sizeof(rec->ifname)) == 0;
}

int polc_detach_iface(const struct polc_attacher *at, const struct polc_attach_rec *rec, struct polc_error *err)
{
	int rc = 0;
	for (int h = 0; h < NR_HOOKS && rc == 0; h++) {
		/* Links are removed in both modes: a pin left by a tcx attempt of a crashed loader goes too. */
		rc = tcx_detach(at->pin_dir, rec->ifindex, h, err);
		if (rc == 0 && POLC_ATTACH_MODE(rec->mode) == POLC_ATTACH_CLSACT)
			rc = clsact_detach(at, rec->ifindex, rec->ifname, h, err);
	}
	if (rc)
		return rc;
	if (bpf_map_delete_elem(at->rec_fd, &rec->ifindex) && errno != ENOENT)
		return polc_errf_sys(err, -errno, "cannot remove the attachment record of %s", rec->ifname);
	return 0;
}

static bool parse_link_name(const char *name, uint32_t *ifindex)
{
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	if (end == name || v == 0 || v > UINT32_MAX || *end != '_')
		return false;
	for (int h = 0; h < NR_HOOKS; h++) {
		if (strcmp(end + 1, hook_suffix[h]) == 0) {
			*ifindex = (uint32_t)v;
			return true;
		}
	}
	return false;
}

int polc_detach_stray_links(const struct polc_attacher *at, const struct polc_attach_rec *recs, size_t n,
			    struct polc_error *err)
{
	char dir[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof(dir), "%s/links", at->pin_dir) >= sizeof(dir))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", at->pin_dir);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot open %s", dir);
	int count = 0, rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) && rc == 0) {
		uint32_t ifindex;
		if (!parse_link_name(e->d_name, &ifindex))
			continue;
		struct polc_attach_rec key = { .ifindex = ifindex };
		if (n && bsearch(&key, recs, n, sizeof(*recs), cmp_rec))
			continue;
		for (int h = 0; h < NR_HOOKS && rc == 0; h++)
			rc = tcx_detach(at->pin_dir, ifindex, h, err);
		count++;
	}
	closedir(d);
	return rc ? rc : count;
}

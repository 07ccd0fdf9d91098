/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The part of the datapath created once and kept for its whole life: the
 * shared maps (prog array, conntrack, fragments, events) and the entry
 * programs attached to interfaces, all from the entry object embedded in
 * libpolc. A pinned set is reused only if it matches this build's map
 * definitions exactly: reusing a conntrack map with another key layout
 * would not fail, it would silently misjudge packets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "embedded.h"
#include "loader/cleanup.h"
#include "loader/loader.h"

static const char *const shared_names[POLC_NR_SHARED] = {
	[POLC_SM_GEN_PROG] = POLC_MAP_GEN_PROG, [POLC_SM_CT] = POLC_MAP_CT,
	[POLC_SM_FRAG] = POLC_MAP_FRAG,		[POLC_SM_EVENTS] = POLC_MAP_EVENTS,
	[POLC_SM_EV_BUDGET] = POLC_MAP_EV_BUDGET, [POLC_SM_L7] = POLC_MAP_L7,
	[POLC_SM_FQDN] = POLC_MAP_FQDN,
};

static const char *const entry_prog_names[2] = { POLC_PROG_FROM_POD, POLC_PROG_TO_POD };

const char *polc_shared_map_name(enum polc_shared_map m)
{
	return (unsigned)m < POLC_NR_SHARED ? shared_names[m] : NULL;
}

int polc_shared_map_index(const char *name)
{
	for (int i = 0; i < POLC_NR_SHARED; i++)
		if (strcmp(shared_names[i], name) == 0)
			return i;
	return -1;
}

void polc_shared_init(struct polc_shared *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < POLC_NR_SHARED; i++)
		s->map_fd[i] = -1;
	s->from_pod_fd = -1;
	s->to_pod_fd = -1;
}

void polc_shared_release(struct polc_shared *s)
{
	for (int i = 0; i < POLC_NR_SHARED; i++)
		polc_closep(&s->map_fd[i]);
	polc_closep(&s->from_pod_fd);
	polc_closep(&s->to_pod_fd);
}

static int *entry_fd(struct polc_shared *s, int i)
{
	return i == 0 ? &s->from_pod_fd : &s->to_pod_fd;
}

static int open_entry_object(struct bpf_object **out, struct polc_error *err)
{
	const struct embedded_file *f = embedded_find(polc_entry_objects, POLC_ENTRY_OBJECT);
	if (!f)
		return polc_errf(err, -ENOENT, "libpolc was built without its entry programs (%s)", POLC_ENTRY_OBJECT);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "polc_entry");
	struct bpf_object *obj = bpf_object__open_mem(f->data, f->size, &opts);
	if (!obj)
		return polc_errf_sys(err, -errno, "cannot open the embedded entry programs");
	for (int i = 0; i < POLC_NR_SHARED; i++) {
		if (!bpf_object__find_map_by_name(obj, shared_names[i])) {
			bpf_object__close(obj);
			return polc_errf(err, -EINVAL, "embedded entry object lacks map %s", shared_names[i]);
		}
	}
	for (int i = 0; i < 2; i++) {
		if (!bpf_object__find_program_by_name(obj, entry_prog_names[i])) {
			bpf_object__close(obj);
			return polc_errf(err, -EINVAL, "embedded entry object lacks program %s", entry_prog_names[i]);
		}
	}
	*out = obj;
	return 0;
}

static int dup_fd(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return d < 0 ? -errno : d;
}

uint32_t polc_obj_id(int fd)
{
	/* prog, map and link info all start with (type, id); the kernel accepts a short buffer. */
	struct {
		__u32 type;
		__u32 id;
	} info = { 0 };
	__u32 len = sizeof(info);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* Load the object's maps and programs and take our own fds on them. */
static int load_entry_object(struct bpf_object *obj, struct polc_shared *s, struct polc_error *err)
{
	int rc = bpf_object__load(obj);
	if (rc)
		return polc_errf_sys(err, rc, "cannot load the entry programs");
	for (int i = 0; i < POLC_NR_SHARED; i++) {
		if (s->map_fd[i] >= 0)
			continue;
		rc = dup_fd(bpf_map__fd(bpf_object__find_map_by_name(obj, shared_names[i])));
		if (rc < 0)
			return polc_errf_sys(err, rc, "dup");
		s->map_fd[i] = rc;
	}
	for (int i = 0; i < 2; i++) {
		if (*entry_fd(s, i) >= 0)
			continue;
		rc = dup_fd(bpf_program__fd(bpf_object__find_program_by_name(obj, entry_prog_names[i])));
		if (rc < 0)
			return polc_errf_sys(err, rc, "dup");
		*entry_fd(s, i) = rc;
	}
	return 0;
}

static void fill_ids(struct polc_shared *s, struct bpf_object *obj)
{
	s->from_pod_id = polc_obj_id(s->from_pod_fd);
	s->to_pod_id = polc_obj_id(s->to_pod_fd);
	s->ct_map_id = polc_obj_id(s->map_fd[POLC_SM_CT]);
	s->expected_attach_type =
		bpf_program__expected_attach_type(bpf_object__find_program_by_name(obj, POLC_PROG_FROM_POD));
}

int polc_shared_create(struct polc_shared *out, struct polc_error *err)
{
	struct bpf_object *obj = NULL;
	int rc = open_entry_object(&obj, err);
	if (rc)
		return rc;
	struct polc_shared s;
	polc_shared_init(&s);
	rc = load_entry_object(obj, &s, err);
	if (rc == 0)
		fill_ids(&s, obj);
	bpf_object__close(obj);
	if (rc) {
		polc_shared_release(&s);
		return rc;
	}
	*out = s;
	return 0;
}

/* A pinned map is reused only if it is what this build would create. */
static int check_pinned_map(int fd, const struct bpf_map *want, const char *path, struct polc_error *err)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (rc)
		return polc_errf_sys(err, rc, "%s: cannot query the pinned map", path);
	if (info.type != bpf_map__type(want) || info.key_size != bpf_map__key_size(want) ||
	    info.value_size != bpf_map__value_size(want) || info.max_entries != bpf_map__max_entries(want) ||
	    info.map_flags != bpf_map__map_flags(want))
		return polc_errf(err, -EEXIST,
				 "%s has another layout than this polc uses (type %u key %u value %u entries %u flags "
				 "%#x, expected type %u key %u value %u entries %u flags %#x): the pinned datapath was "
				 "made by another polc version; run polc unload first (conntrack state is lost)",
				 path, info.type, info.key_size, info.value_size, info.max_entries, info.map_flags,
				 bpf_map__type(want), bpf_map__key_size(want), bpf_map__value_size(want),
				 bpf_map__max_entries(want), bpf_map__map_flags(want));
	return 0;
}

/* A pinned entry program must be ours and must jump through the pinned prog array. */
static int check_pinned_prog(int fd, const char *name, uint32_t gen_prog_map_id, const char *path,
			     struct polc_error *err)
{
	__u32 map_ids[16] = { 0 };
	struct bpf_prog_info info = { 0 };
	info.nr_map_ids = POLC_ARRAY_SIZE(map_ids);
	info.map_ids = (__u64)(uintptr_t)map_ids;
	__u32 len = sizeof(info);
	int rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (rc)
		return polc_errf_sys(err, rc, "%s: not a BPF program", path);
	if (info.type != BPF_PROG_TYPE_SCHED_CLS || strncmp(info.name, name, sizeof(info.name)) != 0)
		return polc_errf(err, -EEXIST, "%s is not polc's %s program", path, name);
	for (__u32 i = 0; i < info.nr_map_ids && i < POLC_ARRAY_SIZE(map_ids); i++)
		if (map_ids[i] == gen_prog_map_id)
			return 0;
	return polc_errf(err, -EEXIST,
			 "%s does not use the pinned %s: the pin dir was tampered with; run polc unload first", path,
			 POLC_MAP_GEN_PROG);
}

static int pin_path(char *buf, size_t size, const char *pin_dir, const char *sub, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s/%s", pin_dir, sub, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int polc_shared_open_pinned(const char *pin_dir, bool create, struct polc_shared *out, bool *created,
			    struct polc_error *err)
{
	char path[PATH_MAX];
	bool had_map[POLC_NR_SHARED] = { false }, pinned_map[POLC_NR_SHARED] = { false };
	bool had_prog[2] = { false }, pinned_prog[2] = { false };
	bool missing = false;
	struct bpf_object *obj = NULL;
	struct polc_shared s;
	polc_shared_init(&s);

	int rc = open_entry_object(&obj, err);
	if (rc)
		return rc;

	for (int i = 0; i < POLC_NR_SHARED; i++) {
		if ((rc = pin_path(path, sizeof(path), pin_dir, "shared", shared_names[i])))
			goto fail_msg;
		int fd = bpf_obj_get(path);
		if (fd < 0) {
			rc = -errno;
			if (rc != -ENOENT) {
				polc_errf_sys(err, rc, "cannot open %s", path);
				goto fail;
			}
			missing = true;
			continue;
		}
		s.map_fd[i] = fd;
		struct bpf_map *m = bpf_object__find_map_by_name(obj, shared_names[i]);
		if ((rc = check_pinned_map(fd, m, path, err)))
			goto fail;
		if ((rc = bpf_map__reuse_fd(m, fd))) {
			polc_errf_sys(err, rc, "cannot reuse %s", path);
			goto fail;
		}
	}
	uint32_t gen_prog_id = polc_obj_id(s.map_fd[POLC_SM_GEN_PROG]);
	for (int i = 0; i < 2; i++) {
		if ((rc = pin_path(path, sizeof(path), pin_dir, "entry", entry_prog_names[i])))
			goto fail_msg;
		int fd = bpf_obj_get(path);
		if (fd < 0) {
			rc = -errno;
			if (rc != -ENOENT) {
				polc_errf_sys(err, rc, "cannot open %s", path);
				goto fail;
			}
			missing = true;
			continue;
		}
		*entry_fd(&s, i) = fd;
		if (gen_prog_id == 0) {
			rc = polc_errf(err, -EEXIST,
				       "%s is pinned but %s/shared/%s is not: the pin dir is damaged; run polc unload first",
				       path, pin_dir, POLC_MAP_GEN_PROG);
			goto fail;
		}
		if ((rc = check_pinned_prog(fd, entry_prog_names[i], gen_prog_id, path, err)))
			goto fail;
	}

	if (missing) {
		if (!create) {
			rc = polc_errf(err, -ENOENT, "no polc datapath pinned at %s", pin_dir);
			goto fail;
		}
		for (int i = 0; i < POLC_NR_SHARED; i++)
			had_map[i] = s.map_fd[i] >= 0;
		for (int i = 0; i < 2; i++)
			had_prog[i] = *entry_fd(&s, i) >= 0;
		if (!had_map[POLC_SM_GEN_PROG] && (had_prog[0] || had_prog[1])) {
			rc = polc_errf(err, -EEXIST, "entry programs pinned at %s without their prog array; run polc unload first",
				       pin_dir);
			goto fail;
		}
		if ((rc = load_entry_object(obj, &s, err)))
			goto fail;
		for (int i = 0; i < POLC_NR_SHARED; i++) {
			if (had_map[i])
				continue;
			if ((rc = pin_path(path, sizeof(path), pin_dir, "shared", shared_names[i])))
				goto unpin;
			if (bpf_obj_pin(s.map_fd[i], path)) {
				rc = polc_errf_sys(err, -errno, "cannot pin %s", path);
				goto unpin;
			}
			pinned_map[i] = true;
		}
		for (int i = 0; i < 2; i++) {
			if (had_prog[i])
				continue;
			if ((rc = pin_path(path, sizeof(path), pin_dir, "entry", entry_prog_names[i])))
				goto unpin;
			if (bpf_obj_pin(*entry_fd(&s, i), path)) {
				rc = polc_errf_sys(err, -errno, "cannot pin %s", path);
				goto unpin;
			}
			pinned_prog[i] = true;
		}
	}
	fill_ids(&s, obj);
	bpf_object__close(obj);
	*created = missing;
	*out = s;
	return 0;

unpin:
	/* Only what this call pinned: a pin that was there before stays. */
	for (int i = 0; i < POLC_NR_SHARED; i++)
		if (pinned_map[i] && !pin_path(path, sizeof(path), pin_dir, "shared", shared_names[i]))
			unlink(path);
	for (int i = 0; i < 2; i++)
		if (pinned_prog[i] && !pin_path(path, sizeof(path), pin_dir, "entry", entry_prog_names[i]))
			unlink(path);
	goto fail;
fail_msg:
	polc_errf(err, rc, "pin dir %s: path too long", pin_dir);
fail:
	polc_shared_release(&s);
	bpf_object__close(obj);
	return rc;
}

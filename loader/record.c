/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The live state of a generation (compiler/driver/reresolve.h: the
 * artifact's sources and tables, the pods changed since it was loaded),
 * kept where the generation is: bpffs holds no files, so it is a frozen
 * BPF array map, PIN/gen/<generation>/polc_record, whose values are the
 * bytes of an artifact container in chunks. It lives and dies with its
 * generation (unload and a swap remove the directory), any process can
 * read it (polc status, polc monitor), and it is replaced atomically: a
 * new map is filled, frozen, pinned as polc_record_new and renamed over
 * polc_record. A reader sees the old state or the new, never half.
 *
 *   value 0..n-1   the stream: struct record_header, then the container
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define RECORD_MAGIC 0x4345524350434c50ull /* "PLCPCREC" */
#define RECORD_VERSION 1
/* Records are sources plus tables: tens of KiB usually, MiBs for big policy sets. */
#define RECORD_CHUNK_SMALL 16384u
#define RECORD_CHUNK_LARGE 262144u
#define RECORD_MAX_SIZE (256u << 20)

struct record_header {
	uint64_t magic;
	uint32_t version;
	uint32_t chunk;
	uint64_t size; /* bytes of the container after this header */
	uint64_t hash; /* polc_hash64 of them */
};

int polc_record_path(char *buf, size_t size, const char *gen_dir, bool fresh)
{
	return polc_path(buf, size, "%s/%s", gen_dir, fresh ? POLC_RECORD_NEW : POLC_RECORD);
}

int polc_record_write(const char *gen_dir, const void *data, size_t size, struct polc_error *err)
{
	if (size > RECORD_MAX_SIZE)
		return polc_errf(err, -E2BIG, "live state of %zu bytes is too large", size);
	uint32_t chunk = size + sizeof(struct record_header) > 64 * RECORD_CHUNK_SMALL ? RECORD_CHUNK_LARGE
										      : RECORD_CHUNK_SMALL;
	size_t total = sizeof(struct record_header) + size;
	uint32_t n = (uint32_t)((total + chunk - 1) / chunk);
	_cleanup_free_ uint8_t *stream = calloc(n, chunk);
	if (!stream)
		return polc_errf(err, -ENOMEM, "out of memory");
	struct record_header h = {
		.magic = RECORD_MAGIC,
		.version = RECORD_VERSION,
		.chunk = chunk,
		.size = size,
		.hash = polc_hash64(data, size, POLC_HASH_SEED),
	};
	memcpy(stream, &h, sizeof(h));
	if (size)
		memcpy(stream + sizeof(h), data, size);

	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_RDONLY_PROG);
	_cleanup_close_ int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "polc_record", sizeof(__u32), chunk, n, &mo);
	if (fd < 0)
		return polc_errf_sys(err, -errno, "cannot create the live state map (%u x %u bytes)", n, chunk);
	for (__u32 i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &i, stream + (size_t)i * chunk, BPF_ANY))
			return polc_errf_sys(err, -errno, "cannot fill the live state map");
	/* Read-only from now on, for every process: a state is replaced, never edited. */
	if (bpf_map_freeze(fd))
		return polc_errf_sys(err, -errno, "cannot freeze the live state map");

	char fresh[PATH_MAX], path[PATH_MAX];
	if (polc_record_path(fresh, sizeof(fresh), gen_dir, true) || polc_record_path(path, sizeof(path), gen_dir, false))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", gen_dir);
	unlink(fresh); /* a killed writer's leftover */
	if (bpf_obj_pin(fd, fresh))
		return polc_errf_sys(err, -errno, "cannot pin %s", fresh);
	if (rename(fresh, path)) {
		int rc = -errno;
		unlink(fresh);
		return polc_errf_sys(err, rc, "cannot move %s to %s", fresh, path);
	}
	return 0;
}

int polc_record_read_fd(int fd, const char *what, struct polc_artifact **out, struct polc_error *err)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return polc_errf_sys(err, -errno, "%s: cannot query", what);
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size < sizeof(struct record_header) || info.max_entries == 0)
		return polc_errf(err, -EINVAL, "%s is not a polc live state", what);
	size_t cap = (size_t)info.value_size * info.max_entries;
	if (cap > RECORD_MAX_SIZE + 2 * (size_t)RECORD_CHUNK_LARGE)
		return polc_errf(err, -EINVAL, "%s is not a polc live state (%zu bytes)", what, cap);
	_cleanup_free_ uint8_t *stream = malloc(cap);
	if (!stream)
		return polc_errf(err, -ENOMEM, "out of memory");
	__u32 key = 0;
	if (bpf_map_lookup_elem(fd, &key, stream))
		return polc_errf_sys(err, -errno, "%s: cannot read", what);
	struct record_header h;
	memcpy(&h, stream, sizeof(h));
	if (h.magic != RECORD_MAGIC || h.version != RECORD_VERSION || h.chunk != info.value_size ||
	    h.size > cap - sizeof(h))
		return polc_errf(err, -EINVAL, "%s is not a polc live state of this version", what);
	uint32_t n = (uint32_t)((sizeof(h) + h.size + h.chunk - 1) / h.chunk);
	for (key = 1; key < n; key++)
		if (bpf_map_lookup_elem(fd, &key, stream + (size_t)key * h.chunk))
			return polc_errf_sys(err, -errno, "%s: cannot read", what);
	if (polc_hash64(stream + sizeof(h), h.size, POLC_HASH_SEED) != h.hash)
		return polc_errf(err, -EINVAL, "%s is damaged (hash mismatch)", what);
	char msg[256];
	int rc = polc_artifact_parse(stream + sizeof(h), h.size, out, msg, sizeof(msg));
	if (rc)
		return polc_errf(err, rc, "%s: %s", what, msg);
	return 0;
}

int polc_record_read(const char *gen_dir, struct polc_artifact **out, struct polc_error *err)
{
	char path[PATH_MAX];
	if (polc_record_path(path, sizeof(path), gen_dir, false))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", gen_dir);
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return polc_errf(err, -ENOENT, "the live generation has no live state (%s): it was loaded by "
							"an older polc; load the policy again with this one",
					 path);
		return polc_errf_sys(err, -errno, "cannot open %s", path);
	}
	return polc_record_read_fd(fd, path, out, err);
}

/* ---- live/info ---- */

int polc_record_info(const struct polc_artifact *rec, const char *key, char *buf, size_t size)
{
	size_t len = 0;
	const char *text = polc_artifact_section(rec, "live/info", &len);
	size_t klen = strlen(key);
	for (const char *line = text, *end = text ? text + len : NULL; line && line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if ((size_t)(le - line) > klen && memcmp(line, key, klen) == 0 && line[klen] == '=') {
			size_t vlen = (size_t)(le - line) - klen - 1;
			if (vlen >= size)
				return -ENAMETOOLONG;
			memcpy(buf, line + klen + 1, vlen);
			buf[vlen] = '\0';
			return 0;
		}
		line = nl ? nl + 1 : end;
	}
	return -ENOENT;
}

int polc_record_info_u64(const struct polc_artifact *rec, const char *key, int base, uint64_t *out)
{
	char buf[64], *end;
	int rc = polc_record_info(rec, key, buf, sizeof(buf));
	if (rc)
		return rc;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, base);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- the generation's polc_gen_state, live ---- */

int polc_live_state_write(const char *gen_dir, const struct polc_artifact *rec, const uint32_t *revision,
			  const uint32_t *flags, struct polc_error *err)
{
	char name[BPF_OBJ_NAME_LEN];
	uint64_t offset = 0;
	if (polc_record_info(rec, "state_map", name, sizeof(name)) || polc_record_info_u64(rec, "state_offset", 10, &offset))
		return polc_errf(err, -EPROTO, "the live state does not say where the generation's revision is");
	char path[PATH_MAX];
	if (polc_path(path, sizeof(path), "%s/%s", gen_dir, name))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", gen_dir);
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return polc_errf_sys(err, -errno, "cannot open %s", path);
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != 4 ||
	    offset + sizeof(struct polc_gen_state) > info.value_size)
		return polc_errf(err, -EPROTO, "%s is not where polc_gen_state is", path);
	_cleanup_free_ uint8_t *val = malloc(info.value_size);
	if (!val)
		return polc_errf(err, -ENOMEM, "out of memory");
	__u32 zero = 0;
	if (bpf_map_lookup_elem(fd, &zero, val))
		return polc_errf_sys(err, -errno, "cannot read %s", path);
	/* The program reads the state once per packet: each field is one aligned word, written whole. */
	struct polc_gen_state st;
	memcpy(&st, val + offset, sizeof(st));
	if (revision)
		st.revision = *revision;
	if (flags)
		st.flags = *flags;
	memcpy(val + offset, &st, sizeof(st));
	if (bpf_map_update_elem(fd, &zero, val, BPF_ANY))
		return polc_errf_sys(err, -errno, "cannot write %s", path);
	return 0;
}

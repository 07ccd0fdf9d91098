/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libpolc's datapath calls (polc/libpolc.h): first load, atomic swap,
 * repair and unload of a pinned datapath.
 *
 * A swap is built like bpfilter's bf_cgen_update: everything new is
 * created, verified, filled and pinned aside (staging/) first; then one
 * bpf_map_update_elem of polc_gen_prog[0] makes it live for every
 * endpoint at once; only then are interfaces attached and detached. Up to
 * the moment the staging dir becomes gen/ any failure puts the old
 * generation back in slot 0 and removes what was added, so the caller
 * sees either the new policy complete or the old one untouched.
 *
 * The live generation is always found from the program id in slot 0, so
 * a loader killed anywhere leaves the old (or the complete new) policy
 * enforcing, and the next call finds it and clears the rest away.
 */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "driver/reresolve.h"
#include "loader/cleanup.h"
#include "loader/loader.h"

#define LOCK_TIMEOUT_DEFAULT_MS 30000u

/* The libbpf way to accept opts structs of other sizes (see polc/libpolc.h). */
#define OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))
#define OPTS_GET(opts, field, def) (OPTS_HAS(opts, field) ? (opts)->field : (def))

static bool opts_tail_zero(const void *opts, size_t user_sz, size_t our_sz)
{
	for (size_t i = our_sz; i < user_sz; i++)
		if (((const uint8_t *)opts)[i])
			return false;
	return true;
}

const char *polc_apply_outcome_str(enum polc_apply_outcome outcome)
{
	switch (outcome) {
	case POLC_APPLY_LOADED:
		return "loaded";
	case POLC_APPLY_SWAPPED:
		return "swapped";
	case POLC_APPLY_UNCHANGED:
		return "unchanged";
	}
	return "unknown";
}

const char *polc_attach_mode_str(enum polc_attach_mode mode)
{
	switch (mode) {
	case POLC_ATTACH_AUTO:
		return "auto";
	case POLC_ATTACH_TCX:
		return "tcx";
	case POLC_ATTACH_CLSACT:
		return "clsact";
	}
	return "unknown";
}

/* ---- open / close ---- */

static int normalize_pin_dir(const char *in, char *out, size_t size, struct polc_error *err)
{
	size_t len = strlen(in);
	while (len > 1 && in[len - 1] == '/')
		len--;
	/* Room for the deepest pin: /gen/<16 hex>-<id>/<map name>. */
	if (len == 0 || in[0] != '/' || len + 64 >= size)
		return polc_errf(err, -EINVAL, "pin dir '%s' must be an absolute path shorter than %zu bytes", in,
				 size - 64);
	if (len == 1)
		return polc_errf(err, -EINVAL, "pin dir must not be /");
	for (const char *p = in; p < in + len; p++) {
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p + 3 == in + len))
			return polc_errf(err, -EINVAL, "pin dir '%s' must not contain '..'", in);
	}
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

int polc_datapath_open(const struct polc_datapath_opts *opts, struct polc_datapath **out, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (opts && (opts->sz < sizeof(size_t) || !opts_tail_zero(opts, opts->sz, sizeof(*opts))))
		return polc_errf(err, -EINVAL, "polc_datapath_opts: unknown fields (libpolc is older than the caller)");
	const char *pin_dir = OPTS_GET(opts, pin_dir, NULL);
	enum polc_attach_mode mode = OPTS_GET(opts, attach_mode, POLC_ATTACH_AUTO);
	unsigned timeout = OPTS_GET(opts, lock_timeout_ms, 0u);
	enum polc_events events = OPTS_GET(opts, events, POLC_EVENTS_DEFAULT);
	if (mode != POLC_ATTACH_AUTO && mode != POLC_ATTACH_TCX && mode != POLC_ATTACH_CLSACT)
		return polc_errf(err, -EINVAL, "unknown attach mode %d", (int)mode);
	uint32_t gen_events;
	switch (events) {
	case POLC_EVENTS_DEFAULT:
	case POLC_EVENTS_ALL:
		gen_events = POLC_GEN_F_EVENTS_DROP | POLC_GEN_F_EVENTS_ALLOW;
		break;
	case POLC_EVENTS_DROPS:
		gen_events = POLC_GEN_F_EVENTS_DROP;
		break;
	case POLC_EVENTS_NONE:
		gen_events = 0;
		break;
	default:
		return polc_errf(err, -EINVAL, "unknown events setting %d", (int)events);
	}

	struct polc_datapath *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return polc_errf(err, -ENOMEM, "out of memory");
	int rc = normalize_pin_dir(pin_dir ? pin_dir : POLC_DEFAULT_PIN_DIR, dp->pin_dir, sizeof(dp->pin_dir), err);
	if (rc == 0)
		rc = polc_bpffs_prepare(dp->pin_dir, err);
	if (rc) {
		free(dp);
		return rc;
	}
	dp->mode = mode;
	dp->lock_timeout_ms = timeout ? timeout : LOCK_TIMEOUT_DEFAULT_MS;
	dp->events = gen_events;
	*out = dp;
	return 0;
}

void polc_datapath_close(struct polc_datapath *dp)
{
	if (!dp)
		return;
	rr_cache_free(dp->rr_cache);
	free(dp);
}

/* ---- pin dir paths ---- */

int polc_pin_path(char *buf, size_t size, const char *pin_dir, const char *sub, const char *name)
{
	return name ? polc_path(buf, size, "%s/%s/%s", pin_dir, sub, name) : polc_path(buf, size, "%s/%s", pin_dir, sub);
}

static int sub_path(char *buf, size_t size, const struct polc_datapath *dp, const char *sub, const char *name)
{
	return polc_pin_path(buf, size, dp->pin_dir, sub, name);
}

static const char *const pin_subdirs[] = { "shared", "entry", "links", "gen", "staging" };

static int make_subdirs(const struct polc_datapath *dp, struct polc_error *err)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < POLC_ARRAY_SIZE(pin_subdirs); i++) {
		sub_path(path, sizeof(path), dp, pin_subdirs[i], NULL);
		int rc = polc_mkdir_p(path, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* "<16 hex>-<prog id>", the name of a generation's directory. */
static bool parse_gen_name(const char *name, uint64_t *revision, uint32_t *prog_id)
{
	char *end;
	if (strlen(name) < 18 || name[16] != '-')
		return false;
	for (int i = 0; i < 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	unsigned long long rev = strtoull(name, NULL, 16);
	unsigned long id = strtoul(name + 17, &end, 10);
	if (*end || id == 0 || id > UINT32_MAX)
		return false;
	*revision = rev;
	*prog_id = (uint32_t)id;
	return true;
}

/* ---- the live generation ---- */

static uint32_t slot0_prog_id(const struct polc_shared *sh)
{
	__u32 key = 0, id = 0;
	if (bpf_map_lookup_elem(sh->map_fd[POLC_SM_GEN_PROG], &key, &id))
		return 0;
	return id;
}

/* Is dir/polc_gen the program with this id? */
static bool gen_dir_holds(const char *dir, uint32_t prog_id)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, POLC_PROG_GEN) >= sizeof(path))
		return false;
	_cleanup_close_ int fd = bpf_obj_get(path);
	return fd >= 0 && polc_obj_id(fd) == prog_id;
}

void polc_live_release(struct polc_live *lv)
{
	polc_closep(&lv->prog_fd);
}

/*
 * Find the live generation; with recover, move it to gen/ if a killed
 * loader left it in staging/, and remove every other generation
 * directory (leftovers of failed or killed loaders: nothing points at
 * them) and a live state a killed writer left half-pinned.
 */
int polc_live_find(const char *pin_dir, const struct polc_shared *sh, bool recover, struct polc_live *out,
		   struct polc_error *err)
{
	struct polc_live lv = { .prog_fd = -1 };
	char dir[PATH_MAX], path[PATH_MAX], dest[PATH_MAX];
	lv.prog_id = slot0_prog_id(sh);
	if (lv.prog_id) {
		lv.prog_fd = bpf_prog_get_fd_by_id(lv.prog_id);
		if (lv.prog_fd < 0) {
			if (errno != ENOENT)
				return polc_errf_sys(err, -errno, "cannot open the live generation (program id %u)",
						     lv.prog_id);
			lv.prog_id = 0;
		}
	}
	static const char *const where[] = { "gen", "staging" };
	for (size_t w = 0; w < POLC_ARRAY_SIZE(where); w++) {
		polc_pin_path(dir, sizeof(dir), pin_dir, where[w], NULL);
		DIR *d = opendir(dir);
		if (!d)
			continue;
		struct dirent *e;
		int rc = 0;
		while ((e = readdir(d)) && rc == 0) {
			uint64_t rev;
			uint32_t id;
			if (e->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
				continue;
			if (!parse_gen_name(e->d_name, &rev, &id))
				continue; /* not a generation of ours: not ours to remove */
			if (lv.prog_id && id == lv.prog_id && !lv.name[0] && gen_dir_holds(path, lv.prog_id)) {
				lv.has_revision = true;
				lv.revision = rev;
				polc_path(lv.name, sizeof(lv.name), "%s", e->d_name); /* parse_gen_name: short */
				polc_path(lv.dir, sizeof(lv.dir), "%s", path);
				if (w == 1 && recover) {
					/* Killed after the switch: finish what it started. */
					polc_pin_path(dest, sizeof(dest), pin_dir, "gen", e->d_name);
					if (rename(path, dest))
						rc = polc_errf_sys(err, -errno, "cannot move %s to %s", path, dest);
					else
						polc_path(lv.dir, sizeof(lv.dir), "%s", dest);
				}
				if (rc == 0 && recover) {
					char fresh[PATH_MAX];
					if (polc_record_path(fresh, sizeof(fresh), lv.dir, true) == 0)
						unlink(fresh);
				}
				continue;
			}
			if (recover)
				rc = polc_unpin_dir(path, err);
		}
		closedir(d);
		if (rc) {
			polc_closep(&lv.prog_fd);
			return rc;
		}
	}
	*out = lv;
	return 0;
}

/* Does the live generation's polc_endpoints hold exactly these endpoints? */
static bool endpoints_unchanged(const struct polc_live *lv, const struct polc_eps *eps)
{
	char path[PATH_MAX];
	if (!lv->name[0] || polc_path(path, sizeof(path), "%s/%s", lv->dir, POLC_MAP_ENDPOINTS))
		return false;
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != sizeof(struct polc_endpoint_key) ||
	    info.value_size != sizeof(struct polc_endpoint))
		return false;
	for (size_t i = 0; i < eps->n; i++) {
		struct polc_endpoint_key key = { .ifindex = eps->v[i].ifindex };
		struct polc_endpoint val;
		if (bpf_map_lookup_elem(fd, &key, &val) || memcmp(&val, &eps->v[i].value, sizeof(val)) != 0)
			return false;
	}
	/* Same entries; same count means nothing extra. */
	size_t count = 0;
	struct polc_endpoint_key k, next, *prev = NULL;
	while (count <= eps->n && bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		count++;
	}
	return count == eps->n;
}

/*
 * Is the live generation exactly its artifact: no pod changed since it
 * was loaded (polc endpoint)? A generation without a live state (loaded
 * by an older polc) is taken at its word.
 */
static bool live_is_artifact(const struct polc_live *lv)
{
	struct polc_artifact *rec = NULL;
	if (polc_record_read(lv->dir, &rec, NULL))
		return true;
	uint64_t base = 0, rev = 1;
	char pending[8];
	bool same = polc_record_info_u64(rec, "base_revision", 16, &base) == 0 &&
		    polc_record_info_u64(rec, "revision", 16, &rev) == 0 && base == rev &&
		    polc_record_info(rec, "pending", pending, sizeof(pending)) != 0;
	polc_artifact_free(rec);
	return same;
}

/* ---- attachments ---- */

struct touched {
	struct polc_attach_rec *v; /* interfaces this call attached or repaired */
	size_t n;
};

static int touch(struct touched *t, uint32_t ifindex, const char *ifname, enum polc_attach_mode mode)
{
	struct polc_attach_rec *p = realloc(t->v, (t->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->v = p;
	memset(&p[t->n], 0, sizeof(p[t->n]));
	p[t->n].ifindex = ifindex;
	p[t->n].mode = (uint32_t)mode;
	snprintf(p[t->n].ifname, sizeof(p[t->n].ifname), "%s", ifname);
	t->n++;
	return 0;
}

static void untouch_all(const struct polc_attacher *at, struct touched *t)
{
	for (size_t i = 0; i < t->n; i++)
		polc_detach_iface(at, &t->v[i], NULL);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int attach_all(const struct polc_attacher *at, const struct polc_eps *eps, enum polc_attach_mode mode,
		      struct touched *t, uint32_t *attached, struct polc_error *err)
{
	for (size_t i = 0; i < eps->n; i++) {
		const struct polc_ep *ep = &eps->v[i];
		bool changed = false;
		int rc = polc_attach_iface(at, ep->ifindex, ep->ifname, mode, &changed, err);
		if ((changed || rc) && touch(t, ep->ifindex, ep->ifname, mode))
			return polc_errf(err, -ENOMEM, "out of memory");
		if (rc) {
			polc_err_prefix(err, "endpoint %s", ep->pod);
			return rc;
		}
		*attached += changed;
	}
	return 0;
}

static bool listed(const struct polc_eps *eps, uint32_t ifindex)
{
	for (size_t i = 0; i < eps->n; i++)
		if (eps->v[i].ifindex == ifindex)
			return true;
	return false;
}

/* After the commit: interfaces no longer listed lose polc. Failures are counted, retried next time. */
static void detach_unlisted(const struct polc_attacher *at, const struct polc_eps *eps,
			    struct polc_apply_result *r)
{
	struct polc_attach_rec *recs = NULL;
	size_t n = 0;
	if (polc_attach_list(at->rec_fd, &recs, &n, NULL)) {
		r->detach_failed++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (listed(eps, recs[i].ifindex) || polc_attach_keep_prepared(&recs[i]))
			continue;
		if (polc_detach_iface(at, &recs[i], NULL) == 0)
			r->detached++;
		else
			r->detach_failed++;
	}
	free(recs);
	recs = NULL;
	if (polc_attach_list(at->rec_fd, &recs, &n, NULL) == 0) {
		if (polc_detach_stray_links(at, recs, n, NULL) < 0)
			r->detach_failed++;
		free(recs);
	}
}

int polc_choose_mode(const struct polc_datapath *dp, int rec_fd, uint32_t probe_ifindex, enum polc_attach_mode *out,
		     struct polc_error *err)
{
	_cleanup_free_ struct polc_attach_rec *recs = NULL;
	size_t n = 0;
	int rc = polc_attach_list(rec_fd, &recs, &n, err);
	if (rc)
		return rc;
	enum polc_attach_mode existing = n ? (enum polc_attach_mode)POLC_ATTACH_MODE(recs[0].mode) : POLC_ATTACH_AUTO;
	if (existing != POLC_ATTACH_TCX && existing != POLC_ATTACH_CLSACT)
		existing = POLC_ATTACH_AUTO;
	if (dp->mode != POLC_ATTACH_AUTO && existing != POLC_ATTACH_AUTO && dp->mode != existing)
		return polc_errf(err, -EEXIST,
				 "the datapath at %s is attached with %s; unload it first to use %s", dp->pin_dir,
				 polc_attach_mode_str(existing), polc_attach_mode_str(dp->mode));
	enum polc_attach_mode mode = dp->mode != POLC_ATTACH_AUTO ? dp->mode : existing;
	if (probe_ifindex && mode != POLC_ATTACH_CLSACT) {
		bool tcx = polc_tcx_supported(probe_ifindex);
		if (mode == POLC_ATTACH_TCX && !tcx)
			return polc_errf(err, -EOPNOTSUPP,
					 "this kernel has no tcx (needs Linux 6.6 or newer); use attach mode clsact");
		mode = tcx ? POLC_ATTACH_TCX : POLC_ATTACH_CLSACT;
	}
	*out = mode;
	return 0;
}

/* ---- teardown (unload, and undoing a failed first load) ---- */

static void open_entry_ids(const struct polc_datapath *dp, struct polc_shared *sh)
{
	/* Only the ids, and without layout checks: an incompatible datapath must still unload. */
	char path[PATH_MAX];
	if (sub_path(path, sizeof(path), dp, "entry", POLC_PROG_FROM_POD) == 0) {
		_cleanup_close_ int fd = bpf_obj_get(path);
		sh->from_pod_id = polc_obj_id(fd);
	}
	if (sub_path(path, sizeof(path), dp, "entry", POLC_PROG_TO_POD) == 0) {
		_cleanup_close_ int fd = bpf_obj_get(path);
		sh->to_pod_id = polc_obj_id(fd);
	}
}

static int unpin_name(const struct polc_datapath *dp, const char *sub, const char *name, struct polc_error *err)
{
	char path[PATH_MAX];
	if (sub_path(path, sizeof(path), dp, sub, name))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", dp->pin_dir);
	if (unlink(path) && errno != ENOENT)
		return polc_errf_sys(err, -errno, "cannot unpin %s", path);
	return 0;
}

static int remove_gen_dirs(const struct polc_datapath *dp, const char *where, const char *keep,
			   struct polc_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	sub_path(dir, sizeof(dir), dp, where, NULL);
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot open %s", dir);
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) && rc == 0) {
		uint64_t rev;
		uint32_t id;
		if (!parse_gen_name(e->d_name, &rev, &id) || (keep && strcmp(e->d_name, keep) == 0))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			rc = polc_unpin_dir(path, err);
	}
	closedir(d);
	return rc;
}

/*
 * Detach every recorded interface. Only the keys (ifindex) are trusted:
 * the record map may come from another polc version (that is when users
 * are told to unload), so both ways of attaching are undone everywhere.
 */
static int detach_recorded(const struct polc_datapath *dp, const struct polc_shared *sh, struct polc_error *err)
{
	char path[PATH_MAX];
	sub_path(path, sizeof(path), dp, "shared", POLC_MAP_ATTACH);
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot open %s", path);
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != sizeof(__u32))
		return polc_errf(err, -EINVAL, "%s is not an attachment record map", path);
	_cleanup_free_ uint8_t *value = calloc(1, info.value_size ? info.value_size : 1);
	if (!value)
		return polc_errf(err, -ENOMEM, "out of memory");
	struct polc_attacher at = { .pin_dir = dp->pin_dir, .rec_fd = fd, .sh = sh };
	/* Deleting while iterating restarts the walk from the start: bounded by the map size. */
	for (__u32 iter = 0; iter <= info.max_entries; iter++) {
		__u32 key;
		if (bpf_map_get_next_key(fd, NULL, &key))
			return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot read %s", path);
		struct polc_attach_rec rec = { .ifindex = key, .mode = POLC_ATTACH_CLSACT };
		if (info.value_size == sizeof(rec) && bpf_map_lookup_elem(fd, &key, value) == 0) {
			const struct polc_attach_rec *stored = (const struct polc_attach_rec *)value;
			memcpy(rec.ifname, stored->ifname, sizeof(rec.ifname) - 1);
			/* A record of our own layout says how it was attached; trust it for the mode. */
			if (POLC_ATTACH_MODE(stored->mode) == POLC_ATTACH_TCX)
				rec.mode = POLC_ATTACH_TCX;
		} else {
			snprintf(rec.ifname, sizeof(rec.ifname), "ifindex %u", key);
		}
		int rc = polc_detach_iface(&at, &rec, err);
		if (rc) {
			polc_err_prefix(err, "unload");
			return rc; /* the record stays: a retry detaches what is left */
		}
	}
	return polc_errf(err, -EBUSY, "%s keeps changing", path);
}

static int teardown(const struct polc_datapath *dp, struct polc_error *err)
{
	struct polc_shared sh;
	polc_shared_init(&sh);
	open_entry_ids(dp, &sh);
	char path[PATH_MAX];

	/* Interfaces first: an entry program with nothing in slot 0 drops every packet. */
	int rc = detach_recorded(dp, &sh, err);
	if (rc)
		return rc;
	struct polc_attacher at = { .pin_dir = dp->pin_dir, .rec_fd = -1, .sh = &sh };
	int stray = polc_detach_stray_links(&at, NULL, 0, err);
	if (stray < 0)
		return stray;

	if (sub_path(path, sizeof(path), dp, "shared", POLC_MAP_GEN_PROG) == 0) {
		_cleanup_close_ int fd = bpf_obj_get(path);
		__u32 key = 0;
		if (fd >= 0)
			bpf_map_delete_elem(fd, &key);
	}
	if ((rc = remove_gen_dirs(dp, "staging", NULL, err)) || (rc = remove_gen_dirs(dp, "gen", NULL, err)))
		return rc;
	/* Only the names polc pins: a pin dir shared with something else keeps its things. */
	static const char *const entry_names[] = { POLC_PROG_FROM_POD, POLC_PROG_TO_POD };
	for (size_t i = 0; i < POLC_ARRAY_SIZE(entry_names); i++)
		if ((rc = unpin_name(dp, "entry", entry_names[i], err)))
			return rc;
	for (int i = 0; i < POLC_NR_SHARED; i++)
		if ((rc = unpin_name(dp, "shared", polc_shared_map_name(i), err)))
			return rc;
	if ((rc = unpin_name(dp, "shared", POLC_MAP_ATTACH, err)))
		return rc;
	/* Directories go if empty; anything left in them is not ours, and stays. */
	for (size_t i = 0; i < POLC_ARRAY_SIZE(pin_subdirs); i++) {
		sub_path(path, sizeof(path), dp, pin_subdirs[i], NULL);
		rmdir(path);
	}
	rmdir(dp->pin_dir);
	return 0;
}

int polc_datapath_unload(struct polc_datapath *dp, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct stat st;
	if (stat(dp->pin_dir, &st) && errno == ENOENT)
		return 0;
	if (!polc_have_bpf_privileges())
		return polc_errf(err, -EPERM, "unloading polc needs root, or CAP_BPF and CAP_NET_ADMIN");
	_cleanup_close_ int lock = -1;
	int rc = polc_lock_dir(dp->pin_dir, false, dp->lock_timeout_ms, &lock, err);
	if (rc == -ENOENT) {
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;
	}
	if (rc)
		return rc;
	return teardown(dp, err);
}

/* ---- apply ---- */

static void write_result(struct polc_apply_result *out, const struct polc_apply_result *r)
{
	if (!out || out->sz < sizeof(size_t))
		return;
	size_t n = out->sz < sizeof(*r) ? out->sz : sizeof(*r);
	memcpy((uint8_t *)out + sizeof(size_t), (const uint8_t *)r + sizeof(size_t), n - sizeof(size_t));
}

/* Everything apply holds; released in one place whatever the outcome. */
struct apply {
	struct polc_datapath *dp;
	const struct polc_artifact *art;
	struct polc_art_meta meta;
	struct polc_eps eps;
	struct polc_gen *gen;
	int lock_fd;
	struct polc_shared sh;
	int rec_fd;
	struct polc_live live;
	struct polc_attacher at;
	enum polc_attach_mode mode;
	struct touched touched;
	char staging[PATH_MAX];
	char gen_name[64];
	bool live_known; /* live tells whether a generation was live (recover_live ran, or no datapath) */
	bool staged;
	bool switched;
};

static void apply_release(struct apply *a)
{
	polc_gen_free(a->gen);
	polc_eps_free(&a->eps);
	polc_shared_release(&a->sh);
	polc_closep(&a->rec_fd);
	polc_live_release(&a->live);
	free(a->touched.v);
	polc_closep(&a->lock_fd);
}

/* Put back what apply changed before its commit point. */
static void apply_rollback(struct apply *a)
{
	untouch_all(&a->at, &a->touched);
	if (a->switched) {
		__u32 key = 0;
		int gen_prog = a->sh.map_fd[POLC_SM_GEN_PROG];
		if (a->live.prog_fd >= 0)
			bpf_map_update_elem(gen_prog, &key, &a->live.prog_fd, BPF_ANY);
		else
			bpf_map_delete_elem(gen_prog, &key);
	}
	if (a->staged)
		polc_unpin_dir(a->staging, NULL);
	/*
	 * A failed first load leaves nothing behind: no half datapath with an
	 * empty slot 0. Only when we know nothing was live: a datapath we
	 * could not even read (another polc's layout) is not ours to remove.
	 */
	if (a->live_known && a->live.prog_fd < 0)
		teardown(a->dp, NULL);
}

/* Every interface still has the index the generation was built with. */
static int recheck_interfaces(const struct polc_eps *eps, struct polc_error *err)
{
	for (size_t i = 0; i < eps->n; i++) {
		uint32_t idx = 0;
		if (polc_resolve_netns(eps->v[i].ifname, &idx, NULL) || idx != eps->v[i].ifindex)
			return polc_errf(err, -ENODEV, "interface %s of endpoint %s %s while the policy was loading",
					 eps->v[i].ifname, eps->v[i].pod, idx ? "was recreated" : "disappeared");
	}
	return 0;
}

static int apply_prepare(struct apply *a, struct polc_error *err)
{
	int rc = polc_meta_read(a->art, &a->meta, err);
	if (rc)
		return rc;
	size_t len = 0;
	const char *text = polc_artifact_section(a->art, "meta/endpoints", &len);
	if (!text)
		return polc_errf(err, -EINVAL, "artifact has no meta/endpoints section");
	if ((rc = polc_eps_parse(text, len, a->meta.endpoints_max, &a->eps, err)))
		return rc;
	if ((rc = polc_eps_resolve(&a->eps, NULL, NULL, err)))
		return rc;
	return polc_gen_open(a->art, &a->meta, &a->gen, err);
}

/*
 * The same generation asked for with other event flags: flags are no part
 * of the policy, so they change in place (and in the live state), not by
 * a swap.
 */
static int apply_events(struct apply *a, struct polc_error *err)
{
	struct polc_artifact *rec = NULL;
	uint64_t live = 0;
	if (polc_record_read(a->live.dir, &rec, NULL))
		return 0; /* loaded by an older polc: it keeps what it has */
	int rc = 0;
	if (polc_record_info_u64(rec, "events", 10, &live) == 0 && live != a->dp->events) {
		rc = polc_live_state_write(a->live.dir, rec, NULL, &a->dp->events, err);
		void *state = NULL;
		size_t size = 0;
		if (rc == 0)
			rc = rr_state_set_info(rec, "events", a->dp->events, &state, &size);
		if (rc == 0)
			rc = polc_record_write(a->live.dir, state, size, err);
		else if (err && !err->errnum)
			polc_errf(err, rc, "cannot update the live state: %s", strerror(-rc));
		free(state);
	}
	polc_artifact_free(rec);
	return rc;
}

int polc_artifact_check(const struct polc_artifact *artifact, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct polc_art_meta meta;
	struct polc_eps eps = { 0 };
	struct polc_gen *gen = NULL;
	size_t len = 0;
	int rc = polc_meta_read(artifact, &meta, err);
	if (rc)
		return rc;
	const char *text = polc_artifact_section(artifact, "meta/endpoints", &len);
	if (!text)
		return polc_errf(err, -EINVAL, "artifact has no meta/endpoints section");
	if ((rc = polc_eps_parse(text, len, meta.endpoints_max, &eps, err)) == 0)
		rc = polc_gen_open(artifact, &meta, &gen, err);
	polc_gen_free(gen);
	polc_eps_free(&eps);
	return rc;
}

/*
 * The live state of the new generation (loader/record.c), pinned beside
 * it before it goes live: whoever finds the generation finds its state.
 */
static int write_initial_record(struct apply *a, struct polc_error *err)
{
	char *extra = NULL;
	size_t extra_len = 0;
	FILE *f = open_memstream(&extra, &extra_len);
	if (!f)
		return polc_errf(err, -ENOMEM, "out of memory");
	char state_map[BPF_OBJ_NAME_LEN];
	uint32_t state_offset;
	polc_gen_state_location(a->gen, state_map, sizeof(state_map), &state_offset);
	fprintf(f, "state_map=%s\nstate_offset=%u\nevents=%u\n", state_map, state_offset, a->dp->events);
	int rc = polc_gen_array_hashes(a->gen, f);
	if (fclose(f) || rc) {
		free(extra);
		return polc_errf(err, rc ? rc : -ENOMEM, "cannot describe the live state");
	}
	void *state = NULL;
	size_t size = 0;
	rc = rr_initial_state(a->art, extra, &state, &size);
	free(extra);
	if (rc)
		return polc_errf(err, rc, "cannot build the live state: %s", strerror(-rc));
	rc = polc_record_write(a->staging, state, size, err);
	free(state);
	return rc;
}

static int apply_switch(struct apply *a, struct polc_apply_result *r, struct polc_error *err)
{
	int rc = polc_gen_set_events(a->gen, a->dp->events, err);
	if (rc == 0)
		rc = polc_gen_load(a->gen, &a->sh, &a->eps, err);
	if (rc)
		return rc;
	snprintf(a->gen_name, sizeof(a->gen_name), "%016llx-%u", (unsigned long long)a->meta.revision,
		 polc_gen_prog_id(a->gen));
	sub_path(a->staging, sizeof(a->staging), a->dp, "staging", a->gen_name);
	if ((rc = polc_gen_pin(a->gen, a->staging, err)))
		return rc;
	a->staged = true;
	if ((rc = write_initial_record(a, err)))
		return rc;
	if ((rc = recheck_interfaces(&a->eps, err)))
		return rc;

	/* The switch: every endpoint runs the new generation from the next packet on. */
	__u32 key = 0;
	int fd = polc_gen_prog_fd(a->gen);
	if (bpf_map_update_elem(a->sh.map_fd[POLC_SM_GEN_PROG], &key, &fd, BPF_ANY))
		return polc_errf_sys(err, -errno, "cannot make policy revision %016llx live",
				     (unsigned long long)a->meta.revision);
	a->switched = true;

	if ((rc = attach_all(&a->at, &a->eps, a->mode, &a->touched, &r->attached, err)))
		return rc;

	char dest[PATH_MAX];
	sub_path(dest, sizeof(dest), a->dp, "gen", a->gen_name);
	if (rename(a->staging, dest))
		return polc_errf_sys(err, -errno, "cannot move %s to %s", a->staging, dest);
	/* Committed: from here on nothing is rolled back. */
	a->staged = false;
	r->gen_prog_id = polc_gen_prog_id(a->gen);
	return 0;
}

int polc_datapath_apply(struct polc_datapath *dp, const struct polc_artifact *artifact,
			struct polc_apply_result *result, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (result && (result->sz < sizeof(size_t) || !opts_tail_zero(result, result->sz, sizeof(*result))))
		return polc_errf(err, -EINVAL, "polc_apply_result: unknown fields (libpolc is older than the caller)");
	if (!polc_have_bpf_privileges())
		return polc_errf(err, -EPERM, "loading a policy needs root, or CAP_BPF and CAP_NET_ADMIN");

	struct apply a = { .dp = dp, .art = artifact, .lock_fd = -1, .rec_fd = -1, .live = { .prog_fd = -1 } };
	polc_shared_init(&a.sh);
	struct polc_apply_result r = { .sz = sizeof(r) };
	bool created = false;

	/* All checks that need no kernel object first: a bad artifact changes nothing. */
	int rc = apply_prepare(&a, err);
	if (rc)
		goto out;
	if ((rc = polc_lock_dir(dp->pin_dir, true, dp->lock_timeout_ms, &a.lock_fd, err)))
		goto out;
	/* Under the lock, no shared/ means no datapath: a failure may then remove all it finds. */
	char shared_dir[PATH_MAX];
	struct stat st;
	sub_path(shared_dir, sizeof(shared_dir), dp, "shared", NULL);
	a.live_known = stat(shared_dir, &st) != 0 && errno == ENOENT;
	if ((rc = make_subdirs(dp, err)))
		goto fail;
	if ((rc = polc_shared_open_pinned(dp->pin_dir, true, &a.sh, &created, err)) ||
	    (rc = polc_attach_map_open(dp->pin_dir, true, &a.rec_fd, err)))
		goto fail;
	a.at = (struct polc_attacher){ .pin_dir = dp->pin_dir, .rec_fd = a.rec_fd, .sh = &a.sh };
	if ((rc = polc_live_find(dp->pin_dir, &a.sh, true, &a.live, err)))
		goto fail;
	a.live_known = true;
	if ((rc = polc_choose_mode(dp, a.rec_fd, a.eps.n ? a.eps.v[0].ifindex : 0, &a.mode, err)))
		goto fail;

	r.revision = a.meta.revision;
	r.has_prev_revision = a.live.has_revision;
	r.prev_revision = a.live.revision;
	r.endpoints = (uint32_t)a.eps.n;
	r.attach_mode = a.mode;
	r.ct_map_id = a.sh.ct_map_id;

	if (a.live.prog_fd >= 0 && a.live.has_revision && a.live.revision == a.meta.revision &&
	    live_is_artifact(&a.live) && endpoints_unchanged(&a.live, &a.eps)) {
		/* Same policy, same interfaces: only attachments may need repair. */
		r.outcome = POLC_APPLY_UNCHANGED;
		r.gen_prog_id = a.live.prog_id;
		if ((rc = apply_events(&a, err)))
			goto fail;
		if ((rc = attach_all(&a.at, &a.eps, a.mode, &a.touched, &r.attached, err)))
			goto fail;
	} else {
		r.outcome = a.live.prog_fd >= 0 ? POLC_APPLY_SWAPPED : POLC_APPLY_LOADED;
		if ((rc = apply_switch(&a, &r, err)))
			goto fail;
		/* The old generation: unpinned, it dies once no packet runs it. */
		remove_gen_dirs(dp, "gen", a.gen_name, NULL);
	}
	free(a.touched.v);
	a.touched = (struct touched){ 0 };
	detach_unlisted(&a.at, &a.eps, &r);
	write_result(result, &r);
	goto out;

fail:
	apply_rollback(&a);
out:
	apply_release(&a);
	return rc;
}

int polc_datapath_apply_file(struct polc_datapath *dp, const char *path, struct polc_apply_result *result,
			     struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	/* First: without privileges, that is the problem to report, whatever else is wrong. */
	if (!polc_have_bpf_privileges())
		return polc_errf(err, -EPERM, "loading a policy needs root, or CAP_BPF and CAP_NET_ADMIN");
	struct polc_artifact *art = NULL;
	char msg[sizeof(err->message)];
	int rc = polc_artifact_read(path, &art, msg, sizeof(msg));
	if (rc)
		return polc_errf(err, rc, "%s", msg);
	rc = polc_datapath_apply(dp, art, result, err);
	polc_artifact_free(art);
	return rc;
}

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The BPF filesystem side of the datapath: making sure bpffs is there,
 * the pin dir's directories, unpinning, and the lock that serialises
 * loaders (two swaps interleaved would each roll back the other's pins).
 */
#include <errno.h>
#include <stdarg.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* statfs of path or, if it does not exist yet, of its closest existing ancestor. */
static int statfs_existing(const char *path, struct statfs *st)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if (statfs(buf, st) == 0)
			return 0;
		if (errno != ENOENT)
			return -errno;
		char *slash = strrchr(buf, '/');
		if (!slash)
			return -ENOENT;
		if (slash == buf) {
			buf[1] = '\0';
			return statfs(buf, st) ? -errno : 0;
		}
		*slash = '\0';
	}
}

int polc_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int polc_bpffs_prepare(const char *pin_dir, struct polc_error *err)
{
	struct statfs st;
	int rc;
	if (below(pin_dir, BPFFS_DEFAULT)) {
		rc = statfs_existing(BPFFS_DEFAULT, &st);
		if (rc)
			return polc_errf_sys(err, rc, "cannot examine %s", BPFFS_DEFAULT);
		if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
			struct stat sb;
			if (stat(BPFFS_DEFAULT, &sb) || !S_ISDIR(sb.st_mode))
				return polc_errf(err, -ENOENT, "%s does not exist: is sysfs mounted?", BPFFS_DEFAULT);
			if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700")) {
				rc = -errno;
				return polc_errf(err, rc, "bpffs is not mounted at %s and mounting it failed: %s%s",
						 BPFFS_DEFAULT, strerror(-rc),
						 rc == -EPERM ? " (need root or CAP_SYS_ADMIN)" : "");
			}
		}
	}
	rc = statfs_existing(pin_dir, &st);
	if (rc)
		return polc_errf_sys(err, rc, "cannot examine %s", pin_dir);
	/* The root of a bpffs is everybody's: polc's generic subdirectory names would mix with others'. */
	char parent[PATH_MAX];
	struct stat dir_st, parent_st;
	snprintf(parent, sizeof(parent), "%s", pin_dir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = '\0';
	if (strcmp(pin_dir, BPFFS_DEFAULT) == 0 ||
	    (stat(pin_dir, &dir_st) == 0 && stat(parent, &parent_st) == 0 && dir_st.st_dev != parent_st.st_dev))
		return polc_errf(err, -EINVAL, "%s is the root of a BPF filesystem: use a directory below it, e.g. %s/polc",
				 pin_dir, pin_dir);
	if ((unsigned long)st.f_type != BPF_FS_MAGIC)
		return polc_errf(err, -EINVAL,
				 "%s is not on a BPF filesystem: pin dirs must be below a bpffs mount "
				 "(mount -t bpf bpf DIR)",
				 pin_dir);
	return 0;
}

int polc_mkdir_p(const char *path, struct polc_error *err)
{
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return polc_errf_sys(err, -errno, "cannot create %s", buf);
		*p = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return polc_errf(err, -ENOTDIR, "%s is not a directory", path);
	return 0;
}

int polc_unpin_dir(const char *dir, struct polc_error *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return polc_errf_sys(err, -errno, "cannot open %s", dir);
	}
	int rc = 0;
	struct dirent *e;
	char path[PATH_MAX];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (unlink(path) && errno != ENOENT && rc == 0)
			rc = polc_errf_sys(err, -errno, "cannot unpin %s", path);
	}
	closedir(d);
	if (rc)
		return rc;
	if (rmdir(dir) && errno != ENOENT)
		return polc_errf_sys(err, -errno, "cannot remove %s", dir);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int polc_lock_dir(const char *dir, bool create, unsigned int timeout_ms, int *out_fd, struct polc_error *err)
{
	/* An unload may remove the dir while we wait: then start over on the new one (or none). */
	for (unsigned waited = 0;;) {
		if (create) {
			int rc = polc_mkdir_p(dir, err);
			if (rc)
				return rc;
		}
		_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				return polc_errf(err, -ENOENT, "no polc datapath at %s", dir);
			return polc_errf_sys(err, -errno, "cannot open %s", dir);
		}
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK && errno != EINTR)
				return polc_errf_sys(err, -errno, "cannot lock %s", dir);
			if (waited >= timeout_ms)
				return polc_errf(err, -EBUSY, "another polc loader holds %s (waited %u ms)", dir,
						 waited);
			sleep_ms(20);
			waited += 20;
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(dir, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*out_fd = TAKE_FD(fd);
			return 0;
		}
		if (waited >= timeout_ms)
			return polc_errf(err, -EBUSY, "%s keeps being replaced", dir);
		sleep_ms(20);
		waited += 20;
	}
}

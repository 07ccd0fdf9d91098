/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loader error messages: the loader reports to the person running a node,
 * so each failure says what it was doing (interface, map, revision) and
 * what the kernel said, in one struct polc_error the caller owns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "loader/loader.h"

static void vformat(struct polc_error *err, const char *fmt, va_list ap)
{
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int polc_errf(struct polc_error *err, int rc, const char *fmt, ...)
{
	if (!err)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	vformat(err, fmt, ap);
	va_end(ap);
	err->errnum = rc < 0 ? -rc : rc;
	return rc;
}

int polc_errf_sys(struct polc_error *err, int rc, const char *fmt, ...)
{
	if (!err)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	vformat(err, fmt, ap);
	va_end(ap);
	size_t len = strlen(err->message);
	int e = rc < 0 ? -rc : rc;
	snprintf(err->message + len, sizeof(err->message) - len, ": %s%s", strerror(e),
		 e == EPERM ? " (" POLC_PRIV_HINT ")" : "");
	err->errnum = e;
	return rc;
}

void polc_err_prefix(struct polc_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	char old[sizeof(err->message)];
	memcpy(old, err->message, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncating the end of a long message is fine; the start says what failed. */
	size_t plen = strlen(prefix), olen = strlen(old), cap = sizeof(err->message) - 1;
	if (plen + 2 > cap)
		plen = cap - 2;
	memcpy(err->message, prefix, plen);
	memcpy(err->message + plen, ": ", 2);
	if (olen > cap - plen - 2)
		olen = cap - plen - 2;
	memcpy(err->message + plen + 2, old, olen);
	err->message[plen + 2 + olen] = '\0';
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool polc_have_bpf_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	/* glibc has no capget wrapper; if it fails, let the kernel be the judge. */
	if (syscall(SYS_capget, &hdr, data) != 0)
		return true;
	/* CAP_SYS_ADMIN stands in for CAP_BPF (and is all there was before 5.8). */
	return (has_cap(data, CAP_BPF) || has_cap(data, CAP_SYS_ADMIN)) && has_cap(data, CAP_NET_ADMIN);
}

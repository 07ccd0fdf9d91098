/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Files compiled into polc by compiler/tools/embed.c. */
#ifndef POLC_EMBEDDED_H
#define POLC_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;
	const unsigned char *data;
	size_t size;
};

/* bpf-templates/: the sources codegen specialises (NULL-terminated). */
extern const struct embedded_file polc_bpf_templates[];
/* The entry programs attached to interfaces, built with polc. */
extern const struct embedded_file polc_entry_objects[];

#include <string.h>

static inline const struct embedded_file *embedded_find(const struct embedded_file *files, const char *name)
{
	for (; files->name; files++)
		if (strcmp(files->name, name) == 0)
			return files;
	return NULL;
}

#endif

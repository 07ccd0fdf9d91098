/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
 * Placeholder until the Cilium front end lands: the objects are refused
 * with an error, so that nothing in the input is dropped silently.
 */
#include "frontend.h"

#include <errno.h>

int frontend_load_cilium(struct frontend *fe, const struct frontend_object *obj)
{
	diag_error(fe->diags, obj->kind_loc, "kind", "unsupported",
		   "only networking.k8s.io/v1 NetworkPolicy is compiled in this version",
		   "%s is not supported yet", obj->kind);
	return -EINVAL;
}

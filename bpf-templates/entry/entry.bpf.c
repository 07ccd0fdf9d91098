/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Entry programs: what stays attached to every endpoint interface for
 * the life of the datapath. They record the direction and jump to the
 * live generation (slot 0 of polc_gen_prog); a policy swap replaces that
 * slot and never touches an interface.
 *
 * Built once with polc (not per policy), embedded in libpolc.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "maps_shared.h"

/*
 * The generation reads the direction from cb[0]: the tc hook it runs on
 * is not visible to a tail-called program.
 */
static __always_inline int polc_enter(struct __sk_buff *skb, __u32 dir)
{
	skb->cb[0] = dir;
	bpf_tail_call(skb, &polc_gen_prog, 0);
	/* No generation is live: fail closed. */
	return TC_ACT_SHOT;
}

/* tc ingress of the host-side interface: packets the pod sends. */
SEC("tc")
int polc_from_pod(struct __sk_buff *skb)
{
	return polc_enter(skb, POLC_DIR_EGRESS);
}

/* tc egress of the host-side interface: packets delivered to the pod. */
SEC("tc")
int polc_to_pod(struct __sk_buff *skb)
{
	return polc_enter(skb, POLC_DIR_INGRESS);
}

char _license[] SEC("license") = "Dual BSD/GPL";

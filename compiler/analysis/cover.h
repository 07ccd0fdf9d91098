/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Set relations between policy IR objects, decided on the IR alone (no
 * inventory): "outer covers inner" means every packet, identity or
 * address that inner matches, outer matches too, under every possible
 * inventory. A true answer is a proof; false means "not proven" (the
 * relations are deliberately conservative: a lint warning built on them
 * is never wrong, it may only be missing).
 *
 * They hold for every front end: NetworkPolicy and Cilium rules meet in
 * the same IR, so a Cilium deny can be found to cover a NetworkPolicy
 * allow.
 */
#ifndef POLC_ANALYSIS_COVER_H
#define POLC_ANALYSIS_COVER_H

#include <stdbool.h>

#include "../ir/ir.h"

/* Every identity inner matches, outer matches (outer's requirements follow from inner's). */
bool cover_selector(const struct ir_selector *outer, const struct ir_selector *inner);
bool cover_peer(const struct ir_peer *outer, const struct ir_peer *inner);
/* The union of outer's peers covers every peer of inner. */
bool cover_peers(const struct ir_rule *outer, const struct ir_rule *inner);
bool cover_ports(const struct ir_rule *outer, const struct ir_rule *inner);
/* Same direction; every pod inner's policy selects, outer's does; peers and ports covered. */
bool cover_rule(const struct ir_rule *outer, const struct ir_rule *inner);
/* Both ways: the two rules match exactly the same traffic for the same pods. */
bool rules_equivalent(const struct ir_rule *a, const struct ir_rule *b);

/* Some protocol and port both rules match (named ports: the same name, or a wildcard). */
bool ports_overlap(const struct ir_rule *a, const struct ir_rule *b);
/* Does the rule match this protocol and port? Named ports never do (they need a pod). */
bool rule_matches_port(const struct ir_rule *rule, uint8_t proto, uint16_t port);

/* A rule that matches every peer on every port: an empty NetworkPolicy rule, entity all. */
bool rule_allows_all(const struct ir_rule *rule);

/* CIDR relations: a and b share an address. */
bool cidr_overlap(const struct ir_cidr *a, const struct ir_cidr *b);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_RECORD_H
#define MI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "plan.h"

/*
 * The install record: how a table was installed, kept in the table (set
 * MI_RECORD_SET, plan.h), so that status, verify and explain can work
 * from the pod's namespace alone. It is one line of "key=value" words:
 *
 *   meshinit=0.1.0 p=15001 z=15006 e=15008 u=1337 g=1337 m=REDIRECT
 *   t=1337 r=133 b=* i=* ilo=0 lo=127.0.0.1/32 ipv6=off dns=0 adns=0
 *   drop=0 og=* sum=8c1f03a2
 *
 * The scalars of the effective configuration; every list (-b ports, -x
 * CIDRs, uids, DNS servers...) is the content of its set in the same
 * table and is not repeated, "b=@" saying "the list in set inbound-ports".
 * @sum is a 32-bit FNV-1a digest of the content of every installed set,
 * so a set changed by hand shows as drift even without flags.
 */
#define MI_RECORD_MAX 1024

struct mi_record {
	char text[MI_RECORD_MAX];
	char version[32];
};

/* The record of @plan, built from @cfg (heap string; the plan owns it). */
char *mi_record_format(const struct mi_config *cfg, const struct mi_plan *plan);

/* mi_plan_build(), then the plan's record: what install and verify use. */
void mi_plan_build_recorded(const struct mi_config *cfg, struct mi_plan *plan);

/* Parse a record's text. Returns 0, or -EINVAL with @err naming the word. */
int mi_record_parse(const char *text, struct mi_record *rec,
		    struct mi_err *err);

/*
 * mi_record_config - the configuration a record and the sets of the
 * installed plan @installed describe (initialised here; release with
 * mi_config_release). Returns 0 or -EINVAL with @err set.
 */
int mi_record_config(const struct mi_record *rec,
		     const struct mi_plan *installed, struct mi_config *cfg,
		     struct mi_err *err);

/* True when the digest of the sets of @plan is the one @rec recorded. */
bool mi_record_sets_match(const struct mi_record *rec,
			  const struct mi_plan *plan);

/*
 * The rule-shaping options of @cfg (whose plan is @plan) as flags, one
 * struct per flag, in --help order; lists are read from the plan's sets
 * (normalised, as installed).
 */
struct mi_flag_val {
	const char *flag; /* "-p", "--redirect-dns", "ISTIO_OUTBOUND_..." */
	char *value;	  /* "" for an empty list */
};

struct mi_flag_vals {
	size_t n;
	struct mi_flag_val *v;
};

void mi_record_flags(const struct mi_config *cfg, const struct mi_plan *plan,
		     struct mi_flag_vals *out);
void mi_flag_vals_release(struct mi_flag_vals *f);

/* Print @f as one command line (values quoted as a shell needs). */
void mi_flag_vals_print(const struct mi_flag_vals *f, FILE *out);

#endif

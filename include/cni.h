/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_CNI_H
#define MI_CNI_H

#include <stdio.h>

/*
 * meshinit-cni: a chained CNI plugin (spec 1.0.0, 0.4.0, 0.3.x) that
 * programs a meshed pod's capture from the node, as Istio's istio-cni
 * does, through meshinit's own plan, emitter and read-back.
 *
 * mi_cni_main - run one CNI command: CNI_COMMAND and the other CNI_*
 * variables from @envp, the network configuration from @in; the result
 * (or the CNI error JSON) goes to @out, logs to @logf (and, as Istio's
 * plugin does, to <cni_agent_run_dir>/istio-cni.log and the node agent's
 * log socket when they exist). Returns the process exit code.
 */
int mi_cni_main(int argc, char *argv[], char *envp[], FILE *in, FILE *out,
		FILE *logf);

#endif

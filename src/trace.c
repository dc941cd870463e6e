/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "trace.h"

#include <errno.h>

int mi_trace_run(const struct mi_flow_args *a, FILE *out, struct mi_err *err)
{
	(void)a; (void)out;
	return mi_err_set(err, -ENOSYS, "trace: not yet");
}

int mi_explain_kernel(const struct mi_plan *plan, const struct mi_config *cfg,
		      const struct mi_flow *f, const struct mi_explain *ex,
		      FILE *out, struct mi_err *err)
{
	(void)plan; (void)cfg; (void)f; (void)ex; (void)out;
	return mi_err_set(err, -ENOSYS, "explain --kernel: not yet");
}

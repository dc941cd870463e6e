/* SPDX-License-Identifier: GPL-2.0-or-later */
/* meshinit-cni (also installed as istio-cni): the CNI plugin's main(). */
#include <stdio.h>

#include "cni.h"

extern char **environ;

int main(int argc, char *argv[])
{
	return mi_cni_main(argc, argv, environ, stdin, stdout, stderr);
}

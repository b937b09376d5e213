/*
 * imsg_sandbox.h - messages served by the sandbox component (300-399).
 *
 */
#ifndef TOPSH_IMSG_SANDBOX_H
#define TOPSH_IMSG_SANDBOX_H

enum imsg_type_sandbox {
	IMSG_SANDBOX_BASE = 300,
};

#endif

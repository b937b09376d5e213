/*
 * imsg_policy.h - messages served by the policy component (200-299).
 *
 */
#ifndef TOPSH_IMSG_POLICY_H
#define TOPSH_IMSG_POLICY_H

enum imsg_type_policy {
	IMSG_POLICY_BASE = 200,
};

#endif

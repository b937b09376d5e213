#ifndef TOPSH_CONF_POLICY_H
#define TOPSH_CONF_POLICY_H

#include "config.h"

struct conf_policy {
	char		*user;
	struct cfstrlist rules;			/* rule files */
	char		*audit_log;
	long long	 approve_timeout;
};

#endif

#ifndef TOPSH_CONF_POLICY_H
#define TOPSH_CONF_POLICY_H

#include "config.h"

struct conf_policy {
	char		*user;
	struct cfstrlist rules;			/* rule files */
	char		*audit_log;		/* "" or "none": off */
	long long	 approve_timeout;
	long long	 max_depth;		/* shell nesting bound */
	long long	 max_input;		/* longest command checked */
	long long	 vouch_window;		/* vouch-window 1h */
};

#endif

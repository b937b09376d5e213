#ifndef TOPSH_CONF_GATEWAY_H
#define TOPSH_CONF_GATEWAY_H

#include "config.h"

struct conf_gateway {
	char		*user;
	long long	 max_jobs;		/* global concurrent jobs */
	long long	 queue_per_user;	/* queued messages per user */
	long long	 rate_per_minute;	/* messages per user a minute */
	long long	 max_iterations;	/* agent loop */
	long long	 history_max;		/* bytes of history kept */
	char		*system_prompt;
};

#endif

#ifndef TOPSH_CONF_PROXY_H
#define TOPSH_CONF_PROXY_H

#include "config.h"

struct conf_proxy {
	char		*llm_model;		/* replaces "default" */
	char		*user;
	char		*egress_user;
	char		*secrets_dir;
	char		*telegram_url;
	char		*search_url;
	double		 telegram_interval;	/* seconds between posts */
	long long	 telegram_burst;	/* posts at once in a chat */
	char		*gdrive_auth_url;
	char		*gdrive_token_url;
	char		*gdrive_api_url;
	char		*gdrive_redirect_uri;
	long long	 llm_timeout;
	long long	 llm_retries;
	long long	 fetch_max_bytes;
	long long	 fetch_timeout;
	long long	 max_redirects;
	int		 dlp;			/* 0 redact, 1 off, 2 tokenize */
	struct cfstrlist dlp_patterns;		/* name label regex triples */
	struct cfstrlist dlp_detectors;		/* operator detector files */
	struct cfstrlist dlp_disable;		/* detector names turned off */
	long long	 dlp_token_ttl;		/* seconds a chat's map lives */
	int		 egress;		/* bool */
	char		*egress_listen;		/* address */
	long long	 egress_port;
};

#endif

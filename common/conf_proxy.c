/*
 * conf_proxy.c - the proxy { } section of topsh.conf(5).
 * Keep the table sorted by name: config.c searches it with bsearch(3).
 */
#include <stddef.h>

#include "config.h"

#define K(n, t, f, lo, hi, d) \
	{ n, t, offsetof(struct conf_proxy, f), lo, hi, d, NULL }

static const char *const dlp_modes[] = { "redact", "off", "tokenize",
	NULL };

static const struct cfkey keys[] = {
	{ "dlp", CF_ENUM, offsetof(struct conf_proxy, dlp), 0, 0, "redact",
	    dlp_modes },
	K("dlp-detectors", CF_PATHLIST, dlp_detectors, 0, 0, NULL),
	K("dlp-disable", CF_STRLIST, dlp_disable, 0, 0, NULL),
	K("dlp-pattern", CF_STRLIST, dlp_patterns, 0, 0, NULL),
	K("dlp-token-ttl", CF_TIME, dlp_token_ttl, 60, 7 * 86400, "1h"),
	K("egress", CF_BOOL, egress, 0, 0, "no"),
	K("egress-listen", CF_ADDR, egress_listen, 0, 0, "127.0.0.1"),
	K("egress-port", CF_INT, egress_port, 1, 65535, "3128"),
	K("egress-user", CF_STRING, egress_user, 0, 0, "topsh-egress"),
	K("fetch-max-bytes", CF_SIZE, fetch_max_bytes, 1024, 64LL << 20,
	    "2M"),
	K("fetch-timeout", CF_TIME, fetch_timeout, 1, 600, "20s"),
	K("gdrive-api-url", CF_STRING, gdrive_api_url, 0, 0,
	    "https://www.googleapis.com/drive/v3"),
	K("gdrive-auth-url", CF_STRING, gdrive_auth_url, 0, 0,
	    "https://accounts.google.com/o/oauth2/v2/auth"),
	K("gdrive-redirect-uri", CF_STRING, gdrive_redirect_uri, 0, 0,
	    "http://localhost"),
	K("gdrive-token-url", CF_STRING, gdrive_token_url, 0, 0,
	    "https://oauth2.googleapis.com/token"),
	K("llm-model", CF_STRING, llm_model, 0, 0, NULL),
	K("llm-retries", CF_INT, llm_retries, 0, 10, "2"),
	K("llm-timeout", CF_TIME, llm_timeout, 1, 3600, "120s"),
	K("max-redirects", CF_INT, max_redirects, 0, 20, "5"),
	K("search-url", CF_STRING, search_url, 0, 0,
	    "https://api.z.ai/api/paas/v4/web_search"),
	K("secrets-dir", CF_PATH, secrets_dir, 0, 0, "/etc/topsh/secrets"),
	K("telegram-chat-burst", CF_INT, telegram_burst, 1, 100, "3"),
	K("telegram-chat-interval", CF_DOUBLE, telegram_interval, 0, 0, "1"),
	K("telegram-url", CF_STRING, telegram_url, 0, 0,
	    "https://api.telegram.org"),
	K("user", CF_STRING, user, 0, 0, "topsh-proxy"),
};

const struct cfsection conf_proxy_section = {
	"proxy", keys, sizeof(keys) / sizeof(keys[0]),
	offsetof(struct topsh_conf, proxy)
};

/*
 * bench_proxyd.c - proxyd end to end against regress/proxy/mock.js:
 * model requests with large bodies (DLP, JSON, libcurl, the mock) sent
 * all at once, and many small Telegram calls, to show that requests run
 * concurrently.  Prints requests/s and MB/s of request body.
 */
#include "../../regress/unit/proxyd_harness.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static const char prose[] = "lorem ipsum dolor sit amet, consectetur elit. ";

static void
bench_llm(int n, size_t kib)
{
	uint32_t	*ids;
	char		*text;
	double		 t0, t;
	int		 i, got;

	ids = calloc(n, sizeof(*ids));
	text = malloc(kib * 1024 + 1);
	/* prose with an e-mail address every 4 KiB for DLP to find */
	for (i = 0; i < (int)(kib * 1024); i++)
		text[i] = prose[i % (sizeof(prose) - 1)];
	for (i = 4000; i + 20 < (int)(kib * 1024); i += 4096)
		memcpy(text + i, " mail a@b.example ", 18);
	text[kib * 1024] = '\0';
	t0 = now();
	for (i = 0; i < n; i++)
		h_send(IMSG_PROXY_LLM_CHAT, json_pack("{s:{s:[{s:s, s:s}, "
		    "{s:s, s:s}]}}", "request", "messages", "role", "system",
		    "content", text, "role", "user", "content", "hi"));
	got = h_collect(n, ids);
	t = now() - t0;
	printf("llm_chat  %4d requests of %4zu KiB at once: %d answered in "
	    "%.2fs, %.0f req/s, %.1f MB/s of request body\n", n, kib, got, t,
	    got / t, got * kib / 1024.0 / t);
	free(text);
	free(ids);
}

static void
bench_tg(int n)
{
	uint32_t	*ids;
	double		 t0, t;
	int		 i, got;

	ids = calloc(n, sizeof(*ids));
	t0 = now();
	for (i = 0; i < n; i++)
		h_send(IMSG_PROXY_TG_CALL, json_pack("{s:s, s:{s:i, s:s}}",
		    "method", "sendMessage", "params", "chat_id", 10000 + i,
		    "text", "hello there, this is a short message"));
	got = h_collect(n, ids);
	t = now() - t0;
	printf("tg_call   %4d sendMessage to %d chats at once: %d answered "
	    "in %.2fs, %.0f req/s\n", n, n, got, t, got / t);
	free(ids);
}

/* proxyd's CPU seconds so far (user + system) */
static double
proxyd_cpu(void)
{
	char		 path[64], *st, *p;
	unsigned long	 ut = 0, stime = 0;
	int		 i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)h.proxyd_pid);
	st = h_read_file(path);
	if ((p = strrchr(st, ')')) != NULL) {
		/* fields 14 and 15 after "pid (comm)" */
		for (i = 0; i < 12 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			sscanf(p + 1, "%lu %lu", &ut, &stime);
	}
	free(st);
	return ((ut + stime) / (double)sysconf(_SC_CLK_TCK));
}

int
main(void)
{
	h_setup(NULL);
	h_policyd_listen();
	h.proxyd_pid = h_run_proxyd(NULL, "proxyd.log");
	if (h_connect_gw() == -1)
		h_die("cannot connect to proxyd");
	double	 c;

	c = proxyd_cpu();
	bench_tg(200);
	bench_tg(1000);
	printf("          proxyd CPU for the Telegram calls: %.2fs\n",
	    proxyd_cpu() - c);
	c = proxyd_cpu();
	bench_llm(50, 64);
	bench_llm(20, 1024);
	bench_llm(4, 4096);
	printf("          proxyd CPU for the model calls (%.0f MiB): %.2fs, "
	    "%.0f MB/s of CPU\n", 50 * 64 / 1024.0 + 20 + 16,
	    proxyd_cpu() - c, (50 * 64 / 1024.0 + 20 + 16) / (proxyd_cpu() - c));
	h_stop_proxyd();
	return (0);
}

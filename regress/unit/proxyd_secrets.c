/*
 * proxyd_secrets.c - proxyd refuses to start on a missing, empty or
 * group/world-readable secret and names the file; $CREDENTIALS_DIRECTORY
 * wins over secrets-dir; proxyd -R redacts stdin to stdout, secrets
 * included, without ever printing one.
 */
#include "regress.h"
#include "proxyd_harness.h"

/* run proxyd with args, feeding input; output and exit status */
static int
run(const char *arg, const char *input, char *out, size_t outlen,
    const char *credentials)
{
	int	 in[2], o[2], st;
	pid_t	 pid;
	size_t	 len = 0;
	ssize_t	 n;

	if (pipe(in) == -1 || pipe(o) == -1)
		return (-1);
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(o[1], 2);
		close(in[1]);
		close(o[0]);
		if (credentials != NULL)
			setenv("CREDENTIALS_DIRECTORY", credentials, 1);
		execl(h.bin, "proxyd", "-d", "-f", h.conf, arg, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	if (input != NULL && write(in[1], input, strlen(input)) == -1)
		printf("# write failed\n");
	close(in[1]);
	while (len < outlen - 1 &&
	    (n = read(o[0], out + len, outlen - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(o[0]);
	waitpid(pid, &st, 0);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* start proxyd as a daemon (-d); it must exit by itself, refusing */
static int
refuses(char *out, size_t outlen)
{
	int	 in[2], o[2], st, i;
	pid_t	 pid;
	size_t	 len = 0;
	ssize_t	 n;

	if (pipe(in) == -1 || pipe(o) == -1)
		return (0);
	if ((pid = fork()) == 0) {
		dup2(o[1], 2);
		dup2(o[1], 1);
		close(o[0]);
		execl(h.bin, "proxyd", "-d", "-f", h.conf, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	fcntl(o[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 100; i++) {
		while (len < outlen - 1 &&
		    (n = read(o[0], out + len, outlen - 1 - len)) > 0)
			len += n;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			while (len < outlen - 1 && (n = read(o[0], out + len,
			    outlen - 1 - len)) > 0)
				len += n;
			out[len] = '\0';
			close(o[0]);
			return (WIFEXITED(st) && WEXITSTATUS(st) != 0);
		}
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	out[len] = '\0';
	close(o[0]);
	return (0);
}

int
main(void)
{
	char	 out[65536], path[600], path2[600], cred[600];

	h_setup(NULL);

	snprintf(path, sizeof(path), "%s/secrets/llm_api_key", h.dir);
	chmod(path, 0640);
	ok(refuses(out, sizeof(out)), "a group-readable secret stops proxyd");
	ok(strstr(out, "llm_api_key") != NULL &&
	    strstr(out, "group or others") != NULL,
	    "the message names the file and the problem");
	ok(!h_has_secret(out), "the secret is not printed");
	chmod(path, 0604);
	ok(refuses(out, sizeof(out)), "a world-readable secret stops proxyd");
	chmod(path, 0600);

	snprintf(path, sizeof(path), "%s/secrets/llm_api_key", h.dir);
	snprintf(path2, sizeof(path2), "%s/llm_api_key.away", h.dir);
	rename(path, path2);
	ok(refuses(out, sizeof(out)), "a missing required secret stops "
	    "proxyd");
	ok(strstr(out, "llm_api_key: missing") != NULL,
	    "the message names the missing file");
	h_write_file("secrets/llm_api_key", "\n", 0600);
	ok(refuses(out, sizeof(out)), "an empty secret stops proxyd");
	ok(strstr(out, "llm_api_key: empty") != NULL, "empty named");
	unlink(path);
	rename(path2, path);

	snprintf(path, sizeof(path), "%s/secrets/gdrive_client_secret",
	    h.dir);
	snprintf(path2, sizeof(path2), "%s/gdrive_client_secret.away", h.dir);
	rename(path, path2);
	ok(refuses(out, sizeof(out)), "a client id without its secret stops "
	    "proxyd");
	rename(path2, path);

	/* -R */
	is_int(run("-R", "key " CANARY_LLM " token " CANARY_TG
	    "\nmail dave@example.com\nplain line\n", out, sizeof(out), NULL),
	    0, "proxyd -R exits 0");
	ok(!h_has_secret(out), "-R: no secret in the output");
	ok(strstr(out, "dave@example.com") == NULL, "-R: e-mail redacted");
	ok(strstr(out, "plain line\n") != NULL, "-R: other text kept");
	ok(strstr(out, "[REDACTED:") != NULL, "-R: markers present");
	/* base64 of the llm key */
	is_int(run("-R", "b64 c2stY2FuYXJ5LWxsbS1rZXktMDEyMzQ1Njc4OWFiY2RlZkFCQ0RFRg=="
	    "\n", out, sizeof(out), NULL), 0, "-R on base64 input");
	ok(strstr(out, "c2stY2FuYXJ5LWxsbS1rZXkt") == NULL,
	    "-R: a secret in base64 is redacted too");

	/* $CREDENTIALS_DIRECTORY wins */
	snprintf(cred, sizeof(cred), "%s/cred", h.dir);
	mkdir(cred, 0700);
	h_write_file("cred/telegram_token", "999:OTHER-canary-token-xyzxyzxyz",
	    0600);
	h_write_file("cred/llm_base_url", "http://127.0.0.1:9/v1", 0600);
	h_write_file("cred/llm_api_key", "sk-other-canary-key-zzzzzzzzzzzzzz",
	    0600);
	h_write_file("cred/zai_api_key", "zai-other-canary-zzzzzzzz", 0600);
	is_int(run("-R", "a 999:OTHER-canary-token-xyzxyzxyz b " CANARY_LLM
	    "\n", out, sizeof(out), cred), 0, "-R with CREDENTIALS_DIRECTORY");
	ok(strstr(out, "OTHER-canary") == NULL,
	    "secrets come from $CREDENTIALS_DIRECTORY");
	ok(strstr(out, CANARY_LLM) != NULL,
	    "and not from secrets-dir (its key is just text now)");

	/* -n: the configuration with the proxy keys */
	is_int(run("-nv", NULL, out, sizeof(out), NULL), 0, "proxyd -nv");
	ok(strstr(out, "telegram-chat-interval 0") != NULL &&
	    strstr(out, "gdrive-token-url") != NULL,
	    "-nv prints the proxy section");

	/* -n compiles the custom DLP patterns */
	snprintf(path, sizeof(path), "%s/topsh.conf", h.dir);
	{
		char	*conf = h_read_file(path), *bad;

		if (asprintf(&bad, "%sproxy {\n\tdlp-pattern \"t\" \"T\" "
		    "\"(unclosed\"\n}\n", conf) == -1)
			h_die("asprintf");
		h_write_file("topsh.conf", bad, 0644);
		ok(run("-n", NULL, out, sizeof(out), NULL) != 0 &&
		    strstr(out, "dlp-pattern t") != NULL,
		    "-n refuses a custom pattern that does not compile");
		h_write_file("topsh.conf", conf, 0644);
		free(bad);
		free(conf);
	}
	return (done_testing());
}

/*
 * fuzz_dlp.c - libFuzzer target for the DLP engine.
 *
 * The first byte picks the mode and a window size; the rest is the
 * text.  Checks: redaction never fails, nothing found means the text
 * is unchanged, the canary secret never survives, a JSON document
 * stays valid JSON after dlp_redact_json and, when it holds no number,
 * after dlp_redact of its text; dlp_redact_fd gives the same bytes as
 * dlp_redact.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../proxyd/dlp.h"

#define CANARY	"Zq9secretCanary42"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dlp *
engine(void)
{
	static struct dlp	*d;
	char			 err[256];

	if (d != NULL)
		return (d);
	if ((d = dlp_new()) == NULL)
		abort();
	if (dlp_add_secret(d, "canary", CANARY, strlen(CANARY)) == -1 ||
	    dlp_add_custom(d, "ticket", "ticket", "TICKET-[0-9]{3,}(-[a-z]+)*",
	    err, sizeof(err)) == -1 ||
	    dlp_add_custom(d, "nested", NULL, "(a|aa)+b", err,
	    sizeof(err)) == -1)
		abort();
	return (d);
}

/* Numbers can be card or phone numbers, redacted outside quotes. */
static int
has_number(json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_number(j))
		return (1);
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (has_number(v))
				return (1);
	}
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (has_number(v))
				return (1);
	}
	return (0);
}

static void
check_json(struct dlp *d, const char *p, size_t n, const char *raw,
    size_t rawlen)
{
	json_error_t	 jerr;
	json_t		*j, *j2 = NULL;
	char		*s;

	if ((j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &jerr)) == NULL)
		return;
	/*
	 * The raw text redacted is still JSON (no pattern eats quotes),
	 * unless a JSON number was taken for a card or phone number.
	 */
	if (!has_number(j) && (j2 = json_loadb(raw, rawlen, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &jerr)) == NULL)
		abort();
	json_decref(j2);
	if (dlp_redact_json(d, j) < 0)
		abort();
	if ((s = json_dumps(j, JSON_ENCODE_ANY)) == NULL)
		abort();
	if ((j2 = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &jerr)) == NULL)
		abort();
	if (strstr(s, CANARY) != NULL)
		abort();
	json_decref(j2);
	free(s);
	json_decref(j);
}

static void
check_fd(struct dlp *d, const char *p, size_t n, const char *exp,
    size_t elen, size_t win)
{
	FILE	*in, *out;
	char	*got;
	long	 glen;

	if ((in = tmpfile()) == NULL || (out = tmpfile()) == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, in) != n)
		abort();
	fflush(in);
	rewind(in);
	if (dlp_redact_fd_window(d, fileno(in), fileno(out), win) < 0)
		abort();
	glen = lseek(fileno(out), 0, SEEK_END);
	if (glen != (long)elen)
		abort();
	if ((got = malloc(elen + 1)) == NULL)
		abort();
	if (pread(fileno(out), got, elen, 0) != (ssize_t)elen ||
	    memcmp(got, exp, elen) != 0)
		abort();
	free(got);
	fclose(in);
	fclose(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dlp	*d = engine();
	const char	*p = (const char *)data + 1;
	char		*out;
	size_t		 n, outlen;
	unsigned int	 nf;

	if (size < 1)
		return (0);
	n = size - 1;
	dlp_set_mode(d, data[0] & 1 ? DLP_OFF : DLP_REDACT);
	if ((out = dlp_redact(d, p, n, &outlen, &nf)) == NULL)
		abort();
	if (nf == 0 && (outlen != n || memcmp(out, p, n) != 0))
		abort();
	if (memmem(out, outlen, CANARY, strlen(CANARY)) != NULL)
		abort();
	if (out[outlen] != '\0')
		abort();
	if (data[0] & 2)
		check_json(d, p, n, out, outlen);
	if ((data[0] & 0x0c) == 0x04)
		check_fd(d, p, n, out, outlen, 4096);
	free(out);
	return (0);
}

/*
 * proxyd_dlp.c - the DLP engine: the regress/dlp corpus (positives
 * and look-alike negatives for every detector), JSON redaction,
 * secrets in their encoded forms, custom patterns, modes, overlaps
 * and window boundaries of dlp_redact_fd.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, asprintf without -D_GNU_SOURCE */
#endif
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "regress.h"
#include "../../proxyd/dlp.h"
#include "../../proxyd/dlp_int.h"	/* to force the pcre2 interpreter */

static char *
redact(struct dlp *d, const char *s, unsigned int *n)
{
	size_t	 outlen;
	char	*out;

	out = dlp_redact(d, s, strlen(s), &outlen, n);
	if (out == NULL) {
		printf("Bail out! dlp_redact failed\n");
		exit(1);
	}
	return (out);
}

/* Decode \n, \t and \\ of a corpus line in place. */
static void
unescape(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && (s[1] == 'n' || s[1] == 't' ||
		    s[1] == '\\')) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : '\\';
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Input without the {{ }} marks, expected with them replaced. */
static int
split_marks(const char *line, const char *label, char **in, char **exp)
{
	size_t		 cap = strlen(line) * 2 + 64 * 8 + 64;
	const char	*s = line;
	char		*i, *e;
	int		 n = 0, inside = 0;

	if ((*in = i = malloc(cap)) == NULL || (*exp = e = malloc(cap)) ==
	    NULL)
		exit(1);
	while (*s != '\0') {
		if (strncmp(s, "{{", 2) == 0 && !inside) {
			inside = 1;
			n++;
			e += sprintf(e, "[REDACTED:%s]", label);
			s += 2;
		} else if (strncmp(s, "}}", 2) == 0 && inside) {
			inside = 0;
			s += 2;
		} else {
			*i++ = *s;
			if (!inside)
				*e++ = *s;
			s++;
		}
	}
	*i = *e = '\0';
	return (n);
}

static void
corpus_line(struct dlp *d, const char *file, const char *label,
    const char *det, char *line, int lineno, int *npos, int *nneg)
{
	char		*in, *exp, *out;
	unsigned int	 n;
	int		 marks;

	unescape(line + 2);
	marks = split_marks(line + 2, label, &in, &exp);
	out = redact(d, in, &n);
	if (line[0] == '+') {
		(*npos)++;
		is_str(out, exp, "%s:%d positive", file, lineno);
		is_int(n, marks, "%s:%d count", file, lineno);
		if (det != NULL) {
			char	lab[80];

			/* the label is this detector's: off, it is gone
			 * (a catch-all such as SECRET may still redact) */
			snprintf(lab, sizeof(lab), "[REDACTED:%s]", label);
			dlp_disable(d, det);
			free(out);
			out = redact(d, in, &n);
			ok(strstr(out, lab) == NULL, "%s:%d no %s with %s off",
			    file, lineno, lab, det);
			dlp_enable(d, det);
		}
	} else {
		(*nneg)++;
		is_str(out, in, "%s:%d negative", file, lineno);
	}
	free(out);
	free(in);
	free(exp);
}

static void
corpus_file(struct dlp *d, const char *dir, const char *name,
    const char *tlabel, int min)
{
	char	 path[1024], label[64], det[64], *line = NULL;
	size_t	 cap = 0, i;
	ssize_t	 len;
	FILE	*f;
	int	 lineno = 0, npos = 0, nneg = 0, clean;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(det, sizeof(det), "%.*s", (int)(strlen(name) - 4), name);
	for (i = 0; i < sizeof(label) - 1 && det[i] != '\0'; i++)
		label[i] = toupper((unsigned char)det[i]);
	label[i] = '\0';
	if (tlabel != NULL)
		snprintf(label, sizeof(label), "%s", tlabel);
	clean = strcmp(det, "clean") == 0;
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s: %s", path, strerror(errno));
		return;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len < 2 || (line[0] != '+' && line[0] != '-') ||
		    line[1] != ' ')
			continue;
		corpus_line(d, name, label, clean ? NULL : det, line, lineno,
		    &npos, &nneg);
	}
	free(line);
	fclose(f);
	if (!clean) {
		ok(npos >= min, "%s: %d positives", name, npos);
		ok(nneg >= min, "%s: %d negatives", name, nneg);
	} else
		ok(nneg >= 20, "%s: %d clean lines", name, nneg);
}

static void
test_corpus(void)
{
	const char * const	*names;
	struct dlp		*d;
	struct dirent		*de;
	DIR			*dir;
	char			 path[1024], file[128];
	const char		*src;
	size_t			 t;
	int			 i, nfiles = 0;

	if ((src = getenv("TOPSH_SRC")) == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/regress/dlp", src);
	d = dlp_new();
	names = dlp_detector_names();
	for (i = 0; names[i] != NULL; i++) {
		snprintf(file, sizeof(file), "%s.txt", names[i]);
		corpus_file(d, path, file, NULL, 10);
		nfiles++;
	}
	is_int(nfiles, 5, "five built-in detectors (personal data)");
	/* table detectors of their own name with a corpus file */
	for (t = 0; t < dlp_table_count(d); t++) {
		const char	*tn, *tl;
		char		 full[1200];
		int		 j, dup = 0;

		tn = dlp_table_name(d, t, &tl);
		for (j = 0; names[j] != NULL; j++)
			dup |= strcmp(names[j], tn) == 0;
		snprintf(full, sizeof(full), "%s/%s.txt", path, tn);
		if (dup || access(full, R_OK) == -1)
			continue;
		snprintf(file, sizeof(file), "%s.txt", tn);
		corpus_file(d, path, file, tl, 3);
		nfiles++;
	}
	ok(dlp_table_count(d) >= 150, "%zu table detectors",
	    dlp_table_count(d));
	corpus_file(d, path, "clean.txt", NULL, 10);
	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (strstr(de->d_name, ".txt") != NULL)
				nfiles--;
		closedir(dir);
	}
	is_int(nfiles, -1, "every corpus file has a detector (or is clean)");
	dlp_free(d);
}

static void
test_modes(void)
{
	struct dlp	*d = dlp_new();
	unsigned int	 n;
	char		*o, err[256];

	is_int(dlp_disable(d, "no_such_thing"), -1, "unknown detector");
	is_int(dlp_disable(d, "EMAIL"), 0, "disable is case-insensitive");
	o = redact(d, "mail a@example.com or 555-123-4567", &n);
	is_str(o, "mail a@example.com or [REDACTED:PHONE]", "email off");
	free(o);
	dlp_enable(d, "email");

	dlp_set_mode(d, DLP_OFF);
	is_int(dlp_get_mode(d), DLP_OFF, "mode off");
	ok(dlp_add_secret(d, "llm_api_key", "Zq9secretCanary42", 17) == 0,
	    "add secret");
	o = redact(d, "a@example.com Zq9secretCanary42", &n);
	is_str(o, "a@example.com [REDACTED:LLM_API_KEY]",
	    "off: only secrets");
	free(o);
	dlp_set_mode(d, DLP_REDACT);

	ok(dlp_add_custom(d, "ticket", "internal_ticket", "TICKET-[0-9]{4,}",
	    err, sizeof(err)) == 0, "custom pattern");
	o = redact(d, "see TICKET-12345, not TICKET-12", &n);
	is_str(o, "see [REDACTED:INTERNAL_TICKET], not TICKET-12", "custom");
	free(o);
	TAILQ_LAST(&d->customs, dlp_customs)->jit = 0;
	o = redact(d, "TICKET-9999 and TICKET-12345", &n);
	is_str(o, "[REDACTED:INTERNAL_TICKET] and [REDACTED:INTERNAL_TICKET]",
	    "custom without JIT");
	free(o);
	ok(dlp_add_custom(d, "bad", NULL, "([a-z", err, sizeof(err)) == -1 &&
	    strstr(err, "bad:") != NULL, "bad regex refused: %s", err);
	ok(dlp_add_custom(d, "empty", "x", "x*", err, sizeof(err)) == 0,
	    "empty-matching pattern");
	o = redact(d, "abc xx def", &n);
	is_str(o, "abc [REDACTED:X] def", "empty matches skipped");
	free(o);
	is_int(dlp_disable(d, "empty"), 0, "disable custom by name");
	o = redact(d, "abc xx def", &n);
	is_str(o, "abc xx def", "custom off");
	free(o);
	ok(dlp_add_custom(d, "cyr", "cyr", "Проект-\\d+", err,
	    sizeof(err)) == 0, "UTF-8 pattern");
	o = redact(d, "код Проект-42 \xff\xfe ok", &n);
	is_str(o, "код [REDACTED:CYR] \xff\xfe ok", "UTF-8 match, bad UTF-8");
	free(o);
	ok(dlp_add_custom(d, "evil", NULL, "(a+)+b", err, sizeof(err)) == 0,
	    "backtracking pattern");
	o = redact(d, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac b x@example.com",
	    &n);
	is_str(o, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac b [REDACTED:EMAIL]",
	    "match limit stops the pattern, not the redaction");
	ok(dlp_errors(d) > 0, "match limit counted: %lu", dlp_errors(d));
	free(o);
	is_int(dlp_add_secret(d, "short", "abc", 3), -1, "short secret");
	is_int(dlp_add_secret(d, "", "abcdef", 6), -1, "unnamed secret");
	dlp_free(d);
}

static char *
b64(const char *s, int url, int pad)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char urls[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char		*a = url ? urls : std;
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n = strlen(s), i;
	char			*o, *p;
	unsigned int		 w;

	p = o = calloc(1, n * 2 + 8);
	for (i = 0; i < n; i += 3) {
		w = u[i] << 16 | (i + 1 < n ? u[i + 1] << 8 : 0) |
		    (i + 2 < n ? u[i + 2] : 0);
		*p++ = a[w >> 18];
		*p++ = a[(w >> 12) & 63];
		if (i + 1 < n)
			*p++ = a[(w >> 6) & 63];
		else if (pad)
			*p++ = '=';
		if (i + 2 < n)
			*p++ = a[w & 63];
		else if (pad)
			*p++ = '=';
	}
	return (o);
}

static void
secret_form(struct dlp *d, const char *form, const char *what)
{
	char		 in[512], exp[512], *o;
	unsigned int	 n;

	snprintf(in, sizeof(in), "pre %s post", form);
	o = redact(d, in, &n);
	ok(strstr(o, form) == NULL && strstr(o, "[REDACTED:LLM_API_KEY]") !=
	    NULL, "secret %s: %s", what, o);
	snprintf(exp, sizeof(exp), "pre [REDACTED:LLM_API_KEY] post");
	if (strcmp(what, "embedded base64") != 0)
		is_str(o, exp, "secret %s exact span", what);
	free(o);
}

static void
test_secrets(void)
{
	const char	*sec = "s3cr3t-Value with/special+chars?&=";
	struct dlp	*d = dlp_new();
	char		*f, buf[256];
	int		 url, pad;

	ok(dlp_add_secret(d, "llm_api_key", sec, strlen(sec)) == 0, "add");
	secret_form(d, sec, "raw");
	for (url = 0; url < 2; url++) {
		for (pad = 0; pad < 2; pad++) {
			f = b64(sec, url, pad);
			snprintf(buf, sizeof(buf), "base64 url=%d pad=%d",
			    url, pad);
			secret_form(d, f, buf);
			free(f);
		}
	}
	snprintf(buf, sizeof(buf), "user:%s", sec);
	f = b64(buf, 0, 1);
	secret_form(d, f, "embedded base64");
	free(f);
	snprintf(buf, sizeof(buf), "xy:%s", sec);
	f = b64(buf, 1, 0);
	secret_form(d, f, "embedded base64");
	free(f);
	secret_form(d, "s3cr3t-Value%20with%2Fspecial%2Bchars%3F%26%3D",
	    "urlencoded");
	secret_form(d, "s3cr3t-Value%20with%2fspecial%2bchars%3f%26%3d",
	    "urlencoded lower");
	secret_form(d, "s3cr3t-Value+with%2Fspecial%2Bchars%3F%26%3D",
	    "form-encoded");
	secret_form(d, "s3cr3t-Value with\\/special+chars?&=", "json \\/");
	dlp_free(d);
}

/* Every byte of s as pre, printf format of one byte, post. */
static char *
each_byte(const char *s, const char *fmt, int every)
{
	char	*o = malloc(strlen(s) * 10 + 1), *q = o;
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i % every == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			q += sprintf(q, fmt, (unsigned char)s[i]);
#pragma GCC diagnostic pop
		} else
			*q++ = s[i];
	}
	*q = '\0';
	return (o);
}

/* The form is gone and no 8 bytes of the value are left in the text. */
static void
encoded_form(struct dlp *d, const char *sec, const char *form,
    const char *what)
{
	char		*in, *o, piece[9];
	size_t		 i, l = strlen(sec);
	unsigned int	 n;
	int		 left = 0;

	if (asprintf(&in, "pre %s post", form) == -1)
		exit(1);
	o = redact(d, in, &n);
	for (i = 0; i + 8 <= l; i++) {
		memcpy(piece, sec + i, 8);
		piece[8] = '\0';
		left |= strstr(o, piece) != NULL;
	}
	ok(strstr(o, form) == NULL && !left && n > 0 &&
	    strncmp(o, "pre ", 4) == 0 && strstr(o, " post") != NULL &&
	    strstr(o, "[REDACTED:") != NULL, "encoded secret, %s: %s", what,
	    o);
	free(o);
	free(in);
}

/*
 * Each of proxyd's kinds of secret in every encoding it may take on
 * the wire: raw, base64 (standard, url-safe, padded or not), \uXXXX
 * and \xXX escapes (either case, all bytes or some), %-encoding (all
 * bytes or some), hex (either case), HTML character references, split
 * by JSON string boundaries, line-wrapped in a base64 or PEM block.
 */
static void
test_secret_encodings(void)
{
	static const char *const secs[] = {
		"sk-canary-llm-key-0123456789abcdefABCDEF",
		"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
		"zai-5f3a9c2e1b4d4e8f9a6b.Qx7Zk/+=",
		"GOCSPX-client-secret-value_0123456789abc"
	};
	static const struct { const char *fmt; int every; const char *what; }
	    per[] = {
		{ "\\u%04x", 1, "\\u escaped" },
		{ "\\u%04X", 1, "\\u escaped, upper case" },
		{ "\\u%04x", 3, "\\u escaped in part" },
		{ "\\x%02x", 1, "\\x escaped" },
		{ "\\x%02X", 2, "\\x escaped in part, upper case" },
		{ "%%%02X", 1, "%-encoded fully" },
		{ "%%%02x", 1, "%-encoded fully, lower case" },
		{ "%%%02X", 4, "%-encoded in part" },
		{ "%02x", 1, "hex" },
		{ "%02X", 1, "hex, upper case" },
		{ "&#%d;", 1, "HTML decimal references" },
		{ "&#x%x;", 1, "HTML hex references" },
		{ "&#X%X;", 5, "HTML references in part" },
	};
	struct dlp	*d;
	char		*f, *g, buf[512], what[128];
	size_t		 i, k, l, h;
	int		 url, pad;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		d = dlp_new();
		dlp_set_mode(d, DLP_OFF);	/* the secret alone */
		ok(dlp_add_secret(d, "secret", secs[i], strlen(secs[i])) ==
		    0, "secret %zu added", i);
		l = strlen(secs[i]);
		h = l / 2;
		encoded_form(d, secs[i], secs[i], "raw");
		for (url = 0; url < 2; url++)
			for (pad = 0; pad < 2; pad++) {
				f = b64(secs[i], url, pad);
				snprintf(what, sizeof(what), "base64 url=%d "
				    "pad=%d", url, pad);
				encoded_form(d, f, f, what);
				encoded_form(d, secs[i], f, what);
				free(f);
			}
		/* base64 of a longer text: the secret at every alignment */
		for (k = 0; k < 3; k++)
			for (url = 0; url < 2; url++) {
				snprintf(buf, sizeof(buf), "%.*sAuthorization: "
				    "%s;\n", (int)k, "xyz", secs[i]);
				f = b64(buf, url, !url);
				snprintf(what, sizeof(what), "inside base64, "
				    "offset %zu, url=%d", (k + 15) % 3, url);
				encoded_form(d, secs[i], f, what);
				free(f);
			}
		for (k = 0; k < sizeof(per) / sizeof(per[0]); k++) {
			f = each_byte(secs[i], per[k].fmt, per[k].every);
			encoded_form(d, secs[i], f, per[k].what);
			free(f);
		}
		/* split by JSON string boundaries */
		snprintf(buf, sizeof(buf), "\"%.*s\" + \"%s\"", (int)h,
		    secs[i], secs[i] + h);
		encoded_form(d, secs[i], buf, "split \"a\" + \"b\"");
		snprintf(buf, sizeof(buf), "[\"%.*s\",\n \"%s\"]", (int)h,
		    secs[i], secs[i] + h);
		encoded_form(d, secs[i], buf, "split [\"a\",\\n \"b\"]");
		snprintf(buf, sizeof(buf), "\\\"%.*s\\\" \\\"%s\\\"",
		    (int)h, secs[i], secs[i] + h);
		encoded_form(d, secs[i], buf, "split, JSON-escaped quotes");
		/* line-wrapped: PEM-like, and base64 wrapped at 16 */
		snprintf(buf, sizeof(buf), "-----BEGIN X-----\n%.*s\n%s\n",
		    (int)h, secs[i], secs[i] + h);
		encoded_form(d, secs[i], buf, "wrapped in a block");
		snprintf(buf, sizeof(buf), "%.*s\\n  %s", (int)h, secs[i],
		    secs[i] + h);
		encoded_form(d, secs[i], buf, "wrapped, JSON-escaped \\n");
		f = b64(secs[i], 0, 1);
		g = buf;
		for (k = 0; f[k] != '\0'; k++) {
			if (k > 0 && k % 16 == 0)
				*g++ = '\n';
			*g++ = f[k];
		}
		*g = '\0';
		encoded_form(d, f, buf, "base64 wrapped at 16");
		free(f);
		dlp_free(d);
	}
}

/*
 * A raw request body holds JSON escapes: a token right after "\n",
 * "\u0022" or "\"" starts a word for every table detector, as it did
 * for the C matchers the table replaced.
 */
static void
test_escaped_word_start(void)
{
	static const char *const toks[] = {
		"glpat-Xy7kQ2mN9pLr4TzW8vBc",
		"npm_Qx7Zk2mN9pLr4TzW8vBcYd3Hf6Jg1Ks5Lt0U",
		"dop_v1_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"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",
		"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",
		"hf_QxZkmNpLrTzWvBcYdHfJgKsLtUaBcDeFgH",
		"ghp_WdIz50lyeDSkTcA3y5Xfsve1PcV3dwwx4YGH",
		"xoxb-1234567890-1234567890123-YuCa3cnYn6cOkZRkRKi3b77S",
		"AKIAIOSFODNN7EXAMPLE",
	};
	static const char *const pre[] = { "\\n", "\\u0022", "\\\"",
	    "\\t" };
	struct dlp	*d = dlp_new();
	char		 in[512], *o;
	unsigned int	 n;
	size_t		 i, k;

	for (i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
		for (k = 0; k < sizeof(pre) / sizeof(pre[0]); k++) {
			snprintf(in, sizeof(in), "{\"c\":\"line%s%s\"}",
			    pre[k], toks[i]);
			o = redact(d, in, &n);
			ok(strstr(o, toks[i]) == NULL && n == 1 &&
			    strstr(o, "[REDACTED:") != NULL, "after %s: %s",
			    pre[k], o);
			free(o);
		}
	dlp_free(d);
}

/*
 * A long match holding many of its rule's keywords (a base64 private
 * key block, "LS0tLS1CRUdJTi" repeated) is tried once, not again from
 * each keyword to the end of the block: that was quadratic.
 */
static void
test_rule_linear(void)
{
	static const char	 unit[] = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t";
	struct dlp		*d = dlp_new();
	char			*in, *o;
	unsigned long		 runs = 0;
	unsigned int		 n;
	size_t			 i, k = 2000, ul = sizeof(unit) - 1;

	if ((in = malloc(k * ul + 1)) == NULL)
		exit(1);
	for (i = 0; i < k; i++)
		memcpy(in + i * ul, unit, ul);
	in[k * ul] = '\0';
	o = redact(d, in, &n);
	is_str(o, "[REDACTED:PRIVATE_KEY]", "a 72 KB base64 key block");
	for (i = 0; i < d->rules.n; i++)
		if (strcmp(d->rules.r[i].name, "pem_base64") == 0)
			runs = d->rules.r[i].runs;
	ok(runs >= 1 && runs <= 2, "pem_base64's pattern ran %lu times for "
	    "%zu keywords", runs, k);
	free(o);
	free(in);
	dlp_free(d);
}

/*
 * dlp tokenize: stable placeholders per map, proxyd's secrets still
 * redacted, values restored (escaped inside JSON text), a full map
 * redacts.
 */
static void
test_tokenize(void)
{
	struct dlp		*d = dlp_new();
	struct dlp_tokens	*t = dlp_tokens_new(3), *t2 = dlp_tokens_new(8);
	char			*o, *r;
	size_t			 rl;
	unsigned int		 n;
	int			 k;

	dlp_set_mode(d, DLP_TOKENIZE);
	dlp_add_secret(d, "llm_api_key", "sk-own-secret-0123456789", 24);
	dlp_set_tokens(d, t);
	o = redact(d, "mail a.b@example.org, card 4111 1111 1111 1111, "
	    "again a.b@example.org, c@example.net key sk-own-secret-0123456789",
	    &n);
	is_str(o, "mail <EMAIL_1>, card <CREDIT_CARD_1>, again <EMAIL_1>, "
	    "<EMAIL_2> key [REDACTED:LLM_API_KEY]", "tokenized, secret "
	    "redacted");
	free(o);
	o = redact(d, "later: c@example.net then d@example.com", &n);
	is_str(o, "later: <EMAIL_2> then [REDACTED:EMAIL]",
	    "same placeholder later; a full map redacts");
	free(o);
	r = dlp_tokens_restore(t, "send to <EMAIL_1> and <EMAIL_9>", 31, 0,
	    &rl, &k);
	is_str(r, "send to a.b@example.org and <EMAIL_9>", "restored");
	is_int(k, 1, "one placeholder restored");
	free(r);
	r = dlp_tokens_restore(t, "{\"to\":\"\\u003cEMAIL_2\\u003e\"}", 29,
	    1, &rl, &k);
	is_str(r, "{\"to\":\"c@example.net\"}", "restored in JSON text, "
	    "escaped form");
	free(r);
	dlp_set_tokens(d, t2);
	o = redact(d, "c@example.net", &n);
	is_str(o, "<EMAIL_1>", "another conversation, its own numbers");
	free(o);
	dlp_set_tokens(d, NULL);
	o = redact(d, "c@example.net", &n);
	is_str(o, "[REDACTED:EMAIL]", "no map: redacted");
	free(o);
	r = dlp_tokens_restore(t2, "no placeholder", 14, 0, &rl, &k);
	ok(r == NULL && k == 0, "nothing to restore");
	dlp_tokens_free(t);
	dlp_tokens_free(t2);
	dlp_free(d);
}

static void
test_overlap(void)
{
	struct dlp	*d = dlp_new();
	unsigned int	 n;
	char		*o;

	dlp_add_secret(d, "mail_pw", "hunter2hunter2", 14);
	o = redact(d, "x hunter2hunter2@example.com y", &n);
	is_str(o, "x [REDACTED:MAIL_PW] y", "secret wins a merged cluster");
	is_int(n, 1, "one replacement for overlapping matches");
	free(o);
	o = redact(d, "a@example.com,b@example.com", &n);
	is_str(o, "[REDACTED:EMAIL],[REDACTED:EMAIL]", "adjacent matches");
	is_int(n, 2, "two replacements");
	free(o);
	o = redact(d, "https://ghp_1234567890abcdefghijABCDEFGHIJ123456@github"
	    ".com/o/r", &n);
	is_str(o, "https://[REDACTED:GITHUB_TOKEN]/o/r",
	    "a credential names a cluster with an e-mail");
	free(o);
	o = redact(d, "+1 (212) 555-0100", &n);
	is_str(o, "[REDACTED:PHONE]", "nested phone matches merge");
	free(o);
	o = dlp_redact(d, "a\0b@example.com\0c", 17, NULL, &n);
	ok(o != NULL && memcmp(o, "a\0[REDACTED:EMAIL]\0c", 21) == 0,
	    "NUL bytes kept");
	free(o);
	o = redact(d, "", &n);
	ok(o[0] == '\0' && n == 0, "empty input");
	free(o);
	dlp_free(d);
}

static void
test_json(void)
{
	const char	*body = "{\"model\":\"m\",\"messages\":[{\"role\":"
	    "\"user\",\"content\":\"mail bob@example.com, card 4111 1111 1111"
	    " 1111\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":"
	    "{\"name\":\"run\",\"arguments\":\"{\\\"cmd\\\":\\\"echo "
	    "sk-proj-abcDEF1234567890abcdefXYZ\\\"}\"}}]}],"
	    "\"eve@example.com\":[1,2.5,true,null],\"n\":5551234567}";
	struct dlp	*d = dlp_new();
	json_error_t	 jerr;
	json_t		*j, *j2 = NULL, *args;
	char		*s;
	int		 n;

	j = json_loads(body, 0, &jerr);
	ok(j != NULL, "test body parses");
	if (j == NULL)
		return;
	n = dlp_redact_json(d, j);
	is_int(n, 4, "four redactions in the JSON body");
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	ok(s != NULL && (j2 = json_loads(s, 0, &jerr)) != NULL,
	    "still valid JSON");
	if (j2 == NULL)
		return;
	ok(strstr(s, "example.com") == NULL && strstr(s, "4111") == NULL &&
	    strstr(s, "sk-proj") == NULL, "nothing left: %s", s);
	is_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(j2, "messages"), 0), "content")),
	    "mail [REDACTED:EMAIL], card [REDACTED:CREDIT_CARD]", "content");
	args = json_loads(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(j2,
	    "messages"), 1), "tool_calls"), 0), "function"), "arguments")),
	    0, &jerr);
	ok(args != NULL, "tool call arguments still JSON");
	is_str(json_string_value(json_object_get(args, "cmd")),
	    "echo [REDACTED:OPENAI_KEY]", "arguments redacted");
	ok(json_is_array(json_object_get(j2, "[REDACTED:EMAIL]")),
	    "object key redacted, value kept");
	is_int(json_integer_value(json_object_get(j2, "n")), 5551234567LL,
	    "numbers are not strings and stay");
	json_decref(args);
	json_decref(j2);
	free(s);
	json_decref(j);

	dlp_add_secret(d, "odd", "\xa9\x41\x42\x43", 4);
	j = json_pack("[s]", "x \xc2\xa9\x41\x42\x43 y");
	is_int(dlp_redact_json(d, j), 1, "secret cutting a UTF-8 character");
	is_str(json_string_value(json_array_get(j, 0)), "[REDACTED:DLP]",
	    "text that would not be UTF-8 is replaced whole");
	json_decref(j);

	j = json_pack("{s:s, s:s}", "a@example.com", "1", "b@example.com",
	    "2");
	is_int(dlp_redact_json(d, j), 2, "two keys");
	ok(json_object_size(j) == 2 && json_object_get(j, "[REDACTED:EMAIL]")
	    != NULL && json_object_get(j, "[REDACTED:EMAIL]~2") != NULL,
	    "colliding keys both kept");
	json_decref(j);
	dlp_free(d);
}

/* A text of about n bytes with tokens at every kind of offset. */
static char *
mktext(size_t n, size_t *lenp)
{
	static const char *const toks[] = {
		"bob@example.com", "4111 1111 1111 1111", "123-45-6789",
		"+44 20 7946 0958", "DE89 3704 0044 0532 0130 00",
		"AKIAIOSFODNN7EXAMPLE", "Zq9secretCanary42",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
		    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEF"
		    "AASCAT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ\nYx2eqzDV+xeG8kx/sQ"
		    "FV18S5JhzGeIJNA72wSeukEPojtqUyX2J0CciPBh7eqclQ\n"
		    "-----END PRIVATE KEY-----",
		"sk-proj-abcDEF1234567890abcdefXYZ",
		"ghp_1234567890abcdefghijABCDEFGHIJ123456",
		"x\\nsk-proj-abcDEF1234567890abcdefXYZ\\n",
		"\\u003cbob@example.com\\u003e",
		"\"AWS_SECRET_ACCESS_KEY\":\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\""
	};
	char	*t = malloc(n + 512);
	size_t	 len = 0, k = 0;
	unsigned int seed = 7;

	while (len < n) {
		seed = seed * 1103515245 + 12345;
		if (seed % 5 == 0) {
			len += sprintf(t + len, (seed >> 4) % 2 ? " %s " : "%s",
			    toks[k++ % (sizeof(toks) / sizeof(toks[0]))]);
		} else {
			len += sprintf(t + len, "%s%u ", (seed >> 8) % 3 ?
			    "word " : "line\n", (seed >> 12) % 1000);
		}
	}
	*lenp = len;
	return (t);
}

static char *
slurp(int fd, size_t *lenp)
{
	char	*b = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	lseek(fd, 0, SEEK_SET);
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(b, cap)) == NULL)
				exit(1);
			b = nb;
		}
		if ((r = read(fd, b + len, cap - len)) <= 0)
			break;
		len += r;
	}
	*lenp = len;
	return (b);
}

static void
show_diff(const char *got, size_t glen, const char *exp, size_t elen)
{
	size_t	i, lo;

	for (i = 0; i < glen && i < elen && got[i] == exp[i]; i++)
		;
	if (i == glen && i == elen)
		return;
	lo = i > 60 ? i - 60 : 0;
	printf("# first difference at %zu\n# got: %.*s\n# exp: %.*s\n", i,
	    (int)(glen - lo < 120 ? glen - lo : 120), got + lo,
	    (int)(elen - lo < 120 ? elen - lo : 120), exp + lo);
}

static void
test_fd(void)
{
	static const size_t	 wins[] = { 4096, 4099, 4111, 4127, 5003, 6007,
	    8192, 65536, 0 };
	struct dlp		*d = dlp_new();
	char			*text, *exp, *got, tin[] = "/tmp/dlpinXXXXXX";
	char			 tout[] = "/tmp/dlpoutXXXXXX";
	size_t			 len, elen, glen, w, off;
	unsigned int		 n;
	int			 in, out, rc, p[2], status;
	pid_t			 pid;

	dlp_add_secret(d, "canary", "Zq9secretCanary42", 17);
	text = mktext(600 * 1024, &len);
	exp = dlp_redact(d, text, len, &elen, &n);
	ok(exp != NULL && n > 1000, "reference redaction: %u matches", n);
	in = mkstemp(tin);
	out = mkstemp(tout);
	unlink(tin);
	unlink(tout);
	ok(in != -1 && out != -1 && write(in, text, len) == (ssize_t)len,
	    "temp files");
	for (w = 0; w < sizeof(wins) / sizeof(wins[0]); w++) {
		lseek(in, 0, SEEK_SET);
		lseek(out, 0, SEEK_SET);
		if (ftruncate(out, 0) == -1)
			ok(0, "ftruncate");
		rc = wins[w] ? dlp_redact_fd_window(d, in, out, wins[w]) :
		    dlp_redact_fd(d, in, out);
		got = slurp(out, &glen);
		is_int(rc, n, "window %zu: count", wins[w]);
		ok(glen == elen && memcmp(got, exp, elen) == 0,
		    "window %zu: same output as one pass", wins[w]);
		show_diff(got, glen, exp, elen);
		free(got);
	}
	/* through a pipe written in odd small pieces */
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		ok(0, "pipe/fork");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		for (off = 0; off < len; off += 7)
			if (write(p[1], text + off, len - off < 7 ? len - off :
			    7) == -1)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	lseek(out, 0, SEEK_SET);
	if (ftruncate(out, 0) == -1)
		ok(0, "ftruncate");
	rc = dlp_redact_fd_window(d, p[0], out, 4096);
	close(p[0]);
	waitpid(pid, &status, 0);
	got = slurp(out, &glen);
	ok(rc == (int)n && glen == elen && memcmp(got, exp, elen) == 0,
	    "pipe with short reads: same output");
	ok(memmem(got, glen, "Zq9secretCanary42", 17) == NULL,
	    "no canary in the output");
	free(got);
	is_int(dlp_redact_fd(d, -1, out), -1, "read error reported");
	close(in);
	close(out);
	free(exp);
	free(text);
	dlp_free(d);
}

/* Several 4 MiB windows of the default size, and 1 MiB ones. */
static void
test_fd_large(void)
{
	struct dlp	*d = dlp_new();
	char		*text, *exp, *got, tin[] = "/tmp/dlpinXXXXXX";
	char		 tout[] = "/tmp/dlpoutXXXXXX";
	size_t		 len, elen, glen;
	unsigned int	 n;
	int		 in, out, rc, pass;

	text = mktext(10 * 1024 * 1024, &len);
	exp = dlp_redact(d, text, len, &elen, &n);
	in = mkstemp(tin);
	out = mkstemp(tout);
	unlink(tin);
	unlink(tout);
	ok(exp != NULL && in != -1 && out != -1 &&
	    write(in, text, len) == (ssize_t)len, "10 MiB input");
	for (pass = 0; pass < 2; pass++) {
		lseek(in, 0, SEEK_SET);
		lseek(out, 0, SEEK_SET);
		if (ftruncate(out, 0) == -1)
			ok(0, "ftruncate");
		rc = pass == 0 ? dlp_redact_fd(d, in, out) :
		    dlp_redact_fd_window(d, in, out, 1024 * 1024);
		got = slurp(out, &glen);
		ok(rc == (int)n && glen == elen && memcmp(got, exp, elen) == 0,
		    "10 MiB, %s windows: same as one pass (%u matches)",
		    pass == 0 ? "4 MiB" : "1 MiB", n);
		show_diff(got, glen, exp, elen);
		free(got);
	}
	close(in);
	close(out);
	free(exp);
	free(text);
	dlp_free(d);
}

int
main(void)
{
	test_corpus();
	test_modes();
	test_secrets();
	test_secret_encodings();
	test_escaped_word_start();
	test_rule_linear();
	test_tokenize();
	test_overlap();
	test_json();
	test_fd();
	test_fd_large();
	return (done_testing());
}

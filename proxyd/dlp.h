/*
 * dlp.h - data loss prevention: redact personal data, credentials and
 * proxyd's own secrets from everything that leaves proxyd.
 *
 * Every match is replaced by "[REDACTED:NAME]", NAME being the
 * upper-case detector name (EMAIL, CREDIT_CARD, OPENAI_KEY, ...), the
 * label of a custom pattern or the name of a secret.  Overlapping
 * matches are merged into one replacement covering all of them, so no
 * byte of any match survives; the label is that of the first class
 * taking part of: secret, custom pattern, credential (keys, tokens,
 * JWT, private key), personal data (e-mail, phone, card, SSN, IBAN);
 * within a class the earliest (then longest) match.
 *
 * A struct dlp is not thread-safe: it keeps scratch space between
 * calls.  Compile every custom pattern before seccomp is locked
 * (pcre2 JIT needs executable memory).
 */
#ifndef TOPSH_DLP_H
#define TOPSH_DLP_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

#define DLP_REDACT	0	/* same numbering as conf_proxy.dlp */
#define DLP_OFF		1	/* only secrets are redacted */
#define DLP_TOKENIZE	2	/* placeholders that can be restored */

#define DLP_NAME_MAX	64	/* longest detector/label/secret name */
#define DLP_SECRET_MIN	4	/* shortest secret dlp_add_secret takes */

struct dlp;

struct dlp	*dlp_new(void);
/* secrets only: DLP_OFF, no detector table (a log scrubber) */
struct dlp	*dlp_new_secrets(void);
void		 dlp_free(struct dlp *);

/*
 * A custom pcre2 pattern; name identifies it (dlp_disable), label
 * (upper-cased; name when NULL or empty) goes into the replacement.
 * Returns 0, or -1 with a message in err.
 */
int		 dlp_add_custom(struct dlp *, const char *, const char *,
		    const char *, char *, size_t);

/*
 * An exact secret value: the value itself, its base64 forms (standard
 * and url-safe, padded or not, also inside longer base64 text), its
 * URL-encoded and JSON-escaped forms are always redacted, even when
 * the mode is DLP_OFF.  The copies are wiped at dlp_free.  Returns -1
 * (errno EINVAL) for a value shorter than DLP_SECRET_MIN or a bad name.
 */
int		 dlp_add_secret(struct dlp *, const char *, const void *,
		    size_t);

/*
 * More table detectors, in the format of etc/dlp.rules (text, file is
 * for messages).  Returns 0, or -1 with "file:line: message" in err.
 */
int		 dlp_add_detectors(struct dlp *, const char *, const char *,
		    char *, size_t);

/*
 * Build the keyword filter (not with DLP_OFF, which runs no detector)
 * and the secrets' database now (else at the first redaction): before
 * proxyd confines itself, and again after adding secrets.  Returns 0,
 * or -1 when out of memory.
 */
int		 dlp_prepare(struct dlp *);

/*
 * While on, vectorscan databases are compiled in a child process and
 * deserialized here (dlp_hschild.c): the compiler's code and heap stay
 * out of this process.  Only before confinement (it forks).
 */
void		 dlp_compile_isolated(int);

/*
 * The databases of dlp_prepare() built by a child while the caller
 * goes on (dlp_hschild.c): dlp_build_spawn() forks it (before
 * confinement; NULL if it cannot); when dlp_build_fd() is readable,
 * dlp_build_collect() reads on and returns 0 (more to come), 1 (the
 * databases are in place) or -1 (the child failed: dlp_prepare() then
 * builds them here); dlp_build_free() closes.  hold: the child stops
 * itself until SIGCONT (tests).
 */
struct dlp_build;
struct dlp_build *dlp_build_spawn(struct dlp *, int);
int		 dlp_build_fd(const struct dlp_build *);
pid_t		 dlp_build_pid(const struct dlp_build *);
int		 dlp_build_collect(struct dlp_build *, struct dlp *);
void		 dlp_build_free(struct dlp_build *);

/* The table detectors (shipped and added): count, name and label. */
size_t		 dlp_table_count(const struct dlp *);
const char	*dlp_table_name(const struct dlp *, size_t, const char **);

void		 dlp_set_mode(struct dlp *, int);
int		 dlp_get_mode(const struct dlp *);

/*
 * Turn off a detector, built-in, of the table or custom, by name (case
 * does not matter).  Returns 0, or -1 if there is no such detector.
 */
int		 dlp_disable(struct dlp *, const char *);
int		 dlp_enable(struct dlp *, const char *);

/*
 * Built-in detector names (personal data: email, phone, credit_card,
 * ssn, iban) in order, NULL-terminated; the table's are
 * dlp_table_name().
 */
const char * const *dlp_detector_names(void);

/*
 * Redact len bytes (NUL bytes allowed).  Returns a malloc'd,
 * NUL-terminated string and its length in *outlen, the number of
 * replacements in *nfound (either may be NULL); NULL on memory error.
 * Raw JSON text keeps its string escapes intact, but a JSON number that
 * looks like a card or phone number is replaced without quotes: use
 * dlp_redact_json for JSON documents.
 */
char		*dlp_redact(struct dlp *, const char *, size_t, size_t *,
		    unsigned int *);

/*
 * Redact inside every string value and object key of a JSON document,
 * in place; the document stays valid JSON.  Returns the number of
 * replacements, or -1 on memory error.
 */
int		 dlp_redact_json(struct dlp *, json_t *);

/*
 * Redact infd to outfd until end of file (proxyd -R), in windows of
 * 4 MiB that overlap so that no match is split.  Returns the number
 * of replacements, or -1 on a read or write error (errno set).
 */
int		 dlp_redact_fd(struct dlp *, int, int);

/* The same with an explicit window size (tests); min 1024 bytes. */
int		 dlp_redact_fd_window(struct dlp *, int, int, size_t);

/*
 * Strict UTF-8: the length of the sequence at s (1 for ASCII), 0 if it
 * is not valid; whether all n bytes are valid UTF-8.
 */
size_t		 dlp_utf8_seqlen(const unsigned char *, size_t);
int		 dlp_utf8_valid(const char *, size_t);

/*
 * Tokenization (dlp tokenize): while a map is set with dlp_set_tokens,
 * every match but proxyd's own secrets (always "[REDACTED:NAME]") is
 * replaced by its placeholder in the map, "<LABEL_n>", the same for
 * the same value.  A map holds at most max values; past that, new
 * values are redacted.  dlp_tokens_restore puts the values back (see
 * dlp_token.c).
 */
struct dlp_tokens;
struct dlp_tokens *dlp_tokens_new(size_t);
void		 dlp_tokens_free(struct dlp_tokens *);
size_t		 dlp_tokens_count(const struct dlp_tokens *);
const char	*dlp_tokens_put(struct dlp_tokens *, const char *,
		    const char *, size_t);
char		*dlp_tokens_restore(const struct dlp_tokens *, const char *,
		    size_t, int, size_t *, int *);
void		 dlp_set_tokens(struct dlp *, struct dlp_tokens *);

/* Custom pattern match errors (match limit, JIT stack) since dlp_new. */
unsigned long	 dlp_errors(const struct dlp *);

#endif

/*
 * html2text.h - readable text from an HTML page (fetch_page).
 */
#ifndef TOPSH_HTML2TEXT_H
#define TOPSH_HTML2TEXT_H

#include <stddef.h>

#define HTML2TEXT_MARK	"[truncated]"

/*
 * Convert len bytes of HTML to plain UTF-8 text: script, style, head,
 * template, noscript and svg contents dropped; entities decoded (the
 * common named ones and every numeric one); block elements end lines,
 * list items start with "- ", table cells are joined by " | ", links
 * read "text (url)", images "[image: alt]"; blanks collapse except in
 * <pre>; bytes that are not UTF-8 become U+FFFD.  When the text would
 * pass maxout bytes (0: no limit) it is cut at a character boundary
 * and ends with a line "[truncated]"; the result including that mark
 * is never longer than maxout.  Never fails on malformed input.
 * Returns a malloc'd NUL-terminated string and its length in *outlen
 * (may be NULL), or NULL on memory error.
 */
char	*html2text(const char *, size_t, size_t, size_t *);

#endif

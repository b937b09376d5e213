/*
 * fuzz_render.c - gatewayd's Markdown to Telegram HTML renderer and the
 * 4096-unit splitter on arbitrary model output: no crash, every piece
 * within the limit, and tags balanced in each piece.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* every <b>, <i>, <code>, <pre>, <a ...> closed within the piece */
static int
balanced(const char *s)
{
	int	 depth = 0;

	for (; *s != '\0'; s++) {
		if (*s != '<')
			continue;
		if (s[1] == '/')
			depth--;
		else
			depth++;
		if (depth < 0)
			return (0);
	}
	return (depth == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*text, *html, *plain, **pieces;
	size_t	 i, limit;

	if (len < 1)
		return (0);
	limit = 256 + data[0] * 16;	/* small limits split more */
	if ((text = malloc(len)) == NULL)
		return (0);
	memcpy(text, data + 1, len - 1);
	text[len - 1] = '\0';
	html = render_html(text);
	plain = render_plain(text);
	if (html != NULL && (pieces = split_message(html, limit, 1)) != NULL) {
		for (i = 0; pieces[i] != NULL; i++) {
			if (utf16_units(pieces[i], strlen(pieces[i])) > limit)
				abort();
			if (!balanced(pieces[i]))
				abort();
		}
		split_free(pieces);
	}
	if (plain != NULL && (pieces = split_message(plain, limit, 0)) !=
	    NULL) {
		for (i = 0; pieces[i] != NULL; i++)
			if (utf16_units(pieces[i], strlen(pieces[i])) > limit)
				abort();
		split_free(pieces);
	}
	free(html);
	free(plain);
	free(text);
	return (0);
}

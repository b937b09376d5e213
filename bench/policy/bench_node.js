// bench_node.js - the same regex rules run the way LocalTopSH ran them:
// a loop of RegExp.test() over every rule for each command, in Node.js.
// usage: node bench_node.js rules.json [checks]
'use strict';
const fs = require('fs');

const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const checks = parseInt(process.argv[3] || '20000', 10);

// PCRE to JavaScript where the syntax allows it
function convert(p, flags) {
	if (flags.includes('x'))
		return { skip: 'extended mode (x)' };
	if (/\(\?[a-zA-Z^-]+[:)]/.test(p.replace(/\(\?P?<[A-Za-z_]\w*>/g, '')))
		return { skip: 'inline flags' };
	if (/\(\?>|\(\?\||\\Q|\(\?#|[*+?}]\+/.test(p))
		return { skip: 'atomic/possessive/\\Q' };
	let q = p.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^')
	    .replace(/\\[zZ]/g, '$').replace(/\\h/g, '[ \\t]');
	try {
		return { re: new RegExp(q, flags.replace('x', '')) };
	} catch (e) {
		return { skip: e.message };
	}
}

const rules = [];
const skipped = [];
for (const r of data.rules) {
	const c = convert(r.pattern, r.flags);
	if (c.re)
		rules.push(c.re);
	else
		skipped.push(r.name + ': ' + c.skip);
}
const cmds = data.commands;
const lat = new Float64Array(checks);
let total = 0n, hits = 0;
for (let i = 0; i < checks; i++) {
	const s = cmds[i % cmds.length];
	const t0 = process.hrtime.bigint();
	for (let r = 0; r < rules.length; r++)
		if (rules[r].test(s)) {
			hits++;
			break;
		}
	const t1 = process.hrtime.bigint();
	lat[i] = Number(t1 - t0);
	total += t1 - t0;
}
lat.sort();
const us = (ns) => (ns / 1e3).toFixed(2);
console.log(`${'Node.js RegExp.test() loop'.padEnd(34)} ` +
    `${(checks / (Number(total) / 1e9)).toFixed(0).padStart(9)} checks/s  ` +
    `p50 ${us(lat[checks >> 1]).padStart(6)} us  ` +
    `p99 ${us(lat[Math.floor(checks * 99 / 100)]).padStart(6)} us  ` +
    `max ${us(lat[checks - 1]).padStart(7)} us  (${checks} checks)`);
console.log(`node ${process.version}: ${rules.length} of ` +
    `${data.rules.length} patterns converted, ${skipped.length} skipped`);
for (const s of skipped)
	console.log(`  skipped ${s}`);

'use strict';
// A SigV4-checking front for an emulator that does not check signatures
// itself: s3rver (checks only that the access key exists; its SigV4 check is
// "unimplemented"), dynalite (checks only the header's shape) and
// aws-ses-v2-local (checks only that an "AWS..." Authorization is there).
// It verifies each request as the real service would (sigv4.js: scope, date,
// skew, signed headers, the signature itself with FAKE_AWS_SECRET; for S3
// also x-amz-content-sha256 against the body), answers errors in the
// service's own format, and forwards good requests unchanged.
//
// Usage: node sigv4-proxy.js PORT UPSTREAM_PORT SERVICE   (s3 | dynamodb | ses)
// Environment: FAKE_AWS_SECRET (required), FAKE_AWS_ACCESS_KEY, FAKE_AWS_REGION.
// Requests without an Authorization header whose path starts with one of
// SIGV4_PROXY_OPEN (space-separated prefixes) pass unchecked (none by default).
const http = require('http');
const sigv4 = require('./sigv4');

const [port, upstream, service] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const env = process.env;
if (!port || !upstream || !['s3', 'dynamodb', 'ses'].includes(service) || !env.FAKE_AWS_SECRET) {
	console.error('usage: FAKE_AWS_SECRET=... node sigv4-proxy.js PORT UPSTREAM_PORT s3|dynamodb|ses');
	process.exit(2);
}

const xmlEsc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// The error as the real service words it on the wire.
function sendError(res, path, e) {
	let type = 'application/json';
	let body;
	if (service === 's3') {
		const code = e.type === 'InvalidSignatureException' ? 'SignatureDoesNotMatch'
			: e.type === 'UnrecognizedClientException' ? 'InvalidAccessKeyId'
				: e.type === 'MissingAuthenticationTokenException' ? 'AccessDenied' : e.type;
		type = 'application/xml';
		body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEsc(code)}</Code><Message>${xmlEsc(e.message)}</Message></Error>`;
	} else if (service === 'ses' && !path.startsWith('/v2/')) {
		type = 'text/xml';
		body = `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${xmlEsc(e.type.replace(/Exception$/, ''))}</Code><Message>${xmlEsc(e.message)}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`;
	} else {
		const t = service === 'dynamodb' ? 'com.amazon.coral.service#' + e.type : e.type;
		body = JSON.stringify({ __type: t, message: e.message });
	}
	res.writeHead(e.status, { 'Content-Type': type, 'x-amzn-ErrorType': e.type });
	res.end(body);
}

const open = (env.SIGV4_PROXY_OPEN || '').split(' ').filter(Boolean);

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		const url = new URL(req.url, 'http://127.0.0.1');
		const headers = [];
		for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
		const unchecked = !req.headers.authorization && open.some((p) => url.pathname.startsWith(p));
		const e = unchecked ? null : sigv4.verify(
			{ method: req.method, path: url.pathname, query: url.search.slice(1), headers, body },
			{ service, region: env.FAKE_AWS_REGION, accessKey: env.FAKE_AWS_ACCESS_KEY, secret: env.FAKE_AWS_SECRET });
		if (e) return sendError(res, url.pathname, e);
		const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (ur) => {
			res.writeHead(ur.statusCode, ur.headers);
			ur.pipe(res);
		});
		up.on('error', (err) => { res.writeHead(502); res.end(String(err.message)); });
		up.end(body);
	});
}).listen(port, '127.0.0.1', () => console.log(`sigv4-proxy: ${service} on 127.0.0.1:${port} -> ${upstream}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

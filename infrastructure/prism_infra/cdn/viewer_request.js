// Prism's viewer-request function (CloudFront Functions, cloudfront-js-2.0).
// For GET /images/<id>/transform?<params> it applies the same rules as the app
// (lambda/prism/transforms/request.py, step for step; tests/transforms/cases.json holds
// both to the same answers): junk gets its 400/403/404 here, at no origin cost, and a good
// request is rewritten to its stored object, /<id>/t/<canonical form>, with no query string,
// so the cache key is the URI alone. Any other request passes through untouched.
import crypto from 'crypto';

// Filled in by the stack (prism_infra/cdn/function_code.py); keep it on one line.
const CONFIG = {"maxSize": 4096, "widths": [], "widthsMode": "up", "keys": []}; // PRISM_CONFIG

const PARAMETERS = ['fit', 'format', 'height', 'quality', 'sig', 'width'];
const FITS = ['contain', 'cover'];
const FORMATS = ['auto', 'avif', 'jpeg', 'png', 'webp'];
const DEFAULT_QUALITY = {jpeg: 85, webp: 80, avif: 60, legacy: 85};
const SIG_CHARS = 32; // 24 bytes of HMAC-SHA256, base64url: whole characters, no padding
const TRANSFORM_URI = /^\/images\/([^\/]*)\/transform$/;
const IMAGE_ID = /^[0-9a-f]{32}$/;
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,40}$/;
const CODES = {400: 'invalid_transform', 403: 'invalid_signature', 404: 'unknown_image'};
const TITLES = {400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found'};

function Refusal(status, param, detail) {
    this.status = status;
    this.param = param;
    this.detail = detail;
}

function decode(raw, param) {
    // Strict percent-decoding; '+' stays '+'. Python: params._decode.
    if (/%(?![0-9A-Fa-f]{2})/.test(raw)) {
        throw new Refusal(400, param, 'the query string has a malformed %-escape');
    }
    try {
        return decodeURIComponent(raw);
    } catch (e) {
        throw new Refusal(400, param, 'the query string is not valid UTF-8');
    }
}

function splitQuery(raw) {
    const found = {};
    const segments = (raw || '').split('&');
    for (let i = 0; i < segments.length; i++) {
        const segment = segments[i];
        if (segment === '') continue;
        const eq = segment.indexOf('=');
        const name = decode(eq < 0 ? segment : segment.slice(0, eq), 'query');
        if (PARAMETERS.indexOf(name) < 0) {
            throw new Refusal(400, SAFE_NAME.test(name) ? name : 'query',
                'unknown parameter; allowed: ' + PARAMETERS.join(', '));
        }
        const value = decode(eq < 0 ? '' : segment.slice(eq + 1), name);
        if (Object.prototype.hasOwnProperty.call(found, name)) {
            throw new Refusal(400, name, name + ' is given more than once');
        }
        found[name] = value;
    }
    return found;
}

function whole(params, name, top) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) return null;
    const value = params[name];
    const digits = /^[0-9]+$/.test(value) ? value.replace(/^0+/, '') : null;
    const number = digits !== null && digits.length > 0 && digits.length < 7 ? Number(digits) : 0;
    if (number < 1 || number > top) {
        throw new Refusal(400, name, name + ' must be a whole number from 1 to ' + top);
    }
    return number;
}

function normalise(t) {
    const fit = t.width !== null && t.height !== null ? t.fit : 'contain';
    let quality = t.quality;
    if (t.format === 'png' || (DEFAULT_QUALITY.hasOwnProperty(t.format) && quality === DEFAULT_QUALITY[t.format])) {
        quality = null;
    }
    return {width: t.width, height: t.height, fit: fit, format: t.format, quality: quality};
}

function parse(params) {
    const width = whole(params, 'width', CONFIG.maxSize);
    const height = whole(params, 'height', CONFIG.maxSize);
    const fit = params.hasOwnProperty('fit') ? params.fit : 'contain';
    if (FITS.indexOf(fit) < 0) throw new Refusal(400, 'fit', 'fit must be one of: ' + FITS.join(', '));
    let format = params.hasOwnProperty('format') ? params.format : null;
    if (format === 'jpg') format = 'jpeg';
    if (format !== null && FORMATS.indexOf(format) < 0) {
        throw new Refusal(400, 'format', 'format must be one of: ' + FORMATS.join(', ') + ' (or jpg)');
    }
    const quality = whole(params, 'quality', 100);
    return normalise({width: width, height: height, fit: fit, format: format, quality: quality});
}

function form(t) {
    const parts = [];
    if (t.fit !== 'contain') parts.push('fit=' + t.fit);
    if (t.format !== null) parts.push('format=' + t.format);
    if (t.height !== null) parts.push('height=' + t.height);
    if (t.quality !== null) parts.push('quality=' + t.quality);
    if (t.width !== null) parts.push('width=' + t.width);
    return parts.length ? parts.join(',') : 'original';
}

function signatureMatches(imageId, canonical, sig) {
    if (!sig) return false;
    let matched = false;
    for (let i = 0; i < CONFIG.keys.length; i++) {
        // base64 made URL-safe by hand: the runtime's documented digest encodings are what
        // every version has; the first 32 characters (24 bytes) never reach the padding.
        const expected = crypto.createHmac('sha256', CONFIG.keys[i])
            .update(imageId + '/' + canonical).digest('base64')
            .replace(/\+/g, '-').replace(/\//g, '_').slice(0, SIG_CHARS);
        // Constant time: look at every character whatever the first difference.
        let diff = expected.length ^ sig.length;
        for (let j = 0; j < expected.length; j++) {
            diff |= expected.charCodeAt(j) ^ (j < sig.length ? sig.charCodeAt(j) : 0);
        }
        matched = matched || diff === 0;
    }
    return matched;
}

function snapWidth(t) {
    const widths = CONFIG.widths;
    if (!widths.length || t.width === null || widths.indexOf(t.width) >= 0) return t;
    let bigger = null;
    for (let i = 0; i < widths.length && bigger === null; i++) {
        if (widths[i] > t.width) bigger = widths[i];
    }
    if (CONFIG.widthsMode === 'reject' || bigger === null) {
        throw new Refusal(400, 'width', 'width must be one of: ' + widths.join(', '));
    }
    return normalise({width: bigger, height: t.height, fit: t.fit, format: t.format, quality: t.quality});
}

function negotiate(accept) {
    // Only an explicit image/avif or image/webp counts; q=0 refuses. Python: negotiate.py.
    const types = {};
    const items = (accept || '').split(',');
    for (let i = 0; i < items.length; i++) {
        const parts = items[i].split(';').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''));
        const media = parts[0].toLowerCase();
        let refused = false;
        for (let j = 1; j < parts.length; j++) {
            const eq = parts[j].indexOf('=');
            const name = (eq < 0 ? parts[j] : parts[j].slice(0, eq)).replace(/[ \t]+$/, '').toLowerCase();
            const value = eq < 0 ? '' : parts[j].slice(eq + 1).replace(/^[ \t]+/, '');
            if (name === 'q' && /^0(\.0{0,3})?$/.test(value)) refused = true;
        }
        if (media && !refused) types[media] = true;
    }
    if (types['image/avif']) return 'avif';
    if (types['image/webp']) return 'webp';
    return 'legacy';
}

// The request as the app sees it: the image id and query, to the stored object's key.
function resolve(imageId, rawQuery, accept) {
    if (!IMAGE_ID.test(imageId)) {
        throw new Refusal(404, 'image_id', 'an image id is 32 lowercase hex characters');
    }
    const params = splitQuery(rawQuery);
    const requested = parse(params);
    if (CONFIG.keys.length && !signatureMatches(imageId, form(requested), params.sig)) {
        throw new Refusal(403, 'sig', params.sig ? 'signature does not match' : 'this URL must be signed');
    }
    let t = snapWidth(requested);
    const negotiated = t.format === 'auto';
    if (negotiated) {
        t = normalise({width: t.width, height: t.height, fit: t.fit, format: negotiate(accept), quality: t.quality});
    }
    return {requested: form(requested), form: form(t), key: imageId + '/t/' + form(t), negotiated: negotiated};
}

function headerValue(headers, name) {
    const header = headers && headers[name];
    if (!header) return null;
    return header.multiValue ? header.multiValue.map((h) => h.value).join(',') : header.value;
}

function rawQueryOf(request) {
    if (typeof request.rawQueryString === 'function') return request.rawQueryString() || '';
    // Without the helper (the console's test events), rebuild it from the parsed object.
    const parts = [];
    Object.keys(request.querystring || {}).forEach((name) => {
        const entry = request.querystring[name];
        (entry.multiValue || [entry]).forEach((v) => parts.push(name + '=' + v.value));
    });
    return parts.join('&');
}

function problem(refusal, uri) {
    const body = {
        type: 'urn:prism:problem:' + CODES[refusal.status],
        title: TITLES[refusal.status],
        status: refusal.status,
        detail: refusal.detail,
        instance: uri,
        param: refusal.param,
    };
    return {
        statusCode: refusal.status,
        statusDescription: TITLES[refusal.status],
        headers: {
            'content-type': {value: 'application/problem+json'},
            'cache-control': {value: 'no-store'},
        },
        body: {encoding: 'text', data: JSON.stringify(body)},
    };
}

function handler(event) {
    const request = event.request;
    const match = TRANSFORM_URI.exec(request.uri);
    if (!match || (request.method !== 'GET' && request.method !== 'HEAD')) return request;
    try {
        const resolved = resolve(match[1], rawQueryOf(request), headerValue(request.headers, 'accept'));
        request.uri = '/' + resolved.key;
        request.querystring = {};
        return request;
    } catch (e) {
        if (e instanceof Refusal) return problem(e, request.uri);
        throw e;
    }
}

// Prism's CDN router (CloudFront Functions, cloudfront-js-2.0), on viewer request for every
// path except /images/*/transform (which has the transform function, viewer_request.js).
// A preset variant URL, /images/<id>/<variant>, is rewritten to its stored object,
// /<id>/<variant>.<ext>, with no query string, so the cache key is that URI alone. Anything
// else - manifests, listings, docs, junk - is answered 404 here and never reaches an origin:
// the CDN serves images, not the API.
var PRISM_CONFIG = {"variants": {}}; // PRISM_CONFIG (filled in by the stack)
var IMAGE_ID = /^[0-9a-f]{32}$/;

function notFound(uri) {
    var body = {
        type: 'urn:prism:problem:not_found',
        title: 'Not Found',
        status: 404,
        detail: 'the CDN serves /images/<id>/<variant> and /images/<id>/transform only',
        instance: uri
    };
    return {
        statusCode: 404,
        statusDescription: 'Not Found',
        headers: {
            'content-type': {value: 'application/problem+json'},
            'cache-control': {value: 'no-store'}
        },
        body: {encoding: 'text', data: JSON.stringify(body)}
    };
}

function handler(event) {
    var request = event.request;
    var parts = request.uri.split('/');
    var variants = PRISM_CONFIG.variants;
    if (parts.length === 4 && parts[0] === '' && parts[1] === 'images' &&
            IMAGE_ID.test(parts[2]) && Object.prototype.hasOwnProperty.call(variants, parts[3])) {
        request.uri = '/' + parts[2] + '/' + variants[parts[3]];
        request.querystring = {};
        return request;
    }
    return notFound(request.uri);
}

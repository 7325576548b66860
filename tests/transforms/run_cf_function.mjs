// Runs the CloudFront viewer-request function under Node on a batch of requests.
// stdin: {"functions": {"<config>": "<rendered code file>"}, "requests": [...]}; stdout: one
// answer per request. The code is the rendered, ready-to-publish function, unchanged except
// for an `export` line appended so that Node can reach `handler` (CloudFront calls it by name).
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));

const handlers = {};
for (const [config, path] of Object.entries(input.functions)) {
  const module = `${path}.mjs`;
  writeFileSync(module, `${readFileSync(path, "utf8")}\nexport { handler };\n`);
  handlers[config] = (await import(pathToFileURL(module).href)).handler;
}

// The event CloudFront builds for a viewer request (functions-event-structure): lower-case
// header names, repeated headers and parameters folded into `multiValue`, and (runtime 2.0)
// the untouched query string behind request.rawQueryString().
// Own properties only, defined (not assigned) so that a parameter named __proto__ or
// constructor is an entry like any other rather than a path into Object.prototype.
function entries(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    if (!Object.hasOwn(out, name)) {
      Object.defineProperty(out, name, { value: { value }, enumerable: true, writable: true });
    } else {
      const entry = out[name];
      entry.multiValue = [...(entry.multiValue || [{ value: entry.value }]), { value }];
    }
  }
  return out;
}

function event(req) {
  const pairs = (req.query || "").split("&").filter(Boolean).map((s) => {
    const eq = s.indexOf("=");
    return eq < 0 ? [s, ""] : [s.slice(0, eq), s.slice(eq + 1)];
  });
  let accept = [];
  if (req.accept !== null) {
    const comma = req.accept.indexOf(",");
    accept = req.accept_multi && comma >= 0
      ? [["accept", req.accept.slice(0, comma)], ["accept", req.accept.slice(comma + 1)]]
      : [["accept", req.accept]];
  }
  const request = {
    method: req.method,
    uri: req.uri,
    querystring: entries(pairs),
    headers: entries([["host", "d111111abcdef8.cloudfront.net"], ...accept]),
    cookies: {},
  };
  if (req.raw_helper) request.rawQueryString = () => req.query;
  return {
    version: "1.0",
    context: { eventType: "viewer-request", distributionId: "EDFDVBD6EXAMPLE" },
    viewer: { ip: "198.51.100.11" },
    request,
  };
}

const answers = input.requests.map((req) => {
  const out = handlers[req.config](event(req));
  if (out.statusCode !== undefined) {
    return {
      kind: "response",
      status: out.statusCode,
      headers: out.headers,
      body: JSON.parse(out.body.data),
      encoding: out.body.encoding,
    };
  }
  return { kind: "request", method: out.method, uri: out.uri, querystring: out.querystring };
});
process.stdout.write(JSON.stringify(answers));

// The API as the checks speak it beside the browser: any document with a staff token, or a
// trusted document of operations/ by its id (customers may send nothing else here).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** A document sent as text (staff); its errors thrown. */
export async function gql(api, token, query, variables = {}) {
  const r = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** A trusted document of operations/ by its id (customers may send nothing else here). */
export async function trusted(api, token, name, variables = {}) {
  const text = readFileSync(new URL(`../../operations/${name}.graphql`, import.meta.url), "utf8");
  const documentId = `sha256:${createHash("sha256").update(text).digest("hex")}`;
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${api}/graphql`, { method: "POST", headers, body: JSON.stringify({ documentId, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

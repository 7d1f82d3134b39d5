// Runs graphql-http's GraphQL-over-HTTP server audits against AUDIT_URL (with the admin
// token in AUDIT_TOKEN) and fails when any MUST or SHOULD audit fails.
import { serverAudits } from 'graphql-http';

const url = process.env.AUDIT_URL;
const token = process.env.AUDIT_TOKEN;
if (!url || !token) {
  console.error('set AUDIT_URL and AUDIT_TOKEN');
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
let failed = 0;
let passed = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const must = audit.name.startsWith('MUST');
  const should = audit.name.startsWith('SHOULD');
  if (result.status === 'ok') {
    passed += 1;
  } else if (must || should) {
    failed += 1;
    console.log(`FAIL ${audit.name}: ${result.reason}`);
  } else {
    console.log(`note ${audit.name}: ${result.reason}`);
  }
}
console.log(`graphql-http audit: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// Loaded into the program under test with NODE_OPTIONS=--import=…: it resolves no host name but
// addresses and localhost, and answers every other name as the resolver answers a name that does not
// exist (ENOTFOUND). A misspelled host then fails as it does for a user, without a query leaving the
// machine (tests touch loopback only).
import dns from 'node:dns';

const original = dns.lookup;
const local = /^(localhost|\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]*)$/i;

dns.lookup = function lookup(host, opts, cb) {
  const done = typeof opts === 'function' ? opts : cb;
  if (typeof host === 'string' && !local.test(host)) {
    const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: host });
    process.nextTick(done, e);
    return {};
  }
  // eslint-disable-next-line prefer-rest-params
  return original.apply(this, arguments);
};

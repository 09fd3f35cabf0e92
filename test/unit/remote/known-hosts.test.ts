import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprint,
  hostToken,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  matchHashed,
  matchPatternList,
  orderHostKeyAlgorithms,
  parseKnownHosts,
} from '../../../src/remote/known-hosts.js';

const fx = (n: string) => readFileSync(new URL(`../../fixtures/remote/${n}`, import.meta.url), 'utf8');
const blob = (pubFile: string) => Buffer.from(fx(pubFile).trim().split(/\s+/)[1] ?? '', 'base64');
const K1 = blob('k1.pub'); // ed25519
const K2 = blob('k2.pub'); // ecdsa
const K3 = blob('k3.pub'); // ed25519, @revoked in the fixture
const entries = parseKnownHosts(fx('known_hosts'));

describe('parseKnownHosts', () => {
  it('keeps entries, markers, and skips comments, garbage and unknown markers', () => {
    expect(entries).toHaveLength(8);
    expect(entries.filter((e) => e.marker === 'revoked')).toHaveLength(1);
    expect(entries.filter((e) => e.marker === 'cert-authority')).toHaveLength(1);
    expect(entries.filter((e) => e.hosts.startsWith('|1|'))).toHaveLength(2);
    expect(entries.some((e) => e.hosts === 'garbage' || e.hosts === 'host')).toBe(false);
  });
  it('never throws on junk', () => {
    fc.assert(fc.property(fc.string(), (s) => Array.isArray(parseKnownHosts(s))));
    expect(parseKnownHosts('\r\n@revoked\n|1|x|y ssh-ed25519\n')).toEqual([]);
  });
});

describe('host tokens and fingerprints', () => {
  it('uses [host]:port except on port 22', () => {
    expect(hostToken('gpu.example.com', 22)).toBe('gpu.example.com');
    expect(hostToken('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });
  it('prints the SHA256 fingerprint like ssh-keygen -l', () => {
    expect(fingerprint(K1)).toBe('SHA256:SBCg/GlaqawGwhz3wtZPzLhb3YRFJYe3V4Y9lDSH4vk');
    expect(fingerprint(K2)).toBe('SHA256:ye2CT1HYlx+ehAYgA9eg7gnm8PYtCNDc9OIYsCJP/cM');
    expect(keyTypeOf(K2)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBeNull();
  });
});

describe('matching', () => {
  it('plain patterns with * ? and ! negation', () => {
    expect(matchPatternList('a.lab.example.com', '*.lab.example.com,!evil.lab.example.com')).toBe(true);
    expect(matchPatternList('evil.lab.example.com', '*.lab.example.com,!evil.lab.example.com')).toBe(false);
    expect(matchPatternList('node1.cluster', 'node?.cluster')).toBe(true);
    expect(matchPatternList('node12.cluster', 'node?.cluster')).toBe(false);
    expect(matchPatternList('node.cluster', 'node?.cluster')).toBe(false);
    expect(matchPatternList('BASTION.example.com', 'bastion.example.com,10.0.0.1')).toBe(true);
    expect(matchPatternList('10.0.0.1', '!10.0.0.1')).toBe(false);
  });
  it('hashed names written by ssh-keygen -H', () => {
    const hashed = entries.filter((e) => e.hosts.startsWith('|1|'));
    expect(matchHashed('[10.0.0.5]:2222', hashed[0]!.hosts)).toBe(true);
    expect(matchHashed('10.0.0.5', hashed[0]!.hosts)).toBe(false);
    expect(matchHashed('gpu.example.com', hashed[1]!.hosts)).toBe(true);
    expect(matchHashed('x', '|1|notbase64|')).toBe(false);
    expect(matchHashed('x', '|2|a|b')).toBe(false);
  });
  it('a line we write ourselves is found again', () => {
    const line = knownHostsLine('[h]:2', K1, true);
    expect(line).toMatch(/^\|1\|/);
    expect(checkHostKey(parseKnownHosts(line), ['[h]:2'], K1)).toEqual({ kind: 'ok' });
    expect(checkHostKey(parseKnownHosts(knownHostsLine('h', K2, false)), ['h'], K2)).toEqual({ kind: 'ok' });
  });
});

describe('checkHostKey', () => {
  it('accepts the listed key: plain, [host]:port, hashed, wildcard', () => {
    expect(checkHostKey(entries, ['bastion.example.com'], K1).kind).toBe('ok');
    expect(checkHostKey(entries, ['10.0.0.1'], K1).kind).toBe('ok');
    expect(checkHostKey(entries, ['[127.0.0.1]:2200'], K2).kind).toBe('ok');
    expect(checkHostKey(entries, ['[10.0.0.5]:2222'], K1).kind).toBe('ok');
    expect(checkHostKey(entries, ['gpu.example.com'], K2).kind).toBe('ok');
    expect(checkHostKey(entries, ['node7.cluster'], K1).kind).toBe('ok');
  });
  it('the port matters: 127.0.0.1 on port 22 is not [127.0.0.1]:2200', () => {
    const v = checkHostKey(entries, ['127.0.0.1'], K2);
    expect(v).toEqual({ kind: 'unknown', fingerprint: fingerprint(K2), knownTypes: [] });
  });
  it('another key of the same type is a change, with both fingerprints', () => {
    const v = checkHostKey(entries, ['[10.0.0.5]:2222'], otherEd25519());
    expect(v.kind).toBe('mismatch');
    if (v.kind === 'mismatch') expect(v.known).toEqual([fingerprint(K1)]);
  });
  it('a key of a type not listed for the host is unknown, naming the known types', () => {
    const v = checkHostKey(entries, ['bastion.example.com'], K2);
    expect(v).toEqual({ kind: 'unknown', fingerprint: fingerprint(K2), knownTypes: ['ssh-ed25519'] });
  });
  it('a revoked key is refused even where a pattern lists it', () => {
    expect(checkHostKey(entries, ['a.lab.example.com'], K3).kind).toBe('revoked');
  });
  it('negation excludes a host from a wildcard entry', () => {
    expect(checkHostKey(entries, ['evil.lab.example.com'], K1).kind).toBe('unknown');
  });
  it('@cert-authority lines never vouch for a plain key', () => {
    expect(checkHostKey(entries, ['other.example.com'], K2).kind).toBe('unknown');
  });
});

describe('host key algorithm order', () => {
  it('puts the types known for the host first', () => {
    const types = knownKeyTypes(entries, ['[127.0.0.1]:2200']);
    expect(types).toEqual(['ecdsa-sha2-nistp256']);
    expect(orderHostKeyAlgorithms(types)[0]).toBe('ecdsa-sha2-nistp256');
    expect(orderHostKeyAlgorithms(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(orderHostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
    expect(new Set(orderHostKeyAlgorithms(['ecdsa-sha2-nistp256'])).size).toBe(7);
  });
});

// an ed25519 blob that is not K1: same type, different key bytes
function otherEd25519(): Buffer {
  const b = Buffer.from(K1);
  b[b.length - 1] = (b[b.length - 1]! + 1) % 256;
  return b;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { githubDeliveryId, githubVerifier, signGithub, verifyGithub } from '../../src/ingest/schemes/github.ts';
import { GH_SECRET, throwsCode } from './fixtures.ts';

// GitHub's documented example (docs.github.com, "Validating webhook deliveries").
const VECTOR_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('github scheme', () => {
  const verifier = githubVerifier([GH_SECRET]);

  it('signs the documented vector', () => {
    assert.equal(signGithub(GH_SECRET, 'Hello, World!'), VECTOR_SIGNATURE);
    assert.equal(signGithub(GH_SECRET, Buffer.from('Hello, World!')), VECTOR_SIGNATURE);
  });

  it('verifies the documented vector, also in upper-case hex', () => {
    assert.doesNotThrow(() => verifyGithub(verifier, VECTOR_SIGNATURE, Buffer.from('Hello, World!')));
    assert.doesNotThrow(() => verifyGithub(verifier, `sha256=${VECTOR_SIGNATURE.slice(7).toUpperCase()}`, Buffer.from('Hello, World!')));
  });

  it('rejects a changed body or another secret', () => {
    throwsCode(() => verifyGithub(verifier, VECTOR_SIGNATURE, Buffer.from('Hello, World?')), 'HH_ERR_SIGNATURE_INVALID');
    throwsCode(() => verifyGithub(verifier, VECTOR_SIGNATURE, Buffer.from('Hello, World! ')), 'HH_ERR_SIGNATURE_INVALID');
    throwsCode(() => verifyGithub(githubVerifier(['another secret']), VECTOR_SIGNATURE, Buffer.from('Hello, World!')), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('accepts any configured secret (rotation)', () => {
    const both = githubVerifier(['new secret', GH_SECRET]);
    assert.doesNotThrow(() => verifyGithub(both, VECTOR_SIGNATURE, Buffer.from('Hello, World!')));
    assert.doesNotThrow(() => verifyGithub(both, signGithub('new secret', 'x'), Buffer.from('x')));
  });

  it('distinguishes a missing header from a malformed one', () => {
    throwsCode(() => verifyGithub(verifier, undefined, Buffer.from('x')), 'HH_ERR_SIGNATURE_MISSING');
    throwsCode(() => verifyGithub(verifier, '', Buffer.from('x')), 'HH_ERR_SIGNATURE_MISSING');
    for (const bad of ['sha1=757107ea0eb2509fc211221cce984b8a37570b6d', VECTOR_SIGNATURE.slice(7), `${VECTOR_SIGNATURE}00`, `${VECTOR_SIGNATURE.slice(0, -1)}g`]) {
      throwsCode(() => verifyGithub(verifier, bad, Buffer.from('Hello, World!')), 'HH_ERR_SIGNATURE_INVALID');
    }
  });

  it('uses a well-formed X-GitHub-Delivery as the delivery id', () => {
    assert.equal(githubDeliveryId('72d3162e-cc78-11e3-81ab-4c9367dc0958'), '72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.equal(githubDeliveryId(undefined), undefined);
    assert.equal(githubDeliveryId(''), undefined);
    assert.equal(githubDeliveryId('x'.repeat(129)), undefined);
  });
});

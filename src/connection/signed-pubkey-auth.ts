import type { Client } from 'ssh2';

/** The parts of ssh2's parsed key this file uses. */
interface ParsedKey {
  isPrivateKey(): boolean;
  sign(data: Buffer, hashAlgo?: string): Buffer | Error;
}

type Sign = (data: Buffer, done: (signature: Buffer) => void) => void;
type AuthPK = (username: string, key: unknown, keyAlgo?: string | Sign, sign?: Sign) => void;

/** The hash behind a signature algorithm name (RFC 8332 for RSA); the other key types imply theirs. */
function hashOf(keyAlgo: string | undefined): string | undefined {
  switch (keyAlgo) {
    case 'rsa-sha2-256':
      return 'sha256';
    case 'rsa-sha2-512':
      return 'sha512';
    case 'ssh-rsa':
      return 'sha1';
    default:
      return undefined;
  }
}

function isPrivateKey(key: unknown): key is ParsedKey {
  const candidate = key as Partial<ParsedKey> | null;
  return typeof candidate?.isPrivateKey === 'function' && typeof candidate.sign === 'function' && candidate.isPrivateKey();
}

/**
 * Public key authentication in one round trip instead of two. For each key, ssh2 first asks whether
 * the server would accept it (RFC 4252 §7, a request without signature) and signs only after
 * USERAUTH_PK_OK. For a private key we hold in memory the question buys nothing, so the first request
 * goes out signed, as the RFC allows: the server answers success or failure, and on failure ssh2 goes
 * on exactly as before (next signature algorithm, next key, next method). Agent keys keep the question:
 * signing there is a request to the agent, which may prompt. Must be called right after
 * `client.connect()`, which creates the protocol object it adjusts; with an ssh2 whose internals differ,
 * it changes nothing.
 */
export function signPublicKeyRequestsAtOnce(client: Client): void {
  const protocol = (client as unknown as { _protocol?: { authPK?: AuthPK } })._protocol;
  const authPK = protocol?.authPK;
  if (!protocol || typeof authPK !== 'function') return;
  protocol.authPK = function (this: unknown, username, key, keyAlgo, sign) {
    const algorithm = typeof keyAlgo === 'string' ? keyAlgo : undefined;
    if (sign || typeof keyAlgo === 'function' || !isPrivateKey(key)) return authPK.call(this, username, key, keyAlgo, sign);
    return authPK.call(this, username, key, algorithm, (data, done) => {
      const signed = key.sign(data, hashOf(algorithm));
      // Not signable after all (a hash the crypto policy refuses): nothing was sent yet, so ask
      // first as ssh2 would, and let it report the signing error after USERAUTH_PK_OK.
      if (signed instanceof Error) return authPK.call(this, username, key, keyAlgo);
      done(signed);
    });
  };
}

import { createPrivateKey, sign as signWith, type KeyObject } from 'node:crypto';
import type { Client } from 'ssh2';

/** The parts of ssh2's parsed key this file uses. */
interface ParsedKey {
  isPrivateKey(): boolean;
  getPrivatePEM(): string;
}

type Sign = (data: Buffer, done: (signature: Buffer) => void) => void;
type AuthPK = (username: string, key: unknown, keyAlgo?: string | Sign, sign?: Sign) => void;

/** The hash of each signature algorithm (RFC 8332, RFC 5656); Ed25519 and Ed448 take none. */
const HASHES: Record<string, string | null> = {
  'rsa-sha2-256': 'sha256',
  'rsa-sha2-512': 'sha512',
  'ssh-rsa': 'sha1',
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-ed25519': null,
  'ssh-ed448': null,
};

function isPrivateKey(key: unknown): key is ParsedKey & { type: string } {
  const candidate = key as Partial<ParsedKey> & { type?: unknown } | null;
  return typeof candidate?.isPrivateKey === 'function' && typeof candidate.type === 'string' && candidate.isPrivateKey();
}

/**
 * ssh2 signs from the key's PEM text, which OpenSSL parses again for every signature (about 1 ms,
 * once per connection, on the controller's one thread); the parsed key is kept for the run instead.
 */
const keyObjects = new WeakMap<object, KeyObject>();

/** The signature ssh2 would make (the same bytes: DER for ECDSA, converted by ssh2), or an Error. */
function signature(key: ParsedKey & { type: string }, algorithm: string, data: Buffer): Buffer | Error {
  const hash = HASHES[algorithm];
  if (hash === undefined) return new Error(`no known hash for ${algorithm}`);
  try {
    let keyObject = keyObjects.get(key);
    if (!keyObject) keyObjects.set(key, (keyObject = createPrivateKey(key.getPrivatePEM())));
    return signWith(hash, data, keyObject);
  } catch (err) {
    return err as Error;
  }
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
    if (sign || typeof keyAlgo === 'function' || !isPrivateKey(key)) return authPK.call(this, username, key, keyAlgo, sign);
    const algorithm = keyAlgo ?? key.type;
    return authPK.call(this, username, key, keyAlgo, (data, done) => {
      const signed = signature(key, algorithm, data);
      // Not signable here (an unknown algorithm, a hash the crypto policy refuses): nothing was sent
      // yet, so ask first as ssh2 would, and let it sign, or report why it cannot, after USERAUTH_PK_OK.
      if (signed instanceof Error) return authPK.call(this, username, key, keyAlgo);
      done(signed);
    });
  };
}

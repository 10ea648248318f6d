import ssh2 from 'ssh2';

export interface SshKeyPair { private: string; public: string }

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2's generator now and then emits a private key its
 * own parser rejects ("Malformed OpenSSH private key"), so a pair is only returned once it reads back.
 */
export function generateSshKeyPair(): SshKeyPair {
  for (let i = 0; i < 8; i++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('could not generate a parsable ed25519 key pair');
}

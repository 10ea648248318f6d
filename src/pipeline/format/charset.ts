/**
 * Text that must fit an encoding which lacks some characters (latin1, ascii). Transliteration folds
 * accents (é → e, Ł stays unmappable) before falling back to the replacement character.
 */
export type Encoding = 'utf-8' | 'latin1' | 'ascii';
export type UnmappablePolicy = 'transliterate' | 'replace' | 'error';

const LIMIT: Record<Encoding, number> = { 'utf-8': 0x10ffff, latin1: 0xff, ascii: 0x7f };

export function bufferEncoding(e: Encoding): BufferEncoding {
  return e === 'utf-8' ? 'utf8' : e;
}

/** Returns the text made representable, or null when the policy is `error` and it is not. */
export function fitEncoding(text: string, encoding: Encoding, policy: UnmappablePolicy, replacement: string): string | null {
  const limit = LIMIT[encoding];
  if (limit === 0x10ffff || !/[^\x00-\x7f]/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    if (ch.codePointAt(0)! <= limit) {
      out += ch;
      continue;
    }
    if (policy === 'error') return null;
    if (policy === 'transliterate') {
      const folded = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if ([...folded].every((c) => c.codePointAt(0)! <= limit)) {
        out += folded;
        continue;
      }
    }
    out += replacement;
  }
  return out;
}

/** Byte length in the encoding (after `fitEncoding`, latin1 and ascii are one byte a character). */
export function byteLength(text: string, encoding: Encoding): number {
  return encoding === 'utf-8' ? Buffer.byteLength(text, 'utf8') : text.length;
}

/** The longest prefix of `text` that fits in `bytes`, never cutting a character in two. */
export function cutToBytes(text: string, bytes: number, encoding: Encoding): string {
  if (encoding !== 'utf-8') return text.slice(0, bytes);
  let used = 0;
  let out = '';
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (used + n > bytes) break;
    used += n;
    out += ch;
  }
  return out;
}

import { TextDecoder } from 'node:util';
import { VendorflowError } from '../../shared/errors.js';

/** The encodings a vendor spec may state. Never guessed per file: the spec says which. */
export type InboundEncoding = 'utf-8' | 'utf-16' | 'windows-1252';

/**
 * Decodes a byte stream into text chunks in the spec's encoding, across any chunk boundary.
 * UTF-8: a leading BOM is dropped; an invalid sequence decodes to U+FFFD, which the row normaliser
 * turns into an error on that row (so a bad byte costs one row, and U+FFFD is never stored).
 * UTF-16 must start with a BOM (it says which byte order); without one the file is rejected.
 * Windows-1252 uses the WHATWG mapping.
 */
export async function* decodeText(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, encoding: InboundEncoding): AsyncGenerator<string> {
  let decoder: TextDecoder | null = encoding === 'utf-16' ? null : new TextDecoder(encoding);
  let head: Uint8Array = new Uint8Array(0);
  for await (const chunk of bytes) {
    if (!decoder) {
      head = concat(head, chunk);
      if (head.length < 2) continue;
      decoder = utf16Decoder(head);
      const text = decoder.decode(head, { stream: true });
      if (text) yield text;
      continue;
    }
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  if (!decoder) {
    if (head.length > 0) decoder = utf16Decoder(head);
    else return;
    const text = decoder.decode(head, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

function utf16Decoder(head: Uint8Array): TextDecoder {
  if (head[0] === 0xff && head[1] === 0xfe) return new TextDecoder('utf-16le');
  if (head[0] === 0xfe && head[1] === 0xff) return new TextDecoder('utf-16be');
  throw new VendorflowError('INPUT_INVALID', 'the spec says UTF-16 but the file has no byte-order mark');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

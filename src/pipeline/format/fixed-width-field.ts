import type { VendorSpec } from '../../vendors/spec-schema.js';
import { byteLength, cutToBytes, fitEncoding, type Encoding } from './charset.js';
import { formatCell, type CompiledColumn } from './columns.js';

export interface FieldRefusal { ok: false; column: string; message: string }
/** A value laid out in its field: exactly `width` bytes of text, or why it cannot be. */
export type FieldFn = (value: string | null) => string | FieldRefusal;

const CONTROL = /[\x00-\x1f\x7f]/;
const CONTROL_ALL = /[\x00-\x1f\x7f]/g;
/** Printable ASCII only: one byte a character in every encoding, nothing to transliterate or blank out. */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/**
 * One fixed-width field compiled from its column: width in bytes of the encoding, padding (numbers
 * right-aligned with zeros, text left-aligned with spaces, unless the spec says otherwise), too
 * long values cut or refused, characters the encoding lacks transliterated, replaced or refused,
 * control characters turned into spaces (a line break would split the record).
 *
 * The common value — printable ASCII that fits — takes the short path: one regex test, then the
 * padding sliced from a string made once. Anything else goes through the full rules.
 */
export function compileField(col: CompiledColumn, spec: VendorSpec): FieldFn {
  const c = col.spec;
  const name = col.name;
  const width = c.width!;
  const encoding: Encoding = spec.outbound.encoding;
  const fw = spec.outbound.fixedWidth;
  const policy = fw?.unmappable ?? 'transliterate';
  const replacement = fw?.replacement ?? '?';
  const align = c.align ?? (col.numeric ? 'right' : 'left');
  const valuePad = c.pad ?? (col.numeric ? '0' : ' ');
  const nullPad = c.pad ?? ' ';
  const padding = valuePad.repeat(width);
  const nullText = nullPad.repeat(width);
  const truncate = c.overflow === 'truncate' && !col.numeric;
  const refuse = (message: string): FieldRefusal => ({ ok: false, column: name, message: `${name}: ${message}` });

  const place = (text: string, bytes: number): string => {
    const room = width - bytes;
    if (room === 0) return text;
    const fill = padding.length === width ? padding.slice(0, room) : valuePad.repeat(room);
    if (align === 'left') return text + fill;
    // Zero padding goes after a minus sign: -0001250, not 000-1250.
    if (valuePad === '0' && text.charCodeAt(0) === 45) return `-${fill}${text.slice(1)}`;
    return fill + text;
  };

  const slow = (formatted: string): string | FieldRefusal => {
    const fitted = fitEncoding(formatted, encoding, policy, replacement);
    if (fitted === null) return refuse(`a character cannot be written in ${encoding}`);
    if (CONTROL.test(fitted) && policy === 'error') return refuse('holds a control character');
    let text = fitted.replace(CONTROL_ALL, ' ');
    if (byteLength(text, encoding) > width) {
      if (!truncate) return refuse(`value is longer than ${width} bytes`);
      text = cutToBytes(text, width, encoding);
    }
    return place(text, byteLength(text, encoding));
  };

  return (value) => {
    if (value === null) return nullText;
    const text = col.plain ? value : formatCell(col, value);
    if (NOT_PRINTABLE_ASCII.test(text)) return slow(text);
    if (text.length > width) {
      if (!truncate) return refuse(`value is longer than ${width} bytes`);
      return text.slice(0, width);
    }
    return place(text, text.length);
  };
}

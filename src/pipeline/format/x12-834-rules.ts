/**
 * Element sizes of the 834 (005010X220A1) segments we write, as [min, max] per element position
 * (null: the element is not used, must be empty). The writer cuts name and address elements that
 * are too long (`cut`) and refuses others; the structure test checks every written element.
 */
export type ElementRule = [min: number, max: number] | null;
export interface SegmentRule { elements: ElementRule[]; cut?: number[] }

export const SEGMENT_RULES: Record<string, SegmentRule> = {
  ISA: { elements: [[2, 2], [10, 10], [2, 2], [10, 10], [2, 2], [15, 15], [2, 2], [15, 15], [6, 6], [4, 4], [1, 1], [5, 5], [9, 9], [1, 1], [1, 1], [1, 1]] },
  GS: { elements: [[2, 2], [2, 15], [2, 15], [8, 8], [4, 8], [1, 9], [1, 2], [1, 12]] },
  ST: { elements: [[3, 3], [4, 9], [1, 35]] },
  BGN: { elements: [[2, 2], [1, 50], [8, 8], [4, 8], null, null, null, [1, 2]] },
  REF: { elements: [[2, 3], [1, 50]] },
  DTP: { elements: [[3, 3], [2, 3], [1, 35]] },
  QTY: { elements: [[2, 2], [1, 15]] },
  N1: { elements: [[2, 3], [1, 60], [1, 2], [2, 80]], cut: [2] },
  INS: { elements: [[1, 1], [2, 2], [3, 3], [2, 3], [1, 1], null, null, [2, 2]] },
  NM1: { elements: [[2, 3], [1, 1], [1, 60], [1, 35], [1, 25], null, null, [1, 2], [2, 80]], cut: [3, 4, 5] },
  PER: { elements: [[2, 2], null, [2, 2], [1, 256], [2, 2], [1, 256]] },
  N3: { elements: [[1, 55], [1, 55]], cut: [1, 2] },
  N4: { elements: [[2, 30], [2, 2], [3, 15]], cut: [1] },
  DMG: { elements: [[2, 3], [1, 35], [1, 1]] },
  HD: { elements: [[3, 3], null, [3, 3], [1, 50], [3, 3]] },
  SE: { elements: [[1, 10], [4, 9]] },
  GE: { elements: [[1, 6], [1, 9]] },
  IEA: { elements: [[1, 5], [9, 9]] },
};

/** Characters of the X12 basic and extended sets (letters, digits, space and listed punctuation). */
export const X12_CHARSET = /^[A-Za-z0-9 !"&'()*+,\-./:;?=%@[\]_{}\\|<>~#$^`]*$/;
const X12_CHAR = /[A-Za-z0-9 !"&'()*+,\-./:;?=%@[\]_{}\\|<>~#$^`]/;

const X12_CLASS = X12_CHAR.source.slice(1, -1); // the class's body, without its brackets

/** A test for values that `cleanElement` would return unchanged: X12 characters only, none of `delimiters`. */
export function cleanElementTest(delimiters: string): RegExp {
  const escaped = [...delimiters].map((ch) => ch.replace(/[\\\]^-]/g, '\\$&')).join('');
  return escaped ? new RegExp(`^(?![^]*[${escaped}])[${X12_CLASS}]*$`) : new RegExp(`^[${X12_CLASS}]*$`);
}

/**
 * Makes a value safe for an element: accents folded, then characters outside the set, and the
 * file's own delimiters, replaced; null when the policy is `error` and a replacement was needed.
 */
export function cleanElement(value: string, delimiters: string, policy: 'error' | 'replace', replacement: string): string | null {
  let out = '';
  for (const ch of value) {
    if (X12_CHAR.test(ch) && !delimiters.includes(ch)) {
      out += ch;
      continue;
    }
    const folded = ch.normalize('NFD').replace(/\p{M}/gu, '');
    if (folded.length > 0 && [...folded].every((c) => X12_CHAR.test(c) && !delimiters.includes(c))) {
      out += folded;
      continue;
    }
    if (policy === 'error') return null;
    out += replacement;
  }
  return out;
}

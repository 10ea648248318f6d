import { describe, expect, it } from 'vitest';
import { joinImage, splitImage, type LinesImage } from './outbound-record.js';

describe('stored images', () => {
  it('blanks sensitive line columns in the plain part, in place, and joins back to the image', () => {
    const image: LinesImage = { kind: 'lines', lines: [{ a: '1', ssn: '123-45-6789', b: null, dob: '1980-01-01' }, { a: '2', b: 'x' }] };
    const { plain, sealed } = splitImage(image, new Set(['ssn', 'dob', 'not-a-column']));
    expect(JSON.stringify(plain)).toBe('{"kind":"lines","lines":[{"a":"1","ssn":null,"b":null,"dob":null},{"a":"2","b":"x"}]}');
    expect(sealed).toEqual([{ ssn: '123-45-6789', dob: '1980-01-01' }, {}]);
    expect(image.lines[0]!.ssn).toBe('123-45-6789'); // the record's own image is not touched
    expect(joinImage(plain, sealed)).toEqual(image);
  });
});

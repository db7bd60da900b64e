import { splitFields } from './csv-fields.js';

describe('splitFields', () => {
  it('splits on the delimiter and trims unquoted fields', () => {
    expect(splitFields(' 1, 2.5 ,?,', ',')).toEqual({ ok: true, fields: ['1', '2.5', '?', ''] });
  });

  it('keeps a quoted field verbatim, delimiter and doubled quotes included', () => {
    expect(splitFields('"a, b" ,"say ""hi""",3', ',')).toEqual({ ok: true, fields: ['a, b', 'say "hi"', '3'] });
  });

  it('treats tabs as the delimiter rather than padding when the delimiter is a tab', () => {
    expect(splitFields('1\t\t3', '\t')).toEqual({ ok: true, fields: ['1', '', '3'] });
  });

  it('reports an unterminated quote', () => {
    expect(splitFields('1,"abc', ',')).toEqual({ ok: false, reason: 'unterminated quoted field 2' });
  });

  it('reports text after a closing quote', () => {
    expect(splitFields('"ab"c,1', ',')).toEqual({ ok: false, reason: 'unexpected text after quoted field 1' });
  });
});

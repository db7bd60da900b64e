export type FieldsOutcome = { ok: true; fields: string[] } | { ok: false; reason: string };

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t';

/**
 * Splits one CSV line into fields. Unquoted fields are trimmed; a quoted field keeps its text verbatim, with
 * "" standing for a quote. Quoted newlines are not supported: hospital exports of numeric tables do not use
 * them, and a line-at-a-time reader keeps memory flat and line numbers exact.
 */
export function splitFields(line: string, delimiter: string): FieldsOutcome {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    // A tab delimiter must not be swallowed as padding.
    while (i < line.length && isBlank(line[i]) && line[i] !== delimiter) i++;
    if (line[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) return { ok: false, reason: `unterminated quoted field ${fields.length + 1}` };
        const ch = line[i];
        if (ch === '"') {
          if (line[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += ch;
        i++;
      }
      while (i < line.length && isBlank(line[i]) && line[i] !== delimiter) i++;
      fields.push(text);
      if (i >= line.length) return { ok: true, fields };
      if (line[i] !== delimiter) {
        return { ok: false, reason: `unexpected text after quoted field ${fields.length}` };
      }
      i++;
      continue;
    }
    const end = line.indexOf(delimiter, i);
    if (end === -1) {
      fields.push(line.slice(i).trim());
      return { ok: true, fields };
    }
    fields.push(line.slice(i, end).trim());
    i = end + 1;
  }
}

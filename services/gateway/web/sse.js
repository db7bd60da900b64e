// @ts-check
// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, so the page reads the
// stream itself and parses it as the HTML standard's event-stream rules say.

/** @typedef {{ type: string, data: string, id: string }} SseEvent */

export class SseParser {
  /** @param {(event: SseEvent) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.started = false;
    /** @type {string[]} */
    this.data = [];
    this.type = '';
    this.lastId = '';
  }

  /**
   * Feeds decoded text; events are dispatched as their terminating blank line arrives, whatever the chunking.
   * @param {string} text
   */
  push(text) {
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.charCodeAt(0) === 0xfeff) this.buffer = this.buffer.slice(1);
    }
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) return;
      // A CR at the very end may be the first half of CRLF: wait for the next chunk to tell.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, end);
      const skip = this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(end + skip);
      this.line(line);
    }
  }

  /** The stream ended: a trailing CR still ends its line, but an event without its blank line is dropped. */
  end() {
    if (this.buffer.endsWith('\r')) this.push('\n');
    this.buffer = '';
    this.data = [];
    this.type = '';
  }

  /** @param {string} line */
  line(line) {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastId });
      }
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
  }
}

/**
 * Reads an event stream to its end (or until the request's signal aborts, which rejects with AbortError).
 * @param {Response} response
 * @param {(event: SseEvent) => void} onEvent
 */
export async function readEventStream(response, onEvent) {
  if (!response.body) throw new Error('the event stream has no body');
  const parser = new SseParser(onEvent);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
}

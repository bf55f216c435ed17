// A JSON editor (a <textarea> over a mirror that shows messages at the end of the line they are
// about) and a JSON reader that remembers the line of every value, so the API's field paths
// ("shape.columns[0].type") can be shown next to the field they name.

/** Parses `text`; returns {value, lines: Map(path → line)} or throws {message, line}. */
export function parseWithLines(text) {
  let i = 0;
  let line = 1;
  const lines = new Map();
  const fail = (message) => {
    throw { message, line };
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) {
      if (text[i] === '\n') {
        line++;
      }
      i++;
    }
  };
  const string = () => {
    let out = '';
    i++; // opening quote
    while (i < text.length) {
      const c = text[i++];
      if (c === '"') {
        return out;
      }
      if (c === '\n') {
        fail('unterminated string');
      }
      if (c === '\\') {
        const e = text[i++];
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.substr(i, 4))) {
          out += String.fromCharCode(parseInt(text.substr(i, 4), 16));
          i += 4;
        } else {
          fail('bad escape in a string');
        }
      } else {
        out += c;
      }
    }
    fail('unterminated string');
  };
  const value = (path) => {
    ws();
    lines.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          fail('expected a "key" in an object');
        }
        const keyLine = line;
        const key = string();
        ws();
        if (text[i++] !== ':') {
          fail(`expected ':' after "${key}"`);
        }
        const child = path ? `${path}.${key}` : key;
        obj[key] = value(child);
        lines.set(child, keyLine);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}' in an object");
      }
    }
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']' in an array");
      }
    }
    if (c === '"') {
      return string();
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) {
      fail(i >= text.length ? 'unexpected end of the text' : `unexpected '${c}'`);
    }
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const result = value('');
  ws();
  if (i < text.length) {
    fail('text after the end of the JSON value');
  }
  return { value: result, lines };
}

/** The line of `path`, or of its nearest ancestor present in the text (a missing field). */
export function lineOf(lines, path) {
  let p = path;
  for (;;) {
    if (lines.has(p)) {
      return lines.get(p);
    }
    if (!p) {
      return 1;
    }
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut < 0 ? '' : p.slice(0, cut);
  }
}

/** The editor: a textarea and a mirror behind it that shows messages next to their lines. */
export class JsonEditor {
  constructor(root, initial) {
    root.classList.add('editor');
    this.mirror = document.createElement('pre');
    this.mirror.className = 'editor-mirror';
    this.mirror.setAttribute('aria-hidden', 'true');
    this.area = document.createElement('textarea');
    this.area.className = 'editor-text';
    this.area.spellcheck = false;
    this.area.setAttribute('aria-label', 'entity definition (JSON)');
    this.area.value = initial;
    root.append(this.mirror, this.area);
    this.messages = new Map(); // line → [text]
    this.area.addEventListener('input', () => {
      this.messages.clear();
      this.render();
    });
    this.area.addEventListener('scroll', () => {
      this.mirror.scrollTop = this.area.scrollTop;
      this.mirror.scrollLeft = this.area.scrollLeft;
    });
    this.render();
  }

  get text() {
    return this.area.value;
  }

  /** Shows `errors` ([{line, field, message}]) next to their lines. */
  show(errors) {
    this.messages.clear();
    for (const e of errors) {
      const list = this.messages.get(e.line) || [];
      list.push(e.field ? `${e.field} ${e.message}` : e.message);
      this.messages.set(e.line, list);
    }
    this.render();
  }

  render() {
    this.mirror.replaceChildren();
    const lines = this.area.value.split('\n');
    lines.forEach((text, index) => {
      const row = document.createElement('span');
      row.textContent = text;
      const notes = this.messages.get(index + 1);
      if (notes) {
        row.className = 'editor-bad';
        const note = document.createElement('span');
        note.className = 'editor-note';
        note.textContent = '  \u2190 ' + notes.join('; ');
        row.append(note);
      }
      this.mirror.append(row, '\n');
    });
    this.mirror.append(' ');
  }
}

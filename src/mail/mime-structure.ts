/**
 * A small, forgiving reader of a raw message's header blocks and MIME tree.
 *
 * mailparser reads bodies well but keeps its tree to itself and patches over defects
 * silently; the audit needs both the tree (every leaf content type, to recognise delivery
 * status and feedback reports) and the defects (to say why a message reads oddly). Bytes are
 * handled as a latin1 string, one character per byte, so offsets are exact and no input,
 * however broken, can make a decoder throw.
 */

export interface HeaderField {
  /** Lower-cased header name. */
  name: string;
  /** The unfolded value as raw bytes (a latin1 string): neither charset nor encoded words decoded. */
  value: string;
}

export type HeaderFields = HeaderField[];

export interface MimeStructure {
  /** Offset where the message proper begins (after a byte-order mark or an mbox `From ` line). */
  start: number;
  headers: HeaderFields;
  /** Top-level content type, lower-cased; `text/plain` when absent. */
  contentType: string;
  /** Content types of every leaf part, in order. An attached `message/rfc822` is a leaf: a copy of an original message is not part of this one. */
  partTypes: string[];
  /** What is wrong with the structure, in words, each meaning some content may be missing. */
  defects: string[];
  /**
   * Set when the top-level boundary was missing or never used and the body's own delimiter
   * lines were read instead: the source to give a MIME parser (see `parseableSource`).
   */
  repairedBoundary: { declared: string | null; used: string; bodyStart: number } | null;
}

/** Deeper nesting than any real client produces; past it a message is hostile or broken. */
const MAX_DEPTH = 32;

/** The header block, the MIME tree's leaf types and its defects; never throws on any input. */
export function readMimeStructure(source: Buffer): MimeStructure {
  const raw = source.toString('latin1');
  const start = messageStart(raw);
  const head = readHeaders(raw, start, raw.length);
  const walk: Walk = { raw, partTypes: [], defects: [], repairedBoundary: null };
  if (head.fields.length === 0) walk.defects.push('no header block: the message starts with its body');
  const contentType = walkEntity(walk, head, raw.length, 'text/plain', 0);
  return { start, headers: head.fields, contentType, ...walk };
}

/**
 * The bytes to give a MIME parser: the message from its first header, with the top-level
 * boundary parameter corrected when the structure reader had to repair it.
 */
export function parseableSource(source: Buffer, structure: MimeStructure): Buffer {
  const repair = structure.repairedBoundary;
  if (repair === null) return source.subarray(structure.start);
  const raw = source.toString('latin1');
  const head = raw.slice(structure.start, repair.bodyStart);
  const parameter = /(;\s*boundary\s*=\s*)(?:"[^"]*"|[^;\s]*)/i;
  const fixed = parameter.test(head)
    ? head.replace(parameter, `$1"${repair.used}"`)
    : head.replace(/^(content-type:[^\r\n]*)/im, `$1; boundary="${repair.used}"`);
  return Buffer.from(fixed + raw.slice(repair.bodyStart), 'latin1');
}

/** The top-level header block alone. */
export function splitHead(source: Buffer): HeaderFields {
  const raw = source.toString('latin1');
  return readHeaders(raw, messageStart(raw), raw.length).fields;
}

/** The content type a header block declares, lower-cased; `text/plain` when it declares none. */
export function contentTypeOf(headers: HeaderFields): string {
  return parseContentType(headers.find((field) => field.name === 'content-type')?.value, 'text/plain').type;
}

/**
 * Raw 8-bit header bytes to text. They are UTF-8 in practice, sometimes with a stray byte
 * (kept as U+FFFD); bytes that form no UTF-8 character at all are read as Windows-1252.
 */
export function decodeHeaderBytes(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  const utf8 = new TextDecoder('utf-8').decode(bytes);
  return /[^\u0000-\u007f\ufffd]/.test(utf8) ? utf8 : new TextDecoder('windows-1252').decode(bytes);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=/gi;

/**
 * RFC 2047 encoded words decoded. Adjacent words are joined before decoding (the whitespace
 * between them is not part of the text, and a multi-byte character may straddle two words).
 */
export function decodeEncodedWords(value: string): string {
  const pieces: Array<{ text: string } | { charset: string; bytes: Buffer }> = [];
  let last = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const gap = value.slice(last, match.index);
    const previous = pieces[pieces.length - 1];
    if (!(previous && 'bytes' in previous && /^\s*$/.test(gap))) pieces.push({ text: gap });
    const charset = (match[1] ?? '').split('*')[0]?.toLowerCase() || 'utf-8';
    pieces.push({ charset, bytes: decodeWordBytes(match[2] ?? 'b', match[3] ?? '') });
    last = match.index + match[0].length;
  }
  pieces.push({ text: value.slice(last) });
  let out = '';
  for (let i = 0; i < pieces.length; i += 1) {
    const piece = pieces[i];
    if (piece === undefined) continue;
    if ('text' in piece) {
      out += piece.text;
      continue;
    }
    const bytes = [piece.bytes];
    for (let next = pieces[i + 1]; next && 'bytes' in next && next.charset === piece.charset; next = pieces[i + 1]) {
      bytes.push(next.bytes);
      i += 1;
    }
    out += decodeBytes(Buffer.concat(bytes), piece.charset);
  }
  return out;
}

function decodeWordBytes(encoding: string, data: string): Buffer {
  if (encoding.toLowerCase() === 'b') return Buffer.from(data, 'base64');
  const binary = data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(binary, 'latin1');
}

function decodeBytes(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const BYTE_ORDER_MARK = '\u00ef\u00bb\u00bf';

/** Skips a UTF-8 byte-order mark, an mbox `From ` separator line and whitespace-only lines before the first header. */
function messageStart(raw: string): number {
  let pos = raw.startsWith(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK.length : 0;
  const lineEnd = (at: number): number => {
    const newline = raw.indexOf('\n', at);
    return newline === -1 ? raw.length : newline;
  };
  if (raw.startsWith('From ', pos)) pos = lineEnd(pos) + 1;
  while (pos < raw.length && /^[ \t]+\r?$/.test(raw.slice(pos, lineEnd(pos)))) pos = lineEnd(pos) + 1;
  return Math.min(pos, raw.length);
}

interface Head {
  fields: HeaderFields;
  bodyStart: number;
}

/** Reads `Name: value` lines up to the first empty line; folded lines are joined with one space. */
function readHeaders(raw: string, start: number, end: number): Head {
  const fields: HeaderFields = [];
  let pos = start;
  while (pos < end) {
    let lineEnd = raw.indexOf('\n', pos);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = raw.slice(pos, lineEnd).replace(/\r$/, '');
    if (line === '') return { fields, bodyStart: Math.min(lineEnd + 1, end) };
    const previous = fields[fields.length - 1];
    const colon = line.indexOf(':');
    if (/^[ \t]/.test(line)) {
      if (previous) previous.value = `${previous.value} ${line.trim()}`.trim();
    } else if (colon > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trimEnd())) {
      fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
    } else if (fields.length === 0) {
      return { fields, bodyStart: pos };
    }
    pos = lineEnd + 1;
  }
  return { fields, bodyStart: end };
}

interface Walk {
  raw: string;
  partTypes: string[];
  defects: string[];
  repairedBoundary: MimeStructure['repairedBoundary'];
}

function walkEntity(walk: Walk, head: Head, end: number, defaultType: string, depth: number): string {
  const { raw, defects } = walk;
  const { type, params } = parseContentType(head.fields.find((field) => field.name === 'content-type')?.value, defaultType);
  if (!type.startsWith('multipart/')) {
    walk.partTypes.push(type);
    return type;
  }
  if (depth >= MAX_DEPTH) {
    defects.push(`parts nested deeper than ${MAX_DEPTH} levels were not read`);
    return type;
  }
  const declared = params['boundary'] ?? null;
  let split = declared === null ? null : splitParts(raw, head.bodyStart, end, declared);
  if (split === null || split.delimiters === 0) {
    const found = delimiterInBody(raw, head.bodyStart, end);
    const problem = declared === null ? `${type} has no boundary parameter` : `${type}: boundary "${declared}" never appears`;
    if (found === null) {
      defects.push(`${problem}, so none of its parts could be read`);
      return type;
    }
    defects.push(`${problem}; its parts were read at the body's own delimiter "${found}"`);
    if (depth === 0) walk.repairedBoundary = { declared, used: found, bodyStart: head.bodyStart };
    split = splitParts(raw, head.bodyStart, end, found);
  }
  if (split.parts.length === 0) defects.push(`${type}: no part before its closing boundary`);
  else if (!split.closed) defects.push(`${type}: closing boundary missing, the last part may be truncated`);
  const childType = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  for (const [partStart, partEnd] of split.parts) {
    walkEntity(walk, readHeaders(raw, partStart, partEnd), partEnd, childType, depth + 1);
  }
  return type;
}

/** The boundary a body actually uses: the first `--token` line that recurs as a delimiter. */
function delimiterInBody(raw: string, bodyStart: number, end: number): string | null {
  const body = raw.slice(bodyStart, Math.min(end, bodyStart + DELIMITER_SEARCH_BYTES));
  let tried = 0;
  for (const match of body.matchAll(/^--([\x21-\x7e]{1,70})[ \t]*\r?$/gm)) {
    const candidate = (match[1] ?? '').replace(/--$/, '');
    if (candidate === '') continue;
    if (splitParts(raw, bodyStart, end, candidate).delimiters >= 2) return candidate;
    if ((tried += 1) >= MAX_DELIMITER_CANDIDATES) break;
  }
  return null;
}

/** A lost boundary is looked for near the start of the body, among a few candidate lines. */
const DELIMITER_SEARCH_BYTES = 64 * 1024;
const MAX_DELIMITER_CANDIDATES = 8;

/** The [start, end) ranges of the parts between `--boundary` lines, and whether `--boundary--` closed them. */
function splitParts(
  raw: string,
  bodyStart: number,
  end: number,
  boundary: string,
): { parts: Array<[number, number]>; delimiters: number; closed: boolean } {
  const marker = `--${boundary}`;
  const parts: Array<[number, number]> = [];
  let delimiters = 0;
  let partStart = -1;
  let pos = bodyStart;
  while (pos < end) {
    const at = raw.indexOf(marker, pos);
    if (at === -1 || at >= end) break;
    pos = at + marker.length;
    if (at !== bodyStart && raw[at - 1] !== '\n') continue;
    const closing = raw.startsWith('--', pos);
    let lineEnd = raw.indexOf('\n', pos);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    if (raw.slice(closing ? pos + 2 : pos, lineEnd).trim() !== '') continue;
    delimiters += 1;
    // The line break before a delimiter belongs to the delimiter, not to the part.
    const previousLineEnd = at > bodyStart ? at - (raw[at - 2] === '\r' ? 2 : 1) : at;
    if (partStart !== -1) parts.push([partStart, Math.max(partStart, previousLineEnd)]);
    if (closing) return { parts, delimiters, closed: true };
    partStart = Math.min(lineEnd + 1, end);
  }
  if (partStart !== -1) parts.push([partStart, end]);
  return { parts, delimiters, closed: false };
}

/** `type/subtype; name=value; name="quoted value"`, tolerant of spaces around `=`. */
function parseContentType(value: string | undefined, defaultType: string): { type: string; params: Record<string, string> } {
  if (value === undefined) return { type: defaultType, params: {} };
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  const params: Record<string, string> = {};
  if (semicolon !== -1) {
    for (const match of value.slice(semicolon).matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
      const name = (match[1] ?? '').toLowerCase();
      params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
    }
  }
  return { type: /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : defaultType, params };
}

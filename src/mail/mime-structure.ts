/**
 * A small, forgiving reader of a raw message's header blocks and MIME tree.
 *
 * mailparser reads bodies well but keeps its tree to itself and patches over defects
 * silently; the audit needs both the tree (every leaf content type, to recognise delivery
 * status and feedback reports) and the defects (to say why a message reads oddly). Bytes are
 * handled as a latin1 string, one character per byte, so offsets are exact and no input,
 * however broken, can make a decoder throw.
 */
import libmime from 'libmime';

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

/**
 * RFC 2047 encoded words decoded, by libmime (adjacent words joined, so that a character
 * straddling two of them survives). An unknown charset or broken word never throws: the
 * value is then kept as it came.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
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

/**
 * Reads `Name: value` lines up to the first empty line, each field with its folded lines
 * unfolded by libmime. What libmime does not do is kept here: a line that is no header
 * (no name, or a name with characters a name cannot hold) in the middle of the block is
 * skipped, and one before any header means the message starts with its body.
 */
function readHeaders(raw: string, start: number, end: number): Head {
  const lines: string[] = [];
  let bodyStart = end;
  let pos = start;
  while (pos < end) {
    let lineEnd = raw.indexOf('\n', pos);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = raw.slice(pos, lineEnd).replace(/\r$/, '');
    if (line === '') {
      bodyStart = Math.min(lineEnd + 1, end);
      break;
    }
    const colon = line.indexOf(':');
    if (/^[ \t]/.test(line)) {
      // the whitespace around a fold reads as one space, as a reader shows it
      if (lines.length > 0) lines[lines.length - 1] = `${lines[lines.length - 1]!.trimEnd()}\r\n${line}`;
    } else if (colon > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trimEnd())) {
      lines.push(line);
    } else if (lines.length === 0) {
      bodyStart = pos;
      break;
    }
    pos = lineEnd + 1;
  }
  const fields = lines.map((line) => {
    const { key, value } = libmime.decodeHeader(line);
    return { name: key, value };
  });
  return { fields, bodyStart };
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

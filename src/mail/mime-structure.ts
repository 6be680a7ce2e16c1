/**
 * A forgiving reader of a raw message's header blocks and MIME tree.
 *
 * mailparser reads bodies well but keeps its tree to itself and patches over defects
 * silently; the audit needs both the tree (every leaf content type, to recognise delivery
 * status and feedback reports) and the defects (to say why a message reads oddly). The
 * tree is cut by mailsplit (the splitter mailparser itself uses), headers are unfolded and
 * encoded words decoded by libmime; what stays here is what they lack: the defects named,
 * a lost boundary found again in the body, a header block that is not one. Bytes are
 * handled as a latin1 string, one character per byte, so offsets are exact and no input,
 * however broken, can make a decoder throw.
 */
import { finished } from 'node:stream/promises';
import { Splitter, type MimeNode, type SplitterChunk } from '@zone-eu/mailsplit';
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
export async function readMimeStructure(source: Buffer): Promise<MimeStructure> {
  const raw = source.toString('latin1');
  const start = messageStart(raw);
  const head = readHeaders(raw, start, raw.length);
  const walk: Walk = { partTypes: [], defects: [], repairedBoundary: null };
  if (head.fields.length === 0) walk.defects.push('no header block: the message starts with its body');
  const { type: contentType, params } = parseContentType(head.fields.find((field) => field.name === 'content-type')?.value, 'text/plain');
  const entity: Entity = contentType.startsWith('multipart/')
    ? { ...(await splitEntity(source.subarray(start), contentType, walk.defects)), params }
    : { type: contentType, params, parts: [], closed: false, body: [] };
  await walkEntity(walk, entity, 0, head.bodyStart);
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
  partTypes: string[];
  defects: string[];
  repairedBoundary: MimeStructure['repairedBoundary'];
}

/** A MIME entity as mailsplit's splitter cut it: its type as read here, its parts, whether its closing delimiter came. */
interface Entity {
  type: string;
  params: Record<string, string>;
  parts: Entity[];
  closed: boolean;
  /** The body of a multipart while no part was found in it: where a lost boundary is looked for. */
  body: string[];
  /** Set when the splitter stopped before this entity's end (too many parts): its end is not judged. */
  cut?: boolean;
}

/**
 * Walks the tree mailsplit found, in order, noting its defects; a multipart whose boundary
 * never appears (or is not declared) is split again at the delimiter its body uses, the
 * repair mailsplit lacks.
 */
async function walkEntity(walk: Walk, entity: Entity, depth: number, bodyStart: number): Promise<void> {
  const { type } = entity;
  const { defects } = walk;
  if (!type.startsWith('multipart/')) {
    walk.partTypes.push(type);
    return;
  }
  if (depth >= MAX_DEPTH) {
    defects.push(`parts nested deeper than ${MAX_DEPTH} levels were not read`);
    return;
  }
  let split = entity;
  if (entity.cut) {
    for (const part of entity.parts) await walkEntity(walk, part, depth + 1, bodyStart);
    return;
  }
  if (entity.parts.length === 0 && !entity.closed) {
    const declared = entity.params['boundary'] ?? null;
    const body = entity.body.join('');
    const found = delimiterInBody(body);
    const problem = declared === null ? `${type} has no boundary parameter` : `${type}: boundary "${declared}" never appears`;
    if (found === null) {
      defects.push(`${problem}, so none of its parts could be read`);
      return;
    }
    defects.push(`${problem}; its parts were read at the body's own delimiter "${found}"`);
    if (depth === 0) walk.repairedBoundary = { declared, used: found, bodyStart };
    split = await splitEntity(Buffer.from(`Content-Type: ${type}; boundary="${found}"\r\n\r\n${body}`, 'latin1'), type, defects);
  }
  if (split.parts.length === 0) defects.push(`${type}: no part before its closing boundary`);
  else if (!split.closed) defects.push(`${type}: closing boundary missing, the last part may be truncated`);
  for (const part of split.parts) await walkEntity(walk, part, depth + 1, bodyStart);
}

/** More parts than any real message holds; past it the rest of the message is not split. */
const MAX_PARTS = 10_000;

const END_OF_HEADERS = Buffer.from('\r\n\r\n');

/** The tree of `source` (an entity whose top-level type is `type`), split by mailsplit; an attached message is one leaf. */
async function splitEntity(source: Buffer, type: string, defects: string[]): Promise<Entity> {
  // no cap on header size here (the message's own size bounds it): a header block too big
  // for mailparser is its failure to report, not a lost structure
  const splitter = new Splitter({ ignoreEmbedded: true, maxChildNodes: MAX_PARTS, maxHeadSize: Number.MAX_SAFE_INTEGER });
  const entities = new Map<MimeNode, Entity>();
  let root: Entity | null = null;
  splitter.on('data', (chunk: SplitterChunk) => {
    if (chunk.type === 'node') {
      const parent = chunk.parentNode ? entities.get(chunk.parentNode) : undefined;
      const defaultType = parent?.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      const contentType = chunk.root ? { type, params: {} } : parseContentType(chunk.headers ? chunk.headers.getFirst('content-type') || undefined : undefined, defaultType);
      const entity: Entity = { ...contentType, parts: [], closed: false, body: [] };
      entities.set(chunk, entity);
      if (parent) parent.parts.push(entity);
      else root ??= entity;
      return;
    }
    const text = chunk.value.toString('latin1');
    // Delimiter lines come as data, several lines to a chunk, and a chunk is given to the
    // innermost open node: a closing delimiter is found by its own boundary, up the tree.
    if (chunk.type === 'data') {
      for (let node: MimeNode | false = chunk.node; node; node = node.parentNode) {
        const closing = node._boundary ? `--${node._boundary.toString('latin1')}--` : null;
        const owner = entities.get(node);
        if (closing !== null && owner && !owner.closed && text.includes(closing) && hasLine(text, closing)) owner.closed = true;
      }
    }
    const entity = entities.get(chunk.node);
    if (entity && entity.type.startsWith('multipart/') && entity.parts.length === 0 && !entity.closed) entity.body.push(text);
  });
  // A message cut short inside the header block of its last part still has that part: an
  // empty line at the end closes the block (and adds nothing to any body that matters here).
  splitter.end(Buffer.concat([source, END_OF_HEADERS]));
  let cut = false;
  await finished(splitter).catch((err: Error) => {
    defects.push(`the MIME structure was read only up to where it broke (${err.message})`);
    for (const entity of entities.values()) entity.cut = true;
    cut = true;
  });
  return root ?? { type, params: {}, parts: [], closed: false, body: [], cut };
}

/** Whether one line of `text` is `line`, give or take trailing whitespace. */
function hasLine(text: string, line: string): boolean {
  return text.split('\n').some((candidate) => candidate.trimEnd() === line);
}

/** The boundary a body actually uses: the first `--token` line that recurs as a delimiter. */
function delimiterInBody(body: string): string | null {
  const head = body.slice(0, DELIMITER_SEARCH_BYTES);
  let tried = 0;
  for (const match of head.matchAll(/^--([\x21-\x7e]{1,70})[ \t]*\r?$/gm)) {
    const candidate = (match[1] ?? '').replace(/--$/, '');
    if (candidate === '') continue;
    if (countDelimiters(body, candidate) >= 2) return candidate;
    if ((tried += 1) >= MAX_DELIMITER_CANDIDATES) break;
  }
  return null;
}

/** A lost boundary is looked for near the start of the body, among a few candidate lines. */
const DELIMITER_SEARCH_BYTES = 64 * 1024;
const MAX_DELIMITER_CANDIDATES = 8;

/** How many lines of `body` are a delimiter of `boundary` (`--boundary` or `--boundary--`). */
function countDelimiters(body: string, boundary: string): number {
  let count = 0;
  const marker = `--${boundary}`;
  for (let at = body.indexOf(marker); at !== -1; at = body.indexOf(marker, at + marker.length)) {
    if (at !== 0 && body[at - 1] !== '\n') continue;
    const after = at + marker.length;
    let lineEnd = body.indexOf('\n', after);
    if (lineEnd === -1) lineEnd = body.length;
    if (body.slice(body.startsWith('--', after) ? after + 2 : after, lineEnd).trim() === '') count += 1;
  }
  return count;
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

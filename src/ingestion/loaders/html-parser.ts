/**
 * htmlparser2's `Parser` tag rules (implied closes, void elements, `</p>` and `</br>`, self-closing
 * tags inside SVG and MathML) over its `Tokenizer`, in work linear in the page: the open elements
 * are a stack that grows at its end (the `Parser` puts each new one at the front of an array,
 * so 200,000 nested elements take ~23 s), and at most MAX_OPEN_ELEMENTS of them are tracked.
 * Elements opened deeper are only counted; a close tag there closes the innermost of them,
 * whatever its name, and an open tag there closes nothing implicitly. Text is never dropped
 * for being deep.
 */
import { Tokenizer } from 'htmlparser2';
import type { TokenizerCallbacks } from 'htmlparser2';

export const MAX_OPEN_ELEMENTS = 256;

export interface HtmlHandler {
  onopentag(name: string): void;
  ontext(text: string): void;
  onclosetag(name: string): void;
}

const P = new Set(['p']);
const FORM = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
const TABLE_SECTION = new Set(['thead', 'tbody']);
const DD_DT = new Set(['dd', 'dt']);
const RT_RP = new Set(['rt', 'rp']);
// As htmlparser2's Parser: the elements an open tag closes when they are the innermost open one.
const OPEN_IMPLIES_CLOSE = new Map<string, ReadonlySet<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['li', new Set(['li'])],
  ...['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((t): [string, ReadonlySet<string>] => [t, P]),
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t): [string, ReadonlySet<string>] => [t, FORM]),
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', DD_DT],
  ['dt', DD_DT],
  ...['address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hr', 'main', 'nav', 'ol', 'pre', 'section', 'table', 'ul'].map(
    (t): [string, ReadonlySet<string>] => [t, P],
  ),
  ['rt', RT_RP],
  ['rp', RT_RP],
  ['tbody', TABLE_SECTION],
  ['tfoot', TABLE_SECTION],
]);
const VOID = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const FOREIGN = new Set(['math', 'svg']);
const HTML_INTEGRATION = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title']);

/** A stack that keeps its innermost `limit` entries' values and only counts the ones past it. */
class BoundedStack<T> {
  private readonly items: T[] = [];
  /** Entries pushed past the limit, innermost of all. */
  untracked = 0;

  constructor(private readonly limit: number) {}

  get top(): T | undefined {
    return this.untracked > 0 ? undefined : this.items[this.items.length - 1];
  }

  push(item: T): void {
    if (this.untracked > 0 || this.items.length >= this.limit) this.untracked++;
    else this.items.push(item);
  }

  pop(): T | undefined {
    if (this.untracked > 0) {
      this.untracked--;
      return undefined;
    }
    return this.items.pop();
  }

  /** Depth from the top (0 = innermost) of the innermost tracked `item`, or -1. */
  depthOf(item: T): number {
    const at = this.items.lastIndexOf(item);
    return at < 0 ? -1 : this.items.length - 1 - at;
  }

  get tracked(): readonly T[] {
    return this.items;
  }
}

/** Parses `html` in one pass, calling `handler` as htmlparser2's Parser would (HTML mode, entities decoded). */
export function parseHtml(html: string, handler: HtmlHandler): void {
  const open = new BoundedStack<string>(MAX_OPEN_ELEMENTS);
  const foreign = new BoundedStack<boolean>(MAX_OPEN_ELEMENTS);
  let foreignTop = false; // the innermost foreign-content flag, kept when the stack no longer holds it
  let tagname = '';
  const inForeign = () => (foreign.untracked > 0 ? foreignTop : (foreign.top ?? false));

  function emitOpenTag(name: string): void {
    tagname = name;
    const closes = OPEN_IMPLIES_CLOSE.get(name);
    if (closes) {
      for (let top = open.top; top !== undefined && closes.has(top); top = open.top) {
        open.pop();
        handler.onclosetag(top);
      }
    }
    if (VOID.has(name)) return;
    open.push(name);
    if (FOREIGN.has(name) || HTML_INTEGRATION.has(name)) {
      foreignTop = FOREIGN.has(name);
      foreign.push(foreignTop);
    }
  }

  function endOpenTag(): void {
    handler.onopentag(tagname);
    if (VOID.has(tagname)) handler.onclosetag(tagname);
    tagname = '';
  }

  function closeCurrentTag(): void {
    const name = tagname;
    endOpenTag();
    // the element just opened is the innermost one (tracked or not), unless it is void
    if (open.untracked > 0 ? !VOID.has(name) : open.top === name) {
      handler.onclosetag(name);
      open.pop();
    }
  }

  const callbacks: TokenizerCallbacks = {
    ontext: (start, end) => handler.ontext(html.slice(start, end)),
    ontextentity: (codePoint) => handler.ontext(String.fromCodePoint(codePoint)),
    onopentagname: (start, end) => emitOpenTag(html.slice(start, end).toLowerCase()),
    onopentagend: () => endOpenTag(),
    onselfclosingtag: () => (inForeign() ? closeCurrentTag() : endOpenTag()),
    onclosetag(start, end) {
      const name = html.slice(start, end).toLowerCase();
      if (FOREIGN.has(name) || HTML_INTEGRATION.has(name)) {
        foreign.pop();
        if (foreign.untracked === 0) foreignTop = foreign.top ?? false;
      }
      if (VOID.has(name)) {
        if (name === 'br') {
          handler.onopentag('br');
          handler.onclosetag('br');
        }
      } else if (open.untracked > 0) {
        open.pop();
        handler.onclosetag(name);
      } else {
        const depth = open.depthOf(name);
        if (depth >= 0) {
          for (let i = 0; i <= depth; i++) handler.onclosetag(open.pop()!);
        } else if (name === 'p') {
          emitOpenTag('p');
          closeCurrentTag();
        }
      }
    },
    onattribname: () => {},
    onattribdata: () => {},
    onattribentity: () => {},
    onattribend: () => {},
    oncomment: () => {},
    oncdata: () => {},
    ondeclaration: () => {},
    onprocessinginstruction: () => {},
    onend() {
      const tracked = open.tracked;
      for (let i = tracked.length - 1; i >= 0; i--) handler.onclosetag(tracked[i]!);
    },
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();
}

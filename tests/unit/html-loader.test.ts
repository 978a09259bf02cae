import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { MAX_OPEN_ELEMENTS } from '../../src/ingestion/loaders/html-parser.js';
import { loaderFor } from '../../src/ingestion/loaders/index.js';

const options = { textField: 'text', maxPdfPages: 10 };
const loadHtml = async (html: string) => (await loaderFor('page.html')(Buffer.from(html), 'page.html', options))[0]!;

/** The reference: the loader as it was, on htmlparser2's Parser (quadratic in nesting depth). */
function referenceHtml(html: string): { text: string; title: string | null } {
  const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head']);
  const BLOCK = new Set(['p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'section', 'article', 'header', 'footer', 'blockquote', 'pre', 'hr', 'dd', 'dt']);
  let text = '';
  let title = '';
  let skipping = 0;
  let inTitle = false;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        else if (SKIPPED.has(name)) skipping++;
        if (BLOCK.has(name)) text += '\n';
      },
      ontext(data) {
        if (inTitle) title += data;
        else if (skipping === 0) text += data;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
        if (BLOCK.has(name)) text += '\n';
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  const clean = text.replace(/[ \t\f\v]+/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n').trim();
  return { text: clean, title: title.trim() || null };
}

const PAGES = [
  '<!DOCTYPE html><html><head><title>Carol &amp; Co</title><meta charset="utf-8"><style>p{}</style></head><body><h1>Stave One</h1><p>Marley was dead:&nbsp;to begin with.</body></html>',
  '<p>one<p>two<div>three</div><p>four</p></p>five</br>six<br/>seven<BR>eight',
  '<ul><li>a<li>b<li>c</ul><ol><li>x</ol><dl><dt>term<dd>definition<dt>t2</dl>',
  '<table><tr><td>1<td>2<tr><th>h<td>3</table><table><thead><tr><td>x<tbody><tr><td>y</table>',
  '<p>before<!-- a comment <p>not here</p> --> after <![CDATA[ not text either ]]> end</p><?xml-stylesheet href="x"?>',
  '<div>entities: &lt;tag&gt; &quot;q&quot; &#39;s&#x27; &eacute;&copy; &amp;amp; &notanentity; &#128512; &nbsp;x</div>',
  '<script>document.write("<div>not text</div>")</script><noscript>no js</noscript><template><p>tpl</p></template><p>after scripts</p>',
  '<svg><title>icon title</title><circle r="1"/><text>svg text</text></svg><p>after svg<math><mi>x</mi><mo/>+</math> text</p>',
  '<DIV CLASS="a>b" data-x=\'<p>\'>Upper<SPAN>case</SPAN></DIV><P>para<H2>heading</H2>',
  '<textarea>raw <b>text</b> &amp; more</textarea><pre>  pre\n  formatted  </pre><blockquote>quoted<p>inside</blockquote>',
  '<head><title>In head</title><script>var x = "</title>";</script></head><body><title>second</title>body text',
  '<div>unclosed <b>bold <i>italic <p>para</div> after </span></p></b> tail',
  '<select><option>one<option>two</select><button>press</button><input value="x"> <label>label</label>',
  '<section><header>h</header><article>a<footer>f</footer></article></section><hr>rule<hr/>done',
  `<div>${'<div>'.repeat(MAX_OPEN_ELEMENTS + 500)}deep<span>er</span>${'</div>'.repeat(MAX_OPEN_ELEMENTS + 500)}after</div><script>x</script><p>shown</p>`,
  '<p>trailing <b>open',
];

/** Tag soup (seeded): the same elements, text, entities and comments in random order, depth well under the bound. */
function tagSoup(seed: number): string {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const tags = ['p', 'div', 'span', 'b', 'li', 'ul', 'td', 'tr', 'table', 'h2', 'br', 'hr', 'img', 'svg', 'math', 'title', 'head', 'body', 'script', 'style', 'dd', 'dt', 'option', 'select', 'section', 'noscript', 'template', 'pre', 'input', 'mi'];
  const texts = ['word', ' two words ', '&amp;', '&lt;', '&nbsp;', '&#233;', '\n', '  ', 'x&y', '<!-- c -->', '<![CDATA[z]]>', 'é'];
  let out = '';
  for (let i = 0; i < 200; i++) {
    const r = random();
    if (r < 0.35) out += `<${pick(tags)}${random() < 0.2 ? ' class="k"' : ''}${random() < 0.15 ? '/' : ''}>`;
    else if (r < 0.6) out += `</${pick(tags)}>`;
    else out += pick(texts);
  }
  return out;
}

describe('HTML loader', () => {
  it('gives the same text and title as htmlparser2’s Parser on ordinary pages', async () => {
    for (const html of PAGES) {
      const doc = await loadHtml(html);
      expect({ text: doc.text, title: doc.title }, html.slice(0, 80)).toEqual(referenceHtml(html));
    }
    // the reference is not trivial on these
    expect((await loadHtml(PAGES[0]!)).title).toBe('Carol & Co');
    expect((await loadHtml(PAGES[1]!)).text).toBe('one\n\ntwo\n\nthree\n\nfour\n\nfive\n\nsix\n\nseven\n\neight');
  });

  it('gives the same text and title as htmlparser2’s Parser on random tag soup', async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const html = tagSoup(seed);
      const doc = await loadHtml(html);
      expect({ text: doc.text, title: doc.title }, `seed ${seed}: ${html}`).toEqual(referenceHtml(html));
    }
  });

  it('parses deeply nested pages in time that grows less than 8× for 4× the depth (linear: 4×, quadratic: 16×), keeping the text inside', async () => {
    let previous: number | undefined;
    for (const depth of [100_000, 400_000]) {
      const html = `<html><body>${'<div>'.repeat(depth)}deep &amp; inside${'</div>'.repeat(depth)}<script>dropped</script><p>after</p></body></html>`;
      let best = Infinity;
      let doc: Awaited<ReturnType<typeof loadHtml>> | undefined;
      for (let i = 0, total = 0; i < 5 && total < 3_000; i++) {
        const t0 = performance.now();
        doc = await loadHtml(html);
        const ms = performance.now() - t0;
        best = Math.min(best, ms);
        total += ms;
      }
      expect(doc!.text).toBe('deep & inside\n\nafter');
      if (previous !== undefined) expect(best / previous, `${depth} deep: ${best.toFixed(0)} ms after ${previous.toFixed(0)} ms`).toBeLessThan(8);
      previous = best;
    }
  });

  it('keeps text in elements left open past the bound, and drops scripts opened there', async () => {
    const depth = 300_000;
    const html = `${'<div><span>'.repeat(depth)}kept<script>not kept</script>also kept`;
    const doc = await loadHtml(html);
    expect(doc.text).toBe('keptalso kept');
  });
});

/**
 * A folder ingest reads and names only files inside its folder: globs that could reach out
 * (absolute, "..", backslash forms) are a 400 before any job starts, and a file reached through
 * a symbolic link that leads out of the folder is recorded unread, under its name in the folder.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, waitForJob } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { tempDir } from '../support/runtime.js';

let t: TestApp;
let outside: string;
/** Words that appear only in files outside the ingest folder "sub". */
const SECRET = 'zanzibarquux';
const SIBLING = 'sibylline-marmalade';

beforeAll(async () => {
  t = await testApp({}, {}, {
    'sub/a.txt': 'Alpha notes about lighthouses and the sea, inside the ingest folder.',
    'sub/inner/b.md': '# Beta\n\nBeta notes about glaciers, also inside the ingest folder.',
    'other/o.txt': `The sibling folder holds ${SIBLING}; it is under the corpora root but outside "sub".`,
    'top.txt': `A file at the corpora root that mentions ${SIBLING} too.`,
  });
  outside = tempDir('outside');
  writeFileSync(join(outside, 'secret.txt'), `The outside world holds ${SECRET}.`);
  mkdirSync(join(outside, 'deeper'));
  writeFileSync(join(outside, 'deeper', 'more.txt'), `More ${SECRET}.`);
  symlinkSync(join(t.corporaDir, 'other'), join(t.corporaDir, 'sub', 'to-sibling')); // inside the corpora root, outside the folder
  symlinkSync(outside, join(t.corporaDir, 'sub', 'to-outside'));
  symlinkSync(join(outside, 'secret.txt'), join(t.corporaDir, 'sub', 'secret-link.txt'));
});
afterAll(async () => t.app.close());

const ingest = (ws: string, glob: string, path = 'sub') => t.app.inject({ method: 'POST', url: `/v1/workspaces/${ws}/ingest`, payload: { path, glob } });

async function documentsOf(ws: string): Promise<Array<{ id: string; text: string }>> {
  const list = await t.app.inject(`/v1/workspaces/${ws}/documents?limit=500`);
  if (list.statusCode === 404) return [];
  const ids = (list.json().items as Array<{ id: string }>).map((d) => d.id);
  return Promise.all(ids.map(async (id) => ({ id, text: (await t.app.inject(`/v1/workspaces/${ws}/documents/${encodeURIComponent(id)}`)).json().text as string })));
}

describe('folder ingest glob confinement', () => {
  it('refuses, with a 400 naming the accepted form, globs that are absolute, climb with "..", or use backslashes', async () => {
    const hostile = [
      '/etc/**',
      '/proc/*/cmdline',
      '/sys/**',
      '!/etc/**',
      '../**',
      '..*/**', // "..*" matches ".."
      '..x/**',
      '**/../**',
      '{..,x}/**',
      '{a,../b}',
      'x/{y,{z,..}}/**',
      '.{.,x}/**', // expands to "../**"
      '@(..)/**',
      '!(..)/**',
      'sub/../../**',
      './../**',
      '..\\**',
      '\\.\\./**', // tinyglobby drops these backslashes from the folder it walks: the parent
      '..\\..\\etc\\passwd',
      'C:\\Windows\\**',
      'c:/Windows/**',
      '\\\\server\\share\\**',
      '{/etc,x}/**',
    ];
    for (const glob of hostile) {
      const res = await ingest(`hostile`, glob);
      expect(res.statusCode, glob).toBe(400);
      expect(res.json().message, glob).toContain(`glob "${glob}"`);
      expect(res.json().message, glob).toMatch(/accepted: a pattern relative to the ingest folder/);
    }
    expect(await documentsOf('hostile')).toEqual([]); // no job ran
  });

  it('still accepts ordinary globs, escapes of glob characters and names with two dots', async () => {
    for (const glob of ['**/*', '**/*.{txt,md}', 'inner/*.md', 'a\\[1\\].txt', 'notes..old/*.txt', '*.txt']) {
      const res = await ingest('plain-check', glob);
      expect(res.statusCode, glob).toBe(202);
      await waitForJob(t.app, res.json().jobId);
    }
  });

  it('ingests exactly the files inside the folder with a normal glob; links are not followed by the walk', async () => {
    const job = await waitForJob(t.app, (await ingest('normal', '**/*')).json().jobId);
    expect(job.state).toBe('succeeded');
    expect(job.progress).toMatchObject({ filesTotal: 2, documents: 2, errors: [] });
    const docs = await documentsOf('normal');
    expect(docs.map((d) => d.id).sort()).toEqual(['sub/a.txt', 'sub/inner/b.md']);
  });

  for (const [link, file] of [
    ['to-sibling', 'o.txt'],
    ['to-outside', 'secret.txt'],
  ] as const) {
    it(`records a file reached through a symbolic link out of the folder (${link}) unread, under its name in the folder`, async () => {
      for (const glob of [`${link}/*`, `${link}/**/*.txt`, `${link}/${file}`]) {
        const ws = `link-${link}-${glob.length}`;
        const job = await waitForJob(t.app, (await ingest(ws, glob)).json().jobId);
        expect(job.state, glob).toBe('succeeded');
        const progress = job.progress as { documents: number; errors: Array<{ file: string; error: string }> };
        expect(progress.documents, glob).toBe(0);
        expect(progress.errors.length, glob).toBeGreaterThan(0);
        for (const e of progress.errors) {
          expect(e.file, glob).toMatch(new RegExp(`^sub/${link}/`));
          expect(e.error, glob).toMatch(/a symbolic link that leads outside the ingest folder/);
        }
        expect(progress.errors.map((e) => e.file), glob).toContain(`sub/${link}/${file}`);
        expect(await documentsOf(ws), glob).toEqual([]);
      }
    });
  }

  it('a glob that passes the check but names nothing in the folder reads nothing and lists nothing outside', async () => {
    for (const glob of ['[.][.]/**', '**/*secret*', '*link*', '**/o.txt']) {
      const ws = `quiet-${glob.length}`;
      const res = await ingest(ws, glob);
      expect(res.statusCode, glob).toBe(202);
      const job = await waitForJob(t.app, res.json().jobId);
      expect(job.state, glob).toBe('succeeded');
      expect(job.progress, glob).toMatchObject({ filesTotal: 0, documents: 0, errors: [] });
    }
  });

  it('no workspace holds text from outside the folder, and no job lists a path outside it', async () => {
    const names = ((await t.app.inject('/v1/workspaces')).json().workspaces as Array<{ name: string }>).map((w) => w.name);
    expect(names).toContain('normal');
    for (const name of names) {
      for (const doc of await documentsOf(name)) {
        expect(doc.id.startsWith('sub/'), `${name}: ${doc.id}`).toBe(true);
        expect(doc.text, `${name}: ${doc.id}`).not.toContain(SECRET);
        expect(doc.text, `${name}: ${doc.id}`).not.toContain(SIBLING);
      }
    }
  });
});

import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { resolveConfig } from '@gatehouse-auth/server';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { transform } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli } from '../../packages/cli/src/test-cli.js';

/**
 * The docs cannot drift: every code block in the README, in docs/ and in the packages' READMEs that is written
 * in a language that runs says whether it runs — its info string carries `test` or `no-test`:
 *
 *     ```js test          run by Node, a module in a process of its own, against a started server (`ts` too)
 *     ```sh test          run by bash against it, in its directory, with `gatehouse` on the PATH
 *     ```tsx test         type-checked (strict) against the built packages: a component needs a page to run
 *     ```json check-config   a whole config file: the JSON Schema and the server must both accept it
 *     ```json test-config    part of the config of this page's server (merged into it): what a page's
 *                            examples need besides the defaults, shown to the reader as well
 *     ```sh no-test       shown, not run (`npm start` itself, a placeholder such as <userId>, another host…)
 *
 * Each page that has `test` blocks gets its own server, started as `npm start` starts one — `gatehouse init`
 * (app id `myapp-zayvv`, the id the docs use) then `gatehouse dev` on SQLite — plus the page's `test-config`.
 * Its blocks run in order, so one may use what an earlier one made, in the server's directory (where its
 * config and `.gatehouse/` are), which has the packages installed as a project using Gatehouse would (the
 * built ones: `npm test` builds first). In the code, `http://127.0.0.1:8080`
 * (and `localhost:8080`, `ws://…`) become that server's address, and `127.0.0.1:9464` its metrics listener.
 * (Its password hashing runs at test speed, as in every test here: the same code with cheaper parameters.)
 */

const ROOT = resolve(import.meta.dirname, '../..');
const APP_ID = 'myapp-zayvv';
const RUNNABLE = new Set(['js', 'mjs', 'ts', 'tsx', 'jsx', 'sh', 'bash', 'shell']);
/** Pages another branch is writing; linked already, and checked once they exist. */
const PENDING = new Set<string>();
const SNIPPETS = join(ROOT, 'test/docs/.snippets');

interface Block {
  file: string;
  line: number;
  lang: string;
  flags: string[];
  code: string;
}

function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  for (const pkg of readdirSync(join(ROOT, 'packages'))) files.push(`packages/${pkg}/README.md`);
  return files.filter((file) => {
    try {
      readFileSync(join(ROOT, file));
      return true;
    } catch {
      return false;
    }
  });
}

/** The fenced code blocks of a Markdown file (indented ones inside list items too). */
function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', lang = '', rest = ''] = open;
    if (fence.startsWith('`') && `${lang}${rest}`.includes('`')) continue; // inline code, not a fence (CommonMark)
    const code: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      code.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({
      file,
      line: i + 1,
      lang: lang.toLowerCase(),
      flags: rest.split(/\s+/).filter(Boolean),
      code: code.join('\n'),
    });
    i = j;
  }
  return blocks;
}

const files = markdownFiles();
const allBlocks = files.flatMap(blocksOf);

describe('the docs', () => {
  it('mark every block in a language that runs as `test` or `no-test`', () => {
    const unmarked = allBlocks
      .filter((b) => RUNNABLE.has(b.lang) && !b.flags.includes('test') && !b.flags.includes('no-test'))
      .map((b) => `${b.file}:${b.line} (\`\`\`${b.lang})`);
    expect(unmarked, 'add `test` (the docs test runs it) or `no-test` after the language').toEqual([]);
  });

  it('link only to files of this repository that exist, and never to notes a reader does not have', () => {
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (/\.\.\/shared\/|notes of issue|ARCHITECTURE\.md/.test(text))
        problems.push(`${file}: refers to project notes`);
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const path = resolve(ROOT, dirname(file), target.split('#')[0] ?? '');
        const inRepo = relative(ROOT, path);
        if (inRepo.startsWith('..')) problems.push(`${file}: ${target} leaves the repository`);
        else if (!PENDING.has(inRepo)) {
          try {
            readFileSync(path);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EISDIR') problems.push(`${file}: ${target} does not exist`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("keep the README's two front-door commands true: `npm start`, and `npm test` — what .ci/run runs", () => {
    const readme = allBlocks.filter((b) => b.file === 'README.md').map((b) => b.code);
    expect(readme.some((code) => /^npm start\b/m.test(code))).toBe(true);
    expect(readme.some((code) => /^npm test\b/m.test(code))).toBe(true);
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toMatch(/packages\/cli\/dist\/bin\.js dev$/);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !line.startsWith('echo'));
    expect(ci.at(-1)).toBe('npm test');
  });

  const configs = allBlocks.filter((b) => b.lang === 'json' && b.flags.includes('check-config'));
  it.each(configs.map((b) => [`${b.file}:${b.line}`, b] as const))('%s: a config the server accepts', (_, block) => {
    const config = JSON.parse(block.code);
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(
      JSON.parse(readFileSync(join(ROOT, 'packages/server/config.schema.json'), 'utf8')),
    );
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(() => resolveConfig(config)).not.toThrow();
  });
});

const pages = [...new Set(allBlocks.filter((b) => b.flags.includes('test')).map((b) => b.file))];

describe.each(pages)('%s, run against a server', (file) => {
  const blocks = allBlocks.filter((b) => b.file === file && b.flags.includes('test'));
  const overlays = allBlocks.filter((b) => b.file === file && b.lang === 'json' && b.flags.includes('test-config'));
  let dir: string;
  let server: RunningCli;
  let metricsOrigin = '';

  const needsServer = blocks.some((b) => b.lang !== 'tsx');

  beforeAll(async () => {
    if (!needsServer) return;
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-docs-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    expect((await runCli(['init', '--dir', dir, '--app-id', APP_ID])).code).toBe(0);
    const path = join(dir, 'gatehouse.config.json');
    let config = JSON.parse(readFileSync(path, 'utf8'));
    for (const overlay of overlays) config = merge(config, JSON.parse(overlay.code));
    if (config.metrics) config.metrics.port = 0; // never a fixed port on a shared machine
    config.passwordHashing = { memoryCost: 1024, timeCost: 1 }; // test speed: the same code, cheaper argon2id
    writeFileSync(path, JSON.stringify(config, null, 2));
    server = await startCli(['dev', '--dir', dir, '--port', '0'], /Demo page:\s+(http:\/\/\S+?)\/\s/);
    metricsOrigin = /Metrics:\s+(http:\/\/\S+?)\/metrics/.exec(server.stdout())?.[1] ?? '';
    mkdirSync(SNIPPETS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const localize = (code: string) => {
    const url = new URL(server.url);
    let out = code
      .replaceAll('http://127.0.0.1:8080', server.url)
      .replaceAll('http://localhost:8080', server.url)
      .replaceAll('ws://127.0.0.1:8080', `ws://${url.host}`);
    if (metricsOrigin) out = out.replaceAll('http://127.0.0.1:9464', metricsOrigin);
    return out;
  };

  it.each(blocks.map((b) => [`line ${b.line} (${b.lang})`, b] as const))('%s', async (_, block) => {
    const name = snippetName(block);
    if (block.lang === 'tsx') {
      expect(typeErrors(block), `${block.file}:${block.line}`).toEqual([]);
      return;
    }
    let result: { code: number | null; output: string };
    if (block.lang === 'sh' || block.lang === 'bash' || block.lang === 'shell') {
      result = await run('bash', ['-euo', 'pipefail', '-c', localize(block.code)], dir);
    } else {
      // A module of its own in a process of its own, as a reader's script; TypeScript loses its types first.
      const { code } = await transform(localize(block.code), { loader: block.lang === 'ts' ? 'ts' : 'js' });
      const path = join(dir, `${name}.mjs`);
      writeFileSync(path, code);
      result = await run('node', [path], dir);
    }
    expect(result.code, `${block.file}:${block.line}\n${result.output}`).toBe(0);
  });
});

/** Deep merge of plain objects (arrays and values are replaced). */
function merge(base: any, overlay: any): any {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return overlay;
  const out = { ...base };
  for (const [key, value] of Object.entries(overlay)) out[key] = merge(base[key], value);
  return out;
}

let bin: string | undefined;
/** Runs a block's process in `cwd`, with `gatehouse` (this repository's build) first on the PATH. */
async function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  if (!bin) {
    bin = mkdtempSync(join(tmpdir(), 'gatehouse-docs-bin-'));
    const shim = join(bin, 'gatehouse');
    writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'packages/cli/dist/bin.js'))} "$@"\n`);
    chmodSync(shim, 0o755);
  }
  const child = spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      PATH: `${bin}:${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const exit = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  return { code: exit, output };
}

const snippetName = (block: Block) => `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}`;

let tsxDiagnostics: Map<string, string[]> | undefined;
/**
 * Strict type errors of a `tsx` block, resolved as an app depending on the packages would resolve them. All
 * the docs' `tsx` blocks are checked in one program, the first time one is asked for (the type libraries
 * are the slow part).
 */
function typeErrors(block: Block): string[] {
  if (!tsxDiagnostics) {
    mkdirSync(SNIPPETS, { recursive: true });
    const paths = new Map<string, string>();
    for (const b of allBlocks.filter((x) => x.lang === 'tsx' && x.flags.includes('test'))) {
      const path = join(SNIPPETS, `${snippetName(b)}.tsx`);
      writeFileSync(path, b.code);
      paths.set(path, snippetName(b));
    }
    const program = ts.createProgram([...paths.keys()], {
      strict: true,
      noEmit: true,
      jsx: ts.JsxEmit.ReactJSX,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
    });
    tsxDiagnostics = new Map([...paths.values()].map((name) => [name, []]));
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const name = (d.file && paths.get(d.file.fileName)) ?? [...paths.values()][0] ?? '';
      tsxDiagnostics.get(name)?.push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
  }
  return tsxDiagnostics.get(snippetName(block)) ?? ['not checked'];
}

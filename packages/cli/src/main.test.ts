import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './test-cli.js';

describe('gatehouse (command line)', () => {
  it('--help lists the commands', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['init', 'dev', 'serve', 'migrate'])
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(result.stdout).toContain('DATABASE_URL');
    expect((await runCli([])).stdout).toBe(result.stdout);
  });

  it('<command> --help shows its options', async () => {
    const init = await runCli(['init', '--help']);
    expect(init.code).toBe(0);
    for (const flag of ['--dir <dir>', '--app-id <id>', '--public-url <url>', '--database-url <url>', '--force'])
      expect(init.stdout).toContain(flag);
    const serve = await runCli(['serve', '--port', '1', '-h']);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain('--config <file>');
    expect((await runCli(['help', 'dev'])).stdout).toContain('Usage: gatehouse dev');
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${pkg.version}\n`);
  });

  it('an unknown command is a usage error (exit 2) with a suggestion', async () => {
    const result = await runCli(['serv']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'serv'");
    expect(result.stderr).toContain("did you mean 'serve'");
    expect(result.stderr).toContain('--help');
  });

  it('an unknown or malformed option is a usage error (exit 2) naming it', async () => {
    const cases: [string[], string][] = [
      [['serve', '--prot', '8080'], "unknown option '--prot' (did you mean --port?)"],
      [['init', '--dir'], 'option --dir needs a value'],
      [['init', '--dir', '--force'], "option --dir needs a value, got '--force'"],
      [['init', '--force=yes'], 'option --force takes no value'],
      [['dev', '--port', 'http'], 'option --port expects a number'],
      [['dev', '--port', '70000'], 'option --port expects a number'],
      [['migrate', 'now'], "unexpected argument 'now'"],
      [['--nope'], "unknown option '--nope'"],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toContain(message);
      expect(result.stdout).toBe('');
    }
  });
});

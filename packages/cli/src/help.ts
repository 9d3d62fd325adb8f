import type { Command } from './command.js';

/** Environment variables that override the config file (applied by the server's `applyEnvironment`). */
const ENVIRONMENT: [string, string][] = [
  ['DATABASE_URL', 'database.url (sqlite:<path> or postgres://…)'],
  ['GATEHOUSE_PUBLIC_URL', 'publicUrl'],
  ['GATEHOUSE_HOST, GATEHOUSE_PORT', 'listen.host, listen.port'],
  ['GATEHOUSE_WORKERS', 'listen.workers (a number, or auto: one per core)'],
  ['GATEHOUSE_KEYS, GATEHOUSE_KEYS_FILE', 'keys (a JSON array, inline or in a file)'],
  ['GATEHOUSE_SMTP_URL, GATEHOUSE_EMAIL_FROM', 'email (SMTP transport)'],
  ['GATEHOUSE_DATABASE_POOL_SIZE', 'database.poolSize'],
  ['GATEHOUSE_CORS_ORIGINS', 'corsOrigins (comma-separated)'],
  ['GATEHOUSE_TRUST_PROXY', 'trustProxy (true/false)'],
  ['GATEHOUSE_LOG_LEVEL', 'logLevel'],
];

/** `gatehouse --help`. */
export function mainHelp(commands: readonly Command[]): string {
  return [
    'gatehouse: self-hosted accounts and authentication, compatible with App Services (Realm) and Meteor Accounts',
    '',
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...table(commands.map((c) => [c.name, c.summary])),
    '',
    'Options:',
    ...table([
      ['-h, --help', 'Show help (gatehouse <command> --help for a command)'],
      ['-v, --version', 'Show the version'],
    ]),
    '',
    'Environment (overrides the config file):',
    ...table(ENVIRONMENT),
    '',
    'Start here: gatehouse dev',
    '',
  ].join('\n');
}

/** `gatehouse <command> --help`. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).map(([name, spec]): [string, string] => [
    `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`,
    spec.description,
  ]);
  options.push(['-h, --help', 'Show this help']);
  const usage = Object.keys(command.options).length ? ' [options]' : '';
  const args = command.arguments ?? [];
  return [
    `Usage: gatehouse ${command.name}${args.map((a) => ` ${a.name}`).join('')}${usage}`,
    '',
    ...wrap(command.description, 100),
    '',
    ...(args.length ? ['Arguments:', ...table(args.map((a): [string, string] => [a.name, a.description])), ''] : []),
    'Options:',
    ...table(options),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

function table(rows: readonly [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

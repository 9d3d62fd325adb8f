import { CliError } from './command.js';

/**
 * A listener's failure to bind as the operator should read it: a taken port, a privileged one, an address this
 * machine does not have — naming the setting that chooses it. Anything else is returned as it is.
 */
export function listenError(error: unknown, host: string, port: number, setting = '--port <n>'): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return new CliError(
      `port ${port} on ${host} is already in use (another Gatehouse, or another server?).\n` +
        `Stop that process, or choose another port with ${setting}.`,
    );
  if (code === 'EACCES')
    return new CliError(
      `not permitted to listen on ${where} (ports below 1024 need privileges): choose another port with ${setting}.`,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new CliError(`cannot listen on ${where}: no such address on this machine (check --host or listen.host).`);
  return error;
}

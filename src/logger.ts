/**
 * The one logger. Secrets never reach a log line: every path that can hold one is
 * redacted here, once, rather than at each call site.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'imap.password',
  'smtp.password',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'auth.pass',
  '*.auth.pass',
  // webhook secrets and OAuth2 credentials
  'secret',
  '*.secret',
  ...['clientSecret', 'refreshToken', 'accessToken'].flatMap((name) => [name, `*.${name}`, `*.*.${name}`, `*.*.*.${name}`]),
];

export function createLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sonde' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** Structured logs: one JSON object per line on stderr, filtered by level. stdout stays free for ready lines and stdio MCP. */

export const LOG_LEVELS = Object.freeze(['error', 'warn', 'info', 'debug'] as const);
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

export function createLogger(
  level: LogLevel,
  stream: NodeJS.WritableStream = process.stderr,
  now: () => Date = () => new Date(),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (l: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (LOG_LEVELS.indexOf(l) > threshold) return;
      stream.write(JSON.stringify({ time: now().toISOString(), level: l, msg, ...fields }) + '\n');
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    enabled: (l) => LOG_LEVELS.indexOf(l) <= threshold,
  };
}

/**
 * The progress display subscribes to runner events. On a terminal it keeps one live line (scenario, phase, trial,
 * target, elapsed, achieved rate); elsewhere — a pipe, a file, CI — it prints a plain line per finished step.
 */
import type { EventSink, RunEvent } from '../runner/events.js';
import { formatMs } from './format.js';

export interface Progress {
  readonly sink: EventSink;
  /** Clears the live line; call before printing anything else. */
  stop(): void;
}

export function createProgress(stream: NodeJS.WritableStream, live: boolean, expectedMs: number): Progress {
  const started = performance.now();
  let status = '';
  let lastRate = '';
  const elapsed = (): string => `${formatMs(performance.now() - started)} of ~${formatMs(expectedMs)}`;
  const draw = (): void => {
    if (live && status !== '') stream.write(`\r\x1b[2K${status}  ${elapsed()}${lastRate}`);
  };
  const ticker = live ? setInterval(draw, 250) : undefined;
  ticker?.unref();

  const sink = (event: RunEvent): void => {
    switch (event.type) {
      case 'scenario-start':
        say(`▶ ${event.scenario} (${event.index + 1}/${event.total})`);
        break;
      case 'processes-ready':
        say(`  started ${event.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ')}`);
        break;
      case 'trial-start':
        status = `  ${event.scenario}  ${phaseLabel(event)}  ${event.target}`;
        draw();
        break;
      case 'trial-end': {
        const rate = `${Math.round(event.achievedRate)}/s${event.askedRate !== null ? ` of ${event.askedRate}/s asked` : ''}`;
        lastRate = `  ${rate}${event.errors > 0 ? `  ${event.errors} errors` : ''}`;
        if (!live)
          say(
            `  ${phaseLabel(event).padEnd(16)} ${event.target.padEnd(8)} ${rate}${event.errors > 0 ? `, ${event.errors} errors` : ''}  [${elapsed()}]`,
          );
        break;
      }
      case 'step':
        status = `  ${event.scenario}  ${event.label}`;
        lastRate = '';
        if (live) draw();
        else say(`  ${event.label}  [${elapsed()}]`);
        break;
      case 'scenario-end':
        status = '';
        lastRate = '';
        say(
          event.state === 'completed'
            ? `✔ ${event.scenario} in ${formatMs(event.elapsedMs)}`
            : `✘ ${event.scenario} failed: ${event.error ?? ''}`,
        );
        break;
    }
  };

  function say(line: string): void {
    stream.write(live ? `\r\x1b[2K${line}\n` : `${line}\n`);
    draw();
  }

  return {
    sink,
    stop() {
      if (ticker) clearInterval(ticker);
      if (live) stream.write('\r\x1b[2K');
    },
  };
}

function phaseLabel(e: { phase: string; trial: number; trials: number }): string {
  return e.phase === 'warmup' ? 'warm-up' : `${e.phase} ${e.trial}/${e.trials}`;
}

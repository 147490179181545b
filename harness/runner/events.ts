/** What the runner tells whoever listens (a progress line, a log). Nothing in the measuring path prints. */

export type RunEvent =
  | { readonly type: 'scenario-start'; readonly scenario: string; readonly index: number; readonly total: number }
  | {
      readonly type: 'processes-ready';
      readonly scenario: string;
      readonly processes: ReadonlyArray<{ name: string; pid: number; url: string }>;
    }
  | {
      readonly type: 'trial-start';
      readonly scenario: string;
      readonly phase: 'warmup' | 'latency' | 'throughput';
      readonly trial: number;
      readonly trials: number;
      readonly target: string;
      readonly elapsedMs: number;
    }
  | {
      readonly type: 'trial-end';
      readonly scenario: string;
      readonly phase: 'warmup' | 'latency' | 'throughput';
      readonly trial: number;
      readonly trials: number;
      readonly target: string;
      readonly elapsedMs: number;
      readonly askedRate: number | null;
      readonly achievedRate: number;
      readonly errors: number;
    }
  /** A step of a scenario that is not a load trial (opening sessions, a memory sample, a fault switched on). */
  | { readonly type: 'step'; readonly scenario: string; readonly label: string; readonly elapsedMs: number }
  | {
      readonly type: 'scenario-end';
      readonly scenario: string;
      readonly state: 'completed' | 'failed' | 'partial';
      readonly elapsedMs: number;
      readonly error?: string;
    };

export type EventSink = (event: RunEvent) => void;

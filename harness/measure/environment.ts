/** The environment a run measured on: recorded in every results file so figures are never read out of context. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { SpeedFigures } from './speed.js';

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly osRelease: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
  /** A short hash of what makes absolute figures comparable: CPU model, cores, memory, OS, Node major. */
  readonly machineFingerprint: string;
  /** This machine's speed when the run started (absent in files from before it was measured): the testbed's key. */
  readonly speed?: SpeedFigures;
}

export function captureEnvironment(cwd: string): Environment {
  const cpus = os.cpus();
  const cpuModel = cpus[0]?.model.trim() ?? 'unknown';
  const cores = cpus.length;
  const totalMemoryBytes = os.totalmem();
  const nodeMajor = process.versions.node.split('.')[0] ?? '';
  const machineFingerprint = createHash('sha256')
    .update([cpuModel, cores, Math.round(totalMemoryBytes / 2 ** 30), os.platform(), os.arch(), nodeMajor].join('|'))
    .digest('hex')
    .slice(0, 16);
  return {
    node: process.version,
    platform: os.platform(),
    osRelease: os.release(),
    arch: os.arch(),
    cpuModel,
    cores,
    totalMemoryBytes,
    gitCommit: git(cwd, ['rev-parse', 'HEAD']) || null,
    gitDirty: gitDirty(cwd),
    machineFingerprint,
  };
}

/** A git command's output in `cwd`, trimmed; null when git fails there (not a checkout, no git). */
export function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function gitDirty(cwd: string): boolean | null {
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=no']);
  return status === null ? null : status.length > 0;
}

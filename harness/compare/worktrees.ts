/**
 * The two sides of `mcp-perf compare --base REF [--head REF]`, each built in a directory of its own: a git worktree
 * of the ref, or for the head without --head a copy of the working tree as it is (uncommitted and untracked files
 * included, ignored ones not). Each side gets node_modules linked from this checkout when its package-lock.json is
 * the same, `npm ci` otherwise, then its own `npm run build`. Everything made here is removed by cleanup().
 */
import { copyFile, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { ConfigError, McpPerfError } from '../../core/runtime/errors.js';

export interface Side {
  readonly name: 'base' | 'head';
  /** What the user named: a ref, or "working tree". */
  readonly label: string;
  readonly commit: string | null;
  /** The package root inside the side's directory: where its bin/mcp-perf.js is. */
  readonly root: string;
}

export class Workspace {
  readonly #repo: string;
  readonly #packageRoot: string;
  readonly #dir: string;
  readonly #worktrees: string[] = [];
  readonly #log: (line: string) => void;
  readonly #signal: AbortSignal;

  private constructor(
    repo: string,
    packageRoot: string,
    dir: string,
    log: (line: string) => void,
    signal: AbortSignal,
  ) {
    this.#repo = repo;
    this.#packageRoot = packageRoot;
    this.#dir = dir;
    this.#log = log;
    this.#signal = signal;
  }

  /** `packageRoot` must be inside a git checkout; sides are made under `dir`. */
  static async open(
    packageRoot: string,
    dir: string,
    log: (line: string) => void,
    signal: AbortSignal,
  ): Promise<Workspace> {
    const top = await execa('git', ['-C', packageRoot, 'rev-parse', '--show-toplevel'], { reject: false });
    if (top.exitCode !== 0)
      throw new ConfigError(
        `--base needs mcp-perf to run from a git checkout; ${packageRoot} is not one (compare two results instead: mcp-perf compare A B)`,
      );
    await mkdir(dir, { recursive: true });
    return new Workspace(String(top.stdout).trim(), packageRoot, dir, log, signal);
  }

  async resolve(ref: string): Promise<string> {
    const r = await execa('git', ['-C', this.#repo, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      reject: false,
    });
    if (r.exitCode !== 0) throw new ConfigError(`"${ref}" is not a commit, branch or tag in ${this.#repo}`);
    return String(r.stdout).trim();
  }

  /**
   * Both sides: each a detached git worktree at a commit, or a copy of the working tree as it is now (ref undefined).
   * They are placed one after the other (git locks its worktree list), then installed and built at the same time —
   * two builds side by side on two cores take the time of one. Either failing fails both, once both have stopped.
   */
  async prepare(refs: { readonly base: string | undefined; readonly head: string | undefined }): Promise<[Side, Side]> {
    const base = await this.#place('base', refs.base);
    const head = await this.#place('head', refs.head);
    const built = await Promise.allSettled([this.#build(base), this.#build(head)]);
    const failed = built.find((b): b is PromiseRejectedResult => b.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return [base, head];
  }

  async #place(name: 'base' | 'head', ref: string | undefined): Promise<Side> {
    const dir = join(this.#dir, name);
    let commit: string | null = null;
    if (ref !== undefined) {
      commit = await this.resolve(ref);
      this.#log(`${name}: git worktree of ${ref} (${commit.slice(0, 10)})`);
      await this.#git(['worktree', 'add', '--detach', '--force', dir, commit]);
      this.#worktrees.push(dir);
    } else {
      this.#log(`${name}: copy of the working tree`);
      await this.#copyWorkingTree(dir);
    }
    const root = join(dir, relative(this.#repo, this.#packageRoot));
    return { name, label: ref ?? 'working tree', commit, root };
  }

  async #build(side: Side): Promise<void> {
    await this.#install(side.name, side.root);
    this.#log(`${side.name}: building`);
    await this.#run(side.name, 'npm', ['run', 'build', '--silent'], side.root);
  }

  /** Removes worktrees and copies. Never throws: it runs on every path out. */
  async cleanup(): Promise<void> {
    for (const dir of this.#worktrees.splice(0))
      await execa('git', ['-C', this.#repo, 'worktree', 'remove', '--force', dir], { reject: false });
    await execa('git', ['-C', this.#repo, 'worktree', 'prune'], { reject: false });
    await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
  }

  async #copyWorkingTree(dir: string): Promise<void> {
    const listed = await execa(
      'git',
      ['-C', this.#repo, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { reject: false },
    );
    if (listed.exitCode !== 0)
      throw new McpPerfError('MCP_PERF_COMPARE_SETUP', `git ls-files failed: ${String(listed.stderr)}`);
    for (const file of String(listed.stdout).split('\0').filter(Boolean)) {
      const to = join(dir, file);
      await mkdir(dirname(to), { recursive: true });
      // A tracked file deleted in the working tree is absent from the head as well.
      await copyFile(join(this.#repo, file), to).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  async #install(name: string, root: string): Promise<void> {
    const [mine, theirs] = await Promise.all([
      readFile(join(this.#packageRoot, 'package-lock.json'), 'utf8').catch(() => ''),
      readFile(join(root, 'package-lock.json'), 'utf8').catch(() => null),
    ]);
    if (theirs === null)
      throw new McpPerfError(
        'MCP_PERF_COMPARE_SETUP',
        `${name} has no package-lock.json at ${root}: is it an mcp-perf checkout?`,
      );
    if (mine === theirs) {
      await symlink(join(this.#packageRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
      return;
    }
    this.#log(`${name}: dependencies differ from this checkout; npm ci`);
    await this.#run(name, 'npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], root);
  }

  async #git(args: string[]): Promise<void> {
    const r = await execa('git', ['-C', this.#repo, ...args], { reject: false, cancelSignal: this.#signal });
    if (r.exitCode !== 0)
      throw new McpPerfError('MCP_PERF_COMPARE_SETUP', `git ${args.join(' ')} failed: ${String(r.stderr).trim()}`);
  }

  async #run(name: string, command: string, args: string[], cwd: string): Promise<void> {
    const r = await execa(command, args, {
      cwd,
      reject: false,
      all: true,
      cancelSignal: this.#signal,
      stdin: 'ignore',
    });
    if (this.#signal.aborted) throw this.#signal.reason;
    if (r.exitCode !== 0)
      throw new McpPerfError(
        'MCP_PERF_COMPARE_SETUP',
        `${name}: \`${command} ${args.join(' ')}\` failed (exit ${String(r.exitCode)}):\n${String(r.all).slice(-1500)}`,
      );
  }
}

/**
 * How every Node command starts and ends, so they all behave alike: arguments read by `node:util`'s
 * `parseArgs` (strict: an unknown option or a missing value is refused, never guessed at);
 * `-h`/`--help` prints the usage to stdout and exits 0, whatever else is on the line; a bad
 * argument prints one line saying what is wrong, then the usage, to stderr, and exits 2; otherwise
 * the command's exit code is its main's, or 1 with the error printed when main throws (a bug:
 * expected failures are named errors main turns into a message and a code itself).
 *
 * parseArgs's own messages name its syntax ("Option '--k <value>' argument is ambiguous"); ours
 * say what the option needs ("--k needs whole numbers from 1 to 100"), from the `arg` each string
 * option declares. A command's reader returns HELP or a message rather than exiting, so tests can
 * call one directly (parseKitArgs); only runCli prints and exits.
 */

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isAppError } from '../core/errors';

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

/** One option of a command: a flag, or one that takes a value (`multiple`: it may be repeated). */
export interface CliOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** What a string option's value is, for the message when it is missing: "--out needs a folder". */
  arg?: string;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

/** The values parseArgs read, typed by the spec: absent options are undefined. */
export type CliValues<O extends CliOptions> = {
  [K in keyof O]?: O[K] extends { type: 'string' } ? (O[K] extends { multiple: true } ? string[] : string) : boolean;
};

/** Asked for the usage (-h or --help). */
export const HELP: unique symbol = Symbol('help');

/** What a command makes of its arguments: what it runs with, a message saying what is wrong, or HELP. */
export type CliArgs<A> = A | string | typeof HELP;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Reads `argv` against `options` (plus -h/--help). `positionals`: whether bare arguments are
 * allowed (a command's folder); refused as "unexpected argument" otherwise.
 */
export function parseCli<const O extends CliOptions>(
  argv: readonly string[],
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
): CliArgs<{ values: CliValues<O>; positionals: string[] }> {
  const config: ParseArgsOptions = {
    ...Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false }])),
    ...HELP_OPTION,
  };
  try {
    const parsed = parseArgs({ args: [...argv], options: config, allowPositionals: positionals, strict: true });
    if (parsed.values.help) return HELP;
    return { values: parsed.values as CliValues<O>, positionals: parsed.positionals };
  } catch (e) {
    return explain(argv, options, config, positionals) ?? (e instanceof Error ? e.message : String(e));
  }
}

/**
 * Why a strict parse failed, in our words, from a lenient parse of the same line: its tokens say
 * which option and value were at fault. HELP when help was asked for anywhere (help wins).
 */
function explain(
  argv: readonly string[],
  options: CliOptions,
  config: ParseArgsOptions,
  positionals: boolean,
): string | typeof HELP | null {
  const { tokens } = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: false, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return HELP;
  for (const t of tokens) {
    if (t.kind === 'positional' && !positionals) return `unexpected argument ${t.value}`;
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (!o) return `unknown argument ${t.rawName}`;
    if (o.type === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value`;
    // In `--out --json` parseArgs refuses '--json' as a value that looks like an option: to the user, the folder is missing.
    const missing = t.value === undefined || (!t.inlineValue && t.value.length > 1 && t.value.startsWith('-'));
    if (o.type === 'string' && missing) return `${t.rawName} needs ${o.arg ?? 'a value'}`;
  }
  return null;
}

/**
 * Runs a command: reads its arguments with `read` (which uses parseCli and checks the values),
 * prints the usage for HELP (exit 0) or a message and the usage for bad arguments (exit 2), else
 * exits with main's code.
 */
export function runCli<A extends object>(usage: string, read: (argv: string[]) => CliArgs<A>, main: (args: A) => Promise<number>): void {
  const args = read(process.argv.slice(2));
  // Nothing has started yet: setting the code lets the output drain before the process ends.
  if (args === HELP) {
    process.stdout.write(`${usage}\n`);
    process.exitCode = 0;
    return;
  }
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  // process.exit: whatever main left open (a model runtime's threads, a server) cannot keep a finished command alive.
  main(args).then(
    (code) => process.exit(code),
    (e: unknown) => {
      // A named error says what to do; anything else is a bug, shown with where it happened.
      process.stderr.write(`${isAppError(e) ? `${e.name}: ${e.message}` : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

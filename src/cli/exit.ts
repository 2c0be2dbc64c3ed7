/**
 * How every Node CLI ends: its main's exit code, or 1 with the error printed when main throws
 * (a bug; expected failures are named errors main turns into a message and a code itself).
 */
export function exitWith(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

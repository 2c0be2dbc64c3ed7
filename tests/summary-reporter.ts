/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", per project and in total,
 * so CI logs and scripts can read the outcome without parsing vitest's styled summary.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const byProject = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const m of modules) {
      const name = m.project.name || 'tests';
      const c = byProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') c.failed++;
        else c.skipped++;
      }
      // A module that failed to load has no tests but must still count as a failure.
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) c.failed++;
      byProject.set(name, c);
    }
    const total = { passed: 0, failed: 0, skipped: 0 };
    const lines: string[] = [];
    for (const [name, c] of byProject) {
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
      lines.push(`  ${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    }
    process.stdout.write(`\n${lines.join('\n')}\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  }
}

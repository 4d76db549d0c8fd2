/** A figure a test measured, printed as one line beside jest's report (jest's console adds a stack trace per line). */
export function diagnostic(message: string): void {
  process.stderr.write(`    ℹ ${message}\n`);
}

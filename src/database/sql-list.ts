/** `('a', 'b')` for an IN list of our own constants (never of input: those go in as parameters). */
export function sqlList(constants: readonly string[]): string {
  return `(${constants.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ')})`;
}

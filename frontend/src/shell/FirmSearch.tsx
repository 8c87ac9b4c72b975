/** The global firm search of the header (by name or unified social credit code). */
export function FirmSearch() {
  return null;
}

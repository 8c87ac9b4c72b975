/** Where dialogs and drawers render: the shell's `#overlays` element, not document.body (the
 * body scroll lock would write a `<style>` without the CSP nonce; see docs/web-client.md). */
export function overlays(): HTMLElement {
  return document.getElementById("overlays") ?? document.body;
}

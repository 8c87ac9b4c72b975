import { Modal } from "antd";
import type { ModalProps } from "antd";
import { overlays } from "./overlays";

/** antd's `Modal` as every screen uses it under the platform's CSP: rendered into the shell's
 * `#overlays` and without the body scroll lock, which writes a `<style>` without the CSP
 * nonce that the page refuses (docs/web-client.md). */
export function Dialog(props: ModalProps) {
  return <Modal getContainer={overlays} {...props} scrollLock={false} />;
}

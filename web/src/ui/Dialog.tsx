import { type ReactNode, useEffect, useRef } from "react";

interface DialogProps {
  open: boolean;
  /** The id of the dialog's heading, which names it. */
  titleId: string;
  title: ReactNode;
  /** Called when the dialog closes, whether by a button, Escape or the parent. */
  onClose: () => void;
  /**
   * Give focus back to what had it when the dialog opened (the default). Pass false when the
   * action removed that element, and move focus to what replaced it instead.
   */
  returnFocus?: boolean;
  /**
   * The id of the element to focus when it opens; by default the first control. A dialog that
   * confirms something that cannot be undone starts on the safe choice ("Cancel").
   */
  initialFocus?: string;
  testId?: string;
  children: ReactNode;
}

/**
 * A modal dialog on the native <dialog>: focus moves into it and stays there, Escape closes it,
 * the page behind is inert, and focus goes back to the opener when it closes.
 */
export function Dialog({ open, titleId, title, onClose, returnFocus = true, initialFocus, testId, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const latest = useRef({ onClose, returnFocus });

  useEffect(() => {
    latest.current = { onClose, returnFocus };
  });

  useEffect(() => {
    const element = dialog.current;
    if (!element) {
      return;
    }
    if (open && !element.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      element.showModal();
      if (initialFocus) {
        document.getElementById(initialFocus)?.focus();
      }
    } else if (!open && element.open) {
      element.close();
    }
  }, [open, initialFocus]);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      data-testid={testId}
      onClose={() => {
        latest.current.onClose();
        if (latest.current.returnFocus && opener.current?.isConnected) {
          opener.current.focus();
        }
        opener.current = null;
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

interface ConfirmActionsProps {
  /** The label of the button that does the irreversible thing. */
  confirm: ReactNode;
  onConfirm: () => void;
  /** While the action runs, the confirm button shows this and is marked disabled. */
  busyLabel?: ReactNode;
  busy?: boolean;
  /** The safe choice, which the dialog should focus first (pass its id as ``initialFocus``). */
  cancel?: ReactNode;
  cancelId: string;
  onCancel: () => void;
}

/** The two buttons of a dialog that confirms a destructive action: do it, or back out. */
export function ConfirmActions({ confirm, onConfirm, busyLabel, busy = false, cancel = "Cancel", cancelId, onCancel }: ConfirmActionsProps) {
  return (
    <div className="actions">
      <button type="button" className="button button-danger" onClick={onConfirm} aria-disabled={busy ? true : undefined}>
        {busy && busyLabel ? busyLabel : confirm}
      </button>
      <button id={cancelId} type="button" className="button button-secondary" onClick={onCancel}>
        {cancel}
      </button>
    </div>
  );
}

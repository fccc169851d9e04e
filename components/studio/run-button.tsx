'use client';
/** Generate, or Cancel while a run is in flight. */
import { Button } from './controls';

export function RunButton({
  running,
  ready,
  batch,
  onGenerate,
  onCancel,
}: {
  running: boolean;
  /** A model is loaded. */
  ready: boolean;
  batch: number;
  onGenerate: () => void;
  onCancel: () => void;
}) {
  // Cancel takes Generate's place on screen, so the second click of a double-click on Generate
  // lands on it: such a click (detail 2) is not a cancel. The two buttons are keyed apart, so
  // keyboard focus does not carry from one to the other and a second Enter presses nothing.
  return running ? (
    <Button
      key="cancel"
      variant="danger"
      className="w-full"
      data-testid="cancel-button"
      onClick={(e) => e.detail <= 1 && onCancel()}
    >
      Cancel
    </Button>
  ) : (
    <Button
      key="generate"
      variant="primary"
      className="w-full py-2.5"
      data-testid="generate-button"
      disabled={!ready}
      onClick={onGenerate}
    >
      {ready ? `Generate ${batch} image${batch === 1 ? '' : 's'}` : 'Loading model…'}
    </Button>
  );
}

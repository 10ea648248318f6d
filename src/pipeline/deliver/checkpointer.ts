/**
 * Saves an upload's resume offset every `every` bytes of contiguous acknowledged data without holding
 * up the transfer: the writer goes on while a save runs, and acknowledgements that arrive meanwhile
 * are folded into the next save, which records only the latest of them. Saves never overlap and each
 * records an offset at least as high as the previous one, so the row only ever moves forward to an
 * offset the server confirmed.
 */
export interface Checkpointer {
  /** `offset`: the end of the contiguous acknowledged prefix. */
  acknowledged(offset: number): void;
  /**
   * Resolves once no save is running. Rejects with the error of the last save if it failed — an
   * earlier failure that a later save has made good is forgotten (the row holds the later offset).
   */
  settled(): Promise<void>;
}

export function createCheckpointer(start: number, every: number, save: (offset: number) => Promise<void>): Checkpointer {
  let requested = start;
  let saved = start;
  let running: Promise<void> | undefined;
  let failure: unknown;

  const drain = async () => {
    while (requested > saved) {
      const at = requested;
      try {
        await save(at);
        failure = undefined;
      } catch (e) {
        failure = e;
      }
      saved = at;
    }
  };

  return {
    acknowledged(offset) {
      if (offset - requested < every) return;
      requested = offset;
      running ??= drain().finally(() => { running = undefined; });
    },
    async settled() {
      while (running) await running;
      if (failure !== undefined) throw failure;
    },
  };
}

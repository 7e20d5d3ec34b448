/**
 * A progress bar on stderr while training, for people watching a terminal. It is drawn only
 * when stdout and stderr are both terminals and the output is for people (not --json): in a
 * pipe or a log its redraws would be noise, and stdout must stay clean for whoever reads it.
 */
import { Presets, SingleBar } from "cli-progress";

export interface Progress {
  /**
   * Sets how many of the total steps are done, and what is running; `total` changes the total
   * (work whose size is known only as it goes). Redraws at once when the last redraw is old
   * enough, so updates from synchronous work move the bar too.
   */
  update(done: number, label: string, total?: number): void;
  /** Removes the bar (it is cleared, so the results print where it was). */
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** A bar over `total` steps, or one that draws nothing when `enabled` is false. */
export function createProgress(
  total: number,
  enabled: boolean,
  stream: NodeJS.WritableStream = process.stderr,
): Progress {
  if (!enabled) return SILENT;
  const bar = new SingleBar(
    {
      stream,
      format: "{bar} {percentage}% | {label}",
      hideCursor: true,
      clearOnComplete: true,
      // Redraw at most ten times a second: an epoch can take microseconds.
      fps: 10,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { label: "" });
  // The bar hides the cursor; Ctrl-C must not leave the terminal without one. On SIGINT (and
  // SIGTERM) the bar is stopped, which shows the cursor again, and the signal is raised again
  // with this handler gone, so the process still ends as an interrupted one (exit 130).
  const restore = (signal: NodeJS.Signals) => {
    detach();
    bar.stop();
    stream.write(SHOW_CURSOR);
    process.kill(process.pid, signal);
  };
  const detach = () => {
    process.removeListener("SIGINT", restore);
    process.removeListener("SIGTERM", restore);
  };
  process.once("SIGINT", restore);
  process.once("SIGTERM", restore);
  return {
    update(done, label, total) {
      if (total !== undefined) bar.setTotal(total);
      bar.update(done, { label });
    },
    stop() {
      detach();
      bar.stop();
    },
  };
}

/** DECTCEM: show the cursor. */
export const SHOW_CURSOR = "\u001b[?25h";

/**
 * Announces readiness as one JSON line on standard output (the demo and scripts wait for it), then runs until
 * SIGINT or SIGTERM and shuts the service down cleanly.
 */
export async function runUntilSignalled(
  ready: Record<string, unknown>,
  close: () => Promise<void>,
): Promise<void> {
  process.stdout.write(`${JSON.stringify({ event: 'ready', ...ready })}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const watchdog = setTimeout(() => {
    process.stderr.write('cohort: shutdown took longer than 10 s; exiting\n');
    process.exit(1);
  }, 10_000);
  watchdog.unref();
  await close();
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify({ event: 'stopped', ...ready })}\n`);
}

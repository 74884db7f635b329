declare module "async-exit-hook" {
  interface ExitHook {
    (hook: (done: () => void) => void): void;
    /** Removes async-exit-hook's listener for a process event or signal. */
    unhookEvent(event: string): void;
  }
  const exitHook: ExitHook;
  export default exitHook;
}

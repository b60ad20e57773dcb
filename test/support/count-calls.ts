/**
 * Counts the calls of methods on a real object, each call still running as before:
 * how a test sees round trips or batches without standing in for Redis or Bull.
 */
export function countCalls(target: object, ...methods: string[]): { count: number } {
  const counter = { count: 0 };
  const methodsOf = target as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methods) {
    const original = methodsOf[name].bind(target);
    methodsOf[name] = (...args: unknown[]) => {
      counter.count += 1;
      return original(...args);
    };
  }
  return counter;
}

/**
 * In-process news that a user's document or sessions changed (profile, username, emails, password, a session
 * ended), so live DDP connections of that user update at once instead of on their next sweep. Other
 * processes (another instance, the CLI) are caught by the sweep, which reads the shared database.
 */
export interface UserChanges {
  /** Says that `userId` changed. Listeners run synchronously and must not throw (errors are swallowed). */
  userChanged(userId: string): void;
  /** Listens for changes; returns the function that stops listening. */
  subscribe(listener: (userId: string) => void): () => void;
}

export function createUserChanges(): UserChanges {
  const listeners = new Set<(userId: string) => void>();
  return {
    userChanged(userId) {
      for (const listener of listeners) {
        try {
          listener(userId);
        } catch {
          // A listener's failure is its own; the change itself already happened.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Whether this replica may scan and write. Without leader election the one replica always may. */
export abstract class Leadership {
  /** Leader election is on (`leaderElection.enabled`). */
  abstract readonly enabled: boolean;
  /** This replica's name in the Lease; undefined without leader election. */
  abstract readonly identity: string | undefined;
  /** This replica holds the Lease and renewed it within renewDeadline (always true without leader election). */
  abstract isLeader(): boolean;
  /** The replica that holds the Lease, as last observed; undefined when none does. */
  abstract leader(): string | undefined;
  /** Called with true when this replica starts leading, false when it stops (before anything else happens). */
  abstract onChange(listener: (leading: boolean, reason: string) => void): void;
}

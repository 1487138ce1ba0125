/** The resolved `leaderElection` settings (undefined when leader election is off). */
export const LEADER_ELECTION_SETTINGS = Symbol('LEADER_ELECTION_SETTINGS');

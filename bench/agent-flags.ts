/**
 * The Node flags every OpsAgent process of the bench runs with: the NODE_OPTIONS the Helm chart renders by default
 * (`maxOldSpaceSizeMi: 384`, `maxSemiSpaceSizeMi: 4`); test/chart/chart-render.spec.ts holds the two equal.
 */
export const AGENT_NODE_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=4';

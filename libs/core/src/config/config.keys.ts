import { keyedSectionOf, OpsAgentConfig } from './config.schema';
import { validationLibraries } from './validation-libraries';

/**
 * Every leaf key path the schema accepts, in schema order (e.g. `overProvisioning.cpu.ratio`,
 * `rules.<id>.enabled`). Read from the validation metadata, which is also what decides that a key is unknown,
 * so this list cannot drift from what the loader accepts.
 */
export const CONFIG_KEYS: readonly string[] = leafKeys(new OpsAgentConfig(), '');

function leafKeys(section: object, prefix: string): string[] {
  const properties = validationLibraries()
    .classValidator.getMetadataStorage()
    .getTargetValidationMetadatas(section.constructor, '', true, false)
    .map((metadata) => metadata.propertyName);
  const keyed = keyedSectionOf(section);
  const keys = [...new Set(properties)].flatMap((property) => {
    const path = `${prefix}${keyed ? keyed.keyPlaceholder : property}`;
    const value: unknown = (section as Record<string, unknown>)[property];
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? leafKeys(value, `${path}.`) : [path];
  });
  return [...new Set(keys)];
}

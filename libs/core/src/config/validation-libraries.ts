/**
 * The libraries that validate a config (class-validator, class-transformer, cron's grammar), loaded only when a
 * config is validated. Loading them costs more than the rest of `opsagent scan` (about 0.15 s on a slow machine:
 * class-validator alone pulls in `validator` and `libphonenumber-js`, some 300 files), and a scan without
 * `--config` only needs the defaults, which are the schema's initializers (`new OpsAgentConfig()`).
 *
 * So the schema's decorators do not call the libraries when its classes are defined: each is registered through
 * `withValidationLibraries` and applied, in the order TypeScript ran them, the first time `validationLibraries()`
 * is called (by the loader before it validates, and by CONFIG_KEYS before it reads the validation metadata).
 */
import type * as ClassTransformer from 'class-transformer';
import type * as ClassValidator from 'class-validator';
import type * as Cron from 'cron';

export interface ValidationLibraries {
  classValidator: typeof ClassValidator;
  classTransformer: typeof ClassTransformer;
  cron: Pick<typeof Cron, 'validateCronExpression'>;
}

let libraries: ValidationLibraries | undefined;
/** Decorators met before the libraries were loaded, in the order they ran. */
const pending: (() => void)[] = [];

/** A property decorator made from the libraries: applied now if they are loaded, otherwise when they are. */
export function withValidationLibraries(make: (libs: ValidationLibraries) => PropertyDecorator): PropertyDecorator {
  return (target, key) => {
    const apply = () => make(libraries!)(target, key);
    if (libraries) apply();
    else pending.push(apply);
  };
}

/** Loads the libraries (once) and applies every decorator still waiting for them; call before validating. */
export function validationLibraries(): ValidationLibraries {
  if (!libraries) {
    // Synchronous on purpose: parseConfig is synchronous, and require() of an already loaded module is a lookup.
    /* eslint-disable @typescript-eslint/no-require-imports */
    require('reflect-metadata'); // class-transformer's @Type reads `design:type` through it
    libraries = {
      classValidator: require('class-validator') as typeof ClassValidator,
      classTransformer: require('class-transformer') as typeof ClassTransformer,
      cron: require('cron') as typeof Cron,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  for (const apply of pending.splice(0)) apply();
  return libraries;
}

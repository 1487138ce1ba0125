/** What the specs need to know about the Dockerfile, read with dockerfile-ast (the parser of dockerfile-utils). */
import fs from 'node:fs';
import path from 'node:path';
import {
  Arg,
  DockerfileParser,
  Env,
  JSONInstruction,
  Label,
  ModifiableInstruction,
  type Instruction,
} from 'dockerfile-ast';
import { ROOT } from './helm';

export const DOCKERFILE = path.join(ROOT, 'Dockerfile');

export interface StageInstruction {
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  args: string;
  /** `--from=build` → { from: 'build' }. */
  flags: Record<string, string>;
}

export interface Stage {
  /** `AS` name; undefined for an unnamed stage. */
  name?: string;
  /** The FROM image, e.g. `node:24.21.0-bookworm-slim`. */
  image: string;
  instructions: StageInstruction[];
}

export interface ImageConfig {
  stages: Stage[];
  /** Of the final stage, as Docker resolves them: the last of each instruction wins. */
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir: string;
  user: string;
  expose: string[];
  /** LABELs of the final stage, values as written (`${VERSION}` unexpanded). */
  labels: Record<string, string>;
  /** ARGs of the final stage with their defaults (undefined: none). */
  args: Record<string, string | undefined>;
}

/** `USER 1000:1000` → { uid: 1000, gid: 1000 }; a name, or a UID without GID, is refused (see the Dockerfile). */
export function userIds(user: string): { uid: number; gid: number } {
  const match = /^(\d+):(\d+)$/.exec(user);
  if (!match) throw new Error(`USER ${user}: expected numeric UID:GID`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

export function readDockerfile(file = DOCKERFILE): { text: string; image: ImageConfig } {
  const text = fs.readFileSync(file, 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const templates = froms.map((from) => {
    const template = dockerfile.getContainingImage(from.getRange().start);
    if (!template) throw new Error(`no stage at line ${from.getRange().start.line + 1}`);
    return template;
  });
  const stages: Stage[] = froms.map((from, i) => ({
    name: from.getBuildStage() ?? undefined,
    image: from.getImage() ?? '',
    instructions: templates[i].getInstructions().map((instruction) => ({
      keyword: instruction.getKeyword(),
      args: instruction.getArgumentsContent() ?? '',
      flags: Object.fromEntries(
        instruction instanceof ModifiableInstruction
          ? instruction.getFlags().map((flag) => [flag.getName(), flag.getValue() ?? ''])
          : [],
      ),
    })),
  }));
  const final = templates[templates.length - 1].getInstructions();
  const last = (keyword: string) => final.filter((i) => i.getKeyword() === keyword).pop();
  const env: Record<string, string> = {};
  for (const instruction of final) {
    if (!(instruction instanceof Env)) continue;
    for (const property of instruction.getProperties()) env[property.getName()] = property.getUnescapedValue() ?? '';
  }
  const labels: Record<string, string> = {};
  const args: Record<string, string | undefined> = {};
  for (const instruction of final) {
    if (instruction instanceof Label) {
      for (const property of instruction.getProperties()) {
        // dockerfile-ast keeps a LABEL value's quotes, which Docker drops.
        labels[property.getName()] = (property.getUnescapedValue() ?? '').replace(/^"(.*)"$/s, '$1');
      }
    } else if (instruction instanceof Arg) {
      const property = instruction.getProperty();
      if (property) args[property.getName()] = property.getUnescapedValue() ?? undefined;
    }
  }
  return {
    text,
    image: {
      labels,
      args,
      stages,
      entrypoint: execForm(last('ENTRYPOINT')),
      cmd: execForm(last('CMD')),
      env,
      workdir: last('WORKDIR')?.getArgumentsContent() ?? '/',
      user: last('USER')?.getArgumentsContent() ?? 'root',
      expose: final
        .filter((i) => i.getKeyword() === 'EXPOSE')
        .flatMap((i) => i.getArguments().map((a) => a.getValue())),
    },
  };
}

/** The argv of an exec-form ENTRYPOINT/CMD; throws for the shell form, which would run under /bin/sh -c. */
function execForm(instruction: Instruction | undefined): string[] {
  if (!instruction) return [];
  if (!(instruction instanceof JSONInstruction) || instruction.getOpeningBracket() === null) {
    throw new Error(`${instruction.getKeyword()} is not in exec form: ${instruction.getArgumentsContent()}`);
  }
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

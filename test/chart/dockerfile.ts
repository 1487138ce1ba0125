/** What the specs need to know about the Dockerfile, read with dockerfile-ast (the parser of dockerfile-utils). */
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser, Env, JSONInstruction, ModifiableInstruction, type Instruction } from 'dockerfile-ast';
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
  /** The FROM image, e.g. `node:20.20.2-bookworm-slim`. */
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
  return {
    text,
    image: {
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
